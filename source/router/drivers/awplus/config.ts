import { withPrefix } from '../../../design/addresses.js';
import type {
	ApplianceTunnelDesign,
	AwsVpnDesign,
	AwsVpnTunnel,
	MultiTenantDesign,
} from '../../../design/model.js';

/**
 * AlliedWare Plus configuration generators (pure). The output reproduces the install guide's
 * configurations line for line for the guide's parameters (see test/router/awplus-config.test.ts).
 */

/** The appliance (AMF Cloud) side of the single-mode IPsec tunnel (install-guide 5a). */
export function applianceTunnelConfig(design: ApplianceTunnelDesign): string[] {
	const { appliance, router } = design;
	return [
		`crypto isakmp key ${design.psk} address ${router.publicIp}`,
		`interface ${appliance.tunnelInterface}`,
		` tunnel source ${appliance.wanInterface}`,
		` tunnel destination ${router.publicIp}`,
		` tunnel local name ${design.applianceName}`,
		' tunnel mode ipsec ipv4',
		' tunnel protection ipsec',
		` ip address ${appliance.tunnelAddress}`,
		` mtu ${design.mtu}`,
		...appliance.routesViaTunnel.flatMap((prefix) => [
			`ip route ${prefix} ${appliance.tunnelInterface}`,
			// keeps traffic from leaking out unencrypted while the tunnel is down
			`ip route ${prefix} null 254`,
		]),
	];
}

/** The AR router (user side) of the single-mode IPsec tunnel (install-guide 5a). */
export function routerTunnelConfig(design: ApplianceTunnelDesign): string[] {
	const { appliance, router } = design;
	return [
		`crypto isakmp key ${design.psk} hostname ${design.applianceName}`,
		`interface ${router.tunnelInterface}`,
		` tunnel source ${router.wanInterface}`,
		` tunnel destination ${appliance.publicIp}`,
		` tunnel remote name ${design.applianceName}`,
		' tunnel mode ipsec ipv4',
		' tunnel protection ipsec',
		` ip address ${router.tunnelAddress}`,
		` ip tcp adjust-mss ${design.mss}`,
		` mtu ${design.mtu}`,
		...router.routesViaTunnel.flatMap((prefix) => [
			`ip route ${prefix} ${router.tunnelInterface}`,
			`ip route ${prefix} null 254`,
		]),
	];
}

/** AW+ tunnel MTU in the install guide's AR4050S sample for AWS's VPN (AW+ counts it before ESP overhead). */
export const AWPLUS_AWS_TUNNEL_MTU = 1434;

export type AwplusAwsVpnOptions = {
	/** Default {@link AWPLUS_AWS_TUNNEL_MTU}, as the guide's sample. */
	mtu?: number;
	/** First tunnel interface number; default 1 (tunnel1, tunnel2). */
	firstTunnel?: number;
	/** `ip route 0.0.0.0/0 <wan>` as in the guide; default true. */
	defaultRoute?: boolean;
};

const isakmpProfileName = 'AWS-ISAKMP-Phase-1';
const ipsecProfileName = 'AWS-IPSEC-Phase-2';

function sameProposals(a: AwsVpnTunnel, b: AwsVpnTunnel): boolean {
	return (
		JSON.stringify([a.ikeVersion, a.phase1, a.phase2, a.dpdIntervalSeconds]) ===
		JSON.stringify([b.ikeVersion, b.phase1, b.phase2, b.dpdIntervalSeconds])
	);
}

/** Profile names per tunnel: one shared pair when both tunnels propose the same, else one pair each. */
function profileNames(design: AwsVpnDesign): [isakmp: string, ipsec: string][] {
	const [first, second] = design.tunnels;
	if (sameProposals(first, second))
		return [
			[isakmpProfileName, ipsecProfileName],
			[isakmpProfileName, ipsecProfileName],
		];
	return [1, 2].map((n) => [`${isakmpProfileName}-T${n}`, `${ipsecProfileName}-T${n}`]);
}

function isakmpProfile(name: string, tunnel: AwsVpnTunnel): string[] {
	const { phase1 } = tunnel;
	return [
		`crypto isakmp profile ${name}`,
		` transform 1 integrity ${phase1.integrity} encryption ${phase1.encryption} group ${phase1.dhGroup}`,
		` lifetime ${phase1.lifetimeSeconds}`,
		` dpd-interval ${tunnel.dpdIntervalSeconds}`,
		// Cisco negotiates main/aggressive by itself; AW+ must be told (install-guide 5b).
		tunnel.ikeVersion === 1 ? ' version 1 mode main' : ' version 2',
	];
}

function ipsecProfile(name: string, tunnel: AwsVpnTunnel): string[] {
	const { phase2 } = tunnel;
	return [
		`crypto ipsec profile ${name}`,
		` transform 1 protocol esp integrity ${phase2.integrity} encryption ${phase2.encryption}`,
		` pfs ${phase2.pfsGroup}`,
		` lifetime seconds ${phase2.lifetimeSeconds}`,
	];
}

function tunnelInterface(
	design: AwsVpnDesign,
	tunnel: AwsVpnTunnel,
	name: string,
	ipsecProfileFor: string,
	mtu: number,
): string[] {
	return [
		`interface ${name}`,
		` mtu ${mtu}`,
		` ip address ${withPrefix(tunnel.customerInsideIp, tunnel.insideCidr)}`,
		` tunnel source ${design.customer.privateIp ?? design.customer.publicIp}`,
		` tunnel destination ${tunnel.awsOutsideIp}`,
		' tunnel mode ipsec ipv4',
		` tunnel protection ipsec profile ${ipsecProfileFor}`,
		` ip tcp adjust-mss ${design.mss}`,
	];
}

/** The networks reached through AWS with static routing (default: the VPC block). */
export function awsNetworks(design: AwsVpnDesign): string[] {
	return design.awsNetworks ?? [design.vpcCidr];
}

/**
 * One AWS tunnel exactly as install-guide 5b shows it for an AR4050S (static routing): profiles, key,
 * peer, tunnel interface, the default route and the route to AWS through the tunnel.
 */
export function awsVpnTunnelConfig(
	design: AwsVpnDesign,
	index: 0 | 1,
	options: AwplusAwsVpnOptions = {},
): string[] {
	const tunnel = design.tunnels[index];
	const [isakmp, ipsec] = profileNames(design)[index] ?? [isakmpProfileName, ipsecProfileName];
	const name = `tunnel${(options.firstTunnel ?? 1) + index}`;
	return [
		...isakmpProfile(isakmp, tunnel),
		`crypto isakmp key ${tunnel.psk} address ${tunnel.awsOutsideIp}`,
		`crypto isakmp peer address ${tunnel.awsOutsideIp} profile ${isakmp}`,
		...ipsecProfile(ipsec, tunnel),
		...tunnelInterface(design, tunnel, name, ipsec, options.mtu ?? AWPLUS_AWS_TUNNEL_MTU),
		...(options.defaultRoute === false ? [] : [`ip route 0.0.0.0/0 ${design.customer.wanInterface}`]),
		...awsNetworks(design).map((prefix) => `ip route ${prefix} ${tunnel.awsInsideIp}`),
	];
}

/**
 * The AR router's whole AWS VPN configuration: both tunnels (keyed by AWS outside address), then BGP
 * with the two AWS inside addresses as neighbours, or static routes (tunnel 2 as the backup, distance 2)
 * plus the `null 254` safety route.
 */
export function awsVpnRouterConfig(design: AwsVpnDesign, options: AwplusAwsVpnOptions = {}): string[] {
	const names = profileNames(design);
	const first = options.firstTunnel ?? 1;
	const lines: string[] = [];
	const seenProfiles = new Set<string>();
	design.tunnels.forEach((tunnel, index) => {
		const [isakmp] = names[index] ?? [isakmpProfileName];
		if (!seenProfiles.has(isakmp)) lines.push(...isakmpProfile(isakmp, tunnel));
		seenProfiles.add(isakmp);
	});
	design.tunnels.forEach((tunnel, index) => {
		const [isakmp] = names[index] ?? [isakmpProfileName];
		lines.push(`crypto isakmp key ${tunnel.psk} address ${tunnel.awsOutsideIp}`);
		lines.push(`crypto isakmp peer address ${tunnel.awsOutsideIp} profile ${isakmp}`);
	});
	design.tunnels.forEach((tunnel, index) => {
		const [, ipsec] = names[index] ?? [isakmpProfileName, ipsecProfileName];
		if (!seenProfiles.has(ipsec)) lines.push(...ipsecProfile(ipsec, tunnel));
		seenProfiles.add(ipsec);
	});
	design.tunnels.forEach((tunnel, index) => {
		const [, ipsec] = names[index] ?? [isakmpProfileName, ipsecProfileName];
		lines.push(
			...tunnelInterface(
				design,
				tunnel,
				`tunnel${first + index}`,
				ipsec,
				options.mtu ?? AWPLUS_AWS_TUNNEL_MTU,
			),
		);
	});
	if (options.defaultRoute !== false) lines.push(`ip route 0.0.0.0/0 ${design.customer.wanInterface}`);
	if (design.routing === 'static') {
		for (const prefix of awsNetworks(design)) {
			lines.push(`ip route ${prefix} ${design.tunnels[0].awsInsideIp}`);
			lines.push(`ip route ${prefix} ${design.tunnels[1].awsInsideIp} 2`);
			lines.push(`ip route ${prefix} null 254`);
		}
	} else {
		lines.push(`router bgp ${design.customer.asn}`);
		for (const tunnel of design.tunnels) {
			lines.push(` neighbor ${tunnel.awsInsideIp} remote-as ${design.awsAsn}`);
			lines.push(
				` neighbor ${tunnel.awsInsideIp} timers ${design.bgpKeepaliveSeconds} ${design.bgpHoldSeconds}`,
			);
		}
		for (const prefix of design.customer.lan) lines.push(` network ${prefix}`);
	}
	return lines;
}

/** The appliance side of multi-tenant mode (install-guide 6): every tenant's key, then every tunnel. */
export function multiTenantApplianceConfig(design: MultiTenantDesign): string[] {
	return [
		...design.tenants.map((tenant) => `crypto isakmp key ${tenant.psk} address ${tenant.router.publicIp}`),
		...design.tenants.flatMap((tenant) => [
			`interface ${tenant.applianceTunnelInterface}`,
			` tunnel source ${design.appliance.wanInterface}`,
			` tunnel destination ${tenant.router.publicIp}`,
			` tunnel local name ${tenant.isakmpName}`,
			` tunnel local id ${tenant.l2tpv3.applianceLocalId}`,
			` tunnel remote id ${tenant.l2tpv3.applianceRemoteId}`,
			' tunnel mode l2tp v3',
			' tunnel protection ipsec',
		]),
	];
}

/** One tenant's AR router (install-guide 6, table 5): the L2TPv3 ids mirror the appliance's. */
export function tenantRouterConfig(design: MultiTenantDesign, tenantName: string): string[] {
	const tenant = design.tenants.find((candidate) => candidate.tenantName === tenantName);
	if (!tenant) throw new Error(`no tenant named ${tenantName} in the design`);
	return [
		`crypto isakmp key ${tenant.psk} hostname ${tenant.isakmpName}`,
		`interface ${tenant.router.tunnelInterface}`,
		` tunnel source ${tenant.router.wanInterface}`,
		` tunnel destination ${design.appliance.publicIp}`,
		` tunnel remote name ${tenant.isakmpName}`,
		` tunnel local id ${tenant.l2tpv3.applianceRemoteId}`,
		` tunnel remote id ${tenant.l2tpv3.applianceLocalId}`,
		' tunnel mode l2tp v3',
		' tunnel protection ipsec',
		` ip address ${tenant.router.tunnelAddress}`,
	];
}
