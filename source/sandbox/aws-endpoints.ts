import type { SandboxWorld } from './awplus/world.js';
import type { SandboxVpnEndpoint } from './ec2/actions/vpn.js';

/**
 * AWS's two tunnel endpoints of each VPN connection as peers in the simulated world (pure parts):
 * the configuration an endpoint holds, written in the world's AW+ terms so that the world's one set of
 * rules decides whether a tunnel comes up (keys by outside address, inside addresses, IKE version,
 * BGP ASNs), and AWS's telemetry (VgwTelemetry) read back from the world.
 */

/** The world's name for the endpoint at an outside address (outside addresses are unique among live connections). */
export function awsEndpointName(outsideIp: string): string {
	return `aws-${outsideIp}`;
}

function prefixOf(cidr: string): string {
	return cidr.split('/')[1] ?? '30';
}

/** What the endpoint is configured with: its key for the customer gateway, its inside /30, BGP or static routes. */
export function awsEndpointConfig(endpoint: SandboxVpnEndpoint): string[] {
	const lines = [
		`hostname ${awsEndpointName(endpoint.outsideIp)}`,
		'interface eth0',
		` ip address ${endpoint.outsideIp}/32`,
		'crypto isakmp profile AWS-IKE',
		` lifetime ${endpoint.phase1LifetimeSeconds}`,
		`crypto isakmp key ${endpoint.preSharedKey} address ${endpoint.customerGatewayIp}`,
		`crypto isakmp peer address ${endpoint.customerGatewayIp} profile AWS-IKE`,
		'crypto ipsec profile AWS-IPSEC',
		` lifetime seconds ${endpoint.phase2LifetimeSeconds}`,
		'interface tunnel1',
		` ip address ${endpoint.awsInsideIp}/${prefixOf(endpoint.insideCidr)}`,
		' tunnel source eth0',
		` tunnel destination ${endpoint.customerGatewayIp}`,
		' tunnel mode ipsec ipv4',
		' tunnel protection ipsec profile AWS-IPSEC',
	];
	if (endpoint.staticRoutesOnly) {
		for (const route of endpoint.staticRoutes) lines.push(`ip route ${route} tunnel1`);
	} else {
		lines.push(`router bgp ${endpoint.amazonSideAsn}`);
		lines.push(` neighbor ${endpoint.customerInsideIp} remote-as ${endpoint.customerAsn}`);
		for (const cidr of endpoint.vpcCidrs) lines.push(` network ${cidr}`);
	}
	return lines;
}

export type AwsTelemetryValue = { status: 'UP' | 'DOWN'; statusMessage: string; acceptedRouteCount: number };

/**
 * AWS's view of one tunnel, from the world: DOWN while IPsec is down; with BGP, UP only once the BGP
 * session is established ("N BGP ROUTES", N = prefixes AWS accepted from the customer gateway), DOWN
 * with "IPSEC IS UP" before that; with static routing, UP as soon as IPsec is, counting the
 * connection's static routes.
 */
export function awsTelemetryOf(world: SandboxWorld, endpoint: SandboxVpnEndpoint): AwsTelemetryValue {
	const name = awsEndpointName(endpoint.outsideIp);
	if (!world.getRouter(name))
		return { status: 'DOWN', statusMessage: 'IPSEC IS DOWN', acceptedRouteCount: 0 };
	const tunnel = world.tunnels().find((candidate) => candidate.router === name);
	if (tunnel?.state !== 'up')
		return { status: 'DOWN', statusMessage: 'IPSEC IS DOWN', acceptedRouteCount: 0 };
	if (endpoint.staticRoutesOnly) {
		return { status: 'UP', statusMessage: '', acceptedRouteCount: endpoint.staticRoutes.length };
	}
	const neighbor = world
		.status(name)
		.bgp?.neighbors.find((candidate) => candidate.neighbor === endpoint.customerInsideIp);
	if (neighbor?.state !== 'established') {
		return { status: 'DOWN', statusMessage: 'IPSEC IS UP', acceptedRouteCount: 0 };
	}
	const routes = neighbor.prefixesReceived ?? 0;
	return { status: 'UP', statusMessage: `${routes} BGP ROUTES`, acceptedRouteCount: routes };
}
