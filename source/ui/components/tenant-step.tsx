import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { configVendors } from '../../design/configs.js';
import type { VendorName } from '../../flow/answers.js';
import { interfaceNetwork } from '../../flow/validate.js';
import { tenantIdentity } from '../../flow/validate-vpn.js';
import {
	answerText,
	type Draft,
	type RuleContext,
	setAnswer,
	tenantQuestion,
	validateQuestion,
	type WizardQuestion,
} from '../../flow/wizard-flow.js';
import { useT } from '../i18n-context.js';
import { AnswerInput } from './answer-input.js';

type DraftTenant = {
	name?: string;
	publicIp?: string;
	lan?: string[];
	tunnelAddress?: string;
	router?: { vendor?: string };
};

type Props = {
	/** The questions asked per tenant, fields relative to the tenant (flows/multi-tenant.yaml). */
	questions: WizardQuestion[];
	min: number;
	draft: Draft;
	/** Defaults that beat the flow file's, per position (the sandbox's tenant routers). */
	defaults?: Draft;
	context?: RuleContext;
	onChange: (update: (draft: Draft) => Draft) => void;
	onDone: () => void;
	onBack: () => void;
};

type Mode =
	| { name: 'list' }
	| { name: 'edit'; index: number; question: number; isNew: boolean }
	| { name: 'remove'; index: number };

const tenantsOf = (draft: Draft) => (draft.peers as DraftTenant[] | undefined) ?? [];

/** Fields whose default must not repeat another tenant's value (the rules refuse duplicates). */
const uniqueFields = new Set(['name', 'publicIp']);

function overlaps(a: string, b: string): boolean {
	const left = interfaceNetwork(a);
	const right = interfaceNetwork(b);
	return left !== undefined && right !== undefined && left.isOverlapping(right);
}

/** Names of tenants whose LANs or tunnel addresses overlap another tenant's (allowed: separate containers). */
function sharedPlanNames(tenants: DraftTenant[]): string[] {
	const ranges = tenants.map((tenant) => [
		...(tenant.lan ?? []),
		...(tenant.tunnelAddress ? [tenant.tunnelAddress] : []),
	]);
	const names = new Set<string>();
	ranges.forEach((mine, index) => {
		ranges.forEach((theirs, other) => {
			if (other <= index) return;
			if (mine.some((a) => theirs.some((b) => overlaps(a, b)))) {
				names.add(tenants[index]?.name ?? `#${index + 1}`);
				names.add(tenants[other]?.name ?? `#${other + 1}`);
			}
		});
	});
	return [...names];
}

/**
 * Multi-tenant mode's tenant list: add, edit and remove tenants, each asked the flow file's
 * questions; the ISAKMP name, appliance tunnel and L2TPv3 ids that follow from each position are shown.
 */
export function TenantStep({ questions, min, draft, defaults, context, onChange, onDone, onBack }: Props) {
	const t = useT();
	const tenants = tenantsOf(draft);
	const [mode, setMode] = useState<Mode>({ name: 'list' });
	const [cursor, setCursor] = useState(0);
	const [notice, setNotice] = useState<string | undefined>();
	// rows: each tenant, then "add", then "continue"
	const addRow = tenants.length;
	const doneRow = tenants.length + 1;

	const startAdd = () => {
		setNotice(undefined);
		setMode({ name: 'edit', index: tenants.length, question: 0, isNew: true });
	};

	const removeTenant = (index: number) => {
		onChange((previous) => ({ ...previous, peers: tenantsOf(previous).filter((_, at) => at !== index) }));
		setCursor((current) => Math.max(0, Math.min(current, tenants.length - 2)));
	};

	useInput(
		(input, key) => {
			if (mode.name === 'remove') {
				if (input === 'y') removeTenant(mode.index);
				if (input === 'y' || input === 'n' || key.escape) setMode({ name: 'list' });
				return;
			}
			if (key.upArrow) setCursor((current) => Math.max(0, current - 1));
			else if (key.downArrow) setCursor((current) => Math.min(doneRow, current + 1));
			else if (input === 'a') startAdd();
			else if (input === 'd' && cursor < tenants.length) setMode({ name: 'remove', index: cursor });
			else if (key.escape) onBack();
			else if (key.return) {
				if (cursor < tenants.length) {
					setNotice(undefined);
					setMode({ name: 'edit', index: cursor, question: 0, isNew: false });
				} else if (cursor === addRow) startAdd();
				else if (tenants.length < min) setNotice(t('wizard.tenants.needOne'));
				else onDone();
			}
		},
		{ isActive: mode.name !== 'edit' },
	);

	if (mode.name === 'edit') {
		const relative = questions[mode.question];
		if (!relative) return null;
		const question = tenantQuestion(relative, mode.index);
		const defaultFor = (): string => {
			const own = answerText(draft, question) ?? (defaults ? answerText(defaults, question) : undefined);
			if (own !== undefined) return own;
			if (!uniqueFields.has(relative.field)) return question.default ?? '';
			// the first positional default no other tenant uses (after a removal, tenant-b may exist at 1)
			const taken = new Set(
				tenants.flatMap((tenant, at) =>
					at === mode.index ? [] : [String((tenant as Record<string, unknown>)[relative.field] ?? '')],
				),
			);
			for (let position = mode.index; position < mode.index + 64; position += 1) {
				const candidate = tenantQuestion(relative, position).default ?? '';
				if (!taken.has(candidate)) return candidate;
			}
			return question.default ?? '';
		};
		const next = () => {
			if (mode.question + 1 < questions.length) setMode({ ...mode, question: mode.question + 1 });
			else {
				setCursor(mode.index);
				setMode({ name: 'list' });
			}
		};
		const back = () => {
			if (mode.question > 0) setMode({ ...mode, question: mode.question - 1 });
			else {
				// leaving a tenant being added before its first answer is kept: nothing half-made stays
				if (mode.isNew && mode.index < tenants.length) removeTenant(mode.index);
				setMode({ name: 'list' });
			}
		};
		return (
			<Box flexDirection="column">
				<Text bold color="cyan">
					{t('wizard.tenants.editing', { position: mode.index + 1 })}
				</Text>
				{questions.slice(0, mode.question).map((done) => (
					<Text key={done.field} color="green">
						✔ {t(done.label)}: {answerText(draft, tenantQuestion(done, mode.index))}
					</Text>
				))}
				<AnswerInput
					key={`${mode.index}:${mode.question}`}
					question={question}
					initial={defaultFor()}
					validate={(value) => validateQuestion(question, value, draft, context)}
					onSubmit={(value) => {
						onChange((previous) => setAnswer(previous, question, value));
						next();
					}}
					onBack={back}
				/>
			</Box>
		);
	}

	const shared = sharedPlanNames(tenants);
	const supported = configVendors('multi-tenant');
	return (
		<Box flexDirection="column">
			{tenants.length === 0 ? <Text color="gray">{t('wizard.tenants.empty')}</Text> : null}
			{tenants.map((tenant, index) => {
				const identity = tenantIdentity(
					{ name: tenant.name ?? '', publicIp: tenant.publicIp ?? '', lan: tenant.lan ?? [] },
					index + 1,
				);
				const selected = cursor === index;
				const vendor = tenant.router?.vendor ?? 'awplus';
				return (
					<Box key={`${index}:${tenant.name ?? ''}`} flexDirection="column">
						<Text color={selected ? 'cyan' : undefined} bold={selected} wrap="truncate-end">
							{selected ? '❯ ' : '  '}
							{tenant.name ?? '?'} {tenant.publicIp ?? '?'} {(tenant.lan ?? []).join(',')} {vendor}
						</Text>
						<Box paddingLeft={4} flexDirection="column">
							<Text color="gray" wrap="wrap">
								{t('wizard.tenants.identity', {
									isakmpName: identity.isakmpName,
									applianceTunnel: identity.applianceTunnel,
									local: identity.l2tpv3.local,
									remote: identity.l2tpv3.remote,
								})}
								{tenant.tunnelAddress ? ` · ${tenant.tunnelAddress}` : ''}
							</Text>
							{supported.includes(vendor as VendorName) ? null : (
								<Text color="yellow" wrap="wrap">
									{t('wizard.tenants.manualConfig', { vendor })}
								</Text>
							)}
						</Box>
					</Box>
				);
			})}
			<Text color={cursor === addRow ? 'cyan' : undefined} bold={cursor === addRow}>
				{cursor === addRow ? '❯ ' : '  '}
				{t('wizard.tenants.add')}
			</Text>
			<Text color={cursor === doneRow ? 'cyan' : undefined} bold={cursor === doneRow}>
				{cursor === doneRow ? '❯ ' : '  '}
				{t('wizard.tenants.done', { count: tenants.length })}
			</Text>
			{shared.length > 0 ? (
				<Text color="gray" wrap="wrap">
					{t('wizard.tenants.sharedPlan', { names: shared.join(', ') })}
				</Text>
			) : null}
			{mode.name === 'remove' ? (
				<Text color="yellow" wrap="wrap">
					{t('wizard.tenants.removeConfirm', { name: tenants[mode.index]?.name ?? '?' })}
				</Text>
			) : null}
			{notice ? <Text color="red">{notice}</Text> : null}
			<Text color="gray">{t('wizard.tenants.keys')}</Text>
		</Box>
	);
}
