/**
 * `show isakmp sa` (and `show isakmp sa detail`) on AlliedWare Plus → `ike` entries.
 *
 * Layout sources — no verbatim capture of this command was found in public material:
 * - Table `Peer | Cookies (initiator:responder) | Auth | Ver | Expires`, one row per ISAKMP/IKE SA:
 *   the column set recalled from Allied Telesis' "Internet Protocol Security (IPsec) Feature Overview and
 *   Configuration Guide" (C613-22020-00, diagnostics section, not retrievable), as recorded in
 *   shared/fixtures/samples/alliedtelesis_awplus/show_isakmp_sa__RECONSTRUCTED-UNVERIFIED.txt and NOTES.md.
 *   An all-zero responder cookie or an Expires of `-` means phase 1 is still negotiating.
 * - The cookie pair as `initiator:responder` hex matches racoon/ipsec-tools (`racoonctl show-sa isakmp`,
 *   F5 and gist captures), the IKE daemon heritage AW+'s licence list shows.
 * - `detail` blocks (`Peer: X` then indented `Key: value` lines) are this project's reconstruction; the
 *   keys read are the usual ones of IKE SA detail views (Juniper, strongSwan, SEIL), matched loosely.
 * Parsing is by header detection and tokens, never by column offsets. Extra recognised columns
 * (State, Local, Encryption, Integrity, Group, NAT-T) are read when a release prints them; a peer printed
 * as `address:port` or `address[port]` gives NAT-T from the port (4500).
 */
import type { IkeSa, IkeState, ParseResult } from '../../model.js';
import { firstNonWhiteSpaceCode, firstToken } from '../shared/clean-output.js';
import {
	dhGroupNumber,
	ikeVersion,
	isCookie,
	isZeroHex,
	normaliseEncryption,
	normaliseIntegrity,
	parseDuration,
	splitAddressPort,
	yesNo,
} from '../shared/field-values.js';
import { cellKey, detailField, headerCells } from '../shared/table-rows.js';
import { readSaTable } from './sa-table.js';

type IkeColumn =
	| 'peer'
	| 'local'
	| 'cookies'
	| 'auth'
	| 'version'
	| 'expires'
	| 'state'
	| 'encryption'
	| 'integrity'
	| 'dhGroup'
	| 'nat'
	| 'ignored';

const DEFAULT_COLUMNS: IkeColumn[] = ['peer', 'cookies', 'auth', 'version', 'expires'];

function columnOf(cell: string): IkeColumn | undefined {
	const key = cellKey(cell);
	if (/^(?:peer|remote|dst|destination)$/.test(key)) return 'peer';
	if (/^(?:local|src|source)$/.test(key)) return 'local';
	if (/^(?:cookies?|spis?)$/.test(key)) return 'cookies';
	if (/^(?:auth|authentication)$/.test(key)) return 'auth';
	if (/^(?:ver|version|ike)$/.test(key)) return 'version';
	if (/^(?:expires|lifetime|life|remaining)$/.test(key)) return 'expires';
	if (/^(?:state|status)$/.test(key)) return 'state';
	if (/^(?:encryption|encr|cipher)$/.test(key)) return 'encryption';
	if (/^(?:integrity|hash|prf)$/.test(key)) return 'integrity';
	if (/^(?:group|dh|dh-group)$/.test(key)) return 'dhGroup';
	if (/^(?:nat|nat-t|natt)$/.test(key)) return 'nat';
	if (/^(?:id|conn-id|c-id|role|mode|flags)$/.test(key)) return 'ignored';
	return undefined;
}

function isHeader(line: string): boolean {
	// Every column name starts with a letter (or a parenthesised note): a line starting with a digit,
	// such as every IPv4 row, is never a header. Spares the rows the header cell work.
	const first = firstNonWhiteSpaceCode(line);
	if (first >= 48 && first <= 57) return false;
	if (detailField(line) !== undefined) return false;
	const cells = headerCells(line);
	const columns = cells.map(columnOf);
	return (
		cells.length >= 3 &&
		columns.includes('peer') &&
		(columns.includes('cookies') || columns.includes('expires') || columns.includes('state')) &&
		columns.every((column) => column !== undefined)
	);
}

function startsRow(line: string): boolean {
	const first = firstToken(line);
	return first !== undefined && splitAddressPort(first) !== undefined;
}

export function ikeStateOf(text: string): IkeState | undefined {
	const word = text.trim().toLowerCase();
	if (/^(?:established|up|ready|qm_idle|mature|active|estab)$/.test(word)) return 'established';
	if (/^(?:negotiating|connecting|init|creating|in-progress|half-open|larval|(?:mm|ag|qm)_\w+)$/.test(word)) {
		return 'negotiating';
	}
	if (/^(?:down|deleted|deleting|expired|dead|failed|none)$/.test(word)) return 'down';
	return undefined;
}

type IkeFacts = Partial<Record<IkeColumn, string>>;

/** `text.replace(/,$/, '')` without a regular expression: a row's peer cell, read once per SA. */
export function withoutTrailingComma(text: string): string {
	return text.endsWith(',') ? text.slice(0, -1) : text;
}

/** Builds the normalised SA from the cells read, or undefined when they do not make one. */
function ikeSaOf(facts: IkeFacts): IkeSa | undefined {
	const peer = facts.peer === undefined ? undefined : splitAddressPort(withoutTrailingComma(facts.peer));
	if (!peer) return undefined;
	let cookiesNegotiating: boolean | undefined;
	if (facts.cookies !== undefined) {
		const parts = facts.cookies.split(':');
		if (parts.length !== 2 || !isCookie(parts[0]!) || !isCookie(parts[1]!)) return undefined;
		cookiesNegotiating = isZeroHex(parts[0]!) || isZeroHex(parts[1]!);
	}
	const expiresText = facts.expires?.trim();
	const expiresInSeconds = parseDuration(expiresText);
	if (expiresText !== undefined && expiresText !== '-' && expiresInSeconds === undefined) return undefined;
	let state: IkeState | undefined;
	if (facts.state !== undefined) {
		state = ikeStateOf(facts.state);
		if (state === undefined) return undefined;
	} else if (cookiesNegotiating !== undefined) {
		state = cookiesNegotiating || expiresText === '-' ? 'negotiating' : 'established';
	} else return undefined;

	const local = facts.local === undefined ? undefined : splitAddressPort(facts.local);
	const sa: IkeSa = local
		? { peer: peer.address, local: local.address, state }
		: { peer: peer.address, state };
	const version = ikeVersion(facts.version);
	if (version !== undefined) sa.version = version;
	const encryption = normaliseEncryption(facts.encryption);
	if (encryption !== undefined) sa.encryption = encryption;
	const integrity = normaliseIntegrity(facts.integrity);
	if (integrity !== undefined) sa.integrity = integrity;
	const dhGroup = dhGroupNumber(facts.dhGroup);
	if (dhGroup !== undefined) sa.dhGroup = dhGroup;
	if (expiresInSeconds !== undefined) sa.expiresInSeconds = expiresInSeconds;
	const nat = yesNo(facts.nat);
	const port = peer.port ?? local?.port;
	if (nat !== undefined) sa.natTraversal = nat;
	else if (port !== undefined) sa.natTraversal = port === 4500;
	return sa;
}

const DETAIL_KEYS: Record<string, IkeColumn> = {
	peer: 'peer',
	'remote address': 'peer',
	remote: 'peer',
	local: 'local',
	'local address': 'local',
	cookies: 'cookies',
	spis: 'cookies',
	version: 'version',
	'ike version': 'version',
	state: 'state',
	status: 'state',
	encryption: 'encryption',
	'encryption algorithm': 'encryption',
	cipher: 'encryption',
	integrity: 'integrity',
	'integrity algorithm': 'integrity',
	hash: 'integrity',
	'hash algorithm': 'integrity',
	'dh group': 'dhGroup',
	group: 'dhGroup',
	'diffie-hellman group': 'dhGroup',
	'nat-t': 'nat',
	'nat traversal': 'nat',
	natt: 'nat',
	expires: 'expires',
	'expires in': 'expires',
	lifetime: 'expires',
	remaining: 'expires',
	auth: 'auth',
	authentication: 'auth',
	'authentication method': 'auth',
	'local id': 'ignored',
	'remote id': 'ignored',
	role: 'ignored',
	dpd: 'ignored',
	prf: 'ignored',
	profile: 'ignored',
	mode: 'ignored',
	'exchange type': 'ignored',
	'phase 2 sas': 'ignored',
};

export function parseIsakmpSa(output: string): ParseResult {
	const { sas, unparsed } = readSaTable<IkeColumn, IkeSa>(output, {
		defaultColumns: DEFAULT_COLUMNS,
		columnOf,
		isHeader,
		startsRow,
		detailKeys: DETAIL_KEYS,
		toSa: ikeSaOf,
	});
	return { ike: sas, unparsed };
}
