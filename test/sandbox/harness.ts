/**
 * What the EC2 sandbox tests share: a sandbox on a free port with an SDK client that does not retry
 * (so an error reaches the test as the sandbox answered it), and helpers to read failures and to wait
 * for states that move over time.
 */
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { expect, onTestFinished } from 'vitest';
import {
	type Ec2Sandbox,
	type Ec2SandboxOptions,
	SANDBOX_CREDENTIALS,
	startEc2Sandbox,
} from '../../source/sandbox/ec2/index.js';

/** Start a sandbox on a free port; it is closed when the test finishes. */
export async function startTestSandbox(options: Ec2SandboxOptions = {}): Promise<Ec2Sandbox> {
	const started = await startEc2Sandbox(options);
	onTestFinished(() => started.close());
	return started;
}

/** What every SDK client of the sandbox is given: its endpoint, its credentials, and no retries. */
export function sandboxClientConfig(endpoint: string, region: string) {
	return { endpoint, region, credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 };
}

/** Start a sandbox and an EC2 client for it; both are closed when the test finishes. */
export async function sandboxWithClient(
	options: Ec2SandboxOptions = {},
	client: Partial<EC2ClientConfig> = {},
) {
	const started = await startTestSandbox(options);
	const ec2 = new EC2Client({ ...sandboxClientConfig(started.endpoint, 'ap-northeast-1'), ...client });
	onTestFinished(() => ec2.destroy());
	return { sandbox: started, ec2 };
}

export type Failure = {
	name: string;
	message: string;
	$metadata: { httpStatusCode?: number; requestId?: string };
};

/** The error a call failed with; fails the test when the call succeeds. */
export async function failure(promise: Promise<unknown>): Promise<Failure> {
	try {
		await promise;
	} catch (error) {
		return error as Failure;
	}
	throw new Error('expected the call to fail, but it succeeded');
}

/** The call fails with this AWS error code (and HTTP status, when given). */
export async function expectAwsError(
	promise: Promise<unknown>,
	name: string,
	status?: number,
): Promise<Failure> {
	let caught: Failure | undefined;
	try {
		await promise;
	} catch (error) {
		caught = error as Failure;
	}
	expect(caught, `expected ${name}, but the call succeeded`).toBeDefined();
	const found = caught as Failure;
	if (status === undefined) expect(found.name, found.message).toBe(name);
	else expect({ name: found.name, status: found.$metadata.httpStatusCode }).toEqual({ name, status });
	return found;
}

/** Polls until `check` passes, failing after the deadline with the last assertion error. */
export async function eventually<T>(
	read: () => Promise<T>,
	check: (value: T) => void,
	deadlineMs = 10_000,
): Promise<T> {
	const deadline = Date.now() + deadlineMs;
	for (;;) {
		const value = await read();
		try {
			check(value);
			return value;
		} catch (error) {
			if (Date.now() > deadline) throw error;
			await new Promise((resolve) => setTimeout(resolve, 25));
		}
	}
}
