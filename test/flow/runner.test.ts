import { existsSync } from 'node:fs';
import { chmod, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
	CreateSubnetCommand,
	DeleteSubnetCommand,
	DescribeVpcsCommand,
	type EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	createKeyPair,
	findKeyPairById,
	privateKeyMatchesFingerprint,
	writePrivateKeyFile,
} from '../../source/aws/key-pair.js';
import { planFlow } from '../../source/flow/plan.js';
import { applyFlow, destroyFlow, type FlowEvent, FlowStepError } from '../../source/flow/runner.js';
import { loadState } from '../../source/flow/state.js';
import { KeyPairChoiceError } from '../../source/flow/steps.js';
import {
	countTagged,
	fastFlowTimings,
	networkKinds,
	type Sandbox,
	sampleAnswers,
	startSandbox,
	temporaryDirectory,
	uniqueStack,
} from '../aws/sandbox-harness.js';

let sandbox: Sandbox;
let ec2: EC2Client;
let makeClient: Awaited<ReturnType<typeof startSandbox>>['client'];
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
	({ sandbox, ec2, client: makeClient } = await startSandbox());
	sandbox.store.onChange((change) => {
		if (change.type === 'action') mutations.push(change.action);
	});
	({ dir, cleanup } = await temporaryDirectory());
});

afterAll(async () => {
	await sandbox?.close();
	await cleanup?.();
});

/** Every action that changed the sandbox's store, in order. */
const mutations: string[] = [];

async function expectOneOfEach(stack: string, statePath: string): Promise<void> {
	const tagged = await countTagged(ec2, stack);
	for (const kind of networkKinds) expect(tagged[kind], kind).toHaveLength(1);
	const state = await loadState(statePath);
	for (const kind of networkKinds) {
		const records = state?.resources.filter((item) => item.kind === kind) ?? [];
		expect(
			records.map((item) => item.id),
			kind,
		).toEqual(tagged[kind]);
	}
}

async function expectNothingTagged(stack: string): Promise<void> {
	const tagged = await countTagged(ec2, stack);
	for (const kind of networkKinds) expect(tagged[kind], kind).toEqual([]);
}

describe('plan, apply, destroy', () => {
	it('plans, applies, keeps, replaces after a CIDR change, and destroys everything it made', async () => {
		const stack = uniqueStack('flow');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);

		const empty = await planFlow({ ec2, answers });
		expect(empty.changes.map((change) => [change.action, change.kind])).toEqual(
			networkKinds.map((kind) => ['create', kind]),
		);

		const events: FlowEvent[] = [];
		const result = await applyFlow({
			ec2,
			answers,
			statePath,
			timings: fastFlowTimings,
			onEvent: (event) => events.push(event),
		});
		expect(result.flow).toBe('single-appliance');
		expect(result.instance.id).toMatch(/^i-/);
		expect(result.instance.privateIp).toMatch(/^172\.30\.0\./);
		expect(result.instance.publicIp).toBeTruthy();
		// The sandbox's own judgement: running, public IP, main route table → attached internet gateway.
		expect(sandbox.store.internetReachable(result.instance.id)).toBe(true);
		const group = sandbox.store.securityGroupsOfInstance(result.instance.id)[0];
		expect(group?.name).toBe('Permitted-IP-Hosts');
		expect(
			group?.rules.filter((rule) => rule.direction === 'ingress').map((rule) => rule.description),
		).toEqual(
			expect.arrayContaining([
				'Allow SSH',
				'Allow From User Network',
				'ISAKMP site',
				'NAT-T (UDP-encap ISAKMP/ESP) site',
			]),
		);
		expect(result.routers[0]).toMatchObject({
			name: 'AMF-VAA',
			host: result.instance.publicIp,
			vendor: 'awplus',
		});
		expect(events.filter((event) => event.type === 'step-done').map((event) => event.kind)).toEqual([
			...networkKinds,
		]);
		await expectOneOfEach(stack, statePath);
		expect(existsSync(answers.keyPair.privateKeyFile!)).toBe(true);

		const state = await loadState(statePath);
		expect(state?.stack).toBe(stack);
		expect(state?.resources.every((item) => item.created)).toBe(true);
		expect(JSON.stringify(state)).not.toContain('PRIVATE KEY');

		const vpc = await ec2.send(new DescribeVpcsCommand({ VpcIds: [state!.resources[0]!.id] }));
		expect(vpc.Vpcs?.[0]?.CidrBlock).toBe('172.30.0.0/16');

		const after = await planFlow({ ec2, answers, state: state! });
		expect(after.changes.map((change) => change.action)).toEqual(networkKinds.map(() => 'keep'));
		// Without the state file, everything is found again by its stack tag.
		const tagOnly = await planFlow({ ec2, answers });
		expect(tagOnly.changes.map((change) => [change.action, change.id])).toEqual(
			after.changes.map((change) => [change.action, change.id]),
		);

		const before = mutations.length;
		const again = await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		expect(mutations.slice(before)).toEqual([]);
		expect(again.instance.id).toBe(result.instance.id);
		await expectOneOfEach(stack, statePath);

		const moved = sampleAnswers(stack, dir, {
			vpc: { cidr: '10.50.0.0/16' },
			subnet: { cidr: '10.50.1.0/24' },
		});
		const replan = await planFlow({ ec2, answers: moved, state: (await loadState(statePath))! });
		expect(Object.fromEntries(replan.changes.map((change) => [change.kind, change.action]))).toEqual({
			vpc: 'replace',
			subnet: 'replace',
			'internet-gateway': 'replace',
			'route-table': 'replace',
			'security-group': 'replace',
			'key-pair': 'keep',
			instance: 'replace',
		});
		expect(replan.changes[0]?.reason).toContain('10.50.0.0/16');

		const replaced = await applyFlow({ ec2, answers: moved, statePath, timings: fastFlowTimings });
		expect(replaced.instance.id).not.toBe(result.instance.id);
		expect(replaced.instance.privateIp).toMatch(/^10\.50\.1\./);
		await expectOneOfEach(stack, statePath);

		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		expect(destroyed.deleted.map((item) => item.kind)).toEqual([...networkKinds].reverse());
		expect(destroyed.notes.join('\n')).toContain(answers.keyPair.privateKeyFile!);
		await expectNothingTagged(stack);
		expect((await loadState(statePath))?.resources).toEqual([]);
		expect(existsSync(answers.keyPair.privateKeyFile!)).toBe(true); // AWS's copy only is deleted
		expect((await destroyFlow({ ec2, statePath, timings: fastFlowTimings })).deleted).toEqual([]);
	});

	it('keeps retrying a destroy while something else still depends on the VPC', async () => {
		const stack = uniqueStack('dependency');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		const vpcId = (await loadState(statePath))!.resources.find((item) => item.kind === 'vpc')!.id;
		// Someone added a subnet by hand: the VPC cannot go until it does.
		const extra = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '172.30.9.0/24' }));
		let released: Promise<unknown> | undefined;
		const retries: FlowEvent[] = [];
		const result = await destroyFlow({
			ec2,
			statePath,
			timings: fastFlowTimings,
			onEvent: (event) => {
				if (event.type !== 'retry' || event.kind !== 'vpc') return;
				retries.push(event);
				released ??= ec2.send(new DeleteSubnetCommand({ SubnetId: extra.Subnet!.SubnetId! }));
			},
		});
		await released;
		expect(retries.length).toBeGreaterThan(0);
		expect(retries[0]?.message).toContain('DependencyViolation');
		expect(result.failed).toEqual([]);
		expect(result.deleted.map((item) => item.kind)).toContain('vpc');
		await expectNothingTagged(stack);
	});

	it('completes under throttling and reports the retries', async () => {
		const stack = uniqueStack('throttle');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);
		const notices: string[] = [];
		const throttled = makeClient((notice) => notices.push(notice.errorCode));
		const events: FlowEvent[] = [];
		sandbox.setFaults({ throttleRate: 0.3 });
		try {
			await applyFlow({
				ec2: throttled,
				answers,
				statePath,
				timings: fastFlowTimings,
				onEvent: (event) => events.push(event),
			});
		} finally {
			sandbox.setFaults({});
		}
		expect(notices.length).toBeGreaterThan(0);
		expect(events.some((event) => event.type === 'retry' && event.attempt !== undefined)).toBe(true);
		await expectOneOfEach(stack, statePath);
		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		await expectNothingTagged(stack);
	}, 300_000); // adaptive retry slows the client down on purpose

	it('describes a denied action, then resumes without duplicating', async () => {
		const stack = uniqueStack('denied');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);
		const events: FlowEvent[] = [];
		sandbox.setFaults({
			failAction: { action: 'CreateSecurityGroup', code: 'UnauthorizedOperation', status: 403 },
		});
		let caught: unknown;
		try {
			await applyFlow({
				ec2,
				answers,
				statePath,
				timings: fastFlowTimings,
				onEvent: (event) => events.push(event),
			});
		} catch (error) {
			caught = error;
		} finally {
			sandbox.setFaults({});
		}
		expect(caught).toBeInstanceOf(FlowStepError);
		const failure = caught as FlowStepError;
		expect(failure.kind).toBe('security-group');
		expect(failure.description).toMatchObject({
			code: 'UnauthorizedOperation',
			httpStatus: 403,
			action: 'ec2:CreateSecurityGroup',
		});
		expect(failure.description.requestId).toBeTruthy();
		expect(failure.message).toContain('ec2:CreateSecurityGroup');
		expect(events.find((event) => event.type === 'error')?.error?.action).toBe('ec2:CreateSecurityGroup');

		const partial = await loadState(statePath);
		expect(partial?.resources.map((item) => item.kind)).toEqual([
			'vpc',
			'subnet',
			'internet-gateway',
			'route-table',
		]);

		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		await expectOneOfEach(stack, statePath);
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		await expectNothingTagged(stack);
	});
});

describe('cancelling', () => {
	it('stops when its signal aborts, and a later run resumes without duplicating', async () => {
		const stack = uniqueStack('abort');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);
		const controller = new AbortController();
		await expect(
			applyFlow({
				ec2,
				answers,
				statePath,
				signal: controller.signal,
				timings: fastFlowTimings,
				onEvent: (event) => {
					if (event.type === 'step-start' && event.kind === 'security-group') controller.abort();
				},
			}),
		).rejects.toBeInstanceOf(FlowStepError);
		expect((await loadState(statePath))?.resources.some((item) => item.kind === 'instance')).toBe(false);
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		await expectOneOfEach(stack, statePath);
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		await expectNothingTagged(stack);
	});
});

describe('key pairs', () => {
	it('replaces a key pair of ours whose private key never reached the disk', async () => {
		const stack = uniqueStack('lostkey');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);
		// What a run killed between CreateKeyPair and writing the PEM leaves behind.
		const orphan = await createKeyPair(ec2, {
			stack,
			name: answers.keyPair.name,
			keyName: answers.keyPair.name,
		});
		const plan = await planFlow({ ec2, answers });
		expect(plan.changes.find((change) => change.kind === 'key-pair')).toMatchObject({
			action: 'replace',
			id: orphan.keyPairId,
		});
		const events: FlowEvent[] = [];
		await applyFlow({
			ec2,
			answers,
			statePath,
			timings: fastFlowTimings,
			onEvent: (event) => events.push(event),
		});
		expect(await findKeyPairById(ec2, orphan.keyPairId)).toBeUndefined();
		const replaced = events.find((event) => event.kind === 'key-pair' && event.action === 'replace');
		expect(replaced?.messageKey).toBe('flow.replace.deletingFirst');
		expect(replaced?.message).toContain('never hands it out twice');
		await expectOneOfEach(stack, statePath);
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		await expectNothingTagged(stack);
	});

	it('explains the choice for a key pair that is not ours and whose private key is missing', async () => {
		const stack = uniqueStack('foreignkey');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);
		await createKeyPair(ec2, {
			stack: 'someone-else',
			name: answers.keyPair.name,
			keyName: answers.keyPair.name,
		});
		let caught: unknown;
		try {
			await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(FlowStepError);
		expect((caught as FlowStepError).cause).toBeInstanceOf(KeyPairChoiceError);
		expect((caught as Error).message).toMatch(/delete that key pair|put its PEM/);
		expect((caught as FlowStepError).kind).toBe('key-pair');
		await expect(planFlow({ ec2, answers })).rejects.toBeInstanceOf(KeyPairChoiceError);
		// Found while planning: nothing was created.
		await expectNothingTagged(stack);
		expect((await loadState(statePath))?.resources).toEqual([]);
	});

	it('after a destroy, imports the PEM it left on disk instead of overwriting it', async () => {
		const stack = uniqueStack('again');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);
		const first = await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		const pem = await readFile(answers.keyPair.privateKeyFile!, 'utf8');
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		const events: FlowEvent[] = [];
		const second = await applyFlow({
			ec2,
			answers,
			statePath,
			timings: fastFlowTimings,
			onEvent: (e) => events.push(e),
		});
		expect(second.instance.id).not.toBe(first.instance.id);
		expect(await readFile(answers.keyPair.privateKeyFile!, 'utf8')).toBe(pem);
		expect(events.some((event) => event.kind === 'key-pair' && /imported/.test(event.message ?? ''))).toBe(
			true,
		);
		const keyPair = (await loadState(statePath))!.resources.find((item) => item.kind === 'key-pair')!;
		const info = await findKeyPairById(ec2, keyPair.id);
		expect(privateKeyMatchesFingerprint(pem, info?.KeyFingerprint)).toBe(true);
		await expectOneOfEach(stack, statePath);
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		await expectNothingTagged(stack);
	});

	it('reuses a pre-existing key pair whose PEM is here, and destroy leaves it alone', async () => {
		const stack = uniqueStack('ownkey');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);
		const existing = await createKeyPair(ec2, {
			stack: 'by-hand',
			name: 'mine',
			keyName: answers.keyPair.name,
		});
		await writePrivateKeyFile(answers.keyPair.privateKeyFile!, existing.keyMaterial);
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		const record = (await loadState(statePath))?.resources.find((item) => item.kind === 'key-pair');
		expect(record).toMatchObject({ id: existing.keyPairId, created: false });
		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.kept).toEqual([
			{ kind: 'key-pair', id: existing.keyPairId, name: answers.keyPair.name },
		]);
		expect(await findKeyPairById(ec2, existing.keyPairId)).toBeDefined();
		expect((await loadState(statePath))?.resources.map((item) => item.kind)).toEqual(['key-pair']);
		await chmod(answers.keyPair.privateKeyFile!, 0o600);
		await rm(answers.keyPair.privateKeyFile!);
	});
});
