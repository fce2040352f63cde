import { Ec2Error } from './errors.js';
import { SeededRandom } from './random.js';

/** Make one action fail, as if AWS had answered so. */
export type FailActionFault = {
	action: string;
	code: string;
	message?: string;
	/** HTTP status; defaults to what AWS uses for the code (503 for throttling, 500 for internal errors, else 400). */
	status?: number;
	/** How many calls fail before the action works again; every call when omitted. */
	times?: number;
};

export type FaultOptions = {
	/** Added before every response. */
	latencyMs?: number;
	/** Share of requests (0..1) answered `RequestLimitExceeded` (HTTP 503), drawn from a seeded PRNG. */
	throttleRate?: number;
	failAction?: FailActionFault;
};

const DEFAULT_STATUS: Record<string, number> = {
	RequestLimitExceeded: 503,
	Unavailable: 503,
	ServiceUnavailable: 503,
	InsufficientInstanceCapacity: 500,
	InternalError: 500,
	InternalFailure: 500,
};

/** Deterministic fault injection: the same seed and the same requests give the same failures. */
export class FaultInjector {
	readonly #seed: number;
	#faults: FaultOptions = {};
	#random: SeededRandom;
	#failuresLeft: number | undefined;

	constructor(seed: number, faults: FaultOptions = {}) {
		this.#seed = seed;
		this.#random = new SeededRandom(seed);
		this.set(faults);
	}

	/** Replaces every fault; the PRNG restarts from the seed so a run is reproducible. */
	set(faults: FaultOptions): void {
		const rate = faults.throttleRate ?? 0;
		if (!(rate >= 0 && rate <= 1)) {
			throw new RangeError(`throttleRate must be between 0 and 1, not ${faults.throttleRate}`);
		}
		if (faults.latencyMs !== undefined && !(faults.latencyMs >= 0)) {
			throw new RangeError(`latencyMs must be zero or more, not ${faults.latencyMs}`);
		}
		this.#faults = structuredClone(faults);
		this.#random = new SeededRandom(this.#seed);
		this.#failuresLeft = faults.failAction?.times;
	}

	get latencyMs(): number {
		return this.#faults.latencyMs ?? 0;
	}

	/** The error to answer `action` with, if a fault applies to this call. */
	faultFor(action: string): Ec2Error | undefined {
		const fail = this.#faults.failAction;
		if (fail && fail.action === action && (this.#failuresLeft === undefined || this.#failuresLeft > 0)) {
			if (this.#failuresLeft !== undefined) {
				this.#failuresLeft--;
			}
			return new Ec2Error(
				fail.code,
				fail.message ?? `The sandbox was told to fail ${action} with ${fail.code}.`,
				fail.status ?? DEFAULT_STATUS[fail.code] ?? 400,
			);
		}
		const rate = this.#faults.throttleRate ?? 0;
		if (rate > 0 && this.#random.next() < rate) {
			return new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
		}
		return undefined;
	}
}
