import type { Lang, Translate } from '../i18n/index.js';

/** What every command gets: where to write, in which language. Commands never call process.exit. */
export type CommandIo = {
	stdout: NodeJS.WritableStream;
	stderr: NodeJS.WritableStream;
	stdin: NodeJS.ReadableStream;
	t: Translate;
	lang: Lang;
	env: NodeJS.ProcessEnv;
	cwd: string;
};

export function printJson(io: CommandIo, value: unknown): void {
	io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function readAll(stream: NodeJS.ReadableStream): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		stream.on('data', (chunk: Buffer | string) =>
			chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)),
		);
		stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
		stream.on('error', reject);
	});
}
