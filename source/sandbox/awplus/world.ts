/**
 * The sandbox's simulated network: every simulated AW+ router (name, public address as seen from the
 * internet, address of its outside interface, running config), and which IPsec tunnels between them
 * are up. State follows the configuration honestly (install-guide sections 5a and 6):
 *
 * - A tunnel end is `interface tunnelN` with `tunnel mode ipsec ipv4|ipv6` or `tunnel mode l2tp v3`,
 *   `tunnel protection ipsec` and a `tunnel destination`. Its peer is the router whose public address
 *   is that destination, and that router needs an end of the same mode pointing back at our public
 *   address — so the appliance behind AWS's 1:1 NAT points at the user router's public address, and
 *   the user router points at the appliance's public (elastic) address.
 * - Each side identifies itself by `tunnel local name` if set, else by the address of its outside
 *   interface (behind NAT: the private one, which the peer does not expect). Each side expects the peer
 *   to be `tunnel remote name` if set, else the destination address. Pre-shared keys are looked up by
 *   `crypto isakmp key K hostname H` for a named peer, `… address A` for an address; both must exist
 *   and be equal. IKE versions (`crypto isakmp peer … profile P` + `version N`, default 2) must agree.
 *   L2TPv3 ends must mirror `tunnel local id` / `tunnel remote id`.
 * - UDP 500 must pass both ways (the `canReach` callback: security groups), and UDP 4500 too when
 *   either side is behind NAT (NAT-T).
 * - A tunnel dropped with `dropTunnel` stays down until `restoreTunnel`.
 * A tunnel that becomes possible spends `negotiationMs` with phase 1 up and no phase 2, then is up.
 * SAs then count down from their lifetimes and rekey with new cookies/SPIs; traffic counters grow
 * with time. Everything is computed from the clock and from when a link became possible, which the
 * world notes at every change it is told about (config, reachability, drop/restore) — so call
 * `setReachability` again when the answers of the rule change.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { BgpState } from '../../router/model.js';
import { type RouterFacts, readRouterFacts, type TunnelConfig } from './config-facts.js';
import { RunningConfig } from './running-config.js';

export type CanReach = (fromPublicIp: string, toRouterName: string, protocol: 'udp', port: number) => boolean;

export type SandboxRouterSpec = {
	/** Identity in the world (and of the SSH server started for it). */
	name: string;
	/** The address the internet sees (an EC2 instance's public/elastic IP; a user router's ppp0 address). */
	publicIp: string;
	/** The address of its outside interface as the router sees it; differs behind 1:1 NAT. Default: publicIp. */
	privateIp?: string;
	/** Initial running config as AW+ text (children indented), e.g. the config generators' output. */
	config?: string | readonly string[];
	/** The saved (startup) configuration, when it differs from the running one. Default: the running config. */
	startupConfig?: string | readonly string[];
	/**
	 * IKE versions this router accepts from whichever peer initiates (an AWS tunnel endpoint takes both
	 * unless restricted). Unset: the version of its own profile, which the peer must match.
	 */
	acceptsIkeVersions?: readonly (1 | 2)[];
};

export type SimRouter = {
	readonly name: string;
	readonly publicIp: string;
	readonly privateIp: string;
	config: RunningConfig;
	startupConfig: RunningConfig;
	readonly bootedAt: number;
	readonly acceptsIkeVersions?: readonly (1 | 2)[];
};

export type TunnelState = 'up' | 'negotiating' | 'down';

/** One tunnel interface on one router, as the world sees it. */
export type TunnelStatus = {
	router: string;
	tunnel: string;
	/** The configured `tunnel destination`. */
	peerAddress?: string;
	peerRouter?: string;
	peerTunnel?: string;
	state: TunnelState;
	/** Why it is in that state, in one sentence. */
	reason: string;
	natTraversal: boolean;
	/** For `tunnel mode l2tp v3`: whether the L2TPv3 session (ids mirrored) is up over the IPsec SA. */
	l2tpv3?: 'up' | 'down';
};

export type SimIkeSa = {
	tunnel: string;
	peer: string;
	local: string;
	localId: string;
	remoteId: string;
	initiatorCookie: string;
	responderCookie: string;
	version: 1 | 2;
	state: 'established' | 'negotiating';
	expiresInSeconds?: number;
	natTraversal: boolean;
	encryption: string;
	integrity: string;
	dhGroup: number;
};

export type SimIpsecSa = {
	tunnel: string;
	peer: string;
	spiIn: string;
	spiOut: string;
	mode: 'tunnel' | 'transport';
	expiresInSeconds: number;
	natTraversal: boolean;
	encryption: string;
	integrity: string;
	bytesIn: number;
	bytesOut: number;
	packetsIn: number;
	packetsOut: number;
};

export type SimBgpNeighbor = {
	neighbor: string;
	remoteAs: number;
	state: BgpState;
	/** `neighbor X shutdown`: printed as `Idle (Admin)`. */
	adminDown: boolean;
	/** Since the last change; undefined = never established. */
	upDownSeconds?: number;
	prefixesReceived?: number;
	messagesReceived: number;
	messagesSent: number;
	tableVersion: number;
};

export type SimBgpSummary = {
	routerId: string;
	asn: number;
	tableVersion: number;
	neighbors: SimBgpNeighbor[];
};

export type SimTunnelInterface = {
	tunnel: string;
	address?: string;
	source?: string;
	destination?: string;
	mode?: string;
	protectionProfile?: string;
	linkUp: boolean;
	adminUp: boolean;
	packetsIn: number;
	bytesIn: number;
	packetsOut: number;
	bytesOut: number;
	secondsSinceChange: number;
};

export type RouterStatus = {
	ike: SimIkeSa[];
	ipsec: SimIpsecSa[];
	bgp?: SimBgpSummary;
	tunnels: SimTunnelInterface[];
};

export type WorldChange = {
	reason: 'router-added' | 'router-removed' | 'config' | 'reachability' | 'drop' | 'restore' | 'negotiated';
	tunnels: TunnelStatus[];
};

export type SandboxWorldOptions = {
	/** How long a newly possible tunnel stays with phase 1 up and phase 2 missing. Default 1500 ms. */
	negotiationMs?: number;
	/** Default IKE SA lifetime when no profile sets one. Default 28800 s. */
	ikeLifetimeSeconds?: number;
	/** Default IPsec SA lifetime when no profile sets one. Default 3600 s. */
	ipsecLifetimeSeconds?: number;
	/** A new SA is made this long before the old one expires; both show meanwhile. Default 10 s. */
	rekeyMarginSeconds?: number;
	/** Milliseconds clock; tests may drive it. Default `Date.now`. */
	now?: () => number;
	canReach?: CanReach;
};

const DEFAULT_IKE = { encryption: 'AES256', integrity: 'SHA256', dhGroup: 14 };
const DEFAULT_ESP = { encryption: 'AES256', integrity: 'SHA256' };

type EndRef = { router: SimRouter; facts: RouterFacts; tunnel: TunnelConfig };

/** The outcome for one tunnel end after one evaluation. */
type EndOutcome = {
	end: EndRef;
	ike: 'none' | 'initiating' | 'authenticating' | 'up';
	peer?: EndRef;
	linkKey?: string;
	reason: string;
	natTraversal: boolean;
	l2tpv3?: 'up' | 'down';
};

type LinkMemory = { possibleSince: number; epoch: number };

function digest(...parts: (string | number)[]): Buffer {
	return createHash('sha256').update(parts.join('\u0000')).digest();
}

function hexOf(bytes: Buffer, digits: number): string {
	return bytes.toString('hex').slice(0, digits);
}

/** An SPI: 32 bits, never below 256 (reserved), as 8 hex digits. */
function spiOf(...parts: (string | number)[]): string {
	const value = (digest(...parts).readUInt32BE(0) | 0x01000000) >>> 0;
	return value.toString(16).padStart(8, '0');
}

function addressOf(cidr: string | undefined): string | undefined {
	return cidr?.split('/')[0];
}

function ipv4ToNumber(address: string): number | undefined {
	const parts = address.split('.').map(Number);
	if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255))
		return undefined;
	return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function inSubnet(address: string, cidr: string): boolean {
	const [network, lengthText] = cidr.split('/');
	const length = Number(lengthText ?? '32');
	const a = ipv4ToNumber(address);
	const n = network === undefined ? undefined : ipv4ToNumber(network);
	if (a === undefined || n === undefined || !Number.isInteger(length) || length < 0 || length > 32)
		return false;
	const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
	return (a & mask) === (n & mask);
}

/** Which generations of a periodically rekeyed SA exist `elapsed` seconds after the first began. */
export function saGenerations(
	elapsedSeconds: number,
	lifetimeSeconds: number,
	marginSeconds: number,
): { generation: number; ageSeconds: number; expiresInSeconds: number }[] {
	const margin = Math.min(Math.max(0, marginSeconds), lifetimeSeconds - 1);
	const period = Math.max(1, lifetimeSeconds - margin);
	const current = Math.floor(Math.max(0, elapsedSeconds) / period);
	const age = elapsedSeconds - current * period;
	const list = [{ generation: current, ageSeconds: age, expiresInSeconds: Math.ceil(lifetimeSeconds - age) }];
	if (current > 0 && age < margin) {
		list.unshift({
			generation: current - 1,
			ageSeconds: age + period,
			expiresInSeconds: Math.ceil(lifetimeSeconds - age - period),
		});
	}
	return list.filter((entry) => entry.expiresInSeconds > 0);
}

export class SandboxWorld extends EventEmitter<{ change: [WorldChange]; config: [string] }> {
	readonly negotiationMs: number;
	private readonly ikeLifetime: number;
	private readonly ipsecLifetime: number;
	private readonly rekeyMargin: number;
	/** The world's clock (milliseconds), as given in the options. */
	readonly now: () => number;
	private canReach: CanReach;
	private readonly routerMap = new Map<string, SimRouter>();
	private readonly dropped = new Set<string>();
	private readonly links = new Map<string, LinkMemory>();
	private readonly epochs = new Map<string, number>();
	private readonly bgpMemory = new Map<string, { established: boolean; since: number }>();
	private lastSummary = '';
	private timer: NodeJS.Timeout | undefined;
	private closed = false;

	constructor(options: SandboxWorldOptions = {}) {
		super();
		this.negotiationMs = options.negotiationMs ?? 1500;
		this.ikeLifetime = options.ikeLifetimeSeconds ?? 28_800;
		this.ipsecLifetime = options.ipsecLifetimeSeconds ?? 3600;
		this.rekeyMargin = options.rekeyMarginSeconds ?? 10;
		this.now = options.now ?? Date.now;
		this.canReach = options.canReach ?? (() => true);
	}

	addRouter(spec: SandboxRouterSpec): SimRouter {
		if (this.routerMap.has(spec.name))
			throw new Error(`A simulated router named "${spec.name}" already exists.`);
		for (const address of [spec.publicIp, spec.privateIp]) {
			if (address !== undefined && isIP(address) === 0) {
				throw new Error(`Router "${spec.name}": "${address}" is not an IP address.`);
			}
		}
		const config = spec.config === undefined ? new RunningConfig() : RunningConfig.parse(spec.config);
		if (!config.nodes.some((node) => node.line.startsWith('hostname ')))
			config.set([], `hostname ${spec.name}`);
		const router: SimRouter = {
			name: spec.name,
			publicIp: spec.publicIp,
			privateIp: spec.privateIp ?? spec.publicIp,
			config,
			startupConfig:
				spec.startupConfig === undefined ? config.clone() : RunningConfig.parse(spec.startupConfig),
			bootedAt: this.now(),
			...(spec.acceptsIkeVersions ? { acceptsIkeVersions: [...spec.acceptsIkeVersions] } : {}),
		};
		this.routerMap.set(spec.name, router);
		this.evaluate('router-added');
		return router;
	}

	removeRouter(name: string): boolean {
		const removed = this.routerMap.delete(name);
		if (removed) this.evaluate('router-removed');
		return removed;
	}

	getRouter(name: string): SimRouter | undefined {
		return this.routerMap.get(name);
	}

	routers(): SimRouter[] {
		return [...this.routerMap.values()];
	}

	/** Tells the world a router's running config changed (the CLI calls this after every config line). */
	configChanged(name: string): void {
		if (!this.routerMap.has(name)) return;
		this.evaluate('config');
		this.emit('config', name);
	}

	/** Replaces the reachability rule (the sandbox wires security groups here). */
	setReachability(canReach: CanReach | undefined): void {
		this.canReach = canReach ?? (() => true);
		this.evaluate('reachability');
	}

	/** Administratively drops the tunnel(s) of a router (all its tunnels when no interface is given). */
	dropTunnel(routerName: string, tunnelInterface?: string): void {
		this.dropped.add(`${routerName}/${tunnelInterface ?? '*'}`);
		this.evaluate('drop');
	}

	restoreTunnel(routerName: string, tunnelInterface?: string): void {
		if (tunnelInterface === undefined) {
			for (const key of [...this.dropped]) if (key.startsWith(`${routerName}/`)) this.dropped.delete(key);
		} else this.dropped.delete(`${routerName}/${tunnelInterface}`);
		this.evaluate('restore');
	}

	/** Every tunnel interface of every router, with its state and the reason for it. */
	tunnels(): TunnelStatus[] {
		return this.outcomes().map((outcome) => this.statusOf(outcome));
	}

	tunnel(routerName: string, tunnelInterface: string): TunnelStatus | undefined {
		return this.tunnels().find((status) => status.router === routerName && status.tunnel === tunnelInterface);
	}

	/** What the router's show commands display now. */
	status(routerName: string): RouterStatus {
		const router = this.routerMap.get(routerName);
		if (!router) throw new Error(`There is no simulated router named "${routerName}".`);
		const outcomes = this.outcomes();
		const mine = outcomes.filter((outcome) => outcome.end.router.name === routerName);
		const ike: SimIkeSa[] = [];
		const ipsec: SimIpsecSa[] = [];
		const nowMs = this.now();
		for (const outcome of mine) {
			ike.push(...this.ikeSasOf(outcome, nowMs));
			ipsec.push(...this.ipsecSasOf(outcome, nowMs));
		}
		const facts = readRouterFacts(router.config);
		const bgp = this.bgpOf(router, facts, outcomes, nowMs);
		return {
			ike,
			ipsec,
			...(bgp ? { bgp } : {}),
			tunnels: facts.tunnels.map((tunnel) => this.tunnelInterfaceOf(router, tunnel, mine, nowMs)),
		};
	}

	/** Stops timers. The world can still be read afterwards but emits no more events. */
	close(): void {
		this.closed = true;
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		this.removeAllListeners();
	}

	private isDropped(routerName: string, tunnel: string): boolean {
		return this.dropped.has(`${routerName}/*`) || this.dropped.has(`${routerName}/${tunnel}`);
	}

	private ends(): EndRef[] {
		const ends: EndRef[] = [];
		for (const router of this.routerMap.values()) {
			const facts = readRouterFacts(router.config);
			for (const tunnel of facts.tunnels) ends.push({ router, facts, tunnel });
		}
		return ends;
	}

	private reachable(from: SimRouter, to: SimRouter, port: number): boolean {
		try {
			return this.canReach(from.publicIp, to.name, 'udp', port) === true;
		} catch {
			return false;
		}
	}

	/**
	 * Treat every tunnel possible right now as long established: a sandbox restored from disk in a new
	 * process stands for a world that kept running meanwhile.
	 */
	settle(): void {
		this.outcomes();
		const since = this.now() - this.negotiationMs;
		for (const link of this.links.values()) link.possibleSince = Math.min(link.possibleSince, since);
		this.evaluate('negotiated');
	}

	/** Evaluates every tunnel end; remembers when links became possible. */
	private outcomes(): EndOutcome[] {
		const nowMs = this.now();
		const ends = this.ends();
		const outcomes = ends.map((end) => this.outcomeOf(end, ends));
		const possible = new Set<string>();
		for (const outcome of outcomes) {
			if (outcome.ike !== 'up' || outcome.linkKey === undefined) continue;
			possible.add(outcome.linkKey);
			if (!this.links.has(outcome.linkKey)) {
				const epoch = (this.epochs.get(outcome.linkKey) ?? 0) + 1;
				this.epochs.set(outcome.linkKey, epoch);
				this.links.set(outcome.linkKey, { possibleSince: nowMs, epoch });
			}
		}
		for (const key of [...this.links.keys()]) if (!possible.has(key)) this.links.delete(key);
		return outcomes;
	}

	private outcomeOf(end: EndRef, ends: EndRef[]): EndOutcome {
		const { router, tunnel } = end;
		const down = (reason: string): EndOutcome => ({ end, ike: 'none', reason, natTraversal: false });
		if (tunnel.shutdown) return down(`${tunnel.interface} is shut down.`);
		if (tunnel.mode === undefined) return down(`${tunnel.interface} has no tunnel mode.`);
		if (tunnel.mode === 'gre')
			return down(`${tunnel.interface} is a GRE tunnel; only IPsec and L2TPv3 are simulated.`);
		if (!tunnel.protection) return down(`${tunnel.interface} has no "tunnel protection ipsec".`);
		if (tunnel.destination === undefined) return down(`${tunnel.interface} has no tunnel destination.`);

		const initiating = (reason: string, peer?: EndRef): EndOutcome => ({
			end,
			ike: 'initiating',
			reason,
			natTraversal: false,
			...(peer ? { peer } : {}),
		});
		if (this.isDropped(router.name, tunnel.interface))
			return initiating('The tunnel was dropped (dropTunnel).');
		const peerRouter = this.routers().find(
			(candidate) => candidate !== router && candidate.publicIp === tunnel.destination,
		);
		if (!peerRouter) return initiating(`No router answers at ${tunnel.destination}.`);
		if (!this.reachable(router, peerRouter, 500) || !this.reachable(peerRouter, router, 500)) {
			return initiating(`UDP 500 (ISAKMP) between ${router.publicIp} and ${peerRouter.name} is blocked.`);
		}
		const candidates = ends.filter(
			(other) =>
				other.router === peerRouter &&
				other.tunnel.destination === router.publicIp &&
				other.tunnel.protection &&
				!other.tunnel.shutdown,
		);
		const peer = candidates.find((other) => other.tunnel.mode === tunnel.mode);
		if (!peer) {
			return initiating(
				candidates.length > 0
					? `${peerRouter.name} has a tunnel towards ${router.publicIp} but in another tunnel mode.`
					: `${peerRouter.name} has no protected tunnel with destination ${router.publicIp}.`,
			);
		}
		if (this.isDropped(peerRouter.name, peer.tunnel.interface))
			return initiating('The tunnel was dropped (dropTunnel).', peer);
		const linkKey = [`${router.name}/${tunnel.interface}`, `${peerRouter.name}/${peer.tunnel.interface}`]
			.sort()
			.join('|');
		const natTraversal = router.privateIp !== router.publicIp || peerRouter.privateIp !== peerRouter.publicIp;
		const base = { end, peer, linkKey, natTraversal };

		if (!this.ikeVersionsAgree(end, peer)) {
			return { ...base, ike: 'initiating', reason: 'The two ends use different IKE versions.' };
		}
		if (
			natTraversal &&
			(!this.reachable(router, peerRouter, 4500) || !this.reachable(peerRouter, router, 4500))
		) {
			return {
				...base,
				ike: 'authenticating',
				reason: `UDP 4500 (NAT-T) between ${router.publicIp} and ${peerRouter.name} is blocked; one side is behind NAT.`,
			};
		}
		const authProblem = this.authProblem(end, peer) ?? this.authProblem(peer, end);
		if (authProblem) return { ...base, ike: 'authenticating', reason: authProblem };
		let l2tpv3: 'up' | 'down' | undefined;
		if (tunnel.mode === 'l2tpv3') {
			const mirrored =
				tunnel.localId !== undefined &&
				tunnel.remoteId !== undefined &&
				tunnel.localId === peer.tunnel.remoteId &&
				tunnel.remoteId === peer.tunnel.localId;
			l2tpv3 = mirrored ? 'up' : 'down';
		}
		const reason =
			l2tpv3 === 'down'
				? `IPsec is up but the L2TPv3 ids do not mirror (${tunnel.localId ?? '-'}/${tunnel.remoteId ?? '-'} vs ${peer.tunnel.localId ?? '-'}/${peer.tunnel.remoteId ?? '-'}).`
				: 'Both ends match and the path is open.';
		return { ...base, ike: 'up', reason, ...(l2tpv3 ? { l2tpv3 } : {}) };
	}

	private identityOf(end: EndRef): string {
		return end.tunnel.localName ?? end.router.privateIp;
	}

	private expectedPeerIdentity(end: EndRef): string {
		return end.tunnel.remoteName ?? end.tunnel.destination ?? '';
	}

	/** Why `end` would not authenticate `peer`, or undefined when it would. */
	private authProblem(end: EndRef, peer: EndRef): string | undefined {
		const expected = this.expectedPeerIdentity(end);
		const presented = this.identityOf(peer);
		const who = `${end.router.name} ${end.tunnel.interface}`;
		if (expected !== presented) {
			const hint =
				peer.router.privateIp !== peer.router.publicIp && peer.tunnel.localName === undefined
					? ` (${peer.router.name} is behind NAT: give it a "tunnel local name")`
					: '';
			return `${who} expects the peer to identify as ${expected} but ${peer.router.name} identifies as ${presented}${hint}.`;
		}
		const myKey = this.keyFor(end.facts, presented, peer.router.publicIp);
		const theirKey = this.keyFor(peer.facts, this.identityOf(end), end.router.publicIp);
		if (myKey === undefined) {
			return `${end.router.name} has no "crypto isakmp key" for ${isIP(presented) ? `address ${presented}` : `hostname ${presented}`}.`;
		}
		if (theirKey !== undefined && theirKey !== myKey) return 'The pre-shared keys of the two ends differ.';
		return undefined;
	}

	private keyFor(facts: RouterFacts, peerIdentity: string, peerPublicIp: string): string | undefined {
		if (isIP(peerIdentity) === 0) return facts.isakmpKeys.find((key) => key.hostname === peerIdentity)?.key;
		return facts.isakmpKeys.find((key) => key.address === peerPublicIp || key.address === peerIdentity)?.key;
	}

	private isakmpProfileOf(end: EndRef) {
		const peerName = end.tunnel.remoteName ?? end.tunnel.destination;
		const binding = end.facts.isakmpPeers.find(
			(peer) => peer.peer === peerName || peer.peer === end.tunnel.destination,
		);
		return binding ? end.facts.isakmpProfiles.find((profile) => profile.name === binding.profile) : undefined;
	}

	private ikeVersionOf(end: EndRef): 1 | 2 {
		const own = this.isakmpProfileOf(end)?.version;
		if (own !== undefined) return own;
		// a responder that takes several versions speaks the one its peer proposes
		const accepts = end.router.acceptsIkeVersions;
		if (accepts && accepts.length > 0) {
			const peer = this.ends().find(
				(other) =>
					other.router.publicIp === end.tunnel.destination &&
					other.tunnel.destination === end.router.publicIp,
			);
			const proposed =
				peer && !peer.router.acceptsIkeVersions ? (this.isakmpProfileOf(peer)?.version ?? 2) : 2;
			return accepts.includes(proposed) ? proposed : (accepts[0] ?? 2);
		}
		return 2;
	}

	/** Both ends speak the same IKE version (a router with `acceptsIkeVersions` takes any of them). */
	private ikeVersionsAgree(end: EndRef, peer: EndRef): boolean {
		const accepts = (ref: EndRef) => ref.router.acceptsIkeVersions;
		const mine = accepts(end);
		const theirs = accepts(peer);
		if (mine && theirs) return mine.some((version) => theirs.includes(version));
		if (mine) return mine.includes(this.ikeVersionOf(peer));
		if (theirs) return theirs.includes(this.ikeVersionOf(end));
		return this.ikeVersionOf(end) === this.ikeVersionOf(peer);
	}

	private ipsecProfileOf(end: EndRef) {
		const name = end.tunnel.protectionProfile;
		return name === undefined ? undefined : end.facts.ipsecProfiles.find((profile) => profile.name === name);
	}

	private statusOf(outcome: EndOutcome): TunnelStatus {
		const { end, peer } = outcome;
		let state: TunnelState = 'down';
		let reason = outcome.reason;
		if (outcome.ike === 'initiating' || outcome.ike === 'authenticating') state = 'negotiating';
		if (outcome.ike === 'up' && outcome.linkKey !== undefined) {
			const link = this.links.get(outcome.linkKey);
			const negotiated = link !== undefined && this.now() - link.possibleSince >= this.negotiationMs;
			state = negotiated ? 'up' : 'negotiating';
			if (!negotiated) reason = 'Phase 1 is up; phase 2 is being negotiated.';
		}
		return {
			router: end.router.name,
			tunnel: end.tunnel.interface,
			...(end.tunnel.destination === undefined ? {} : { peerAddress: end.tunnel.destination }),
			...(peer ? { peerRouter: peer.router.name, peerTunnel: peer.tunnel.interface } : {}),
			state,
			reason,
			natTraversal: outcome.natTraversal,
			...(outcome.l2tpv3 ? { l2tpv3: outcome.l2tpv3 } : {}),
		};
	}

	/** Times (ms) of the link's phase 1 and phase 2 start, when the link exists. */
	private linkTimes(
		outcome: EndOutcome,
	): { link: LinkMemory; ikeStart: number; ipsecStart: number } | undefined {
		if (outcome.ike !== 'up' || outcome.linkKey === undefined) return undefined;
		const link = this.links.get(outcome.linkKey);
		return link
			? { link, ikeStart: link.possibleSince, ipsecStart: link.possibleSince + this.negotiationMs }
			: undefined;
	}

	private ikeSasOf(outcome: EndOutcome, nowMs: number): SimIkeSa[] {
		const { end, peer } = outcome;
		if (outcome.ike === 'none' || end.tunnel.destination === undefined) return [];
		const profile = this.isakmpProfileOf(end);
		const common = {
			tunnel: end.tunnel.interface,
			peer: end.tunnel.destination,
			local: end.router.privateIp,
			localId: this.identityOf(end),
			remoteId: peer ? this.identityOf(peer) : this.expectedPeerIdentity(end),
			version: this.ikeVersionOf(end),
			natTraversal: outcome.natTraversal,
			encryption: profile?.encryption?.toUpperCase() ?? DEFAULT_IKE.encryption,
			integrity: profile?.integrity?.toUpperCase() ?? DEFAULT_IKE.integrity,
			dhGroup: profile?.group ?? DEFAULT_IKE.dhGroup,
		};
		const attempt = Math.floor(nowMs / 10_000);
		if (outcome.ike === 'initiating') {
			return [
				{
					...common,
					initiatorCookie: hexOf(digest('init', end.router.name, end.tunnel.interface, attempt), 16),
					responderCookie: '0'.repeat(16),
					state: 'negotiating',
				},
			];
		}
		if (outcome.ike === 'authenticating') {
			const key = outcome.linkKey ?? end.tunnel.interface;
			return [
				{
					...common,
					initiatorCookie: hexOf(digest('auth-i', key, attempt), 16),
					responderCookie: hexOf(digest('auth-r', key, attempt), 16),
					state: 'negotiating',
				},
			];
		}
		const times = this.linkTimes(outcome);
		if (!times || !peer) return [];
		const peerProfile = this.isakmpProfileOf(peer);
		const lifetime = Math.min(
			profile?.lifetime ?? this.ikeLifetime,
			peerProfile?.lifetime ?? this.ikeLifetime,
		);
		return saGenerations((nowMs - times.ikeStart) / 1000, lifetime, this.rekeyMargin).map(
			({ generation, expiresInSeconds }) => ({
				...common,
				initiatorCookie: hexOf(digest('ike-i', outcome.linkKey!, times.link.epoch, generation), 16),
				responderCookie: hexOf(digest('ike-r', outcome.linkKey!, times.link.epoch, generation), 16),
				state: 'established' as const,
				expiresInSeconds,
			}),
		);
	}

	/** Per-direction traffic rates of a link, fixed by its identity. */
	private rates(linkKey: string, from: string): { packetsPerSecond: number; bytesPerPacket: number } {
		const bytes = digest('rate', linkKey, from);
		return { packetsPerSecond: 2 + (bytes[0]! % 5), bytesPerPacket: 96 + (bytes[1]! % 160) * 4 };
	}

	private ipsecSasOf(outcome: EndOutcome, nowMs: number): SimIpsecSa[] {
		const { end, peer } = outcome;
		const times = this.linkTimes(outcome);
		if (!times || !peer || nowMs < times.ipsecStart || end.tunnel.destination === undefined) return [];
		const key = outcome.linkKey!;
		const profile = this.ipsecProfileOf(end);
		const lifetime = Math.min(
			profile?.lifetime ?? this.ipsecLifetime,
			this.ipsecProfileOf(peer)?.lifetime ?? this.ipsecLifetime,
		);
		const me = end.router.name;
		const them = peer.router.name;
		const outRate = this.rates(key, me);
		const inRate = this.rates(key, them);
		return saGenerations((nowMs - times.ipsecStart) / 1000, lifetime, this.rekeyMargin).map(
			({ generation, ageSeconds, expiresInSeconds }) => {
				const packetsOut = Math.floor(ageSeconds * outRate.packetsPerSecond);
				const packetsIn = Math.floor(ageSeconds * inRate.packetsPerSecond);
				return {
					tunnel: end.tunnel.interface,
					peer: end.tunnel.destination!,
					// what I receive on is what the peer sends on: the same SPI seen from both sides
					spiIn: spiOf('esp', key, times.link.epoch, generation, `to ${me}`),
					spiOut: spiOf('esp', key, times.link.epoch, generation, `to ${them}`),
					mode: end.tunnel.mode === 'l2tpv3' ? ('transport' as const) : ('tunnel' as const),
					expiresInSeconds,
					natTraversal: outcome.natTraversal,
					encryption: profile?.encryption?.toUpperCase() ?? DEFAULT_ESP.encryption,
					integrity: profile?.integrity?.toUpperCase() ?? DEFAULT_ESP.integrity,
					packetsIn,
					bytesIn: packetsIn * inRate.bytesPerPacket,
					packetsOut,
					bytesOut: packetsOut * outRate.bytesPerPacket,
				};
			},
		);
	}

	private tunnelInterfaceOf(
		router: SimRouter,
		tunnel: TunnelConfig,
		outcomes: EndOutcome[],
		nowMs: number,
	): SimTunnelInterface {
		const outcome = outcomes.find((candidate) => candidate.end.tunnel.interface === tunnel.interface);
		const times = outcome ? this.linkTimes(outcome) : undefined;
		const linkUp = times !== undefined && nowMs >= times.ipsecStart && outcome?.l2tpv3 !== 'down';
		let counters = { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 };
		if (linkUp && times && outcome?.peer && outcome.linkKey) {
			const seconds = (nowMs - times.ipsecStart) / 1000;
			const outRate = this.rates(outcome.linkKey, router.name);
			const inRate = this.rates(outcome.linkKey, outcome.peer.router.name);
			const packetsIn = Math.floor(seconds * inRate.packetsPerSecond);
			const packetsOut = Math.floor(seconds * outRate.packetsPerSecond);
			counters = {
				packetsIn,
				bytesIn: packetsIn * inRate.bytesPerPacket,
				packetsOut,
				bytesOut: packetsOut * outRate.bytesPerPacket,
			};
		}
		const since = linkUp && times ? times.ipsecStart : router.bootedAt;
		return {
			tunnel: tunnel.interface,
			...(tunnel.address ? { address: tunnel.address } : {}),
			...(tunnel.source ? { source: tunnel.source } : {}),
			...(tunnel.destination ? { destination: tunnel.destination } : {}),
			...(tunnel.mode ? { mode: tunnel.mode } : {}),
			...(tunnel.protection ? { protectionProfile: tunnel.protectionProfile ?? 'default' } : {}),
			linkUp,
			adminUp: !tunnel.shutdown,
			...counters,
			secondsSinceChange: Math.max(0, Math.floor((nowMs - since) / 1000)),
		};
	}

	/**
	 * BGP as the router would see it: a neighbour is Established when the tunnel whose subnet holds its
	 * address is up, the router at the other end owns that address and runs `router bgp <remote-as>`
	 * with a neighbour pointing back at us with our AS; `neighbor X shutdown` is Idle (Admin); anything
	 * else is Active.
	 */
	private bgpOf(
		router: SimRouter,
		facts: RouterFacts,
		outcomes: EndOutcome[],
		nowMs: number,
	): SimBgpSummary | undefined {
		const bgp = facts.bgp;
		if (!bgp) return undefined;
		const neighbors: SimBgpNeighbor[] = [];
		let tableVersion = 1;
		for (const neighbor of bgp.neighbors) {
			const remoteAs = neighbor.remoteAs ?? 0;
			let established: { since: number; prefixes: number } | undefined;
			const outcome = outcomes.find(
				(candidate) =>
					candidate.end.router === router &&
					candidate.end.tunnel.address !== undefined &&
					inSubnet(neighbor.address, candidate.end.tunnel.address),
			);
			const times = outcome ? this.linkTimes(outcome) : undefined;
			if (
				!neighbor.shutdown &&
				outcome?.peer &&
				times &&
				nowMs >= times.ipsecStart &&
				outcome.l2tpv3 !== 'down'
			) {
				const peer = outcome.peer;
				const peerBgp = peer.facts.bgp;
				const myAddress = addressOf(outcome.end.tunnel.address);
				const pointsBack = peerBgp?.neighbors.some(
					(entry) => entry.address === myAddress && entry.remoteAs === bgp.asn && !entry.shutdown,
				);
				if (addressOf(peer.tunnel.address) === neighbor.address && peerBgp?.asn === remoteAs && pointsBack) {
					established = { since: times.ipsecStart, prefixes: peerBgp.networks.length };
				}
			}
			const memoryKey = `${router.name}|${neighbor.address}`;
			const memory = this.bgpMemory.get(memoryKey);
			if (established) this.bgpMemory.set(memoryKey, { established: true, since: established.since });
			else if (memory?.established) this.bgpMemory.set(memoryKey, { established: false, since: nowMs });
			const lastChange = this.bgpMemory.get(memoryKey);
			const upDownSeconds =
				lastChange === undefined ? undefined : Math.max(0, Math.floor((nowMs - lastChange.since) / 1000));
			const keepalives = upDownSeconds === undefined || !established ? 0 : Math.floor(upDownSeconds / 30);
			if (established) tableVersion += established.prefixes;
			neighbors.push({
				neighbor: neighbor.address,
				remoteAs,
				state: established ? 'established' : neighbor.shutdown ? 'idle' : 'active',
				adminDown: neighbor.shutdown,
				...(upDownSeconds === undefined ? {} : { upDownSeconds }),
				...(established ? { prefixesReceived: established.prefixes } : {}),
				messagesReceived: established ? 3 + established.prefixes + keepalives : 0,
				messagesSent: established ? 3 + bgp.networks.length + keepalives : 0,
				tableVersion: established ? 1 + established.prefixes : 0,
			});
		}
		const routerId =
			bgp.routerId ??
			facts.interfaces
				.map((entry) => addressOf(entry.address))
				.filter((address): address is string => address !== undefined && isIP(address) === 4)
				.sort((a, b) => (ipv4ToNumber(b) ?? 0) - (ipv4ToNumber(a) ?? 0))[0] ??
			router.privateIp;
		return { routerId, asn: bgp.asn, tableVersion, neighbors };
	}

	/** Re-evaluates, emits `change` when any tunnel changed state, and schedules the next transition. */
	private evaluate(reason: WorldChange['reason']): void {
		if (this.closed) return;
		const tunnels = this.tunnels();
		// BGP remembers when sessions went down: observe them at every change, not only when read.
		const outcomes = this.outcomes();
		for (const router of this.routerMap.values()) {
			this.bgpOf(router, readRouterFacts(router.config), outcomes, this.now());
		}
		const summary = JSON.stringify(
			tunnels.map((tunnel) => [tunnel.router, tunnel.tunnel, tunnel.state, tunnel.l2tpv3, tunnel.reason]),
		);
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		const nowMs = this.now();
		const pending = [...this.links.values()]
			.map((link) => link.possibleSince + this.negotiationMs - nowMs)
			.filter((wait) => wait >= 0);
		if (pending.length > 0) {
			this.timer = setTimeout(() => this.evaluate('negotiated'), Math.min(...pending) + 5);
			this.timer.unref();
		}
		if (summary === this.lastSummary) return;
		this.lastSummary = summary;
		this.emit('change', { reason, tunnels });
	}
}
