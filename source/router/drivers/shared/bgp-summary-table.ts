/**
 * The `show ip bgp summary` table that Cisco IOS, the ZebOS family (AlliedWare Plus, EdgeOS, OcNOS),
 * Quagga/FRR (VyOS, strongSwan + FRR hosts) and NEC IX all print, with their variations:
 *   `Neighbor V AS MsgRcvd MsgSent TblVer InQ OutQ Up/Down State/PfxRcd [PfxSnt Desc]`
 *   (`MsgRcv`/`MsgSen`, NEC's `Up/DownTime State`, FRR's extra `PfxSnt Desc`).
 * Columns are located from the header (AS, Up/Down, State/PfxRcd); rows are split on whitespace and a
 * row the device wrapped onto following lines (IPv6 neighbours, OcNOS at 80 columns) is joined back.
 * Neighbours: `10.0.0.1`, `*10.0.0.1` (FRR dynamic), `host(10.0.0.1)` (FRR with hostnames).
 * AS: plain or asdot (`65000.1000` → 4259841000). Up/Down: `00:11:33`, `1d02h`, `03w6d21h`, `1y10w`,
 * `5d13h10m`, `never`. State/PfxRcd: an integer when Established, else a state word, possibly
 * qualified (`Idle (Admin)`, `Idle (PfxCt)`), in any case.
 * `uptimeSeconds` is given only for established sessions: for the others the column is time since down.
 */
import type { BgpNeighbor, BgpState, ParseResult } from '../../model.js';
import { cleanOutputLines, splitOnWhiteSpace, tokensOf } from './clean-output.js';
import { isIpAddress, parseDuration, parseInteger } from './field-values.js';
import { knownLines } from './known-lines.js';
import { assembleRow } from './table-rows.js';

// Hoisted: a regular expression literal makes a new RegExp object every time it is evaluated.
const NAMED_NEIGHBOR = /^[^()\s]*\(([0-9a-f:.]+)\)$/i;
const NEIGHBOR_CELL = /^neighbou?r$/i;
const AS_CELL = /^AS$/i;
const STATE_OR_PFX = /state|pfx/i;
const COLUMN_NAME = /^[A-Za-z][\w/()-]*$/;
const ASDOT = /^(\d{1,5})\.(\d{1,5})$/;
const BGP_STATE_WORD = /^(?:idle|connect|active|opensent|openconfirm|established)$/;
const UP_DOWN_CELL = /^up\/?down/i;
const STATE_CELL = /state|pfxrcd/i;

const isSummaryPattern = knownLines([
	/^BGP router identifier\b/i,
	/^BGP router ID\b/i,
	/^BGP table version\b/i,
	/^\d+ BGP [\w-]+ entries\b/i,
	/^\d+\s+Configured [ei]bgp ECMP multipath\b/i,
	/^Total number of (?:neighbors|established sessions)\b/i,
	/\bentries using \d+ bytes of memory$/i,
	/\busing (?:\d+|X+) (?:total )?(?:bytes|[KMG]iB) of memory$/i,
	/^BGP activity \d+\/\d+ prefixes\b/i,
	/^\d+\/\d+ BGP path\/bestpath attribute entries\b/i,
	/^\d+ multipath network entries and \d+ multipath paths$/i,
	/^For address family: /i,
	/^(?:IPv4|IPv6|L2VPN|VPNv4|VPNv6) (?:Unicast|Multicast|EVPN|Flowspec|Labeled Unicast) Summary\b/i,
	/^(?:RIB entries|Peers|Peer groups) \d+, using /i,
	/^\d+ networks peaked at /i,
	/^\d+ received paths for inbound soft reconfiguration$/i,
	/^\* - dynamic neighbor$/i,
	/^\d+ dynamic neighbor\(s\), limit \d+$/i,
	/^% No BGP neighbors found\b/i,
	/^No (?:IPv4|IPv6) \w+ neighbor is configured$/i,
]);

function isSummaryLine(line: string): boolean {
	const trimmed = line.trim();
	return isSummaryPattern(trimmed);
}

/** `10.0.0.1`, `*10.0.0.1`, `leaf1(10.0.0.1)`, `*s1(172.16.42.2)` → the address. */
export function neighborAddressOf(token: string | undefined): string | undefined {
	if (token === undefined) return undefined;
	const bare = token.replace(/^\*/, '');
	if (isIpAddress(bare)) return bare;
	const named = NAMED_NEIGHBOR.exec(bare);
	return named && isIpAddress(named[1]!) ? named[1] : undefined;
}

function startsRow(line: string): boolean {
	return neighborAddressOf(tokensOf(line)[0]) !== undefined;
}

function isHeader(line: string): boolean {
	return isHeaderTokens(tokensOf(line));
}

function isHeaderTokens(tokens: readonly string[]): boolean {
	return NEIGHBOR_CELL.test(tokens[0] ?? '') && tokens.some((token) => AS_CELL.test(token));
}

/** A wrapped header's second line: only column names such as `State/PfxRcd   Desc`. */
function continuesHeader(line: string): boolean {
	const tokens = tokensOf(line);
	return (
		tokens.length > 0 &&
		tokens.some((token) => STATE_OR_PFX.test(token)) &&
		tokens.every((token) => COLUMN_NAME.test(token))
	);
}

/** `65001` → 65001; asdot `1.10` → 65546. */
export function asNumber(token: string | undefined): number | undefined {
	if (token === undefined) return undefined;
	const dotted = ASDOT.exec(token);
	if (dotted) {
		const high = Number(dotted[1]);
		const low = Number(dotted[2]);
		return high <= 65_535 && low <= 65_535 ? high * 65_536 + low : undefined;
	}
	const plain = parseInteger(token);
	return plain !== undefined && plain <= 4_294_967_295 ? plain : undefined;
}

/** `Established`, `ESTABLISHED`, `Idle (Admin)`, `Establ`, `Estab` → the contract's lower-case state. */
export function bgpStateOf(text: string): BgpState | undefined {
	const word = text
		.replace(/\([^)]*\)?/g, '')
		.trim()
		.toLowerCase();
	if (BGP_STATE_WORD.test(word)) return word as BgpState;
	if (word === 'estab' || word === 'establ') return 'established';
	return undefined;
}

type Columns = { as: number; upDown: number; state: number };
const ZEBOS_COLUMNS: Columns = { as: 2, upDown: 8, state: 9 };

function columnsOf(header: string[]): Columns {
	const as = header.findIndex((cell) => AS_CELL.test(cell));
	const upDown = header.findIndex((cell) => UP_DOWN_CELL.test(cell));
	const stateAt = header.findIndex((cell) => STATE_CELL.test(cell));
	const state = stateAt >= 0 ? stateAt : upDown >= 0 ? upDown + 1 : -1;
	if (as < 1 || upDown <= as || state <= upDown) return ZEBOS_COLUMNS;
	return { as, upDown, state };
}

function neighborFrom(tokens: string[], columns: Columns): BgpNeighbor | undefined {
	const neighbor = neighborAddressOf(tokens[0]);
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

/** Reads the neighbour table from already-cleaned lines (see clean-output.ts). */
export function parseBgpSummaryLines(lines: readonly string[]): ParseResult & { bgp: BgpNeighbor[] } {
	const bgp: BgpNeighbor[] = [];
	const unparsed: string[] = [];
	let columns = ZEBOS_COLUMNS;

	for (let index = 0; index < lines.length; index += 1) {
		const line = lines[index]!;
		const trimmed = line.trim();
		if (trimmed === '' || isSummaryPattern(trimmed)) continue;
		// Split once: the header test and the row test below read the same tokens.
		const tokens = splitOnWhiteSpace(trimmed);
		if (isHeaderTokens(tokens)) {
			const header = tokens;
			const next = lines[index + 1];
			if (next !== undefined && continuesHeader(next)) {
				header.push(...tokensOf(next));
				index += 1;
			}
			columns = columnsOf(header);
			continue;
		}
		if (neighborAddressOf(tokens[0]) !== undefined) {
			// A row printed whole needs no joining (what assembleRow would return for it).
			const row =
				tokens.length >= columns.state + 1
					? { tokens, lineIndexes: [index] }
					: assembleRow(
							lines,
							index,
							columns.state + 1,
							(next) => !startsRow(next) && !isHeader(next) && !isSummaryLine(next),
						);
			index = row.lineIndexes[row.lineIndexes.length - 1]!;
			const entry = neighborFrom(row.tokens, columns);
			if (entry) bgp.push(entry);
			else for (const lineIndex of row.lineIndexes) unparsed.push(lines[lineIndex]!);
			continue;
		}
		unparsed.push(line);
	}
	return { bgp, unparsed };
}

export function parseBgpSummaryTable(output: string): ParseResult {
	return parseBgpSummaryLines(cleanOutputLines(output));
}
