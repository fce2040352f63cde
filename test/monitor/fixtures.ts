import type { ApplianceTunnelDesign, AwsVpnDesign } from '../../source/design/model.js';
import type { StatusSnapshot } from '../../source/router/model.js';

/** Two AWS tunnels, keyed by outside address (install-guide 5b). */
export const tunnel1 = { outside: '34.217.232.61', aws: '169.254.123.133', customer: '169.254.123.134' };
export const tunnel2 = { outside: '52.10.20.30', aws: '169.254.45.9', customer: '169.254.45.10' };

export function awsDesign(overrides: Partial<AwsVpnDesign> = {}): AwsVpnDesign {
	const tunnel = (t: typeof tunnel1, cidr: string, psk: string) => ({
		awsOutsideIp: t.outside,
		psk,
		insideCidr: cidr,
		awsInsideIp: t.aws,
		customerInsideIp: t.customer,
		ikeVersion: 1 as const,
		phase1: { encryption: 'aes128', integrity: 'sha1', dhGroup: 2, lifetimeSeconds: 28800 },
		phase2: { encryption: 'aes128', integrity: 'sha1', pfsGroup: 2, lifetimeSeconds: 3600 },
		dpdIntervalSeconds: 10,
		dpdRetries: 3,
	});
	return {
		kind: 'aws-vpn',
		vpnConnectionId: 'vpn-0123456789abcdef0',
		customer: { publicIp: '198.51.100.10', wanInterface: 'ppp0', asn: 65000, lan: ['192.168.10.0/24'] },
		awsAsn: 64512,
		vpcCidr: '172.30.0.0/16',
		routing: 'bgp',
		tunnels: [
			tunnel(tunnel1, '169.254.123.132/30', 'Tunnel1Secret.key'),
			tunnel(tunnel2, '169.254.45.8/30', 'Tunnel2Secret.key'),
		],
		mtu: 1399,
		mss: 1387,
		bgpHoldSeconds: 30,
		bgpKeepaliveSeconds: 10,
		...overrides,
	};
}

export function applianceDesign(overrides: Partial<ApplianceTunnelDesign> = {}): ApplianceTunnelDesign {
	return {
		kind: 'appliance-ipsec',
		peerName: 'tenant-a',
		psk: 'abcdefghijklmnopqrstuvwxyz1234',
		applianceName: 'vaa0',
		appliance: {
			wanInterface: 'eth0',
			publicIp: '54.1.2.3',
			privateIp: '172.30.0.5',
			tunnelInterface: 'tunnel0',
			tunnelAddress: '172.16.0.1/30',
			routesViaTunnel: ['192.168.1.0/24'],
		},
		router: {
			wanInterface: 'ppp0',
			publicIp: '203.0.113.7',
			tunnelInterface: 'tunnel0',
			tunnelAddress: '172.16.0.2/30',
			routesViaTunnel: ['172.30.0.5/32'],
		},
		mtu: 1300,
		mss: 1260,
		...overrides,
	};
}

export const polledAt = '2026-11-22T14:00:00.000Z';

/** The customer router of `awsDesign()` with both tunnels healthy. */
export function healthyAwsSnapshot(): StatusSnapshot {
	return {
		router: { name: 'site', vendor: 'awplus', host: '198.51.100.10', reachable: true, polledAt },
		ike: [
			{
				peer: tunnel1.outside,
				state: 'established',
				version: 1,
				encryption: 'aes128',
				integrity: 'sha1',
				dhGroup: 2,
			},
			{
				peer: tunnel2.outside,
				state: 'established',
				version: 1,
				encryption: 'aes128',
				integrity: 'sha1',
				dhGroup: 2,
			},
		],
		ipsec: [
			{
				peer: tunnel1.outside,
				tunnel: 'tunnel1',
				state: 'up',
				spiIn: '0xd9e8216f',
				spiOut: '0xc24886ee',
				bytesIn: 1000,
				bytesOut: 2000,
				packetsIn: 10,
				packetsOut: 20,
			},
			{
				peer: tunnel2.outside,
				tunnel: 'tunnel2',
				state: 'up',
				spiIn: '0x11111111',
				spiOut: '0x22222222',
				bytesIn: 500,
				bytesOut: 600,
				packetsIn: 5,
				packetsOut: 6,
			},
		],
		bgp: [
			{
				neighbor: tunnel1.aws,
				remoteAs: 64512,
				state: 'established',
				uptimeSeconds: 397,
				prefixesReceived: 1,
			},
			{
				neighbor: tunnel2.aws,
				remoteAs: 64512,
				state: 'established',
				uptimeSeconds: 120,
				prefixesReceived: 1,
			},
		],
		routes: [],
		aws: [
			{
				vpnConnectionId: 'vpn-0123456789abcdef0',
				outsideIp: tunnel1.outside,
				status: 'UP',
				acceptedRouteCount: 1,
			},
			{
				vpnConnectionId: 'vpn-0123456789abcdef0',
				outsideIp: tunnel2.outside,
				status: 'UP',
				acceptedRouteCount: 1,
			},
		],
		findings: [],
		unparsed: [],
	};
}

/** A deep copy with some edits applied, to keep table rows short. */
export function edit(snapshot: StatusSnapshot, change: (copy: StatusSnapshot) => void): StatusSnapshot {
	const copy = structuredClone(snapshot);
	change(copy);
	return copy;
}
