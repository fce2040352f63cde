import { randomBytes } from 'node:crypto';
import {
	CreateBucketCommand,
	DeleteBucketCommand,
	DeleteObjectCommand,
	HeadBucketCommand,
	type S3Client,
} from '@aws-sdk/client-s3';
import { errorCodeOf, hasCode } from './errors.js';
import type { CallOptions } from './wait.js';

/**
 * The temporary bucket the VHD is uploaded to before ImportSnapshot reads it. Bucket names are
 * global across all AWS accounts, so a default name carries the account and the region.
 */

export type BucketNameRule =
	| 'length'
	| 'characters'
	| 'edges'
	| 'adjacentDots'
	| 'ipAddress'
	| 'reservedPrefix'
	| 'reservedSuffix';

const reservedPrefixes = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const reservedSuffixes = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** S3's naming rules for general purpose buckets; undefined when the name is valid. */
export function bucketNameProblem(name: string): BucketNameRule | undefined {
	if (name.length < 3 || name.length > 63) return 'length';
	if (!/^[a-z0-9.-]+$/.test(name)) return 'characters';
	if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'edges';
	if (name.includes('..')) return 'adjacentDots';
	if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'ipAddress';
	if (reservedPrefixes.some((prefix) => name.startsWith(prefix))) return 'reservedPrefix';
	if (reservedSuffixes.some((suffix) => name.endsWith(suffix))) return 'reservedSuffix';
	return undefined;
}

/** `kakehashi-<account>-<region>`: unique to this account and region, so it is free unless someone squats it. */
export function defaultBucketName(account: string, region: string): string {
	return `kakehashi-${account}-${region}`
		.toLowerCase()
		.slice(0, 63)
		.replace(/[^a-z0-9]+$/, '');
}

/** Names to offer when a bucket name is taken: the name with a short random suffix, within 63 characters. */
export function bucketNameCandidates(
	taken: string,
	count = 3,
	random: () => string = randomSuffix,
): string[] {
	const candidates: string[] = [];
	for (let index = 0; index < count; index++) {
		const suffix = `-${random()}`;
		const base = taken.slice(0, 63 - suffix.length).replace(/[^a-z0-9]+$/, '');
		candidates.push(`${base}${suffix}`);
	}
	return candidates;
}

function randomSuffix(): string {
	return randomBytes(3).toString('hex');
}

/** The name belongs to another AWS account (bucket names are global). */
export class BucketTakenError extends Error {
	constructor(
		readonly bucket: string,
		/** A name HeadBucket found free (or already yours, in this region), when one was. */
		readonly suggestion: string | undefined,
	) {
		super(
			`The S3 bucket name "${bucket}" is taken by another AWS account (bucket names are global).` +
				(suggestion
					? ` Pass --bucket ${suggestion} (that name is available to you).`
					: ' Pass --bucket with another name.'),
		);
		this.name = 'BucketTakenError';
	}
}

/** The bucket is ours but in another region: ImportSnapshot reads only buckets of its own region. */
export class BucketRegionError extends Error {
	constructor(
		readonly bucket: string,
		readonly bucketRegion: string,
		readonly region: string,
	) {
		super(
			`The S3 bucket "${bucket}" is in ${bucketRegion}, but the image is imported in ${region}; ` +
				'ImportSnapshot reads only a bucket of its own region. Pass --bucket with a bucket in that region (or a new name).',
		);
		this.name = 'BucketRegionError';
	}
}

type HeadOutcome =
	| { state: 'ours'; region?: string }
	| { state: 'absent' }
	| { state: 'elsewhere'; region: string }
	| { state: 'foreign' };

function statusOf(error: unknown): number | undefined {
	return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function bucketRegionHeader(error: unknown): string | undefined {
	const headers = (error as { $response?: { headers?: Record<string, string> } }).$response?.headers;
	return headers?.['x-amz-bucket-region'];
}

/** HeadBucket: 200 ours (or shared with us), 404 free, 301 ours in another region, 403 someone else's. */
export async function headBucket(
	s3: S3Client,
	bucket: string,
	options: CallOptions & { account?: string } = {},
): Promise<HeadOutcome> {
	try {
		const output = await s3.send(
			new HeadBucketCommand({
				Bucket: bucket,
				...(options.account && /^\d{12}$/.test(options.account)
					? { ExpectedBucketOwner: options.account }
					: {}),
			}),
			{ abortSignal: options.signal },
		);
		return output.BucketRegion ? { state: 'ours', region: output.BucketRegion } : { state: 'ours' };
	} catch (error) {
		const status = statusOf(error);
		if (status === 404 || hasCode(error, 'NotFound', 'NoSuchBucket')) return { state: 'absent' };
		if (status === 301 || hasCode(error, 'PermanentRedirect')) {
			return { state: 'elsewhere', region: bucketRegionHeader(error) ?? '?' };
		}
		if (status === 403 || hasCode(error, 'Forbidden', 'AccessDenied')) return { state: 'foreign' };
		throw error;
	}
}

export type EnsuredBucket = { bucket: string; created: boolean };

/**
 * Reuse the bucket when it is ours (in this region), else create it where the import runs. us-east-1
 * takes no LocationConstraint (S3 rejects one naming it); every other region needs its own.
 */
export async function ensureBucket(
	s3: S3Client,
	input: { bucket: string; region: string; account?: string },
	options: CallOptions = {},
): Promise<EnsuredBucket> {
	const head = await headBucket(s3, input.bucket, {
		...options,
		...(input.account ? { account: input.account } : {}),
	});
	if (head.state === 'ours') {
		if (head.region && head.region !== input.region)
			throw new BucketRegionError(input.bucket, head.region, input.region);
		return { bucket: input.bucket, created: false };
	}
	if (head.state === 'elsewhere') throw new BucketRegionError(input.bucket, head.region, input.region);
	if (head.state === 'foreign') throw await takenError(s3, input, options);
	try {
		await s3.send(
			new CreateBucketCommand({
				Bucket: input.bucket,
				...(input.region === 'us-east-1'
					? {}
					: { CreateBucketConfiguration: { LocationConstraint: input.region as never } }),
			}),
			{ abortSignal: options.signal },
		);
		return { bucket: input.bucket, created: true };
	} catch (error) {
		if (hasCode(error, 'BucketAlreadyOwnedByYou')) return { bucket: input.bucket, created: false };
		if (hasCode(error, 'BucketAlreadyExists')) throw await takenError(s3, input, options);
		throw error;
	}
}

/** The error for a taken name, with a name HeadBucket finds free: the account's default first, then variants. */
async function takenError(
	s3: S3Client,
	input: { bucket: string; region: string; account?: string },
	options: CallOptions,
): Promise<BucketTakenError> {
	const bucket = input.bucket;
	const preferred = input.account ? defaultBucketName(input.account, input.region) : undefined;
	const candidates = [
		...(preferred && preferred !== bucket ? [preferred] : []),
		...bucketNameCandidates(bucket),
	];
	for (const candidate of candidates) {
		const outcome = await headBucket(s3, candidate, options).catch(() => undefined);
		const usable =
			outcome?.state === 'absent' ||
			(outcome?.state === 'ours' && (!outcome.region || outcome.region === input.region));
		if (usable) return new BucketTakenError(bucket, candidate);
	}
	return new BucketTakenError(bucket, undefined);
}

/** DeleteObject; S3 answers 204 for a key that is already gone, so this is idempotent. */
export async function deleteObject(
	s3: S3Client,
	bucket: string,
	key: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: options.signal });
	} catch (error) {
		if (hasCode(error, 'NoSuchBucket', 'NoSuchKey')) return;
		throw error;
	}
}

/** DeleteBucket of a bucket kakehashi created: gone already is fine; 'not-empty' when something else lives there. */
export async function deleteBucketIfEmpty(
	s3: S3Client,
	bucket: string,
	options: CallOptions = {},
): Promise<'deleted' | 'not-empty' | 'absent'> {
	try {
		await s3.send(new DeleteBucketCommand({ Bucket: bucket }), { abortSignal: options.signal });
		return 'deleted';
	} catch (error) {
		if (hasCode(error, 'NoSuchBucket') || statusOf(error) === 404) return 'absent';
		if (errorCodeOf(error) === 'BucketNotEmpty') return 'not-empty';
		throw error;
	}
}
