/**
 * `show ipsec sa` (and `show ipsec sa detail`) on AlliedWare Plus → `ipsec` entries.
 *
 * Layout sources — no verbatim capture of this command was found in public material:
 * - Table `Peer | SPI (in:out) | Mode | Proto | Expires`, one row per SA pair (two rows for one peer while
 *   it rekeys): the column set recalled from Allied Telesis' IPsec Feature Overview and Configuration Guide
 *   (C613-22020-00), as recorded in shared/fixtures/samples/alliedtelesis_awplus/
 *   show_ipsec_sa__RECONSTRUCTED-UNVERIFIED.txt and NOTES.md. SPIs are taken as hex (as AW+ prints its
 *   other identifiers); the table carries no traffic counters.
 * - `detail` blocks (`Peer: X` then indented `Key: value` lines, with `Input: packets N, bytes N` /
 *   `Output: …` counter lines worded like AW+'s verbatim-known `show interface` counters) are this
 *   project's reconstruction; keys are matched loosely.
 * Parsing is by header detection and tokens, never by column offsets. Recognised extra columns
 * (Interface/Tunnel, State, Encryption, Integrity) are read when a release prints them.
 */
import type { IpsecSa, IpsecState, ParseResult } from '../../model.js';
import { firstNonWhiteSpaceCode, firstToken } from '../shared/clean-output.js';
import {
	isZeroHex,
	normaliseEncryption,
	normaliseIntegrity,
	normaliseSpi,
	parseDuration,
	parseInteger,
	splitAddressPort,
} from '../shared/field-values.js';
import { cellKey, detailField, headerCells } from '../shared/table-rows.js';
import { withoutTrailingComma } from './parse-isakmp-sa.js';
import { readSaTable } from './sa-table.js';

type IpsecColumn =
	| 'peer'
	| 'spis'
	| 'spiIn'
	| 'spiOut'
	| 'tunnel'
	| 'state'
	| 'expires'
	| 'encryption'
	| 'integrity'
	| 'input'
	| 'output'
	| 'bytesIn'
	| 'bytesOut'
	| 'packetsIn'
	| 'packetsOut'
	| 'ignored';

const DEFAULT_COLUMNS: IpsecColumn[] = ['peer', 'spis', 'ignored', 'ignored', 'expires'];

function columnOf(cell: string): IpsecColumn | undefined {
	const key = cellKey(cell);
	if (/^(?:peer|remote|dst|destination|gateway)$/.test(key)) return 'peer';
	if (/^spis?$/.test(key)) return 'spis';
	if (/^(?:interface|tunnel|iface|if)$/.test(key)) return 'tunnel';
	if (/^(?:state|status)$/.test(key)) return 'state';
	if (/^(?:expires|lifetime|life|remaining)$/.test(key)) return 'expires';
	if (/^(?:encryption|encr|cipher)$/.test(key)) return 'encryption';
	if (/^(?:integrity|hash|auth)$/.test(key)) return 'integrity';
	if (/^(?:mode|proto|protocol|id|local|src|source|port|flags)$/.test(key)) return 'ignored';
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
		(columns.includes('spis') || columns.includes('expires')) &&
		columns.every((column) => column !== undefined)
	);
}

function startsRow(line: string): boolean {
	const first = firstToken(line);
	return first !== undefined && splitAddressPort(first) !== undefined;
}

function ipsecStateOf(text: string): IpsecState | undefined {
	const word = text.trim().toLowerCase();
	if (/^(?:up|established|active|installed|mature|valid|ready)$/.test(word)) return 'up';
	if (/^(?:down|expired|deleted|deleting|dead|larval|invalid|none)$/.test(word)) return 'down';
	return undefined;
}

type IpsecFacts = Partial<Record<IpsecColumn, string>>;

function counter(text: string | undefined, word: 'packets' | 'bytes'): number | undefined {
	if (text === undefined) return undefined;
	const match = new RegExp(`\\b${word}\\s+(\\d+)`, 'i').exec(text);
	return match ? parseInteger(match[1]) : undefined;
}

function ipsecSaOf(facts: IpsecFacts): IpsecSa | undefined {
	const peer = facts.peer === undefined ? undefined : splitAddressPort(withoutTrailingComma(facts.peer));
	if (!peer) return undefined;
	let spiInText = facts.spiIn;
	let spiOutText = facts.spiOut;
	if (facts.spis !== undefined) {
		const parts = facts.spis.split(':');
		if (parts.length !== 2) return undefined;
		[spiInText, spiOutText] = parts;
	}
	const spiIn = normaliseSpi(spiInText);
	const spiOut = normaliseSpi(spiOutText);
	if (
		(spiInText !== undefined && spiIn === undefined) ||
		(spiOutText !== undefined && spiOut === undefined)
	) {
		return undefined;
	}
	const expiresText = facts.expires?.trim();
	const expiresInSeconds = parseDuration(expiresText);
	if (expiresText !== undefined && expiresText !== '-' && expiresInSeconds === undefined) return undefined;

	let state: IpsecState | undefined;
	if (facts.state !== undefined) {
		state = ipsecStateOf(facts.state);
		if (state === undefined) return undefined;
	} else if (spiIn !== undefined || spiOut !== undefined) {
		state =
			spiIn === undefined || isZeroHex(spiIn) || spiOut === undefined || isZeroHex(spiOut) ? 'down' : 'up';
	} else return undefined;

	const sa: IpsecSa =
		facts.tunnel === undefined
			? { peer: peer.address, state }
			: { peer: peer.address, tunnel: facts.tunnel, state };
	if (spiIn !== undefined && !isZeroHex(spiIn)) sa.spiIn = spiIn;
	if (spiOut !== undefined && !isZeroHex(spiOut)) sa.spiOut = spiOut;
	const encryption = normaliseEncryption(facts.encryption);
	if (encryption !== undefined) sa.encryption = encryption;
	const integrity = normaliseIntegrity(facts.integrity);
	if (integrity !== undefined) sa.integrity = integrity;
	if (expiresInSeconds !== undefined) sa.expiresInSeconds = expiresInSeconds;
	const bytesIn = parseInteger(facts.bytesIn) ?? counter(facts.input, 'bytes');
	const bytesOut = parseInteger(facts.bytesOut) ?? counter(facts.output, 'bytes');
	const packetsIn = parseInteger(facts.packetsIn) ?? counter(facts.input, 'packets');
	const packetsOut = parseInteger(facts.packetsOut) ?? counter(facts.output, 'packets');
	if (bytesIn !== undefined) sa.bytesIn = bytesIn;
	if (bytesOut !== undefined) sa.bytesOut = bytesOut;
	if (packetsIn !== undefined) sa.packetsIn = packetsIn;
	if (packetsOut !== undefined) sa.packetsOut = packetsOut;
	return sa;
}

const DETAIL_KEYS: Record<string, IpsecColumn> = {
	peer: 'peer',
	'remote address': 'peer',
	remote: 'peer',
	interface: 'tunnel',
	tunnel: 'tunnel',
	spi: 'spis',
	spis: 'spis',
	'inbound spi': 'spiIn',
	'spi in': 'spiIn',
	'outbound spi': 'spiOut',
	'spi out': 'spiOut',
	state: 'state',
	status: 'state',
	expires: 'expires',
	'expires in': 'expires',
	lifetime: 'expires',
	remaining: 'expires',
	encryption: 'encryption',
	'encryption algorithm': 'encryption',
	cipher: 'encryption',
	integrity: 'integrity',
	'integrity algorithm': 'integrity',
	hash: 'integrity',
	input: 'input',
	inbound: 'input',
	output: 'output',
	outbound: 'output',
	'bytes in': 'bytesIn',
	'bytes out': 'bytesOut',
	'packets in': 'packetsIn',
	'packets out': 'packetsOut',
	mode: 'ignored',
	proto: 'ignored',
	protocol: 'ignored',
	'nat-t': 'ignored',
	'nat traversal': 'ignored',
	pfs: 'ignored',
	profile: 'ignored',
	local: 'ignored',
	'local address': 'ignored',
	selectors: 'ignored',
	'local selector': 'ignored',
	'remote selector': 'ignored',
};

export function parseIpsecSa(output: string): ParseResult {
	const { sas, unparsed } = readSaTable<IpsecColumn, IpsecSa>(output, {
		defaultColumns: DEFAULT_COLUMNS,
		columnOf,
		isHeader,
		startsRow,
		detailKeys: DETAIL_KEYS,
		toSa: ipsecSaOf,
	});
	return { ipsec: sas, unparsed };
}
