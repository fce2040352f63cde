import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
	cleanLineAt,
	cleanOutputLines,
	needsCleaningPass,
	splitOnWhiteSpace,
	visibleLines,
} from '../../source/router/drivers/shared/clean-output.js';

/**
 * Parsers that clean lines as they walk them (needsCleaningPass + cleanLineAt) must see what
 * cleanOutputLines shows. Walks a text the way they do and compares, blank lines included (a walker
 * keeps them all; cleanOutputLines drops the trailing ones).
 */
function walk(raw: string): string[] {
	const text = String(raw);
	if (needsCleaningPass(text)) return cleanOutputLines(text);
	const lines: string[] = [];
	let nextDashes = text.indexOf('--');
	for (let start = 0; start <= text.length; ) {
		let end = text.indexOf('\n', start);
		if (end < 0) end = text.length;
		if (nextDashes >= 0 && nextDashes < start) nextDashes = text.indexOf('--', start);
		let first = start;
		while (first < end && (text.charCodeAt(first) === 32 || text.charCodeAt(first) === 9)) first += 1;
		const visible = cleanLineAt(text, start, end, first, nextDashes >= 0 && nextDashes < end);
		if (visible === null) lines.push(text.slice(start, end));
		else if (visible !== undefined) lines.push(visible);
		start = end + 1;
	}
	while (lines.length > 0 && lines.at(-1) === '') lines.pop();
	return lines;
}

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const samples = readdirSync(fixtures, { recursive: true, encoding: 'utf8' })
	.filter((name) => name.endsWith('.txt'))
	.map((name) => readFileSync(join(fixtures, name), 'utf8'));

const piece = fc.oneof(
	fc.constantFrom(
		'\n',
		'  ',
		'\t',
		'--More--',
		' --More-- ',
		'---(more 45%)---',
		'R1#',
		'R1#show crypto ipsec sa',
		'# ',
		'> show x',
		'[RTX1210] > show ipsec sa',
		'sh ip bgp',
		'% Invalid input',
		'\r',
		'\x1b[K',
		'\b',
		'é',
		'\u00a0',
		'x  \n',
	),
	fc.string({ maxLength: 6 }),
);

describe('cleaning lines in place (needsCleaningPass, cleanLineAt, visibleLines)', () => {
	it('shows what cleanOutputLines shows for every fixture', () => {
		expect(samples.length).toBeGreaterThan(100);
		for (const sample of samples) {
			expect(walk(sample)).toStrictEqual(cleanOutputLines(sample));
			expect([...visibleLines(sample)]).toStrictEqual(cleanOutputLines(sample));
		}
	});

	it('shows what cleanOutputLines shows for any text made of terminal pieces', () => {
		fc.assert(
			fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
				const text = parts.join('');
				expect(walk(text)).toStrictEqual(cleanOutputLines(text));
				expect([...visibleLines(text)]).toStrictEqual(cleanOutputLines(text));
			}),
			{ numRuns: 3000 },
		);
	});

	it('shows what cleanOutputLines shows for fixtures with pieces inserted', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(...samples),
				fc.array(fc.tuple(fc.nat(), piece), { maxLength: 8 }),
				(sample, inserts) => {
					let text = sample;
					for (const [at, part] of inserts) {
						const cut = at % (text.length + 1);
						text = text.slice(0, cut) + part + text.slice(cut);
					}
					expect(walk(text)).toStrictEqual(cleanOutputLines(text));
					expect([...visibleLines(text)]).toStrictEqual(cleanOutputLines(text));
				},
			),
			{ numRuns: 1000 },
		);
	});
});

describe('splitOnWhiteSpace', () => {
	it('splits every UTF-16 code unit as split(/\\s+/) does', () => {
		for (let code = 0; code < 65_536; code += 1) {
			const text = `a${String.fromCharCode(code)}b`;
			expect(splitOnWhiteSpace(text)).toStrictEqual(text.split(/\s+/));
		}
	});

	it('gives split(/\\s+/) for any text, leading and trailing blanks included', () => {
		const part = fc.oneof(
			fc.constantFrom(' ', '\t', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u200b', 'a', 'bc', '1'),
			fc.string({ unit: 'binary', maxLength: 3 }),
		);
		fc.assert(
			fc.property(fc.array(part, { maxLength: 12 }), (parts) => {
				const text = parts.join('');
				expect(splitOnWhiteSpace(text)).toStrictEqual(text.split(/\s+/));
			}),
			{ numRuns: 3000 },
		);
	});
});
