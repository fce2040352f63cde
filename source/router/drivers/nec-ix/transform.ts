/** NEC IX transform names: `ESP-AES-256-HMAC-SHA2-512-256` → `aes256` + `sha512`, `ESP-3DES-HMAC-SHA1-96`. */
import { memoised, normaliseEncryption, normaliseIntegrity } from '../shared/field-values.js';

type Transform = { encryption?: string; integrity?: string };

export const necTransformOf = (text: string): Transform => rememberedTransform(text) ?? {};
const rememberedTransform = memoised(readTransform);

function readTransform(text: string): Transform {
	const upper = text.trim().toUpperCase();
	const [cipher = '', hmac] = upper.replace(/^(?:ESP|AH)-/, '').split('-HMAC-');
	const result: { encryption?: string; integrity?: string } = {};
	const encryption = cipher === '' ? undefined : normaliseEncryption(cipher);
	if (encryption !== undefined) result.encryption = encryption;
	const integrity = hmac === undefined ? undefined : normaliseIntegrity(hmac);
	if (integrity !== undefined) result.integrity = integrity;
	return result;
}
