/** Options every AWS call takes: cancelling a run cancels its requests in flight. */
export type CallOptions = { signal?: AbortSignal };

/** How long, how often, and until what a waiter polls. */
export type WaitOptions = {
	/** Give up after this long (default: the waiter's own, sized for real AWS). */
	timeoutMs?: number;
	/** Pause between polls (default 2 s; the sandbox's tests use less). */
	intervalMs?: number;
	signal?: AbortSignal;
	/** Called after each poll that did not finish the wait, e.g. to show "waiting for running". */
	onPoll?: (state: string | undefined, elapsedMs: number) => void;
};

export class WaitTimeoutError extends Error {
	constructor(
		readonly what: string,
		readonly lastState: string | undefined,
		readonly timeoutMs: number,
	) {
		super(
			`Gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s (last state: ${lastState ?? 'unknown'}). ` +
				'AWS may still be working on it: run the same command again to resume.',
		);
		this.name = 'WaitTimeoutError';
	}

	/** The AWS id waited for (`vpc-…`, `i-…`), for messages in other languages. */
	get resourceId(): string | undefined {
		return /\b(?:vpc|subnet|igw|rtb|sg|key|i|eni|vgw|cgw|vpn)-[0-9a-f]+\b/.exec(this.what)?.[0];
	}
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) {
			reject(signal.reason ?? new Error('aborted'));
			return;
		}
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal?.reason ?? new Error('aborted'));
		};
		signal?.addEventListener('abort', onAbort, { once: true });
	});
}

/**
 * Poll `probe` until `isDone` accepts what it returned. `probe` returns the current state (a
 * string shown in progress and timeout messages) and the value the waiter hands back.
 */
export async function pollUntil<T>(
	what: string,
	probe: () => Promise<{ state: string | undefined; value: T }>,
	isDone: (state: string | undefined, value: T) => boolean,
	options: WaitOptions & { defaultTimeoutMs: number },
): Promise<T> {
	const timeoutMs = options.timeoutMs ?? options.defaultTimeoutMs;
	const intervalMs = options.intervalMs ?? 2000;
	const started = Date.now();
	for (;;) {
		options.signal?.throwIfAborted();
		const { state, value } = await probe();
		if (isDone(state, value)) return value;
		const elapsed = Date.now() - started;
		if (elapsed >= timeoutMs) throw new WaitTimeoutError(what, state, timeoutMs);
		options.onPoll?.(state, elapsed);
		await sleep(Math.min(intervalMs, Math.max(0, timeoutMs - elapsed)), options.signal);
	}
}
