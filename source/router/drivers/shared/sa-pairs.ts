/**
 * Routers list IPsec SAs per direction (Cisco `inbound esp sas:` / `outbound esp sas:`, NEC IX
 * `Inbound:` / `Outbound:`, Yamaha `send` / `receive`, Junos `<` / `>`); the status model has one
 * entry per SA pair. Pairs are made newest with newest (see newestFirst). While a rekey overlaps, a
 * direction can hold one SA more than the other: that leftover is still a live SA, so it is `up` when
 * the tunnel has at least one complete pair, and `down` when the tunnel has no complete pair at all.
 */
import type { IpsecSa } from '../../model.js';

export type DirectionalSa = {
	spi?: string;
	encryption?: string;
	integrity?: string;
	expiresInSeconds?: number;
	/** False when the device marks this SA as not usable (e.g. Cisco `Status: STANDBY`). */
	active?: boolean;
};

export type TunnelIdentity = { peer: string; tunnel?: string };

function minimum(a: number | undefined, b: number | undefined): number | undefined {
	if (a === undefined) return b;
	if (b === undefined) return a;
	return Math.min(a, b);
}

/** Plain assignments, not an object spread: V8 copies spread objects on a slow path (~100× slower here). */
function entryOf(identity: TunnelIdentity, state: IpsecSa['state']): IpsecSa {
	const sa: IpsecSa = { peer: identity.peer, state };
	if (identity.tunnel !== undefined) sa.tunnel = identity.tunnel;
	return sa;
}

/**
 * When every SA of a direction prints its time left, the newest (longest-lived) comes first, so that
 * while a rekey overlaps the new inbound SA pairs with the new outbound one whatever order the device
 * listed them in. Stable: equal lifetimes keep the device's order.
 */
function newestFirst(sas: readonly DirectionalSa[]): readonly DirectionalSa[] {
	if (sas.length < 2 || sas.some((sa) => sa.expiresInSeconds === undefined)) return sas;
	return [...sas].sort((a, b) => b.expiresInSeconds! - a.expiresInSeconds!);
}

/** One entry per pair (index i of each direction), or a single `down` entry when there is no SA. */
export function pairSas(
	identity: TunnelIdentity,
	inbound: readonly DirectionalSa[],
	outbound: readonly DirectionalSa[],
): IpsecSa[] {
	inbound = newestFirst(inbound);
	outbound = newestFirst(outbound);
	const count = Math.max(inbound.length, outbound.length);
	if (count === 0) return [entryOf(identity, 'down')];
	const hasCompletePair = Math.min(inbound.length, outbound.length) > 0;
	const entries: IpsecSa[] = [];
	for (let index = 0; index < count; index += 1) {
		const incoming = inbound[index];
		const outgoing = outbound[index];
		const complete = incoming !== undefined && outgoing !== undefined;
		const usable = incoming?.active !== false && outgoing?.active !== false;
		const up = usable && (complete || hasCompletePair);
		const sa = entryOf(identity, up ? 'up' : 'down');
		if (incoming?.spi !== undefined) sa.spiIn = incoming.spi;
		if (outgoing?.spi !== undefined) sa.spiOut = outgoing.spi;
		const encryption = outgoing?.encryption ?? incoming?.encryption;
		if (encryption !== undefined) sa.encryption = encryption;
		const integrity = outgoing?.integrity ?? incoming?.integrity;
		if (integrity !== undefined) sa.integrity = integrity;
		const expires = minimum(incoming?.expiresInSeconds, outgoing?.expiresInSeconds);
		if (expires !== undefined) sa.expiresInSeconds = expires;
		entries.push(sa);
	}
	return entries;
}
