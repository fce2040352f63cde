import type { ApplianceTunnelDesign } from '../../../design/model.js';

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
