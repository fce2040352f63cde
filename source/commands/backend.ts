import { dirname, join, resolve } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import { createEc2Client, type RetryListener } from '../aws/client.js';
import {
	type AccountServices,
	type CredentialChoice,
	credentialChoices,
	credentialProvider,
	defaultCredentialsFile,
	saveProfile,
	type VerifyResult,
	verifyCredentials,
} from '../aws/credentials.js';
import { checkInstanceTypeOffered, listAvailabilityZones, listRegions } from '../aws/regions.js';
import { clientsBeside, destroyClientsBeside } from '../aws/service-clients.js';
import type { GlobalOptions } from '../cli.js';
import { type AnswerIssue, type Answers, AnswersError } from '../flow/answers.js';
import { StateFileError, stateFileMessage } from '../flow/state.js';
import { NoImageNamedError, resolveImageAnswer } from '../flow/steps.js';
import type { Lang, Translate } from '../i18n/index.js';
import { SANDBOX_CREDENTIALS } from '../sandbox/ec2/index.js';
import {
	SANDBOX_DISCOVERY_PATH,
	type Sandbox,
	type SandboxRouterInfo,
	startSandbox,
} from '../sandbox/index.js';
import { OperationError, UsageError } from './errors.js';

/**
 * Where AWS calls go and how routers are reached: the embedded sandbox (`--sandbox`), any
 * EC2-compatible endpoint (`--endpoint-url`; when it is a kakehashi sandbox, its routers are
 * discovered too), or AWS itself with the SDK's own credential chain.
 */
export type Backend = {
	/** Replaced by `select`: read it at the time of each call, do not keep it. */
	ec2: EC2Client;
	region: string;
	endpoint?: string;
	sandbox?: Sandbox;
	/** The credentials in use: undefined for the SDK's default chain. */
	credentials?: CredentialChoice;
	/** From now on, use these credentials and/or this region (the wizard's choices). */
	select(choice: { credentials?: CredentialChoice; region?: string }): void;
	/** Who the credentials in use sign in as (STS GetCallerIdentity on the same endpoint). */
	verify(signal?: AbortSignal): Promise<VerifyResult>;
	/** S3 and IAM clients beside `ec2` (AMI import): the same region, credentials and endpoint. */
	services(): Promise<{ s3: S3Client; iam: IAMClient }>;
	/**
	 * Simulated routers when the endpoint is a kakehashi sandbox (embedded or separate). `ensure`: the
	 * user-side addresses an answers file uses; the sandbox starts a router at each first.
	 */
	sandboxRouters(ensure?: readonly string[]): Promise<SandboxRouterInfo[] | undefined>;
	close(): Promise<void>;
};

export function sandboxDir(statePath: string): string {
	return join(dirname(resolve(statePath)), '.kakehashi', 'sandbox');
}

async function discover(
	endpoint: string,
	ensure: readonly string[] = [],
): Promise<SandboxRouterInfo[] | undefined> {
	try {
		const url = new URL(SANDBOX_DISCOVERY_PATH, endpoint);
		if (ensure.length > 0) url.searchParams.set('ensure', ensure.join(','));
		const response = await fetch(url, { signal: AbortSignal.timeout(ensure.length > 0 ? 15_000 : 2000) });
		if (!response.ok) return undefined;
		const body = (await response.json()) as { routers?: SandboxRouterInfo[] };
		return Array.isArray(body.routers) ? body.routers : undefined;
	} catch {
		return undefined;
	}
}

export async function openBackend(
	options: GlobalOptions,
	context: { region?: string; onRetry?: RetryListener },
): Promise<Backend> {
	const region = options.region ?? context.region ?? process.env.AWS_REGION ?? 'ap-northeast-1';
	const sandbox = options.sandbox ? await startSandbox({ dir: sandboxDir(options.state) }) : undefined;
	const endpoint = sandbox?.endpoint ?? options.endpointUrl;
	const discovered = !sandbox && endpoint ? await discover(endpoint) : undefined;
	const hasOwnCredentials =
		Boolean(options.profile) || Boolean(process.env.AWS_ACCESS_KEY_ID) || Boolean(process.env.AWS_PROFILE);
	const sandboxChoice: CredentialChoice = { source: 'sandbox', ...SANDBOX_CREDENTIALS };
	// a kakehashi sandbox accepts only its documented test credentials; --profile is honoured everywhere else
	const initial: CredentialChoice | undefined =
		sandbox || (discovered && !hasOwnCredentials)
			? sandboxChoice
			: options.profile
				? { source: 'profile', profile: options.profile, type: 'other' }
				: undefined;
	const clientFor = (choice: CredentialChoice | undefined, forRegion: string) =>
		createEc2Client({
			region: forRegion,
			endpoint,
			...(choice ? { credentials: credentialProvider(choice) } : {}),
			onRetry: context.onRetry,
		});
	const backend: Backend = {
		ec2: clientFor(initial, region),
		region,
		...(endpoint ? { endpoint } : {}),
		...(sandbox ? { sandbox } : {}),
		...(initial ? { credentials: initial } : {}),
		select(choice) {
			const credentials = choice.credentials ?? backend.credentials;
			const nextRegion = choice.region ?? backend.region;
			if (credentials === backend.credentials && nextRegion === backend.region) return;
			backend.ec2.destroy();
			backend.ec2 = clientFor(credentials, nextRegion);
			backend.region = nextRegion;
			if (credentials) backend.credentials = credentials;
		},
		verify: (signal) =>
			verifyCredentials({
				credentials: backend.ec2.config.credentials,
				region: backend.region,
				...(endpoint ? { endpoint } : {}),
				...(signal ? { signal } : {}),
			}),
		sandboxRouters: sandbox
			? async (ensure) => (ensure && ensure.length > 0 ? sandbox.ensureRouters(ensure) : sandbox.routers())
			: async (ensure) => (endpoint ? ((await discover(endpoint, ensure)) ?? discovered) : undefined),
		services: () => clientsBeside(backend.ec2),
		close: async () => {
			destroyClientsBeside(backend.ec2);
			backend.ec2.destroy();
			await sandbox?.close();
		},
	};
	return backend;
}

/**
 * The answers checked against what the region offers, before anything is touched: `--region`
 * agrees with the answers' region, the availability zone exists, and the instance type is offered
 * there (DescribeInstanceTypeOfferings; skipped when the endpoint cannot tell).
 */
export async function checkAnswersAgainstRegion(
	backend: Backend,
	answers: Answers,
	file: string,
	options: { flagRegion?: string; t: Translate },
): Promise<void> {
	if (options.flagRegion && options.flagRegion !== answers.region) {
		throw new UsageError(
			options.t('flow.error.regionMismatch', { flag: options.flagRegion, region: answers.region, file }),
		);
	}
	const issues: AnswerIssue[] = [];
	const zone = answers.subnet.availabilityZone;
	if (zone) {
		const zones = await listAvailabilityZones(backend.ec2).catch(() => undefined);
		if (zones && zones.length > 0 && !zones.some((known) => known.name === zone)) {
			issues.push({
				path: 'subnet.availabilityZone',
				rule: 'subnet.zoneUnknown',
				severity: 'error',
				vars: { value: zone, region: answers.region, zones: zones.map((known) => known.name).join(', ') },
			});
		}
	}
	if (issues.length === 0) {
		const offering = await checkInstanceTypeOffered(backend.ec2, answers.instance.type, {
			region: answers.region,
			...(zone ? { zone } : {}),
		});
		if (offering.offered === false) {
			issues.push({
				path: 'instance.type',
				rule: 'instance.typeNotOffered',
				severity: 'error',
				vars: {
					value: answers.instance.type,
					location: offering.location,
					examples: offering.examples.join(', ') || '-',
				},
			});
		}
	}
	if (issues.length === 0 && answers.instance.ami) {
		// an AMI given by name must exist before anything is created (else the instance step stops half-way)
		try {
			await resolveImageAnswer(backend.ec2, answers);
		} catch (error) {
			if (!(error instanceof NoImageNamedError)) throw error;
			issues.push({
				path: 'instance.ami',
				rule: 'instance.amiNotFound',
				severity: 'error',
				vars: { value: error.imageName, region: error.region },
			});
		}
	}
	if (issues.length > 0) throw new AnswersError(file, issues);
}

/** The wizard's credentials and region steps over this backend (ui/components/credentials-step.tsx, region-select.tsx). */
export function accountServices(backend: Backend, lang: Lang): AccountServices {
	return {
		sandbox: backend.sandbox !== undefined || backend.credentials?.source === 'sandbox',
		async choices() {
			const current = backend.credentials;
			if (current?.source === 'sandbox') return [current];
			const found = await credentialChoices();
			if (current?.source !== 'profile') return found;
			// --profile first
			return [
				current,
				...found.filter((choice) => !(choice.source === 'profile' && choice.profile === current.profile)),
			];
		},
		async verify(choice) {
			backend.select({ credentials: choice });
			return backend.verify();
		},
		async saveProfile(profile, keys) {
			const file = defaultCredentialsFile();
			await saveProfile(profile, keys, file);
			return file;
		},
		regions: () => listRegions(backend.ec2, lang),
		async selectRegion(region) {
			backend.select({ region });
			return listAvailabilityZones(backend.ec2);
		},
	};
}

/** A state file problem ends the command with a sentence in the user's language (exit 1). */
export async function translatingStateErrors<T>(t: Translate, work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (error) {
		if (error instanceof StateFileError) throw new OperationError(stateFileMessage(t, error));
		throw error;
	}
}
