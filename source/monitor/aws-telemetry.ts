import type { CustomerGateway, VpnConnection } from '@aws-sdk/client-ec2';
import { parseCustomerGatewayConfiguration } from '../design/customer-gateway-configuration.js';
import type { AwsTunnelTelemetry } from '../router/model.js';
import { type ExpectedTunnel, normalizePeer } from './tunnels.js';

/**
 * AWS's side of each tunnel (DescribeVpnConnections → VgwTelemetry), per customer gateway address:
 * the router that owns that address gets the telemetry of its VPN connections beside its own rows.
 * Pure: the command fetches, this shapes.
 */
export function telemetryByCustomerAddress(
	connections: readonly VpnConnection[],
	gateways: readonly CustomerGateway[],
): Map<string, AwsTunnelTelemetry[]> {
	const addressOf = new Map(
		gateways.flatMap((gateway) =>
			gateway.CustomerGatewayId && gateway.IpAddress
				? [[gateway.CustomerGatewayId, normalizePeer(gateway.IpAddress)] as const]
				: [],
		),
	);
	const result = new Map<string, AwsTunnelTelemetry[]>();
	for (const connection of connections) {
		if (!connection.VpnConnectionId || connection.State === 'deleted') continue;
		const address = connection.CustomerGatewayId ? addressOf.get(connection.CustomerGatewayId) : undefined;
		if (!address) continue;
		const list = result.get(address) ?? [];
		for (const tunnel of connection.VgwTelemetry ?? []) {
			if (!tunnel.OutsideIpAddress || (tunnel.Status !== 'UP' && tunnel.Status !== 'DOWN')) continue;
			list.push({
				vpnConnectionId: connection.VpnConnectionId,
				outsideIp: tunnel.OutsideIpAddress,
				status: tunnel.Status,
				...(tunnel.StatusMessage !== undefined ? { statusMessage: tunnel.StatusMessage } : {}),
				...(tunnel.AcceptedRouteCount !== undefined ? { acceptedRouteCount: tunnel.AcceptedRouteCount } : {}),
				...(tunnel.LastStatusChange !== undefined
					? { lastStatusChange: new Date(tunnel.LastStatusChange).toISOString() }
					: {}),
			});
		}
		result.set(address, list);
	}
	return result;
}

/**
 * The two addresses of a tunnel's inside /30 as AWS assigns them: the first host is AWS's (the
 * virtual private gateway's `tunnel_inside_address`, the customer router's BGP neighbour), the second
 * the customer gateway's. `169.254.10.0/30` → `169.254.10.1` and `169.254.10.2`.
 */
export function insideAddressesOf(cidr: string): { aws: string; customer: string } | undefined {
	const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/30$/.exec(String(cidr).trim());
	if (!match) return undefined;
	const octets = match.slice(1, 5).map(Number);
	if (octets.some((octet) => octet > 255) || (octets[3] ?? 0) % 4 !== 0) return undefined;
	const base = octets.slice(0, 3).join('.');
	const last = octets[3] ?? 0;
	return { aws: `${base}.${last + 1}`, customer: `${base}.${last + 2}` };
}

/** One AWS tunnel as the monitor knows it, before it becomes the customer router's ExpectedTunnel. */
export type AwsTunnelFacts = {
	vpnConnectionId: string;
	outsideIp: string;
	insideCidr?: string;
	awsInsideIp?: string;
	customerInsideIp?: string;
	awsAsn?: number;
	customerAsn?: number;
	routing?: 'bgp' | 'static';
};

const byNumbers = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/**
 * The customer router's expected tunnels from AWS's facts: one per tunnel, keyed by AWS's outside
 * address, with AWS's inside address as the BGP neighbour when the connection routes with BGP. Named
 * after the tunnel's inside /30 (stable; AWS's order of a connection's tunnels is not), sorted by it.
 */
export function expectedAwsTunnels(facts: readonly AwsTunnelFacts[]): ExpectedTunnel[] {
	const seen = new Set<string>();
	const tunnels: ExpectedTunnel[] = [];
	for (const fact of facts) {
		const peer = normalizePeer(fact.outsideIp);
		if (peer === '' || seen.has(peer)) continue;
		seen.add(peer);
		const inside = fact.insideCidr ? insideAddressesOf(fact.insideCidr) : undefined;
		const awsInsideIp = fact.awsInsideIp ?? inside?.aws;
		const customerInsideIp = fact.customerInsideIp ?? inside?.customer;
		const bgp = fact.routing !== 'static';
		tunnels.push({
			name: fact.insideCidr ?? (awsInsideIp ? `${awsInsideIp}/30` : peer),
			peerOutsideIp: peer,
			vpnConnectionId: fact.vpnConnectionId,
			...(awsInsideIp ? { awsInsideIp } : {}),
			...(customerInsideIp ? { customerInsideIp } : {}),
			...(bgp && awsInsideIp ? { bgpNeighbor: awsInsideIp } : {}),
			...(bgp && fact.awsAsn !== undefined ? { remoteAs: fact.awsAsn } : {}),
			...(bgp && fact.customerAsn !== undefined ? { localAs: fact.customerAsn } : {}),
		});
	}
	return tunnels.sort(
		(a, b) =>
			(a.vpnConnectionId ?? '').localeCompare(b.vpnConnectionId ?? '') ||
			Number(a.awsInsideIp === undefined) - Number(b.awsInsideIp === undefined) ||
			byNumbers(a.awsInsideIp ?? '', b.awsInsideIp ?? '') ||
			byNumbers(a.peerOutsideIp, b.peerOutsideIp),
	);
}

const numberOf = (value: unknown): number | undefined => {
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof number === 'number' && Number.isInteger(number) ? number : undefined;
};

/**
 * AWS's facts per tunnel from one DescribeVpnConnections answer: CustomerGatewayConfiguration (every
 * fact, each tunnel complete in itself), else Options.TunnelOptions (outside address and inside /30;
 * the customer ASN from the customer gateway). The Amazon-side ASN is not in Options: `awsAsn` supplies
 * it (the state file's vpn-gateway record) when the configuration is absent.
 */
export function awsTunnelFactsFromConnection(
	connection: VpnConnection,
	gateway: CustomerGateway | undefined,
	awsAsn?: number,
): AwsTunnelFacts[] {
	const vpnConnectionId = connection.VpnConnectionId;
	if (!vpnConnectionId || connection.State === 'deleted') return [];
	const customerAsn = numberOf(gateway?.BgpAsn);
	if (connection.CustomerGatewayConfiguration) {
		try {
			const parsed = parseCustomerGatewayConfiguration(connection.CustomerGatewayConfiguration);
			const routing = parsed.attributes === 'NoBGPVPNConnection' ? 'static' : 'bgp';
			return parsed.tunnels.map((tunnel) => ({
				vpnConnectionId,
				outsideIp: tunnel.awsOutsideIp,
				insideCidr: tunnel.insideCidr,
				awsInsideIp: tunnel.awsInsideIp,
				customerInsideIp: tunnel.customerInsideIp,
				routing,
				...((tunnel.awsAsn ?? awsAsn) !== undefined ? { awsAsn: tunnel.awsAsn ?? awsAsn } : {}),
				...((tunnel.customerAsn ?? customerAsn) !== undefined
					? { customerAsn: tunnel.customerAsn ?? customerAsn }
					: {}),
			}));
		} catch {
			// a configuration we cannot read: the options below still key the tunnels
		}
	}
	const routing = connection.Options?.StaticRoutesOnly === true ? 'static' : 'bgp';
	const fromOptions = (connection.Options?.TunnelOptions ?? []).flatMap((tunnel) =>
		tunnel.OutsideIpAddress
			? [
					{
						vpnConnectionId,
						outsideIp: tunnel.OutsideIpAddress,
						...(tunnel.TunnelInsideCidr ? { insideCidr: tunnel.TunnelInsideCidr } : {}),
						routing,
						...(awsAsn !== undefined ? { awsAsn } : {}),
						...(customerAsn !== undefined ? { customerAsn } : {}),
					} satisfies AwsTunnelFacts,
				]
			: [],
	);
	if (fromOptions.length > 0) return fromOptions;
	// neither: the telemetry still names the outside addresses
	return (connection.VgwTelemetry ?? []).flatMap((tunnel) =>
		tunnel.OutsideIpAddress
			? [
					{
						vpnConnectionId,
						outsideIp: tunnel.OutsideIpAddress,
						routing,
						...(awsAsn !== undefined ? { awsAsn } : {}),
						...(customerAsn !== undefined ? { customerAsn } : {}),
					},
				]
			: [],
	);
}

/** What the state file records about a VPN connection (flow/vpn-steps.ts `connectionRecord`). */
type StateLike = {
	resources: readonly ({ kind: string; id: string } & Record<string, unknown>)[];
};

const stringOf = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The same facts from the state file alone (AWS unreachable, or not asked yet): the vpn-connection
 * record's tunnels (outside address and inside /30) or at least its outside addresses, the ASNs from
 * the customer-gateway and vpn-gateway records. Keyed by the customer gateway's address.
 */
export function awsTunnelFactsFromState(state: StateLike): Map<string, AwsTunnelFacts[]> {
	const byId = new Map(state.resources.map((resource) => [resource.id, resource]));
	const result = new Map<string, AwsTunnelFacts[]>();
	for (const connection of state.resources) {
		if (connection.kind !== 'vpn-connection') continue;
		const customer = byId.get(stringOf(connection.customerGatewayId) ?? '');
		const gateway = byId.get(stringOf(connection.vpnGatewayId) ?? '');
		const address = stringOf(customer?.ipAddress);
		if (!address) continue;
		const awsAsn = numberOf(gateway?.amazonSideAsn);
		const customerAsn = numberOf(customer?.bgpAsn);
		const routing = connection.routing === 'static' ? 'static' : 'bgp';
		const recorded = Array.isArray(connection.tunnels)
			? (connection.tunnels as unknown[]).flatMap((tunnel) => {
					const record = (tunnel ?? {}) as Record<string, unknown>;
					const outsideIp = stringOf(record.outsideIp);
					const insideCidr = stringOf(record.insideCidr);
					return outsideIp ? [{ outsideIp, ...(insideCidr ? { insideCidr } : {}) }] : [];
				})
			: [];
		const outsideOnly = Array.isArray(connection.outsideIps)
			? (connection.outsideIps as unknown[]).flatMap((ip) => {
					const outsideIp = stringOf(ip);
					return outsideIp && !recorded.some((tunnel) => tunnel.outsideIp === outsideIp)
						? [{ outsideIp }]
						: [];
				})
			: [];
		const list = result.get(normalizePeer(address)) ?? [];
		for (const tunnel of [...recorded, ...outsideOnly])
			list.push({
				vpnConnectionId: connection.id,
				...tunnel,
				routing,
				...(awsAsn !== undefined ? { awsAsn } : {}),
				...(customerAsn !== undefined ? { customerAsn } : {}),
			});
		result.set(normalizePeer(address), list);
	}
	return result;
}

/**
 * AWS's facts per customer gateway address from DescribeVpnConnections (+ DescribeCustomerGateways),
 * falling back per VPN connection to what the state file recorded: a connection AWS answered for is
 * taken from AWS's answer only.
 */
export function awsTunnelFactsByCustomerAddress(
	connections: readonly VpnConnection[],
	gateways: readonly CustomerGateway[],
	fromState: ReadonlyMap<string, readonly AwsTunnelFacts[]> = new Map(),
): Map<string, AwsTunnelFacts[]> {
	const gatewayById = new Map(
		gateways.flatMap((gateway) =>
			gateway.CustomerGatewayId ? [[gateway.CustomerGatewayId, gateway] as const] : [],
		),
	);
	const stateAsn = new Map<string, number>();
	for (const facts of fromState.values())
		for (const fact of facts) if (fact.awsAsn !== undefined) stateAsn.set(fact.vpnConnectionId, fact.awsAsn);
	const result = new Map<string, AwsTunnelFacts[]>();
	const answered = new Set<string>();
	for (const connection of connections) {
		const gateway = connection.CustomerGatewayId ? gatewayById.get(connection.CustomerGatewayId) : undefined;
		const address = gateway?.IpAddress ? normalizePeer(gateway.IpAddress) : undefined;
		if (!address || !connection.VpnConnectionId) continue;
		const facts = awsTunnelFactsFromConnection(connection, gateway, stateAsn.get(connection.VpnConnectionId));
		// a deleted connection has no tunnels to expect; one AWS told nothing about falls back to the state
		if (facts.length > 0 || connection.State === 'deleted') answered.add(connection.VpnConnectionId);
		if (facts.length === 0) continue;
		result.set(address, [...(result.get(address) ?? []), ...facts]);
	}
	for (const [address, facts] of fromState) {
		const missing = facts.filter((fact) => !answered.has(fact.vpnConnectionId));
		if (missing.length > 0) result.set(address, [...(result.get(address) ?? []), ...missing]);
	}
	return result;
}
