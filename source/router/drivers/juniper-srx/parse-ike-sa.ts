/**
 * `show security ike security-associations` on Junos (SRX, vSRX, cSRX, MX inline IPsec) → `ike`.
 *
 * Layout (AWS VPN guide, jcostom/junos-bits labs, cSRX/MX write-ups; NOTES.md):
 *   current: `Index  State  Initiator cookie  Responder cookie  Mode  Remote Address`
 *   older:   `Index  Remote Address  State  Initiator cookie  Responder cookie  Mode`
 * The column order is read from the header (the current order when none is seen); each row has one
 * token per column. State UP = established; DOWN = negotiating while the responder cookie is still
 * zero, else down. Mode `IKEv2` = version 2, `Main` / `Aggressive` = version 1. No algorithms or
 * lifetimes in this view (they are in `… detail`).
 */
import type { IkeSa, IkeState, ParseResult } from '../../model.js';
import { tokensOf } from '../shared/clean-output.js';
import { isCookie, isIpAddress, isZeroHex, parseInteger } from '../shared/field-values.js';
import { junosLines } from './junos-output.js';

type Column = 'index' | 'state' | 'initiator' | 'responder' | 'mode' | 'remote';
const CURRENT_ORDER: Column[] = ['index', 'state', 'initiator', 'responder', 'mode', 'remote'];
const HEADER_NAMES: [Column, RegExp][] = [
	['index', /\bIndex\b/i],
	['state', /\bState\b/i],
	['initiator', /\bInitiator cookie\b/i],
	['responder', /\bResponder cookie\b/i],
	['mode', /\bMode\b/i],
	['remote', /\bRemote Address\b/i],
];

function headerOrder(line: string): Column[] | undefined {
	if (!/^\s*Index\s/i.test(line)) return undefined;
	const found = HEADER_NAMES.map(([column, pattern]) => ({ column, at: pattern.exec(line)?.index ?? -1 }));
	if (found.some(({ at }) => at < 0)) return undefined;
	return found.sort((a, b) => a.at - b.at).map(({ column }) => column);
}

function saOf(tokens: string[], order: Column[]): IkeSa | undefined {
	if (tokens.length !== order.length) return undefined;
	const cell = (column: Column) => tokens[order.indexOf(column)]!;
	const remote = cell('remote');
	const initiator = cell('initiator');
	const responder = cell('responder');
	if (parseInteger(cell('index')) === undefined || !isIpAddress(remote)) return undefined;
	if (!isCookie(initiator) || !isCookie(responder)) return undefined;
	const stateWord = cell('state').toUpperCase();
	let state: IkeState;
	if (stateWord === 'UP') state = 'established';
	else if (stateWord === 'DOWN') state = isZeroHex(responder) ? 'negotiating' : 'down';
	else return undefined;
	const sa: IkeSa = { peer: remote, state };
	const mode = cell('mode').toLowerCase();
	if (mode === 'ikev2') sa.version = 2;
	else if (mode === 'main' || mode === 'aggressive') sa.version = 1;
	return sa;
}

export function parseIkeSa(output: string): ParseResult {
	const ike: IkeSa[] = [];
	const unparsed: string[] = [];
	let order = CURRENT_ORDER;
	for (const line of junosLines(output)) {
		if (line.trim() === '') continue;
		const header = headerOrder(line);
		if (header) {
			order = header;
			continue;
		}
		const sa = saOf(tokensOf(line), order);
		if (sa) ike.push(sa);
		else unparsed.push(line);
	}
	return { ike, unparsed };
}
