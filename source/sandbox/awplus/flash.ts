/**
 * The flash file system of a simulated AW+ router: a flat folder on the sandbox's disk (never memory:
 * release files are hundreds of megabytes). Names are AW+ file names, given bare (`default.cfg`) or
 * with the device (`flash:/default.cfg`, `flash:default.cfg`); SFTP clients may also say `/name`,
 * `/flash/name` or `./name`. No subfolders.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type FlashEntry = { name: string; size: number; modified: Date };

/** What the simulated flash holds in total: an AMF Cloud disk's flash partition (show system: 7.8GB). */
export const DEFAULT_FLASH_BYTES = 7.8 * 1024 ** 3;

const VALID_NAME = /^[\w.~@#$%^&()+{}=-]{1,64}$/;

/** `flash:/x`, `flash:x`, `/flash/x`, `/x`, `./x`, `x` → `x`; undefined when not a plain flash file name. */
export function flashName(path: string): string | undefined {
	let name = path.trim();
	name = name
		.replace(/^flash:\/?/i, '')
		.replace(/^\/+flash\/+/i, '')
		.replace(/^(?:\.\/|\/)+/, '');
	if (name === '' || name === '.' || name === '..' || !VALID_NAME.test(name)) return undefined;
	return name;
}

export class Flash {
	readonly root: string;
	readonly capacity: number;

	constructor(root: string, options: { capacity?: number } = {}) {
		this.root = root;
		this.capacity = options.capacity ?? DEFAULT_FLASH_BYTES;
		mkdirSync(root, { recursive: true, mode: 0o700 });
	}

	/** The file on disk for a flash name (the name checked). */
	pathOf(name: string): string {
		const plain = flashName(name);
		if (!plain) throw new Error(`"${name}" is not a flash file name.`);
		return join(this.root, plain);
	}

	list(): FlashEntry[] {
		return readdirSync(this.root, { withFileTypes: true })
			.filter(
				(entry) => entry.isFile() && !entry.name.startsWith('.') && flashName(entry.name) === entry.name,
			)
			.map((entry) => {
				const stat = statSync(join(this.root, entry.name));
				return { name: entry.name, size: stat.size, modified: stat.mtime };
			})
			.sort((a, b) => a.name.localeCompare(b.name));
	}

	stat(name: string): FlashEntry | undefined {
		const plain = flashName(name);
		if (!plain) return undefined;
		const file = join(this.root, plain);
		if (!existsSync(file)) return undefined;
		const stat = statSync(file);
		return stat.isFile() ? { name: plain, size: stat.size, modified: stat.mtime } : undefined;
	}

	used(): number {
		return this.list().reduce((sum, entry) => sum + entry.size, 0);
	}

	free(): number {
		return Math.max(0, this.capacity - this.used());
	}

	readText(name: string): string | undefined {
		return this.stat(name) ? readFileSync(this.pathOf(name), 'utf8') : undefined;
	}

	writeText(name: string, text: string): void {
		writeFileSync(this.pathOf(name), text, { mode: 0o600 });
	}

	remove(name: string): boolean {
		if (!this.stat(name)) return false;
		rmSync(this.pathOf(name));
		return true;
	}

	/** The first bytes of a file (release checks read the ISO 9660 descriptor at 0x8001). */
	head(name: string, bytes: number): Buffer {
		const data = readFileSync(this.pathOf(name));
		return data.subarray(0, bytes);
	}
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Nov 23 2026 16:21:48` (UTC), as AW+'s `dir` prints a file's time. */
export function flashDate(date: Date): string {
	const two = (value: number) => String(value).padStart(2, '0');
	return `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
}

/**
 * `dir`: one line per file, size right-aligned, permissions, time, then the name with its device.
 * Reconstructed from AW+ manuals' examples (`     630 -rw- Oct 14 2014 03:06:09  flash:/default.cfg`);
 * no verbatim capture of a cloud appliance was available.
 */
export function formatDir(entries: readonly FlashEntry[]): string[] {
	const width = Math.max(8, ...entries.map((entry) => String(entry.size).length));
	return entries.map(
		(entry) =>
			`${String(entry.size).padStart(width)} -rw- ${flashDate(entry.modified)}  flash:/${entry.name}`,
	);
}
