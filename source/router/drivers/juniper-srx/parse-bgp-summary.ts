/**
 * `show bgp summary` on Junos → `bgp`.
 *
 * Layout (AWS VPN guide, ntc-templates juniper_junos, jcostom/junos-bits labs; NOTES.md):
 *   `Threading mode: BGP I/O` / `Groups: N Peers: N Down peers: N` / the `Table  Tot Paths …` block,
 *   then `Peer  AS  InPkt  OutPkt  OutQ  Flaps  Last Up/Dwn  State|#Active/Received/Accepted/Damped...`.
 * An established peer shows either its per-RIB counts inline (`1/1/1/0  0/0/0/0`) or `Establ` followed
 * by indented `inet.0: 23/224/224/0` lines; others show their state (Active, Connect, Idle, OpenSent,
 * OpenConfirm). Last Up/Dwn: `56`, `1:22`, `5:23:37`, `9w2d 5:23:37` (two tokens). Prefixes received =
 * the second number of every RIB count, summed; up time only for established peers.
 */
import type { BgpNeighbor, ParseResult } from '../../model.js';
import { asNumber, bgpStateOf } from '../shared/bgp-summary-table.js';
import { tokensOf } from '../shared/clean-output.js';
import { isIpAddress, parseInteger } from '../shared/field-values.js';
import { knownLines } from '../shared/known-lines.js';
import { junosDuration, junosLines } from './junos-output.js';

const isKnownLine = knownLines([
	/^Threading mode:/i,
	/^Groups:\s*\d+\s+Peers:\s*\d+\s+Down peers:\s*\d+$/i,
	/^Table\s+Tot Paths\s+Act Paths\b/i,
	/^Peer\s+AS\s+InPkt\s+OutPkt\b/i,
	/^Default eBGP mode:/i,
	/^[\w.-]+\.\d+(?:\s+(?:\d+\s+){5}\d+)?$/,
	/^(?:\d+\s+){5}\d+$/,
]);
const RIB_COUNTS = /^(\d+)\/(\d+)\/(\d+)(?:\/(\d+))?$/;
const RIB_LINE = /^[\w.:-]+\.\d+:\s+(\d+\/\d+\/\d+(?:\/\d+)?)$/;

type Pending = { neighbor: BgpNeighbor; awaitingRibs: boolean };

function received(counts: string): number | undefined {
	const match = RIB_COUNTS.exec(counts);
	return match ? parseInteger(match[2]) : undefined;
}

function rowOf(tokens: string[]): { neighbor: BgpNeighbor; awaitingRibs: boolean } | undefined {
	const [peer, as, inPkt, outPkt, outQ, flaps, ...rest] = tokens;
	if (
		!isIpAddress(peer ?? '') ||
		[inPkt, outPkt, outQ, flaps].some((token) => parseInteger(token) === undefined)
	) {
		return undefined;
	}
	const remoteAs = asNumber(as);
	if (remoteAs === undefined) return undefined;
	// `9w2d 5:23:37` and `1d 2:03:04` are two tokens.
	const timeTokens = /^(?:\d+w)?\d+d$|^\d+w$/.test(rest[0] ?? '') && rest.length > 1 ? 2 : 1;
	const uptime = junosDuration(rest.slice(0, timeTokens).join(' '));
	const status = rest.slice(timeTokens);
	if (uptime === undefined || status.length === 0) return undefined;
	const neighbor: BgpNeighbor = { neighbor: peer!, remoteAs, state: 'idle' };
	if (status.every((token) => RIB_COUNTS.test(token))) {
		neighbor.state = 'established';
		neighbor.uptimeSeconds = uptime;
		neighbor.prefixesReceived = status.reduce((sum, token) => sum + (received(token) ?? 0), 0);
		return { neighbor, awaitingRibs: false };
	}
	if (status.length !== 1) return undefined;
	const state = bgpStateOf(status[0]!);
	if (state === undefined) return undefined;
	neighbor.state = state;
	if (state === 'established') neighbor.uptimeSeconds = uptime;
	return { neighbor, awaitingRibs: state === 'established' };
}

export function parseBgpSummary(output: string): ParseResult {
	const bgp: BgpNeighbor[] = [];
	const unparsed: string[] = [];
	let pending: Pending | undefined;

	for (const line of junosLines(output)) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		const rib = RIB_LINE.exec(trimmed);
		if (rib && pending?.awaitingRibs) {
			pending.neighbor.prefixesReceived = (pending.neighbor.prefixesReceived ?? 0) + (received(rib[1]!) ?? 0);
			continue;
		}
		if (isKnownLine(trimmed)) continue;
		const row = rowOf(tokensOf(trimmed));
		if (row) {
			pending = { neighbor: row.neighbor, awaitingRibs: row.awaitingRibs };
			bgp.push(row.neighbor);
			continue;
		}
		unparsed.push(line);
	}
	return { bgp, unparsed };
}
