import { describe, expect, it } from 'vitest';
import { displayWidth, formatRate, formatSpan, padCell } from '../../source/ui/components/panel-format.js';

describe('panel formatting', () => {
	it.each([
		[undefined, '-'],
		[0.2, '0'],
		[512, '512B'],
		[1234, '1.2k'],
		[12_345, '12k'],
		[999_999, '1.0M'],
		[3_400_000_000, '3.4G'],
		[-1, '-'],
	])('formatRate(%s) = %s', (value, expected) => {
		expect(formatRate(value)).toBe(expected);
	});

	it.each([
		[42, '42s'],
		[397, '6m37s'],
		[3 * 3600 + 300, '3h05m'],
		[2 * 86400 + 4 * 3600, '2d04h'],
	])('formatSpan(%s) = %s', (value, expected) => {
		expect(formatSpan(value)).toBe(expected);
	});

	it('pads and cuts by terminal columns, Japanese counting double', () => {
		expect(padCell('peer', 6)).toBe('peer  ');
		expect(padCell('198.51.100.100', 8)).toBe('198.51.…');
		expect(displayWidth('対向')).toBe(4);
		expect(padCell('対向', 6)).toBe('対向  ');
		expect(displayWidth(padCell('トンネルの状態', 7))).toBe(7);
	});
});
