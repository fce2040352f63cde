import type { AwsVpnDesign } from '../../source/design/model.js';

/**
 * The lab's AWS VPN connection, in documentation address ranges only (RFC 5737) plus link-local
 * inside /30s, so nothing the lab builds could ever be mistaken for (or routed to) a real network:
 * - AWS outside addresses 203.0.113.1 and 203.0.113.2 (a virtual private gateway's two endpoints),
 *   the VPC 203.0.113.128/25;
 * - the customer gateway's public address 198.51.100.10; behind the lab NAT its WAN holds
 *   192.0.2.2/30 (the NAT 192.0.2.1); its LAN 192.0.2.128/25.
 */
export const labAddresses = {
	awsOutside: ['203.0.113.1', '203.0.113.2'] as const,
	vpcCidr: '203.0.113.128/25',
	customerPublic: '198.51.100.10',
	natInside: '192.0.2.1',
	customerBehindNat: '192.0.2.2',
	natPrefixLength: 30,
	lan: '192.0.2.128/25',
	lanAddress: '192.0.2.129',
};

/** The WAN interface names the lab gives the customer router (behind NAT or facing AWS directly). */
export const labWanInterface = { nat: 'kkh-site-nat', direct: 'kkh-site-aws' } as const;

export type LabDesignOptions = {
	nat: boolean;
	/** IKE version per tunnel: AWS lets each tunnel choose. */
	ikeVersions: [1 | 2, 1 | 2];
	routing: 'bgp' | 'static';
};

/** PSKs follow AWS's rule (8–64 of A-Za-z0-9._, not starting with 0) and differ per tunnel on purpose. */
export function labDesign(options: LabDesignOptions): AwsVpnDesign {
	const tunnel = (index: 0 | 1) => ({
		awsOutsideIp: labAddresses.awsOutside[index],
		psk: index === 0 ? 'kkh.lab.tunnel1.psk_Aq7Zr' : 'kkh.lab.tunnel2.psk_Wm3Tx',
		insideCidr: `169.254.${10 + index}.0/30`,
		awsInsideIp: `169.254.${10 + index}.1`,
		customerInsideIp: `169.254.${10 + index}.2`,
		ikeVersion: options.ikeVersions[index],
		phase1: { encryption: 'aes128', integrity: 'sha1', dhGroup: 2, lifetimeSeconds: 28800 },
		phase2: { encryption: 'aes128', integrity: 'sha1', pfsGroup: 2, lifetimeSeconds: 3600 },
		dpdIntervalSeconds: 10,
		dpdRetries: 3,
	});
	return {
		kind: 'aws-vpn',
		vpnConnectionId: 'vpn-0123456789abcdef0',
		customer: {
			publicIp: labAddresses.customerPublic,
			...(options.nat ? { privateIp: labAddresses.customerBehindNat } : {}),
			wanInterface: options.nat ? labWanInterface.nat : labWanInterface.direct,
			asn: 65000,
			lan: [labAddresses.lan],
		},
		awsAsn: 64512,
		vpcCidr: labAddresses.vpcCidr,
		routing: options.routing,
		tunnels: [tunnel(0), tunnel(1)],
		mtu: 1399,
		mss: 1387,
		bgpHoldSeconds: 30,
		bgpKeepaliveSeconds: 10,
	};
}
