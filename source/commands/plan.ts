import stringWidth from 'string-width';
import { findPublicAddress } from '../aws/public-address.js';
import type { GlobalOptions } from '../cli.js';
import type { Answers } from '../flow/answers.js';
import { planFlow } from '../flow/plan.js';
import { loadState } from '../flow/state.js';
import { validateSshSources } from '../flow/validate.js';
import type { MessageKey } from '../i18n/index.js';
import { loadValidAnswers } from './answers.js';
import { checkAnswersAgainstRegion, openBackend, translatingStateErrors } from './backend.js';
import { type CommandIo, printJson } from './io.js';

export type PlanCommandOptions = GlobalOptions & { answers?: string; json?: boolean };

/** One line of `plan --json` (contract.md), with why a resource is replaced and what a kept one still needs. */
export type PlanChangeOut = {
	action: 'create' | 'keep' | 'replace';
	kind: string;
	name: string;
	id?: string;
	reason?: string;
	note?: string;
};

/** Pads to a width in terminal columns: Japanese labels take two columns per character. */
function padColumns(text: string, width: number): string {
	return text + ' '.repeat(Math.max(0, width - stringWidth(text)));
}

export function printPlan(io: CommandIo, changes: PlanChangeOut[]): void {
	io.stdout.write(`${io.t('plan.title')}\n`);
	const marks = { create: '+', keep: '=', replace: '±' } as const;
	for (const change of changes) {
		io.stdout.write(
			`  ${marks[change.action]} ${padColumns(io.t(`plan.${change.action}`), 8)} ${padColumns(
				io.t(`kind.${change.kind}` as MessageKey),
				26,
			)} ${change.name}${change.id ? ` (${change.id})` : ''}${
				change.reason ? ` — ${change.reason}` : change.note ? ` — ${change.note}` : ''
			}\n`,
		);
	}
	const count = (action: PlanChangeOut['action']) =>
		changes.filter((change) => change.action === action).length;
	io.stdout.write(
		`${
			count('create') + count('replace') === 0
				? io.t('plan.nothing')
				: io.t('plan.summary', { create: count('create'), keep: count('keep'), replace: count('replace') })
		}\n`,
	);
}

export function planChangesOut(changes: PlanChangeOut[]): PlanChangeOut[] {
	return changes.map(({ action, kind, name, id, reason, note }) => ({
		action,
		kind,
		name,
		...(id ? { id } : {}),
		...(reason ? { reason } : {}),
		...(note ? { note } : {}),
	}));
}

/**
 * SSH open to 0.0.0.0/0 (already warned about): against AWS, find this machine's public address
 * and offer it as the /32 to use instead.
 */
export async function offerSshAddress(
	io: CommandIo,
	answers: Answers,
	endpoint: string | undefined,
): Promise<void> {
	if (endpoint || !answers.securityGroup.sshFrom.some((value) => value.trim() === '0.0.0.0/0')) return;
	const adminAddress = await findPublicAddress();
	if (!adminAddress) return;
	for (const found of validateSshSources(answers.securityGroup.sshFrom, 'securityGroup.sshFrom', {
		adminAddress,
	})) {
		if (found.rule !== 'sg.sshFromAnywhereOffer') continue;
		io.stderr.write(`  ! ${io.t('rule.sg.sshFromAnywhereOffer', { path: found.path, ...found.vars })}\n`);
	}
}

/** `kakehashi plan`: what apply would do; creates nothing. */
export async function planCommand(options: PlanCommandOptions, io: CommandIo): Promise<number> {
	return translatingStateErrors(io.t, async () => {
		const answers = await loadValidAnswers(options.answers, io);
		const backend = await openBackend({ ...options, region: answers.region }, { region: answers.region });
		try {
			await checkAnswersAgainstRegion(backend, answers, options.answers ?? 'answers', {
				...(options.region ? { flagRegion: options.region } : {}),
				t: io.t,
			});
			await offerSshAddress(io, answers, backend.endpoint);
			const state = await loadState(options.state);
			const plan = await planFlow({ ec2: backend.ec2, answers, state, t: io.t });
			const changes = planChangesOut(plan.changes);
			if (options.json) printJson(io, { changes });
			else printPlan(io, changes);
			return 0;
		} finally {
			await backend.close();
		}
	});
}
