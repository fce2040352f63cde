import { createInterface } from 'node:readline/promises';
import type { CommandIo } from './io.js';

/** Ask y/N on a terminal; anything but yes is no. Never asks when stdin is not a terminal. */
export async function confirm(io: CommandIo, question: string): Promise<boolean> {
	const stdin = io.stdin as NodeJS.ReadStream;
	if (!stdin.isTTY) return false;
	const reader = createInterface({ input: stdin, output: io.stderr });
	try {
		const answer = await reader.question(`${question} [y/N] `);
		return /^(y|yes|はい)$/i.test(answer.trim());
	} finally {
		reader.close();
	}
}
