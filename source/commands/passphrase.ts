import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import ssh2 from 'ssh2';
import type { CommandIo } from './io.js';

/** True when the key file is encrypted and cannot be read without a passphrase. */
export function needsPassphrase(privateKey: Buffer): boolean {
	const parsed = ssh2.utils.parseKey(privateKey);
	return parsed instanceof Error && /passphrase/i.test(parsed.message);
}

/**
 * The passphrase of an encrypted private key: `KAKEHASHI_KEY_PASSPHRASE` when set (for scripts; an
 * ssh-agent is the better choice), else asked once on the terminal without echo. Undefined when the
 * key is not encrypted or nobody can be asked (the session then says the passphrase is missing).
 */
export function passphraseAsker(
	io: CommandIo,
): (label: string, privateKey: Buffer) => Promise<string | undefined> {
	const remembered = new Map<string, string>();
	return async (label, privateKey) => {
		if (!needsPassphrase(privateKey)) return undefined;
		const fromEnv = io.env.KAKEHASHI_KEY_PASSPHRASE;
		if (fromEnv) return fromEnv;
		const known = remembered.get(label);
		if (known !== undefined) return known;
		const stdin = io.stdin as NodeJS.ReadStream;
		if (!stdin.isTTY) return undefined;
		let muted = false;
		const output = new Writable({
			write(chunk, _encoding, callback) {
				if (!muted) io.stderr.write(chunk);
				callback();
			},
		});
		const reader = createInterface({ input: stdin, output, terminal: true });
		try {
			const question = reader.question(io.t('monitor.passphrase', { key: label }));
			muted = true;
			const answer = await question;
			io.stderr.write('\n');
			remembered.set(label, answer);
			return answer;
		} finally {
			reader.close();
		}
	};
}
