import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { rememberOperation } from './errors.js';

/** One retry the SDK is about to make: the UI shows it as "throttled, retrying". */
export type RetryNotice = {
	/** The EC2 action, e.g. `DescribeVpcs`. */
	action: string;
	/** What the previous attempt failed with, e.g. `RequestLimitExceeded`. */
	errorCode: string;
	/** The attempt about to start (2 for the first retry). */
	attempt: number;
};

export type RetryListener = (notice: RetryNotice) => void;

export type Ec2ClientOptions = {
	region: string;
	/** Any EC2-compatible endpoint (`--endpoint-url`): LocalStack, moto, the built-in sandbox. */
	endpoint?: string;
	credentials?: EC2ClientConfig['credentials'];
	/** A profile of `~/.aws/config`; ignored when `credentials` is given. */
	profile?: string;
	maxAttempts?: number;
	onRetry?: RetryListener;
	/** Called with AWS's clock minus ours (ms) after every response that carries a `Date` header. */
	onClockSkew?: (skewMs: number) => void;
};

const retryListeners = new WeakMap<EC2Client, Set<RetryListener>>();

/**
 * An EC2 client for every AWS call kakehashi makes: adaptive retry (client-side rate limiting
 * when AWS throttles) and a retry observer so a long wait is never silent.
 */
export function createEc2Client(options: Ec2ClientOptions): EC2Client {
	const ec2 = new EC2Client({
		region: options.region,
		retryMode: 'adaptive',
		maxAttempts: options.maxAttempts ?? 8,
		...(options.endpoint ? { endpoint: options.endpoint } : {}),
		...(options.credentials ? { credentials: options.credentials } : {}),
		...(options.profile && !options.credentials ? { profile: options.profile } : {}),
	});
	const listeners = new Set<RetryListener>();
	if (options.onRetry) listeners.add(options.onRetry);
	retryListeners.set(ec2, listeners);
	installOperationRecorder(ec2);
	installRetryObserver(ec2, listeners);
	observeClockSkew(ec2, options.onClockSkew);
	return ec2;
}

/** Beyond this, kakehashi warns; AWS itself rejects requests signed 15 minutes off (RequestExpired). */
export const CLOCK_SKEW_WARNING_MS = 5 * 60 * 1000;
export const CLOCK_SKEW_LIMIT_MS = 15 * 60 * 1000;

const clockSkews = new WeakMap<object, number>();

/** AWS's clock minus this machine's, in ms, as last seen by this client (undefined before any response). */
export function clockSkewOf(client: object): number | undefined {
	return clockSkews.get(client);
}

type MiddlewareClient = {
	middlewareStack: {
		add: (
			middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
			options: { step: 'deserialize'; priority: 'low'; name: string },
		) => void;
	};
};

/**
 * Innermost in the deserialize step, so it sees the raw HTTP response of every attempt, errors
 * included: the `Date` header of any AWS response tells how far this machine's clock is off.
 */
export function observeClockSkew(client: object, listener?: (skewMs: number) => void): void {
	(client as MiddlewareClient).middlewareStack.add(
		(next) => async (args) => {
			const result = (await next(args)) as { response?: { headers?: Record<string, string> } };
			const date = result.response?.headers?.date ?? result.response?.headers?.Date;
			const serverTime = date ? Date.parse(date) : Number.NaN;
			if (!Number.isNaN(serverTime)) {
				const skew = serverTime - Date.now();
				clockSkews.set(client, skew);
				try {
					listener?.(skew);
				} catch {
					// An observer must never break the call it observes.
				}
			}
			return result;
		},
		{ step: 'deserialize', priority: 'low', name: 'kakehashiClockSkewObserver' },
	);
}

/** Listen to the retries of a client made by createEc2Client; returns the unsubscribe function. */
export function onEc2Retry(ec2: EC2Client, listener: RetryListener): () => void {
	const listeners = retryListeners.get(ec2);
	if (!listeners) return () => {};
	listeners.add(listener);
	return () => listeners.delete(listener);
}

function actionOf(commandName: string | undefined): string {
	return (commandName ?? 'Unknown').replace(/Command$/, '');
}

/** Outermost: remembers which action an error came from, for describeAwsError's IAM hint. */
function installOperationRecorder(ec2: EC2Client): void {
	ec2.middlewareStack.add(
		(next, context) => async (args) => {
			try {
				return await next(args);
			} catch (error) {
				rememberOperation(error, actionOf(context.commandName));
				throw error;
			}
		},
		{ step: 'initialize', priority: 'high', name: 'kakehashiOperationRecorder' },
	);
}

/**
 * Inside the SDK's retry loop (same step, lower priority), so it sees every attempt. The retry
 * middleware numbers attempts in the `amz-sdk-request` header; attempt N > 1 means the SDK decided
 * to retry after the error the previous attempt saw.
 */
function installRetryObserver(ec2: EC2Client, listeners: Set<RetryListener>): void {
	ec2.middlewareStack.add(
		(next, context) => {
			let lastErrorCode = 'Unknown';
			return async (args) => {
				const headers = (args.request as { headers?: Record<string, string> } | undefined)?.headers;
				const attempt = Number(/attempt=(\d+)/.exec(headers?.['amz-sdk-request'] ?? '')?.[1] ?? '1');
				if (attempt > 1) {
					const notice = { action: actionOf(context.commandName), errorCode: lastErrorCode, attempt };
					for (const listener of listeners) {
						try {
							listener(notice);
						} catch {
							// An observer must never break the call it observes.
						}
					}
				}
				try {
					return await next(args);
				} catch (error) {
					lastErrorCode = (error as { name?: string }).name ?? 'Unknown';
					throw error;
				}
			};
		},
		{ step: 'finalizeRequest', priority: 'low', name: 'kakehashiRetryObserver' },
	);
}
