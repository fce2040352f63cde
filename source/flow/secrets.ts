import { createHash, randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/**
 * Pre-shared keys are referenced, never stored: `env:VAR`, `file:PATH`, or generated here and shown
 * once. The state file keeps only the reference (`generated:<sha256-prefix>` for generated keys).
 */

export type ResolvedSecret = { value: string; reference: string; generated: boolean };

export class SecretError extends Error {
	constructor(
		readonly reference: string,
		readonly reason: 'envMissing' | 'fileUnreadable' | 'empty',
	) {
		super(`${reference}: ${reason}`);
		this.name = 'SecretError';
	}
}

/** AWS tunnel PSK rules (letters, digits, '.', '_'; 8–64; not starting with 0) also suit AW+ keys. */
const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export function generatePsk(length = 32): string {
	let text = '';
	for (let index = 0; index < length; index += 1) text += alphabet[randomInt(alphabet.length)];
	return text;
}

export function secretFingerprint(value: string): string {
	return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

export async function resolveSecret(
	reference: string | undefined,
	env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedSecret> {
	if (reference === undefined) {
		const value = generatePsk();
		return { value, reference: `generated:${secretFingerprint(value)}`, generated: true };
	}
	if (reference.startsWith('env:')) {
		const value = env[reference.slice(4)];
		if (!value) throw new SecretError(reference, 'envMissing');
		return { value, reference, generated: false };
	}
	if (reference.startsWith('file:')) {
		let value: string;
		try {
			value = (await readFile(reference.slice(5), 'utf8')).trim();
		} catch {
			throw new SecretError(reference, 'fileUnreadable');
		}
		if (!value) throw new SecretError(reference, 'empty');
		return { value, reference, generated: false };
	}
	throw new SecretError(reference, 'empty');
}

/** Replace every occurrence of the given secrets in text (logs, raw router output, bundles). */
export function redact(text: string, secrets: readonly string[]): string {
	let result = text;
	for (const secret of secrets) {
		if (secret.length >= 4) result = result.split(secret).join('********');
	}
	return result;
}
