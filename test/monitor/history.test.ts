import { describe, expect, it } from 'vitest';
import {
	CounterHistory,
	counterIncrease,
	RingBuffer,
	sparkline,
	TunnelHistory,
} from '../../source/monitor/history.js';
import type { TunnelRow } from '../../source/monitor/tunnels.js';

const row = (peer: string, counters: TunnelRow['counters'], spiIn?: string): TunnelRow => ({
	peer,
	expected: false,
	state: 'up',
	phase1: 'established',
	phase2: 'up',
	ipsec: [],
	counters,
	...(spiIn ? { spiIn } : {}),
});

describe('RingBuffer', () => {
	it('keeps the last `capacity` items, oldest first', () => {
		const ring = new RingBuffer<number>(3);
		for (const value of [1, 2, 3, 4, 5]) ring.push(value);
		expect(ring.toArray()).toEqual([3, 4, 5]);
		expect(ring.size).toBe(3);
		expect(ring.last()).toBe(5);
		ring.clear();
		expect(ring.toArray()).toEqual([]);
	});

	it('refuses a capacity that is not a positive integer', () => {
		expect(() => new RingBuffer(0)).toThrow(RangeError);
	});
});

describe('counterIncrease', () => {
	it.each([
		[100, 150, 50],
		[100, 100, 0],
		[100, 40, undefined],
		[undefined, 40, undefined],
		[100, undefined, undefined],
		[Number.NaN, 4, undefined],
	])('%s → %s = %s', (previous, next, expected) => {
		expect(counterIncrease(previous, next)).toBe(expected);
	});
});

describe('CounterHistory', () => {
	it('turns deltas into bytes per second', () => {
		const history = new CounterHistory(10);
		expect(history.record(0, { bytesIn: 0, bytesOut: 0 }).bytesInPerSecond).toBeNull();
		const sample = history.record(5000, { bytesIn: 5000, bytesOut: 1000 });
		expect(sample).toMatchObject({ bytesInPerSecond: 1000, bytesOutPerSecond: 200, reset: false });
	});

	it('treats a drop as a reset: no rate for that interval, never negative, then restarts from the new value', () => {
		const history = new CounterHistory(10);
		history.record(0, { bytesIn: 10_000, bytesOut: 10_000 });
		const reset = history.record(1000, { bytesIn: 100, bytesOut: 10_500 });
		expect(reset).toMatchObject({ reset: true, bytesInPerSecond: null, bytesOutPerSecond: 500 });
		expect(history.record(2000, { bytesIn: 400, bytesOut: 10_500 })).toMatchObject({
			reset: false,
			bytesInPerSecond: 300,
			bytesOutPerSecond: 0,
		});
	});

	it('gives no rate when the device prints no counters or time does not advance', () => {
		const history = new CounterHistory(10);
		history.record(1000, {});
		expect(history.record(2000, {}).bytesInPerSecond).toBeNull();
		history.record(3000, { bytesIn: 5 });
		expect(history.record(3000, { bytesIn: 10 }).bytesInPerSecond).toBeNull();
	});

	it('holds at most `capacity` samples after 10,000 polls', () => {
		const history = new CounterHistory(50);
		for (let poll = 0; poll < 10_000; poll++)
			history.record(poll * 1000, { bytesIn: poll * 10, bytesOut: poll });
		expect(history.size).toBe(50);
		const samples = history.samples();
		expect(samples).toHaveLength(50);
		expect(samples[0]?.at).toBe(9950 * 1000);
		expect(samples.every((sample) => sample.bytesInPerSecond === 10)).toBe(true);
	});
});

describe('sparkline', () => {
	it.each([
		['scales from 0 to the largest value', [0, 1, 2, 3, 4, 5, 6, 7], 8, {}, '▁▂▃▄▅▆▇█'],
		['pads on the left to the width', [7, 7], 4, {}, '  ██'],
		['shows the last `width` values', [7, 0, 0, 7], 2, {}, '▁█'],
		['draws unknown values as gaps', [7, null, 0, undefined, -1], 5, {}, '█ ▁  '],
		['a flat zero line is the lowest bar', [0, 0, 0], 3, {}, '▁▁▁'],
		['a fixed maximum clamps larger values', [2, 100], 2, { max: 4 }, '▅█'],
		['width zero is empty', [1, 2], 0, {}, ''],
	])('%s', (_name, values, width, options, expected) => {
		expect(sparkline(values, width, options)).toBe(expected);
	});

	it('is always exactly `width` characters', () => {
		for (const length of [0, 3, 20, 200]) {
			const values = Array.from({ length }, (_unused, index) => index % 5);
			expect([...sparkline(values, 20)]).toHaveLength(20);
		}
	});
});

describe('TunnelHistory', () => {
	it('stays bounded over 10,000 polls, in samples per tunnel and in tunnels', () => {
		const history = new TunnelHistory({ capacity: 30, maxTunnels: 4 });
		for (let poll = 0; poll < 10_000; poll++) {
			// a new peer every 100 polls: old ones must be forgotten
			const peer = `10.0.${Math.floor(poll / 100)}.1`;
			history.record(poll * 1000, [
				row('10.9.9.9', { bytesIn: poll }, `0x${poll % 7}`),
				row(peer, { bytesIn: poll }),
			]);
		}
		expect(history.peers().length).toBeLessThanOrEqual(4);
		expect(history.peers()).toContain('10.9.9.9');
		expect(history.for('10.9.9.9')?.size).toBe(30);
		expect(history.rekeysFor('10.9.9.9')).toHaveLength(30);
		expect(history.for('10.0.0.1')).toBeUndefined();
	});

	it('records a re-establishment each time the inbound SPI changes', () => {
		const history = new TunnelHistory();
		history.record(1000, [row('10.1.1.1', {}, '0xa')]);
		history.record(2000, [row('10.1.1.1', {}, '0xa')]);
		history.record(3000, [row('10.1.1.1', {})]);
		history.record(4000, [row('10.1.1.1', {}, '0xb')]);
		history.record(5000, [row('10.1.1.1', {}, '0xc')]);
		expect(history.rekeysFor('10.1.1.1')).toEqual([4000, 5000]);
		expect(history.rekeysFor('10.2.2.2')).toEqual([]);
	});

	it('draws in and out rates on one scale', () => {
		const history = new TunnelHistory();
		history.record(0, [row('p', { bytesIn: 0, bytesOut: 0 })]);
		history.record(1000, [row('p', { bytesIn: 700, bytesOut: 100 })]);
		history.record(2000, [row('p', { bytesIn: 1400, bytesOut: 800 })]);
		expect(history.sparklines('p', 4)).toEqual({ in: '  ██', out: '  ▂█' });
		expect(history.sparklines('unknown', 3)).toEqual({ in: '   ', out: '   ' });
	});
});
