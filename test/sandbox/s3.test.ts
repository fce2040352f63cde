import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	AbortMultipartUploadCommand,
	type BucketLocationConstraint,
	CompleteMultipartUploadCommand,
	CreateBucketCommand,
	CreateMultipartUploadCommand,
	DeleteObjectCommand,
	GetObjectCommand,
	HeadBucketCommand,
	HeadObjectCommand,
	ListBucketsCommand,
	ListMultipartUploadsCommand,
	ListObjectsV2Command,
	ListPartsCommand,
	PutObjectCommand,
	S3Client,
	UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, onTestFinished, test } from 'vitest';
import { type Ec2SandboxOptions, SANDBOX_CREDENTIALS } from '../../source/sandbox/ec2/index.js';
import { parseRange } from '../../source/sandbox/s3/service.js';
import { expectAwsError, failure, sandboxClientConfig, startTestSandbox } from './harness.js';

const REGION = 'ap-northeast-1';
const MiB = 1024 * 1024;

async function s3Sandbox(options: Ec2SandboxOptions = {}, region = REGION) {
	const sandbox = await startTestSandbox(options);
	const s3 = client(sandbox.endpoint, region);
	return { sandbox, s3 };
}

function client(endpoint: string, region = REGION): S3Client {
	// An IP-address endpoint needs path-style addressing, as with LocalStack.
	const s3 = new S3Client({ ...sandboxClientConfig(endpoint, region), forcePathStyle: true });
	onTestFinished(() => s3.destroy());
	return s3;
}

async function createBucket(s3: S3Client, bucket: string, region = REGION) {
	await s3.send(
		new CreateBucketCommand({
			Bucket: bucket,
			CreateBucketConfiguration:
				region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint },
		}),
	);
}

function sha256(data: Buffer | string): string {
	return createHash('sha256').update(data).digest('hex');
}

/** Deterministic, non-repeating test data (so a misplaced part changes the hash). */
function pattern(size: number, seed = 1): Buffer {
	const buffer = Buffer.alloc(size);
	let x = seed;
	for (let index = 0; index < size; index += 4) {
		x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
		buffer.writeUInt32LE(x, Math.min(index, size - 4));
	}
	return buffer;
}

const xml = new XMLParser();

/** A SigV4 signer for S3 written from the S3 API reference, independent of the sandbox's verifier. */
function signS3(
	endpoint: string,
	method: string,
	path: string,
	headers: Record<string, string>,
	payloadHash: string,
	options: { secret?: string; date?: Date; host?: string } = {},
): Record<string, string> {
	const url = new URL(endpoint);
	const amzDate = (options.date ?? new Date()).toISOString().replace(/[-:]|\.\d{3}/g, '');
	const day = amzDate.slice(0, 8);
	const all: Record<string, string> = {
		...headers,
		host: options.host ?? url.host,
		'x-amz-date': amzDate,
		'x-amz-content-sha256': payloadHash,
	};
	const names = Object.keys(all)
		.map((name) => name.toLowerCase())
		.sort();
	const lower = Object.fromEntries(Object.entries(all).map(([name, value]) => [name.toLowerCase(), value]));
	const canonical = [
		method,
		path,
		'',
		names.map((name) => `${name}:${lower[name]}\n`).join(''),
		names.join(';'),
		payloadHash,
	].join('\n');
	const scope = `${day}/${REGION}/s3/aws4_request`;
	const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
	const key = ['s3', 'aws4_request'].reduce(
		(previous, part) => createHmac('sha256', previous).update(part).digest(),
		[day, REGION].reduce(
			(previous: Buffer | string, part) => createHmac('sha256', previous).update(part).digest(),
			`AWS4${options.secret ?? SANDBOX_CREDENTIALS.secretAccessKey}`,
		) as Buffer,
	);
	const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
	return {
		...all,
		authorization: `AWS4-HMAC-SHA256 Credential=${SANDBOX_CREDENTIALS.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
		'x-test-seed-signature': signature,
		'x-test-key': key.toString('hex'),
		'x-test-scope': scope,
	};
}

/** An aws-chunked body signed chunk by chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD). */
function signedChunks(
	data: Buffer,
	chunkSize: number,
	signed: Record<string, string>,
	corrupt = false,
): Buffer {
	const key = Buffer.from(signed['x-test-key'] as string, 'hex');
	let previous = signed['x-test-seed-signature'] as string;
	const pieces: Buffer[] = [];
	const chunks: Buffer[] = [];
	for (let offset = 0; offset < data.length; offset += chunkSize)
		chunks.push(data.subarray(offset, offset + chunkSize));
	chunks.push(Buffer.alloc(0));
	for (const [index, chunk] of chunks.entries()) {
		const stringToSign = [
			'AWS4-HMAC-SHA256-PAYLOAD',
			signed['x-amz-date'],
			signed['x-test-scope'],
			previous,
			sha256(''),
			sha256(chunk),
		].join('\n');
		let signature = createHmac('sha256', key).update(stringToSign).digest('hex');
		previous = signature;
		if (corrupt && index === 1) signature = signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
		pieces.push(
			Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`),
			chunk,
			Buffer.from('\r\n'),
		);
	}
	return Buffer.concat(pieces);
}

function withoutTestHeaders(headers: Record<string, string>): Record<string, string> {
	return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('x-test-')));
}

describe('S3 buckets', () => {
	test('CreateBucket follows the region rules; names are global and validated', async () => {
		const { sandbox, s3 } = await s3Sandbox();
		await createBucket(s3, 'vaa.upload');
		expect((await s3.send(new HeadBucketCommand({ Bucket: 'vaa.upload' }))).BucketRegion).toBe(REGION);
		const again = await expectAwsError(createBucket(s3, 'vaa.upload'), 'BucketAlreadyOwnedByYou', 409);
		expect(again.message).toContain('already own it');
		const taken = await expectAwsError(createBucket(s3, 'taken-vaa-upload'), 'BucketAlreadyExists', 409);
		expect(taken.message).toContain('not available');
		// (the SDK adds the client's region as LocationConstraint itself, so this one goes out by hand)
		const bare = signS3(sandbox.endpoint, 'PUT', '/no-constraint', {}, sha256(''));
		const unspecified = await fetch(`${sandbox.endpoint}/no-constraint`, {
			method: 'PUT',
			headers: withoutTestHeaders(bare),
		});
		expect(unspecified.status).toBe(400);
		expect(xml.parse(await unspecified.text()).Error).toMatchObject({
			Code: 'IllegalLocationConstraintException',
			Message: expect.stringContaining('unspecified location constraint'),
		});
		const mismatch = await expectAwsError(
			s3.send(
				new CreateBucketCommand({
					Bucket: 'wrong-region',
					CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
				}),
			),
			'IllegalLocationConstraintException',
			400,
		);
		expect(mismatch.message).toContain('eu-west-1 location constraint is incompatible');
		await expectAwsError(createBucket(s3, 'Bad_Name'), 'InvalidBucketName', 400);
		// us-east-1 takes no LocationConstraint, and re-creating your own bucket there succeeds (legacy).
		const east = client(sandbox.endpoint, 'us-east-1');
		await createBucket(east, 'east-bucket', 'us-east-1');
		await createBucket(east, 'east-bucket', 'us-east-1');
		await expectAwsError(
			east.send(
				new CreateBucketCommand({
					Bucket: 'east-2',
					// not a LocationConstraint value in the SDK's types, but a client can send it
					CreateBucketConfiguration: { LocationConstraint: 'us-east-1' as BucketLocationConstraint },
				}),
			),
			'InvalidLocationConstraint',
			400,
		);
		const names = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((bucket) => bucket.Name);
		expect(names).toEqual(['east-bucket', 'vaa.upload']);
		// HeadBucket: 404 for no bucket, 403 for one owned by someone else
		await expectAwsError(s3.send(new HeadBucketCommand({ Bucket: 'nobody-has-this' })), 'NotFound', 404);
		const forbidden = await failure(s3.send(new HeadBucketCommand({ Bucket: 'taken-vaa-upload' })));
		expect(forbidden.$metadata.httpStatusCode).toBe(403);
		// A bucket used from another region's endpoint is a redirect naming its region.
		const wrong = await failure(
			east.send(new PutObjectCommand({ Bucket: 'vaa.upload', Key: 'k', Body: 'x' })),
		);
		expect({ name: wrong.name, status: wrong.$metadata.httpStatusCode }).toEqual({
			name: 'PermanentRedirect',
			status: 301,
		});
		const redirected = await failure(east.send(new HeadBucketCommand({ Bucket: 'vaa.upload' })));
		expect(redirected.$metadata.httpStatusCode).toBe(301);
		expect(
			(redirected as unknown as { $response?: { headers?: Record<string, string> } }).$response?.headers?.[
				'x-amz-bucket-region'
			],
		).toBe(REGION);
		// ExpectedBucketOwner: another account's id is refused
		const denied = await failure(
			s3.send(new HeadBucketCommand({ Bucket: 'vaa.upload', ExpectedBucketOwner: '999999999999' })),
		);
		expect(denied.$metadata.httpStatusCode).toBe(403);
		await s3.send(new HeadBucketCommand({ Bucket: 'vaa.upload', ExpectedBucketOwner: '123456789012' }));
		expect(sandbox.actionsSeen()).toEqual([
			's3:CreateBucket',
			's3:ListBucket',
			's3:ListAllMyBuckets',
			's3:PutObject',
		]);
	});
});

describe('S3 objects', () => {
	test('PutObject, GetObject (whole and ranges), HeadObject, ListObjectsV2, DeleteObject', async () => {
		const { s3 } = await s3Sandbox();
		await createBucket(s3, 'objects');
		const put = await s3.send(
			new PutObjectCommand({
				Bucket: 'objects',
				Key: 'dir/hello world.txt',
				Body: 'hello, sandbox',
				ContentType: 'text/plain',
				Metadata: { purpose: 'test' },
			}),
		);
		expect(put.ETag).toBe(`"${createHash('md5').update('hello, sandbox').digest('hex')}"`);
		const got = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/hello world.txt' }));
		expect(await got.Body?.transformToString()).toBe('hello, sandbox');
		expect(got.ContentType).toBe('text/plain');
		expect(got.Metadata).toEqual({ purpose: 'test' });
		const ranged = await s3.send(
			new GetObjectCommand({ Bucket: 'objects', Key: 'dir/hello world.txt', Range: 'bytes=7-' }),
		);
		expect(await ranged.Body?.transformToString()).toBe('sandbox');
		expect(ranged.ContentRange).toBe('bytes 7-13/14');
		const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dir/hello world.txt' }));
		expect(head.ContentLength).toBe(14);
		await expectAwsError(
			s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/hello world.txt', Range: 'bytes=99-' })),
			'InvalidRange',
			416,
		);
		await expectAwsError(
			s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'missing' })),
			'NoSuchKey',
			404,
		);
		await expectAwsError(
			s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'missing' })),
			'NotFound',
			404,
		);
		await expectAwsError(
			s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })),
			'NoSuchBucket',
			404,
		);

		for (const key of ['a.txt', 'dir/b.txt', 'dir/sub/c.txt', 'e/f.txt', 'odd//key/../x']) {
			await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: key, Body: key }));
		}
		const odd = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'odd//key/../x' }));
		expect(await odd.Body?.transformToString()).toBe('odd//key/../x');
		const top = await s3.send(new ListObjectsV2Command({ Bucket: 'objects', Delimiter: '/' }));
		expect(top.Contents?.map((object) => object.Key)).toEqual(['a.txt']);
		expect(top.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['dir/', 'e/', 'odd/']);
		const inDir = await s3.send(
			new ListObjectsV2Command({ Bucket: 'objects', Prefix: 'dir/', Delimiter: '/' }),
		);
		expect(inDir.Contents?.map((object) => object.Key)).toEqual(['dir/b.txt', 'dir/hello world.txt']);
		expect(inDir.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual(['dir/sub/']);
		// pagination: two keys per page, every key exactly once
		const keys: string[] = [];
		let token: string | undefined;
		do {
			const page = await s3.send(
				new ListObjectsV2Command({ Bucket: 'objects', MaxKeys: 2, ContinuationToken: token }),
			);
			expect(page.KeyCount).toBeLessThanOrEqual(2);
			keys.push(...(page.Contents ?? []).map((object) => object.Key as string));
			token = page.NextContinuationToken;
		} while (token);
		expect(keys).toEqual([
			'a.txt',
			'dir/b.txt',
			'dir/hello world.txt',
			'dir/sub/c.txt',
			'e/f.txt',
			'odd//key/../x',
		]);
		await s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'a.txt' }));
		await s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'a.txt' }));
		await expectAwsError(
			s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'a.txt' })),
			'NoSuchKey',
			404,
		);
	});

	test('objects and their bodies survive a restart; bodies are files, not state', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'kakehashi-s3-test-'));
		onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
		const stateFile = join(dir, 'ec2.json');
		const body = pattern(3 * MiB + 5);
		{
			const { sandbox, s3 } = await s3Sandbox({ stateFile });
			await createBucket(s3, 'persisted');
			await s3.send(new PutObjectCommand({ Bucket: 'persisted', Key: 'disk.vhd', Body: body }));
			await s3.send(new CreateMultipartUploadCommand({ Bucket: 'persisted', Key: 'pending.vhd' }));
			await sandbox.close();
		}
		expect(readdirSync(join(dir, 's3-objects'))).toHaveLength(1);
		const { s3 } = await s3Sandbox({ stateFile });
		const got = await s3.send(new GetObjectCommand({ Bucket: 'persisted', Key: 'disk.vhd' }));
		expect(
			sha256(
				Buffer.from(
					await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
				),
			),
		).toBe(sha256(body));
		const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'persisted' }));
		expect(uploads.Uploads?.map((upload) => upload.Key)).toEqual(['pending.vhd']);
	});
});

describe('S3 multipart uploads', () => {
	test('lib-storage Upload: parallel parts, the object reassembled byte for byte', async () => {
		const { sandbox, s3 } = await s3Sandbox();
		await createBucket(s3, 'multi');
		const body = pattern(17 * MiB + 123, 7);
		const progress: number[] = [];
		const upload = new Upload({
			client: s3,
			params: { Bucket: 'multi', Key: 'images/vaa.vhd', Body: body },
			partSize: 5 * MiB,
			queueSize: 4,
			leavePartsOnError: false,
		});
		upload.on('httpUploadProgress', (event) => progress.push(event.loaded ?? 0));
		const done = await upload.done();
		expect(done.ETag).toMatch(/^"[0-9a-f]{32}-4"$/);
		expect(Math.max(...progress)).toBe(body.length);
		const got = await s3.send(new GetObjectCommand({ Bucket: 'multi', Key: 'images/vaa.vhd' }));
		const bytes = Buffer.from(
			await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
		);
		expect(bytes.length).toBe(body.length);
		expect(sha256(bytes)).toBe(sha256(body));
		// a range across the boundary of parts 1 and 2, and one inside the last part
		for (const [start, end] of [
			[5 * MiB - 10, 5 * MiB + 9],
			[17 * MiB, 17 * MiB + 122],
		] as const) {
			const ranged = await s3.send(
				new GetObjectCommand({ Bucket: 'multi', Key: 'images/vaa.vhd', Range: `bytes=${start}-${end}` }),
			);
			const slice = Buffer.from(
				await (ranged.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
			);
			expect(slice.equals(body.subarray(start, end + 1))).toBe(true);
		}
		expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'multi' }))).Uploads ?? []).toEqual([]);
		expect(sandbox.actionsSeen()).toEqual([
			's3:CreateBucket',
			's3:PutObject',
			's3:GetObject',
			's3:ListBucketMultipartUploads',
		]);
	});

	test('Complete checks order, ETags and part sizes; List, ListParts and Abort', async () => {
		const { s3 } = await s3Sandbox();
		await createBucket(s3, 'parts');
		const { UploadId } = await s3.send(
			new CreateMultipartUploadCommand({ Bucket: 'parts', Key: 'disk.vhd' }),
		);
		const small = await s3.send(
			new UploadPartCommand({
				Bucket: 'parts',
				Key: 'disk.vhd',
				UploadId,
				PartNumber: 1,
				Body: pattern(1024),
			}),
		);
		const second = await s3.send(
			new UploadPartCommand({ Bucket: 'parts', Key: 'disk.vhd', UploadId, PartNumber: 2, Body: pattern(10) }),
		);
		expect(small.ETag).toBe(`"${createHash('md5').update(pattern(1024)).digest('hex')}"`);
		const parts = await s3.send(new ListPartsCommand({ Bucket: 'parts', Key: 'disk.vhd', UploadId }));
		expect(parts.Parts?.map((part) => [part.PartNumber, part.Size, part.ETag])).toEqual([
			[1, 1024, small.ETag],
			[2, 10, second.ETag],
		]);
		const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'parts' }));
		expect(listed.Uploads?.map((upload) => [upload.Key, upload.UploadId])).toEqual([['disk.vhd', UploadId]]);
		const complete = (Parts: { PartNumber: number; ETag?: string }[]) =>
			s3.send(
				new CompleteMultipartUploadCommand({
					Bucket: 'parts',
					Key: 'disk.vhd',
					UploadId,
					MultipartUpload: { Parts },
				}),
			);
		await expectAwsError(
			complete([
				{ PartNumber: 1, ETag: small.ETag },
				{ PartNumber: 2, ETag: second.ETag },
			]),
			'EntityTooSmall',
			400,
		);
		await expectAwsError(
			complete([
				{ PartNumber: 2, ETag: second.ETag },
				{ PartNumber: 1, ETag: small.ETag },
			]),
			'InvalidPartOrder',
			400,
		);
		await expectAwsError(complete([{ PartNumber: 1, ETag: second.ETag }]), 'InvalidPart', 400);
		await expectAwsError(complete([{ PartNumber: 3, ETag: second.ETag }]), 'InvalidPart', 400);
		await expectAwsError(
			s3.send(
				new UploadPartCommand({ Bucket: 'parts', Key: 'disk.vhd', UploadId, PartNumber: 10001, Body: 'x' }),
			),
			'InvalidArgument',
			400,
		);
		// A single (last) part may be small.
		const done = await complete([{ PartNumber: 1, ETag: small.ETag }]);
		expect(done.ETag).toMatch(/-1"$/);
		await expectAwsError(
			s3.send(new ListPartsCommand({ Bucket: 'parts', Key: 'disk.vhd', UploadId })),
			'NoSuchUpload',
			404,
		);
		const other = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'parts', Key: 'other.vhd' }));
		await s3.send(
			new UploadPartCommand({
				Bucket: 'parts',
				Key: 'other.vhd',
				UploadId: other.UploadId,
				PartNumber: 1,
				Body: 'x',
			}),
		);
		await s3.send(
			new AbortMultipartUploadCommand({ Bucket: 'parts', Key: 'other.vhd', UploadId: other.UploadId }),
		);
		expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'parts' }))).Uploads ?? []).toEqual([]);
		await expectAwsError(
			s3.send(
				new AbortMultipartUploadCommand({ Bucket: 'parts', Key: 'other.vhd', UploadId: other.UploadId }),
			),
			'NoSuchUpload',
			404,
		);
	});
});

describe('S3 authentication and payloads', () => {
	test('unsigned and badly signed requests are refused in S3 words', async () => {
		const { sandbox, s3 } = await s3Sandbox();
		await createBucket(s3, 'guarded');
		const unsigned = await fetch(`${sandbox.endpoint}/guarded/key`, { method: 'PUT', body: 'x' });
		expect(unsigned.status).toBe(403);
		expect(xml.parse(await unsigned.text()).Error.Code).toBe('AccessDenied');
		const wrongSecret = new S3Client({
			endpoint: sandbox.endpoint,
			region: REGION,
			forcePathStyle: true,
			credentials: { ...SANDBOX_CREDENTIALS, secretAccessKey: 'wrong' },
			maxAttempts: 1,
		});
		onTestFinished(() => wrongSecret.destroy());
		await expectAwsError(
			wrongSecret.send(new PutObjectCommand({ Bucket: 'guarded', Key: 'k', Body: 'x' })),
			'SignatureDoesNotMatch',
			403,
		);
		const unknownKey = new S3Client({
			endpoint: sandbox.endpoint,
			region: REGION,
			forcePathStyle: true,
			credentials: { accessKeyId: 'AKIANOTKNOWN', secretAccessKey: 'x' },
			maxAttempts: 1,
		});
		onTestFinished(() => unknownKey.destroy());
		await expectAwsError(unknownKey.send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
		const stale = signS3(sandbox.endpoint, 'GET', '/', {}, sha256(''), {
			date: new Date(Date.now() - 3_600_000),
		});
		const skewed = await fetch(`${sandbox.endpoint}/`, { headers: withoutTestHeaders(stale) });
		expect(skewed.status).toBe(403);
		expect(xml.parse(await skewed.text()).Error.Code).toBe('RequestTimeTooSkewed');
		expect(sandbox.actionsSeen()).toEqual(['s3:CreateBucket']);
	});

	test('a hex x-amz-content-sha256 must match the body', async () => {
		const { sandbox, s3 } = await s3Sandbox();
		await createBucket(s3, 'hashes');
		const good = signS3(sandbox.endpoint, 'PUT', '/hashes/ok', { 'content-length': '5' }, sha256('hello'));
		const ok = await fetch(`${sandbox.endpoint}/hashes/ok`, {
			method: 'PUT',
			headers: withoutTestHeaders(good),
			body: 'hello',
		});
		expect(ok.status).toBe(200);
		const bad = signS3(sandbox.endpoint, 'PUT', '/hashes/bad', { 'content-length': '5' }, sha256('hello'));
		const refused = await fetch(`${sandbox.endpoint}/hashes/bad`, {
			method: 'PUT',
			headers: withoutTestHeaders(bad),
			body: 'HELLO',
		});
		expect(refused.status).toBe(400);
		expect(xml.parse(await refused.text()).Error.Code).toBe('XAmzContentSHA256Mismatch');
		await expectAwsError(s3.send(new HeadObjectCommand({ Bucket: 'hashes', Key: 'bad' })), 'NotFound', 404);
	});

	test('STREAMING-AWS4-HMAC-SHA256-PAYLOAD: signed chunks decoded and verified', async () => {
		const { sandbox, s3 } = await s3Sandbox();
		await createBucket(s3, 'chunks');
		const data = pattern(200_000, 3);
		const put = async (key: string, corrupt: boolean) => {
			const headers = {
				'content-encoding': 'aws-chunked',
				'x-amz-decoded-content-length': String(data.length),
			};
			const signed = signS3(
				sandbox.endpoint,
				'PUT',
				`/chunks/${key}`,
				headers,
				'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
			);
			return fetch(`${sandbox.endpoint}/chunks/${key}`, {
				method: 'PUT',
				headers: withoutTestHeaders(signed),
				body: signedChunks(data, 65_536, signed, corrupt),
			});
		};
		expect((await put('good', false)).status).toBe(200);
		const got = await s3.send(new GetObjectCommand({ Bucket: 'chunks', Key: 'good' }));
		expect(
			sha256(
				Buffer.from(
					await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
				),
			),
		).toBe(sha256(data));
		const refused = await put('bad', true);
		expect(refused.status).toBe(403);
		expect(xml.parse(await refused.text()).Error.Code).toBe('SignatureDoesNotMatch');
		await expectAwsError(s3.send(new HeadObjectCommand({ Bucket: 'chunks', Key: 'bad' })), 'NotFound', 404);
	});

	test('the SDK streaming upload (aws-chunked with a CRC32 trailer) is decoded and its checksum checked', async () => {
		const { s3 } = await s3Sandbox();
		await createBucket(s3, 'trailer');
		const { Readable } = await import('node:stream');
		const data = pattern(300_001, 9);
		await s3.send(
			new PutObjectCommand({
				Bucket: 'trailer',
				Key: 'streamed',
				Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]),
				ContentLength: data.length,
			}),
		);
		const got = await s3.send(new GetObjectCommand({ Bucket: 'trailer', Key: 'streamed' }));
		expect(
			sha256(
				Buffer.from(
					await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
				),
			),
		).toBe(sha256(data));
	});
});

describe('parseRange', () => {
	test.each([
		['bytes=0-9', 100, { start: 0, end: 9 }],
		['bytes=90-', 100, { start: 90, end: 99 }],
		['bytes=-10', 100, { start: 90, end: 99 }],
		['bytes=50-500', 100, { start: 50, end: 99 }],
		['bytes=100-', 100, 'unsatisfiable'],
		['bytes=-0', 100, 'unsatisfiable'],
		['bytes=9-1', 100, undefined],
		['items=0-1', 100, undefined],
	] as const)('%s of %i bytes', (header, size, expected) => {
		expect(parseRange(header, size)).toEqual(expected);
	});
});

describe('S3 addressing and the blob folder', () => {
	test('virtual-host style: the bucket named by a Host of bucket.localhost', async () => {
		const { sandbox, s3 } = await s3Sandbox();
		await createBucket(s3, 'vhost');
		await s3.send(new PutObjectCommand({ Bucket: 'vhost', Key: 'dir/file.txt', Body: 'by host' }));
		const host = `vhost.localhost:${sandbox.port}`;
		const headers = withoutTestHeaders(
			signS3(sandbox.endpoint, 'GET', '/dir/file.txt', {}, sha256(''), { host }),
		);
		const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
			const request = httpRequest(
				{ host: '127.0.0.1', port: sandbox.port, path: '/dir/file.txt', headers },
				(response) => {
					const chunks: Buffer[] = [];
					response.on('data', (chunk: Buffer) => chunks.push(chunk));
					response.on('end', () =>
						resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
					);
				},
			);
			request.on('error', reject);
			request.end();
		});
		expect(body).toEqual({ status: 200, text: 'by host' });
	});

	test('an upload cut off by the client leaves no object and no file; a restart sweeps stray files', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'kakehashi-s3-test-'));
		onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
		const objectDir = join(dir, 'objects');
		const stateFile = join(dir, 'ec2.json');
		const { sandbox, s3 } = await s3Sandbox({ stateFile, objectDir });
		await createBucket(s3, 'cut');
		await s3.send(new PutObjectCommand({ Bucket: 'cut', Key: 'kept', Body: 'kept' }));
		const headers = withoutTestHeaders(
			signS3(
				sandbox.endpoint,
				'PUT',
				'/cut/big.vhd',
				{ 'content-length': String(8 * MiB) },
				'UNSIGNED-PAYLOAD',
			),
		);
		await new Promise<void>((resolve) => {
			const request = httpRequest({
				host: '127.0.0.1',
				port: sandbox.port,
				path: '/cut/big.vhd',
				method: 'PUT',
				headers,
			});
			request.on('error', () => resolve());
			request.write(pattern(MiB), () => setTimeout(() => request.destroy(), 100));
			request.on('close', () => resolve());
		});
		const files = () => readdirSync(objectDir).sort();
		const { eventually } = await import('./harness.js');
		await eventually(
			async () => files(),
			(names) => expect(names).toHaveLength(1),
		);
		await expectAwsError(s3.send(new HeadObjectCommand({ Bucket: 'cut', Key: 'big.vhd' })), 'NotFound', 404);
		await sandbox.close();
		// what a killed sandbox would leave behind
		writeFileSync(join(objectDir, '00000000-0000-4000-8000-000000000000.part'), 'half');
		writeFileSync(join(objectDir, '00000000-0000-4000-8000-000000000001'), 'orphan');
		const restarted = await s3Sandbox({ stateFile, objectDir });
		expect(files()).toHaveLength(1);
		const kept = await restarted.s3.send(new GetObjectCommand({ Bucket: 'cut', Key: 'kept' }));
		expect(await kept.Body?.transformToString()).toBe('kept');
	});
});

test('faults reach S3 and IAM by operation name: a failed UploadPart, then the upload resumes', async () => {
	const { sandbox, s3 } = await s3Sandbox({
		faults: { failAction: { action: 'UploadPart', code: 'InternalError', times: 1 } },
	});
	await createBucket(s3, 'faulty');
	const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'faulty', Key: 'disk.vhd' }));
	const part = { Bucket: 'faulty', Key: 'disk.vhd', UploadId, PartNumber: 1, Body: 'x' };
	await expectAwsError(s3.send(new UploadPartCommand(part)), 'InternalError', 500);
	const { ETag } = await s3.send(new UploadPartCommand(part));
	await s3.send(
		new CompleteMultipartUploadCommand({
			Bucket: 'faulty',
			Key: 'disk.vhd',
			UploadId,
			MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
		}),
	);
	sandbox.setFaults({ failAction: { action: 'CreateRole', code: 'LimitExceeded', status: 409 } });
	const { IAMClient, CreateRoleCommand } = await import('@aws-sdk/client-iam');
	const iam = new IAMClient(sandboxClientConfig(sandbox.endpoint, 'us-east-1'));
	onTestFinished(() => iam.destroy());
	await expectAwsError(
		iam.send(new CreateRoleCommand({ RoleName: 'vmimport', AssumeRolePolicyDocument: '{}' })),
		'LimitExceededException',
		409,
	);
});

test('the whole sandbox (startSandbox) keeps S3 bodies in its folder across restarts', async () => {
	const { startSandbox } = await import('../../source/sandbox/index.js');
	const dir = mkdtempSync(join(tmpdir(), 'kakehashi-s3-whole-'));
	onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
	const body = pattern(6 * MiB, 5);
	{
		const sandbox = await startSandbox({ dir });
		onTestFinished(() => sandbox.close());
		const s3 = client(sandbox.endpoint);
		await createBucket(s3, 'whole');
		await new Upload({
			client: s3,
			params: { Bucket: 'whole', Key: 'disk.vhd', Body: body },
			partSize: 5 * MiB,
		}).done();
		await sandbox.close();
	}
	expect(readdirSync(join(dir, 's3-objects'))).toHaveLength(2);
	const sandbox = await startSandbox({ dir });
	onTestFinished(() => sandbox.close());
	const got = await client(sandbox.endpoint).send(new GetObjectCommand({ Bucket: 'whole', Key: 'disk.vhd' }));
	const bytes = Buffer.from(
		await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
	);
	expect(sha256(bytes)).toBe(sha256(body));
});

test('DeleteObjects removes a batch (checksum header verified); ListObjects v1 still answers', async () => {
	const { s3 } = await s3Sandbox();
	await createBucket(s3, 'batch');
	for (const key of ['a', 'b', 'c']) {
		await s3.send(new PutObjectCommand({ Bucket: 'batch', Key: key, Body: key }));
	}
	const { DeleteObjectsCommand, ListObjectsCommand } = await import('@aws-sdk/client-s3');
	const deleted = await s3.send(
		new DeleteObjectsCommand({
			Bucket: 'batch',
			Delete: { Objects: [{ Key: 'a' }, { Key: 'c' }, { Key: 'missing' }] },
		}),
	);
	expect(deleted.Deleted?.map((entry) => entry.Key)).toEqual(['a', 'c', 'missing']);
	const listed = await s3.send(new ListObjectsCommand({ Bucket: 'batch' }));
	expect(listed.Contents?.map((object) => object.Key)).toEqual(['b']);
});
