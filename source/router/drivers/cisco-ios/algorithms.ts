/**
 * Cisco's algorithm spellings → the contract's names. IPsec transform sets print `esp-aes` (AES-128),
 * `esp-192-aes`, `esp-256-aes`, `esp-gcm 256`, `esp-3des`, `esp-sha-hmac` (SHA-1), `esp-sha256-hmac`,
 * `esp-md5-hmac`; IKEv1 detail prints `aes`, `3des`, `sha`, `sha256`; IKEv2 prints `AES-CBC` with a
 * separate `keysize: 256`.
 */
import { memoised, normaliseEncryption, normaliseIntegrity } from '../shared/field-values.js';

export type Transform = { encryption?: string; integrity?: string };

/** `esp-256-aes esp-sha-hmac ,` → `{ encryption: 'aes256', integrity: 'sha1' }`. */
export const transformOf = (text: string): Transform => rememberedTransform(text) ?? {};
const rememberedTransform = memoised(readTransform);

function readTransform(text: string): Transform {
	const tokens = text
		.toLowerCase()
		.replace(/,/g, ' ')
		.split(/\s+/)
		.filter((token) => token !== '');
	const transform: Transform = {};
	for (let index = 0; index < tokens.length; index += 1) {
		const token = tokens[index]!;
		const aes = /^esp-(?:(128|192|256)-)?aes(?:-(128|192|256))?$/.exec(token);
		const gcm = /^esp-(?:(128|192|256)-)?(gcm|gmac)(?:-(128|192|256))?$/.exec(token);
		const hmac = /^esp-(sha|sha256|sha384|sha512|md5)-hmac$/.exec(token);
		if (aes) transform.encryption = `aes${aes[1] ?? aes[2] ?? '128'}`;
		else if (gcm) {
			const bits =
				gcm[1] ?? gcm[3] ?? (/^(128|192|256)$/.test(tokens[index + 1] ?? '') ? tokens[index + 1] : '128');
			if (gcm[2] === 'gcm') transform.encryption = `aes${bits}gcm16`;
			else transform.integrity = `aes${bits}gmac`;
		} else if (token === 'esp-3des') transform.encryption = '3des';
		else if (token === 'esp-des') transform.encryption = 'des';
		else if (token === 'esp-null') transform.encryption = 'null';
		else if (hmac) transform.integrity = normaliseIntegrity(hmac[1]);
	}
	return transform;
}

/** IKEv1 detail `aes` (key size not shown) → undefined; `aes:256` / `aes256` → `aes256`; `3des` → `3des`. */
export function ikeEncryptionOf(text: string | undefined, keySize?: string): string | undefined {
	if (text === undefined) return undefined;
	const lower = text.toLowerCase().replace(/:/, '');
	if (/^aes(?:-cbc)?$/.test(lower))
		return keySize === undefined ? undefined : normaliseEncryption(`aes${keySize}`);
	if (/^aes-?gcm$/.test(lower))
		return keySize === undefined ? undefined : normaliseEncryption(`aes${keySize}gcm`);
	return normaliseEncryption(lower);
}
