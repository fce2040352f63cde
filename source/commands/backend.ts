import { dirname, join, resolve } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client, type RetryListener } from '../aws/client.js';
import type { GlobalOptions } from '../cli.js';
import { SANDBOX_CREDENTIALS } from '../sandbox/ec2/index.js';
import {
	SANDBOX_DISCOVERY_PATH,
	type Sandbox,
	type SandboxRouterInfo,
	startSandbox,
} from '../sandbox/index.js';

/**
 * Where AWS calls go and how routers are reached: the embedded sandbox (`--sandbox`), any
 * EC2-compatible endpoint (`--endpoint-url`; when it is a kakehashi sandbox, its routers are
 * discovered too), or AWS itself with the SDK's own credential chain.
 */
export type Backend = {
	ec2: EC2Client;
	region: string;
	endpoint?: string;
	sandbox?: Sandbox;
	/** Simulated routers when the endpoint is a kakehashi sandbox (embedded or separate). */
	sandboxRouters(): Promise<SandboxRouterInfo[] | undefined>;
	close(): Promise<void>;
};

export function sandboxDir(statePath: string): string {
	return join(dirname(resolve(statePath)), '.kakehashi', 'sandbox');
}

async function discover(endpoint: string): Promise<SandboxRouterInfo[] | undefined> {
	try {
		const response = await fetch(new URL(SANDBOX_DISCOVERY_PATH, endpoint), {
			signal: AbortSignal.timeout(2000),
		});
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
	if (options.sandbox) {
		const sandbox = await startSandbox({ dir: sandboxDir(options.state) });
		const ec2 = createEc2Client({
			region,
			endpoint: sandbox.endpoint,
			credentials: SANDBOX_CREDENTIALS,
			onRetry: context.onRetry,
		});
		return {
			ec2,
			region,
			endpoint: sandbox.endpoint,
			sandbox,
			sandboxRouters: async () => sandbox.routers(),
			close: async () => {
				ec2.destroy();
				await sandbox.close();
			},
		};
	}
	const endpoint = options.endpointUrl;
	const discovered = endpoint ? await discover(endpoint) : undefined;
	const hasOwnCredentials =
		Boolean(options.profile) || Boolean(process.env.AWS_ACCESS_KEY_ID) || Boolean(process.env.AWS_PROFILE);
	const ec2 = createEc2Client({
		region,
		endpoint,
		profile: options.profile,
		// a kakehashi sandbox accepts only its documented test credentials
		credentials: discovered && !hasOwnCredentials ? SANDBOX_CREDENTIALS : undefined,
		onRetry: context.onRetry,
	});
	return {
		ec2,
		region,
		endpoint,
		sandboxRouters: async () => (endpoint ? ((await discover(endpoint)) ?? discovered) : undefined),
		close: async () => {
			ec2.destroy();
		},
	};
}
