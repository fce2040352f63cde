import type { TunnelCounters, TunnelRow } from './tunnels.js';

/**
 * Per-tunnel history of counter samples: byte rates from deltas, sparklines, and when each tunnel's
 * SAs were re-established. Memory is bounded: every series is a fixed-size ring, and the number of
 * tunnels remembered is capped (the least recently seen is forgotten first).
 */

/** A fixed-capacity ring: pushing beyond the capacity overwrites the oldest entry. */
export class RingBuffer<T> {
	readonly capacity: number;
	#items: (T | undefined)[];
	#start = 0;
	#size = 0;

	constructor(capacity: number) {
		if (!Number.isInteger(capacity) || capacity < 1)
			throw new RangeError('capacity must be a positive integer');
		this.capacity = capacity;
		this.#items = new Array<T | undefined>(capacity);
	}

	get size(): number {
		return this.#size;
	}

	push(item: T): void {
		const index = (this.#start + this.#size) % this.capacity;
		this.#items[index] = item;
		if (this.#size < this.capacity) this.#size++;
		else this.#start = (this.#start + 1) % this.capacity;
	}

	/** Oldest first. */
	toArray(): T[] {
		const result: T[] = [];
		for (let offset = 0; offset < this.#size; offset++) {
			result.push(this.#items[(this.#start + offset) % this.capacity] as T);
		}
		return result;
	}

	last(): T | undefined {
		return this.#size === 0 ? undefined : this.#items[(this.#start + this.#size - 1) % this.capacity];
	}

	clear(): void {
		this.#items = new Array<T | undefined>(this.capacity);
		this.#start = 0;
		this.#size = 0;
	}
}

/**
 * How much a router counter grew between two readings. A drop means the counter restarted (an SA was
 * rekeyed or the router rebooted): the increase is unknown, so `undefined` — never negative — and the
 * next delta starts from the new value.
 */
export function counterIncrease(previous: number | undefined, next: number | undefined): number | undefined {
	if (!isCount(previous) || !isCount(next) || next < previous) return undefined;
	return next - previous;
}

const isCount = (value: unknown): value is number =>
	typeof value === 'number' && Number.isFinite(value) && value >= 0;

export type CounterSample = {
	/** Epoch milliseconds. */
	at: number;
	counters: TunnelCounters;
	/** Bytes per second since the previous sample; `null` for the first sample, after a reset, or without counters. */
	bytesInPerSecond: number | null;
	bytesOutPerSecond: number | null;
	/** A counter went backwards since the previous sample (reset or rekey). */
	reset: boolean;
};

function rate(previous: number | undefined, next: number | undefined, seconds: number): number | null {
	const increase = counterIncrease(previous, next);
	return increase === undefined || seconds <= 0 ? null : increase / seconds;
}

/** One tunnel's counter samples, in a ring of `capacity` entries. */
export class CounterHistory {
	readonly #samples: RingBuffer<CounterSample>;

	constructor(capacity = 120) {
		this.#samples = new RingBuffer(capacity);
	}

	record(at: Date | number, counters: TunnelCounters): CounterSample {
		const time = typeof at === 'number' ? at : at.getTime();
		const previous = this.#samples.last();
		const seconds = previous ? (time - previous.at) / 1000 : 0;
		const reset =
			previous !== undefined &&
			(['bytesIn', 'bytesOut', 'packetsIn', 'packetsOut'] as const).some(
				(field) =>
					isCount(previous.counters[field]) &&
					isCount(counters[field]) &&
					counters[field] < previous.counters[field],
			);
		const sample: CounterSample = {
			at: time,
			counters: { ...counters },
			bytesInPerSecond: previous ? rate(previous.counters.bytesIn, counters.bytesIn, seconds) : null,
			bytesOutPerSecond: previous ? rate(previous.counters.bytesOut, counters.bytesOut, seconds) : null,
			reset,
		};
		this.#samples.push(sample);
		return sample;
	}

	samples(): CounterSample[] {
		return this.#samples.toArray();
	}

	latest(): CounterSample | undefined {
		return this.#samples.last();
	}

	get size(): number {
		return this.#samples.size;
	}
}

const bars = '▁▂▃▄▅▆▇█';

/**
 * A sparkline of exactly `width` characters over the last `width` values, scaled from 0 to the
 * largest of them (or `max`). Unknown values (`null`, negative, not finite) are gaps (a space), and
 * fewer values than `width` are padded with spaces on the left, so columns stay aligned.
 */
export function sparkline(
	values: readonly (number | null | undefined)[],
	width: number,
	options: { max?: number } = {},
): string {
	const columns = Math.max(0, Math.floor(width));
	if (columns === 0) return '';
	const window = values.slice(-columns);
	const known = window.filter((value): value is number => isCount(value));
	const top = options.max !== undefined && options.max > 0 ? options.max : Math.max(0, ...known);
	const line = window
		.map((value) => {
			if (!isCount(value)) return ' ';
			if (top === 0) return bars[0];
			const level = Math.min(bars.length - 1, Math.round((Math.min(value, top) / top) * (bars.length - 1)));
			return bars[level];
		})
		.join('');
	return line.padStart(columns, ' ');
}

export type TunnelHistoryOptions = {
	/** Samples kept per tunnel (and SA re-establishments remembered per tunnel). */
	capacity?: number;
	/** Tunnels remembered; the least recently seen is forgotten beyond this. */
	maxTunnels?: number;
};

/** What the findings need from the history: when each tunnel's SAs were re-established. */
export type RekeyHistory = { rekeysFor(peer: string): readonly number[] };

type TunnelSeries = {
	counters: CounterHistory;
	rekeys: RingBuffer<number>;
	lastSpiIn?: string;
	seenAt: number;
};

/** Per-tunnel histories, keyed by the tunnel's peer address (as `joinTunnels` normalises it). */
export class TunnelHistory implements RekeyHistory {
	readonly capacity: number;
	readonly maxTunnels: number;
	readonly #series = new Map<string, TunnelSeries>();

	constructor(options: TunnelHistoryOptions = {}) {
		this.capacity = options.capacity ?? 120;
		this.maxTunnels = options.maxTunnels ?? 64;
	}

	/** One poll's rows. A new inbound SPI after a known one counts as the SA being re-established. */
	record(at: Date | number, rows: readonly TunnelRow[]): void {
		const time = typeof at === 'number' ? at : at.getTime();
		for (const row of rows) {
			let series = this.#series.get(row.peer);
			if (series) this.#series.delete(row.peer);
			else
				series = {
					counters: new CounterHistory(this.capacity),
					rekeys: new RingBuffer<number>(this.capacity),
					seenAt: time,
				};
			// re-inserted: Map order is least recently seen first
			this.#series.set(row.peer, series);
			series.seenAt = time;
			series.counters.record(time, row.counters);
			if (row.spiIn) {
				if (series.lastSpiIn !== undefined && series.lastSpiIn !== row.spiIn) series.rekeys.push(time);
				series.lastSpiIn = row.spiIn;
			}
		}
		while (this.#series.size > this.maxTunnels) {
			const oldest = this.#series.keys().next().value;
			if (oldest === undefined) break;
			this.#series.delete(oldest);
		}
	}

	for(peer: string): CounterHistory | undefined {
		return this.#series.get(peer)?.counters;
	}

	peers(): string[] {
		return [...this.#series.keys()];
	}

	/** Epoch milliseconds at which a new SA replaced the previous one, oldest first. */
	rekeysFor(peer: string): readonly number[] {
		return this.#series.get(peer)?.rekeys.toArray() ?? [];
	}

	/** The in/out byte-rate sparklines over the last `width` samples, scaled together. */
	sparklines(peer: string, width: number): { in: string; out: string } {
		const samples = this.for(peer)?.samples() ?? [];
		const inRates = samples.map((sample) => sample.bytesInPerSecond);
		const outRates = samples.map((sample) => sample.bytesOutPerSecond);
		const window = [...inRates.slice(-width), ...outRates.slice(-width)].filter(isCount);
		const max = Math.max(0, ...window);
		return { in: sparkline(inRates, width, { max }), out: sparkline(outRates, width, { max }) };
	}
}
