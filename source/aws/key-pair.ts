import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { chmod, link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
	CreateKeyPairCommand,
	DeleteKeyPairCommand,
	DescribeKeyPairsCommand,
	type EC2Client,
	ImportKeyPairCommand,
	type KeyPairInfo,
} from '@aws-sdk/client-ec2';
import ssh2 from 'ssh2';
import { isNotFound } from './errors.js';
import { single, stackFilters, type Tagging, tagSpecifications } from './stack-tags.js';
import { type CallOptions, pollUntil, type WaitOptions } from './wait.js';

export async function findKeyPairById(
	ec2: EC2Client,
	keyPairId: string,
	options: CallOptions = {},
): Promise<KeyPairInfo | undefined> {
	try {
		const output = await ec2.send(new DescribeKeyPairsCommand({ KeyPairIds: [keyPairId] }), {
			abortSignal: options.signal,
		});
		return output.KeyPairs?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

export async function findKeyPairByName(
	ec2: EC2Client,
	keyName: string,
	options: CallOptions = {},
): Promise<KeyPairInfo | undefined> {
	try {
		const output = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }), {
			abortSignal: options.signal,
		});
		return output.KeyPairs?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

export async function findKeyPairByStackTag(
	ec2: EC2Client,
	stack: string,
	options: CallOptions & { role?: string } = {},
): Promise<KeyPairInfo | undefined> {
	const output = await ec2.send(new DescribeKeyPairsCommand({ Filters: stackFilters(stack, options.role) }), {
		abortSignal: options.signal,
	});
	return single('key-pair', stack, output.KeyPairs ?? [], (keyPair) => keyPair.KeyPairId);
}

export type CreatedKeyPair = {
	keyPairId: string;
	keyName: string;
	fingerprint?: string;
	/** The private key, PEM. AWS hands it out once: write it to disk before anything else. */
	keyMaterial: string;
};

export async function createKeyPair(
	ec2: EC2Client,
	input: Tagging & { keyName: string },
	options: CallOptions = {},
): Promise<CreatedKeyPair> {
	const output = await ec2.send(
		new CreateKeyPairCommand({
			KeyName: input.keyName,
			KeyType: 'rsa',
			KeyFormat: 'pem',
			TagSpecifications: tagSpecifications('key-pair', input),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.KeyPairId || !output.KeyMaterial)
		throw new Error('CreateKeyPair returned no key pair id or key');
	return {
		keyPairId: output.KeyPairId,
		keyName: output.KeyName ?? input.keyName,
		keyMaterial: output.KeyMaterial,
		...(output.KeyFingerprint ? { fingerprint: output.KeyFingerprint } : {}),
	};
}

/** ImportKeyPair of an OpenSSH public key (`ssh-rsa AAAA…` / `ssh-ed25519 …`): the user keeps the private key. */
export async function importKeyPair(
	ec2: EC2Client,
	input: Tagging & { keyName: string; publicKey: string },
	options: CallOptions = {},
): Promise<{ keyPairId: string; keyName: string; fingerprint?: string }> {
	const output = await ec2.send(
		new ImportKeyPairCommand({
			KeyName: input.keyName,
			PublicKeyMaterial: new TextEncoder().encode(input.publicKey.trim()),
			TagSpecifications: tagSpecifications('key-pair', input),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.KeyPairId) throw new Error('ImportKeyPair returned no key pair id');
	return {
		keyPairId: output.KeyPairId,
		keyName: output.KeyName ?? input.keyName,
		...(output.KeyFingerprint ? { fingerprint: output.KeyFingerprint } : {}),
	};
}

/** DeleteKeyPair (AWS's copy of the public key only; no local file is touched). Already gone counts as deleted. */
export async function deleteKeyPair(
	ec2: EC2Client,
	key: { keyPairId?: string; keyName?: string },
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(
			new DeleteKeyPairCommand(key.keyPairId ? { KeyPairId: key.keyPairId } : { KeyName: key.keyName }),
			{ abortSignal: options.signal },
		);
	} catch (error) {
		if (isNotFound(error)) return;
		throw error;
	}
}

export function waitForKeyPair(
	ec2: EC2Client,
	keyPairId: string,
	options: WaitOptions = {},
): Promise<KeyPairInfo> {
	return pollUntil(
		`key pair ${keyPairId} to become visible`,
		async () => {
			const keyPair = await findKeyPairById(ec2, keyPairId, options);
			return { state: keyPair ? 'available' : undefined, value: keyPair };
		},
		(state) => state === 'available',
		{ defaultTimeoutMs: 60_000, ...options },
	) as Promise<KeyPairInfo>;
}

export class PrivateKeyFileExistsError extends Error {
	constructor(readonly path: string) {
		super(
			`${path} already exists; kakehashi never overwrites a private key. Move it away or name another file.`,
		);
		this.name = 'PrivateKeyFileExistsError';
	}
}

export async function fileExists(path: string): Promise<boolean> {
	try {
		await stat(path);
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
		throw error;
	}
}

/**
 * Write a private key so that the file either does not exist or is complete, owner-read-only
 * (0400, "chmod 400"), and never replaces an existing file. A rename would overwrite, so the
 * complete temporary file is hard-linked into place (link fails on an existing name). The
 * temporary name is fixed so a run killed mid-write leaves nothing a later run does not clean.
 */
export async function writePrivateKeyFile(path: string, pem: string): Promise<void> {
	if (await fileExists(path)) throw new PrivateKeyFileExistsError(path);
	const partial = `${path}.kakehashi-partial`;
	await rm(partial, { force: true });
	const handle = await open(partial, 'wx', 0o400);
	try {
		await handle.writeFile(pem.endsWith('\n') ? pem : `${pem}\n`);
		await handle.sync();
	} finally {
		await handle.close();
	}
	await chmod(partial, 0o400);
	try {
		await link(partial, path);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EEXIST') {
			await rm(partial, { force: true });
			throw new PrivateKeyFileExistsError(path);
		}
		// A file system without hard links: check, then rename (a tiny race, but still atomic).
		if (await fileExists(path)) {
			await rm(partial, { force: true });
			throw new PrivateKeyFileExistsError(path);
		}
		await rename(partial, path);
		await syncDirectory(dirname(path));
		return;
	}
	await rm(partial, { force: true });
	await syncDirectory(dirname(path));
}

async function syncDirectory(directory: string): Promise<void> {
	try {
		const handle = await open(directory, 'r');
		try {
			await handle.sync();
		} finally {
			await handle.close();
		}
	} catch {
		// Not every platform can fsync a directory; the file itself is already synced.
	}
}

function colonHex(buffer: Buffer): string {
	return (buffer.toString('hex').match(/../g) ?? []).join(':');
}

/**
 * Does this PEM belong to the key pair with this fingerprint? AWS fingerprints an RSA key it
 * created as the SHA-1 of the PKCS#8 private key, and one imported as the MD5 of the public key
 * (both DER, colon-separated hex). Undefined when the PEM or the fingerprint's form is not one of those.
 */
export function privateKeyMatchesFingerprint(
	pem: string,
	fingerprint: string | undefined,
): boolean | undefined {
	if (!fingerprint || !/^([0-9a-f]{2}:){15,19}[0-9a-f]{2}$/i.test(fingerprint)) return undefined;
	try {
		const privateKey = createPrivateKey(pem);
		if (privateKey.asymmetricKeyType !== 'rsa') return undefined;
		const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
		const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
		const wanted = fingerprint.toLowerCase();
		return (
			colonHex(createHash('sha1').update(pkcs8).digest()) === wanted ||
			colonHex(createHash('md5').update(spki).digest()) === wanted
		);
	} catch {
		return undefined;
	}
}

export class UnusablePrivateKeyFileError extends Error {
	constructor(
		readonly path: string,
		reason: string,
	) {
		super(
			`${path} already exists but is not a private key kakehashi can read (${reason}); it is left as it is. ` +
				'Move it away so a new key pair can be created there, or point keyPair.privateKeyFile elsewhere.',
		);
		this.name = 'UnusablePrivateKeyFileError';
	}
}

/**
 * The OpenSSH public key line (`ssh-rsa AAAA…`) of a private key file, so that a key whose PEM is
 * already on disk (kept after a destroy, or made by the user) can be imported instead of replaced.
 */
export async function publicKeyOfPrivateKeyFile(path: string): Promise<string> {
	const parsed = ssh2.utils.parseKey(await readFile(path));
	if (parsed instanceof Error) throw new UnusablePrivateKeyFileError(path, parsed.message);
	const key = Array.isArray(parsed) ? parsed[0] : parsed;
	if (!key?.isPrivateKey()) throw new UnusablePrivateKeyFileError(path, 'no private key in it');
	return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}
