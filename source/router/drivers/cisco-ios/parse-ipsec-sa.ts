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
import { isIpAddress, isZeroHex, normaliseSpi, parseInteger } from '../shared/field-values.js';
import { type DirectionalSa, pairSas } from '../shared/sa-pairs.js';
import { transformOf } from './algorithms.js';

/**
 * Lines understood and of no use to the status model, by their first word (lower case): most lines are
 * recognised without running a regular expression, which keeps 1,000 tunnels (45,000 lines) fast.
 */
const KNOWN_BY_HEAD = new Map<string, RegExp>(
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
	}),
);

function headOf(trimmed: string): string {
	const space = trimmed.indexOf(' ');
	return (space < 0 ? trimmed : trimmed.slice(0, space)).toLowerCase();
}

function isKnown(trimmed: string, head: string): boolean {
	return KNOWN_BY_HEAD.get(head)?.test(trimmed) ?? false;
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
	lines: string[];
};

/** `0xB8357C22(3090512930)` → `0xb8357c22`. */
function spiOf(text: string): string | undefined {
	const match = /^(0x[0-9a-f]{1,8})(?:\(\d+\))?$/i.exec(text.trim());
	return match ? normaliseSpi(match[1]) : undefined;
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
	const readFlowLine = (current: Flow, trimmed: string, head: string): boolean => {
		switch (head) {
			case '#pkts': {
				const counter = /^#pkts (encaps|decaps):\s*(\d+)/i.exec(trimmed);
				if (counter) {
					const value = parseInteger(counter[2]);
					if (counter[1]!.toLowerCase() === 'encaps') current.packetsOut = value;
					else current.packetsIn = value;
					return true;
				}
				return isKnown(trimmed, head);
			}
			case 'local':
			case 'remote': {
				// IPv4: both endpoints on one line; IPv6: `local crypto endpt.: A,` then `remote crypto endpt.: B`.
				const endpoints =
					/^(?:local crypto endpt\.:\s*(\S+?),)?\s*(?:remote crypto endpt\.:\s*(\S+))?$/i.exec(trimmed);
				if (endpoints && (endpoints[1] !== undefined || endpoints[2] !== undefined)) {
					if (endpoints[2] !== undefined && isIpAddress(endpoints[2])) current.remoteEndpoint = endpoints[2];
					return true;
				}
				return isKnown(trimmed, head);
			}
			case 'current': {
				const outboundSpi = /^current outbound spi:\s*(\S+)$/i.exec(trimmed);
				if (!outboundSpi) return false;
				const spi = spiOf(outboundSpi[1]!);
				if (spi !== undefined && !isZeroHex(spi)) current.currentOutboundSpi = spi;
				return true;
			}
			case 'inbound':
			case 'outbound': {
				const list = /^(inbound|outbound) (esp|ah|pcp) sas:$/i.exec(trimmed);
				if (!list) return false;
				direction = list[2]!.toLowerCase() !== 'esp' ? 'other' : head === 'inbound' ? 'in' : 'out';
				sa = undefined;
				return true;
			}
			case 'spi:': {
				const spi = direction === 'other' ? undefined : spiOf(trimmed.slice(4));
				if (spi === undefined) return false;
				sa = { spi };
				(direction === 'in' ? current.inbound : current.outbound).push(sa);
				return true;
			}
			case 'transform:': {
				if (!sa) return false;
				const { encryption, integrity } = transformOf(trimmed.slice(10));
				if (encryption !== undefined) sa.encryption = encryption;
				if (integrity !== undefined) sa.integrity = integrity;
				return true;
			}
			case 'sa': {
				const timing = /^sa timing: remaining key lifetime \((?:k\/)?sec\):\s*\((?:\d+\/)?(\d+)\)$/i.exec(
					trimmed,
				);
				if (!timing || !sa) return false;
				const seconds = parseInteger(timing[1]);
				if (seconds !== undefined) sa.expiresInSeconds = seconds;
				return true;
			}
			case 'status:': {
				if (!sa) return false;
				sa.active = /^Status:\s*ACTIVE\b/i.test(trimmed);
				return true;
			}
			default:
				return isKnown(trimmed, head);
		}
	};

	for (const line of lines) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		const head = headOf(trimmed);
		if (head === 'interface:') {
			close();
			currentInterface = trimmed.slice(10).trim() || undefined;
			continue;
		}
		if (head === 'protected' && /^protected vrf:/i.test(trimmed)) {
			close();
			openFlow().lines.push(line);
			continue;
		}
		if (head === 'current_peer') {
			const peer = /^current_peer\s+(\S+?)(?:\s+port\s+(\d{1,5}))?$/i.exec(trimmed);
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
			if (!isKnown(trimmed, head)) unparsed.push(line);
			continue;
		}
		if (readFlowLine(flow, trimmed, head)) flow.lines.push(line);
		else unparsed.push(line);
	}
	close();
	return { ipsec, unparsed };
}
