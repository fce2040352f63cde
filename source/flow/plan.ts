import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Translate } from '../i18n/index.js';
import type { Answers } from './answers.js';
import { stepsFor } from './flow-steps.js';
import { type State, StateFileError, type StateResource } from './state.js';
import {
	type Assessment,
	type ChangeAction,
	englishText,
	type Found,
	type Resolved,
	renderMessage,
	type Step,
	type StepContext,
} from './steps.js';

/** One line of `plan --json` (contract.md), with why a resource is replaced and what a kept one still needs. */
export type PlannedChange = {
	action: ChangeAction;
	kind: string;
	name: string;
	id?: string;
	/** Why `replace`: what the existing resource cannot satisfy. */
	reason?: string;
	/** For `keep`: something apply will still adjust or the user should know. */
	note?: string;
	/** false when the existing resource was not made by kakehashi (replace then refuses). */
	created?: boolean;
};

export type Plan = { changes: PlannedChange[] };

export type PlanOptions = {
	ec2: EC2Client;
	answers: Answers;
	state?: State;
	signal?: AbortSignal;
	/** Renders reasons and notes (default English). */
	t?: Translate;
};

/** What a step found and decided, for apply to act on. */
export type StepPlan = { step: Step; found?: Found; change: PlannedChange; assessment?: Assessment };

/** The state must describe this stack in this region (an empty state file may be reused for another). */
export function checkStateMatches(path: string, state: State | undefined, answers: Answers): void {
	if (!state || state.resources.length === 0) return;
	if (state.stack !== answers.name || state.region !== answers.region) {
		throw new StateFileError(
			path,
			'mismatch',
			`it records stack "${state.stack}" in ${state.region}, the answers ask for "${answers.name}" in ${answers.region}; ` +
				'pass --state with another file, or destroy that stack first',
			{ stack: state.stack, region: state.region, wantedStack: answers.name, wantedRegion: answers.region },
		);
	}
}

/** Walk the steps read-only: find each resource (state id, then stack tag), judge it against the answers. */
export async function planSteps(options: PlanOptions): Promise<StepPlan[]> {
	const resolved: Resolved = {};
	const ctx: StepContext = {
		ec2: options.ec2,
		answers: options.answers,
		stack: options.answers.name,
		state: options.state,
		resolved,
		wait: {},
		...(options.signal ? { signal: options.signal } : {}),
		emit: () => {},
		checkpoint: async () => {
			throw new Error('plan never changes anything');
		},
	};
	const t = options.t ?? englishText;
	const plans: StepPlan[] = [];
	for (const step of stepsFor(options.answers)) {
		const name = step.nameOf(options.answers);
		const found = await step.find(ctx);
		if (!found) {
			plans.push({ step, change: { action: 'create', kind: step.kind, name } });
			continue;
		}
		const assessment = await step.assess(ctx, found);
		const change: PlannedChange = {
			action: assessment.action,
			kind: step.kind,
			name: found.name,
			id: found.id,
		};
		if (assessment.action === 'replace') change.reason = renderMessage(t, assessment.reason);
		if (assessment.action === 'keep' && assessment.note) change.note = renderMessage(t, assessment.note);
		if (!found.created) change.created = false;
		if (assessment.action === 'keep') step.resolve(resolved, recordOf(step, found));
		plans.push({ step, found, change, assessment });
	}
	return plans;
}

export function recordOf(step: Step, found: Found): StateResource {
	return { ...found.record, kind: step.kind, id: found.id, name: found.name, created: found.created };
}

/** What apply would create, keep or replace; touches nothing. */
export async function planFlow(options: PlanOptions): Promise<Plan> {
	checkStateMatches('(state)', options.state, options.answers);
	const plans = await planSteps(options);
	return { changes: plans.map((plan) => plan.change) };
}
