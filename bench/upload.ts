/**
 * Upload throughput of the image import's multipart upload (issue 9, "Benchmark") against `aws s3 cp`
 * of the same file to the same built-in sandbox, and against lib-storage's Upload with the same part
 * size and parallelism. All three sign every request with SigV4 and go through the sandbox's S3 over
 * loopback, so the sandbox's own work is in every figure alike.
 *
 * Run: `node --import tsx bench/upload.ts [MiB] [runs]` (default 128 MiB, 3 runs; or
 * `npm run bench -- upload`). Without an `aws` binary the CLI half is skipped with a note.
 * Exits 1 when the median throughput is below the CLI's (target ≥ 1×).
 */

import { randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Upload } from '@aws-sdk/lib-storage';
import { execa } from 'execa';
import { ensureBucket } from '../source/aws/s3-bucket.js';
import {
	completeMultipartUpload,
	createMultipartUpload,
	uploadMissingParts,
} from '../source/aws/s3-upload.js';
import { createS3Client } from '../source/aws/service-clients.js';
import { SANDBOX_CREDENTIALS, startEc2Sandbox } from '../source/sandbox/ec2/index.js';

// kakehashi supports Node 20 as it is: the SDK's Node 22 notice is noise here (as in cli.tsx)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? process.env.KKH_BENCH_UPLOAD_MIB ?? 128);
const runs = Number(process.argv[3] ?? process.env.KKH_BENCH_RUNS ?? 3);
if (!Number.isInteger(sizeMiB) || sizeMiB < 16 || !Number.isInteger(runs) || runs < 1) {
	console.error('usage: upload.ts [MiB ≥ 16] [runs ≥ 1]');
	process.exit(2);
}
const region = 'ap-northeast-1';
const bucket = 'kakehashi-bench';
const partSize = 8 * MiB;
const concurrency = 8;

const dir = await mkdtemp(join(tmpdir(), 'kakehashi-bench-upload-'));
const sandbox = await startEc2Sandbox({ port: 0, objectDir: join(dir, 'objects') });
const s3 = createS3Client({ region, endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS });

async function makeFile(path: string): Promise<number> {
	const file = await open(path, 'w');
	const chunk = Buffer.alloc(8 * MiB);
	try {
		for (let written = 0; written < sizeMiB * MiB; written += chunk.length) {
			randomFillSync(chunk);
			await file.write(chunk);
		}
	} finally {
		await file.close();
	}
	return (await stat(path)).size;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1
		? (sorted[middle] ?? 0)
		: ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
	const started = performance.now();
	await work();
	return performance.now() - started;
}

async function kakehashiUpload(path: string, size: number, key: string): Promise<void> {
	const uploadId = await createMultipartUpload(s3, { bucket, key });
	const parts = await uploadMissingParts(s3, {
		bucket,
		key,
		path,
		uploadId,
		size,
		partSize,
		uploaded: [],
		concurrency,
	});
	await completeMultipartUpload(s3, { bucket, key, uploadId, parts });
}

async function libStorageUpload(path: string, key: string): Promise<void> {
	const upload = new Upload({
		client: s3,
		params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
		partSize,
		queueSize: concurrency,
	});
	await upload.done();
}

async function awsCli(): Promise<string | undefined> {
	try {
		const result = await execa('aws', ['--version'], { reject: false });
		return result.exitCode === 0 ? `${result.stdout}${result.stderr}`.trim().split(' ')[0] : undefined;
	} catch {
		return undefined;
	}
}

try {
	const path = join(dir, 'vaa.vhd');
	const size = await makeFile(path);
	await ensureBucket(s3, { bucket, region });
	const configFile = join(dir, 'aws-config');
	// path-style addressing, the CLI's default 8 MiB parts and 10 parallel requests, written out
	await writeFile(
		configFile,
		`[default]\nregion = ${region}\ns3 =\n  addressing_style = path\n  multipart_chunksize = 8MB\n  max_concurrent_requests = 10\n`,
	);
	const cli = await awsCli();
	const results: Record<string, number[]> = { kakehashi: [], 'lib-storage': [], 'aws s3 cp': [] };
	for (let run = 0; run < runs; run++) {
		results.kakehashi?.push(await timed(() => kakehashiUpload(path, size, `ours-${run}`)));
		results['lib-storage']?.push(await timed(() => libStorageUpload(path, `lib-${run}`)));
		if (cli) {
			results['aws s3 cp']?.push(
				await timed(() =>
					execa(
						'aws',
						[
							's3',
							'cp',
							path,
							`s3://${bucket}/cli-${run}`,
							'--endpoint-url',
							sandbox.endpoint,
							'--only-show-errors',
						],
						{
							env: {
								AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
								AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
								AWS_CONFIG_FILE: configFile,
								AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
							},
						},
					),
				),
			);
		}
	}
	const rate = (ms: number) => (size / MiB / (ms / 1000)).toFixed(1);
	console.log(`upload of ${sizeMiB} MiB to the sandbox (${runs} runs, 8 MiB parts, median):`);
	console.log('| uploader | median s | MiB/s |');
	console.log('|---|---|---|');
	for (const [name, samples] of Object.entries(results)) {
		if (samples.length === 0) continue;
		const ms = median(samples);
		console.log(`| ${name} | ${(ms / 1000).toFixed(2)} | ${rate(ms)} |`);
	}
	const ours = median(results.kakehashi ?? []);
	if (!cli) {
		console.log('aws s3 cp: skipped, no `aws` binary on PATH (install the AWS CLI to compare).');
	} else {
		const ratio = median(results['aws s3 cp'] ?? []) / ours;
		console.log(`throughput vs ${cli} s3 cp: ${ratio.toFixed(2)}× (target ≥ 1×)`);
		if (ratio < 1) process.exitCode = 1;
	}
} finally {
	await sandbox.close();
	await rm(dir, { recursive: true, force: true });
}
