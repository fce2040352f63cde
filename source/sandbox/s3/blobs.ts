import { createHash, randomUUID } from 'node:crypto';
import {
	closeSync,
	createReadStream,
	mkdirSync,
	openSync,
	readdirSync,
	readSync,
	rmSync,
	unlinkSync,
} from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const WRITE_BATCH = 1024 * 1024;

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
			// Pieces are gathered into ~1 MiB batches: one writev per batch instead of one write per 64 KiB.
			let batch: Buffer[] = [];
			let batchSize = 0;
			const flush = async () => {
				if (batchSize === 0) return;
				const { bytesWritten } = await handle.writev(batch);
				if (bytesWritten !== batchSize) {
					// A short write: finish the rest plainly.
					const rest = Buffer.concat(batch).subarray(bytesWritten);
					let offset = 0;
					while (offset < rest.length) {
						offset += (await handle.write(rest, offset, rest.length - offset)).bytesWritten;
					}
				}
				batch = [];
				batchSize = 0;
			};
			for await (const piece of source) {
				md5.update(piece);
				onPiece?.(piece);
				size += piece.length;
				batch.push(piece);
				batchSize += piece.length;
				if (batchSize >= WRITE_BATCH) await flush();
			}
			await flush();
			await handle.close();
		} catch (error) {
			await handle.close().catch(() => undefined);
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

	/** Bytes `start`..`end` inclusive of the concatenation of `segments` (all when omitted). */
	readSegments(
		segments: readonly { blob: string; size: number }[],
		range?: { start: number; end: number },
	): Readable {
		const paths = segments.map((segment) => ({ path: this.path(segment.blob), size: segment.size }));
		const total = segments.reduce((sum, segment) => sum + segment.size, 0);
		const start = range?.start ?? 0;
		const end = range?.end ?? total - 1;
		async function* pieces() {
			let offset = 0;
			for (const segment of paths) {
				const segmentEnd = offset + segment.size - 1;
				if (segmentEnd >= start && offset <= end && segment.size > 0) {
					yield* createReadStream(segment.path, {
						start: Math.max(0, start - offset),
						end: Math.min(segment.size - 1, end - offset),
					});
				}
				offset += segment.size;
				if (offset > end) break;
			}
		}
		return Readable.from(pieces(), { objectMode: false });
	}

	/** Up to `length` bytes at `position` of the concatenation of `segments`, read synchronously. */
	readBytes(segments: readonly { blob: string; size: number }[], position: number, length: number): Buffer {
		const out = Buffer.alloc(length);
		let filled = 0;
		let offset = 0;
		for (const segment of segments) {
			if (filled >= length) break;
			const want = position + filled;
			if (want < offset + segment.size) {
				const fd = openSync(this.path(segment.blob), 'r');
				try {
					const count = Math.min(length - filled, offset + segment.size - want);
					readSync(fd, out, filled, count, want - offset);
					filled += count;
				} finally {
					closeSync(fd);
				}
			}
			offset += segment.size;
		}
		return out.subarray(0, filled);
	}

	/**
	 * Removes what a killed sandbox may have left: half-written `.part` files and bodies no record
	 * names any more. Run once at start, before any request.
	 */
	sweep(referenced: ReadonlySet<string>): void {
		let names: string[];
		try {
			names = readdirSync(this.dir);
		} catch {
			return;
		}
		for (const name of names) {
			const isBlob = /^[0-9a-f-]{36}$/.test(name);
			if ((isBlob && !referenced.has(name)) || /^[0-9a-f-]{36}\.part$/.test(name)) {
				rmSync(join(this.dir, name), { force: true });
			}
		}
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
