import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	CreateKeyPairCommand,
	CreateSubnetCommand,
	CreateVpcCommand,
	DescribeInstancesCommand,
	DescribeKeyPairsCommand,
	DescribeVpcsCommand,
	EC2Client,
	type EC2ClientConfig,
	RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { describe, expect, onTestFinished, test } from 'vitest';
import {
	type Ec2Sandbox,
	type Ec2SandboxOptions,
	SANDBOX_CREDENTIALS,
	SANDBOX_IMAGE,
	type SandboxChange,
	startEc2Sandbox,
} from '../../source/sandbox/ec2/index.js';
import { eventually, type Failure, failure } from './harness.js';

async function start(options: Ec2SandboxOptions = {}): Promise<Ec2Sandbox> {
	const started = await startEc2Sandbox(options);
	onTestFinished(() => started.close());
	return started;
}

function clientFor(started: Ec2Sandbox, config: Partial<EC2ClientConfig> = {}): EC2Client {
	const ec2 = new EC2Client({
		endpoint: started.endpoint,
		region: 'ap-northeast-1',
		credentials: SANDBOX_CREDENTIALS,
		maxAttempts: 1,
		...config,
	});
	onTestFinished(() => ec2.destroy());
	return ec2;
}

async function temporaryDirectory(): Promise<string> {
	const directory = await mkdtemp(join(tmpdir(), 'kakehashi-ec2-sandbox-'));
	onTestFinished(() => rm(directory, { recursive: true, force: true }));
	return directory;
}

describe('fault injection', () => {
	test('throttling answers RequestLimitExceeded (503), which the SDK surfaces with maxAttempts 1', async () => {
		const started = await start({ faults: { throttleRate: 1 } });
		const error = await failure(clientFor(started).send(new DescribeVpcsCommand({})));
		expect(error.name).toBe('RequestLimitExceeded');
		expect(error.message).toBe('Request limit exceeded.');
		expect(error.$metadata.httpStatusCode).toBe(503);
		started.setFaults({});
		await expect(clientFor(started).send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
	});

	test('the SDK retries a throttled call and succeeds', async () => {
		const started = await start({
			faults: { failAction: { action: 'DescribeVpcs', code: 'RequestLimitExceeded', times: 1 } },
		});
		const output = await clientFor(started, { maxAttempts: 3 }).send(new DescribeVpcsCommand({}));
		expect(output.$metadata.attempts).toBe(2);
	});

	test('failAction: the named action fails `times` times with the code, message and status given', async () => {
		const started = await start();
		const ec2 = clientFor(started);
		started.setFaults({
			failAction: {
				action: 'CreateVpc',
				code: 'VpcLimitExceeded',
				message: 'The maximum number of VPCs has been reached.',
				times: 2,
			},
		});
		for (let attempt = 0; attempt < 2; attempt++) {
			const error = await failure(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })));
			expect(error.name).toBe('VpcLimitExceeded');
			expect(error.message).toBe('The maximum number of VPCs has been reached.');
			expect(error.$metadata.httpStatusCode).toBe(400);
		}
		await expect(ec2.send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
		await expect(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).resolves.toBeDefined();
		started.setFaults({ failAction: { action: 'DescribeVpcs', code: 'InternalError' } });
		const internal = await failure(ec2.send(new DescribeVpcsCommand({})));
		expect(internal.name).toBe('InternalError');
		expect(internal.$metadata.httpStatusCode).toBe(500);
		expect(() => started.setFaults({ throttleRate: 2 })).toThrow(RangeError);
	});

	test('throttling is deterministic for a seed', async () => {
		const pattern = async () => {
			const started = await start({ seed: 7, faults: { throttleRate: 0.5 } });
			const ec2 = clientFor(started);
			const outcomes: string[] = [];
			for (let call = 0; call < 12; call++) {
				outcomes.push(
					await ec2.send(new DescribeVpcsCommand({})).then(
						() => 'ok',
						(error: Failure) => error.name,
					),
				);
			}
			return outcomes;
		};
		const first = await pattern();
		expect(first).toContain('ok');
		expect(first).toContain('RequestLimitExceeded');
		expect(await pattern()).toEqual(first);
	});

	test('latency delays every response by at least latencyMs', async () => {
		const started = await start({ faults: { latencyMs: 150 } });
		const ec2 = clientFor(started);
		const before = performance.now();
		await ec2.send(new DescribeVpcsCommand({}));
		expect(performance.now() - before).toBeGreaterThanOrEqual(140);
	});
});

describe('observation', () => {
	test('actionsSeen lists each handled action once, in first-use order; onChange reports mutations', async () => {
		const started = await start();
		const ec2 = clientFor(started);
		const changes: SandboxChange[] = [];
		const unsubscribe = started.store.onChange((change) => changes.push(change));
		await ec2.send(new DescribeVpcsCommand({}));
		await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
		await ec2.send(new DescribeVpcsCommand({}));
		await failure(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' })));
		expect(started.actionsSeen()).toEqual(['DescribeVpcs', 'CreateVpc']);
		expect(changes).toEqual([{ type: 'action', region: 'ap-northeast-1', action: 'CreateVpc' }]);
		unsubscribe();
		await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
		expect(changes).toHaveLength(1);
	});

	test('the same seed mints the same IDs', async () => {
		const firstId = async () => {
			const started = await start({ seed: 42 });
			return (await clientFor(started).send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId;
		};
		const a = await firstId();
		expect(a).toMatch(/^vpc-[0-9a-f]{17}$/);
		expect(await firstId()).toBe(a);
	});
});

describe('persistence', () => {
	test('the store survives a restart; instance lifecycles keep progressing from absolute times', async () => {
		const directory = await temporaryDirectory();
		const stateFile = join(directory, 'sandbox.json');
		const timings = { instanceRunningMs: 400, instanceTerminatedMs: 100, consoleOutputMs: 100 };

		const first = await startEc2Sandbox({ stateFile, timings });
		const ec2 = clientFor(first);
		const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId as string;
		const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/24' })))
			.Subnet?.SubnetId as string;
		const key = await ec2.send(new CreateKeyPairCommand({ KeyName: 'persisted', KeyType: 'ed25519' }));
		const launched = await ec2.send(
			new RunInstancesCommand({ ImageId: SANDBOX_IMAGE.id, MinCount: 1, MaxCount: 1, SubnetId: subnetId }),
		);
		const instanceId = launched.Instances?.[0]?.InstanceId as string;
		expect(launched.Instances?.[0]?.State?.Name).toBe('pending');
		await first.close();

		expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
		expect(await readdir(directory)).toEqual(['sandbox.json']);
		const saved = JSON.parse(await readFile(stateFile, 'utf8'));
		expect(saved.version).toBe(1);
		expect(JSON.stringify(saved)).not.toContain('PRIVATE KEY');

		const second = await start({ stateFile, timings });
		const again = clientFor(second);
		expect((await again.send(new DescribeVpcsCommand({}))).Vpcs?.map((vpc) => vpc.VpcId)).toEqual([vpcId]);
		const keys = await again.send(new DescribeKeyPairsCommand({ KeyNames: ['persisted'] }));
		expect(keys.KeyPairs?.[0]?.KeyFingerprint).toBe(key.KeyFingerprint);
		expect(second.store.keyPair('persisted')?.publicKey).toMatch(/^ssh-ed25519 /);
		await eventually(
			() => again.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
			(output) => expect(output.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running'),
		);
		// IDs minted after the restart continue the sequence instead of repeating it.
		const next = (await again.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc?.VpcId;
		expect(next).not.toBe(vpcId);
		expect(second.store.listInstances().map((instance) => instance.instanceId)).toEqual([instanceId]);
	});

	test('a state file that is not a sandbox state is refused with a way out', async () => {
		const directory = await temporaryDirectory();
		const stateFile = join(directory, 'broken.json');
		await writeFile(stateFile, '{ not json');
		await expect(startEc2Sandbox({ stateFile })).rejects.toThrow(/not valid JSON.*Delete it/);
		await writeFile(stateFile, JSON.stringify({ version: 9 }));
		await expect(startEc2Sandbox({ stateFile })).rejects.toThrow(/not a kakehashi sandbox state/);
	});
});
