import { XMLParser } from 'fast-xml-parser';

/**
 * AWS's `CustomerGatewayConfiguration` (DescribeVpnConnections): the vendor-neutral XML from which
 * every "Download configuration" sample is generated. Parsed into one record per `<ipsec_tunnel>`,
 * each complete in itself, so a tunnel's key, inside addresses and BGP peer always travel with its
 * outside address: nothing here is matched up by position.
 */

export type ParsedVpnTunnel = {
	/** AWS's endpoint (`<vpn_gateway><tunnel_outside_address>`): the key of the tunnel. */
	awsOutsideIp: string;
	/** The customer gateway address AWS expects (`<customer_gateway><tunnel_outside_address>`). */
	customerOutsideIp: string;
	awsInsideIp: string;
	customerInsideIp: string;
	/** The /30 the two inside addresses share, e.g. `169.254.123.132/30`. */
	insideCidr: string;
	awsAsn?: number;
	customerAsn?: number;
	bgpHoldSeconds?: number;
	psk: string;
	ike: { encryption: string; integrity: string; dhGroup: number; lifetimeSeconds: number; mode?: string };
	ipsec: {
		encryption: string;
		integrity: string;
		pfsGroup: number;
		lifetimeSeconds: number;
		tcpMss?: number;
		dpdIntervalSeconds?: number;
		dpdRetries?: number;
	};
};

export type CustomerGatewayConfiguration = {
	vpnConnectionId: string;
	customerGatewayId?: string;
	vpnGatewayId?: string;
	/** `NoBGPVPNConnection` for static routing. */
	attributes?: string;
	tunnels: ParsedVpnTunnel[];
};

export class CustomerGatewayConfigurationError extends Error {
	constructor(readonly reason: string) {
		super(`CustomerGatewayConfiguration: ${reason}`);
		this.name = 'CustomerGatewayConfigurationError';
	}
}

const parser = new XMLParser({
	ignoreAttributes: false,
	attributeNamePrefix: '@_',
	parseTagValue: false,
	trimValues: true,
	isArray: (name) => name === 'ipsec_tunnel',
});

type Node = Record<string, unknown>;

function child(node: unknown, name: string): Node | undefined {
	if (node && typeof node === 'object' && name in node) {
		const value = (node as Node)[name];
		return value && typeof value === 'object' ? (value as Node) : undefined;
	}
	return undefined;
}

function text(node: unknown, ...path: string[]): string | undefined {
	let current: unknown = node;
	for (const name of path) {
		if (!current || typeof current !== 'object') return undefined;
		current = (current as Node)[name];
	}
	if (typeof current === 'string') return current.trim() || undefined;
	if (typeof current === 'number') return String(current);
	return undefined;
}

function required(node: unknown, where: string, ...path: string[]): string {
	const value = text(node, ...path);
	if (value === undefined)
		throw new CustomerGatewayConfigurationError(`${where}: <${path.join('><')}> is missing`);
	return value;
}

function integer(value: string | undefined): number | undefined {
	if (value === undefined || !/^\d+$/.test(value)) return undefined;
	return Number(value);
}

/** `aes-128-cbc`, `aes-128`, `AES128` → `aes128`; `aes-256-gcm-16` → `aes256gcm16` (the contract's spelling). */
export function normaliseEncryption(value: string): string {
	const lower = value.toLowerCase().replace(/-cbc$/, '');
	const match = /^aes-?(128|192|256)(?:-?gcm-?(\d+))?$/.exec(lower);
	if (match) return `aes${match[1]}${match[2] ? `gcm${match[2]}` : ''}`;
	return lower.replace(/-/g, '');
}

/** `sha1`, `hmac-sha1-96` → `sha1`; `sha2-256`, `hmac-sha2-256-128`, `SHA2-256` → `sha256`. */
export function normaliseIntegrity(value: string): string {
	const lower = value.toLowerCase().replace(/^hmac-/, '');
	const sha2 = /^sha-?2-(256|384|512)/.exec(lower);
	if (sha2) return `sha${sha2[1]}`;
	if (/^sha-?1/.test(lower)) return 'sha1';
	if (/^sha-?(256|384|512)/.test(lower)) return `sha${/(256|384|512)/.exec(lower)?.[1]}`;
	if (/^md5/.test(lower)) return 'md5';
	return lower;
}

/** `group2` → 2, `group14` → 14. */
function groupNumber(value: string | undefined): number | undefined {
	const match = value === undefined ? null : /(\d+)$/.exec(value);
	return match ? Number(match[1]) : undefined;
}

function prefixFromMask(mask: string): number {
	return mask
		.split('.')
		.map(Number)
		.reduce((bits, octet) => bits + (octet >>> 0).toString(2).replace(/0/g, '').length, 0);
}

function networkOf(address: string, prefix: number): string {
	const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
	const size = 2 ** (32 - prefix);
	const network = value - (value % size);
	return `${[24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.')}/${prefix}`;
}

function parseTunnel(node: unknown, index: number): ParsedVpnTunnel {
	const where = `ipsec_tunnel ${index + 1}`;
	const customer = child(node, 'customer_gateway');
	const aws = child(node, 'vpn_gateway');
	const awsOutsideIp = required(aws, where, 'tunnel_outside_address', 'ip_address');
	const here = `${where} (${awsOutsideIp})`;
	const customerInsideIp = required(customer, here, 'tunnel_inside_address', 'ip_address');
	const prefix =
		integer(text(customer, 'tunnel_inside_address', 'network_cidr')) ??
		prefixFromMask(text(customer, 'tunnel_inside_address', 'network_mask') ?? '255.255.255.252');
	const ike = child(node, 'ike');
	const ipsec = child(node, 'ipsec');
	const psk = required(ike, here, 'pre_shared_key');
	const tunnel: ParsedVpnTunnel = {
		awsOutsideIp,
		customerOutsideIp:
			text(customer, 'tunnel_outside_address', 'ip_address') ??
			text(customer, 'tunnel_outside_address') ??
			'',
		awsInsideIp: required(aws, here, 'tunnel_inside_address', 'ip_address'),
		customerInsideIp,
		insideCidr: networkOf(customerInsideIp, prefix),
		psk,
		ike: {
			encryption: normaliseEncryption(text(ike, 'encryption_protocol') ?? 'aes-128-cbc'),
			integrity: normaliseIntegrity(text(ike, 'authentication_protocol') ?? 'sha1'),
			dhGroup: groupNumber(text(ike, 'perfect_forward_secrecy')) ?? 2,
			lifetimeSeconds: integer(text(ike, 'lifetime')) ?? 28800,
			...(text(ike, 'mode') ? { mode: text(ike, 'mode') } : {}),
		},
		ipsec: {
			encryption: normaliseEncryption(text(ipsec, 'encryption_protocol') ?? 'aes-128-cbc'),
			integrity: normaliseIntegrity(text(ipsec, 'authentication_protocol') ?? 'hmac-sha1-96'),
			pfsGroup: groupNumber(text(ipsec, 'perfect_forward_secrecy')) ?? 2,
			lifetimeSeconds: integer(text(ipsec, 'lifetime')) ?? 3600,
		},
	};
	const tcpMss = integer(text(ipsec, 'tcp_mss_adjustment'));
	if (tcpMss !== undefined) tunnel.ipsec.tcpMss = tcpMss;
	const dpdInterval = integer(text(ipsec, 'dead_peer_detection', 'interval'));
	if (dpdInterval !== undefined) tunnel.ipsec.dpdIntervalSeconds = dpdInterval;
	const dpdRetries = integer(text(ipsec, 'dead_peer_detection', 'retries'));
	if (dpdRetries !== undefined) tunnel.ipsec.dpdRetries = dpdRetries;
	const awsAsn = integer(text(aws, 'bgp', 'asn'));
	if (awsAsn !== undefined) tunnel.awsAsn = awsAsn;
	const customerAsn = integer(text(customer, 'bgp', 'asn'));
	if (customerAsn !== undefined) tunnel.customerAsn = customerAsn;
	const hold = integer(text(aws, 'bgp', 'hold_time') ?? text(customer, 'bgp', 'hold_time'));
	if (hold !== undefined) tunnel.bgpHoldSeconds = hold;
	return tunnel;
}

/** Parses AWS's XML. Throws CustomerGatewayConfigurationError naming what is missing (never the key). */
export function parseCustomerGatewayConfiguration(xml: string): CustomerGatewayConfiguration {
	let document: unknown;
	try {
		document = parser.parse(xml, true);
	} catch (error) {
		throw new CustomerGatewayConfigurationError(
			`not well-formed XML (${(error as Error).message.split('\n')[0]})`,
		);
	}
	const root = child(document, 'vpn_connection');
	if (!root) throw new CustomerGatewayConfigurationError('no <vpn_connection> element');
	const nodes = (root.ipsec_tunnel as unknown[] | undefined) ?? [];
	if (nodes.length === 0) throw new CustomerGatewayConfigurationError('no <ipsec_tunnel> element');
	const tunnels = nodes.map(parseTunnel);
	const outside = new Set(tunnels.map((tunnel) => tunnel.awsOutsideIp));
	if (outside.size !== tunnels.length) {
		throw new CustomerGatewayConfigurationError('two tunnels share an AWS outside address');
	}
	const configuration: CustomerGatewayConfiguration = {
		vpnConnectionId: text(root, '@_id') ?? '',
		tunnels,
	};
	const customerGatewayId = text(root, 'customer_gateway_id');
	if (customerGatewayId) configuration.customerGatewayId = customerGatewayId;
	const vpnGatewayId = text(root, 'vpn_gateway_id');
	if (vpnGatewayId) configuration.vpnGatewayId = vpnGatewayId;
	const attributes = text(root, 'vpn_connection_attributes');
	if (attributes) configuration.attributes = attributes;
	return configuration;
}
