/**
 * The design: one vendor-neutral description of the tunnels to build, from which every vendor's
 * configuration is generated (pure). Built from the answers plus what AWS returned (addresses).
 */

/** One end of a route-based IPsec tunnel. */
export type TunnelEnd = {
	/** Interface that carries the tunnel's outer packets (`eth0` on the appliance, `ppp0` on the guide's AR router). */
	wanInterface: string;
	/** Address this end's packets leave from, as the far end sees it. */
	publicIp: string;
	/** The address configured on the WAN interface (differs from publicIp behind NAT, e.g. the appliance's eth0). */
	privateIp?: string;
	tunnelInterface: string;
	/** Interface address with prefix, e.g. `172.16.0.1/30`. */
	tunnelAddress: string;
	/** Networks reached through the tunnel from this end. */
	routesViaTunnel: string[];
};

/**
 * Single mode with the appliance's own VPN (install-guide 5a): the appliance sits behind AWS's 1:1
 * NAT, so it identifies itself with a name (`tunnel local name`) that the router expects
 * (`tunnel remote name` + `crypto isakmp key … hostname …`).
 */
export type ApplianceTunnelDesign = {
	kind: 'appliance-ipsec';
	peerName: string;
	psk: string;
	/** ISAKMP phase-1 ID of the appliance, e.g. `vaa0`. */
	applianceName: string;
	appliance: TunnelEnd;
	router: TunnelEnd;
	mtu: number;
	mss: number;
};

/** One of the two tunnels of an AWS Site-to-Site VPN connection, keyed by AWS's outside address. */
export type AwsVpnTunnel = {
	/** AWS's outside (public) address of this tunnel endpoint: the key that identifies the tunnel. */
	awsOutsideIp: string;
	psk: string;
	/** The /30 inside CIDR, e.g. `169.254.123.132/30`. */
	insideCidr: string;
	/** The AWS (virtual private gateway) inside address, e.g. `169.254.123.133`. */
	awsInsideIp: string;
	/** The customer gateway inside address, e.g. `169.254.123.134`. */
	customerInsideIp: string;
	ikeVersion: 1 | 2;
	/** Phase 1: e.g. aes128 / sha1 / group 2, lifetime 28800. */
	phase1: { encryption: string; integrity: string; dhGroup: number; lifetimeSeconds: number };
	/** Phase 2: e.g. aes128 / sha1 / PFS group 2, lifetime 3600. */
	phase2: { encryption: string; integrity: string; pfsGroup: number; lifetimeSeconds: number };
	dpdIntervalSeconds: number;
	dpdRetries: number;
};

/** Single mode with AWS's VPN (install-guide 5b): a customer router with two tunnels to AWS and BGP or static routes. */
export type AwsVpnDesign = {
	kind: 'aws-vpn';
	vpnConnectionId?: string;
	customer: {
		/** The customer gateway's public address (as given to CreateCustomerGateway). */
		publicIp: string;
		/** The address on the router's WAN interface, when it sits behind NAT. */
		privateIp?: string;
		wanInterface: string;
		asn: number;
		/** LAN prefixes announced to AWS. */
		lan: string[];
	};
	awsAsn: number;
	/** The VPC block AWS announces (routes toward AWS for static routing). */
	vpcCidr: string;
	/** Networks routed toward AWS with static routing, when not the whole VPC block (the guide routes its subnet). */
	awsNetworks?: string[];
	routing: 'bgp' | 'static';
	tunnels: [AwsVpnTunnel, AwsVpnTunnel];
	/** AWS: inner MTU 1399, MSS 1387; the AW+ sample uses mtu 1434 on the tunnel interface. */
	mtu: number;
	mss: number;
	bgpHoldSeconds: number;
	bgpKeepaliveSeconds: number;
};

/** One tenant of multi-tenant mode (install-guide 6): an L2TPv3-over-IPsec tunnel bridged into its AMF container. */
export type TenantTunnel = {
	tenantName: string;
	psk: string;
	/** The appliance's ISAKMP phase-1 ID toward this tenant (`vaa1`); the router expects it as the remote name. */
	isakmpName: string;
	/** L2TPv3 session IDs as the appliance sees them; the router's are the mirror image. */
	l2tpv3: { applianceLocalId: number; applianceRemoteId: number };
	/** The appliance's tunnel interface for this tenant (`tunnel1`). */
	applianceTunnelInterface: string;
	router: {
		publicIp: string;
		wanInterface: string;
		tunnelInterface: string;
		/** The tenant router's tunnel address, e.g. `172.16.0.2/24` (tenants may reuse the same plan). */
		tunnelAddress: string;
		lan: string[];
	};
	/** The AMF container the tunnel is bridged into, and its eth1 address (`ConA`, `br1`, `172.16.0.1/24`). */
	container: { name?: string; bridge?: string; address: string };
};

/** Multi-tenant mode: one appliance, one tunnel per tenant; single-mode tunnels may coexist. */
export type MultiTenantDesign = {
	kind: 'multi-tenant';
	appliance: {
		wanInterface: string;
		/** The instance's public address: the tenant routers' tunnel destination. */
		publicIp: string;
		privateIp: string;
	};
	tenants: TenantTunnel[];
};

/** Any design the configuration generators accept. */
export type Design = ApplianceTunnelDesign | AwsVpnDesign | MultiTenantDesign;
