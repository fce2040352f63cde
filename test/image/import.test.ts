import { execFile, execFileSync, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
	DescribeImagesCommand,
	DescribeImportSnapshotTasksCommand,
	DescribeSnapshotsCommand,
	type EC2Client,
} from '@aws-sdk/client-ec2';
import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import {
	CreateMultipartUploadCommand,
	ListObjectsV2Command,
	PutObjectCommand,
	type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Client } from '../../source/aws/client.js';
import { importSnapshot, waitForImportSnapshot } from '../../source/aws/image-import.js';
import { findNewestOwnImage } from '../../source/aws/instance.js';
import { ensureBucket } from '../../source/aws/s3-bucket.js';
import { fingerprintFile, listUploadedParts, listUploadsOfKey } from '../../source/aws/s3-upload.js';
import { clientsBeside, createS3Client } from '../../source/aws/service-clients.js';
import {
	type ImageImportEvent,
	type ImageImportOptions,
	importImage,
	objectKeyFor,
	VhdCheckError,
} from '../../source/flow/image-import.js';
import { destroyFlow } from '../../source/flow/runner.js';
import { loadState, newState, saveState } from '../../source/flow/state.js';
import { SANDBOX_CREDENTIALS, startEc2Sandbox } from '../../source/sandbox/ec2/index.js';
import { fastSandboxTimings, region, type Sandbox, temporaryDirectory } from '../aws/sandbox-harness.js';

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = join(here, '..', '..');
const account = '123456789012';
const bucket = `kakehashi-${account}-${region}`;

let sandbox: Sandbox;
let ec2: EC2Client;
let s3: S3Client;
let iam: IAMClient;
let dir: string;
let cleanup: () => Promise<void>;
let dynamicVhd: string;
let fixedVhd: string;

function awsCliAvailable(): boolean {
	try {
		execFileSync('aws', ['--version'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

/** Run the import in a child process and SIGKILL it at the first stdout line `killAt` accepts. */
function runChildUntil(statePath: string, name: string, killAt: (line: string) => boolean): Promise<string> {
	const child = spawn(
		process.execPath,
		['--import', 'tsx', join(here, 'import-child.ts'), sandbox.endpoint, fixedVhd, name, statePath],
		{ cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	let stderr = '';
	child.stderr.on('data', (chunk) => {
		stderr += chunk;
	});
	return new Promise<string>((resolve) => {
		let buffered = '';
		child.stdout.setEncoding('utf8');
		child.stdout.on('data', (chunk: string) => {
			buffered += chunk;
			const lines = buffered.split('\n');
			buffered = lines.pop() ?? '';
			if (lines.some(killAt)) child.kill('SIGKILL');
		});
		child.on('exit', (code, signal) => resolve(signal ?? `exit ${code}: ${stderr}`));
	});
}

function qemuImg(name: string, ...args: string[]): string {
	const path = join(dir, name);
	execFileSync('qemu-img', ['create', ...args, path, args.includes('subformat=fixed') ? '40M' : '256M'], {
		stdio: 'ignore',
	});
	return path;
}

beforeAll(async () => {
	sandbox = await startEc2Sandbox({
		port: 0,
		timings: { ...fastSandboxTimings, importSnapshotMs: 400, imageAvailableMs: 200 },
	});
	ec2 = createEc2Client({ region, endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS });
	({ s3, iam } = await clientsBeside(ec2));
	({ dir, cleanup } = await temporaryDirectory());
	dynamicVhd = qemuImg('vaa-dynamic.vhd', '-f', 'vpc');
	fixedVhd = qemuImg('vaa-fixed.vhd', '-f', 'vpc', '-o', 'subformat=fixed');
});

afterAll(async () => {
	await sandbox?.close();
	await cleanup?.();
});

function options(
	overrides: Partial<ImageImportOptions> & { statePath: string; name: string },
): ImageImportOptions {
	return {
		clients: { ec2, s3, iam },
		vhdPath: dynamicVhd,
		region,
		account,
		stack: 'image-test',
		endpoint: sandbox.endpoint,
		timings: { intervalMs: 20, timeoutMs: 30_000 },
		upload: { concurrency: 2, partSize: 8 * 1024 * 1024 },
		...overrides,
	};
}

async function objectsIn(name: string): Promise<string[]> {
	const output = await s3.send(new ListObjectsV2Command({ Bucket: name }));
	return (output.Contents ?? []).map((item) => item.Key ?? '');
}

describe('image import on the sandbox', () => {
	it('a VHD from qemu-img becomes an available AMI; the object is gone, the role stays, no upload is left', async () => {
		const statePath = join(dir, 'one.state.json');
		const events: ImageImportEvent[] = [];
		const result = await importImage(
			options({ statePath, name: 'vaa-test-1', vhdPath: fixedVhd, onEvent: (event) => events.push(event) }),
		);
		expect(result).toMatchObject({ bucket, reused: false });
		expect(result.imageId).toMatch(/^ami-/);
		expect(result.snapshotId).toMatch(/^snap-/);
		expect(result.importTaskId).toMatch(/^import-snap-/);

		const images = await ec2.send(new DescribeImagesCommand({ ImageIds: [result.imageId] }));
		expect(images.Images?.[0]).toMatchObject({
			Name: 'vaa-test-1',
			State: 'available',
			Architecture: 'x86_64',
			RootDeviceName: '/dev/xvda',
			VirtualizationType: 'hvm',
			EnaSupport: true,
		});
		expect(images.Images?.[0]?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId).toBe(result.snapshotId);
		expect(images.Images?.[0]?.Tags).toContainEqual({ Key: 'kakehashi:stack', Value: 'image-test' });
		const snapshots = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [result.snapshotId] }));
		expect(snapshots.Snapshots?.[0]?.State).toBe('completed');

		expect(await objectsIn(bucket)).toEqual([]);
		expect(await listUploadsOfKey(s3, { bucket, key: objectKeyFor('image-test', 'vaa-test-1') })).toEqual([]);
		const role = await iam.send(new GetRoleCommand({ RoleName: 'vmimport' }));
		expect(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '')).toContain('vmie.amazonaws.com');

		// what the user saw: every phase, upload progress up to 100%, the import's progress
		expect(events.filter((event) => event.type === 'phase').map((event) => event.phase)).toEqual([
			'check',
			'bucket',
			'role',
			'upload',
			'import',
			'cleanup',
			'register',
		]);
		const uploads = events.flatMap((event) => (event.type === 'upload-progress' ? [event.progress] : []));
		const total = uploads.at(-1)?.total ?? 0;
		const partsTotal = Math.ceil(total / (8 * 1024 * 1024));
		expect(partsTotal).toBeGreaterThan(2);
		expect(uploads.at(-1)).toMatchObject({ loaded: total, partsDone: partsTotal, partsTotal });
		expect(events.some((event) => event.type === 'import-progress')).toBe(true);

		// recorded as it went: role, object (deleted), snapshot, image
		const state = await loadState(statePath);
		expect(state?.resources.map((item) => [item.kind, item.id])).toEqual([
			['iam-role', 'vmimport'],
			['s3-object', `s3://${bucket}/kakehashi/image-test/vaa-test-1.vhd`],
			['snapshot', result.snapshotId],
			['image', result.imageId],
		]);
		expect(state?.resources[1]).toMatchObject({ deleted: true, uploaded: true, bucketCreated: true });
		expect(JSON.stringify(state)).not.toContain(SANDBOX_CREDENTIALS.secretAccessKey);

		// the instance step's own lookup finds the imported image (newest of your own vaa* images)
		expect((await findNewestOwnImage(ec2, 'vaa'))?.ImageId).toBe(result.imageId);

		// an independent client (the AWS CLI, when installed) sees the same; run asynchronously, since
		// the sandbox answering it lives in this process
		if (awsCliAvailable()) {
			const aws = async (...args: string[]) => {
				const { stdout } = await execFileAsync(
					'aws',
					[...args, '--endpoint-url', sandbox.endpoint, '--output', 'json'],
					{
						env: {
							...process.env,
							AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
							AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
							AWS_DEFAULT_REGION: region,
							AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
						},
						encoding: 'utf8',
					},
				);
				return JSON.parse(stdout || '{}');
			};
			expect((await aws('ec2', 'describe-images', '--image-ids', result.imageId)).Images[0].State).toBe(
				'available',
			);
			expect((await aws('s3api', 'list-objects-v2', '--bucket', bucket)).Contents ?? []).toEqual([]);
			expect((await aws('iam', 'get-role', '--role-name', 'vmimport')).Role.RoleName).toBe('vmimport');
		}

		// a rerun reuses the image: no new import task, no new image
		const again = await importImage(options({ statePath, name: 'vaa-test-1', vhdPath: fixedVhd }));
		expect(again).toMatchObject({ imageId: result.imageId, snapshotId: result.snapshotId, reused: true });
		const tasks = await ec2.send(new DescribeImportSnapshotTasksCommand({}));
		expect(tasks.ImportSnapshotTasks).toHaveLength(1);

		// destroy: image, snapshot, the role the run created, the bucket it created
		const destroyed = await destroyFlow({
			ec2,
			statePath,
			timings: { intervalMs: 20, dependencyTimeoutMs: 2000 },
		});
		expect(destroyed.failed).toEqual([]);
		expect(destroyed.deleted.map((item) => item.kind)).toEqual([
			'image',
			'snapshot',
			's3-object',
			'iam-role',
		]);
		const after = await ec2.send(
			new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['vaa-test-1'] }] }),
		);
		expect(after.Images ?? []).toEqual([]);
		await expect(
			ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [result.snapshotId] })),
		).rejects.toMatchObject({
			name: 'InvalidSnapshot.NotFound',
		});
		await expect(iam.send(new GetRoleCommand({ RoleName: 'vmimport' }))).rejects.toMatchObject({
			name: 'NoSuchEntityException',
		});
		expect((await loadState(statePath))?.resources).toEqual([]);
	}, 180_000);

	it('a file that is not a VHD stops before any AWS call', async () => {
		const iso = join(dir, 'vaa-5.4.9-2.7.iso');
		const body = Buffer.alloc(0x9000);
		body.write('\u0001CD001', 0x8000, 'latin1');
		await writeFile(iso, body);
		const seen = sandbox.actionsSeen().length;
		const statePath = join(dir, 'iso.state.json');
		await expect(importImage(options({ statePath, name: 'vaa-iso', vhdPath: iso }))).rejects.toBeInstanceOf(
			VhdCheckError,
		);
		expect(sandbox.actionsSeen()).toHaveLength(seen);
		expect(await loadState(statePath)).toBeUndefined();
	}, 180_000);

	it('the CLI: not a VHD exits 2 naming the file; a VHD prints the contract JSON', async () => {
		const qcow = join(dir, 'disk.qcow2');
		execFileSync('qemu-img', ['create', '-f', 'qcow2', qcow, '16M'], { stdio: 'ignore' });
		const statePath = join(dir, 'cli.state.json');
		const cli = (...args: string[]) =>
			new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
				const child = spawn(
					process.execPath,
					[
						'--import',
						'tsx',
						join(projectRoot, 'source', 'cli.tsx'),
						'image',
						'import',
						...args,
						'--endpoint-url',
						sandbox.endpoint,
						'--region',
						region,
						'--state',
						statePath,
						'--lang',
						'en',
					],
					{
						cwd: projectRoot,
						stdio: ['ignore', 'pipe', 'pipe'],
						env: {
							...process.env,
							AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
							AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
						},
					},
				);
				let stdout = '';
				let stderr = '';
				child.stdout.on('data', (chunk) => {
					stdout += chunk;
				});
				child.stderr.on('data', (chunk) => {
					stderr += chunk;
				});
				child.on('error', reject);
				child.on('exit', (code) => resolve({ code, stdout, stderr }));
			});
		const seen = sandbox.actionsSeen().length;
		const bad = await cli('--vhd', qcow, '--name', 'vaa-cli');
		expect(bad.code).toBe(2);
		expect(bad.stderr).toContain(`${qcow} is a QCOW2 image, not a VHD`);
		expect(bad.stdout).toBe('');
		expect(sandbox.actionsSeen()).toHaveLength(seen);

		const good = await cli('--vhd', dynamicVhd, '--name', 'vaa-cli', '--json');
		expect(good.stderr).toContain('Converting the disk image to an EBS snapshot');
		expect(good.code).toBe(0);
		const json = JSON.parse(good.stdout);
		expect(Object.keys(json).sort()).toEqual(['bucket', 'imageId', 'importTaskId', 'snapshotId']);
		expect(json.bucket).toBe(bucket);
		const images = await ec2.send(new DescribeImagesCommand({ ImageIds: [json.imageId] }));
		expect(images.Images?.[0]?.State).toBe('available');
	}, 180_000);

	it('an upload killed after two parts resumes from the parts S3 holds; no multipart upload is left', async () => {
		const statePath = join(dir, 'kill.state.json');
		const name = 'vaa-kill';
		const key = objectKeyFor('kill-test', name);
		// a run killed before it could record its UploadId leaves an upload behind: it must be aborted too
		await ensureBucket(s3, { bucket, region });
		await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));

		let parts = 0;
		const outcome = await runChildUntil(statePath, name, (line) => line.includes('"part"') && ++parts === 2);
		expect(outcome).toBe('SIGKILL');

		const state = await loadState(statePath);
		const record = state?.resources.find((item) => item.kind === 's3-object');
		expect(record?.uploadId).toEqual(expect.any(String));
		const held = await listUploadedParts(s3, { bucket, key, uploadId: record?.uploadId as string });
		expect(held?.length).toBeGreaterThanOrEqual(2);
		const partsTotal = Math.ceil(statSync(fixedVhd).size / (8 * 1024 * 1024));
		expect(held?.length).toBeLessThan(partsTotal);

		const events: ImageImportEvent[] = [];
		const result = await importImage(
			options({
				statePath,
				name,
				vhdPath: fixedVhd,
				stack: 'kill-test',
				upload: { concurrency: 1, partSize: 8 * 1024 * 1024 },
				onEvent: (event) => events.push(event),
			}),
		);
		const resumed = events.find((event) => event.type === 'phase' && event.phase === 'upload');
		expect(resumed?.type === 'phase' && resumed.message.key).toBe('image.phase.uploadResume');
		// only the missing parts were sent
		const sent = events.filter((event) => event.type === 'upload-part').length;
		expect(sent).toBe(partsTotal - (held?.length ?? 0));
		expect(await listUploadsOfKey(s3, { bucket, key })).toEqual([]);
		expect(await objectsIn(bucket)).not.toContain(key);
		const images = await ec2.send(new DescribeImagesCommand({ ImageIds: [result.imageId] }));
		expect(images.Images?.[0]?.State).toBe('available');
	}, 180_000);

	it('a bucket name another account owns: exit 1 with a free name to use, and no role, no upload', async () => {
		const statePath = join(dir, 'taken.state.json');
		const seen = sandbox.actionsSeen().length;
		const failure = importImage(options({ statePath, name: 'vaa-taken', bucket: 'taken-vaa-upload' }));
		await expect(failure).rejects.toMatchObject({
			name: 'BucketTakenError',
			bucket: 'taken-vaa-upload',
			suggestion: bucket,
		});
		const after = sandbox.actionsSeen().slice(seen);
		expect(after.filter((action) => action.startsWith('iam:') || action === 's3:PutObject')).toEqual([]);
		expect(await loadState(statePath)).toBeUndefined();
	}, 180_000);

	it('our bucket in another region: exit 1 naming both regions (ImportSnapshot reads only its own region)', async () => {
		const west = createS3Client({
			region: 'us-west-2',
			endpoint: sandbox.endpoint,
			credentials: SANDBOX_CREDENTIALS,
		});
		await ensureBucket(west, { bucket: 'vaa-upload-west', region: 'us-west-2' });
		west.destroy();
		const statePath = join(dir, 'west.state.json');
		await expect(
			importImage(options({ statePath, name: 'vaa-west', bucket: 'vaa-upload-west' })),
		).rejects.toMatchObject({
			name: 'BucketRegionError',
			bucketRegion: 'us-west-2',
			region,
		});
		expect(await loadState(statePath)).toBeUndefined();
	}, 180_000);

	it('a run killed while the import task runs: the rerun polls that task instead of uploading again', async () => {
		const statePath = join(dir, 'kill-import.state.json');
		const name = 'vaa-kill-import';
		const outcome = await runChildUntil(statePath, name, (line) => line.includes('image.note.importTask'));
		expect(outcome).toBe('SIGKILL');
		const recorded = (await loadState(statePath))?.resources.find((item) => item.kind === 's3-object');
		expect(recorded?.importTaskId).toMatch(/^import-snap-/);

		const events: ImageImportEvent[] = [];
		const result = await importImage(
			options({
				statePath,
				name,
				vhdPath: fixedVhd,
				stack: 'kill-test',
				onEvent: (event) => events.push(event),
			}),
		);
		expect(result.importTaskId).toBe(recorded?.importTaskId);
		expect(events.some((event) => event.type === 'phase' && event.phase === 'upload')).toBe(false);
		const tasks = await ec2.send(
			new DescribeImportSnapshotTasksCommand({ ImportTaskIds: [result.importTaskId] }),
		);
		expect(tasks.ImportSnapshotTasks?.[0]?.SnapshotTaskDetail?.Status).toBe('completed');
	}, 180_000);

	it('an import task that fails shows AWS’s message and the disk hint', async () => {
		// a disk that is not a VHD reaches ImportSnapshot only by going around the check: put it by hand
		const key = 'kakehashi/by-hand/not-a-disk.vhd';
		await ensureBucket(s3, { bucket, region });
		await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(4096, 1) }));
		const importTaskId = await importSnapshot(ec2, {
			bucket,
			key,
			role: 'vmimport',
			clientToken: `by-hand-${Date.now()}`,
			stack: 'by-hand',
			name: 'not-a-disk',
		});
		await expect(
			waitForImportSnapshot(ec2, importTaskId, { intervalMs: 20, timeoutMs: 30_000 }),
		).rejects.toMatchObject({
			name: 'ImportTaskFailedError',
			hint: 'disk',
			statusMessage: expect.stringContaining('Disk validation failed'),
		});

		// a later run that finds this failed task recorded starts a new one (a new ClientToken) and finishes
		const name = 'vaa-after-failure';
		const statePath = join(dir, 'failed.state.json');
		const goodKey = objectKeyFor('image-test', name);
		await s3.send(new PutObjectCommand({ Bucket: bucket, Key: goodKey, Body: await readFile(dynamicVhd) }));
		const state = newState({ flow: 'single-appliance', region, stack: 'image-test', answersDigest: '' });
		state.resources.push({
			kind: 's3-object',
			id: `s3://${bucket}/${goodKey}`,
			name: goodKey,
			created: true,
			bucket,
			key: goodKey,
			file: await fingerprintFile(dynamicVhd),
			uploaded: true,
			importTaskId,
		});
		await saveState(statePath, state);
		const events: ImageImportEvent[] = [];
		const result = await importImage(options({ statePath, name, onEvent: (event) => events.push(event) }));
		expect(result.importTaskId).not.toBe(importTaskId);
		expect(
			events.some(
				(event) => event.type === 'note' && event.message.key === 'image.note.previousImportFailed',
			),
		).toBe(true);
		expect(events.some((event) => event.type === 'phase' && event.phase === 'upload')).toBe(false);
		expect(await objectsIn(bucket)).not.toContain(goodKey);
	}, 180_000);
});
