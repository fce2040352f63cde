/**
 * `show status bgp neighbor [address]` on Yamaha RTX → `bgp`. RTX has no summary table; this is the
 * per-neighbour view (AWS VPN guide via shared/fixtures/samples/yamaha_rtx; NOTES.md):
 *   `BGP neighbor is 169.254.255.1, remote AS 7224, local AS 65000, external link`
 *   `  BGP version 0, remote router ID 0.0.0.0` / `  BGP state = Active` (Cisco-like, so an established
 *   session reads `BGP state = Established, up for 00:10:05`) / timers / message counts /
 *   `  Connection established 0; dropped 0` / `  Last reset never` / `Local host:` / `Foreign host:`.
 * No prefix count here (it is in `… received-routes`): `prefixesReceived` stays absent.
 */
import type { BgpNeighbor, ParseResult } from '../../model.js';
import { asNumber, bgpStateOf } from '../shared/bgp-summary-table.js';
import { visibleLines } from '../shared/clean-output.js';
import { isIpAddress, parseDuration } from '../shared/field-values.js';
import { knownLines } from '../shared/known-lines.js';

const isKnownLine = knownLines([
	/^BGP version \d+, remote router ID\b/i,
	/^Last read\b/i,
	/^(?:Received|Sent) \d+ messages?\b/i,
	/^Connection established \d+; dropped \d+$/i,
	/^Last reset\b/i,
	/^Local host:/i,
	/^Foreign host:/i,
	/^Hold time is\b/i,
	/^Neighbor capabilities:/i,
]);

export function parseBgpNeighbor(output: string): ParseResult {
	const lines = visibleLines(output);
	const bgp: BgpNeighbor[] = [];
	const unparsed: string[] = [];
	let pending: { neighbor: string; remoteAs?: number; lines: string[] } | undefined;

	const dropPending = () => {
		if (pending) unparsed.push(...pending.lines);
		pending = undefined;
	};

	for (const line of lines) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		const start = /^BGP neighbou?r is ([^,\s]+),\s*remote AS (\S+?),/i.exec(trimmed);
		if (start && isIpAddress(start[1]!)) {
			dropPending();
			const remoteAs = asNumber(start[2]);
			pending = { neighbor: start[1]!, remoteAs, lines: [line] };
			continue;
		}
		const state = /^BGP state = ([A-Za-z]+(?: \([^)]*\))?)(?:,\s*(up|down) for (\S+))?/i.exec(trimmed);
		if (state && pending) {
			const normalised = bgpStateOf(state[1]!);
			if (normalised !== undefined) {
				const neighbor: BgpNeighbor = { neighbor: pending.neighbor, state: normalised };
				if (pending.remoteAs !== undefined) neighbor.remoteAs = pending.remoteAs;
				const uptime = state[2]?.toLowerCase() === 'up' ? parseDuration(state[3]) : undefined;
				if (normalised === 'established' && uptime !== undefined) neighbor.uptimeSeconds = uptime;
				bgp.push(neighbor);
				pending = undefined;
				continue;
			}
		}
		if (isKnownLine(trimmed)) continue;
		unparsed.push(line);
	}
	dropPending();
	return { bgp, unparsed };
}
