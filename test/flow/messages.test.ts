import { join } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFlow } from '../../source/flow/plan.js';
import { applyFlow, destroyFlow, type FlowEvent, FlowStepError } from '../../source/flow/runner.js';
import { loadState } from '../../source/flow/state.js';
import { createTranslator } from '../../source/i18n/index.js';
import {
	fastFlowTimings,
	type Sandbox,
	sampleAnswers,
	startSandbox,
	temporaryDirectory,
	uniqueStack,
} from '../aws/sandbox-harness.js';

const ja = createTranslator('ja');
const en = createTranslator('en');

let sandbox: Sandbox;
let ec2: EC2Client;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
	({ sandbox, ec2 } = await startSandbox());
	({ dir, cleanup } = await temporaryDirectory());
});

afterAll(async () => {
	await sandbox?.close();
	await cleanup?.();
});

const hasJapanese = (text: string | undefined) => /[\u3040-\u30ff\u4e00-\u9faf]/.test(text ?? '');

describe('every message of a run in the user’s language', () => {
	it('apply in Japanese: waits, notes and the system log are rendered from the catalog', async () => {
		const stack = uniqueStack('ja');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);
		const events: FlowEvent[] = [];
		await applyFlow({
			ec2,
			answers,
			statePath,
			timings: fastFlowTimings,
			t: ja,
			onEvent: (event) => events.push(event),
		});
		const worded = events.filter((event) => event.message !== undefined);
		expect(worded.length).toBeGreaterThan(0);
		for (const event of worded) {
			expect(event.messageKey, event.message).toBeDefined();
			expect(event.message).not.toMatch(/\{\w+\}/);
			expect(hasJapanese(event.message), event.message).toBe(true);
		}
		const keys = new Set(worded.map((event) => event.messageKey));
		expect(keys).toContain('flow.note.keySaved');
		expect(keys).toContain('flow.note.rulesAdded');
		expect(keys).toContain('flow.note.instanceAddress');
		// The sandbox's appliance prints its login prompt once booted; AWS's own log may still be empty.
		const log = worded.find(
			(event) =>
				event.messageKey === 'flow.note.consoleLine' || event.messageKey === 'flow.note.consoleEmpty',
		);
		expect(log?.kind).toBe('instance');
		if (log?.messageKey === 'flow.note.consoleLine') expect(log.message).toContain('awplus login:');

		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings, t: ja });
		expect(destroyed.failed).toEqual([]);
		expect(destroyed.notes.some((note) => note.includes('ディスクに残してあります'))).toBe(true);
	});

	it('plan reasons in both languages', async () => {
		const stack = uniqueStack('reasons');
		const statePath = join(dir, `${stack}.state.json`);
		await applyFlow({ ec2, answers: sampleAnswers(stack, dir), statePath, timings: fastFlowTimings });
		const moved = sampleAnswers(stack, dir, {
			vpc: { cidr: '10.60.0.0/16' },
			subnet: { cidr: '10.60.1.0/24' },
		});
		const state = await loadState(statePath);
		const inJa = await planFlow({ ec2, answers: moved, state: state!, t: ja });
		const inEn = await planFlow({ ec2, answers: moved, state: state! });
		expect(inEn.changes[0]).toMatchObject({ action: 'replace', reason: 'CIDR 172.30.0.0/16 → 10.60.0.0/16' });
		expect(inEn.changes[1]?.reason).toBe('its VPC is replaced');
		expect(inJa.changes[1]?.reason).toBe('VPCが置き換えられるため');
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
	});

	it('a denied action: AWS code, request id and the missing IAM action, explained in Japanese', async () => {
		const stack = uniqueStack('denied-ja');
		const statePath = join(dir, `${stack}.state.json`);
		const events: FlowEvent[] = [];
		sandbox.setFaults({
			failAction: { action: 'CreateInternetGateway', code: 'UnauthorizedOperation', status: 403 },
		});
		let caught: unknown;
		try {
			await applyFlow({
				ec2,
				answers: sampleAnswers(stack, dir),
				statePath,
				timings: fastFlowTimings,
				t: ja,
				onEvent: (event) => events.push(event),
			});
		} catch (error) {
			caught = error;
		} finally {
			sandbox.setFaults({});
		}
		expect(caught).toBeInstanceOf(FlowStepError);
		const failure = caught as FlowStepError;
		expect(failure.kind).toBe('internet-gateway');
		expect(failure.description.code).toBe('UnauthorizedOperation');
		expect(failure.description.requestId).toBeTruthy();
		expect(failure.description.hint).toContain('ec2:CreateInternetGateway');
		expect(hasJapanese(failure.description.hint)).toBe(true);
		const error = events.find((event) => event.type === 'error');
		expect(error?.error?.hint).toBe(failure.description.hint);
		await applyFlow({ ec2, answers: sampleAnswers(stack, dir), statePath, timings: fastFlowTimings });
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
	});

	it('a wait that gives up says which resource and that a re-run resumes, in Japanese', async () => {
		const stack = uniqueStack('timeout');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir);
		// The sandbox takes 150 ms to bring an instance to running; this run waits 40 ms at most.
		const failure = await applyFlow({
			ec2,
			answers,
			statePath,
			timings: { ...fastFlowTimings, intervalMs: 10, timeoutMs: 40 },
			t: ja,
		}).catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(FlowStepError);
		const { description } = failure as FlowStepError;
		expect(description.code).toBe('WaitTimeoutError');
		expect(description.message).toMatch(/^i-[0-9a-f]+ を 0 秒待ちましたが/);
		expect(description.hint).toContain('続きから再開します');
		const resumed = await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		expect(resumed.instance.id).toMatch(/^i-/);
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
	});

	it('destroy reports what it could not delete, with code, request id and why', async () => {
		const stack = uniqueStack('undeletable');
		const statePath = join(dir, `${stack}.state.json`);
		await applyFlow({ ec2, answers: sampleAnswers(stack, dir), statePath, timings: fastFlowTimings });
		sandbox.setFaults({ failAction: { action: 'DeleteVpc', code: 'UnauthorizedOperation', status: 403 } });
		let result: Awaited<ReturnType<typeof destroyFlow>>;
		try {
			result = await destroyFlow({ ec2, statePath, timings: fastFlowTimings, t: en });
		} finally {
			sandbox.setFaults({});
		}
		expect(result.failed).toHaveLength(1);
		expect(result.failed[0]).toMatchObject({ kind: 'vpc', code: 'UnauthorizedOperation' });
		expect(result.failed[0]?.requestId).toBeTruthy();
		expect(result.failed[0]?.hint).toContain('ec2:DeleteVpc');
		expect((await loadState(statePath))?.resources.map((item) => item.kind)).toEqual(['vpc']);
		const again = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(again.failed).toEqual([]);
		expect(again.deleted.map((item) => item.kind)).toEqual(['vpc']);
	});

	it('an instance type the zone does not offer stops at RunInstances with AWS’s Unsupported, explained', async () => {
		const stack = uniqueStack('unsupported');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir, {
			subnet: { cidr: '172.30.0.0/24', availabilityZone: 'ap-northeast-1a' },
			instance: { type: 'c5.xlarge', name: 'AMF-VAA' },
		});
		const failure = await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings, t: ja }).catch(
			(error: unknown) => error,
		);
		expect(failure).toBeInstanceOf(FlowStepError);
		expect((failure as FlowStepError).description.code).toBe('Unsupported');
		expect((failure as FlowStepError).description.hint).toContain('アベイラビリティーゾーン');
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
	});
});
