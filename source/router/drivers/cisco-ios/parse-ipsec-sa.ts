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
import { cleanOutputLines } from '../shared/clean-output.js';
import { isIpAddress, isZeroHex, parseInteger } from '../shared/field-values.js';
import { literalMatcher } from '../shared/known-lines.js';
import { type DirectionalSa, pairSas } from '../shared/sa-pairs.js';
import { transformOf } from './algorithms.js';

/**
 * The same pattern without its `^`, sticky: tried at `lastIndex`, i.e. at the first non-blank character
 * of a line, so lines are not trimmed into new strings (45,000 lines at 1,000 tunnels).
 */
function atStart(pattern: RegExp): RegExp {
	return new RegExp(pattern.source.replace(/^\^/, ''), `${pattern.flags}y`);
}

function execAt(pattern: RegExp, line: string, at: number): RegExpExecArray | null {
	pattern.lastIndex = at;
	return pattern.exec(line);
}

function testAt(pattern: RegExp, line: string, at: number): boolean {
	pattern.lastIndex = at;
	return pattern.test(line);
}

const stickyTest =
	(pattern: RegExp) =>
	(line: string, at: number): boolean =>
		testAt(pattern, line, at);

/**
 * Lines understood and of no use to the status model, by their first word (lower case): most lines are
 * recognised without running a regular expression, which keeps 1,000 tunnels (45,000 lines) fast.
 */
const KNOWN_BY_HEAD = new Map<string, (line: string, at: number) => boolean>(
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
	}).map(([head, pattern]) => [head, literalMatcher(pattern) ?? stickyTest(atStart(pattern))]),
);

/**
 * First words as IOS prints them (lower case, capitalised, upper case), keyed by length and first
 * character, each with the head it stands for: a line's head is found by comparing in place, without a
 * new string per line.
 */
const PRINTED_HEADS = new Map<number, string[]>();
const printedKey = (length: number, firstCode: number) => length * 65_536 + firstCode;
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
	const spellings = new Set([head, head.charAt(0).toUpperCase() + head.slice(1), head.toUpperCase()]);
	for (const printed of spellings) {
		const key = printedKey(printed.length, printed.charCodeAt(0));
		const list = PRINTED_HEADS.get(key) ?? [];
		list.push(printed, head);
		PRINTED_HEADS.set(key, list);
	}
}

/** Whether `word` is written in `line` from `at` on. */
function wordAt(line: string, at: number, word: string): boolean {
	for (let index = 0; index < word.length; index += 1)
		if (line.charCodeAt(at + index) !== word.charCodeAt(index)) return false;
	return true;
}

/** The first word of the line from `at` (its first non-blank character), lower case. */
function headOf(line: string, at: number): string {
	let space = line.indexOf(' ', at);
	if (space < 0) space = line.length;
	const candidates = PRINTED_HEADS.get(printedKey(space - at, line.charCodeAt(at)));
	if (candidates !== undefined)
		for (let index = 0; index < candidates.length; index += 2)
			if (wordAt(line, at, candidates[index]!)) return candidates[index + 1]!;
	return line.slice(at, space).toLowerCase();
}

function isKnown(line: string, at: number, head: string): boolean {
	const known = KNOWN_BY_HEAD.get(head);
	return known?.(line, at) ?? false;
}

// Hoisted: a regular expression literal makes a new RegExp object each time it is evaluated.
const SPI_TEXT = /^(0x[0-9a-f]{1,8})(?:\(\d+\))?$/i;
const PACKET_COUNTER = atStart(/^#pkts (encaps|decaps):\s*(\d+)/i);
const CRYPTO_ENDPOINTS = atStart(
	/^(?:local crypto endpt\.:\s*(\S+?),)?\s*(?:remote crypto endpt\.:\s*(\S+))?$/i,
);
const CURRENT_OUTBOUND_SPI = atStart(/^current outbound spi:\s*(\S+)$/i);
const SA_LIST = atStart(/^(?:inbound|outbound) (?:esp|ah|pcp) sas:$/i);
const SA_TIMING = atStart(/^sa timing: remaining key lifetime \((?:k\/)?sec\):\s*\((?:\d+\/)?(\d+)\)$/i);
const STATUS_ACTIVE = atStart(/^Status:\s*ACTIVE\b/i);
const PROTECTED_VRF = atStart(/^protected vrf:/i);
const CURRENT_PEER = atStart(/^current_peer\s+(\S+?)(?:\s+port\s+(\d{1,5}))?$/i);

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
	lines: string[];
};

/** `0xB8357C22(3090512930)` → `0xb8357c22`. */
function spiOf(text: string): string | undefined {
	const match = SPI_TEXT.exec(text.trim());
	// What normaliseSpi makes of `0x` + 1 to 8 hex digits, without a second match.
	return match ? `0x${match[1]!.slice(2).toLowerCase()}` : undefined;
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
	const lines = cleanOutputLines(output);
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

	/** Reads one line of a flow sub-block; false when the line is not understood. */
	const readFlowLine = (current: Flow, text: string, at: number, head: string): boolean => {
		switch (head) {
			case '#pkts': {
				const counter = execAt(PACKET_COUNTER, text, at);
				if (counter) {
					const value = parseInteger(counter[2]);
					if (counter[1]!.toLowerCase() === 'encaps') current.packetsOut = value;
					else current.packetsIn = value;
					return true;
				}
				return isKnown(text, at, head);
			}
			case 'local':
			case 'remote': {
				// IPv4: both endpoints on one line; IPv6: `local crypto endpt.: A,` then `remote crypto endpt.: B`.
				const endpoints = execAt(CRYPTO_ENDPOINTS, text, at);
				if (endpoints && (endpoints[1] !== undefined || endpoints[2] !== undefined)) {
					if (endpoints[2] !== undefined && isIpAddress(endpoints[2])) current.remoteEndpoint = endpoints[2];
					return true;
				}
				return isKnown(text, at, head);
			}
			case 'current': {
				const outboundSpi = execAt(CURRENT_OUTBOUND_SPI, text, at);
				if (!outboundSpi) return false;
				const spi = spiOf(outboundSpi[1]!);
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
				const spi = direction === 'other' ? undefined : spiOf(text.slice(at + 4));
				if (spi === undefined) return false;
				sa = { spi };
				(direction === 'in' ? current.inbound : current.outbound).push(sa);
				return true;
			}
			case 'transform:': {
				if (!sa) return false;
				const { encryption, integrity } = transformOf(text.slice(at + 10));
				if (encryption !== undefined) sa.encryption = encryption;
				if (integrity !== undefined) sa.integrity = integrity;
				return true;
			}
			case 'sa': {
				const timing = execAt(SA_TIMING, text, at);
				if (!timing || !sa) return false;
				const seconds = parseInteger(timing[1]);
				if (seconds !== undefined) sa.expiresInSeconds = seconds;
				return true;
			}
			case 'status:': {
				if (!sa) return false;
				sa.active = testAt(STATUS_ACTIVE, text, at);
				return true;
			}
			default:
				return isKnown(text, at, head);
		}
	};

	for (let index = 0; index < lines.length; index += 1) {
		const line = lines[index]!;
		// Lines are read from their first non-blank character (cleanOutputLines removed trailing blanks);
		// one starting with any other white space goes through String.prototype.trim.
		let text = line;
		let at = 0;
		while (at < line.length && (line.charCodeAt(at) === 32 || line.charCodeAt(at) === 9)) at += 1;
		if (at < line.length && line.charCodeAt(at) > 127) {
			text = line.trim();
			at = 0;
		}
		if (at >= text.length) continue;
		const head = headOf(text, at);
		if (head === 'interface:') {
			close();
			currentInterface = text.slice(at + 10).trim() || undefined;
			continue;
		}
		if (head === 'protected' && testAt(PROTECTED_VRF, text, at)) {
			close();
			openFlow().lines.push(line);
			continue;
		}
		if (head === 'current_peer') {
			const peer = execAt(CURRENT_PEER, text, at);
			if (peer && isIpAddress(peer[1]!)) {
				if (!flow || flow.peer !== undefined) {
					close();
					openFlow();
				}
				const target = flow!;
				target.peer = peer[1]!;
				target.lines.push(line);
				continue;
			}
		}
		if (!flow) {
			if (!isKnown(text, at, head)) unparsed.push(line);
			continue;
		}
		if (readFlowLine(flow, text, at, head)) flow.lines.push(line);
		else unparsed.push(line);
	}
	close();
	return { ipsec, unparsed };
}
