import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import type { MessageKey } from '../i18n/index.js';
import { type AnswerIssue, type FlowName, flowNames } from './answers.js';
import {
	checkCidr,
	checkIpv4,
	validateInstanceType,
	validateKeyPairName,
	validateRegion,
	validateSshSources,
	validateStackName,
	validateSubnetCidr,
	validateTagValue,
	validateVpcCidr,
} from './validate.js';

/**
 * The wizard's steps are data (flows/<flow>.yaml): questions, help keys, validation rule names.
 * This module loads them and holds the registry of rules they may name.
 */

export type Draft = Record<string, unknown>;
type Rule = (value: string, draft: Draft, path: string) => AnswerIssue[];

const splitList = (value: string) =>
	value
		.split(',')
		.map((item) => item.trim())
		.filter(Boolean);

function get(draft: Draft, path: string): unknown {
	let current: unknown = draft;
	for (const part of path.split('.')) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as Record<string, unknown>)[part];
	}
	return current;
}

const rules: Record<string, Rule> = {
	region: (value, _draft, path) => validateRegion(value, path),
	stackName: (value, _draft, path) => validateStackName(value, path),
	vpcCidr: (value, _draft, path) => validateVpcCidr(value, path),
	subnetCidr: (value, draft, path) => validateSubnetCidr(value, String(get(draft, 'vpc.cidr') ?? ''), path),
	ipv4: (value, _draft, path) => {
		const found = checkIpv4(value, path);
		return found ? [found] : [];
	},
	cidrList: (value, _draft, path) =>
		splitList(value).flatMap((item, index) => {
			const checked = checkCidr(item, `${path}[${index}]`);
			return checked.ok ? [] : [checked.issue];
		}),
	sshSources: (value, _draft, path) => validateSshSources(splitList(value), path),
	userNetworks: (value, draft, path) => {
		const vpc = checkCidr(String(get(draft, 'vpc.cidr') ?? ''), 'vpc.cidr');
		return splitList(value).flatMap((item, index) => {
			const checked = checkCidr(item, `${path}[${index}]`);
			if (!checked.ok) return [checked.issue];
			if (vpc.ok && checked.range.isOverlapping(vpc.range)) {
				return [
					{
						path: `${path}[${index}]`,
						rule: 'network.overlapsVpc',
						severity: 'error' as const,
						vars: { value: item, vpc: String(get(draft, 'vpc.cidr')) },
					},
				];
			}
			return [];
		});
	},
	keyPairName: (value, _draft, path) => validateKeyPairName(value, path),
	tagValue: (value, _draft, path) => validateTagValue(value, path),
	instanceType: (value, _draft, path) => validateInstanceType(value, path),
	path: (value, _draft, path) =>
		value.trim() ? [] : [{ path, rule: 'required', severity: 'error', vars: { expected: 'path' } }],
};

const questionSchema = z.strictObject({
	field: z.string(),
	label: z.string(),
	default: z.union([z.string(), z.number()]).optional(),
	validate: z.string().refine((name) => name in rules, { message: 'unknown validation rule' }),
	list: z.boolean().optional(),
});

const flowSchema = z.strictObject({
	flow: z.enum(flowNames),
	steps: z.array(
		z.strictObject({
			id: z.string(),
			title: z.string(),
			help: z.string(),
			questions: z.array(questionSchema),
		}),
	),
});

export type WizardQuestion = Omit<z.infer<typeof questionSchema>, 'label' | 'default'> & {
	label: MessageKey;
	default?: string;
};
export type WizardStep = { id: string; title: MessageKey; help: MessageKey; questions: WizardQuestion[] };
export type WizardFlow = { flow: FlowName; steps: WizardStep[] };

const flowsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'flows');

export function loadWizardFlow(flow: FlowName, dir = flowsDir): WizardFlow {
	const data = flowSchema.parse(parse(readFileSync(join(dir, `${flow}.yaml`), 'utf8')));
	return {
		flow: data.flow,
		steps: data.steps.map((step) => ({
			id: step.id,
			title: step.title as MessageKey,
			help: step.help as MessageKey,
			questions: step.questions.map((question) => ({
				...question,
				label: question.label as MessageKey,
				default: question.default === undefined ? undefined : String(question.default),
			})),
		})),
	};
}

export function validateQuestion(question: WizardQuestion, value: string, draft: Draft): AnswerIssue[] {
	const rule = rules[question.validate];
	return rule ? rule(value, draft, question.field) : [];
}

/** Write one answer into the draft at a dotted path (`peers.0.publicIp`), creating arrays for numeric parts. */
export function setAnswer(draft: Draft, question: WizardQuestion, value: string): Draft {
	const parts = question.field.split('.');
	const next: Draft = structuredClone(draft);
	let current: Record<string, unknown> = next;
	parts.forEach((part, index) => {
		if (index === parts.length - 1) {
			current[part] = question.list ? splitList(value) : value.trim();
			return;
		}
		const nextIsIndex = /^\d+$/.test(parts[index + 1] ?? '');
		current[part] ??= nextIsIndex ? [] : {};
		current = current[part] as Record<string, unknown>;
	});
	return next;
}

export function answerText(draft: Draft, question: WizardQuestion): string | undefined {
	const value = get(draft, question.field);
	if (value === undefined) return undefined;
	return Array.isArray(value) ? value.join(', ') : String(value);
}
