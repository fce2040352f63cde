import { EventEmitter } from 'node:events';
import type { RouterDriver } from '../router/driver.js';
import type { ParseResult, StatusSnapshot } from '../router/model.js';
import { buildSnapshot, unreachableSnapshot } from './snapshot.js';

/** What the poller needs from an SSH session: run one command, report connection state. */
export type CommandRunner = {
	run(command: string, options?: { timeoutMs?: number }): Promise<string>;
	readonly state: string;
	on(event: 'state', listener: (state: string) => void): unknown;
	off(event: 'state', listener: (state: string) => void): unknown;
};

export type PollTarget = { name: string; vendor: string; host: string; port: number };

export type PollerState = {
	target: PollTarget;
	connection: string;
	/** The last good snapshot; kept (and marked stale) while the router cannot be reached. */
	snapshot?: StatusSnapshot;
	lastPolledAt?: Date;
	lastAttemptAt?: Date;
	/** Raw outputs of the last successful poll, per command, for the `raw` view and bundles. */
	raw: Record<string, string>;
	error?: string;
	/** How long the last poll (successful or not) took. */
	lastPollDurationMs?: number;
	/** The data shown is from an earlier poll: the router could not be polled since. */
	stale: boolean;
	paused: boolean;
	polls: number;
};

type Events = { update: [PollerState] };

/**
 * Polls one router on an interval over a persistent session. Never throws from the loop: a failed
 * poll keeps the last data, marks it stale and records the error; the session reconnects itself.
 */
export class RouterPoller extends EventEmitter<Events> {
	#state: PollerState;
	#timer: NodeJS.Timeout | undefined;
	#inFlight: Promise<PollerState> | undefined;
	#stopped = false;
	readonly #onState = (connection: string) => this.#update({ connection });

	constructor(
		private readonly runner: CommandRunner,
		private readonly driver: RouterDriver,
		target: PollTarget,
		private readonly options: { intervalMs: number; commandTimeoutMs?: number; now?: () => Date } = {
			intervalMs: 5000,
		},
	) {
		super();
		this.#state = { target, connection: runner.state, raw: {}, stale: false, paused: false, polls: 0 };
		runner.on('state', this.#onState);
	}

	get state(): PollerState {
		return this.#state;
	}

	#now(): Date {
		return this.options.now ? this.options.now() : new Date();
	}

	#update(patch: Partial<PollerState>): void {
		this.#state = { ...this.#state, ...patch };
		this.emit('update', this.#state);
	}

	/** One poll: every driver command in turn; parsers are pure and never throw on garbage. */
	pollOnce(): Promise<PollerState> {
		if (this.#inFlight) return this.#inFlight;
		this.#inFlight = this.#poll().finally(() => {
			this.#inFlight = undefined;
		});
		return this.#inFlight;
	}

	async #poll(): Promise<PollerState> {
		const attemptAt = this.#now();
		const raw: Record<string, string> = {};
		const results: ParseResult[] = [];
		try {
			for (const command of this.driver.commands) {
				const output = await this.runner.run(command.command, { timeoutMs: this.options.commandTimeoutMs });
				raw[command.key] = output;
				results.push(safeParse(command.parse, output));
			}
		} catch (error) {
			const { target, snapshot: previous, lastPolledAt } = this.#state;
			this.#update({
				lastAttemptAt: attemptAt,
				lastPollDurationMs: this.#now().getTime() - attemptAt.getTime(),
				error: error instanceof Error ? error.message : String(error),
				stale: lastPolledAt !== undefined,
				// keep the last good data, marked unreachable; with none yet, an unreachable snapshot
				snapshot:
					previous && lastPolledAt !== undefined
						? { ...previous, router: markUnreachable(previous) }
						: unreachableSnapshot({
								name: target.name,
								vendor: target.vendor,
								host: target.host,
								reachable: false,
								polledAt: attemptAt.toISOString(),
							}),
			});
			return this.#state;
		}
		const { target } = this.#state;
		const snapshot = buildSnapshot(
			{
				name: target.name,
				vendor: target.vendor,
				host: target.host,
				reachable: true,
				polledAt: attemptAt.toISOString(),
			},
			results,
		);
		this.#update({
			snapshot,
			raw,
			lastPolledAt: attemptAt,
			lastAttemptAt: attemptAt,
			lastPollDurationMs: this.#now().getTime() - attemptAt.getTime(),
			error: undefined,
			stale: false,
			polls: this.#state.polls + 1,
		});
		return this.#state;
	}

	start(): void {
		this.#stopped = false;
		this.#schedule(0);
	}

	#schedule(delay: number): void {
		if (this.#stopped) return;
		clearTimeout(this.#timer);
		this.#timer = setTimeout(async () => {
			if (!this.#state.paused) await this.pollOnce();
			this.#schedule(this.options.intervalMs);
		}, delay);
	}

	/** `r` in the panel: poll now (even while paused: the user asked) and restart the interval from here. */
	pollNow(): void {
		if (this.#stopped) return;
		clearTimeout(this.#timer);
		this.#timer = setTimeout(async () => {
			await this.pollOnce();
			this.#schedule(this.options.intervalMs);
		}, 0);
	}

	setPaused(paused: boolean): void {
		this.#update({ paused });
	}

	stop(): void {
		this.#stopped = true;
		clearTimeout(this.#timer);
		this.runner.off('state', this.#onState);
	}
}

function markUnreachable(snapshot: StatusSnapshot) {
	return snapshot.router ? { ...snapshot.router, reachable: false } : undefined;
}

function safeParse(parse: (output: string) => ParseResult, output: string): ParseResult {
	try {
		return parse(output);
	} catch {
		// A parser bug must not stop the monitor: keep the output visible as unparsed.
		return { unparsed: output.split('\n').filter((line) => line.trim() !== '') };
	}
}
