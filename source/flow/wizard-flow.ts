import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPv4CidrRange } from 'ip-num';
import { parse } from 'yaml';
import { z } from 'zod';
import type { MessageKey } from '../i18n/index.js';
import { type AnswerIssue, type FlowName, flowNames } from './answers.js';
import {
	checkCidr,
	checkIpv4,
	interfaceNetwork,
	validateAmi,
	validateInstanceType,
	validateInterfaceAddress,
	validateKeyPairName,
	validatePskReference,
	validateRegion,
	validateSshSources,
	validateStackName,
	validateSubnetCidr,
	validateTagValue,
	validateVpcCidr,
} from './validate.js';
import {
	DEFAULT_AMAZON_SIDE_ASN,
	validateAmazonSideAsn,
	validateCustomerGatewayAsn,
	validateInsideCidrsUnique,
	validateTunnelInsideCidr,
	validateTunnelPsk,
} from './validate-vpn.js';

/**
 * The wizard's steps are data (flows/<flow>.yaml): questions, help keys, validation rule names.
 * This module loads them and holds the registry of rules they may name.
 */

export type Draft = Record<string, unknown>;
/** What a rule may know beyond the draft: this machine's public address, found by the wizard's services. */
export type RuleContext = { adminAddress?: string; env?: NodeJS.ProcessEnv };
type Rule = (value: string, draft: Draft, path: string, context: RuleContext) => AnswerIssue[];

const linkLocalRange = IPv4CidrRange.fromCidr('169.254.0.0/16');

const splitList = (value: string) =>
	value
		.split(',')
		.map((item) => item.trim())
		.filter(Boolean);

export function get(draft: Draft, path: string): unknown {
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
	sshSources: (value, _draft, path, context) =>
		validateSshSources(
			splitList(value),
			path,
			context.adminAddress ? { adminAddress: context.adminAddress } : {},
		),
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
	ami: (value, _draft, path) => validateAmi(value, path),
	path: (value, _draft, path) =>
		value.trim() ? [] : [{ path, rule: 'required', severity: 'error', vars: { expected: 'path' } }],
	amazonSideAsn: (value, _draft, path) => {
		const asn = asNumber(value, path);
		return typeof asn === 'number' ? validateAmazonSideAsn(asn, path) : asn;
	},
	customerAsn: (value, draft, path) => {
		const asn = asNumber(value, path);
		if (typeof asn !== 'number') return asn;
		const amazon = Number(get(draft, 'vpn.amazonSideAsn') ?? DEFAULT_AMAZON_SIDE_ASN);
		return validateCustomerGatewayAsn(asn, amazon, path);
	},
	oneOf: () => [],
	insideCidr: (value, draft, path) => {
		if (!value.trim()) return [];
		const own = validateTunnelInsideCidr(value.trim(), path);
		if (own.length > 0) return own;
		// unique per virtual private gateway: the other tunnel's CIDR, if chosen, must differ
		const tunnels = (get(draft, 'vpn.tunnels') as { insideCidr?: string }[] | undefined) ?? [];
		const index = Number(/tunnels\.(\d+)\./.exec(path)?.[1] ?? 0);
		const others = tunnels.flatMap((tunnel, at) =>
			at !== index && tunnel?.insideCidr
				? [{ path: `vpn.tunnels.${at}.insideCidr`, value: tunnel.insideCidr }]
				: [],
		);
		return validateInsideCidrsUnique([...others, { path, value: value.trim() }]);
	},
	tunnelPsk: (value, _draft, path, context) => {
		if (!value.trim()) return [];
		const reference = validatePskReference(value.trim(), path);
		if (reference.length > 0) return reference;
		const secret = peekSecret(value.trim(), context.env ?? process.env);
		if (secret === undefined)
			return [{ path, rule: 'psk.unresolved', severity: 'error', vars: { reference: value.trim() } }];
		// the key itself never goes into an issue: only its length or the rule it breaks
		return validateTunnelPsk(secret, path);
	},
	linkLocalRoute: (value, _draft, path) => {
		if (!value.trim()) return [];
		const checked = checkCidr(value, path);
		if (!checked.ok) return [checked.issue];
		return checked.range.inside(linkLocalRange) || checked.range.isEquals(linkLocalRange)
			? []
			: [{ path, rule: 'vpn.insideCidr.linkLocal', severity: 'error', vars: { value } }];
	},
	interfaceName: (value, _draft, path) =>
		/^[A-Za-z][A-Za-z0-9./:_-]{0,63}$/.test(value.trim())
			? []
			: [{ path, rule: 'router.interfaceName', severity: 'error', vars: { value } }],
	tenantName: (value, draft, path) => {
		const name = value.trim();
		if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
			return [{ path, rule: 'tenant.nameSyntax', severity: 'error', vars: { value } }];
		const other = otherTenants(draft, path).find((peer) => peer.peer.name === name);
		return other
			? [{ path, rule: 'tenant.nameTaken', severity: 'error', vars: { value: name, other: other.label } }]
			: [];
	},
	tenantAddress: (value, draft, path) => {
		const found = checkIpv4(value, path);
		if (found) return [found];
		const other = otherTenants(draft, path).find((peer) => peer.peer.publicIp === value.trim());
		return other
			? [
					{
						path,
						rule: 'peers.duplicateAddress',
						severity: 'error',
						vars: { value: value.trim(), other: other.label },
					},
				]
			: [];
	},
	tenantLan: (value, draft, path) => {
		const vpcCidr = String(get(draft, 'vpc.cidr') ?? '');
		const vpc = checkCidr(vpcCidr, 'vpc.cidr');
		const items = splitList(value);
		if (items.length === 0)
			return [{ path, rule: 'required', severity: 'error', vars: { expected: 'CIDR' } }];
		return items.flatMap((item, index) => {
			const checked = checkCidr(item, `${path}[${index}]`);
			if (!checked.ok) return [checked.issue];
			return vpc.ok && checked.range.isOverlapping(vpc.range)
				? [
						{
							path: `${path}[${index}]`,
							rule: 'network.overlapsVpc',
							severity: 'error' as const,
							vars: { value: item, vpc: vpcCidr },
						},
					]
				: [];
		});
	},
	tenantTunnelAddress: (value, draft, path) => {
		const own = validateInterfaceAddress(value.trim(), path);
		if (own.length > 0) return own;
		const range = interfaceNetwork(value);
		if (!range) return [];
		const tenant = tenantAt(draft, path);
		const vpcCidr = String(get(draft, 'vpc.cidr') ?? '');
		const against = [
			{ path: 'vpc.cidr', value: vpcCidr },
			...((tenant?.lan as string[] | undefined) ?? []).map((lan, index) => ({
				path: `${path.replace(/\.tunnelAddress$/, '')}.lan[${index}]`,
				value: lan,
			})),
		];
		for (const network of against) {
			const checked = checkCidr(network.value, network.path);
			if (checked.ok && checked.range.isOverlapping(range)) {
				return [
					{
						path: network.path,
						rule: 'network.overlapsTunnel',
						severity: 'error',
						vars: { value: network.value, tunnel: value.trim(), otherPath: path },
					},
				];
			}
		}
		return [];
	},
	tenantPsk: (value, draft, path) => {
		if (!value.trim()) return [];
		const reference = validatePskReference(value.trim(), path);
		if (reference.length > 0) return reference;
		const other = otherTenants(draft, path).find((peer) => peer.peer.psk === value.trim());
		return other
			? [{ path, rule: 'tenant.duplicatePsk', severity: 'error', vars: { value: path, other: other.label } }]
			: [];
	},
};

function asNumber(value: string, path: string): number | AnswerIssue[] {
	return /^\d{1,10}$/.test(value.trim())
		? Number(value.trim())
		: [{ path, rule: 'type', severity: 'error', vars: { expected: 'number' } }];
}

/** A secret reference's value, read now so that the wizard can check it as AWS will (never shown). */
function peekSecret(reference: string, env: NodeJS.ProcessEnv): string | undefined {
	if (reference.startsWith('env:')) return env[reference.slice(4)] || undefined;
	if (reference.startsWith('file:')) {
		try {
			return readFileSync(reference.slice(5), 'utf8').trim() || undefined;
		} catch {
			return undefined;
		}
	}
	return undefined;
}

type DraftPeer = { name?: string; publicIp?: string; lan?: string[]; psk?: string };

const peerIndexOf = (path: string) => Number(/^peers\.(\d+)\./.exec(path)?.[1] ?? -1);

function tenantAt(draft: Draft, path: string): DraftPeer | undefined {
	return ((draft.peers as DraftPeer[] | undefined) ?? [])[peerIndexOf(path)];
}

/** The other tenants than the one a path names, with a label for messages (`peers.1 (tenant-b)`). */
function otherTenants(draft: Draft, path: string): { peer: DraftPeer; label: string }[] {
	const index = peerIndexOf(path);
	return ((draft.peers as DraftPeer[] | undefined) ?? []).flatMap((peer, at) =>
		at === index || !peer ? [] : [{ peer, label: `peers.${at} (${peer.name ?? '?'})` }],
	);
}

const questionSchema = z.strictObject({
	field: z.string(),
	label: z.string(),
	default: z.union([z.string(), z.number()]).optional(),
	validate: z.string().refine((name) => name in rules, { message: 'unknown validation rule' }),
	list: z.boolean().optional(),
	/** Stored as a number in the answers (ASNs). */
	type: z.enum(['text', 'number']).optional(),
	/** An empty answer leaves the field out of the answers (AWS or the design chooses). */
	optional: z.boolean().optional(),
	/** A message key shown under the question. */
	hint: z.string().optional(),
	/** Pick one of these instead of typing; each label is a message key. */
	choices: z.array(z.strictObject({ value: z.string(), label: z.string() })).optional(),
});

const stepSchema = z.strictObject({
	id: z.string(),
	title: z.string(),
	help: z.string(),
	questions: z.array(questionSchema),
	/**
	 * A list screen (multi-tenant): the user adds, edits and removes entries of `peers`, each asked
	 * `questions` (fields relative to the entry). Defaults may use `{n}` / `{n+K}` (1-based position)
	 * and `{letter}` (a, b, …).
	 */
	tenants: z.strictObject({ min: z.number().int().min(0), questions: z.array(questionSchema) }).optional(),
});

const flowSchema = z.strictObject({
	flow: z.enum(flowNames),
	steps: z.array(stepSchema),
});

export type WizardQuestion = Omit<
	z.infer<typeof questionSchema>,
	'label' | 'default' | 'hint' | 'choices'
> & {
	label: MessageKey;
	default?: string;
	hint?: MessageKey;
	choices?: { value: string; label: MessageKey }[];
};
export type WizardStep = {
	id: string;
	title: MessageKey;
	help: MessageKey;
	questions: WizardQuestion[];
	tenants?: { min: number; questions: WizardQuestion[] };
};
export type WizardFlow = { flow: FlowName; steps: WizardStep[] };

const flowsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'flows');

function toQuestion(question: z.infer<typeof questionSchema>): WizardQuestion {
	const { label, default: initial, hint, choices, ...rest } = question;
	return {
		...rest,
		label: label as MessageKey,
		...(initial === undefined ? {} : { default: String(initial) }),
		...(hint ? { hint: hint as MessageKey } : {}),
		...(choices
			? { choices: choices.map((choice) => ({ ...choice, label: choice.label as MessageKey })) }
			: {}),
	};
}

export function loadWizardFlow(flow: FlowName, dir = flowsDir): WizardFlow {
	const data = flowSchema.parse(parse(readFileSync(join(dir, `${flow}.yaml`), 'utf8')));
	return {
		flow: data.flow,
		steps: data.steps.map((step) => ({
			id: step.id,
			title: step.title as MessageKey,
			help: step.help as MessageKey,
			questions: step.questions.map(toQuestion),
			...(step.tenants
				? { tenants: { min: step.tenants.min, questions: step.tenants.questions.map(toQuestion) } }
				: {}),
		})),
	};
}

/** A list entry's question at its place in the draft: `name` of tenant 2 → `peers.1.name`. */
export function tenantQuestion(question: WizardQuestion, index: number): WizardQuestion {
	const position = index + 1;
	const fill = (text: string) =>
		text
			.replace(/\{n(?:\+(\d+))?\}/g, (_whole, offset: string | undefined) =>
				String(position + Number(offset ?? 0)),
			)
			.replace(/\{letter\}/g, positionLetters(position));
	return {
		...question,
		field: `peers.${index}.${question.field}`,
		...(question.default === undefined ? {} : { default: fill(question.default) }),
	};
}

/** 1 → a, 26 → z, 27 → aa. */
function positionLetters(position: number): string {
	let text = '';
	for (let rest = position; rest > 0; rest = Math.floor((rest - 1) / 26)) {
		text = String.fromCharCode(97 + ((rest - 1) % 26)) + text;
	}
	return text;
}

export function validateQuestion(
	question: WizardQuestion,
	value: string,
	draft: Draft,
	context: RuleContext = {},
): AnswerIssue[] {
	if (question.optional && value.trim() === '') return [];
	if (question.choices && !question.choices.some((choice) => choice.value === value)) {
		return [
			{
				path: question.field,
				rule: 'oneOf',
				severity: 'error',
				vars: { allowed: question.choices.map((choice) => choice.value).join(', ') },
			},
		];
	}
	const rule = rules[question.validate];
	return rule ? rule(value, draft, question.field, context) : [];
}

/** Write one answer into the draft at a dotted path (`peers.0.publicIp`), creating arrays for numeric parts. */
export function setAnswer(draft: Draft, question: WizardQuestion, value: string): Draft {
	const parts = question.field.split('.');
	const next: Draft = structuredClone(draft);
	let current: Record<string, unknown> = next;
	parts.forEach((part, index) => {
		if (index === parts.length - 1) {
			if (question.optional && value.trim() === '') delete current[part];
			else if (question.list) current[part] = splitList(value);
			else if (question.type === 'number') current[part] = Number(value.trim());
			else current[part] = value.trim();
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

/** Empty objects left by optional questions (a tunnel with neither CIDR nor key) are dropped. */
function prune(value: unknown): unknown {
	if (Array.isArray(value)) {
		const items = value.map(prune);
		while (items.length > 0 && items[items.length - 1] === undefined) items.pop();
		return items.length === 0 ? undefined : items.map((item) => item ?? {});
	}
	if (value !== null && typeof value === 'object') {
		const entries = Object.entries(value)
			.map(([key, item]) => [key, prune(item)] as const)
			.filter(([, item]) => item !== undefined);
		return entries.length === 0 ? undefined : Object.fromEntries(entries);
	}
	return value;
}

/**
 * The draft as an answers document: what `parseAnswers` + `validateAnswers` then check exactly as
 * they check an answers file. `peers` stays a list even when empty, so "no tenant" is reported as such.
 */
export function assembleAnswers(draft: Draft): Record<string, unknown> {
	const pruned = (prune(draft) as Record<string, unknown> | undefined) ?? {};
	return { ...pruned, peers: (pruned.peers as unknown[] | undefined) ?? [] };
}
