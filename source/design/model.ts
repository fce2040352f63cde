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
