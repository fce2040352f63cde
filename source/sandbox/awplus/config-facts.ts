/**
 * What the simulated world needs to know from a router's running config: its tunnels, ISAKMP keys and
 * profiles, interface addresses and BGP. Pure; lines it does not model are ignored.
 */
import type { ConfigNode, RunningConfig } from './running-config.js';

export type TunnelMode = 'ipsec-ipv4' | 'ipsec-ipv6' | 'l2tpv3' | 'gre';

export type TunnelConfig = {
	interface: string;
	mode?: TunnelMode;
	protection: boolean;
	protectionProfile?: string;
	source?: string;
	destination?: string;
	localName?: string;
	remoteName?: string;
	localId?: string;
	remoteId?: string;
	/** `172.16.0.1/30` as configured. */
	address?: string;
	shutdown: boolean;
};

export type IsakmpKey = { key: string; address?: string; hostname?: string };

export type IsakmpProfile = {
	name: string;
	version?: 1 | 2;
	encryption?: string;
	integrity?: string;
	group?: number;
	lifetime?: number;
};

export type IpsecProfile = { name: string; encryption?: string; integrity?: string; lifetime?: number };

export type BgpNeighborConfig = { address: string; remoteAs?: number; shutdown: boolean };

export type BgpConfig = {
	asn: number;
	routerId?: string;
	neighbors: BgpNeighborConfig[];
	networks: string[];
};

export type RouterFacts = {
	hostname?: string;
	interfaces: { name: string; address?: string }[];
	tunnels: TunnelConfig[];
	isakmpKeys: IsakmpKey[];
	isakmpProfiles: IsakmpProfile[];
	/** `crypto isakmp peer address|hostname X profile P`. */
	isakmpPeers: { peer: string; profile: string }[];
	ipsecProfiles: IpsecProfile[];
	bgp?: BgpConfig;
};

function tunnelOf(node: ConfigNode): TunnelConfig {
	const tunnel: TunnelConfig = {
		interface: node.line.slice('interface '.length),
		protection: false,
		shutdown: false,
	};
	for (const { line } of node.children) {
		const [, key, value] =
			/^(tunnel (?:source|destination|local name|remote name|local id|remote id)|ip address) (\S+)/.exec(
				line,
			) ?? [];
		if (key !== undefined && value !== undefined) {
			const field = {
				'tunnel source': 'source',
				'tunnel destination': 'destination',
				'tunnel local name': 'localName',
				'tunnel remote name': 'remoteName',
				'tunnel local id': 'localId',
				'tunnel remote id': 'remoteId',
				'ip address': 'address',
			}[key] as 'source' | 'destination' | 'localName' | 'remoteName' | 'localId' | 'remoteId' | 'address';
			tunnel[field] = value;
		}
		if (line === 'tunnel mode ipsec ipv4') tunnel.mode = 'ipsec-ipv4';
		if (line === 'tunnel mode ipsec ipv6') tunnel.mode = 'ipsec-ipv6';
		if (line === 'tunnel mode l2tp v3') tunnel.mode = 'l2tpv3';
		if (line === 'tunnel mode gre') tunnel.mode = 'gre';
		const protection = /^tunnel protection ipsec(?: profile (\S+))?$/.exec(line);
		if (protection) {
			tunnel.protection = true;
			if (protection[1] !== undefined) tunnel.protectionProfile = protection[1];
		}
		if (line === 'shutdown') tunnel.shutdown = true;
	}
	return tunnel;
}

function isakmpProfileOf(node: ConfigNode): IsakmpProfile {
	const profile: IsakmpProfile = { name: node.line.slice('crypto isakmp profile '.length) };
	for (const { line } of node.children) {
		const version = /^version ([12])\b/.exec(line);
		if (version) profile.version = version[1] === '1' ? 1 : 2;
		const transform = /^transform 1 integrity (\S+) encryption (\S+) group (\d+)$/.exec(line);
		if (transform) {
			profile.integrity = transform[1]!;
			profile.encryption = transform[2]!;
			profile.group = Number(transform[3]);
		}
		const lifetime = /^lifetime (\d+)$/.exec(line);
		if (lifetime) profile.lifetime = Number(lifetime[1]);
	}
	return profile;
}

function ipsecProfileOf(node: ConfigNode): IpsecProfile {
	const profile: IpsecProfile = { name: node.line.slice('crypto ipsec profile '.length) };
	for (const { line } of node.children) {
		const transform = /^transform 1 protocol esp integrity (\S+) encryption (\S+)$/.exec(line);
		if (transform) {
			profile.integrity = transform[1]!;
			profile.encryption = transform[2]!;
		}
		const lifetime = /^lifetime seconds (\d+)$/.exec(line);
		if (lifetime) profile.lifetime = Number(lifetime[1]);
	}
	return profile;
}

function bgpOf(node: ConfigNode): BgpConfig | undefined {
	const asn = Number(node.line.slice('router bgp '.length));
	if (!Number.isSafeInteger(asn)) return undefined;
	const bgp: BgpConfig = { asn, neighbors: [], networks: [] };
	const neighbor = (address: string) => {
		let entry = bgp.neighbors.find((candidate) => candidate.address === address);
		if (!entry) {
			entry = { address, shutdown: false };
			bgp.neighbors.push(entry);
		}
		return entry;
	};
	const read = (children: ConfigNode[]) => {
		for (const child of children) {
			const { line } = child;
			const remoteAs = /^neighbor (\S+) remote-as (\d+)$/.exec(line);
			if (remoteAs) neighbor(remoteAs[1]!).remoteAs = Number(remoteAs[2]);
			const shutdown = /^neighbor (\S+) shutdown$/.exec(line);
			if (shutdown) neighbor(shutdown[1]!).shutdown = true;
			const network = /^network (\S+)/.exec(line);
			if (network) bgp.networks.push(network[1]!);
			const routerId = /^bgp router-id (\S+)$/.exec(line);
			if (routerId) bgp.routerId = routerId[1]!;
			if (child.children.length > 0) read(child.children);
		}
	};
	read(node.children);
	bgp.neighbors = bgp.neighbors.filter((entry) => entry.remoteAs !== undefined);
	return bgp;
}

export function readRouterFacts(config: RunningConfig): RouterFacts {
	const facts: RouterFacts = {
		interfaces: [],
		tunnels: [],
		isakmpKeys: [],
		isakmpProfiles: [],
		isakmpPeers: [],
		ipsecProfiles: [],
	};
	for (const node of config.nodes) {
		const { line } = node;
		const hostname = /^hostname (\S+)$/.exec(line);
		if (hostname) facts.hostname = hostname[1]!;
		if (line.startsWith('interface ')) {
			const name = line.slice('interface '.length);
			const address = node.children.map((child) => /^ip address (\S+)$/.exec(child.line)?.[1]).find(Boolean);
			facts.interfaces.push({ name, ...(address ? { address } : {}) });
			if (/^tunnel\d+$/.test(name)) facts.tunnels.push(tunnelOf(node));
		}
		const key = /^crypto isakmp key (\S+) (address|hostname) (\S+)$/.exec(line);
		if (key) facts.isakmpKeys.push({ key: key[1]!, [key[2] as 'address' | 'hostname']: key[3]! });
		if (line.startsWith('crypto isakmp profile ')) facts.isakmpProfiles.push(isakmpProfileOf(node));
		if (line.startsWith('crypto ipsec profile ')) facts.ipsecProfiles.push(ipsecProfileOf(node));
		const peer = /^crypto isakmp peer (?:address|hostname) (\S+) profile (\S+)$/.exec(line);
		if (peer) facts.isakmpPeers.push({ peer: peer[1]!, profile: peer[2]! });
		if (/^router bgp \d+$/.test(line)) {
			const bgp = bgpOf(node);
			if (bgp) facts.bgp = bgp;
		}
	}
	return facts;
}
