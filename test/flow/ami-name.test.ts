import { join } from 'node:path';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAmiId, newestFirst } from '../../source/aws/own-images.js';
import type { AnswerIssue } from '../../source/flow/answers.js';
import { planFlow } from '../../source/flow/plan.js';
import { applyFlow, destroyFlow } from '../../source/flow/runner.js';
import { loadState } from '../../source/flow/state.js';
import { NoImageNamedError, renderMessage, resolveImageAnswer } from '../../source/flow/steps.js';
import { validateAmi, validateAnswers } from '../../source/flow/validate.js';
import { createTranslator, type MessageKey } from '../../source/i18n/index.js';
import { SANDBOX_IMAGE } from '../../source/sandbox/ec2/state.js';
import {
	fastFlowTimings,
	type Sandbox,
	sampleAnswers,
	startSandbox,
	temporaryDirectory,
	uniqueStack,
} from '../aws/sandbox-harness.js';

/** instance.ami: an AMI id, or the name of one of the account's own images (resolved at plan/apply time). */

const en = createTranslator('en');
const ja = createTranslator('ja');
const worded = (issue: AnswerIssue, t: typeof en) =>
	t(`rule.${issue.rule}` as MessageKey, { path: issue.path, ...issue.vars });

describe('instance.ami validation', () => {
	it.each([
		['ami-0123abcd', []],
		['ami-0123456789abcdef0', []],
		['vaa-5.4.9', []],
		['AMF Cloud (5.4.9) [test] v/1 @x_y', []],
		['vaa', []],
		['ami-xyz', ['instance.ami']],
		['ami-0123456789ABCDEF0', ['instance.ami']],
		['va', ['instance.amiName']],
		['vaa*', ['instance.amiName']],
		['vaa,5', ['instance.amiName']],
		[' vaa-5.4.9', ['instance.amiName']],
		['x'.repeat(129), ['instance.amiName']],
		['', ['instance.amiName']],
	])('%s', (value, expected) => {
		const issues = validateAmi(value, 'instance.ami');
		expect(issues.map((issue) => issue.rule)).toEqual(expected);
		for (const issue of issues) {
			for (const t of [en, ja]) {
				const text = worded(issue, t);
				expect(text).toContain('instance.ami');
				expect(text).not.toMatch(/\{\w+\}/);
			}
		}
	});

	it('an answers file may name the image; a wrong name is reported with the field, in both languages', () => {
		const named = validateAnswers(
			sampleAnswers('s', '/tmp', { instance: { type: 't3.small', name: 'AMF-VAA', ami: 'vaa-5.4.9' } }),
		);
		expect(named.filter((issue) => issue.path === 'instance.ami')).toEqual([]);
		const wrong = validateAnswers(
			sampleAnswers('s', '/tmp', { instance: { type: 't3.small', name: 'AMF-VAA', ami: 'vaa?' } }),
		).filter((issue) => issue.path === 'instance.ami');
		expect(wrong.map((issue) => issue.rule)).toEqual(['instance.amiName']);
		expect(worded(wrong[0] as AnswerIssue, en)).toContain('neither an AMI id');
		expect(worded(wrong[0] as AnswerIssue, ja)).toContain('AMI 名');
	});

	it('ids are told from names', () => {
		expect(isAmiId('ami-0123abcd')).toBe(true);
		expect(isAmiId('vaa-5.4.9')).toBe(false);
	});

	it('own images newest first, only available ones with an id', () => {
		expect(
			newestFirst([
				{ ImageId: 'ami-1', Name: 'old', CreationDate: '2024-01-01T00:00:00.000Z', State: 'available' },
				{ ImageId: 'ami-2', Name: 'new', CreationDate: '2026-01-01T00:00:00.000Z', State: 'available' },
				{ ImageId: 'ami-3', Name: 'pending', CreationDate: '2027-01-01T00:00:00.000Z', State: 'pending' },
				{ Name: 'no id', CreationDate: '2028-01-01T00:00:00.000Z' },
			]).map((image) => image.imageId),
		).toEqual(['ami-2', 'ami-1']);
	});
});

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

describe('instance.ami by name, against the sandbox', () => {
	const withAmi = (stack: string, ami: string | undefined) =>
		sampleAnswers(stack, dir, { instance: { type: 't3.small', name: 'AMF-VAA', ...(ami ? { ami } : {}) } });

	it.each([
		['no answer', undefined, undefined],
		['an id as it is', 'ami-0123456789abcdef0', 'ami-0123456789abcdef0'],
		['the exact name', SANDBOX_IMAGE.name, SANDBOX_IMAGE.id],
	])('%s', async (_label, ami, expected) => {
		expect(await resolveImageAnswer(ec2, withAmi('s', ami))).toBe(expected);
	});

	it.each([['vaa-5.4'], ['VAA-5.4.9'], ['vaa-5.4.9 ']])(
		'%s: no own image has exactly that name → an error naming the field (en, ja)',
		async (ami) => {
			const error = await resolveImageAnswer(ec2, withAmi('s', ami)).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(NoImageNamedError);
			const text = error as NoImageNamedError;
			expect(renderMessage(en, text.text)).toContain(
				`instance.ami: this account has no available image named “${ami}”`,
			);
			expect(renderMessage(ja, text.text)).toContain(
				`instance.ami: ap-northeast-1 にはこのアカウントの「${ami}」`,
			);
		},
	);

	it('apply launches the named image; the next plan keeps the instance (the name is its id)', async () => {
		const stack = uniqueStack('ami-name');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = withAmi(stack, SANDBOX_IMAGE.name);
		process.env.SITE_PSK ??= 'a-long-enough-site-psk-0123';
		const result = await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [result.instance.id] }));
		expect(described.Reservations?.[0]?.Instances?.[0]?.ImageId).toBe(SANDBOX_IMAGE.id);
		const again = await planFlow({ ec2, answers, state: await loadState(statePath) });
		expect(again.changes.find((change) => change.kind === 'instance')?.action).toBe('keep');
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
	});

	it('apply with a name no image has stops at the instance with the field named', async () => {
		const stack = uniqueStack('ami-missing');
		const statePath = join(dir, `${stack}.state.json`);
		const failure = await applyFlow({
			ec2,
			answers: withAmi(stack, 'vaa-9.9.9'),
			statePath,
			timings: fastFlowTimings,
		}).catch((caught: unknown) => caught as Error);
		expect(failure).toBeInstanceOf(Error);
		expect((failure as Error).message).toContain('instance.ami');
		expect((failure as Error).message).toContain('vaa-9.9.9');
		await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
	});
});
