/**
 * The SFTP subsystem of a simulated AW+ router: the flash (./flash.ts) as one flat folder `/`, enough
 * of the protocol for `sftp`/`scp -s` and ssh2's fastPut/fastGet: OPEN, READ, WRITE, CLOSE, STAT,
 * LSTAT, FSTAT, SETSTAT/FSETSTAT (accepted, ignored), REALPATH, OPENDIR, READDIR, REMOVE, RENAME.
 * Writes beyond the flash's free space fail as a full disk does.
 */
import { type FileHandle, open, rename } from 'node:fs/promises';
import type { Attributes, SFTPWrapper } from 'ssh2';
import ssh2 from 'ssh2';
import { type Flash, type FlashEntry, flashDate, flashName } from './flash.js';

const { OPEN_MODE, STATUS_CODE } = ssh2.utils.sftp;

type Handle =
	| { kind: 'file'; file: FileHandle; name: string; writable: boolean; size: number; room: number }
	| { kind: 'dir'; done: boolean };

const FILE_MODE = 0o100600;
const DIR_MODE = 0o040700;

function fileAttrs(entry: FlashEntry): Attributes {
	const seconds = Math.floor(entry.modified.getTime() / 1000);
	return { mode: FILE_MODE, uid: 0, gid: 0, size: entry.size, atime: seconds, mtime: seconds };
}

const rootAttrs = (): Attributes => {
	const seconds = Math.floor(Date.now() / 1000);
	return { mode: DIR_MODE, uid: 0, gid: 0, size: 4096, atime: seconds, mtime: seconds };
};

/** `/`, `.`, `flash:`, `/flash`… name the flash itself. */
function isRoot(path: string): boolean {
	return /^(?:\.?\/?|\/?flash:?\/?|\/flash\/?|\.\/?)$/i.test(path.trim());
}

export function serveSftp(sftp: SFTPWrapper, flash: Flash): void {
	const handles = new Map<number, Handle>();
	let nextHandle = 1;
	const newHandle = (handle: Handle): Buffer => {
		const id = nextHandle++;
		handles.set(id, handle);
		const buffer = Buffer.alloc(4);
		buffer.writeUInt32BE(id);
		return buffer;
	};
	const handleOf = (buffer: Buffer): [number, Handle] | undefined => {
		if (buffer.length !== 4) return undefined;
		const id = buffer.readUInt32BE(0);
		const handle = handles.get(id);
		return handle ? [id, handle] : undefined;
	};
	const fail = (reqId: number, error: unknown) =>
		sftp.status(reqId, STATUS_CODE.FAILURE, error instanceof Error ? error.message : String(error));

	sftp.on('REALPATH', (reqId, path) => {
		const name = isRoot(path) ? undefined : flashName(path);
		const full = name ? `/${name}` : '/';
		sftp.name(reqId, [{ filename: full, longname: full, attrs: rootAttrs() }]);
	});

	const stat = (reqId: number, path: string) => {
		if (isRoot(path)) return sftp.attrs(reqId, rootAttrs());
		const entry = flash.stat(path);
		if (!entry) return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
		sftp.attrs(reqId, fileAttrs(entry));
	};
	sftp.on('STAT', stat);
	sftp.on('LSTAT', stat);
	sftp.on('SETSTAT', (reqId) => sftp.status(reqId, STATUS_CODE.OK));
	sftp.on('FSETSTAT', (reqId) => sftp.status(reqId, STATUS_CODE.OK));
	sftp.on('MKDIR', (reqId) =>
		sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, 'Flash has no sub-directories'),
	);

	sftp.on('OPEN', async (reqId, filename, flags) => {
		const name = flashName(filename);
		if (!name) return sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, `Not a flash file name: ${filename}`);
		const writable = (flags & OPEN_MODE.WRITE) !== 0;
		const exists = flash.stat(name) !== undefined;
		if (!exists && !(flags & OPEN_MODE.CREAT))
			return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
		if (exists && flags & OPEN_MODE.EXCL && flags & OPEN_MODE.CREAT)
			return sftp.status(reqId, STATUS_CODE.FAILURE, 'File exists');
		let mode = 'r';
		if (writable) mode = flags & OPEN_MODE.TRUNC || !exists ? 'w+' : 'r+';
		if (flags & OPEN_MODE.APPEND) mode = 'a+';
		try {
			const file = await open(flash.pathOf(name), mode, 0o600);
			// size and room read once: a stat and a flash listing per WRITE would slow big copies down
			const size = (await file.stat()).size;
			sftp.handle(reqId, newHandle({ kind: 'file', file, name, writable, size, room: flash.free() }));
		} catch (error) {
			fail(reqId, error);
		}
	});

	sftp.on('WRITE', async (reqId, buffer, offset, data) => {
		const found = handleOf(buffer);
		if (found?.[1].kind !== 'file' || !found[1].writable)
			return sftp.status(reqId, STATUS_CODE.FAILURE, 'Bad handle');
		const handle = found[1];
		try {
			const growth = Math.max(0, offset + data.length - handle.size);
			if (growth > handle.room) return sftp.status(reqId, STATUS_CODE.FAILURE, 'No space left on device');
			handle.size += growth;
			handle.room -= growth;
			await handle.file.write(data, 0, data.length, offset);
			sftp.status(reqId, STATUS_CODE.OK);
		} catch (error) {
			fail(reqId, error);
		}
	});

	sftp.on('READ', async (reqId, buffer, offset, length) => {
		const found = handleOf(buffer);
		if (found?.[1].kind !== 'file') return sftp.status(reqId, STATUS_CODE.FAILURE, 'Bad handle');
		try {
			const chunk = Buffer.alloc(Math.min(length, 256 * 1024));
			const { bytesRead } = await found[1].file.read(chunk, 0, chunk.length, offset);
			if (bytesRead === 0) return sftp.status(reqId, STATUS_CODE.EOF);
			sftp.data(reqId, chunk.subarray(0, bytesRead));
		} catch (error) {
			fail(reqId, error);
		}
	});

	sftp.on('FSTAT', async (reqId, buffer) => {
		const found = handleOf(buffer);
		if (!found) return sftp.status(reqId, STATUS_CODE.FAILURE, 'Bad handle');
		const handle = found[1];
		if (handle.kind === 'dir') return sftp.attrs(reqId, rootAttrs());
		try {
			const stats = await handle.file.stat();
			sftp.attrs(reqId, fileAttrs({ name: handle.name, size: stats.size, modified: stats.mtime }));
		} catch (error) {
			fail(reqId, error);
		}
	});

	sftp.on('CLOSE', async (reqId, buffer) => {
		const found = handleOf(buffer);
		if (!found) return sftp.status(reqId, STATUS_CODE.FAILURE, 'Bad handle');
		const [id, handle] = found;
		handles.delete(id);
		try {
			if (handle.kind === 'file') await handle.file.close();
			sftp.status(reqId, STATUS_CODE.OK);
		} catch (error) {
			fail(reqId, error);
		}
	});

	sftp.on('OPENDIR', (reqId, path) => {
		if (!isRoot(path)) {
			return flash.stat(path)
				? sftp.status(reqId, STATUS_CODE.FAILURE, 'Not a directory')
				: sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such directory');
		}
		sftp.handle(reqId, newHandle({ kind: 'dir', done: false }));
	});

	sftp.on('READDIR', (reqId, buffer) => {
		const found = handleOf(buffer);
		if (found?.[1].kind !== 'dir') return sftp.status(reqId, STATUS_CODE.FAILURE, 'Bad handle');
		const handle = found[1];
		if (handle.done) return sftp.status(reqId, STATUS_CODE.EOF);
		handle.done = true;
		sftp.name(
			reqId,
			flash.list().map((entry) => ({
				filename: entry.name,
				longname: `-rw-------    1 manager  manager  ${String(entry.size).padStart(10)} ${flashDate(entry.modified)} ${entry.name}`,
				attrs: fileAttrs(entry),
			})),
		);
	});

	sftp.on('REMOVE', (reqId, path) => {
		try {
			if (flash.remove(path)) sftp.status(reqId, STATUS_CODE.OK);
			else sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
		} catch (error) {
			fail(reqId, error);
		}
	});

	sftp.on('RENAME', async (reqId, oldPath, newPath) => {
		if (!flash.stat(oldPath)) return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
		const target = flashName(newPath);
		if (!target)
			return sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, `Not a flash file name: ${newPath}`);
		try {
			await rename(flash.pathOf(oldPath), flash.pathOf(target));
			sftp.status(reqId, STATUS_CODE.OK);
		} catch (error) {
			fail(reqId, error);
		}
	});

	sftp.on('RMDIR', (reqId) =>
		sftp.status(reqId, STATUS_CODE.PERMISSION_DENIED, 'Flash has no sub-directories'),
	);
	sftp.on('READLINK', (reqId) => sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED, 'No links in flash'));
	sftp.on('SYMLINK', (reqId) => sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED, 'No links in flash'));

	sftp.on('close', () => {
		for (const handle of handles.values())
			if (handle.kind === 'file') void handle.file.close().catch(() => {});
		handles.clear();
	});
}
