import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync, unlinkSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type WrittenBlob = { blob: string; size: number; md5: Buffer };

/**
 * Object and part bodies as files in one folder (mode 0700), written as they stream in and renamed
 * into place only when complete, so a 440 MB disk image never sits in memory or in the JSON state.
 */
export class BlobStore {
	readonly dir: string;
	readonly #temporary: boolean;

	constructor(dir: string, options: { temporary?: boolean } = {}) {
		this.dir = dir;
		this.#temporary = options.temporary ?? false;
	}

	/** The folder is made on the first write, so a sandbox that never stores an object leaves none. */
	#ensureDir(): void {
		mkdirSync(this.dir, { recursive: true, mode: 0o700 });
	}

	path(blob: string): string {
		if (!/^[0-9a-f-]{36}$/.test(blob)) {
			throw new Error(`not a blob name: ${blob}`);
		}
		return join(this.dir, blob);
	}

	/** Writes every piece of `source`; on any error the partial file is removed and the error rethrown. */
	async write(source: AsyncIterable<Buffer>, onPiece?: (piece: Buffer) => void): Promise<WrittenBlob> {
		this.#ensureDir();
		const blob = randomUUID();
		const temporary = join(this.dir, `${blob}.part`);
		const md5 = createHash('md5');
		let size = 0;
		const handle = await open(temporary, 'w', 0o600);
		try {
			for await (const piece of source) {
				md5.update(piece);
				onPiece?.(piece);
				size += piece.length;
				let offset = 0;
				while (offset < piece.length) {
					const { bytesWritten } = await handle.write(piece, offset, piece.length - offset);
					offset += bytesWritten;
				}
			}
			await handle.close();
		} catch (error) {
			await handle.close().catch(() => undefined);
			rmSync(temporary, { force: true });
			throw error;
		}
		await rename(temporary, this.path(blob));
		return { blob, size, md5: md5.digest() };
	}

	/** One new blob holding the given blobs back to back (CompleteMultipartUpload). */
	async concat(blobs: readonly string[]): Promise<WrittenBlob> {
		this.#ensureDir();
		const blob = randomUUID();
		const temporary = join(this.dir, `${blob}.part`);
		const md5 = createHash('md5');
		let size = 0;
		try {
			const out = createWriteStream(temporary, { mode: 0o600 });
			const paths = blobs.map((name) => this.path(name));
			async function* all() {
				for (const path of paths) {
					for await (const piece of createReadStream(path)) {
						md5.update(piece as Buffer);
						size += (piece as Buffer).length;
						yield piece as Buffer;
					}
				}
			}
			await pipeline(all, out);
		} catch (error) {
			rmSync(temporary, { force: true });
			throw error;
		}
		await rename(temporary, this.path(blob));
		return { blob, size, md5: md5.digest() };
	}

	/** Bytes `start`..`end` inclusive (all when omitted). */
	read(blob: string, range?: { start: number; end: number }): Readable {
		return createReadStream(this.path(blob), range);
	}

	remove(blob: string): void {
		try {
			unlinkSync(this.path(blob));
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
		}
	}

	/** Removes the whole folder when it was a temporary one (sandbox without persistence). */
	dispose(): void {
		if (this.#temporary) rmSync(this.dir, { recursive: true, force: true });
	}
}
