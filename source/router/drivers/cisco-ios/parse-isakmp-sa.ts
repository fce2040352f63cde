/**
 * `show crypto isakmp sa` (IKEv1 only; IKEv2 is `show crypto ikev2 sa`) on Cisco IOS / IOS-XE → `ike`.
 *
 * Layouts (shared/fixtures/samples/cisco_ios, NOTES.md; AWS VPN guide, genieparser, lab write-ups):
 * - `IPv4 Crypto ISAKMP SA`, header `dst src state conn-id [slot] status`, one row per SA:
 *   `192.168.37.160  72.21.209.193  QM_IDLE  2001  0 ACTIVE`; status may be `ACTIVE (deleted)` or `STDBY`.
 * - `IPv6 Crypto ISAKMP SA`: the same one-line rows, or (most releases) a record over three lines
 *   ` dst: …` / ` src: …` / ` state: QM_IDLE  conn-id: 1005 status: ACTIVE`.
 * - `show crypto isakmp sa detail`: `C-id Local Remote I-VRF Status Encr Hash Auth DH Lifetime Cap.`
 *   rows (I-VRF may be blank) followed by `Engine-id:Conn-id = …`.
 * State: QM_IDLE = established; MM_* / AG_* / other QM_* = negotiating; `(deleted)` = down.
 * `dst`/`src` follow who initiated, not which end is local: the address common to most rows is the
 * router's own; with one row (or a tie) `dst` is taken as the peer, i.e. the router initiated.
 */
import type { IkeSa, IkeState, ParseResult } from '../../model.js';
import { cleanOutputLines, tokensOf } from '../shared/clean-output.js';
import {
	dhGroupNumber,
	isIpAddress,
	normaliseIntegrity,
	parseDuration,
	parseInteger,
} from '../shared/field-values.js';
import { ikeEncryptionOf } from './algorithms.js';

// Hoisted: a regular expression literal makes a new RegExp object every time it is evaluated.
const DELETED_MARK = /\(deleted\)/i;
const ACTIVE_OR_STANDBY = /^(?:ACTIVE|STDBY)\b/i;
const NEGOTIATION_STATE = /^(?:MM|AG|QM)_[A-Z0-9_]+$/;
const DETAIL_STATUS = /^(?:ACTIVE|STDBY|DELETED)$/i;
const CAPABILITY_CODES = /^[A-Z]{1,8}$/;
const RECORD_FIELD = /^(dst|src|state):\s*(.*)$/i;
const RECORD_STATE_LINE = /^(\S+)\s+conn-id:\s*\d+\s+(?:slot:\s*\d+\s+)?status:\s*(.+)$/i;

const SECTION = /^(?:IPv4|IPv6) Crypto ISAKMP SA$/i;
const SUMMARY_HEADER = /^dst\s+src\s+state\s+conn-id\s+(?:slot\s+)?status$/i;
const DETAIL_HEADER = /^C-id\s+Local\s+Remote\s+I-VRF\s+Status\s+Encr\s+Hash\s+Auth\s+DH\s+Lifetime\b/i;
const ENGINE_LINE = /^Engine-id:Conn-id\s*=/i;
/** `Codes: C - IKE configuration mode, D - Dead Peer Detection`, `psk - Preshared key, rsig - RSA signature`. */
export const LEGEND = /^(?:Codes?:.*|[A-Za-z]{1,5} - [^,]+(?:, *[A-Za-z]{1,5} - [^,]+)*,?)$/;

function stateOf(state: string, status: string): IkeState | undefined {
	if (DELETED_MARK.test(status)) return 'down';
	if (!ACTIVE_OR_STANDBY.test(status)) return undefined;
	const word = state.toUpperCase();
	if (word === 'QM_IDLE') return 'established';
	if (NEGOTIATION_STATE.test(word)) return 'negotiating';
	return undefined;
}

type PairRow = { dst: string; src: string; state: IkeState };

/** Which end of each `dst`/`src` row is the router: the address met in most rows. */
function orient(rows: readonly PairRow[]): IkeSa[] {
	const seen = new Map<string, number>();
	for (const row of rows) {
		seen.set(row.dst, (seen.get(row.dst) ?? 0) + 1);
		seen.set(row.src, (seen.get(row.src) ?? 0) + 1);
	}
	return rows.map((row) => {
		const srcIsLocal = (seen.get(row.src) ?? 0) >= (seen.get(row.dst) ?? 0);
		const peer = srcIsLocal ? row.dst : row.src;
		const local = srcIsLocal ? row.src : row.dst;
		return { peer, local, state: row.state, version: 1 };
	});
}

/** `29609 100.0.10.2 100.13.220.2 RED ACTIVE aes sha psk 16 00:01:47 D` (I-VRF may be blank). */
function detailRow(tokens: string[]): IkeSa | undefined {
	const [connId, local, remote] = tokens;
	if (parseInteger(connId) === undefined || !isIpAddress(local ?? '') || !isIpAddress(remote ?? ''))
		return undefined;
	const statusAt = tokens.findIndex((token, index) => index >= 3 && DETAIL_STATUS.test(token));
	if (statusAt < 3 || statusAt > 4) return undefined;
	const [encr, hash, , dh, lifetime, cap] = tokens.slice(statusAt + 1);
	const status = tokens[statusAt]!.toUpperCase();
	const sa: IkeSa = {
		peer: remote!,
		local: local!,
		state: status === 'DELETED' ? 'down' : 'established',
		version: 1,
	};
	const encryption = ikeEncryptionOf(encr);
	if (encryption !== undefined) sa.encryption = encryption;
	const integrity = normaliseIntegrity(hash);
	if (integrity !== undefined) sa.integrity = integrity;
	const dhGroup = dhGroupNumber(dh);
	if (dhGroup !== undefined) sa.dhGroup = dhGroup;
	const expires = parseDuration(lifetime);
	if (expires !== undefined) sa.expiresInSeconds = expires;
	if (cap !== undefined && CAPABILITY_CODES.test(cap)) sa.natTraversal = cap.includes('N');
	return sa;
}

export function parseIsakmpSa(output: string): ParseResult {
	const lines = cleanOutputLines(output);
	const unparsed: string[] = [];
	const pairRows: PairRow[] = [];
	const detailed: IkeSa[] = [];
	let record: { dst?: string; src?: string; lines: string[] } | undefined;

	const dropRecord = () => {
		if (record) unparsed.push(...record.lines);
		record = undefined;
	};

	for (const line of lines) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		const field = RECORD_FIELD.exec(trimmed);
		if (field) {
			const key = field[1]!.toLowerCase();
			const value = field[2]!;
			if (key === 'dst') {
				dropRecord();
				record = { dst: value, lines: [line] };
				continue;
			}
			if (key === 'src' && record?.dst !== undefined && record.src === undefined) {
				record.src = value;
				record.lines.push(line);
				continue;
			}
			const stateLine = RECORD_STATE_LINE.exec(value);
			if (key === 'state' && record?.src !== undefined && stateLine) {
				const state = stateOf(stateLine[1]!, stateLine[2]!);
				if (state && isIpAddress(record.dst!) && isIpAddress(record.src)) {
					pairRows.push({ dst: record.dst!, src: record.src, state });
					record = undefined;
				} else {
					record.lines.push(line);
					dropRecord();
				}
				continue;
			}
			dropRecord();
			unparsed.push(line);
			continue;
		}
		dropRecord();
		if (SECTION.test(trimmed) || SUMMARY_HEADER.test(trimmed) || DETAIL_HEADER.test(trimmed)) continue;
		if (ENGINE_LINE.test(trimmed) || LEGEND.test(trimmed)) continue;
		const tokens = tokensOf(trimmed);
		if (isIpAddress(tokens[0] ?? '') && isIpAddress(tokens[1] ?? '')) {
			const [dst, src, state, connId, ...rest] = tokens;
			const statusTokens = parseInteger(rest[0]) !== undefined && rest.length > 1 ? rest.slice(1) : rest;
			const ikeState =
				parseInteger(connId) === undefined ? undefined : stateOf(state ?? '', statusTokens.join(' '));
			if (ikeState) pairRows.push({ dst: dst!, src: src!, state: ikeState });
			else unparsed.push(line);
			continue;
		}
		const detail = detailRow(tokens);
		if (detail) detailed.push(detail);
		else unparsed.push(line);
	}
	dropRecord();
	return { ike: [...orient(pairRows), ...detailed], unparsed };
}
