/**
 * `show crypto ipsec sa` (and `… detail`, `… interface X`) on Cisco IOS / IOS-XE → `ipsec`.
 *
 * Layout (AWS VPN guide, ntc-templates, genieparser, lab write-ups; NOTES.md): blocks per
 * `interface: Tunnel1`, each holding one `protected vrf:` sub-block per local/remote ident pair with
 * `current_peer A port 500|4500`, packet counters (`#pkts encaps: N, …` out, `#pkts decaps: N, …` in —
 * IOS prints no byte counters here), `current outbound spi: 0xHEX(DEC)` (`0x0(0)` = no SA), then
 * `inbound esp sas:` / `outbound esp sas:` with 0..n `spi:` entries (n > 1 while a rekey overlaps), each
 * with `transform:`, `sa timing: remaining key lifetime (k/sec): (KB/SEC)` and `Status: ACTIVE`
 * (`ACTIVE(ACTIVE)` on newer releases). Indentation varies by release (genieparser's fixture has none),
 * so lines are matched on their trimmed keywords.
 * One entry per inbound/outbound SA pair; the flow's packet counters go on the pair holding the
 * current outbound SPI (the monitor sums counters over a peer's SAs). An ident pair with no SA gives
 * one `down` entry: phase 2 missing for that flow.
 */
import type { IpsecSa, ParseResult } from '../../model.js';
import {
	cleanLineAt,
	cleanOutputLines,
	isWhiteSpaceCode,
	needsCleaningPass,
} from '../shared/clean-output.js';
import { isIpAddress, isZeroHex } from '../shared/field-values.js';
import { literalMatcher } from '../shared/known-lines.js';
import { type DirectionalSa, pairSas } from '../shared/sa-pairs.js';
import { transformOf } from './algorithms.js';

/**
 * Lines are cleaned and read where they stand in the output (cleanLineAt; from their first non-blank
 * character to the next `\n`), not cut out into one string each (48,000 lines at 1,000 tunnels). So each pattern is
 * written for a line and turned into one that runs inside the text: without its `^` and sticky (tried at
 * `lastIndex`), `\s` kept from crossing into the next line (`[^\S\n]`: a line holds no `\n`, so the same
 * characters), and a final `$` made "at the end of the line" (`(?![^\n])`). Same answers as the line
 * pattern on the line alone. The patterns below have no `\s` inside a character class.
 */
function inText(pattern: RegExp): RegExp {
	const source = pattern.source.replace(/^\^/, '').replace(/\\s/g, '[^\\S\\n]').replace(/\$$/, '(?![^\\n])');
	return new RegExp(source, `${pattern.flags}y`);
}

function execAt(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
	pattern.lastIndex = at;
	return pattern.exec(text);
}

function testAt(pattern: RegExp, text: string, at: number): boolean {
	pattern.lastIndex = at;
	return pattern.test(text);
}

type LineTest = (text: string, at: number, end: number) => boolean;

const stickyTest =
	(pattern: RegExp): LineTest =>
	(text, at) =>
		testAt(pattern, text, at);

/**
 * Lines understood and of no use to the status model, by their first word (lower case): most lines are
 * recognised without running a regular expression, which keeps 1,000 tunnels (48,000 lines) fast.
 */
const KNOWN_BY_HEAD = new Map<string, LineTest>(
	Object.entries({
		crypto: /^Crypto map tag\b/i,
		local: /^local\s+ident\s+\(/i,
		remote: /^remote\s+ident\s+\(/i,
		'permit,': /^PERMIT, flags=/i,
		'deny,': /^DENY, flags=/i,
		'#pkts': /^#pkts\b/i,
		'##pkts': /^##pkts\b/i,
		'#send': /^#send errors\s+\d+/i,
		plaintext: /^plaintext mtu\b/i,
		path: /^path mtu\b/i,
		pfs: /^PFS \(Y\/N\):/i,
		in: /^in use settings\s*=/i,
		conn: /^conn id:/i,
		iv: /^IV size:/i,
		replay: /^replay detection support:/i,
		inbound: /^inbound (?:ah|pcp) sas:$/i,
		outbound: /^outbound (?:ah|pcp) sas:$/i,
		ecn: /^ECN\b/i,
		kilobyte: /^Kilobyte Volume Rekey has been disabled$/i,
	}).map(([head, pattern]) => [head, literalMatcher(pattern) ?? stickyTest(inText(pattern))]),
);

/**
 * The heads the parser tells apart, by length: a line's head is found by comparing its first word in
 * place (ASCII letters folded to lower case), without a new string per line.
 */
const HEADS_BY_LENGTH: string[][] = [];
for (const head of [
	...KNOWN_BY_HEAD.keys(),
	'interface:',
	'protected',
	'current_peer',
	'current',
	'spi:',
	'transform:',
	'sa',
	'status:',
]) {
	HEADS_BY_LENGTH[head.length] ??= [];
	HEADS_BY_LENGTH[head.length]!.push(head);
}

/** Whether `head` (lower case letters and punctuation) is written in `text` from `at` on, letters in any case. */
function headAt(text: string, at: number, head: string): boolean {
	for (let index = 0; index < head.length; index += 1) {
		const want = head.charCodeAt(index);
		const code = text.charCodeAt(at + index);
		if (code !== want && !(want >= 97 && want <= 122 && (code | 32) === want)) return false;
	}
	return true;
}

/** The end of the first word of the line from `at` (its first non-blank character) to `end`. */
function wordEnd(text: string, at: number, end: number): number {
	const space = text.indexOf(' ', at);
	return space < 0 || space > end ? end : space;
}

/**
 * The head the parser knows that the line from `at` starts with, or undefined. None of them can start
 * a prompt or an echoed command (see cleanLineAt): plain ASCII, no `sh…`, `#` only before a letter.
 */
function knownHeadOf(text: string, at: number, end: number): string | undefined {
	const candidates = HEADS_BY_LENGTH[wordEnd(text, at, end) - at];
	if (candidates !== undefined)
		for (let index = 0; index < candidates.length; index += 1)
			if (headAt(text, at, candidates[index]!)) return candidates[index]!;
	return undefined;
}

/** The first word of the line from `at` (its first non-blank character) to `end`, lower case. */
function headOf(text: string, at: number, end: number): string {
	return knownHeadOf(text, at, end) ?? text.slice(at, wordEnd(text, at, end)).toLowerCase();
}

function isKnown(text: string, at: number, end: number, head: string): boolean {
	const known = KNOWN_BY_HEAD.get(head);
	return known?.(text, at, end) ?? false;
}

// Hoisted: a regular expression literal makes a new RegExp object each time it is evaluated.
const CRYPTO_ENDPOINTS = inText(
	/^(?:local crypto endpt\.:\s*(\S+?),)?\s*(?:remote crypto endpt\.:\s*(\S+))?$/i,
);
const SA_LIST = inText(/^(?:inbound|outbound) (?:esp|ah|pcp) sas:$/i);
const STATUS_ACTIVE = inText(/^Status:\s*ACTIVE\b/i);
const PROTECTED_VRF = inText(/^protected vrf:/i);
const CURRENT_PEER = inText(/^current_peer\s+(\S+?)(?:\s+port\s+(\d{1,5}))?$/i);

/** Digits from `at` to the first other character: where they end, and their value (15 digits at most, as parseInteger). */
function digitsAt(text: string, at: number, end: number): { stop: number; value: number | undefined } {
	let stop = at;
	let value = 0;
	while (stop < end && isDigitCode(text.charCodeAt(stop))) {
		value = value * 10 + (text.charCodeAt(stop) - 48);
		stop += 1;
	}
	return { stop, value: stop - at <= 15 ? value : undefined };
}

function skipWhiteSpace(text: string, at: number, end: number): number {
	let index = at;
	while (index < end && isWhiteSpaceCode(text.charCodeAt(index))) index += 1;
	return index;
}

/**
 * `current outbound spi: 0xB8357C22(3090512930)` read in place, as `^current outbound spi:\s*(\S+)$`
 * (any case) matches it: where the value starts, or -1 when the line is not that (no value, or blanks
 * inside it).
 */
function currentOutboundSpiAt(text: string, at: number, end: number): number {
	const prefix = 'current outbound spi:';
	if (end - at <= prefix.length || !headAt(text, at, prefix)) return -1;
	const value = skipWhiteSpace(text, at + prefix.length, end);
	if (value === end) return -1;
	for (let index = value; index < end; index += 1) if (isWhiteSpaceCode(text.charCodeAt(index))) return -1;
	return value;
}

/**
 * `sa timing: remaining key lifetime (k/sec): (4607999/3189)` read in place, as
 * `^sa timing: remaining key lifetime \((?:k\/)?sec\):\s*\((?:\d+\/)?(\d+)\)$` (any case) matches it:
 * false when the line is not that, else the seconds as parseInteger reads them.
 */
function secondsLeftAt(text: string, at: number, end: number): number | undefined | false {
	const prefix = 'sa timing: remaining key lifetime (';
	if (end - at < prefix.length || !headAt(text, at, prefix)) return false;
	let index = at + prefix.length;
	if (end - index >= 2 && headAt(text, index, 'k/')) index += 2;
	if (end - index < 5 || !headAt(text, index, 'sec):')) return false;
	index = skipWhiteSpace(text, index + 5, end);
	if (index >= end || text.charCodeAt(index) !== 40) return false;
	let digits = digitsAt(text, index + 1, end);
	if (digits.stop === index + 1) return false;
	if (digits.stop < end && text.charCodeAt(digits.stop) === 47) {
		const after = digits.stop + 1;
		digits = digitsAt(text, after, end);
		if (digits.stop === after) return false;
	}
	return digits.stop + 1 === end && text.charCodeAt(digits.stop) === 41 ? digits.value : false;
}

type Direction = 'in' | 'out' | 'other';

type Flow = {
	interface?: string;
	peer?: string;
	remoteEndpoint?: string;
	packetsIn?: number;
	packetsOut?: number;
	currentOutboundSpi?: string;
	inbound: DirectionalSa[];
	outbound: DirectionalSa[];
	/**
	 * The flow's lines, for `unparsed` if no peer shows up; once the peer is known, no longer kept (the
	 * flow gives entries whatever follows).
	 */
	lines: string[];
};

const isHexCode = (code: number) =>
	(code >= 48 && code <= 57) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
const isDigitCode = (code: number) => code >= 48 && code <= 57;

/**
 * `0xB8357C22(3090512930)` → `0xb8357c22`, read in place (from `from` to `end`; three SPIs a flow),
 * as `^(0x[0-9a-f]{1,8})(?:\(\d+\))?$` (any case) matches the trimmed text: `0x` + 1 to 8
 * hex digits, optionally followed by `(` decimal digits `)`, and nothing else.
 */
function spiAt(text: string, from: number, end: number): string | undefined {
	let start = from;
	let stop = end;
	while (start < stop && isWhiteSpaceCode(text.charCodeAt(start))) start += 1;
	while (stop > start && isWhiteSpaceCode(text.charCodeAt(stop - 1))) stop -= 1;
	if (stop - start < 3 || text.charCodeAt(start) !== 48 || (text.charCodeAt(start + 1) | 32) !== 120)
		return undefined;
	let index = start + 2;
	while (index < stop && index - start - 2 < 8 && isHexCode(text.charCodeAt(index))) index += 1;
	if (index === start + 2) return undefined;
	if (index < stop) {
		// `(` digits `)` up to the end.
		if (text.charCodeAt(index) !== 40 || text.charCodeAt(stop - 1) !== 41 || stop - index < 3)
			return undefined;
		for (let digit = index + 1; digit < stop - 1; digit += 1)
			if (!isDigitCode(text.charCodeAt(digit))) return undefined;
	}
	return `0x${text.slice(start + 2, index).toLowerCase()}`;
}

/**
 * `#pkts encaps: 149, #pkts encrypt: 149, …` / `#pkts decaps: …` read in place, as
 * `^#pkts (encaps|decaps):\s*(\d+)` (any case) matches it: the direction (`out` for encaps) and the value parseInteger gives the digits (undefined
 * beyond 15 of them); undefined when the line is another `#pkts` line.
 */
function packetCounterAt(
	text: string,
	at: number,
	end: number,
): { direction: 'in' | 'out'; value: number | undefined } | undefined {
	if (end - at < 14 || !headAt(text, at, '#pkts ')) return undefined;
	const out = headAt(text, at + 6, 'encaps:');
	if (!out && !headAt(text, at + 6, 'decaps:')) return undefined;
	let index = at + 13;
	while (index < end && isWhiteSpaceCode(text.charCodeAt(index))) index += 1;
	const digits = index;
	let value = 0;
	while (index < end && isDigitCode(text.charCodeAt(index))) {
		value = value * 10 + (text.charCodeAt(index) - 48);
		index += 1;
	}
	if (index === digits) return undefined;
	return { direction: out ? 'out' : 'in', value: index - digits <= 15 ? value : undefined };
}

function entriesOf(flow: Flow): IpsecSa[] | undefined {
	const peer = flow.peer ?? flow.remoteEndpoint;
	if (peer === undefined) return undefined;
	const entries = pairSas({ peer, tunnel: flow.interface }, flow.inbound, flow.outbound);
	const current =
		entries.find(
			(entry) => flow.currentOutboundSpi !== undefined && entry.spiOut === flow.currentOutboundSpi,
		) ?? entries[0]!;
	if (flow.packetsIn !== undefined) current.packetsIn = flow.packetsIn;
	if (flow.packetsOut !== undefined) current.packetsOut = flow.packetsOut;
	return entries;
}

export function parseIpsecSa(output: string): ParseResult {
	const ipsec: IpsecSa[] = [];
	const unparsed: string[] = [];
	let currentInterface: string | undefined;
	let flow: Flow | undefined;
	let direction: Direction = 'other';
	let sa: DirectionalSa | undefined;

	const close = () => {
		if (!flow) return;
		const entries = entriesOf(flow);
		if (entries) for (const entry of entries) ipsec.push(entry);
		else for (const line of flow.lines) unparsed.push(line);
		flow = undefined;
		sa = undefined;
		direction = 'other';
	};
	const openFlow = (): Flow => {
		flow = { interface: currentInterface, inbound: [], outbound: [], lines: [] };
		direction = 'other';
		sa = undefined;
		return flow;
	};

	/** Reads one line of a flow sub-block, `text` from `at` to `end`; false when it is not understood. */
	const readFlowLine = (current: Flow, text: string, at: number, end: number, head: string): boolean => {
		switch (head) {
			case '#pkts': {
				const counter = packetCounterAt(text, at, end);
				if (counter) {
					if (counter.direction === 'out') current.packetsOut = counter.value;
					else current.packetsIn = counter.value;
					return true;
				}
				return isKnown(text, at, end, head);
			}
			case 'local':
			case 'remote': {
				// IPv4: both endpoints on one line; IPv6: `local crypto endpt.: A,` then `remote crypto endpt.: B`.
				const endpoints = execAt(CRYPTO_ENDPOINTS, text, at);
				if (endpoints && (endpoints[1] !== undefined || endpoints[2] !== undefined)) {
					if (endpoints[2] !== undefined && isIpAddress(endpoints[2])) current.remoteEndpoint = endpoints[2];
					return true;
				}
				return isKnown(text, at, end, head);
			}
			case 'current': {
				const value = currentOutboundSpiAt(text, at, end);
				if (value < 0) return false;
				const spi = spiAt(text, value, end);
				if (spi !== undefined && !isZeroHex(spi)) current.currentOutboundSpi = spi;
				return true;
			}
			case 'inbound':
			case 'outbound': {
				if (!testAt(SA_LIST, text, at)) return false;
				// Matched, so the word after the head is esp, ah or pcp: only esp starts with `e`.
				const esp = (text.charCodeAt(at + head.length + 1) | 32) === 101;
				direction = !esp ? 'other' : head === 'inbound' ? 'in' : 'out';
				sa = undefined;
				return true;
			}
			case 'spi:': {
				const spi = direction === 'other' ? undefined : spiAt(text, at + 4, end);
				if (spi === undefined) return false;
				sa = { spi };
				(direction === 'in' ? current.inbound : current.outbound).push(sa);
				return true;
			}
			case 'transform:': {
				if (!sa) return false;
				const { encryption, integrity } = transformOf(text.slice(at + 10, end));
				if (encryption !== undefined) sa.encryption = encryption;
				if (integrity !== undefined) sa.integrity = integrity;
				return true;
			}
			case 'sa': {
				const seconds = secondsLeftAt(text, at, end);
				if (seconds === false || !sa) return false;
				if (seconds !== undefined) sa.expiresInSeconds = seconds;
				return true;
			}
			case 'status:': {
				if (!sa) return false;
				sa.active = testAt(STATUS_ACTIVE, text, at);
				return true;
			}
			default:
				return isKnown(text, at, end, head);
		}
	};

	/** Keeps a flow's line while it may still end in `unparsed`. */
	const keep = (target: Flow, text: string, start: number, end: number) => {
		if (target.peer === undefined) target.lines.push(text.slice(start, end));
	};

	/**
	 * One line: `text` from `at` (first non-blank character) to `end`; the line as printed is `line`
	 * from `start` to `stop`.
	 */
	const readLine = (
		text: string,
		at: number,
		end: number,
		line: string,
		start: number,
		stop: number,
		head = headOf(text, at, end),
	) => {
		if (head === 'interface:') {
			close();
			currentInterface = text.slice(at + 10, end).trim() || undefined;
			return;
		}
		if (head === 'protected' && testAt(PROTECTED_VRF, text, at)) {
			close();
			keep(openFlow(), line, start, stop);
			return;
		}
		if (head === 'current_peer') {
			const peer = execAt(CURRENT_PEER, text, at);
			if (peer && isIpAddress(peer[1]!)) {
				if (!flow || flow.peer !== undefined) {
					close();
					openFlow();
				}
				const target = flow!;
				keep(target, line, start, stop);
				target.peer = peer[1]!;
				return;
			}
		}
		if (!flow) {
			if (!isKnown(text, at, end, head)) unparsed.push(line.slice(start, stop));
			return;
		}
		if (readFlowLine(flow, text, at, end, head)) keep(flow, line, start, stop);
		else unparsed.push(line.slice(start, stop));
	};

	/** A line that is a string of its own (cleaned): read from its first non-blank character. */
	const readOwnLine = (line: string) => {
		let first = 0;
		while (first < line.length && (line.charCodeAt(first) === 32 || line.charCodeAt(first) === 9)) first += 1;
		if (first < line.length) readPrinted(line, 0, first, line.length);
	};
	/** The line `text` from `start` to `end`, not blank, `first` its first non-blank character. */
	const readPrinted = (text: string, start: number, first: number, end: number) => {
		// A line starting with white space other than blanks goes through String.prototype.trim.
		if (text.charCodeAt(first) > 127) {
			const trimmed = text.slice(start, end).trim();
			if (trimmed !== '') readLine(trimmed, 0, trimmed.length, text, start, end);
		} else readLine(text, first, end, text, start, end);
	};

	const text = String(output);
	if (needsCleaningPass(text)) for (const line of cleanOutputLines(text)) readOwnLine(line);
	else {
		const length = text.length;
		let nextDashes = text.indexOf('--');
		let start = 0;
		while (start < length) {
			let end = text.indexOf('\n', start);
			if (end < 0) end = length;
			if (nextDashes >= 0 && nextDashes < start) nextDashes = text.indexOf('--', start);
			let first = start;
			while (first < end && (text.charCodeAt(first) === 32 || text.charCodeAt(first) === 9)) first += 1;
			// Blank lines carry nothing (and cleaning keeps them blank).
			if (first < end) {
				// A line whose first word is a known head is not a prompt: cleaning need not look at it.
				const known = knownHeadOf(text, first, end);
				const visible = cleanLineAt(
					text,
					start,
					end,
					first,
					nextDashes >= 0 && nextDashes < end,
					known !== undefined,
				);
				if (visible === null) {
					if (known !== undefined) readLine(text, first, end, text, start, end, known);
					else readPrinted(text, start, first, end);
				} else if (visible !== undefined) readOwnLine(visible);
			}
			start = end + 1;
		}
	}
	close();
	return { ipsec, unparsed };
}
