import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	CreateImageCommand,
	CreateSubnetCommand,
	CreateTagsCommand,
	CreateVpcCommand,
	DeleteSnapshotCommand,
	DeregisterImageCommand,
	DescribeImagesCommand,
	DescribeImportSnapshotTasksCommand,
	DescribeSnapshotsCommand,
	type EC2Client,
	ImportSnapshotCommand,
	RegisterImageCommand,
	RunInstancesCommand,
	type SnapshotTaskDetail,
} from '@aws-sdk/client-ec2';
import {
	CreateRoleCommand,
	DeleteRolePolicyCommand,
	IAMClient,
	PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { describe, expect, onTestFinished, test } from 'vitest';
import {
	checkDiskImage,
	importTaskView,
	vmimportRoleProblem,
} from '../../source/sandbox/ec2/actions/snapshots.js';
import { SANDBOX_CREDENTIALS } from '../../source/sandbox/ec2/index.js';
import type { IamRoleRecord } from '../../source/sandbox/iam/state.js';
import { eventually, expectAwsError, sandboxWithClient } from './harness.js';

const REGION = 'ap-northeast-1';
const BUCKET = 'vaa.upload';
const TIMINGS = { importSnapshotMs: 600, imageAvailableMs: 300, instanceRunningMs: 100 };

const TRUST = JSON.stringify({
	Version: '2012-10-17',
	Statement: [{ Effect: 'Allow', Principal: { Service: 'vmie.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const ROLE_POLICY = JSON.stringify({
	Version: '2012-10-17',
	Statement: [
		{
			Effect: 'Allow',
			Action: ['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket'],
			Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
		},
		{
			Effect: 'Allow',
			Action: ['ec2:ModifySnapshotAttribute', 'ec2:CopySnapshot', 'ec2:RegisterImage', 'ec2:Describe*'],
			Resource: '*',
		},
	],
});

const qemuImg = (() => {
	try {
		execFileSync('qemu-img', ['--version'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
})();

function tempDir(): string {
	const dir = mkdtempSync(join(tmpdir(), 'kakehashi-images-'));
	onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

/** A VHD as the vendor ships them would be made: `qemu-img create -f vpc` (dynamic unless told fixed). */
function makeVhd(dir: string, subformat: 'dynamic' | 'fixed' = 'dynamic', size = '64M'): string {
	const file = join(dir, `disk-${subformat}.vhd`);
	execFileSync('qemu-img', ['create', '-f', 'vpc', '-o', `subformat=${subformat}`, file, size], {
		stdio: 'ignore',
	});
	return file;
}

async function world() {
	const { sandbox, ec2 } = await sandboxWithClient({ timings: TIMINGS });
	const common = { endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 };
	const s3 = new S3Client({ ...common, region: REGION, forcePathStyle: true });
	const iam = new IAMClient({ ...common, region: 'us-east-1' });
	onTestFinished(() => {
		s3.destroy();
		iam.destroy();
	});
	await s3.send(
		new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }),
	);
	return { sandbox, ec2, s3, iam };
}

async function vmimportRole(iam: IAMClient) {
	await iam.send(new CreateRoleCommand({ RoleName: 'vmimport', AssumeRolePolicyDocument: TRUST }));
	await iam.send(
		new PutRolePolicyCommand({ RoleName: 'vmimport', PolicyName: 'vmimport', PolicyDocument: ROLE_POLICY }),
	);
}

async function importFrom(ec2: EC2Client, key: string) {
	const started = await ec2.send(
		new ImportSnapshotCommand({
			Description: 'vaa-5.4.9',
			DiskContainer: { Format: 'VHD', UserBucket: { S3Bucket: BUCKET, S3Key: key } },
			TagSpecifications: [
				{ ResourceType: 'import-snapshot-task', Tags: [{ Key: 'kakehashi:stack', Value: 'amf' }] },
			],
		}),
	);
	return started.ImportTaskId as string;
}

/** Polls the task until it leaves `active`, returning every detail seen on the way. */
async function followTask(ec2: EC2Client, importTaskId: string): Promise<SnapshotTaskDetail[]> {
	const seen: SnapshotTaskDetail[] = [];
	await eventually(
		async () => {
			const task = (await ec2.send(new DescribeImportSnapshotTasksCommand({ ImportTaskIds: [importTaskId] })))
				.ImportSnapshotTasks?.[0];
			const detail = task?.SnapshotTaskDetail as SnapshotTaskDetail;
			seen.push(detail);
			return detail;
		},
		(detail) => expect(detail.Status).not.toBe('active'),
		30_000,
	);
	return seen;
}

describe.skipIf(!qemuImg)('image import through the SDK clients (qemu-img made VHD)', () => {
	test('S3 upload → ImportSnapshot with progress → RegisterImage → available → RunInstances', async () => {
		const { sandbox, ec2, s3, iam } = await world();
		await vmimportRole(iam);
		const dir = tempDir();
		const vhd = readFileSync(makeVhd(dir, 'fixed', '12M'));
		await new Upload({
			client: s3,
			params: { Bucket: BUCKET, Key: 'vaa.vhd', Body: vhd },
			partSize: 5 * 1024 * 1024,
		}).done();

		const importTaskId = await importFrom(ec2, 'vaa.vhd');
		expect(importTaskId).toMatch(/^import-snap-[0-9a-f]{17}$/);
		const seen = await followTask(ec2, importTaskId);
		const last = seen[seen.length - 1] as SnapshotTaskDetail;
		expect(last.Status).toBe('completed');
		expect(last.SnapshotId).toMatch(/^snap-[0-9a-f]{17}$/);
		expect(last.UserBucket).toEqual({ S3Bucket: BUCKET, S3Key: 'vaa.vhd' });
		expect(last.DiskImageSize).toBe(vhd.length);
		const progress = seen
			.filter((detail) => detail.Status === 'active')
			.map((detail) => Number(detail.Progress));
		expect(progress).toEqual([...progress].sort((a, b) => a - b));
		for (const detail of seen.filter((entry) => entry.Status === 'active')) {
			expect(['pending', 'validating', 'validated', 'converting']).toContain(detail.StatusMessage);
		}
		const snapshotId = last.SnapshotId as string;

		await ec2.send(
			new CreateTagsCommand({ Resources: [snapshotId], Tags: [{ Key: 'kakehashi:stack', Value: 'amf' }] }),
		);
		const snapshots = await ec2.send(
			new DescribeSnapshotsCommand({
				OwnerIds: ['self'],
				Filters: [{ Name: 'tag:kakehashi:stack', Values: ['amf'] }],
			}),
		);
		expect(
			snapshots.Snapshots?.map((snapshot) => [snapshot.SnapshotId, snapshot.State, snapshot.VolumeSize]),
		).toEqual([[snapshotId, 'completed', 1]]);
		const tasksByTag = await ec2.send(
			new DescribeImportSnapshotTasksCommand({ Filters: [{ Name: 'tag:kakehashi:stack', Values: ['amf'] }] }),
		);
		expect(tasksByTag.ImportSnapshotTasks?.map((task) => task.ImportTaskId)).toEqual([importTaskId]);

		const { ImageId } = await ec2.send(
			new RegisterImageCommand({
				Name: 'vaa-5.4.9',
				Architecture: 'x86_64',
				RootDeviceName: '/dev/xvda',
				VirtualizationType: 'hvm',
				EnaSupport: true,
				BlockDeviceMappings: [
					{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId, VolumeType: 'gp3' } },
				],
				TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'kakehashi:stack', Value: 'amf' }] }],
			}),
		);
		const mine = async () => (await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? [];
		const registered = (await mine()).find((image) => image.ImageId === ImageId);
		expect(registered).toMatchObject({
			Name: 'vaa-5.4.9',
			Architecture: 'x86_64',
			EnaSupport: true,
			RootDeviceName: '/dev/xvda',
		});
		expect(registered?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId).toBe(snapshotId);
		await eventually(mine, (images) =>
			expect(images.find((image) => image.ImageId === ImageId)?.State).toBe('available'),
		);
		await expectAwsError(
			ec2.send(
				new RegisterImageCommand({
					Name: 'vaa-5.4.9',
					RootDeviceName: '/dev/xvda',
					BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: snapshotId } }],
				}),
			),
			'InvalidAMIName.Duplicate',
			400,
		);

		const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '172.30.0.0/16' }))).Vpc?.VpcId;
		const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '172.30.0.0/24' })))
			.Subnet?.SubnetId;
		const launched = await ec2.send(
			new RunInstancesCommand({
				ImageId,
				InstanceType: 't3.small',
				MinCount: 1,
				MaxCount: 1,
				SubnetId: subnetId,
			}),
		);
		expect(launched.Instances?.[0]?.ImageId).toBe(ImageId);

		await expectAwsError(
			ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })),
			'InvalidSnapshot.InUse',
			400,
		);
		await ec2.send(new DeregisterImageCommand({ ImageId }));
		await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
		expect((await mine()).map((image) => image.ImageId)).not.toContain(ImageId);
		await expectAwsError(
			ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })),
			'InvalidSnapshot.NotFound',
			400,
		);
		expect(sandbox.actionsSeen()).toEqual(
			expect.arrayContaining([
				's3:CreateBucket',
				's3:PutObject',
				'iam:CreateRole',
				'iam:PutRolePolicy',
				'ImportSnapshot',
				'DescribeImportSnapshotTasks',
				'CreateTags',
				'DescribeSnapshots',
				'RegisterImage',
				'DescribeImages',
				'DeleteSnapshot',
				'DeregisterImage',
			]),
		);
	});

	test('a dynamic VHD imports with the size from its footer', async () => {
		const { ec2, s3, iam } = await world();
		await vmimportRole(iam);
		const vhd = readFileSync(makeVhd(tempDir(), 'dynamic', '3G'));
		await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'dynamic.vhd', Body: vhd }));
		const seen = await followTask(ec2, await importFrom(ec2, 'dynamic.vhd'));
		const last = seen[seen.length - 1] as SnapshotTaskDetail;
		expect(last.Status).toBe('completed');
		const snapshot = (
			await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [last.SnapshotId as string] }))
		).Snapshots?.[0];
		// qemu-img rounds the size up to a whole disk geometry: the footer's Current Size, in whole GiB
		const footerSize = Number(vhd.subarray(-512).readBigUInt64BE(48));
		expect(footerSize).toBeGreaterThanOrEqual(3 * 1024 ** 3);
		expect(snapshot?.VolumeSize).toBe(Math.ceil(footerSize / 1024 ** 3));
	});
});

describe('image import failures', () => {
	test('a file that is not a VHD: the task ends deleted with AWS ClientError message; no snapshot', async () => {
		const { ec2, s3, iam } = await world();
		await vmimportRole(iam);
		await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'notes.vhd', Body: Buffer.alloc(4096, 0x41) }));
		const seen = await followTask(ec2, await importFrom(ec2, 'notes.vhd'));
		const last = seen[seen.length - 1] as SnapshotTaskDetail;
		expect(last.Status).toBe('deleted');
		expect(last.StatusMessage).toBe('ClientError: Disk validation failed [Unsupported VHD Footer]');
		expect(last.SnapshotId).toBeUndefined();
		expect((await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots).toEqual([]);
	});

	test('ImportSnapshot with the same ClientToken answers with the task it started; another token starts another', async () => {
		const { ec2, s3, iam } = await world();
		await vmimportRole(iam);
		await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'notes.vhd', Body: Buffer.alloc(4096, 0x41) }));
		const request = (ClientToken: string) =>
			ec2.send(
				new ImportSnapshotCommand({
					ClientToken,
					DiskContainer: { Format: 'VHD', UserBucket: { S3Bucket: BUCKET, S3Key: 'notes.vhd' } },
				}),
			);
		const first = (await request('run-1')).ImportTaskId;
		expect((await request('run-1')).ImportTaskId).toBe(first);
		expect((await request('run-2')).ImportTaskId).not.toBe(first);
		const tasks = (await ec2.send(new DescribeImportSnapshotTasksCommand({}))).ImportSnapshotTasks ?? [];
		expect(tasks).toHaveLength(2);
	});

	test('CancelImportTask ends an active task as deleted; a finished one cannot be cancelled', async () => {
		const { ec2, s3, iam } = await world();
		await vmimportRole(iam);
		await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'disk.vhd', Body: Buffer.alloc(4096) }));
		const { CancelImportTaskCommand } = await import('@aws-sdk/client-ec2');
		const importTaskId = await importFrom(ec2, 'disk.vhd');
		const cancelled = await ec2.send(new CancelImportTaskCommand({ ImportTaskId: importTaskId }));
		expect(cancelled).toMatchObject({
			ImportTaskId: importTaskId,
			PreviousState: 'active',
			State: 'deleting',
		});
		const task = (await ec2.send(new DescribeImportSnapshotTasksCommand({ ImportTaskIds: [importTaskId] })))
			.ImportSnapshotTasks?.[0]?.SnapshotTaskDetail;
		expect(task?.Status).toBe('deleted');
		await expectAwsError(
			ec2.send(new CancelImportTaskCommand({ ImportTaskId: importTaskId })),
			'IncorrectState',
			400,
		);
	});

	test('the vmimport role must exist, trust vmie.amazonaws.com and read the object; the object must exist', async () => {
		const { ec2, s3, iam } = await world();
		await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'disk.vhd', Body: 'x' }));
		const missing = await expectAwsError(importFrom(ec2, 'disk.vhd'), 'InvalidParameter', 400);
		expect(missing.message).toContain(
			'The service role vmimport provided does not exist or does not have sufficient permissions',
		);
		await iam.send(
			new CreateRoleCommand({
				RoleName: 'vmimport',
				AssumeRolePolicyDocument: TRUST.replace('vmie.amazonaws.com', 'ec2.amazonaws.com'),
			}),
		);
		const untrusted = await expectAwsError(importFrom(ec2, 'disk.vhd'), 'InvalidParameter', 400);
		expect(untrusted.message).toContain('vmie.amazonaws.com');
		const { UpdateAssumeRolePolicyCommand } = await import('@aws-sdk/client-iam');
		await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'vmimport', PolicyDocument: TRUST }));
		const noPolicy = await expectAwsError(importFrom(ec2, 'disk.vhd'), 'InvalidParameter', 400);
		expect(noPolicy.message).toContain(`s3:GetObject on arn:aws:s3:::${BUCKET}/disk.vhd`);
		await iam.send(
			new PutRolePolicyCommand({ RoleName: 'vmimport', PolicyName: 'vmimport', PolicyDocument: ROLE_POLICY }),
		);
		const noObject = await expectAwsError(importFrom(ec2, 'absent.vhd'), 'InvalidParameter', 400);
		expect(noObject.message).toContain(`s3://${BUCKET}/absent.vhd does not exist`);
		await iam.send(new DeleteRolePolicyCommand({ RoleName: 'vmimport', PolicyName: 'vmimport' }));
		await expectAwsError(importFrom(ec2, 'disk.vhd'), 'InvalidParameter', 400);
	});

	test('CreateImage of a running instance: a pending image and snapshot that become available', async () => {
		const { ec2 } = await world();
		const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '172.30.0.0/16' }))).Vpc?.VpcId;
		const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '172.30.0.0/24' })))
			.Subnet?.SubnetId;
		const instanceId = (
			await ec2.send(
				new RunInstancesCommand({
					InstanceType: 't3.small',
					MinCount: 1,
					MaxCount: 1,
					SubnetId: subnetId,
					ImageId: 'ami-0a11ed7e1e5154a49',
				}),
			)
		).Instances?.[0]?.InstanceId as string;
		await expectAwsError(
			ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'too-early' })),
			'IncorrectInstanceState',
			400,
		);
		const { ImageId } = await eventually(
			() =>
				ec2
					.send(
						new CreateImageCommand({
							InstanceId: instanceId,
							Name: 'amf-backup-2026-11-23',
							NoReboot: true,
							TagSpecifications: [
								{ ResourceType: 'snapshot', Tags: [{ Key: 'kakehashi:stack', Value: 'amf' }] },
							],
						}),
					)
					.catch(() => ({ ImageId: undefined })),
			(result) => expect(result.ImageId).toMatch(/^ami-/),
		);
		const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId as string] }))).Images?.[0];
		expect(image?.State).toBe('pending');
		const snapshotId = image?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId as string;
		const tagged = await ec2.send(
			new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag:kakehashi:stack', Values: ['amf'] }] }),
		);
		expect(tagged.Snapshots?.map((snapshot) => snapshot.SnapshotId)).toEqual([snapshotId]);
		await eventually(
			async () =>
				(await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId as string] }))).Images?.[0]?.State,
			(state) => expect(state).toBe('available'),
		);
		const snapshot = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] })))
			.Snapshots?.[0];
		expect(snapshot?.State).toBe('completed');
		await expectAwsError(
			ec2.send(new DeregisterImageCommand({ ImageId: 'ami-0a11ed7e1e5154a49' })),
			'AuthFailure',
			400,
		);
	});
});

describe('disk checks (pure)', () => {
	function footer(type: number, sizeBytes: bigint, corrupt = false): Buffer {
		const block = Buffer.alloc(512);
		block.write('conectix', 0, 'latin1');
		block.writeBigUInt64BE(sizeBytes, 48);
		block.writeUInt32BE(type, 60);
		let sum = 0;
		for (const byte of block) sum += byte;
		block.writeUInt32BE((~sum >>> 0) + (corrupt ? 1 : 0), 64);
		return block;
	}
	const zero = Buffer.alloc(512);
	test.each([
		[
			'fixed VHD (footer at the end)',
			'VHD',
			zero,
			footer(2, 64n << 20n),
			{ ok: true, sizeBytes: 64 * 1024 * 1024 },
		],
		[
			'dynamic VHD (copy at the start)',
			'VHD',
			footer(3, 1n << 30n),
			zero,
			{ ok: true, sizeBytes: 1024 ** 3 },
		],
		[
			'no footer',
			'VHD',
			zero,
			zero,
			{ ok: false, message: 'ClientError: Disk validation failed [Unsupported VHD Footer]' },
		],
		[
			'bad checksum',
			'VHD',
			zero,
			footer(2, 1n, true),
			{ ok: false, message: 'ClientError: Disk validation failed [Invalid VHD Footer checksum]' },
		],
		[
			'differencing disk',
			'VHD',
			zero,
			footer(4, 1n),
			{ ok: false, message: 'ClientError: Disk validation failed [Unsupported VHD disk type]' },
		],
		['RAW takes any bytes', 'RAW', zero, zero, { ok: true, sizeBytes: 4096 }],
	] as const)('%s', (_name, format, head, tail, expected) => {
		expect(checkDiskImage(format, head, tail, 4096)).toEqual(expected);
	});

	test('the import task moves pending → validating → validated → converting → completed, or fails at validation', () => {
		const task = {
			id: 'import-snap-0123456789abcdef0',
			description: '',
			createdAt: 0,
			completesAt: 1000,
			format: 'VHD',
			bucket: 'b',
			key: 'k',
			diskImageSizeBytes: 1,
			snapshotId: 'snap-0123456789abcdef0',
			volumeSizeGiB: 1,
			tags: [],
		};
		expect([0, 200, 350, 400, 700, 999, 1000].map((now) => importTaskView(task, now))).toEqual([
			{ status: 'active', statusMessage: 'pending', progress: '3' },
			{ status: 'active', statusMessage: 'validating', progress: '10' },
			{ status: 'active', statusMessage: 'validated', progress: '19' },
			{ status: 'active', statusMessage: 'converting', progress: '30' },
			{ status: 'active', statusMessage: 'converting', progress: '65' },
			{ status: 'active', statusMessage: 'converting', progress: '99' },
			{ status: 'completed' },
		]);
		const bad = { ...task, failureMessage: 'ClientError: Disk validation failed [Unsupported VHD Footer]' };
		expect(importTaskView(bad, 200).status).toBe('active');
		expect(importTaskView(bad, 300)).toEqual({ status: 'deleted', statusMessage: bad.failureMessage });
	});

	test('vmimport role checks read the trust policy and the inline policies with IAM wildcards', () => {
		const role = (trust: unknown, policies: Record<string, unknown>): IamRoleRecord => ({
			name: 'vmimport',
			path: '/',
			roleId: 'AROAEXAMPLE',
			createdAt: 0,
			assumeRolePolicyDocument: JSON.stringify(trust),
			maxSessionDuration: 3600,
			policies: Object.fromEntries(
				Object.entries(policies).map(([name, doc]) => [name, JSON.stringify(doc)]),
			),
			tags: [],
		});
		const trust = {
			Statement: { Effect: 'Allow', Principal: { Service: ['vmie.amazonaws.com'] }, Action: 'sts:*' },
		};
		const read = {
			Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::vaa.upload/*' }],
		};
		expect(vmimportRoleProblem(role(trust, { p: read }), 'vaa.upload', 'a/b.vhd')).toBeUndefined();
		expect(vmimportRoleProblem(undefined, 'vaa.upload', 'k')).toBe('the role does not exist');
		expect(vmimportRoleProblem(role(trust, { p: read }), 'other', 'k')).toContain('s3:GetObject');
		expect(
			vmimportRoleProblem(
				role({ Statement: { ...trust.Statement, Effect: 'Deny' } }, { p: read }),
				'vaa.upload',
				'k',
			),
		).toContain('trust policy');
	});
});

test.skipIf(!qemuImg)('qemu-img writes the footer the check expects', () => {
	const dir = tempDir();
	const file = makeVhd(dir, 'fixed', '1M');
	const bytes = readFileSync(file);
	expect(checkDiskImage('VHD', bytes.subarray(0, 512), bytes.subarray(-512), bytes.length)).toEqual({
		ok: true,
		sizeBytes: expect.any(Number),
	});
	writeFileSync(join(dir, 'x'), 'x');
});
