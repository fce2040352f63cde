import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { awplusDriver } from '../../source/router/drivers/awplus/index.js';
import type { ParseResult } from '../../source/router/model.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'awplus');
const samples = awplusDriver.commands.flatMap((command) => {
	const folder = join(fixtures, command.command.replaceAll(' ', '_'));
	return readdirSync(folder)
		.filter((name) => name.endsWith('.txt'))
		.map((name) => readFileSync(join(folder, name), 'utf8'));
});

const STATES = {
	ike: ['established', 'negotiating', 'down'],
	ipsec: ['up', 'down'],
	bgp: ['idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'],
};

function expectWellFormed(result: ParseResult): void {
	expect(JSON.parse(JSON.stringify(result))).toStrictEqual(result);
	expect(result.unparsed.every((line) => typeof line === 'string')).toBe(true);
	const numbers: unknown[] = [];
	for (const sa of result.ike ?? []) {
		expect(STATES.ike).toContain(sa.state);
		numbers.push(sa.expiresInSeconds, sa.dhGroup);
	}
	for (const sa of result.ipsec ?? []) {
		expect(STATES.ipsec).toContain(sa.state);
		for (const spi of [sa.spiIn, sa.spiOut]) if (spi !== undefined) expect(spi).toMatch(/^0x[0-9a-f]+$/);
		numbers.push(sa.expiresInSeconds, sa.bytesIn, sa.bytesOut, sa.packetsIn, sa.packetsOut);
	}
	for (const neighbor of result.bgp ?? []) {
		expect(STATES.bgp).toContain(neighbor.state);
		numbers.push(neighbor.remoteAs, neighbor.uptimeSeconds, neighbor.prefixesReceived);
	}
	for (const entry of result.interfaces ?? []) {
		expect(typeof entry.name).toBe('string');
		expect(entry.name).not.toBe('');
		expect(typeof entry.linkUp).toBe('boolean');
		expect(typeof entry.adminUp).toBe('boolean');
		for (const text of [entry.hardware, entry.address, entry.source, entry.destination])
			if (text !== undefined) expect(typeof text).toBe('string');
		numbers.push(entry.bytesIn, entry.bytesOut, entry.packetsIn, entry.packetsOut, entry.lastChangeSeconds);
	}
	for (const value of numbers) {
		if (value !== undefined) expect(Number.isSafeInteger(value) && (value as number) >= 0).toBe(true);
	}
}

const ansi = fc.constantFrom('\x1b[0m', '\x1b[1;32m', '\x1b[K', '\x1b[?2004h', '\x1b]0;awplus\x07', '\x1b7');
const noise = fc.constantFrom(
	'\r',
	'\r\n',
	'\b',
	' --More-- ',
	'--More--\b\b\b\b\b\b\b\b',
	'awplus#',
	'\t',
	'\x00',
	'\x1b',
);

/** A real sample with pieces of terminal noise inserted at random places, and maybe cut short. */
const mutatedSample = fc
	.record({
		sample: fc.constantFrom(...samples),
		insertions: fc.array(fc.tuple(fc.nat(), fc.oneof(ansi, noise)), { maxLength: 12 }),
		cut: fc.option(fc.nat()),
	})
	.map(({ sample, insertions, cut }) => {
		let text = sample;
		for (const [at, piece] of insertions) {
			const position = at % (text.length + 1);
			text = text.slice(0, position) + piece + text.slice(position);
		}
		return cut === null ? text : text.slice(0, cut % (text.length + 1));
	});

describe('awplus parsers never throw and always return JSON-serialisable, normalised results', () => {
	for (const command of awplusDriver.commands) {
		describe(command.command, () => {
			it('for any string', () => {
				fc.assert(
					fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 400 })), (text) => {
						expectWellFormed(command.parse(text));
					}),
					{ numRuns: 400 },
				);
			});

			it('for real samples with CRLF, ANSI escapes, pager remnants, prompts and truncation', () => {
				fc.assert(
					fc.property(mutatedSample, (text) => {
						expectWellFormed(command.parse(text));
					}),
					{ numRuns: 400 },
				);
			});

			it('reads a sample the same with CRLF endings and colour codes around every line', () => {
				fc.assert(
					fc.property(fc.constantFrom(...samples), ansi, (sample, colour) => {
						const dressed = sample
							.split('\n')
							.map((line) => `${colour}${line}\x1b[0m`)
							.join('\r\n');
						expect(command.parse(dressed)).toStrictEqual(command.parse(sample));
					}),
					{ numRuns: 100 },
				);
			});
		});
	}
});
