/**
 * `show interface [<interface>]` on AlliedWare Plus → `interfaces` entries (an extension section of the
 * status snapshot: see RouterInterface in ../../model.ts).
 *
 * Layout sources:
 * - VERBATIM: the generic block — `Interface X`, `Scope: both`, `Link is UP, administrative state is UP`,
 *   `Hardware is …`, `IPv4 address A/P broadcast B`, `index N metric N mtu N`, `<FLAGS>`,
 *   `SNMP link-status traps: …`, `    input packets N, bytes N, dropped N, multicast packets N`,
 *   `    output packets N, bytes N, multicast packets N[,] broadcast packets N`, rate lines,
 *   `Time since last state change: D days HH:MM:SS` — from real captures (ntc-templates and
 *   ansible_awplus fixtures: shared/fixtures/samples/alliedtelesis_awplus/show_interface__ntc-*.txt,
 *   shared/fixtures/samples-b/awplus/show_interface__*.txt; one of them prints no comma before
 *   `broadcast packets`).
 * - RECONSTRUCTED: a tunnel's own lines (`Hardware is Tunnel`, `IPv4 address A/P point-to-point [P]`,
 *   `Tunnel source S, destination D`, `Tunnel protocol/transport …`, `Tunnel protection via IPsec …`),
 *   shared/fixtures/samples/alliedtelesis_awplus/show_interface_tunnel__RECONSTRUCTED-from-verbatim-
 *   port-layout.txt; the simulated router prints the same. Any other `Tunnel …` line is taken as a fact
 *   the model does not keep. `none` as a tunnel end means not set.
 *
 * An interface needs its `Link is …, administrative state is …` line; a block without one goes to
 * `unparsed` whole. Lines a block does not explain go to `unparsed`, the interface is still kept.
 * Output cut short: every block ends with its `Time since last state change` line, so when the last
 * block lacks it, the output's last line may be cut mid-value and is not read (it goes to `unparsed`).
 * A long line wrapped by the terminal: a line nothing explains right after one of 79+ columns is taken
 * as its tail; the values read all come before column 80.
 */
import type { ParseResult, RouterInterface } from '../../model.js';
import { visibleLineReader } from '../shared/clean-output.js';
import { knownLines } from '../shared/known-lines.js';

const isKnownLine = knownLines([
	/^Scope:/i,
	/^Thrash-limiting$/i,
	/^Status .+, Action .+, Timeout /i,
	/^Description:/i,
	/^index \d+ metric \d+/i,
	/^current duplex /i,
	/^configured duplex /i,
	/^<[A-Z0-9_,-]*>$/i,
	/^SNMP link-status traps:/i,
	/^Link-status trap delay:/i,
	/^Bandwidth /i,
	/^arp ageing timeout /i,
	/^VRF Binding:/i,
	/^Router Advertisement /i,
	/^IPv6 address /i,
	/^(?:input|output) average rate ?:/i,
	/^(?:input|output) peak rate /i,
	/^Tunnel (?:protocol|protection|mode|local|remote|ttl|tos|key|checksum|path|vrf|hop|sequence)\b/i,
]);

const INTERFACE = /^Interface ([A-Za-z][\w./:-]*)$/;
const LINK = /^Link is (UP|DOWN), administrative state is (UP|DOWN)\b/i;
const HARDWARE = /^Hardware is ([A-Za-z][\w-]*)/i;
const IPV4 = /^IPv4 address (\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2})(?:\s|$)/i;
const TUNNEL_BOTH = /^Tunnel source (\S+?),? destination (\S+)$/i;
const TUNNEL_ONE = /^Tunnel (source|destination) (\S+)$/i;
const COUNTERS = /^(input|output) packets (\d+), bytes (\d+),/i;
const LAST_CHANGE = /^Time since last state change: *(\d+) days? (\d{1,2}):(\d{2}):(\d{2})$/i;

/** The width from which a line may have been wrapped by the terminal (80 columns, less one). */
const WRAP_WIDTH = 79;

type Block = {
	name: string;
	facts: Omit<RouterInterface, 'name' | 'linkUp' | 'adminUp'>;
	linkUp?: boolean;
	adminUp?: boolean;
	/**
	 * Its lines, kept until its `Link is …` line is read: a block without one yields no interface and
	 * goes to `unparsed` whole; once it is read the block yields one (big outputs: no array per block).
	 */
	lines?: string[];
	/** Lines it does not explain, when it yields an interface. */
	unknown?: string[];
};

/** `none`, `-`, `unassigned`: the device says it is not set. */
function endOf(text: string): string | undefined {
	return /^(?:none|-|unassigned|unknown)$/i.test(text) ? undefined : text;
}

/** Digits a pattern has already matched (`\d+`) as a safe integer. */
function count(digits: string | undefined): number | undefined {
	const value = Number(digits);
	return digits !== undefined && Number.isSafeInteger(value) ? value : undefined;
}

function secondsOf(match: RegExpExecArray): number | undefined {
	const days = count(match[1]);
	const hours = count(match[2]);
	const minutes = count(match[3]);
	const seconds = count(match[4]);
	if (days === undefined || hours === undefined || minutes === undefined || seconds === undefined)
		return undefined;
	if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
	const total = days * 86_400 + hours * 3600 + minutes * 60 + seconds;
	return Number.isSafeInteger(total) ? total : undefined;
}

/**
 * Reads one line of a block into it; false when the line says nothing this parser knows. Dispatched on
 * the first character: big outputs are ~15 lines per tunnel, most of them known lines with no value.
 */
function readLine(block: Block, trimmed: string): boolean {
	switch (trimmed.charCodeAt(0) | 32) {
		case 108: // l
			return readLink(block, trimmed) || isKnownLine(trimmed);
		case 105: // i: input packets / IPv4 address / index / IPv6 address / input rates
			if ((trimmed.charCodeAt(1) | 32) === 112 && (trimmed.charCodeAt(3) | 32) !== 54)
				return readAddress(block, trimmed) || isKnownLine(trimmed);
			return readCounters(block, trimmed) || isKnownLine(trimmed);
		case 111: // o
			return readCounters(block, trimmed) || isKnownLine(trimmed);
		case 116: // t: Time since last state change / Tunnel source, destination / other Tunnel lines
			if ((trimmed.charCodeAt(1) | 32) === 105) return readLastChange(block, trimmed) || isKnownLine(trimmed);
			if (/^Tunnel (?:source|destination) /i.test(trimmed)) return readTunnelEnds(block, trimmed);
			return isKnownLine(trimmed);
		case 104: // h
			return readHardware(block, trimmed) || isKnownLine(trimmed);
		default:
			return isKnownLine(trimmed);
	}
}

function readLink(block: Block, trimmed: string): boolean {
	const link = LINK.exec(trimmed);
	if (!link) return false;
	block.linkUp = link[1]!.toUpperCase() === 'UP';
	block.adminUp = link[2]!.toUpperCase() === 'UP';
	return true;
}

function readCounters(block: Block, trimmed: string): boolean {
	const counters = COUNTERS.exec(trimmed);
	if (!counters) return false;
	const packets = count(counters[2]);
	const bytes = count(counters[3]);
	if (packets === undefined || bytes === undefined) return false;
	if ((trimmed.charCodeAt(0) | 32) === 105) {
		block.facts.packetsIn = packets;
		block.facts.bytesIn = bytes;
	} else {
		block.facts.packetsOut = packets;
		block.facts.bytesOut = bytes;
	}
	return true;
}

function readAddress(block: Block, trimmed: string): boolean {
	const ipv4 = IPV4.exec(trimmed);
	if (!ipv4) return false;
	// a secondary address does not replace the primary one
	if (block.facts.address === undefined) block.facts.address = ipv4[1]!;
	return true;
}

function readLastChange(block: Block, trimmed: string): boolean {
	const change = LAST_CHANGE.exec(trimmed);
	if (!change) return false;
	const seconds = secondsOf(change);
	if (seconds === undefined) return false;
	block.facts.lastChangeSeconds = seconds;
	return true;
}

function readTunnelEnds(block: Block, trimmed: string): boolean {
	const both = TUNNEL_BOTH.exec(trimmed);
	if (both) {
		const source = endOf(both[1]!);
		const destination = endOf(both[2]!);
		if (source !== undefined) block.facts.source = source;
		if (destination !== undefined) block.facts.destination = destination;
		return true;
	}
	const one = TUNNEL_ONE.exec(trimmed);
	if (!one) return false;
	const value = endOf(one[2]!);
	if (value !== undefined) block.facts[one[1]!.toLowerCase() as 'source' | 'destination'] = value;
	return true;
}

function readHardware(block: Block, trimmed: string): boolean {
	const hardware = HARDWARE.exec(trimmed);
	if (!hardware) return false;
	block.facts.hardware = hardware[1]!;
	return true;
}

function interfaceOf(block: Block): RouterInterface | undefined {
	if (block.linkUp === undefined || block.adminUp === undefined) return undefined;
	const { facts } = block;
	const entry: RouterInterface = { name: block.name, linkUp: block.linkUp, adminUp: block.adminUp };
	if (facts.hardware !== undefined) entry.hardware = facts.hardware;
	if (facts.address !== undefined) entry.address = facts.address;
	if (facts.source !== undefined) entry.source = facts.source;
	if (facts.destination !== undefined) entry.destination = facts.destination;
	if (facts.packetsIn !== undefined) entry.packetsIn = facts.packetsIn;
	if (facts.bytesIn !== undefined) entry.bytesIn = facts.bytesIn;
	if (facts.packetsOut !== undefined) entry.packetsOut = facts.packetsOut;
	if (facts.bytesOut !== undefined) entry.bytesOut = facts.bytesOut;
	if (facts.lastChangeSeconds !== undefined) entry.lastChangeSeconds = facts.lastChangeSeconds;
	return entry;
}

/** Ends a block: its interface, or its lines to `unparsed` when it has no `Link is …` line. */
function closeBlock(block: Block, interfaces: RouterInterface[], unparsed: string[]): void {
	const entry = interfaceOf(block);
	if (!entry) {
		if (block.lines) for (const line of block.lines) unparsed.push(line);
		return;
	}
	interfaces.push(entry);
	if (block.unknown) for (const line of block.unknown) unparsed.push(line);
}

export function parseShowInterface(output: string): ParseResult {
	const interfaces: RouterInterface[] = [];
	const unparsed: string[] = [];
	let block: Block | undefined;
	let previousLength = 0;

	// Each line is read once the next is known: the last one of the output is read with suspicion.
	// One loop, no per-line callback and no iterator result object per line (visibleLineReader).
	const lines = visibleLineReader(output);
	let following = lines.nextLine();
	while (following !== undefined) {
		const line = following;
		following = lines.nextLine();
		const last = following === undefined;
		// visibleLines has removed trailing white space already
		const trimmed = line.trimStart();
		if (trimmed === '') {
			previousLength = 0;
			continue;
		}
		const afterLongLine = previousLength >= WRAP_WIDTH;
		previousLength = line.length;
		// `I`: the only lines that can open a block
		const start = trimmed.charCodeAt(0) === 73 ? INTERFACE.exec(trimmed) : null;
		if (start) {
			if (block) closeBlock(block, interfaces, unparsed);
			block = { name: start[1]!, facts: {}, lines: [line] };
			continue;
		}
		if (!block) {
			unparsed.push(line);
			continue;
		}
		block.lines?.push(line);
		// the last line of an output cut short (its block has not ended) may be cut mid-value; a line
		// nothing explains right after a long one is that line's wrapped tail
		const explained = last ? LAST_CHANGE.test(trimmed) && readLine(block, trimmed) : readLine(block, trimmed);
		if (block.lines && block.linkUp !== undefined) block.lines = undefined;
		if (explained || (afterLongLine && !last)) continue;
		if (block.unknown) block.unknown.push(line);
		else block.unknown = [line];
	}
	if (block) closeBlock(block, interfaces, unparsed);
	return { interfaces, unparsed };
}
