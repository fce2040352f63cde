import type { CustomerGateway, VpnConnection } from '@aws-sdk/client-ec2';
import type { AwsTunnelTelemetry } from '../router/model.js';
import { normalizePeer } from './tunnels.js';

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
