import type { ApplianceTunnelDesign, AwsVpnDesign } from '../design/model.js';
import type {
	AwsTunnelTelemetry,
	BgpNeighbor,
	BgpState,
	IkeSa,
	IkeState,
	IpsecSa,
	StatusSnapshot,
} from '../router/model.js';
import { withInterfaceCounters } from './interface-counters.js';

/**
 * One row per tunnel: the IKE SA, the IPsec SA(s), the BGP neighbour and AWS's telemetry for the
 * same tunnel, joined by the peer's outside address. Never by position: AWS does not keep the
 * order of a VPN connection's tunnels stable, and routers list SAs in whatever order they like.
 */

/** What the design knows about one tunnel the router should have. */
export type ExpectedTunnel = {
	name: string;
	/** The far end's outside (public) address: the key of the tunnel. */
	peerOutsideIp: string;
	/** AWS's inside address (169.254.x.y): the BGP neighbour the router should have. */
	awsInsideIp?: string;
	/** The router's own inside address on this tunnel. */
	customerInsideIp?: string;
	/** The BGP neighbour address when it is not `awsInsideIp`. */
	bgpNeighbor?: string;
	/** The neighbour's ASN the design expects (AWS side). */
	remoteAs?: number;
	/** The router's own ASN the design expects. */
	localAs?: number;
	/** An AWS VPN tunnel: the connection it belongs to (its two tunnels back each other up). */
	vpnConnectionId?: string;
};

export type TunnelContext = { tunnels?: readonly ExpectedTunnel[] };

export type Phase1State = IkeState | 'missing';
export type Phase2State = 'up' | 'down' | 'missing';
/** `up`: IPsec up and BGP (when there is one) established; `partial`: IPsec up, BGP not; `down`: no IPsec. */
export type TunnelState = 'up' | 'partial' | 'down';

export type TunnelBgp = {
	neighbor: string;
	/** `missing`: the design expects this neighbour but the router does not list it. */
	state: BgpState | 'missing';
	remoteAs?: number;
	uptimeSeconds?: number;
	prefixesReceived?: number;
};

export type TunnelAws = {
	vpnConnectionId: string;
	status: 'UP' | 'DOWN';
	statusMessage?: string;
	acceptedRouteCount?: number;
	lastStatusChange?: string;
};

export type TunnelCounters = { bytesIn?: number; bytesOut?: number; packetsIn?: number; packetsOut?: number };

export type TunnelRow = {
	/** The design's name for the tunnel, when it is an expected one. */
	name?: string;
	/** The peer's outside address, normalised (no port, lower case). */
	peer: string;
	expected: boolean;
	state: TunnelState;
	phase1: Phase1State;
	ike?: IkeSa;
	phase2: Phase2State;
	/** Every IPsec SA for this peer (two while a rekey overlaps). */
	ipsec: IpsecSa[];
	/** The router's tunnel interface, when it says. */
	tunnelInterface?: string;
	/** SPIs of the newest SA that is up (or of the newest SA when none is up). */
	spiIn?: string;
	spiOut?: string;
	/** Summed over the peer's SAs; absent when the device prints no counter. */
	counters: TunnelCounters;
	bgp?: TunnelBgp;
	aws?: TunnelAws;
	/** From the design, to compare with what the router shows. */
	expectation?: ExpectedTunnel;
};

/** `198.51.100.7:4500` → `198.51.100.7`, `[2001:DB8::1]:500` → `2001:db8::1`. */
export function normalizePeer(address: string): string {
	const text = String(address).trim().toLowerCase();
	const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
	if (bracketed?.[1]) return bracketed[1];
	const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text);
	if (withPort?.[1]) return withPort[1];
	return text;
}

const ikeRank: Record<IkeState, number> = { established: 2, negotiating: 1, down: 0 };

/** While a rekey overlaps there are two SAs: the best state wins, then the one that lives longest (the newest). */
function bestIke(sas: readonly IkeSa[]): IkeSa | undefined {
	let best: IkeSa | undefined;
	for (const sa of sas) {
		if (
			!best ||
			(ikeRank[sa.state] ?? 0) > (ikeRank[best.state] ?? 0) ||
			(sa.state === best.state && (sa.expiresInSeconds ?? -1) > (best.expiresInSeconds ?? -1))
		)
			best = sa;
	}
	return best;
}

function newestIpsec(sas: readonly IpsecSa[]): IpsecSa | undefined {
	const candidates = sas.some((sa) => sa.state === 'up') ? sas.filter((sa) => sa.state === 'up') : sas;
	let best: IpsecSa | undefined;
	for (const sa of candidates) {
		if (!best || (sa.expiresInSeconds ?? -1) > (best.expiresInSeconds ?? -1)) best = sa;
	}
	return best;
}

function sumCounters(sas: readonly IpsecSa[]): TunnelCounters {
	const counters: TunnelCounters = {};
	for (const field of ['bytesIn', 'bytesOut', 'packetsIn', 'packetsOut'] as const) {
		for (const sa of sas) {
			const value = sa[field];
			if (typeof value === 'number' && Number.isFinite(value))
				counters[field] = (counters[field] ?? 0) + value;
		}
	}
	return counters;
}

/** Snapshots arrive as JSON too (`monitor --once --json`, bundles): a section that is not a list is empty. */
export function listOf<T>(items: readonly T[] | undefined): readonly T[] {
	return Array.isArray(items) ? items.filter((item) => item !== null && typeof item === 'object') : [];
}

function groupBy<T>(items: readonly T[] | undefined, key: (item: T) => string): Map<string, T[]> {
	const groups = new Map<string, T[]>();
	for (const item of listOf(items)) {
		const name = key(item);
		const group = groups.get(name);
		if (group) group.push(item);
		else groups.set(name, [item]);
	}
	return groups;
}

/**
 * A neighbour belongs to the tunnel whose inside addresses it uses. Only an explicit `bgpNeighbor`
 * makes a missing neighbour worth a row entry: with static routing there is no BGP to miss.
 */
function neighborCandidates(tunnel: ExpectedTunnel): string[] {
	return [tunnel.bgpNeighbor, tunnel.awsInsideIp]
		.filter((address): address is string => typeof address === 'string')
		.map(normalizePeer);
}

function tunnelState(phase1: Phase1State, phase2: Phase2State, bgp: TunnelBgp | undefined): TunnelState {
	if (phase1 !== 'established' || phase2 !== 'up') return 'down';
	if (bgp && bgp.state !== 'established') return 'partial';
	return 'up';
}

const byAddress = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

const tunnelKey = (name: string) => String(name).trim().toLowerCase();

/**
 * Some outputs name the tunnel and not the peer: Yamaha RTX `show status tunnel` gives each tunnel
 * interface's state and counters with an empty `peer` and `tunnel: 'TUNNEL[1]'`. Such an entry joins
 * the peer whose IPsec SAs name the same tunnel (`show ipsec sa` prints `tun[0001]esp` beside the
 * peer), by that name only, never by position. One that no peer's SA names, or that two peers' SAs
 * name, stays without a peer.
 */
function foldPeerlessByTunnel(sas: readonly IpsecSa[]): readonly IpsecSa[] {
	const peersByTunnel = new Map<string, Set<string>>();
	for (const sa of sas) {
		const peer = normalizePeer(sa.peer ?? '');
		if (peer === '' || typeof sa.tunnel !== 'string' || sa.tunnel.trim() === '') continue;
		const key = tunnelKey(sa.tunnel);
		const peers = peersByTunnel.get(key) ?? new Set<string>();
		peers.add(peer);
		peersByTunnel.set(key, peers);
	}
	if (peersByTunnel.size === 0) return sas;
	return sas.map((sa) => {
		if (normalizePeer(sa.peer ?? '') !== '' || typeof sa.tunnel !== 'string') return sa;
		const peers = peersByTunnel.get(tunnelKey(sa.tunnel));
		if (peers?.size !== 1) return sa;
		const [peer] = peers;
		return { ...sa, peer: peer! };
	});
}

export function joinTunnels(snapshot: StatusSnapshot, context: TunnelContext = {}): TunnelRow[] {
	const ikeByPeer = groupBy(snapshot.ike, (sa) => normalizePeer(sa.peer));
	const ipsecByPeer = groupBy(foldPeerlessByTunnel(listOf(snapshot.ipsec)), (sa) => normalizePeer(sa.peer));
	const awsByPeer = groupBy(snapshot.aws, (tunnel) => normalizePeer(tunnel.outsideIp));
	const bgpByNeighbor = new Map<string, BgpNeighbor>();
	for (const neighbor of listOf(snapshot.bgp)) {
		const address = normalizePeer(neighbor.neighbor);
		if (!bgpByNeighbor.has(address)) bgpByNeighbor.set(address, neighbor);
	}

	const expected = new Map<string, ExpectedTunnel>();
	for (const tunnel of listOf(context.tunnels)) {
		const peer = normalizePeer(tunnel.peerOutsideIp);
		if (!expected.has(peer)) expected.set(peer, tunnel);
	}
	const seen = new Set([...ikeByPeer.keys(), ...ipsecByPeer.keys(), ...awsByPeer.keys()]);
	const peers = [...expected.keys(), ...[...seen].filter((peer) => !expected.has(peer)).sort(byAddress)];

	return peers.map((peer) => {
		const expectation = expected.get(peer);
		const ike = bestIke(ikeByPeer.get(peer) ?? []);
		const ipsec = ipsecByPeer.get(peer) ?? [];
		const newest = newestIpsec(ipsec);
		const phase1: Phase1State = ike ? ike.state : 'missing';
		const phase2: Phase2State =
			ipsec.length === 0 ? 'missing' : ipsec.some((sa) => sa.state === 'up') ? 'up' : 'down';
		const candidates = expectation ? neighborCandidates(expectation) : [];
		const neighborAddress = candidates.find((address) => bgpByNeighbor.has(address));
		const neighbor = neighborAddress ? bgpByNeighbor.get(neighborAddress) : undefined;
		const required =
			expectation?.bgpNeighbor !== undefined ? normalizePeer(expectation.bgpNeighbor) : undefined;
		const bgp: TunnelBgp | undefined = neighbor
			? {
					neighbor: normalizePeer(neighbor.neighbor),
					state: neighbor.state,
					...(neighbor.remoteAs !== undefined ? { remoteAs: neighbor.remoteAs } : {}),
					...(neighbor.uptimeSeconds !== undefined ? { uptimeSeconds: neighbor.uptimeSeconds } : {}),
					...(neighbor.prefixesReceived !== undefined ? { prefixesReceived: neighbor.prefixesReceived } : {}),
				}
			: required
				? { neighbor: required, state: 'missing' }
				: undefined;
		const telemetry: AwsTunnelTelemetry | undefined = awsByPeer.get(peer)?.[0];
		const aws: TunnelAws | undefined = telemetry
			? {
					vpnConnectionId: telemetry.vpnConnectionId,
					status: telemetry.status,
					...(telemetry.statusMessage !== undefined ? { statusMessage: telemetry.statusMessage } : {}),
					...(telemetry.acceptedRouteCount !== undefined
						? { acceptedRouteCount: telemetry.acceptedRouteCount }
						: {}),
					...(telemetry.lastStatusChange !== undefined
						? { lastStatusChange: telemetry.lastStatusChange }
						: {}),
				}
			: undefined;
		const tunnelInterface = newest?.tunnel ?? ipsec.find((sa) => sa.tunnel)?.tunnel;
		const row: TunnelRow = {
			peer,
			expected: expectation !== undefined,
			state: tunnelState(phase1, phase2, bgp),
			phase1,
			phase2,
			ipsec,
			counters: sumCounters(ipsec),
		};
		if (expectation) {
			row.name = expectation.name;
			row.expectation = expectation;
		}
		if (ike) row.ike = ike;
		if (tunnelInterface) row.tunnelInterface = tunnelInterface;
		if (newest?.spiIn) row.spiIn = newest.spiIn;
		if (newest?.spiOut) row.spiOut = newest.spiOut;
		if (bgp) row.bgp = bgp;
		if (aws) row.aws = aws;
		// SAs without counters (AW+): the tunnel interface's, by the name the SAs give or by destination
		return withInterfaceCounters(row, snapshot.interfaces);
	});
}

/** BGP neighbours no row claims (no design to map them by inside address): the panel lists them apart. */
export function unmatchedBgpNeighbors(snapshot: StatusSnapshot, rows: readonly TunnelRow[]): BgpNeighbor[] {
	const claimed = new Set(rows.flatMap((row) => (row.bgp ? [row.bgp.neighbor] : [])));
	return listOf(snapshot.bgp).filter((neighbor) => !claimed.has(normalizePeer(neighbor.neighbor)));
}

/** Which end of an appliance tunnel is being polled: the AMF Cloud appliance, or the site router. */
export type ApplianceSide = 'appliance' | 'router';

/**
 * The tunnels a router should have according to the design. For an AWS VPN: both tunnels, keyed by
 * AWS's outside address, with the BGP neighbour (AWS's inside address) when the routing is BGP. For
 * the appliance's own VPN: the one tunnel, whose peer depends on which end is polled.
 */
export function tunnelContextFromDesign(
	design: ApplianceTunnelDesign | AwsVpnDesign,
	side: ApplianceSide = 'router',
): TunnelContext {
	if (design.kind === 'aws-vpn') {
		return {
			tunnels: design.tunnels.map((tunnel, index) => ({
				name: `tunnel${index + 1}`,
				peerOutsideIp: tunnel.awsOutsideIp,
				awsInsideIp: tunnel.awsInsideIp,
				customerInsideIp: tunnel.customerInsideIp,
				...(design.vpnConnectionId ? { vpnConnectionId: design.vpnConnectionId } : {}),
				...(design.routing === 'bgp'
					? { bgpNeighbor: tunnel.awsInsideIp, remoteAs: design.awsAsn, localAs: design.customer.asn }
					: {}),
			})),
		};
	}
	const far = side === 'appliance' ? design.router : design.appliance;
	return {
		tunnels: [
			{
				name: side === 'appliance' ? design.peerName : design.applianceName,
				peerOutsideIp: far.publicIp,
			},
		],
	};
}

/**
 * One joined tunnel in `monitor --once --json` (the snapshot's `tunnels`, an extension of the contract's
 * status snapshot): what the panel shows on one row, for scripts. No SAs' details (they are in `ipsec`).
 */
export type TunnelSummary = {
	name?: string;
	peer: string;
	expected: boolean;
	state: TunnelState;
	phase1: Phase1State;
	phase2: Phase2State;
	tunnelInterface?: string;
	bgp?: TunnelBgp;
	aws?: TunnelAws;
	/** What the design or AWS expects on this tunnel (inside addresses, ASNs), when known. */
	expect?: {
		bgpNeighbor?: string;
		remoteAs?: number;
		localAs?: number;
		customerInsideIp?: string;
		vpnConnectionId?: string;
	};
};

export function summarizeTunnels(rows: readonly TunnelRow[]): TunnelSummary[] {
	return rows.map((row) => {
		const summary: TunnelSummary = {
			...(row.name !== undefined ? { name: row.name } : {}),
			peer: row.peer,
			expected: row.expected,
			state: row.state,
			phase1: row.phase1,
			phase2: row.phase2,
			...(row.tunnelInterface ? { tunnelInterface: row.tunnelInterface } : {}),
			...(row.bgp ? { bgp: row.bgp } : {}),
			...(row.aws ? { aws: row.aws } : {}),
		};
		const e = row.expectation;
		if (e) {
			const neighbor = e.bgpNeighbor;
			const expect = {
				...(neighbor !== undefined ? { bgpNeighbor: neighbor } : {}),
				...(e.remoteAs !== undefined ? { remoteAs: e.remoteAs } : {}),
				...(e.localAs !== undefined ? { localAs: e.localAs } : {}),
				...(e.customerInsideIp !== undefined ? { customerInsideIp: e.customerInsideIp } : {}),
				...(e.vpnConnectionId !== undefined ? { vpnConnectionId: e.vpnConnectionId } : {}),
			};
			if (Object.keys(expect).length > 0) summary.expect = expect;
		}
		return summary;
	});
}
