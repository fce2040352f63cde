/**
 * `show security ipsec security-associations` on Junos → `ipsec`.
 *
 * Layout (AWS VPN guide, jcostom/junos-bits labs, cSRX/MX write-ups; NOTES.md):
 *   `Total active tunnels: N[     Total Ipsec|IPsec sas: N]`
 *   current: `ID  Algorithm  SPI  Life:sec/kb  Mon lsys Port  Gateway`
 *   older:   `ID  Gateway  Port  Algorithm  SPI  Life:sec/kb  Mon vsys`
 *   rows `<131073 ESP:aes-cbc-256/sha1 62bdd781 20842/ unlim - root 4500 203.0.113.7`, `<` inbound and
 *   `>` outbound; 9-digit IDs overflow the ID column, so rows are split on whitespace and `3429/ unlim`
 *   (a space inside) is rejoined as one cell; SPIs are bare hex or `0x`-prefixed (newer releases).
 * Column order from the header (current order when none is seen). One entry per `<`/`>` pair of the same
 * ID, `tunnel` being that ID. Mon `D` (VPN monitoring says down) = down. No counters in this view.
 */
import type { IpsecSa, ParseResult } from '../../model.js';
import { tokensOf } from '../shared/clean-output.js';
import {
	isIpAddress,
	memoised,
	normaliseEncryption,
	normaliseIntegrity,
	normaliseSpi,
	ownValue,
	parseInteger,
} from '../shared/field-values.js';
import { type DirectionalSa, pairSas } from '../shared/sa-pairs.js';
import { junosLines } from './junos-output.js';

type Column = 'id' | 'algorithm' | 'spi' | 'life' | 'mon' | 'system' | 'port' | 'gateway';
const CURRENT_ORDER: Column[] = ['id', 'algorithm', 'spi', 'life', 'mon', 'system', 'port', 'gateway'];
const HEADER_CELLS: Record<string, Column> = {
	id: 'id',
	algorithm: 'algorithm',
	spi: 'spi',
	'life:sec/kb': 'life',
	mon: 'mon',
	lsys: 'system',
	vsys: 'system',
	port: 'port',
	gateway: 'gateway',
};

/** Where each column is, by position in the row. */
type Layout = { width: number; at: Record<Column, number> };

function layoutOf(order: readonly Column[]): Layout {
	const at = {} as Record<Column, number>;
	order.forEach((column, position) => {
		at[column] = position;
	});
	return { width: order.length, at };
}

function headerLayout(line: string): Layout | undefined {
	if (!/^ID\s/i.test(line)) return undefined;
	const cells = tokensOf(line).map((token) => ownValue(HEADER_CELLS, token.toLowerCase()));
	if (cells[0] !== 'id' || cells.length < 6 || cells.some((cell) => cell === undefined)) return undefined;
	const order = cells as Column[];
	return new Set(order).size === CURRENT_ORDER.length && order.length === CURRENT_ORDER.length
		? layoutOf(order)
		: undefined;
}

/** `3429/ unlim` or `326/ 4608000` was split in two: put it back as one cell. */
function rowCells(line: string): string[] {
	const cells: string[] = [];
	for (const token of tokensOf(line)) {
		const previous = cells.length - 1;
		if (previous >= 0 && /^\d+\/$/.test(cells[previous]!)) cells[previous] += token;
		else cells.push(token);
	}
	return cells;
}

/** `ESP:aes-cbc-256/sha256`, `ESP:aes-gcm-256/aes256-gcm`, `ESP:3des/sha1`. */
const algorithmsOf = memoised(readAlgorithms);

function readAlgorithms(text: string): { encryption?: string; integrity?: string } | undefined {
	const match = /^ESP:([\w-]+)\/([\w-]+)$/i.exec(text);
	if (!match) return undefined;
	const result: { encryption?: string; integrity?: string } = {};
	const encryption = normaliseEncryption(match[1]);
	if (encryption !== undefined) result.encryption = encryption;
	if (!/gcm|none/i.test(match[2]!)) {
		const integrity = normaliseIntegrity(match[2]);
		if (integrity !== undefined) result.integrity = integrity;
	}
	return result;
}

type Row = { direction: 'in' | 'out'; id: string; gateway: string; sa: DirectionalSa };

function rowOf(line: string, layout: Layout): Row | undefined {
	const cells = rowCells(line);
	if (cells.length !== layout.width) return undefined;
	const { at } = layout;
	const id = /^([<>])(\d+)$/.exec(cells[at.id]!);
	const spi = normaliseSpi(cells[at.spi]);
	const life = /^(\d+)\/(?:unlim|\d+)$/i.exec(cells[at.life]!);
	const algorithms = algorithmsOf(cells[at.algorithm]!);
	const gateway = cells[at.gateway]!;
	if (!id || spi === undefined || !life || !algorithms || !isIpAddress(gateway)) return undefined;
	if (parseInteger(cells[at.port]) === undefined) return undefined;
	const sa: DirectionalSa = { spi };
	if (algorithms.encryption !== undefined) sa.encryption = algorithms.encryption;
	if (algorithms.integrity !== undefined) sa.integrity = algorithms.integrity;
	const seconds = parseInteger(life[1]);
	if (seconds !== undefined) sa.expiresInSeconds = seconds;
	if (cells[at.mon]!.toUpperCase() === 'D') sa.active = false;
	return { direction: id[1] === '<' ? 'in' : 'out', id: id[2]!, gateway, sa };
}

export function parseIpsecSa(output: string): ParseResult {
	const unparsed: string[] = [];
	const tunnels = new Map<string, { gateway: string; inbound: DirectionalSa[]; outbound: DirectionalSa[] }>();
	let layout = layoutOf(CURRENT_ORDER);
	for (const line of junosLines(output)) {
		const trimmed = line.trim();
		if (trimmed === '' || /^Total active tunnels:\s*\d+(?:\s+Total IPsec sas:\s*\d+)?$/i.test(trimmed))
			continue;
		const header = headerLayout(trimmed);
		if (header) {
			layout = header;
			continue;
		}
		const row = rowOf(trimmed, layout);
		if (!row) {
			unparsed.push(line);
			continue;
		}
		const key = `${row.id} ${row.gateway}`;
		const tunnel = tunnels.get(key) ?? { gateway: row.gateway, inbound: [], outbound: [] };
		tunnels.set(key, tunnel);
		(row.direction === 'in' ? tunnel.inbound : tunnel.outbound).push(row.sa);
	}
	const ipsec: IpsecSa[] = [];
	for (const [key, tunnel] of tunnels) {
		const id = key.slice(0, key.indexOf(' '));
		ipsec.push(...pairSas({ peer: tunnel.gateway, tunnel: id }, tunnel.inbound, tunnel.outbound));
	}
	return { ipsec, unparsed };
}
