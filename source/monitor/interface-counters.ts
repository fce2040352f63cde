import type { RouterInterface } from '../router/model.js';
import { listOf, normalizePeer, type TunnelCounters, type TunnelRow } from './tunnels.js';

/**
 * Traffic counters for tunnel rows whose IPsec SAs carry none. AW+ `show ipsec sa` prints no counters;
 * AW+ keeps them on the tunnel interface (`show interface`, the snapshot's `interfaces`). A row takes
 * the counters of the interface its SAs name (`IpsecSa.tunnel` equal to the interface's name, case and
 * spaces aside); when no SA names one, of the one interface whose tunnel destination is the row's peer
 * (the outside address the row is keyed by). Never by position: an SA naming an interface that is not
 * listed, two interfaces with the same name or destination, or none, give nothing. Counters from an
 * interface replace nothing the SAs printed: a row with any SA counter keeps its own.
 */

const FIELDS = ['bytesIn', 'bytesOut', 'packetsIn', 'packetsOut'] as const;

const isCount = (value: unknown): value is number =>
	typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const nameKey = (name: string) => String(name).trim().toLowerCase();

function hasCounters(counters: TunnelCounters): boolean {
	return FIELDS.some((field) => isCount(counters[field]));
}

/** The one entry `matches` picks, or undefined when none or several do. */
function onlyOne(
	interfaces: readonly RouterInterface[],
	matches: (entry: RouterInterface) => boolean,
): RouterInterface | undefined {
	let found: RouterInterface | undefined;
	for (const entry of interfaces) {
		if (!matches(entry)) continue;
		if (found) return undefined;
		found = entry;
	}
	return found;
}

/** The tunnel interface of a row: by the name its SAs give, else by destination = peer. */
export function tunnelInterfaceOf(
	row: Pick<TunnelRow, 'peer' | 'ipsec' | 'tunnelInterface'>,
	interfaces: readonly RouterInterface[] | undefined,
): RouterInterface | undefined {
	const entries = listOf(interfaces).filter((entry) => typeof entry.name === 'string' && entry.name !== '');
	if (entries.length === 0) return undefined;
	const named = [row.tunnelInterface, ...listOf(row.ipsec).map((sa) => sa.tunnel)].find(
		(name): name is string => typeof name === 'string' && name.trim() !== '',
	);
	if (named !== undefined) return onlyOne(entries, (entry) => nameKey(entry.name) === nameKey(named));
	const peer = normalizePeer(row.peer ?? '');
	if (peer === '') return undefined;
	return onlyOne(
		entries,
		(entry) => typeof entry.destination === 'string' && normalizePeer(entry.destination) === peer,
	);
}

/** Pure: the counters a row should carry, and the interface they came from (undefined: keep the row's). */
export function interfaceCountersFor(
	row: Pick<TunnelRow, 'peer' | 'ipsec' | 'tunnelInterface' | 'counters'>,
	interfaces: readonly RouterInterface[] | undefined,
): { interface: string; counters: TunnelCounters } | undefined {
	if (hasCounters(row.counters ?? {})) return undefined;
	const entry = tunnelInterfaceOf(row, interfaces);
	if (!entry) return undefined;
	const counters: TunnelCounters = {};
	for (const field of FIELDS) {
		const value = entry[field];
		if (isCount(value)) counters[field] = value;
	}
	return hasCounters(counters) ? { interface: entry.name, counters } : undefined;
}

/** The row with its interface's counters (and the interface's name when the SAs gave none). */
export function withInterfaceCounters(
	row: TunnelRow,
	interfaces: readonly RouterInterface[] | undefined,
): TunnelRow {
	const found = interfaceCountersFor(row, interfaces);
	if (!found) return row;
	return { ...row, counters: found.counters, tunnelInterface: row.tunnelInterface ?? found.interface };
}
