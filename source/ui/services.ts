import type { Answers } from '../flow/answers.js';
import type { ImageImportEvent, ImageImportResult } from '../flow/image-import.js';
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

/** One of the account's own images ("my AMIs"). */
export type OwnImageInfo = { imageId: string; name: string; creationDate: string };

/** The VHD check's answer: its size, or the sentence naming the file and what it is not (translated). */
export type VhdCheckResult =
	| { ok: true; size: number }
	/** `unreadable`: no such file (yet), a folder, no permission; the rest: the file is not an importable VHD. */
	| { ok: false; message: string; unreadable: boolean };

/** What the "machine image" step imports: the file, the AMI name, the bucket (default as the command's). */
export type ImageImportRequest = {
	vhdPath: string;
	name: string;
	bucket?: string;
	region: string;
	stack: string;
};

export type WizardServices = {
	sandbox: boolean;
	/** Defaults that beat the flow file's (e.g. the sandbox site router's address). */
	defaults: Draft;
	describeCredentials(): Promise<CredentialInfo>;
	plan(answers: Answers): Promise<PlanChange[]>;
	apply(answers: Answers, onEvent: (event: ApplyEvent) => void): Promise<void>;
	/** The account's own available images in the region, newest first (DescribeImages Owners=self). */
	ownImages(region: string): Promise<OwnImageInfo[]>;
	/** The file checked as `image import` checks it, before any AWS call. */
	checkVhd(path: string): Promise<VhdCheckResult>;
	/** The upload bucket `image import` uses when none is given (`kakehashi-<account>-<region>`). */
	defaultBucket(region: string): Promise<string>;
	/**
	 * `image import` from the wizard: the same resumable run (state file, bucket, role, upload,
	 * ImportSnapshot, RegisterImage). Rejects with an Error whose message is already in the user's
	 * language. `signal` stops it where a kill would (a re-run resumes).
	 */
	importImage(
		request: ImageImportRequest,
		onEvent: (event: ImageImportEvent) => void,
		signal?: AbortSignal,
	): Promise<ImageImportResult>;
	/** Pollers for every router the state file records, started. The caller stops them. */
	openMonitor(): Promise<RouterPoller[]>;
};
