/**
 * Yamaha's algorithm names: `AES-CBC` is AES-128 (`AES256-CBC` is AES-256), `3DES-CBC`, `DES-CBC`,
 * `AES-GCM` / `AES256-GCM`; hashes `SHA-1`, `SHA-256`, `HMAC-SHA` (SHA-1), `HMAC-SHA256`, `HMAC-MD5`;
 * groups `MODP 1024bit`. As set by `ipsec ike encryption`, `ipsec sa policy … esp aes-cbc sha-hmac`.
 */
import { dhGroupNumber, memoised, normaliseEncryption, normaliseIntegrity } from '../shared/field-values.js';

export function yamahaEncryption(text: string | undefined): string | undefined {
	if (text === undefined) return undefined;
	const match = /^(AES(128|192|256)?|3DES|DES)-(CBC|GCM)$/i.exec(text.trim());
	if (!match) return undefined;
	const cipher = match[1]!.toLowerCase();
	if (cipher === '3des') return '3des';
	if (cipher === 'des') return 'des';
	const bits = match[2] ?? '128';
	return normaliseEncryption(match[3]!.toLowerCase() === 'gcm' ? `aes${bits}gcm` : `aes${bits}`);
}

export function yamahaIntegrity(text: string | undefined): string | undefined {
	if (text === undefined || /^none$/i.test(text.trim())) return undefined;
	return normaliseIntegrity(
		text
			.trim()
			.replace(/^HMAC-/i, '')
			.replace(/^SHA$/i, 'sha1'),
	);
}

/** `AES-CBC, SHA-1, MODP 1024bit` (IKE) → the three; `AES-CBC (for Auth.: HMAC-SHA)` (ESP) → cipher and hash. */
type Algorithms = { encryption?: string; integrity?: string; dhGroup?: number };

export const yamahaAlgorithms = (text: string): Algorithms => rememberedAlgorithms(text) ?? {};
const rememberedAlgorithms = memoised(readAlgorithms);

function readAlgorithms(text: string): Algorithms {
	const result: { encryption?: string; integrity?: string; dhGroup?: number } = {};
	const esp = /^(\S+)\s*\((?:for Auth\.|認証)\s*:\s*([^)]+)\)$/i.exec(text.trim());
	const parts = esp ? [esp[1]!, esp[2]!] : text.split(',').map((part) => part.trim());
	for (const part of parts) {
		const encryption = yamahaEncryption(part);
		const group = /^MODP\s*\d+\s*bits?$|^ECP\s*\d+/i.test(part) ? dhGroupNumber(part) : undefined;
		if (encryption !== undefined) result.encryption = encryption;
		else if (group !== undefined) result.dhGroup = group;
		else {
			const integrity = yamahaIntegrity(part);
			if (integrity !== undefined) result.integrity = integrity;
		}
	}
	return result;
}
