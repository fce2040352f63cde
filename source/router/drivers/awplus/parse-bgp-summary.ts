/**
 * `show ip bgp summary` on AlliedWare Plus (and the ZebOS / IP Infusion family its routing daemon comes
 * from) → `bgp` entries.
 *
 * Layout sources:
 * - ZebOS-family verbatim captures: Ubiquiti EdgeOS (`show ip bgp summary`, 3 and 8 peers), B4COM/OcNOS
 *   (`03w6d21h` up times) and OcNOS with the header and every row wrapped at ~80 columns
 *   (shared/fixtures/samples/_reference/zebos_family_bgp/, and the EdgeRouter X capture in
 *   test/fixtures/awplus/SOURCES.md). AW+'s own output is assumed to be this layout (NOTES.md; the shared
 *   AW+ sample is RECONSTRUCTED from these): `BGP router identifier …, local AS number N`, table version,
 *   AS-PATH/community entry counts, then
 *   `Neighbor V AS MsgRcv MsgSen TblVer InQ OutQ Up/Down State/PfxRcd [Desc]`, then
 *   `Total number of neighbors N` [+ `Total number of Established sessions N`].
 * - Cisco IOS / NEC IX variants of the same table (ntc-templates, genieparser, AWS VPN guide samples): the
 *   `MsgRcvd/MsgSent` spellings, `Up/DownTime`, upper-case states, `Idle (Admin)`, and an IPv6 neighbour
 *   alone on its line with the rest of the row on the next.
 * Columns are located from the header (AS, Up/Down, State/PfxRcd); rows are split on whitespace and a row
 * wrapped onto following lines is joined back. Up/Down: `00:11:33`, `1d02h`, `03w6d21h`, `1y10w`, `never`.
 * `uptimeSeconds` is only given for established sessions: for the others the column is time since down.
 */
import type { BgpNeighbor, BgpState, ParseResult } from '../../model.js';
import { cleanOutputLines, tokensOf } from './clean-output.js';
import { isIpAddress, parseDuration, parseInteger } from './field-values.js';
import { assembleRow } from './table-rows.js';

const SUMMARY_LINES = [
	/^BGP router identifier\b/i,
	/^BGP router ID\b/i,
	/^BGP table version is\b/i,
	/^\d+ BGP [\w-]+ entries\b/i,
	/^\d+\s+Configured [ei]bgp ECMP multipath\b/i,
	/^Total number of (?:neighbors|established sessions)\b/i,
	/\bentries using \d+ bytes of memory$/i,
	/^BGP using \d+ total bytes of memory$/i,
	/^BGP activity \d+\/\d+ prefixes\b/i,
	/^\d+\/\d+ BGP path\/bestpath attribute entries\b/i,
	/^For address family: /i,
	/^(?:IPv4|IPv6|L2VPN) (?:Unicast|EVPN) Summary:?$/i,
	/^RIB entries \d+, using /i,
	/^Peers \d+, using /i,
	/^\d+ networks peaked at /i,
	/^\d+ received paths for inbound soft reconfiguration$/i,
];

function isSummaryLine(line: string): boolean {
	const trimmed = line.trim();
	return SUMMARY_LINES.some((pattern) => pattern.test(trimmed));
}

function neighborOf(token: string | undefined): string | undefined {
	if (token === undefined) return undefined;
	const address = token.replace(/^\*/, '');
	return isIpAddress(address) ? address : undefined;
}

function startsRow(line: string): boolean {
	return neighborOf(tokensOf(line)[0]) !== undefined;
}

function isHeader(line: string): boolean {
	const tokens = tokensOf(line);
	return /^neighbou?r$/i.test(tokens[0] ?? '') && tokens.some((token) => /^AS$/i.test(token));
}

/** A wrapped header's second line: only column names such as `State/PfxRcd   Desc`. */
function continuesHeader(line: string): boolean {
	const tokens = tokensOf(line);
	return (
		tokens.length > 0 &&
		tokens.some((token) => /state|pfx/i.test(token)) &&
		tokens.every((token) => /^[A-Za-z][\w/()-]*$/.test(token))
	);
}

/** `65001` → 65001; asdot `1.10` → 65546. */
function asNumber(token: string | undefined): number | undefined {
	if (token === undefined) return undefined;
	const dotted = /^(\d{1,5})\.(\d{1,5})$/.exec(token);
	if (dotted) {
		const high = Number(dotted[1]);
		const low = Number(dotted[2]);
		return high <= 65_535 && low <= 65_535 ? high * 65_536 + low : undefined;
	}
	const plain = parseInteger(token);
	return plain !== undefined && plain <= 4_294_967_295 ? plain : undefined;
}

export function bgpStateOf(text: string): BgpState | undefined {
	const word = text
		.replace(/\([^)]*\)?/g, '')
		.trim()
		.toLowerCase();
	if (/^(?:idle|connect|active|opensent|openconfirm|established)$/.test(word)) return word as BgpState;
	if (word === 'estab') return 'established';
	return undefined;
}

type Columns = { as: number; upDown: number; state: number };
const ZEBOS_COLUMNS: Columns = { as: 2, upDown: 8, state: 9 };

function columnsOf(header: string[]): Columns {
	const as = header.findIndex((cell) => /^AS$/i.test(cell));
	const upDown = header.findIndex((cell) => /^up\/?down/i.test(cell));
	const stateAt = header.findIndex((cell) => /state|pfxrcd/i.test(cell));
	const state = stateAt >= 0 ? stateAt : upDown >= 0 ? upDown + 1 : -1;
	if (as < 1 || upDown <= as || state <= upDown) return ZEBOS_COLUMNS;
	return { as, upDown, state };
}

function neighborFrom(tokens: string[], columns: Columns): BgpNeighbor | undefined {
	const neighbor = neighborOf(tokens[0]);
	const remoteAs = asNumber(tokens[columns.as]);
	const stateToken = tokens[columns.state];
	if (neighbor === undefined || remoteAs === undefined || stateToken === undefined) return undefined;
	const prefixes = parseInteger(stateToken);
	if (prefixes !== undefined) {
		const entry: BgpNeighbor = { neighbor, remoteAs, state: 'established' };
		const uptime = parseDuration(tokens[columns.upDown]);
		if (uptime !== undefined) entry.uptimeSeconds = uptime;
		entry.prefixesReceived = prefixes;
		return entry;
	}
	const qualifier = tokens[columns.state + 1];
	const stateText = qualifier?.startsWith('(') ? `${stateToken} ${qualifier}` : stateToken;
	const state = bgpStateOf(stateText);
	if (state === undefined) return undefined;
	const entry: BgpNeighbor = { neighbor, remoteAs, state };
	if (state === 'established') {
		const uptime = parseDuration(tokens[columns.upDown]);
		if (uptime !== undefined) entry.uptimeSeconds = uptime;
	}
	return entry;
}

export function parseBgpSummary(output: string): ParseResult {
	const lines = cleanOutputLines(output);
	const bgp: BgpNeighbor[] = [];
	const unparsed: string[] = [];
	let columns = ZEBOS_COLUMNS;

	for (let index = 0; index < lines.length; index += 1) {
		const line = lines[index]!;
		if (line.trim() === '' || isSummaryLine(line)) continue;
		if (isHeader(line)) {
			const header = tokensOf(line);
			const next = lines[index + 1];
			if (next !== undefined && continuesHeader(next)) {
				header.push(...tokensOf(next));
				index += 1;
			}
			columns = columnsOf(header);
			continue;
		}
		if (startsRow(line)) {
			const row = assembleRow(
				lines,
				index,
				columns.state + 1,
				(next) => !startsRow(next) && !isHeader(next) && !isSummaryLine(next),
			);
			index = row.lineIndexes[row.lineIndexes.length - 1]!;
			const entry = neighborFrom(row.tokens, columns);
			if (entry) bgp.push(entry);
			else unparsed.push(...row.lineIndexes.map((lineIndex) => lines[lineIndex]!));
			continue;
		}
		unparsed.push(line);
	}
	return { bgp, unparsed };
}
