import type {
	CreateCustomerGatewayRequest,
	CreateVpnConnectionRequest,
	CreateVpnGatewayRequest,
	VpnConnection,
	VpnTunnelOptionsSpecification,
} from '@aws-sdk/client-ec2';
import type { Answers, VpnTunnelAnswers } from '../flow/answers.js';
import { DEFAULT_AMAZON_SIDE_ASN, DEFAULT_CUSTOMER_ASN } from '../flow/validate-vpn.js';
import type { AwsVpnConnectionData } from './build.js';
import { parseCustomerGatewayConfiguration } from './customer-gateway-configuration.js';

/**
 * The single-aws-vpn flow's AWS requests, from the answers (pure): what the AWS steps send, in the
 * order install-guide 5b gives (virtual private gateway, customer gateway, VPN connection, routes,
 * propagation), and the way back from DescribeVpnConnections to the design.
 */

export function vpnGatewayRequest(answers: Answers): CreateVpnGatewayRequest {
	return { Type: 'ipsec.1', AmazonSideAsn: answers.vpn?.amazonSideAsn ?? DEFAULT_AMAZON_SIDE_ASN };
}

export function customerGatewayRequest(answers: Answers): CreateCustomerGatewayRequest {
	const peer = answers.peers[0];
	if (!peer) throw new Error('the single-aws-vpn flow needs one peer (the customer gateway)');
	return { Type: 'ipsec.1', IpAddress: peer.publicIp, BgpAsn: peer.asn ?? DEFAULT_CUSTOMER_ASN };
}

function tunnelSpecification(
	tunnel: VpnTunnelAnswers,
	psk: string | undefined,
): VpnTunnelOptionsSpecification {
	const values = <T>(list: readonly T[] | undefined) => list?.map((Value) => ({ Value }));
	const spec: VpnTunnelOptionsSpecification = {
		TunnelInsideCidr: tunnel.insideCidr,
		PreSharedKey: psk,
		IKEVersions: values(tunnel.ikeVersions),
		Phase1EncryptionAlgorithms: values(tunnel.phase1?.encryption),
		Phase1IntegrityAlgorithms: values(tunnel.phase1?.integrity),
		Phase1DHGroupNumbers: values(tunnel.phase1?.dhGroups),
		Phase1LifetimeSeconds: tunnel.phase1?.lifetimeSeconds,
		Phase2EncryptionAlgorithms: values(tunnel.phase2?.encryption),
		Phase2IntegrityAlgorithms: values(tunnel.phase2?.integrity),
		Phase2DHGroupNumbers: values(tunnel.phase2?.dhGroups),
		Phase2LifetimeSeconds: tunnel.phase2?.lifetimeSeconds,
		DPDTimeoutSeconds: tunnel.dpdTimeoutSeconds,
		DPDTimeoutAction: tunnel.dpdTimeoutAction,
		StartupAction: tunnel.startupAction,
	};
	return Object.fromEntries(
		Object.entries(spec).filter(([, value]) => value !== undefined),
	) as VpnTunnelOptionsSpecification;
}

/**
 * CreateVpnConnection's input. `psks[i]` is tunnel i's resolved key when the answers reference one
 * (undefined: AWS generates it). The keys go to AWS only; nothing here is logged or stored.
 */
export function vpnConnectionRequest(
	answers: Answers,
	ids: { customerGatewayId: string; vpnGatewayId: string },
	psks: readonly (string | undefined)[] = [],
): CreateVpnConnectionRequest {
	const tunnels = answers.vpn?.tunnels ?? [];
	const request: CreateVpnConnectionRequest = {
		Type: 'ipsec.1',
		CustomerGatewayId: ids.customerGatewayId,
		VpnGatewayId: ids.vpnGatewayId,
		Options: { StaticRoutesOnly: (answers.vpn?.routing ?? 'bgp') === 'static' },
	};
	if (tunnels.length > 0 && request.Options) {
		request.Options.TunnelOptions = tunnels.map((tunnel, index) => tunnelSpecification(tunnel, psks[index]));
	}
	return request;
}

/**
 * The routes install-guide 5b adds. Static: the site's prefixes (or `vpn.staticRoutes`) plus the
 * link-local range as VPN connection routes. BGP: the site announces its prefixes itself; the
 * link-local range goes into the route table toward the virtual private gateway.
 */
export function vpnRoutes(answers: Answers): { connectionRoutes: string[]; routeTableRoutes: string[] } {
	const linkLocal = answers.vpn?.linkLocalRoute ? [answers.vpn.linkLocalRoute] : [];
	if ((answers.vpn?.routing ?? 'bgp') === 'static') {
		const site = answers.vpn?.staticRoutes ?? answers.peers[0]?.lan ?? [];
		return { connectionRoutes: [...new Set([...site, ...linkLocal])], routeTableRoutes: [] };
	}
	return { connectionRoutes: [], routeTableRoutes: linkLocal };
}

/** DescribeVpnConnections' answer → what buildAwsVpnDesign needs (tunnels keyed by outside address). */
export function awsVpnConnectionData(connection: VpnConnection): AwsVpnConnectionData {
	if (!connection.CustomerGatewayConfiguration) {
		throw new Error(
			`VPN connection ${connection.VpnConnectionId ?? '?'} has no CustomerGatewayConfiguration yet (state ${connection.State ?? '?'})`,
		);
	}
	const data: AwsVpnConnectionData = {
		configuration: parseCustomerGatewayConfiguration(connection.CustomerGatewayConfiguration),
		tunnelOptions: (connection.Options?.TunnelOptions ?? [])
			.filter((tunnel) => tunnel.OutsideIpAddress !== undefined)
			.map((tunnel) => ({
				outsideIpAddress: tunnel.OutsideIpAddress as string,
				ikeVersions: (tunnel.IkeVersions ?? []).map((version) => version.Value ?? '').filter(Boolean),
			})),
	};
	if (connection.Options?.StaticRoutesOnly !== undefined)
		data.staticRoutesOnly = connection.Options.StaticRoutesOnly;
	return data;
}
