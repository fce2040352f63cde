import type { Answers, Peer } from '../flow/answers.js';
import { DEFAULT_AMAZON_SIDE_ASN, DEFAULT_CUSTOMER_ASN, tenantIdentity } from '../flow/validate-vpn.js';
import type { CustomerGatewayConfiguration, ParsedVpnTunnel } from './customer-gateway-configuration.js';
import type { ApplianceTunnelDesign, AwsVpnDesign, AwsVpnTunnel, MultiTenantDesign } from './model.js';

export type ApplianceAddresses = { publicIp: string; privateIp: string };

/** The far host of a /30 (or /31) given one interface address: 172.16.0.1/30 → 172.16.0.2/30. */
export function partnerAddress(interfaceAddress: string): string {
	const [address = '', prefixText = '30'] = interfaceAddress.split('/');
	const octets = address.split('.').map(Number);
	const value = octets.reduce((sum, octet) => sum * 256 + octet, 0);
	const prefix = Number(prefixText);
	const size = 2 ** (32 - prefix);
	const network = value - (value % size);
	const hosts = prefix >= 31 ? [network, network + 1] : [network + 1, network + 2];
	const other = value === hosts[0] ? hosts[1] : hosts[0];
	const text = [24, 16, 8, 0].map((shift) => Math.floor((other ?? 0) / 2 ** shift) % 256).join('.');
	return `${text}/${prefix}`;
}

/** Install-guide 5a from the answers, the appliance's addresses as AWS reports them, and the resolved PSK. */
export function buildApplianceTunnelDesign(
	answers: Answers,
	peer: Peer,
	appliance: ApplianceAddresses,
	psk: string,
): ApplianceTunnelDesign {
	const applianceTunnel = answers.appliance.tunnelAddress;
	return {
		kind: 'appliance-ipsec',
		peerName: peer.name,
		psk,
		applianceName: answers.appliance.localName,
		appliance: {
			wanInterface: 'eth0',
			publicIp: appliance.publicIp,
			privateIp: appliance.privateIp,
			tunnelInterface: 'tunnel0',
			tunnelAddress: applianceTunnel,
			routesViaTunnel: peer.lan,
		},
		router: {
			wanInterface: peer.router?.wanInterface ?? 'ppp0',
			publicIp: peer.publicIp,
			tunnelInterface: 'tunnel0',
			tunnelAddress: peer.tunnelAddress ?? partnerAddress(applianceTunnel),
			routesViaTunnel: [`${appliance.privateIp}/32`],
		},
		mtu: 1300,
		mss: 1260,
	};
}

/** What DescribeVpnConnections says about one tunnel's options (TunnelOption), keyed by its outside address. */
export type AwsTunnelOptions = { outsideIpAddress: string; ikeVersions?: string[] };

export type AwsVpnConnectionData = {
	/** The parsed `CustomerGatewayConfiguration`. */
	configuration: CustomerGatewayConfiguration;
	/** `Options.TunnelOptions` from DescribeVpnConnections, when known. */
	tunnelOptions?: AwsTunnelOptions[];
	/** `Options.StaticRoutesOnly`, when known. */
	staticRoutesOnly?: boolean;
};

function ipValue(address: string): number {
	return address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
}

/** IKEv2 only when the tunnel allows nothing else; AWS offers both by default and IKEv1 suits every sample. */
function ikeVersionOf(versions: readonly string[] | undefined): 1 | 2 {
	return versions && versions.length > 0 && versions.every((version) => version === 'ikev2') ? 2 : 1;
}

function designTunnel(
	answers: Answers,
	parsed: ParsedVpnTunnel,
	options: AwsTunnelOptions | undefined,
): AwsVpnTunnel {
	// The answers' own tunnel options are matched by inside CIDR (what the user chose), never by position.
	const asked = answers.vpn?.tunnels?.find((tunnel) => tunnel.insideCidr === parsed.insideCidr);
	return {
		awsOutsideIp: parsed.awsOutsideIp,
		psk: parsed.psk,
		insideCidr: parsed.insideCidr,
		awsInsideIp: parsed.awsInsideIp,
		customerInsideIp: parsed.customerInsideIp,
		ikeVersion: ikeVersionOf(options?.ikeVersions ?? asked?.ikeVersions),
		phase1: {
			encryption: parsed.ike.encryption,
			integrity: parsed.ike.integrity,
			dhGroup: parsed.ike.dhGroup,
			lifetimeSeconds: parsed.ike.lifetimeSeconds,
		},
		phase2: {
			encryption: parsed.ipsec.encryption,
			integrity: parsed.ipsec.integrity,
			pfsGroup: parsed.ipsec.pfsGroup,
			lifetimeSeconds: parsed.ipsec.lifetimeSeconds,
		},
		dpdIntervalSeconds: parsed.ipsec.dpdIntervalSeconds ?? 10,
		dpdRetries: parsed.ipsec.dpdRetries ?? 3,
	};
}

/**
 * Install-guide 5b from the answers and what AWS returned. Each tunnel comes whole from its own
 * `<ipsec_tunnel>` (key, inside addresses, BGP peer with its outside address); tunnels are ordered by
 * outside address so that tunnel1/tunnel2 stay put however AWS orders its XML.
 */
export function buildAwsVpnDesign(answers: Answers, vpn: AwsVpnConnectionData): AwsVpnDesign {
	const peer = answers.peers[0];
	if (!peer) throw new Error('the single-aws-vpn flow needs one peer (the customer gateway)');
	const parsed = [...vpn.configuration.tunnels].sort(
		(a, b) => ipValue(a.awsOutsideIp) - ipValue(b.awsOutsideIp),
	);
	const [first, second] = parsed;
	if (!first || !second || parsed.length !== 2) {
		throw new Error(
			`VPN connection ${vpn.configuration.vpnConnectionId}: expected two tunnels, found ${parsed.length}`,
		);
	}
	const optionsFor = (tunnel: ParsedVpnTunnel) =>
		vpn.tunnelOptions?.find((options) => options.outsideIpAddress === tunnel.awsOutsideIp);
	const bgpInXml = parsed.some((tunnel) => tunnel.awsAsn !== undefined);
	const routing =
		answers.vpn?.routing ??
		(vpn.staticRoutesOnly === true || (!bgpInXml && vpn.staticRoutesOnly === undefined) ? 'static' : 'bgp');
	const design: AwsVpnDesign = {
		kind: 'aws-vpn',
		customer: {
			publicIp: peer.publicIp,
			wanInterface: peer.router?.wanInterface ?? 'ppp0',
			asn: peer.asn ?? first.customerAsn ?? DEFAULT_CUSTOMER_ASN,
			lan: peer.lan,
			...(peer.privateIp ? { privateIp: peer.privateIp } : {}),
		},
		awsAsn: first.awsAsn ?? answers.vpn?.amazonSideAsn ?? DEFAULT_AMAZON_SIDE_ASN,
		vpcCidr: answers.vpc.cidr,
		routing,
		tunnels: [
			designTunnel(answers, first, optionsFor(first)),
			designTunnel(answers, second, optionsFor(second)),
		],
		mtu: 1399,
		mss: first.ipsec.tcpMss ?? 1387,
		bgpHoldSeconds: first.bgpHoldSeconds ?? 30,
		bgpKeepaliveSeconds: 10,
	};
	if (answers.vpn?.awsNetworks) design.awsNetworks = answers.vpn.awsNetworks;
	if (vpn.configuration.vpnConnectionId) design.vpnConnectionId = vpn.configuration.vpnConnectionId;
	return design;
}

/**
 * Install-guide 6 (tables 4 and 5) from the answers, the appliance's addresses and the tenants' resolved
 * keys (by peer name). Defaults per tenant n: vaa<n>, tunnel<n>, L2TPv3 n1/n2, router 172.16.0.2/24,
 * container 172.16.0.1/24.
 */
export function buildMultiTenantDesign(
	answers: Answers,
	appliance: ApplianceAddresses,
	psks: Readonly<Record<string, string>>,
): MultiTenantDesign {
	return {
		kind: 'multi-tenant',
		appliance: { wanInterface: 'eth0', publicIp: appliance.publicIp, privateIp: appliance.privateIp },
		tenants: answers.peers.map((peer, index) => {
			const identity = tenantIdentity(peer, index + 1);
			const psk = psks[peer.name];
			if (psk === undefined) throw new Error(`no pre-shared key resolved for tenant ${peer.name}`);
			const routerAddress = peer.tunnelAddress ?? '172.16.0.2/24';
			const container: MultiTenantDesign['tenants'][number]['container'] = {
				address: peer.tenant?.containerAddress ?? partnerAddress(routerAddress),
			};
			if (peer.tenant?.container) container.name = peer.tenant.container;
			if (peer.tenant?.bridge) container.bridge = peer.tenant.bridge;
			return {
				tenantName: peer.name,
				psk,
				isakmpName: identity.isakmpName,
				l2tpv3: { applianceLocalId: identity.l2tpv3.local, applianceRemoteId: identity.l2tpv3.remote },
				applianceTunnelInterface: identity.applianceTunnel,
				router: {
					publicIp: peer.publicIp,
					wanInterface: peer.router?.wanInterface ?? 'ppp0',
					tunnelInterface: 'tunnel0',
					tunnelAddress: routerAddress,
					lan: peer.lan,
				},
				container,
			};
		}),
	};
}
