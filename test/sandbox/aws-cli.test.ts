/**
 * An independent client against the sandbox: the AWS CLI (v2 at /usr/bin/aws; a `aws` on PATH
 * otherwise) for S3, IAM and EC2 image import, with the sandbox's documented credentials.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, onTestFinished, test } from 'vitest';
import { type Ec2Sandbox, SANDBOX_CREDENTIALS, startEc2Sandbox } from '../../source/sandbox/ec2/index.js';
import { eventually } from './harness.js';

const run = promisify(execFile);
const REGION = 'ap-northeast-1';

function findAws(): string | undefined {
	if (existsSync('/usr/bin/aws')) return '/usr/bin/aws';
	try {
		return execFileSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' }).trim() || undefined;
	} catch {
		return undefined;
	}
}

const AWS = findAws();
const QEMU_IMG = (() => {
	try {
		execFileSync('qemu-img', ['--version'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
})();
const skipReason = !AWS
	? 'no aws binary (install the AWS CLI v2 to run these tests)'
	: !QEMU_IMG
		? 'no qemu-img (install qemu-utils to run these tests)'
		: undefined;

type Cli = (args: string[], secret?: string) => Promise<{ stdout: string; stderr: string; code: number }>;

async function setUp(): Promise<{ sandbox: Ec2Sandbox; aws: Cli; dir: string }> {
	const dir = mkdtempSync(join(tmpdir(), 'kakehashi-cli-'));
	onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
	const sandbox = await startEc2Sandbox({ timings: { importSnapshotMs: 600, imageAvailableMs: 300 } });
	onTestFinished(() => sandbox.close());
	const aws: Cli = async (args, secret = SANDBOX_CREDENTIALS.secretAccessKey) => {
		const env = {
			PATH: process.env.PATH ?? '/usr/bin:/bin',
			HOME: dir,
			AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
			AWS_SECRET_ACCESS_KEY: secret,
			AWS_DEFAULT_REGION: REGION,
			AWS_CONFIG_FILE: join(dir, 'no-config'),
			AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
			AWS_EC2_METADATA_DISABLED: 'true',
			AWS_PAGER: '',
			AWS_MAX_ATTEMPTS: '1',
		};
		try {
			const { stdout, stderr } = await run(
				AWS as string,
				['--endpoint-url', sandbox.endpoint, '--output', 'json', ...args],
				{ env, cwd: dir, maxBuffer: 16 * 1024 * 1024 },
			);
			return { stdout, stderr, code: 0 };
		} catch (error) {
			const failed = error as { stdout?: string; stderr?: string; code?: number };
			return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', code: failed.code ?? 1 };
		}
	};
	return { sandbox, aws, dir };
}

async function ok(aws: Cli, args: string[]): Promise<unknown> {
	const result = await aws(args);
	expect(result.code, `aws ${args.join(' ')}\n${result.stderr}`).toBe(0);
	// `s3` commands print text (`upload: …`); `s3api`, `iam` and `ec2` print JSON
	const text = result.stdout.trim();
	return /^[[{]/.test(text) ? JSON.parse(text) : text === '' ? undefined : text;
}

function sha256File(file: string): string {
	return createHash('sha256').update(readFileSync(file)).digest('hex');
}

const TRUST = {
	Version: '2012-10-17',
	Statement: [{ Effect: 'Allow', Principal: { Service: 'vmie.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
const POLICY = {
	Version: '2012-10-17',
	Statement: [
		{
			Effect: 'Allow',
			Action: ['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket'],
			Resource: ['arn:aws:s3:::cli.upload', 'arn:aws:s3:::cli.upload/*'],
		},
	],
};

describe.skipIf(skipReason !== undefined)(
	`the AWS CLI against the sandbox${skipReason ? ` (skipped: ${skipReason})` : ''}`,
	() => {
		test('s3 cp (multipart) up and down, list-multipart-uploads, iam roles, import-snapshot to completed', async () => {
			const { sandbox, aws, dir } = await setUp();
			await ok(aws, [
				's3api',
				'create-bucket',
				'--bucket',
				'cli.upload',
				'--create-bucket-configuration',
				`LocationConstraint=${REGION}`,
			]);
			const vhd = join(dir, 'vaa.vhd');
			// fixed: a 64 MiB file, so `s3 cp` uses multipart (8 MiB parts)
			execFileSync('qemu-img', ['create', '-f', 'vpc', '-o', 'subformat=fixed', vhd, '64M'], {
				stdio: 'ignore',
			});
			await ok(aws, ['s3', 'cp', vhd, 's3://cli.upload/images/vaa.vhd', '--no-progress']);
			expect(sandbox.actionsSeen()).toContain('s3:PutObject');
			const uploads = (await ok(aws, ['s3api', 'list-multipart-uploads', '--bucket', 'cli.upload'])) as
				| { Uploads?: unknown[] }
				| undefined;
			expect(uploads?.Uploads ?? []).toEqual([]);
			const head = (await ok(aws, [
				's3api',
				'head-object',
				'--bucket',
				'cli.upload',
				'--key',
				'images/vaa.vhd',
			])) as {
				ContentLength: number;
				ETag: string;
			};
			expect(head.ContentLength).toBe(readFileSync(vhd).length);
			// 64 MiB and the 512-byte footer in the CLI's 8 MiB parts
			expect(head.ETag).toMatch(new RegExp(`-${Math.ceil(head.ContentLength / (8 * 1024 * 1024))}"$`));
			// from another region: S3's 301 names the bucket's region and the CLI follows it
			const elsewhere = (await ok(aws, [
				'--region',
				'us-east-1',
				's3api',
				'head-object',
				'--bucket',
				'cli.upload',
				'--key',
				'images/vaa.vhd',
			])) as { ContentLength: number };
			expect(elsewhere.ContentLength).toBe(head.ContentLength);
			const listing = await aws(['s3', 'ls', 's3://cli.upload/images/']);
			expect(listing.stdout).toContain('vaa.vhd');
			await ok(aws, ['s3', 'cp', 's3://cli.upload/images/vaa.vhd', join(dir, 'back.vhd'), '--no-progress']);
			expect(sha256File(join(dir, 'back.vhd'))).toBe(sha256File(vhd));

			// an upload left open shows in list-multipart-uploads until aborted
			const open = (await ok(aws, [
				's3api',
				'create-multipart-upload',
				'--bucket',
				'cli.upload',
				'--key',
				'left.vhd',
			])) as {
				UploadId: string;
			};
			const listed = (await ok(aws, ['s3api', 'list-multipart-uploads', '--bucket', 'cli.upload'])) as {
				Uploads: { Key: string; UploadId: string }[];
			};
			expect(listed.Uploads.map((upload) => [upload.Key, upload.UploadId])).toEqual([
				['left.vhd', open.UploadId],
			]);
			await ok(aws, [
				's3api',
				'abort-multipart-upload',
				'--bucket',
				'cli.upload',
				'--key',
				'left.vhd',
				'--upload-id',
				open.UploadId,
			]);

			writeFileSync(join(dir, 'trust.json'), JSON.stringify(TRUST));
			writeFileSync(join(dir, 'policy.json'), JSON.stringify(POLICY));
			await ok(aws, [
				'iam',
				'create-role',
				'--role-name',
				'vmimport',
				'--assume-role-policy-document',
				'file://trust.json',
			]);
			await ok(aws, [
				'iam',
				'put-role-policy',
				'--role-name',
				'vmimport',
				'--policy-name',
				'vmimport',
				'--policy-document',
				'file://policy.json',
			]);
			const role = (await ok(aws, ['iam', 'get-role', '--role-name', 'vmimport'])) as {
				Role: { Arn: string; AssumeRolePolicyDocument: unknown };
			};
			expect(role.Role.Arn).toBe('arn:aws:iam::123456789012:role/vmimport');
			// the CLI decodes IAM's URL-encoded policy documents
			expect(role.Role.AssumeRolePolicyDocument).toEqual(TRUST);

			const started = (await ok(aws, [
				'ec2',
				'import-snapshot',
				'--description',
				'vaa-5.4.9',
				'--disk-container',
				'Format=VHD,UserBucket={S3Bucket=cli.upload,S3Key=images/vaa.vhd}',
			])) as { ImportTaskId: string };
			expect(started.ImportTaskId).toMatch(/^import-snap-/);
			const done = await eventually(
				async () =>
					(await ok(aws, [
						'ec2',
						'describe-import-snapshot-tasks',
						'--import-task-ids',
						started.ImportTaskId,
					])) as {
						ImportSnapshotTasks: { SnapshotTaskDetail: { Status: string; SnapshotId?: string } }[];
					},
				(tasks) => expect(tasks.ImportSnapshotTasks[0]?.SnapshotTaskDetail.Status).toBe('completed'),
				60_000,
			);
			const snapshotId = done.ImportSnapshotTasks[0]?.SnapshotTaskDetail.SnapshotId as string;
			const snapshots = (await ok(aws, ['ec2', 'describe-snapshots', '--owner-ids', 'self'])) as {
				Snapshots: { SnapshotId: string; VolumeSize: number }[];
			};
			expect(snapshots.Snapshots.map((snapshot) => [snapshot.SnapshotId, snapshot.VolumeSize])).toEqual([
				[snapshotId, 1],
			]);
			await ok(aws, ['s3', 'rm', 's3://cli.upload/images/vaa.vhd']);
			const empty = (await ok(aws, ['s3api', 'list-objects-v2', '--bucket', 'cli.upload'])) as
				| { Contents?: unknown[] }
				| undefined;
			expect(empty?.Contents ?? []).toEqual([]);
		}, 300_000);

		test('a file that is not a VHD fails its import task; bad signatures are refused by every service', async () => {
			const { aws, dir } = await setUp();
			await ok(aws, [
				's3api',
				'create-bucket',
				'--bucket',
				'cli.upload',
				'--create-bucket-configuration',
				`LocationConstraint=${REGION}`,
			]);
			writeFileSync(join(dir, 'notes.txt'), 'not a disk image\n'.repeat(100));
			await ok(aws, ['s3', 'cp', join(dir, 'notes.txt'), 's3://cli.upload/notes.vhd', '--no-progress']);
			writeFileSync(join(dir, 'trust.json'), JSON.stringify(TRUST));
			writeFileSync(join(dir, 'policy.json'), JSON.stringify(POLICY));
			await ok(aws, [
				'iam',
				'create-role',
				'--role-name',
				'vmimport',
				'--assume-role-policy-document',
				'file://trust.json',
			]);
			await ok(aws, [
				'iam',
				'put-role-policy',
				'--role-name',
				'vmimport',
				'--policy-name',
				'vmimport',
				'--policy-document',
				'file://policy.json',
			]);
			const started = (await ok(aws, [
				'ec2',
				'import-snapshot',
				'--disk-container',
				'Format=VHD,UserBucket={S3Bucket=cli.upload,S3Key=notes.vhd}',
			])) as { ImportTaskId: string };
			const failed = await eventually(
				async () =>
					(await ok(aws, [
						'ec2',
						'describe-import-snapshot-tasks',
						'--import-task-ids',
						started.ImportTaskId,
					])) as {
						ImportSnapshotTasks: { SnapshotTaskDetail: { Status: string; StatusMessage?: string } }[];
					},
				(tasks) => expect(tasks.ImportSnapshotTasks[0]?.SnapshotTaskDetail.Status).toBe('deleted'),
				60_000,
			);
			expect(failed.ImportSnapshotTasks[0]?.SnapshotTaskDetail.StatusMessage).toBe(
				'ClientError: Disk validation failed [Unsupported VHD Footer]',
			);

			for (const [args, code] of [
				[['s3', 'ls', 's3://cli.upload/'], 'SignatureDoesNotMatch'],
				[['s3api', 'list-multipart-uploads', '--bucket', 'cli.upload'], 'SignatureDoesNotMatch'],
				[['iam', 'get-role', '--role-name', 'vmimport'], 'SignatureDoesNotMatch'],
				[['ec2', 'describe-import-snapshot-tasks'], 'AuthFailure|SignatureDoesNotMatch'],
			] as const) {
				const refused = await aws([...args], 'not-the-secret');
				expect(refused.code, args.join(' ')).not.toBe(0);
				expect(refused.stderr).toMatch(new RegExp(code));
			}
		}, 300_000);
	},
);
