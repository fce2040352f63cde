import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandSlug, drivers, parsableCommands } from '../../source/router/drivers/index.js';
import type { ParseResult } from '../../source/router/model.js';

/**
 * For every parser of every driver: whatever the router (or a broken link) sends, the result is a
 * JSON-serialisable ParseResult with the contract's normalised values, and parsing never throws.
 */
const root = join(import.meta.dirname, '..', 'fixtures');

const STATES = {
	ike: ['established', 'negotiating', 'down'],
	ipsec: ['up', 'down'],
	bgp: ['idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'],
};
const ALGORITHM = /^[a-z0-9]+$/;

function expectWellFormed(result: ParseResult): void {
	expect(JSON.parse(JSON.stringify(result))).toStrictEqual(result);
	expect(Array.isArray(result.unparsed)).toBe(true);
	expect(result.unparsed.every((line) => typeof line === 'string')).toBe(true);
	const numbers: unknown[] = [];
	for (const sa of result.ike ?? []) {
		expect(STATES.ike).toContain(sa.state);
		expect(typeof sa.peer).toBe('string');
		if (sa.version !== undefined) expect([1, 2]).toContain(sa.version);
		for (const name of [sa.encryption, sa.integrity]) if (name !== undefined) expect(name).toMatch(ALGORITHM);
		if (sa.natTraversal !== undefined) expect(typeof sa.natTraversal).toBe('boolean');
		numbers.push(sa.expiresInSeconds, sa.dhGroup);
	}
	for (const sa of result.ipsec ?? []) {
		expect(STATES.ipsec).toContain(sa.state);
		expect(typeof sa.peer).toBe('string');
		for (const spi of [sa.spiIn, sa.spiOut]) if (spi !== undefined) expect(spi).toMatch(/^0x[0-9a-f]{1,8}$/);
		for (const name of [sa.encryption, sa.integrity]) if (name !== undefined) expect(name).toMatch(ALGORITHM);
		numbers.push(sa.expiresInSeconds, sa.bytesIn, sa.bytesOut, sa.packetsIn, sa.packetsOut);
	}
	for (const neighbor of result.bgp ?? []) {
		expect(STATES.bgp).toContain(neighbor.state);
		expect(typeof neighbor.neighbor).toBe('string');
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

const ansi = fc.constantFrom(
	'\x1b[0m',
	'\x1b[1;32m',
	'\x1b[K',
	'\x1b[?2004h',
	'\x1b]0;router\x07',
	'\x1b7',
	'\x1b[7m',
);
const noise = fc.constantFrom(
	'\r',
	'\r\n',
	'\b',
	' --More-- ',
	'--More--\b\b\b\b\b\b\b\b',
	'---(more 42%)---',
	'\t',
	'\x00',
	'\x1b',
	'\u00a0',
	'寿命',
);
const trailingPrompt = fc.constantFrom(
	'\r\nRouter#',
	'\r\nix2215(config)# ',
	'\r\nadmin@srx> ',
	'\r\n[RTX1210] > ',
	'\r\nuser@host:~$ ',
	'\r\n# ',
	'\n{master:0}\nadmin@srx> ',
);

function samplesOf(vendor: string, slug: string): string[] {
	const folder = join(root, vendor, slug);
	if (!existsSync(folder)) return [];
	return readdirSync(folder)
		.filter((name) => name.endsWith('.txt'))
		.map((name) => readFileSync(join(folder, name), 'utf8'));
}

/** A real sample with noise inserted, lines deleted, CRLF endings, a trailing prompt, maybe cut short. */
function mutatedSample(samples: readonly string[]) {
	return fc
		.record({
			sample: fc.constantFrom(...samples),
			crlf: fc.boolean(),
			deletions: fc.array(fc.nat(), { maxLength: 4 }),
			insertions: fc.array(fc.tuple(fc.nat(), fc.oneof(ansi, noise)), { maxLength: 12 }),
			prompt: fc.option(trailingPrompt),
			cut: fc.option(fc.nat()),
		})
		.map(({ sample, crlf, deletions, insertions, prompt, cut }) => {
			const lines = sample.split('\n');
			for (const at of deletions) if (lines.length > 1) lines.splice(at % lines.length, 1);
			let text = lines.join(crlf ? '\r\n' : '\n');
			for (const [at, piece] of insertions) {
				const position = at % (text.length + 1);
				text = text.slice(0, position) + piece + text.slice(position);
			}
			if (prompt !== null) text += prompt;
			return cut === null ? text : text.slice(0, cut % (text.length + 1));
		});
}

describe.each(Object.keys(drivers))('%s parsers never throw and return normalised JSON', (vendor) => {
	for (const command of parsableCommands(vendor)) {
		const samples = samplesOf(vendor, commandSlug(command.command));

		describe(command.command, () => {
			it('for any string', () => {
				fc.assert(
					fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 400 })), (text) => {
						expectWellFormed(command.parse(text));
					}),
					{ numRuns: 300 },
				);
			});

			it("for JavaScript's special property names where a parser looks words up", () => {
				const words = fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf');
				const line = fc.oneof(
					words,
					words.map((word) => `${word}: x`),
					words.map((word) => `  ${word} 1 2 3 4 5 6`),
					words.map((word) => `Protocol: ${word}`),
					words.map((word) => `ID ${word} SPI Life:sec/kb Mon lsys Port Gateway`),
					words.map((word) => `x: #1, ${word.toUpperCase()}, IKEv2, 1_i 2_r`),
				);
				fc.assert(
					fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
						expectWellFormed(command.parse(lines.join('\n')));
					}),
					{ numRuns: 100 },
				);
			});

			it('for any mix of lines from every vendor sample', () => {
				const allLines = Object.keys(drivers).flatMap((other) =>
					parsableCommands(other).flatMap((candidate) =>
						samplesOf(other, commandSlug(candidate.command)).flatMap((sample) => sample.split('\n')),
					),
				);
				fc.assert(
					fc.property(fc.array(fc.constantFrom(...allLines), { maxLength: 40 }), (lines) => {
						expectWellFormed(command.parse(lines.join('\n')));
					}),
					{ numRuns: 200 },
				);
			});

			it.runIf(samples.length > 0)(
				'for real samples mutated (CRLF, ANSI, pager, deletions, prompt, cut)',
				() => {
					fc.assert(
						fc.property(mutatedSample(samples), (text) => {
							expectWellFormed(command.parse(text));
						}),
						{ numRuns: 300 },
					);
				},
			);

			it.runIf(samples.length > 0)(
				'reads a sample the same with CRLF endings and colour around each line',
				() => {
					fc.assert(
						fc.property(fc.constantFrom(...samples), ansi, (sample, colour) => {
							const dressed = sample
								.split('\n')
								.map((line) => `${colour}${line}\x1b[0m`)
								.join('\r\n');
							expect(command.parse(dressed)).toStrictEqual(command.parse(sample));
						}),
						{ numRuns: 60 },
					);
				},
			);
		});
	}
});
