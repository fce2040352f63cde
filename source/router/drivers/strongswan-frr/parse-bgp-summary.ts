/**
 * FRR `vtysh -c 'show bgp summary json'` → `bgp`, with the text `show [ip] bgp summary` as fallback.
 *
 * JSON (FRR ≥ 7; samples in shared/fixtures/samples/linux_strongswan_frr and samples-b/frr; NOTES.md):
 * one object per address family (`ipv4Unicast`, `ipv6Unicast`, …), per VRF with `show bgp vrf all
 * summary json`, each with `peers.<address>.{remoteAs, state, peerUptimeMsec, pfxRcd}`; FRR 3 had no
 * family wrapper and `prefixReceivedCount`. Any object holding a `peers` object is read, however deep.
 * `peerState` (`Policy` = ebgp-requires-policy blocks routes) has no field in the model and is left out.
 * Text (FRR/Quagga/VyOS): the shared Cisco-style table reader, which knows FRR's `PfxSnt Desc` columns,
 * `host(address)` neighbours and `* - dynamic neighbor` footer.
 * Up time only for established sessions; FRR's internal `Clearing` / `Deleted` states read as idle.
 */
import type { BgpNeighbor, ParseResult } from '../../model.js';
import { bgpStateOf, parseBgpSummaryLines } from '../shared/bgp-summary-table.js';
import { cleanOutputLines } from '../shared/clean-output.js';
import { parseDuration } from '../shared/field-values.js';

const MAX_DEPTH = 6;

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wholeNumber(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function neighborOf(address: string, peer: Record<string, unknown>): BgpNeighbor | undefined {
	const stateText = typeof peer.state === 'string' ? peer.state : undefined;
	if (stateText === undefined) return undefined;
	const state = /^(?:Clearing|Deleted)$/i.test(stateText) ? 'idle' : bgpStateOf(stateText);
	if (state === undefined) return undefined;
	const neighbor: BgpNeighbor = { neighbor: address, state };
	const remoteAs = wholeNumber(peer.remoteAs);
	if (remoteAs !== undefined && remoteAs > 0 && remoteAs <= 4_294_967_295) neighbor.remoteAs = remoteAs;
	if (state === 'established') {
		const milliseconds = wholeNumber(peer.peerUptimeMsec);
		const uptime =
			milliseconds !== undefined
				? Math.floor(milliseconds / 1000)
				: typeof peer.peerUptime === 'string'
					? parseDuration(peer.peerUptime)
					: undefined;
		if (uptime !== undefined) neighbor.uptimeSeconds = uptime;
	}
	const prefixes = wholeNumber(peer.pfxRcd) ?? wholeNumber(peer.prefixReceivedCount);
	if (prefixes !== undefined) neighbor.prefixesReceived = prefixes;
	return neighbor;
}

function collect(node: unknown, depth: number, bgp: BgpNeighbor[], unparsed: string[]): void {
	if (!isObject(node) || depth > MAX_DEPTH) return;
	if (isObject(node.peers)) {
		for (const [address, peer] of Object.entries(node.peers)) {
			const neighbor = isObject(peer) ? neighborOf(address, peer) : undefined;
			if (neighbor) bgp.push(neighbor);
			else unparsed.push(JSON.stringify({ [address]: peer }));
		}
		return;
	}
	for (const value of Object.values(node)) collect(value, depth + 1, bgp, unparsed);
}

/** The JSON document in the output, if the output is one (echo and prompt lines already removed). */
function jsonDocument(
	lines: readonly string[],
): { value: unknown; before: string[]; after: string[] } | undefined {
	const start = lines.findIndex((line) => line.trimStart().startsWith('{'));
	let end = lines.length - 1;
	while (end > start && !lines[end]!.trimEnd().endsWith('}')) end -= 1;
	if (start < 0 || end < start) return undefined;
	try {
		const value: unknown = JSON.parse(lines.slice(start, end + 1).join('\n'));
		return { value, before: lines.slice(0, start), after: lines.slice(end + 1) };
	} catch {
		return undefined;
	}
}

export function parseBgpSummary(output: string): ParseResult {
	const lines = cleanOutputLines(output);
	const json = jsonDocument(lines);
	if (!json) return parseBgpSummaryLines(lines);
	const bgp: BgpNeighbor[] = [];
	const unparsed = json.before.filter((line) => line.trim() !== '');
	collect(json.value, 0, bgp, unparsed);
	unparsed.push(...json.after.filter((line) => line.trim() !== ''));
	return { bgp, unparsed };
}
