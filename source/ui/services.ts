import type { Answers } from '../flow/answers.js';
import type { Draft } from '../flow/wizard-flow.js';
import type { RouterPoller } from '../monitor/poller.js';

/**
 * The boundary between the UI and the core: components and hooks call these, never an AWS client
 * or an SSH session directly (style.md). The wizard command implements it over the flow runner,
 * the sandbox and the pollers; tests implement it over the same pieces against the sandbox.
 */

export type PlanChange = { action: 'create' | 'keep' | 'replace'; kind: string; name: string; id?: string };

export type ApplyEvent = {
	type: 'step-start' | 'step-done' | 'step-skip' | 'retry' | 'wait' | 'error' | 'notice';
	kind: string;
	name: string;
	id?: string;
	action?: string;
	elapsedMs?: number;
	/** Already translated text for notices (e.g. a generated PSK shown once). */
	message?: string;
	error?: { code: string; message: string; requestId?: string; hint?: string };
	attempt?: number;
};

export type CredentialInfo = { source: string; account?: string; identity?: string };

export type WizardServices = {
	sandbox: boolean;
	/** Defaults that beat the flow file's (e.g. the sandbox site router's address). */
	defaults: Draft;
	describeCredentials(): Promise<CredentialInfo>;
	plan(answers: Answers): Promise<PlanChange[]>;
	apply(answers: Answers, onEvent: (event: ApplyEvent) => void): Promise<void>;
	/** Pollers for every router the state file records, started. The caller stops them. */
	openMonitor(): Promise<RouterPoller[]>;
};
