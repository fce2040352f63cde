import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkVhd, FOOTER_SIZE, footerChecksum, readDiskImageEnds } from '../../source/aws/vhd.js';

/** A VHD footer as the specification lays it out, with a correct checksum unless told otherwise. */
function footer(
	options: { diskType?: number; currentSize?: number; dataOffset?: bigint; checksum?: number } = {},
) {
	const buffer = Buffer.alloc(FOOTER_SIZE);
	buffer.write('conectix', 0, 'latin1');
	buffer.writeUInt32BE(2, 8);
	buffer.writeUInt32BE(0x00010000, 12);
	buffer.writeBigUInt64BE(options.dataOffset ?? 0xffffffffffffffffn, 16);
	buffer.write('test', 28, 'latin1');
	buffer.writeBigUInt64BE(BigInt(options.currentSize ?? 4096), 40);
	buffer.writeBigUInt64BE(BigInt(options.currentSize ?? 4096), 48);
	buffer.writeUInt32BE(options.diskType ?? 2, 60);
	buffer.writeUInt32BE(options.checksum ?? footerChecksum(buffer), 64);
	return buffer;
}

/** A whole file in memory: data then footer (fixed), or footer copy, data, footer (dynamic). */
function fixedFile(size = 4096) {
	return Buffer.concat([Buffer.alloc(size), footer({ currentSize: size })]);
}

function dynamicFile() {
	const end = footer({ diskType: 3, dataOffset: 512n, currentSize: 1 << 20 });
	return Buffer.concat([end, Buffer.alloc(2048), end]);
}

function judge(file: Buffer) {
	return checkVhd(
		file.subarray(0, 0x8800),
		file.subarray(Math.max(0, file.length - FOOTER_SIZE)),
		file.length,
	);
}

describe('checkVhd (crafted files)', () => {
	const iso = Buffer.alloc(0x9000);
	iso.write('\x01CD001', 0x8000, 'latin1');
	const qcow2 = Buffer.concat([Buffer.from('QFI\xfb\0\0\0\x03', 'latin1'), Buffer.alloc(4096)]);
	const zip = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(1024)]);
	const tar = Buffer.alloc(1024);
	tar.write('ustar', 257, 'latin1');
	const badSum = Buffer.concat([Buffer.alloc(4096), footer({ currentSize: 4096, checksum: 1234 })]);
	const differencing = Buffer.concat([Buffer.alloc(4096), footer({ diskType: 4, currentSize: 4096 })]);
	const reserved = Buffer.concat([Buffer.alloc(4096), footer({ diskType: 5, currentSize: 4096 })]);
	const cutFixed = fixedFile().subarray(1024);
	const dynamic = dynamicFile();
	const cutDynamic = dynamic.subarray(0, dynamic.length - 700);
	const mismatch = Buffer.from(dynamic);
	mismatch[100] = 0x55; // the copy at offset 0 no longer equals the footer at the end
	const shortFooter = Buffer.concat([Buffer.alloc(4096), footer({ currentSize: 4096 }).subarray(0, 511)]);

	const cases: [string, Buffer, unknown][] = [
		['empty file', Buffer.alloc(0), { ok: false, reason: { what: 'empty' } }],
		['ISO 9660 (CD001 at 0x8001)', iso, { ok: false, reason: { what: 'iso' } }],
		['QCOW2', qcow2, { ok: false, reason: { what: 'qcow2' } }],
		['ZIP archive', zip, { ok: false, reason: { what: 'zip' } }],
		['tar archive', tar, { ok: false, reason: { what: 'tar' } }],
		['random bytes', Buffer.alloc(2048, 7), { ok: false, reason: { what: 'no-footer' } }],
		['bad checksum', badSum, { ok: false, reason: { what: 'bad-checksum' } }],
		['differencing disk', differencing, { ok: false, reason: { what: 'differencing' } }],
		['reserved disk type', reserved, { ok: false, reason: { what: 'unsupported-type', diskType: 5 } }],
		['fixed disk cut short', cutFixed, { ok: false, reason: { what: 'truncated', expectedSize: 4608 } }],
		['dynamic disk cut short', cutDynamic, { ok: false, reason: { what: 'truncated' } }],
		['dynamic disk, footer copy differs', mismatch, { ok: false, reason: { what: 'header-mismatch' } }],
		['fixed disk', fixedFile(), { ok: true, footer: { diskType: 'fixed', currentSize: 4096 } }],
		['dynamic disk', dynamic, { ok: true, footer: { diskType: 'dynamic', currentSize: 1 << 20 } }],
		['511-byte footer (Virtual PC before 2004)', shortFooter, { ok: true, footer: { diskType: 'fixed' } }],
	];
	it.each(cases)('%s', (_name, file, expected) => {
		expect(judge(file)).toMatchObject(expected as object);
	});

	it('the checksum is the one’s complement of the byte sum without the checksum field', () => {
		const buffer = footer();
		let sum = 0;
		for (const [index, byte] of buffer.entries()) if (index < 64 || index >= 68) sum += byte;
		expect(buffer.readUInt32BE(64)).toBe(~sum >>> 0);
	});
});

describe('checkVhd on files made by qemu-img', () => {
	let dir: string;
	beforeAll(async () => {
		dir = await mkdtemp(join(tmpdir(), 'kakehashi-vhd-'));
	});
	afterAll(async () => {
		await rm(dir, { recursive: true, force: true });
	});

	const made = (name: string, ...args: string[]) => {
		const path = join(dir, name);
		execFileSync('qemu-img', ['create', ...args, path, '64M'], { stdio: 'ignore' });
		return path;
	};

	it('a dynamic VHD (qemu-img create -f vpc)', async () => {
		const ends = await readDiskImageEnds(made('dynamic.vhd', '-f', 'vpc'));
		const check = checkVhd(ends.head, ends.tail, ends.size);
		expect(check).toMatchObject({ ok: true, footer: { diskType: 'dynamic', creator: 'qemu' } });
		// qemu rounds the size to whole CHS cylinders: at least what was asked
		expect(check.ok && check.footer.currentSize).toBeGreaterThanOrEqual(64 * 1024 * 1024 - 512 * 1024);
	});

	it('a fixed VHD (-o subformat=fixed): data then footer', async () => {
		const ends = await readDiskImageEnds(made('fixed.vhd', '-f', 'vpc', '-o', 'subformat=fixed'));
		const check = checkVhd(ends.head, ends.tail, ends.size);
		expect(check).toMatchObject({ ok: true, footer: { diskType: 'fixed' } });
		expect(check.ok && check.footer.currentSize + 512).toBe(ends.size);
	});

	it('a QCOW2 image is named as such', async () => {
		const ends = await readDiskImageEnds(made('disk.qcow2', '-f', 'qcow2'));
		expect(checkVhd(ends.head, ends.tail, ends.size)).toEqual({ ok: false, reason: { what: 'qcow2' } });
	});

	it('an empty file', async () => {
		const path = join(dir, 'empty.vhd');
		await writeFile(path, '');
		const ends = await readDiskImageEnds(path);
		expect(checkVhd(ends.head, ends.tail, ends.size)).toEqual({ ok: false, reason: { what: 'empty' } });
	});
});
