import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	CreateSubnetCommand,
	CreateVpcCommand,
	DescribeImagesCommand,
	DescribeInstancesCommand,
	EC2Client,
	RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { backupCommand, backupImageName, backupSource } from '../../source/commands/backup.js';
import { UsageError } from '../../source/commands/errors.js';
import { newState, saveState } from '../../source/flow/state.js';
import { SANDBOX_CREDENTIALS, SANDBOX_IMAGE } from '../../source/sandbox/ec2/index.js';
import { startSandbox } from '../../source/sandbox/index.js';
import { captureIo } from './sandbox-journey.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const step of cleanup.reverse()) await step().catch(() => {});
	cleanup = [];
});

describe('backup image names and source (pure)', () => {
	it('dates the name in UTC and keeps it within AMI name rules', () => {
		expect(backupImageName('AMF-VAA', new Date('2026-11-23T16:21:48Z'))).toBe('AMF-VAA-backup-20261123-1621');
		expect(backupImageName('vaa/東京', new Date('2026-01-02T03:04:00Z'))).toBe('vaa/---backup-20260102-0304');
	});

	it('finds the appliance instance in the state file, or says none is recorded', () => {
		const state = newState({
			flow: 'single-appliance',
			region: 'ap-northeast-1',
			stack: 's',
			answersDigest: 'x',
		});
		expect(backupSource(state, undefined)).toEqual({ error: 'none' });
		state.resources.push({ kind: 'instance', id: 'i-0123', name: 'AMF-VAA', created: true });
		expect(backupSource(state, undefined)).toEqual({ instanceId: 'i-0123', name: 'AMF-VAA' });
		expect(backupSource(state, 'nope')).toEqual({ error: 'unknown', known: [] });
	});
});

describe('kakehashi backup against the sandbox', () => {
	it('images the appliance instance, records it for destroy, waits until available and warns (ja)', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'kakehashi-backup-'));
		cleanup.push(() => rm(dir, { recursive: true, force: true }));
		const sandbox = await startSandbox({ dir: join(dir, 'sandbox'), timings: { instanceRunningMs: 50 } });
		cleanup.push(() => sandbox.close());
		const ec2 = new EC2Client({
			endpoint: sandbox.endpoint,
			region: 'ap-northeast-1',
			credentials: SANDBOX_CREDENTIALS,
			maxAttempts: 1,
		});
		cleanup.push(async () => ec2.destroy());
		const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '172.30.0.0/16' }));
		const subnet = await ec2.send(
			new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId ?? '', CidrBlock: '172.30.0.0/24' }),
		);
		const run = await ec2.send(
			new RunInstancesCommand({
				ImageId: SANDBOX_IMAGE.id,
				InstanceType: 't3.small',
				MinCount: 1,
				MaxCount: 1,
				SubnetId: subnet.Subnet?.SubnetId ?? '',
			}),
		);
		const instanceId = run.Instances?.[0]?.InstanceId ?? '';
		for (let attempt = 0; attempt < 200; attempt++) {
			const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
			if (described.Reservations?.[0]?.Instances?.[0]?.State?.Name === 'running') break;
			await new Promise((resolve) => setTimeout(resolve, 25));
		}
		const statePath = join(dir, 'kakehashi.state.json');
		const state = newState({
			flow: 'single-appliance',
			region: 'ap-northeast-1',
			endpoint: sandbox.endpoint,
			stack: 'amf-cloud',
			answersDigest: 'x',
		});
		state.resources.push({ kind: 'instance', id: instanceId, name: 'AMF-VAA', created: true });
		await saveState(statePath, state);

		const { io, out, err } = captureIo(dir, 'ja');
		const code = await backupCommand({ state: statePath, endpointUrl: sandbox.endpoint, json: true }, io);
		expect(code).toBe(0);
		const result = JSON.parse(out()) as { imageId: string; name: string };
		expect(result.name).toMatch(/^AMF-VAA-backup-\d{8}-\d{4}$/);
		expect(err()).toContain('新しい MAC アドレスと新しい IP アドレス');
		const { Images: images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [result.imageId] }));
		expect(images[0]?.State).toBe('available');
		expect(images[0]?.Tags).toContainEqual({ Key: 'kakehashi:stack', Value: 'amf-cloud' });
		const saved = JSON.parse(await readFile(statePath, 'utf8')) as {
			resources: { kind: string; id: string }[];
		};
		expect(saved.resources).toContainEqual({
			kind: 'image',
			id: result.imageId,
			name: result.name,
			created: true,
		});
		// its snapshot is recorded before it: destroy (walking backwards) deregisters the image first
		const snapshotId = images[0]?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId;
		expect(snapshotId).toMatch(/^snap-/);
		const kinds = saved.resources.map((item) => `${item.kind}:${item.id}`);
		expect(kinds.indexOf(`snapshot:${snapshotId}`)).toBe(kinds.indexOf(`image:${result.imageId}`) - 1);
	});

	it('exits with a usage error when the state file records no appliance', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'kakehashi-backup-'));
		cleanup.push(() => rm(dir, { recursive: true, force: true }));
		const { io } = captureIo(dir, 'en');
		await expect(backupCommand({ state: join(dir, 'missing.json'), json: true }, io)).rejects.toBeInstanceOf(
			UsageError,
		);
	});
});
