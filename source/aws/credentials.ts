import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromEnv, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { CONFIG_PREFIX_SEPARATOR, loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { clockSkewOf, observeClockSkew } from './client.js';
import { type AwsErrorDescription, describeAwsError } from './errors.js';

/**
 * Which credentials the machine already has (install-guide section 0: profiles, SSO and environment
 * first; typed keys only as the fallback), and who they sign in as (STS GetCallerIdentity). Secrets
 * stay in memory: they are written only to ~/.aws/credentials, and only when the user asks.
 */

export type ProfileType = 'static' | 'sso' | 'process' | 'role' | 'webIdentity' | 'other';

export type CredentialChoice =
	| { source: 'env' }
	| { source: 'profile'; profile: string; type: ProfileType }
	/** The SDK's default chain: environment, profiles, SSO, process, container and instance role. */
	| { source: 'chain' }
	| { source: 'typed'; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
	| { source: 'sandbox'; accessKeyId: string; secretAccessKey: string };

export type ProfileInfo = { name: string; type: ProfileType };

function profileType(settings: Record<string, string | undefined>): ProfileType {
	if (settings.sso_session || settings.sso_start_url) return 'sso';
	if (settings.credential_process) return 'process';
	if (settings.web_identity_token_file) return 'webIdentity';
	if (settings.role_arn) return 'role';
	if (settings.aws_access_key_id) return 'static';
	return 'other';
}

/** Profile names of ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE). */
export async function listProfiles(
	files: { configFilepath?: string; filepath?: string } = {},
): Promise<ProfileInfo[]> {
	const { configFile, credentialsFile } = await loadSharedConfigFiles({ ...files, ignoreCache: true });
	const merged = new Map<string, Record<string, string | undefined>>();
	for (const source of [configFile, credentialsFile]) {
		for (const [name, settings] of Object.entries(source)) {
			// `[sso-session corp]` and `[services x]` sections come back as `sso-session.corp`: not profiles
			if (name.includes(CONFIG_PREFIX_SEPARATOR)) continue;
			merged.set(name, { ...merged.get(name), ...settings });
		}
	}
	return [...merged.entries()]
		.map(([name, settings]) => ({ name, type: profileType(settings) }))
		.sort((a, b) => (a.name === 'default' ? -1 : b.name === 'default' ? 1 : a.name.localeCompare(b.name)));
}

/** What to offer, best first: the environment, the profile named by AWS_PROFILE, other profiles, the default chain. */
export async function credentialChoices(
	env: NodeJS.ProcessEnv = process.env,
	files: { configFilepath?: string; filepath?: string } = {},
): Promise<CredentialChoice[]> {
	const choices: CredentialChoice[] = [];
	if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) choices.push({ source: 'env' });
	let profiles: ProfileInfo[] = [];
	try {
		profiles = await listProfiles(files);
	} catch {
		// unreadable ini files: offer the rest
	}
	const preferred = env.AWS_PROFILE;
	profiles.sort((a, b) => (a.name === preferred ? -1 : b.name === preferred ? 1 : 0));
	for (const profile of profiles)
		choices.push({ source: 'profile', profile: profile.name, type: profile.type });
	choices.push({ source: 'chain' });
	return choices;
}

export function credentialProvider(
	choice: CredentialChoice,
): AwsCredentialIdentityProvider | AwsCredentialIdentity {
	switch (choice.source) {
		case 'env':
			return fromEnv();
		case 'profile':
			return fromNodeProviderChain({ profile: choice.profile });
		case 'chain':
			return fromNodeProviderChain();
		case 'typed':
		case 'sandbox':
			return {
				accessKeyId: choice.accessKeyId,
				secretAccessKey: choice.secretAccessKey,
				...('sessionToken' in choice && choice.sessionToken ? { sessionToken: choice.sessionToken } : {}),
			};
	}
}

/** The shape AWS gives access key IDs (AKIA… long-term, ASIA… temporary). */
export function isAccessKeyIdShape(value: string): boolean {
	return /^[A-Z0-9]{16,128}$/.test(value.trim());
}

export type CallerIdentity = {
	account: string;
	arn: string;
	userId: string;
	/** AWS's clock minus ours, from the response's Date header. */
	clockSkewMs?: number;
};

export type VerifyResult =
	| { ok: true; identity: CallerIdentity }
	| { ok: false; error: AwsErrorDescription; clockSkewMs?: number };

/** STS GetCallerIdentity with these credentials, on the same endpoint as EC2 (`--endpoint-url`). */
export async function verifyCredentials(options: {
	credentials: AwsCredentialIdentityProvider | AwsCredentialIdentity;
	region: string;
	endpoint?: string;
	signal?: AbortSignal;
}): Promise<VerifyResult> {
	const sts = new STSClient({
		region: options.region,
		credentials: options.credentials,
		maxAttempts: 3,
		...(options.endpoint ? { endpoint: options.endpoint } : {}),
	});
	observeClockSkew(sts);
	try {
		const output = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: options.signal });
		const skew = clockSkewOf(sts);
		return {
			ok: true,
			identity: {
				account: output.Account ?? '?',
				arn: output.Arn ?? '?',
				userId: output.UserId ?? '?',
				...(skew !== undefined ? { clockSkewMs: skew } : {}),
			},
		};
	} catch (error) {
		const description = describeAwsError(error, 'GetCallerIdentity');
		if (description.action) description.action = 'sts:GetCallerIdentity';
		const skew = clockSkewOf(sts);
		return { ok: false, error: description, ...(skew !== undefined ? { clockSkewMs: skew } : {}) };
	} finally {
		sts.destroy();
	}
}

export function defaultCredentialsFile(env: NodeJS.ProcessEnv = process.env): string {
	return env.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), '.aws', 'credentials');
}

export class ProfileExistsError extends Error {
	constructor(
		readonly profile: string,
		readonly file: string,
	) {
		super(`Profile "${profile}" already exists in ${file}; choose another name.`);
		this.name = 'ProfileExistsError';
	}
}

/**
 * Save typed keys as a profile, only when the user asks: appended to the credentials file (created
 * with mode 0600), never overwriting a profile of the same name.
 */
export async function saveProfile(
	profile: string,
	keys: { accessKeyId: string; secretAccessKey: string },
	file = defaultCredentialsFile(),
): Promise<void> {
	if (!/^[A-Za-z0-9_.-]{1,64}$/.test(profile)) throw new Error(`"${profile}" is not a usable profile name.`);
	let existing = '';
	try {
		existing = await readFile(file, 'utf8');
	} catch {
		// a new file
	}
	if (new RegExp(`^\\s*\\[${profile.replace(/[.]/g, '\\.')}\\]\\s*$`, 'm').test(existing)) {
		throw new ProfileExistsError(profile, file);
	}
	await mkdir(dirname(file), { recursive: true, mode: 0o700 });
	const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
	await appendFile(
		file,
		`${separator}${existing === '' ? '' : '\n'}[${profile}]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`,
		{ mode: 0o600 },
	);
}

/**
 * What the wizard's credentials and region steps ask of the core (the UI never creates a client):
 * implemented over the command's backend, in commands/backend.ts.
 */
export type AccountServices = {
	/** The sandbox's own test credentials are the only choice there. */
	sandbox: boolean;
	choices(): Promise<CredentialChoice[]>;
	/** Use these credentials from now on, and say who they sign in as. */
	verify(choice: CredentialChoice): Promise<VerifyResult>;
	/** Save typed keys as a profile (asked for by the user); returns the file written. */
	saveProfile(profile: string, keys: { accessKeyId: string; secretAccessKey: string }): Promise<string>;
	regions(): Promise<{ name: string }[]>;
	/** Use this region from now on, and list its availability zones. */
	selectRegion(region: string): Promise<{ name: string; id?: string }[]>;
};
