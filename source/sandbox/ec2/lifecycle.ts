import { type InstanceStateName, instanceStateAt, type SandboxState } from './state.js';
import type { SandboxChange } from './store-view.js';

/**
 * Instance states are derived from absolute times, so nothing has to run for them to progress. This
 * watcher only wakes up at the next transition so listeners hear about it when it happens.
 */
export class InstanceTransitionWatcher {
	readonly #state: () => SandboxState;
	readonly #now: () => number;
	readonly #emit: (change: SandboxChange) => void;
	readonly #observed = new Map<string, InstanceStateName>();
	#timer: NodeJS.Timeout | undefined;
	#stopped = false;

	constructor(state: () => SandboxState, now: () => number, emit: (change: SandboxChange) => void) {
		this.#state = state;
		this.#now = now;
		this.#emit = emit;
		this.#observe(false);
	}

	/** Re-reads every instance, reports changed states, and schedules the next wake-up. */
	refresh(): void {
		this.#observe(true);
	}

	stop(): void {
		this.#stopped = true;
		clearTimeout(this.#timer);
	}

	#observe(report: boolean): void {
		if (this.#stopped) {
			return;
		}
		const now = this.#now();
		let next = Number.POSITIVE_INFINITY;
		for (const [region, regionState] of Object.entries(this.#state().regions)) {
			for (const instance of Object.values(regionState.instances)) {
				const state = instanceStateAt(instance, now);
				if (this.#observed.get(instance.id) !== state) {
					this.#observed.set(instance.id, state);
					if (report) {
						this.#emit({ type: 'instance-state', region, instanceId: instance.id, state });
					}
				}
				for (const at of [instance.runningAt, instance.terminatedAt]) {
					if (at !== undefined && at > now) {
						next = Math.min(next, at);
					}
				}
			}
		}
		clearTimeout(this.#timer);
		if (Number.isFinite(next)) {
			this.#timer = setTimeout(() => this.refresh(), next - now + 1);
			this.#timer.unref();
		}
	}
}
