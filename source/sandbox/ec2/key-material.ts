import {
	createHash,
	createPublicKey,
	generateKeyPairSync,
	generateKeyPair as generateNodeKeyPair,
	randomBytes,
} from 'node:crypto';
import { promisify } from 'node:util';
import ssh2 from 'ssh2';
import { Ec2Error } from './errors.js';

/**
 * Real key material, shaped as EC2 hands it out: an RSA private key as PKCS#1 PEM, an ED25519 one in
 * OpenSSH format; fingerprints computed as the EC2 API reference (KeyPairInfo.keyFingerprint) says.
 */

export type KeyType = 'rsa' | 'ed25519';

export type CreatedKeyPair = { type: KeyType; privateKey: string; publicKey: string; fingerprint: string };
export type ImportedPublicKey = { type: KeyType; publicKey: string; fingerprint: string };

const generateRsa = promisify(generateNodeKeyPair);

export async function createKeyPairMaterial(type: KeyType, keyName: string): Promise<CreatedKeyPair> {
	if (type === 'ed25519') {
		const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
		const publicKey = Buffer.from(jwk.x ?? '', 'base64url');
		const seed = Buffer.from(jwk.d ?? '', 'base64url');
		const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(publicKey)]);
		return {
			type,
			privateKey: openSshEd25519PrivateKey(blob, publicKey, seed, keyName),
			publicKey: `ssh-ed25519 ${blob.toString('base64')} ${keyName}`,
			fingerprint: sha256Fingerprint(blob),
		};
	}
	const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
	const jwk = publicKey.export({ format: 'jwk' });
	const blob = Buffer.concat([
		sshString(Buffer.from('ssh-rsa')),
		sshMpint(Buffer.from(jwk.e ?? '', 'base64url')),
		sshMpint(Buffer.from(jwk.n ?? '', 'base64url')),
	]);
	return {
		type,
		privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
		publicKey: `ssh-rsa ${blob.toString('base64')} ${keyName}`,
		// For keys EC2 creates: the SHA-1 digest of the DER-encoded (PKCS#8) private key.
		fingerprint: colonHex(
			createHash('sha1')
				.update(privateKey.export({ type: 'pkcs8', format: 'der' }))
				.digest(),
		),
	};
}

/** ImportKeyPair's material: an OpenSSH public key line (or any public format ssh2 reads). */
export function importPublicKey(material: string): ImportedPublicKey {
	const parsed = ssh2.utils.parseKey(material.trim());
	if (parsed instanceof Error || Array.isArray(parsed)) {
		throw invalidKeyFormat();
	}
	const blob = parsed.getPublicSSH();
	const comment = parsed.comment ? ` ${parsed.comment}` : '';
	if (parsed.type === 'ssh-ed25519') {
		return {
			type: 'ed25519',
			publicKey: `ssh-ed25519 ${blob.toString('base64')}${comment}`,
			fingerprint: sha256Fingerprint(blob),
		};
	}
	if (parsed.type === 'ssh-rsa') {
		const key = createPublicKey(parsed.getPublicPEM());
		if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 1024) {
			throw new Ec2Error('InvalidKey.Format', 'RSA keys must be at least 1024 bits long');
		}
		return {
			type: 'rsa',
			publicKey: `ssh-rsa ${blob.toString('base64')}${comment}`,
			// For imported RSA keys: the MD5 digest of the DER-encoded public key.
			fingerprint: colonHex(
				createHash('md5')
					.update(key.export({ type: 'spki', format: 'der' }))
					.digest(),
			),
		};
	}
	throw invalidKeyFormat();
}

function invalidKeyFormat(): Ec2Error {
	return new Ec2Error('InvalidKey.Format', 'Key is not in valid OpenSSH public key format');
}

/**
 * The `openssh-key-v1` container (OpenSSH's PROTOCOL.key), unencrypted, as `ssh-keygen -t ed25519`
 * writes it. Written here because ssh2's generator drops leading zero bytes of some ED25519 public keys.
 */
function openSshEd25519PrivateKey(blob: Buffer, publicKey: Buffer, seed: Buffer, comment: string): string {
	const check = randomBytes(4);
	const unpadded = Buffer.concat([
		check,
		check,
		sshString(Buffer.from('ssh-ed25519')),
		sshString(publicKey),
		sshString(Buffer.concat([seed, publicKey])),
		sshString(Buffer.from(comment, 'utf8')),
	]);
	const padding = Buffer.from(
		Array.from({ length: (8 - (unpadded.length % 8)) % 8 }, (_, index) => index + 1),
	);
	const none = sshString(Buffer.from('none'));
	const body = Buffer.concat([
		Buffer.from('openssh-key-v1\0', 'latin1'),
		none,
		none,
		sshString(Buffer.alloc(0)),
		uint32(1),
		sshString(blob),
		sshString(Buffer.concat([unpadded, padding])),
	]);
	const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
	return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

function uint32(value: number): Buffer {
	const buffer = Buffer.alloc(4);
	buffer.writeUInt32BE(value);
	return buffer;
}

/** Base64 of the SHA-256 of the SSH wire-format public key, as EC2 shows ED25519 fingerprints. */
function sha256Fingerprint(blob: Buffer): string {
	return createHash('sha256').update(blob).digest('base64');
}

function colonHex(digest: Buffer): string {
	return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

function sshString(data: Buffer): Buffer {
	return Buffer.concat([uint32(data.length), data]);
}

/** An SSH mpint: big-endian, with a leading zero byte when the high bit is set. */
function sshMpint(magnitude: Buffer): Buffer {
	let start = 0;
	while (start < magnitude.length - 1 && magnitude[start] === 0) {
		start++;
	}
	const trimmed = magnitude.subarray(start);
	const first = trimmed[0] ?? 0;
	return sshString(first & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}
