import type { EC2Client } from '@aws-sdk/client-ec2';
import { CLOCK_SKEW_WARNING_MS, clockSkewOf, onEc2Retry, type RetryNotice } from '../aws/client.js';
import {
	type AwsErrorDescription,
	describeAwsError,
	explainAwsError,
	hasCode,
	isThrottlingCode,
} from '../aws/errors.js';
import { InstanceStoppedWaitingError } from '../aws/instance.js';
import { sleep, type WaitOptions, WaitTimeoutError } from '../aws/wait.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import type { Answers, FlowName } from './answers.js';
import { destroyOrder, stepFor, stepsFor } from './flow-steps.js';
import { checkStateMatches, planSteps, recordOf } from './plan.js';
import {
	answersDigest,
	appendJournal,
	loadState,
	newState,
	putResource,
	type RouterRecord,
	removeResource,
	type State,
	type StateResource,
	saveState,
} from './state.js';
import {
	type DestroyContext,
	englishText,
	type FlowEvent,
	type FlowMessage,
	privateKeyPath,
	type Resolved,
	renderMessage,
	renderVars,
	type Step,
	type StepContext,
	type StepEvent,
	StepInputError,
	say,
} from './steps.js';

export type { FlowEvent } from './steps.js';

/** Polling of AWS while it works: how often and for how long (defaults sized for real AWS). */
export type FlowTimings = {
	/** Pause between polls of a waiter (default 2 s). */
	intervalMs?: number;
	/** Longest wait for one resource to be ready (default per resource: 1–10 min). */
	timeoutMs?: number;
	/** How long destroy keeps retrying DependencyViolation while dependencies drain (default 5 min). */
	dependencyTimeoutMs?: number;
};

export type ApplyOptions = {
	ec2: EC2Client;
	answers: Answers;
	statePath: string;
	/** Recorded in the state file (`--endpoint-url`), so destroy and monitor talk to the same endpoint. */
	endpoint?: string;
	signal?: AbortSignal;
	onEvent?: (event: FlowEvent) => void;
	timings?: FlowTimings;
	/** Renders every message of the run's events and errors (default English). */
	t?: Translate;
};

export type ApplyResult = {
	flow: FlowName;
	region: string;
	resources: StateResource[];
	routers: RouterRecord[];
	instance: { id: string; publicIp?: string; privateIp?: string };
};

export type DestroyOptions = {
	ec2: EC2Client;
	statePath: string;
	signal?: AbortSignal;
	onEvent?: (event: FlowEvent) => void;
	timings?: FlowTimings;
	/** Renders every message of the run's events and errors (default English). */
	t?: Translate;
};

export type DestroyFailure = {
	kind: string;
	id: string;
	name: string;
	code: string;
	message: string;
	requestId?: string;
	/** What to do about it, in the user's language. */
	hint?: string;
};

export type DestroyResult = {
	deleted: { kind: string; id: string; name: string }[];
	failed: DestroyFailure[];
	/** Pre-existing resources (`created:false`), left alone and left in the state file. */
	kept: { kind: string; id: string; name: string }[];
	/** What the user must know, e.g. the private key file left on disk. */
	notes: string[];
};

/** A step failed: which resource, and the AWS error described (code, request id, missing IAM action). */
export class FlowStepError extends Error {
	constructor(
		readonly kind: string,
		readonly resourceName: string,
		readonly id: string | undefined,
		readonly description: AwsErrorDescription & { hint?: string },
		options?: { cause?: unknown },
	) {
		super(
			`${kind} ${resourceName}${id ? ` (${id})` : ''}: ${description.code}: ${description.message}` +
				(description.action ? ` — the credentials lack the IAM permission ${description.action}` : '') +
				(description.requestId ? ` [request id ${description.requestId}]` : ''),
			options,
		);
		this.name = 'FlowStepError';
	}
}

const dependencyCodes = ['DependencyViolation', 'InvalidGroup.InUse'];

/** Retry while AWS says something still depends on the resource (ENIs draining after a terminate, …). */
async function withDependencyRetry(
	action: () => Promise<void>,
	options: {
		timeoutMs: number;
		intervalMs: number;
		signal?: AbortSignal;
		onRetry: (attempt: number, code: string) => void;
	},
): Promise<void> {
	const started = Date.now();
	let delay = options.intervalMs;
	for (let attempt = 1; ; attempt++) {
		try {
			await action();
			return;
		} catch (error) {
			if (!hasCode(error, ...dependencyCodes) || Date.now() - started + delay > options.timeoutMs)
				throw error;
			options.onRetry(attempt + 1, describeAwsError(error).code);
			await sleep(delay, options.signal);
			delay = Math.min(delay * 2, Math.max(options.intervalMs, 15_000));
		}
	}
}

function waitOptions(timings: FlowTimings | undefined, signal: AbortSignal | undefined): WaitOptions {
	return {
		...(timings?.intervalMs !== undefined ? { intervalMs: timings.intervalMs } : {}),
		...(timings?.timeoutMs !== undefined ? { timeoutMs: timings.timeoutMs } : {}),
		...(signal ? { signal } : {}),
	};
}

/** Tracks the step in progress so SDK retries can be reported against it; renders messages in the user's language. */
class Reporter {
	current: { kind: string; name: string; id?: string } = { kind: 'flow', name: '' };
	private clockWarned = false;
	constructor(
		private readonly onEvent: ((event: FlowEvent) => void) | undefined,
		readonly t: Translate,
		private readonly ec2: EC2Client,
		private readonly endpoint?: string,
	) {}

	emit(event: StepEvent & { kind?: string; name?: string }): void {
		const out: FlowEvent = { ...this.current, ...event } as FlowEvent;
		if (event.messageKey) {
			const vars = renderVars(this.t, event.vars);
			out.message = this.t(event.messageKey, vars);
			if (vars) out.vars = vars;
		}
		try {
			this.onEvent?.(out);
		} catch {
			// A broken listener must not break a run half-way.
		}
	}

	/** Any error as code, request id, message and what to do — all in the user's language where we wrote them. */
	describe(error: unknown): AwsErrorDescription & { hint?: string } {
		const description: AwsErrorDescription & { hint?: string } = describeAwsError(error);
		if (error instanceof StepInputError) description.message = renderMessage(this.t, error.text);
		else if (error instanceof WaitTimeoutError) {
			description.message = this.t('flow.error.waitTimeout', {
				id: error.resourceId ?? error.what,
				seconds: Math.round(error.timeoutMs / 1000),
				state: error.lastState ?? '-',
			});
		} else if (error instanceof InstanceStoppedWaitingError) {
			description.message = this.t('flow.error.instanceStopped', {
				id: error.instanceId,
				state: error.state,
				reason: error.reason ?? '-',
			});
		} else if (error instanceof Error && !('$metadata' in error)) description.message = error.message;
		const explanation = explainAwsError(description, {
			...(clockSkewOf(this.ec2) !== undefined ? { clockSkewMs: clockSkewOf(this.ec2) } : {}),
			...(this.endpoint ? { endpoint: this.endpoint } : {}),
		});
		if (explanation) description.hint = this.t(`awsError.${explanation.key}` as MessageKey, explanation.vars);
		return description;
	}

	/** An SDK retry as the user reads it: throttling is absorbed by adaptive retry, the rest is transient. */
	retry(notice: RetryNotice): void {
		this.emit({
			type: 'retry',
			attempt: notice.attempt,
			messageKey: isThrottlingCode(notice.errorCode) ? 'flow.retry.throttled' : 'flow.retry.transient',
			vars: { operation: notice.action, code: notice.errorCode, attempt: notice.attempt },
			error: {
				code: notice.errorCode,
				message: `${notice.action} failed with ${notice.errorCode}`,
				operation: notice.action,
			},
		});
	}

	/** Once per run: this machine's clock is far from AWS's (seen in the `Date` of any response). */
	checkClock(): void {
		const skew = clockSkewOf(this.ec2);
		if (this.clockWarned || skew === undefined || Math.abs(skew) < CLOCK_SKEW_WARNING_MS) return;
		this.clockWarned = true;
		this.emit({
			type: 'note',
			messageKey: 'flow.note.clockSkew',
			vars: {
				seconds: Math.round(Math.abs(skew) / 1000),
				direction: say(skew < 0 ? 'flow.clock.ahead' : 'flow.clock.behind'),
			},
		});
	}
}

/**
 * Build the network and the instance: vpc → subnet → internet-gateway → route-table →
 * security-group → key-pair → instance; single-aws-vpn then adds vpn-gateway → customer-gateway →
 * vpn-connection (flow-steps.ts). Safe to kill at any moment: every resource is tagged with
 * the stack by its create call, the state file is written atomically as soon as an id exists, and a
 * re-run finds each resource by its recorded id, then by its tag, so it neither duplicates nor orphans.
 */
export async function applyFlow(options: ApplyOptions): Promise<ApplyResult> {
	const { ec2, answers, statePath, signal } = options;
	const reporter = new Reporter(options.onEvent, options.t ?? englishText, ec2, options.endpoint);
	const wait = waitOptions(options.timings, signal);
	const dependencyTimeoutMs = options.timings?.dependencyTimeoutMs ?? 300_000;
	const loaded = await loadState(statePath);
	checkStateMatches(statePath, loaded, answers);
	const digest = answersDigest(answers);
	const state: State =
		loaded && loaded.resources.length > 0
			? loaded
			: newState({
					flow: answers.flow,
					region: answers.region,
					...(options.endpoint ? { endpoint: options.endpoint } : {}),
					stack: answers.name,
					answersDigest: digest,
				});
	if (loaded && state !== loaded) state.journal = loaded.journal;
	state.flow = answers.flow;
	state.stack = answers.name;
	state.region = answers.region;
	state.answersDigest = digest;
	if (options.endpoint) state.endpoint = options.endpoint;
	await saveState(statePath, state);

	const unsubscribe = onEc2Retry(ec2, (notice) => reporter.retry(notice));
	try {
		const resolved: Resolved = {};
		const ctx: StepContext = {
			ec2,
			answers,
			stack: answers.name,
			state,
			resolved,
			wait,
			...(signal ? { signal } : {}),
			emit: (event) => reporter.emit(event),
			checkpoint: async (resource) => {
				recordResource(state, resource);
				await saveState(statePath, state);
			},
		};
		const destroyCtx: DestroyContext = {
			ec2,
			state,
			wait,
			...(signal ? { signal } : {}),
			emit: (event) => reporter.emit(event),
		};

		const plans = await runReported(reporter, { kind: 'flow', name: answers.name }, () =>
			planSteps({ ec2, answers, state, t: reporter.t, ...(signal ? { signal } : {}) }),
		);
		reporter.checkClock();
		for (const plan of plans) {
			if (plan.assessment?.action === 'replace' && plan.found && !plan.found.created) {
				reporter.current = { kind: plan.step.kind, name: plan.change.name, id: plan.found.id };
				const message = renderMessage(
					reporter.t,
					notOurs(plan.step.kind, plan.found.id, plan.assessment.reason),
				);
				reporter.emit({ type: 'error', error: { code: 'NotOurs', message } });
				throw new FlowStepError(plan.step.kind, plan.change.name, plan.found.id, {
					code: 'NotOurs',
					message,
				});
			}
		}

		// Replacement deletes first (dependents before what they depend on), then everything is created afresh.
		for (const plan of [...plans].reverse()) {
			if (plan.assessment?.action !== 'replace' || !plan.found) continue;
			const reason = plan.assessment.reason;
			const item = recordOf(plan.step, plan.found);
			await runReported(reporter, { kind: item.kind, name: item.name, id: item.id }, async () => {
				const started = Date.now();
				reporter.emit({
					type: 'step-start',
					action: 'replace',
					messageKey: 'flow.replace.deletingFirst',
					vars: { reason },
				});
				await withDependencyRetry(() => plan.step.destroy(destroyCtx, item), {
					timeoutMs: dependencyTimeoutMs,
					intervalMs: wait.intervalMs ?? 2000,
					...(signal ? { signal } : {}),
					onRetry: (attempt, code) => dependencyRetry(reporter, attempt, code),
				});
				removeResource(state, item.kind, item.id);
				appendJournal(state, {
					action: 'delete',
					kind: item.kind,
					id: item.id,
					name: item.name,
					note: renderMessage(englishText, reason),
				});
				await saveState(statePath, state);
				reporter.emit({
					type: 'note',
					action: 'delete',
					elapsedMs: Date.now() - started,
					messageKey: 'flow.note.deleted',
				});
			});
		}

		for (const step of stepsFor(answers)) {
			const name = step.nameOf(answers);
			reporter.current = { kind: step.kind, name };
			const done = await runReported(reporter, { kind: step.kind, name }, () =>
				applyStep(step, ctx, destroyCtx, reporter, { statePath, state, dependencyTimeoutMs }),
			);
			step.resolve(resolved, done);
		}

		const instance = state.resources.find((item) => item.kind === 'instance');
		if (!instance) throw new Error('apply finished without an instance');
		state.routers = routersFor(answers, state, instance);
		await saveState(statePath, state);
		return {
			flow: answers.flow,
			region: answers.region,
			resources: state.resources,
			routers: state.routers,
			instance: {
				id: instance.id,
				...(typeof instance.publicIp === 'string' ? { publicIp: instance.publicIp } : {}),
				...(typeof instance.privateIp === 'string' ? { privateIp: instance.privateIp } : {}),
			},
		};
	} finally {
		unsubscribe();
	}
}

/** Replace the record of this kind (one per kind and role) by the given one. */
function recordResource(state: State, resource: StateResource): void {
	for (const other of state.resources.filter(
		(item) => item.kind === resource.kind && item.role === resource.role && item.id !== resource.id,
	)) {
		removeResource(state, other.kind, other.id);
	}
	putResource(state, resource);
}

async function applyStep(
	step: Step,
	ctx: StepContext,
	destroyCtx: DestroyContext,
	reporter: Reporter,
	run: { statePath: string; state: State; dependencyTimeoutMs: number },
): Promise<StateResource> {
	const started = Date.now();
	let found = await step.find(ctx);
	let assessment = found ? await step.assess(ctx, found) : undefined;
	if (found && assessment?.action === 'replace') {
		// Changed since the plan (or a dependency was just recreated): delete it, then create.
		if (!found.created)
			throw new StepInputError(step.kind, notOurs(step.kind, found.id, assessment.reason), found.name);
		reporter.current.id = found.id;
		reporter.emit({
			type: 'step-start',
			action: 'replace',
			messageKey: assessment.reason.key,
			...(assessment.reason.vars ? { vars: assessment.reason.vars } : {}),
		});
		const item = recordOf(step, found);
		await withDependencyRetry(() => step.destroy(destroyCtx, item), {
			timeoutMs: run.dependencyTimeoutMs,
			intervalMs: ctx.wait.intervalMs ?? 2000,
			...(ctx.signal ? { signal: ctx.signal } : {}),
			onRetry: (attempt, code) => dependencyRetry(reporter, attempt, code),
		});
		removeResource(run.state, item.kind, item.id);
		appendJournal(run.state, {
			action: 'delete',
			kind: item.kind,
			id: item.id,
			name: item.name,
			note: renderMessage(englishText, assessment.reason),
		});
		await saveState(run.statePath, run.state);
		found = undefined;
		assessment = undefined;
	}
	let result: StateResource;
	if (found) {
		reporter.current.id = found.id;
		const note = assessment?.action === 'keep' ? assessment.note : undefined;
		reporter.emit({
			type: 'step-start',
			action: 'keep',
			...(note ? { messageKey: note.key, ...(note.vars ? { vars: note.vars } : {}) } : {}),
		});
		if (found.via !== 'state') {
			appendJournal(run.state, {
				action: 'adopt',
				kind: step.kind,
				id: found.id,
				name: found.name,
				note:
					found.via === 'tag'
						? 'found by its stack tag: a previous run stopped before recording it'
						: 'existed before kakehashi: destroy leaves it alone',
			});
		}
		result = await step.converge(ctx, found);
		if (found.record) result = { ...found.record, ...result };
		reporter.emit({
			type: 'step-skip',
			action: found.via === 'state' ? 'keep' : 'adopt',
			id: found.id,
			elapsedMs: Date.now() - started,
		});
	} else {
		reporter.emit({ type: 'step-start', action: 'create' });
		result = await step.create(ctx);
		appendJournal(run.state, { action: 'create', kind: step.kind, id: result.id, name: result.name });
		reporter.current.id = result.id;
		reporter.emit({ type: 'step-done', action: 'create', id: result.id, elapsedMs: Date.now() - started });
	}
	recordResource(run.state, result);
	await saveState(run.statePath, run.state);
	return result;
}

function notOurs(kind: string, id: string, reason: FlowMessage): FlowMessage {
	return say('flow.error.notOurs', { kind: say(`kind.${kind}` as MessageKey), id, reason });
}

function dependencyRetry(reporter: Reporter, attempt: number, code: string): void {
	reporter.emit({ type: 'retry', attempt, messageKey: 'flow.retry.dependency', vars: { code, attempt } });
}

async function runReported<T>(
	reporter: Reporter,
	current: { kind: string; name: string; id?: string },
	work: () => Promise<T>,
): Promise<T> {
	reporter.current = { ...current };
	try {
		return await work();
	} catch (error) {
		if (error instanceof FlowStepError) throw error;
		if (error instanceof StepInputError && reporter.current.kind !== error.kind) {
			reporter.current = { kind: error.kind, name: error.resourceName ?? error.kind };
		}
		const description = reporter.describe(error);
		reporter.emit({ type: 'error', error: description });
		const { kind, name, id } = reporter.current;
		throw new FlowStepError(kind, name, id, description, { cause: error });
	}
}

/** What `monitor` will poll: the appliance (SSH as its admin user with the key pair's PEM) and the peers given. */
function routersFor(answers: Answers, state: State, instance: StateResource): RouterRecord[] {
	const previous = new Map(state.routers.map((router) => [`${router.name}@${router.host}`, router]));
	const keep = (router: RouterRecord): RouterRecord => {
		const before = previous.get(`${router.name}@${router.host}`);
		return before?.hostKey ? { ...router, hostKey: before.hostKey } : router;
	};
	const routers: RouterRecord[] = [];
	const host = typeof instance.publicIp === 'string' ? instance.publicIp : undefined;
	if (host) {
		routers.push(
			keep({
				name: answers.instance.name,
				host,
				port: 22,
				user: answers.appliance.user,
				vendor: 'awplus',
				...(answers.keyPair.publicKeyFile ? {} : { identity: privateKeyPath(answers) }),
				instanceId: instance.id,
			}),
		);
	}
	for (const peer of answers.peers) {
		// a peer's router is reached at its public address unless the answers say otherwise
		if (!peer.router) continue;
		routers.push(
			keep({
				name: peer.name,
				host: peer.router.host ?? peer.publicIp,
				port: peer.router.port ?? 22,
				user: peer.router.user ?? 'manager',
				vendor: peer.router.vendor,
				...(peer.router.identity ? { identity: peer.router.identity } : {}),
			}),
		);
	}
	// Routers recorded by others (e.g. the sandbox's) stay as they are.
	const ours = new Set(routers.map((router) => router.name));
	const appliances = new Set(
		state.routers.filter((router) => 'instanceId' in router).map((router) => router.name),
	);
	return [
		...state.routers.filter((router) => !ours.has(router.name) && !appliances.has(router.name)),
		...routers,
	];
}

/**
 * Delete, in reverse order, everything this tool created and recorded: VPN connection (waited
 * until deleted), customer gateway, virtual private gateway (detached first), instance (terminated and
 * waited for), key pair (AWS's copy only: the local PEM stays), security group, route table (the
 * VPC's original main table first gets its role back), internet gateway (detached), subnet, VPC.
 * DependencyViolation is retried with backoff while dependencies drain. `created:false` resources are
 * left alone. The state file then records only what remains.
 */
export async function destroyFlow(options: DestroyOptions): Promise<DestroyResult> {
	const { ec2, statePath, signal } = options;
	const result: DestroyResult = { deleted: [], failed: [], kept: [], notes: [] };
	const state = await loadState(statePath);
	if (!state) return result;
	const reporter = new Reporter(
		(event) => {
			if (event.type === 'note' && event.message) result.notes.push(event.message);
			options.onEvent?.(event);
		},
		options.t ?? englishText,
		ec2,
		state.endpoint,
	);
	const wait = waitOptions(options.timings, signal);
	const dependencyTimeoutMs = options.timings?.dependencyTimeoutMs ?? 300_000;
	const ctx: DestroyContext = {
		ec2,
		state,
		wait,
		...(signal ? { signal } : {}),
		emit: (event) => reporter.emit(event),
	};
	const targets = destroyOrder(state.resources);
	const unsubscribe = onEc2Retry(ec2, (notice) => reporter.retry(notice));
	let stepFailed = false;
	try {
		for (const item of targets) {
			reporter.current = { kind: item.kind, name: item.name, id: item.id };
			if (!item.created) {
				result.kept.push({ kind: item.kind, id: item.id, name: item.name });
				reporter.emit({ type: 'step-skip', messageKey: 'flow.destroy.leftAlone' });
				continue;
			}
			const step = stepFor(item.kind);
			if (!step) {
				const message = reporter.t('flow.destroy.notSupported', { kind: item.kind, id: item.id });
				result.failed.push({ kind: item.kind, id: item.id, name: item.name, code: 'NotSupported', message });
				reporter.emit({ type: 'error', error: { code: 'NotSupported', message } });
				continue;
			}
			const started = Date.now();
			reporter.emit({ type: 'step-start', action: 'delete' });
			try {
				// After a failure, what depends on the failed resource cannot drain: do not wait for it.
				await withDependencyRetry(() => step.destroy(ctx, item), {
					timeoutMs: stepFailed ? 0 : dependencyTimeoutMs,
					intervalMs: wait.intervalMs ?? 2000,
					...(signal ? { signal } : {}),
					onRetry: (attempt, code) => dependencyRetry(reporter, attempt, code),
				});
			} catch (error) {
				if (signal?.aborted) throw error;
				const description = reporter.describe(error);
				result.failed.push({
					kind: item.kind,
					id: item.id,
					name: item.name,
					code: description.code,
					message: description.message,
					...(description.requestId ? { requestId: description.requestId } : {}),
					...(description.hint ? { hint: description.hint } : {}),
				});
				stepFailed = true;
				reporter.emit({ type: 'error', error: description });
				continue;
			}
			removeResource(state, item.kind, item.id);
			if (item.kind === 'instance') {
				state.routers = state.routers.filter((router) => router.instanceId !== item.id);
			}
			appendJournal(state, { action: 'delete', kind: item.kind, id: item.id, name: item.name });
			await saveState(statePath, state);
			result.deleted.push({ kind: item.kind, id: item.id, name: item.name });
			reporter.emit({ type: 'step-done', action: 'delete', elapsedMs: Date.now() - started });
		}
	} finally {
		unsubscribe();
	}
	await saveState(statePath, state);
	return result;
}
