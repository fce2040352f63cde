import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = join(root, 'dist', 'cli.js');
export const exampleAnswers = join(root, 'flows', 'examples', 'single-appliance.yaml');

export function tempDir(prefix = 'kakehashi-e2e-'): Promise<string> {
	return mkdtemp(join(tmpdir(), prefix));
}

/** Run the built CLI as a user would: real process, exit code, stdout and stderr. */
export function kakehashi(
	args: string[],
	options: { cwd: string; input?: string; env?: Record<string, string> },
) {
	return execa(process.execPath, [cli, ...args], {
		cwd: options.cwd,
		input: options.input ?? '',
		reject: false,
		env: { LANG: 'en_US.UTF-8', HOME: options.cwd, ...options.env },
		timeout: 120_000,
	});
}
