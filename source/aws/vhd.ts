import { open } from 'node:fs/promises';

/**
 * The vendor ships the appliance as a VHD (Microsoft "Virtual Hard Disk Image Format Specification"
 * v1.0): a 512-byte footer at the end of the file, cookie `conectix`, big-endian fields, a one's
 * complement checksum; dynamic disks keep a copy of it at offset 0. AWS's ImportSnapshot accepts fixed
 * and dynamic VHDs; a file that is not one fails there only after a long upload, so it is checked here
 * first, before anything is created in AWS.
 */

export const FOOTER_SIZE = 512;
/** The first bytes read: enough for the dynamic disk header (offset 512) and the ISO 9660 volume descriptor (0x8001). */
export const HEAD_SIZE = 0x8800;

export type VhdDiskType = 'fixed' | 'dynamic';

export type VhdFooter = {
	diskType: VhdDiskType;
	/** The disk's size as the guest sees it (bytes), from the footer's Current Size. */
	currentSize: number;
	/** Four characters naming the program that made the file, e.g. `qemu`, `win `, `vpc `. */
	creator: string;
	/** Where the footer starts in the file. */
	footerOffset: number;
};

/** What a file turned out to be when it is not a VHD AWS can import. */
export type NotVhdReason =
	| { what: 'empty' }
	| { what: 'unreadable'; code: string }
	| { what: 'iso' }
	| { what: 'qcow2' }
	| { what: 'vhdx' }
	| { what: 'vmdk' }
	| { what: 'vdi' }
	| { what: 'zip' }
	| { what: 'gzip' }
	| { what: 'xz' }
	| { what: 'seven-zip' }
	| { what: 'tar' }
	| { what: 'differencing' }
	| { what: 'unsupported-type'; diskType: number }
	| { what: 'bad-checksum'; expected: number; found: number }
	| { what: 'truncated'; expectedSize?: number }
	| { what: 'header-mismatch' }
	| { what: 'no-footer' };

export type VhdCheck = { ok: true; footer: VhdFooter } | { ok: false; reason: NotVhdReason };

const cookie = Buffer.from('conectix', 'latin1');

/** The footer's checksum: the one's complement of the sum of its bytes, the checksum field (64–67) read as zeros. */
export function footerChecksum(footer: Buffer): number {
	let sum = 0;
	for (let index = 0; index < FOOTER_SIZE; index++) {
		if (index >= 64 && index < 68) continue;
		sum = (sum + (footer[index] ?? 0)) >>> 0;
	}
	return ~sum >>> 0;
}

type ParsedFooter =
	| { ok: true; diskType: number; currentSize: number; creator: string; dataOffset: bigint }
	| { ok: false; reason: NotVhdReason };

function parseFooter(footer: Buffer): ParsedFooter | undefined {
	if (footer.length < FOOTER_SIZE || !footer.subarray(0, 8).equals(cookie)) return undefined;
	const expected = footerChecksum(footer);
	const found = footer.readUInt32BE(64);
	if (expected !== found) return { ok: false, reason: { what: 'bad-checksum', expected, found } };
	return {
		ok: true,
		dataOffset: footer.readBigUInt64BE(16),
		creator: footer.toString('latin1', 28, 32),
		currentSize: Number(footer.readBigUInt64BE(48)),
		diskType: footer.readUInt32BE(60),
	};
}

/** Recognise other formats by their magic numbers, to say what the file is rather than only what it is not. */
function otherFormat(head: Buffer): NotVhdReason | undefined {
	const starts = (text: string | number[], at = 0) => {
		const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : Buffer.from(text);
		return head.length >= at + bytes.length && head.subarray(at, at + bytes.length).equals(bytes);
	};
	if (starts('QFI\xfb')) return { what: 'qcow2' };
	if (starts('vhdxfile')) return { what: 'vhdx' };
	if (starts('KDMV') || starts('# Disk DescriptorFile')) return { what: 'vmdk' };
	if (starts('<<< ') && head.includes('VirtualBox', 0, 'latin1')) return { what: 'vdi' };
	if (starts([0x7f, 0x10, 0xda, 0xbe], 0x40)) return { what: 'vdi' };
	if (starts('PK\x03\x04')) return { what: 'zip' };
	if (starts([0x1f, 0x8b])) return { what: 'gzip' };
	if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return { what: 'xz' };
	if (starts([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return { what: 'seven-zip' };
	if (starts('ustar', 257)) return { what: 'tar' };
	// ISO 9660: the first volume descriptor at sector 16 (0x8000) reads "\x01CD001" (or another type byte)
	if (starts('CD001', 0x8001)) return { what: 'iso' };
	return undefined;
}

/**
 * Judge a file from its first bytes (`head`, up to HEAD_SIZE), its last 512 bytes (`tail`) and its
 * size. Pure: the caller reads the bytes (readDiskImageEnds).
 */
export function checkVhd(head: Buffer, tail: Buffer, fileSize: number): VhdCheck {
	if (fileSize === 0) return { ok: false, reason: { what: 'empty' } };
	const footer = parseFooter(tail);
	// Virtual PC before 2004 wrote a 511-byte footer: the cookie then starts one byte into the last 512.
	const short =
		!footer && tail.length === FOOTER_SIZE
			? parseFooter(Buffer.concat([tail.subarray(1), Buffer.alloc(1)]))
			: undefined;
	const parsed = footer ?? short;
	const footerOffset = fileSize - (footer ? FOOTER_SIZE : FOOTER_SIZE - 1);
	if (!parsed) {
		const other = otherFormat(head);
		if (other) return { ok: false, reason: other };
		// A dynamic VHD cut short (an interrupted download) still has the footer's copy at offset 0.
		const copy = parseFooter(head.subarray(0, FOOTER_SIZE));
		if (copy?.ok && copy.diskType === 3) return { ok: false, reason: { what: 'truncated' } };
		return { ok: false, reason: { what: 'no-footer' } };
	}
	if (!parsed.ok) return parsed;
	if (parsed.diskType === 4) return { ok: false, reason: { what: 'differencing' } };
	if (parsed.diskType !== 2 && parsed.diskType !== 3) {
		return { ok: false, reason: { what: 'unsupported-type', diskType: parsed.diskType } };
	}
	if (parsed.diskType === 2) {
		// A fixed disk is its data followed by the footer: any other size means a cut or padded file.
		const expectedSize = parsed.currentSize + (fileSize - footerOffset);
		if (expectedSize !== fileSize) return { ok: false, reason: { what: 'truncated', expectedSize } };
	} else {
		const copy = head.subarray(0, FOOTER_SIZE);
		const tailFooter = footer ? tail : Buffer.concat([tail.subarray(1), Buffer.alloc(1)]);
		if (!copy.equals(tailFooter)) return { ok: false, reason: { what: 'header-mismatch' } };
	}
	return {
		ok: true,
		footer: {
			diskType: parsed.diskType === 2 ? 'fixed' : 'dynamic',
			currentSize: parsed.currentSize,
			creator: parsed.creator,
			footerOffset,
		},
	};
}

/** The first HEAD_SIZE bytes and the last 512 bytes of a file, and its size (I/O edge of checkVhd). */
export async function readDiskImageEnds(path: string): Promise<{ head: Buffer; tail: Buffer; size: number }> {
	const file = await open(path, 'r');
	try {
		const { size } = await file.stat();
		const head = Buffer.alloc(Math.min(HEAD_SIZE, size));
		if (head.length > 0) await file.read(head, 0, head.length, 0);
		const tail = Buffer.alloc(Math.min(FOOTER_SIZE, size));
		if (tail.length > 0) await file.read(tail, 0, tail.length, size - tail.length);
		return { head, tail, size };
	} finally {
		await file.close();
	}
}
