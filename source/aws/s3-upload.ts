import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import {
	AbortMultipartUploadCommand,
	CompleteMultipartUploadCommand,
	CreateMultipartUploadCommand,
	ListMultipartUploadsCommand,
	ListPartsCommand,
	type S3Client,
	UploadPartCommand,
} from '@aws-sdk/client-s3';
import { hasCode } from './errors.js';
import type { CallOptions } from './wait.js';

/**
 * A resumable S3 multipart upload of a local file. lib-storage's Upload cannot continue an upload
 * it did not start (it has no way to take an existing UploadId) and hides the UploadId until it is
 * done, so every upload goes through this one path instead: CreateMultipartUpload (the caller records
 * the UploadId at once), UploadPart for each part not yet in ListParts — parallel, each part read
 * from its own range of the file — then CompleteMultipartUpload. A killed run loses at most the parts
 * in flight.
 */

const MiB = 1024 * 1024;
/** S3's ceiling on parts per upload. */
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 8 * MiB;

/** The part size for a file: at least `minimum` (8 MiB), whole MiB, few enough parts for S3's 10,000. */
export function partSizeFor(size: number, minimum = MIN_PART_SIZE): number {
	const needed = Math.ceil(size / MAX_PARTS);
	return Math.max(minimum, Math.ceil(needed / MiB) * MiB);
}

/** How many parts and how long each is (the last one is the remainder). */
export function partLayout(
	size: number,
	partSize: number,
): { count: number; sizeOf: (part: number) => number } {
	const count = Math.max(1, Math.ceil(size / partSize));
	return {
		count,
		sizeOf: (part) => (part < count ? partSize : size - partSize * (count - 1)),
	};
}

export type UploadedPart = { PartNumber: number; ETag: string; Size?: number };

/** Which parts still need uploading: those ListParts does not show with the expected size. */
export function missingParts(size: number, partSize: number, uploaded: readonly UploadedPart[]): number[] {
	const layout = partLayout(size, partSize);
	const good = new Set(
		uploaded
			.filter((part) => part.Size === undefined || part.Size === layout.sizeOf(part.PartNumber))
			.map((part) => part.PartNumber),
	);
	const missing: number[] = [];
	for (let part = 1; part <= layout.count; part++) if (!good.has(part)) missing.push(part);
	return missing;
}

/** What identifies "the same file" between runs without reading all of it: size, mtime, and a hash of both ends. */
export type FileFingerprint = { size: number; mtimeMs: number; sample: string };

export async function fingerprintFile(path: string): Promise<FileFingerprint> {
	const file = await open(path, 'r');
	try {
		const { size, mtimeMs } = await file.stat();
		const hash = createHash('sha256');
		const first = Buffer.alloc(Math.min(MiB, size));
		await file.read(first, 0, first.length, 0);
		hash.update(first);
		const last = Buffer.alloc(Math.min(MiB, size));
		await file.read(last, 0, last.length, size - last.length);
		hash.update(last);
		return { size, mtimeMs: Math.trunc(mtimeMs), sample: hash.digest('hex') };
	} finally {
		await file.close();
	}
}

export function sameFingerprint(a: FileFingerprint | undefined, b: FileFingerprint | undefined): boolean {
	return (
		a !== undefined &&
		b !== undefined &&
		a.size === b.size &&
		a.mtimeMs === b.mtimeMs &&
		a.sample === b.sample
	);
}

/** Bytes done and total, with the rate over the last few seconds and the time left at that rate. */
export type UploadProgress = {
	loaded: number;
	total: number;
	partsDone: number;
	partsTotal: number;
	bytesPerSecond: number;
	etaSeconds?: number;
};

/** A sliding-window rate meter (pure: the caller passes the clock). */
export class RateMeter {
	private readonly samples: { at: number; loaded: number }[] = [];
	constructor(private readonly windowMs = 5000) {}

	add(at: number, loaded: number): void {
		this.samples.push({ at, loaded });
		while (this.samples.length > 2 && at - (this.samples[1]?.at ?? at) >= this.windowMs) this.samples.shift();
	}

	/** Bytes per second over the window; 0 until two samples are apart in time. */
	rate(): number {
		const first = this.samples[0];
		const last = this.samples[this.samples.length - 1];
		if (!first || !last || last.at <= first.at) return 0;
		return ((last.loaded - first.loaded) * 1000) / (last.at - first.at);
	}
}

export function progressOf(
	loaded: number,
	total: number,
	parts: { done: number; total: number },
	rate: number,
): UploadProgress {
	const progress: UploadProgress = {
		loaded,
		total,
		partsDone: parts.done,
		partsTotal: parts.total,
		bytesPerSecond: rate,
	};
	if (rate > 0) progress.etaSeconds = Math.max(0, (total - loaded) / rate);
	return progress;
}

export type UploadTarget = { bucket: string; key: string };

export async function createMultipartUpload(
	s3: S3Client,
	target: UploadTarget & { tags?: Record<string, string> },
	options: CallOptions = {},
): Promise<string> {
	const tagging = target.tags ? new URLSearchParams(Object.entries(target.tags)).toString() : undefined;
	const output = await s3.send(
		new CreateMultipartUploadCommand({
			Bucket: target.bucket,
			Key: target.key,
			ContentType: 'application/octet-stream',
			...(tagging ? { Tagging: tagging } : {}),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
	return output.UploadId;
}

/** The parts S3 holds for an upload; undefined when the upload no longer exists (completed, aborted or expired). */
export async function listUploadedParts(
	s3: S3Client,
	target: UploadTarget & { uploadId: string },
	options: CallOptions = {},
): Promise<UploadedPart[] | undefined> {
	const parts: UploadedPart[] = [];
	let marker: string | undefined;
	try {
		for (;;) {
			const output = await s3.send(
				new ListPartsCommand({
					Bucket: target.bucket,
					Key: target.key,
					UploadId: target.uploadId,
					...(marker ? { PartNumberMarker: marker } : {}),
				}),
				{ abortSignal: options.signal },
			);
			for (const part of output.Parts ?? []) {
				if (part.PartNumber && part.ETag) {
					parts.push({
						PartNumber: part.PartNumber,
						ETag: part.ETag,
						...(part.Size !== undefined ? { Size: part.Size } : {}),
					});
				}
			}
			if (!output.IsTruncated || !output.NextPartNumberMarker) break;
			marker = output.NextPartNumberMarker;
		}
	} catch (error) {
		if (hasCode(error, 'NoSuchUpload')) return undefined;
		throw error;
	}
	return parts;
}

/** The unfinished uploads of one key (ListMultipartUploads with the key as prefix, exact matches only). */
export async function listUploadsOfKey(
	s3: S3Client,
	target: UploadTarget,
	options: CallOptions = {},
): Promise<{ uploadId: string; initiated?: Date }[]> {
	const uploads: { uploadId: string; initiated?: Date }[] = [];
	let keyMarker: string | undefined;
	let uploadIdMarker: string | undefined;
	for (;;) {
		const output = await s3.send(
			new ListMultipartUploadsCommand({
				Bucket: target.bucket,
				Prefix: target.key,
				...(keyMarker ? { KeyMarker: keyMarker } : {}),
				...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
			}),
			{ abortSignal: options.signal },
		);
		for (const upload of output.Uploads ?? []) {
			if (upload.Key === target.key && upload.UploadId) {
				uploads.push({
					uploadId: upload.UploadId,
					...(upload.Initiated ? { initiated: upload.Initiated } : {}),
				});
			}
		}
		if (!output.IsTruncated) break;
		keyMarker = output.NextKeyMarker;
		uploadIdMarker = output.NextUploadIdMarker;
		if (!keyMarker && !uploadIdMarker) break;
	}
	return uploads;
}

/** AbortMultipartUpload; an upload that is already gone is fine. */
export async function abortMultipartUpload(
	s3: S3Client,
	target: UploadTarget & { uploadId: string },
	options: CallOptions = {},
): Promise<void> {
	try {
		await s3.send(
			new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: target.uploadId }),
			{ abortSignal: options.signal },
		);
	} catch (error) {
		if (hasCode(error, 'NoSuchUpload', 'NoSuchBucket')) return;
		throw error;
	}
}

export type UploadPartsInput = UploadTarget & {
	path: string;
	uploadId: string;
	size: number;
	partSize: number;
	/** Parts S3 already holds (from ListParts): only the others are sent. */
	uploaded: readonly UploadedPart[];
	/** Parts in flight at once (default 8). */
	concurrency?: number;
	onProgress?: (progress: UploadProgress) => void;
	/** Called after each part S3 accepted (tests use it to kill a run mid-upload). */
	onPart?: (part: UploadedPart) => void;
	now?: () => number;
};

/** Send the missing parts in parallel; returns every part of the upload, in order, for CompleteMultipartUpload. */
export async function uploadMissingParts(
	s3: S3Client,
	input: UploadPartsInput,
	options: CallOptions = {},
): Promise<UploadedPart[]> {
	const layout = partLayout(input.size, input.partSize);
	const missing = missingParts(input.size, input.partSize, input.uploaded);
	const done = new Map<number, UploadedPart>();
	for (const part of input.uploaded) {
		if (!missing.includes(part.PartNumber) && part.PartNumber <= layout.count)
			done.set(part.PartNumber, part);
	}
	const now = input.now ?? Date.now;
	const meter = new RateMeter();
	let loaded = [...done.keys()].reduce((sum, part) => sum + layout.sizeOf(part), 0);
	meter.add(now(), loaded);
	const report = () =>
		input.onProgress?.(
			progressOf(loaded, input.size, { done: done.size, total: layout.count }, meter.rate()),
		);
	report();
	const file: FileHandle = await open(input.path, 'r');
	const queue = [...missing];
	let failure: { error: unknown } | undefined;
	const work = async () => {
		for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
			options.signal?.throwIfAborted();
			const length = layout.sizeOf(next);
			const body = Buffer.allocUnsafe(length);
			const { bytesRead } = await file.read(body, 0, length, (next - 1) * input.partSize);
			if (bytesRead !== length)
				throw new Error(`${input.path} changed while uploading (short read of part ${next})`);
			const output = await s3.send(
				new UploadPartCommand({
					Bucket: input.bucket,
					Key: input.key,
					UploadId: input.uploadId,
					PartNumber: next,
					Body: body,
					ContentLength: length,
				}),
				{ abortSignal: options.signal },
			);
			if (!output.ETag) throw new Error(`UploadPart ${next} returned no ETag`);
			const part = { PartNumber: next, ETag: output.ETag, Size: length };
			done.set(next, part);
			loaded += length;
			meter.add(now(), loaded);
			input.onPart?.(part);
			report();
		}
	};
	// The first failure stops the others from taking new parts; the file stays open until all have returned.
	const worker = async () => {
		try {
			await work();
		} catch (error) {
			failure ??= { error };
			queue.length = 0;
		}
	};
	try {
		const workers = Array.from(
			{ length: Math.max(1, Math.min(input.concurrency ?? 8, missing.length)) },
			worker,
		);
		await Promise.all(workers);
	} finally {
		await file.close();
	}
	if (failure) throw failure.error;
	return [...done.values()].sort((a, b) => a.PartNumber - b.PartNumber);
}

export async function completeMultipartUpload(
	s3: S3Client,
	target: UploadTarget & { uploadId: string; parts: readonly UploadedPart[] },
	options: CallOptions = {},
): Promise<string | undefined> {
	const output = await s3.send(
		new CompleteMultipartUploadCommand({
			Bucket: target.bucket,
			Key: target.key,
			UploadId: target.uploadId,
			MultipartUpload: {
				Parts: target.parts.map((part) => ({ PartNumber: part.PartNumber, ETag: part.ETag })),
			},
		}),
		{ abortSignal: options.signal },
	);
	return output.ETag;
}
