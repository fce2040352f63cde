import { XMLBuilder } from 'fast-xml-parser';
import { cidrInside, isValidIpv4, parseNetworkCidr } from '../cidr.js';
import type { ActionContext, ActionTable, Timings } from '../context.js';
import { Ec2Error, invalidParameterValue, missingParameter } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { newId } from '../ids.js';
import { find } from '../lookups.js';
import type { QueryParams } from '../query.js';
import {
	type CustomerGatewayRecord,
	type RegionState,
	type RouteTableRecord,
	type SandboxState,
	TERMINATED_VISIBLE_MS,
	type VpnConnectionRecord,
	type VpnGatewayAttachmentRecord,
	type VpnGatewayRecord,
	type VpnTunnelRecord,
} from '../state.js';
import { renderTags, tagsFromSpecifications } from '../tags.js';
import { type XmlObject, xmlList, xmlTime } from '../xml.js';

/**
 * Site-to-Site VPN over a virtual private gateway: VPN gateways, customer gateways, VPN connections
 * with their two tunnels, static routes and route propagation, with AWS's validation, error codes
 * and lifecycles (attaching → attached, pending → available, deleting → deleted), derived from
 * absolute times like instance states. Pre-shared keys live in the store as on AWS (AWS returns
 * them to the account); the tool itself never writes them anywhere.
 */

/** Optional timings for the VPN lifecycles; each defaults to `instanceRunningMs`. */
export type VpnTimings = {
	vpnGatewayAttachMs?: number;
	vpnConnectionAvailableMs?: number;
	vpnConnectionDeletedMs?: number;
};

function delay(context: ActionContext, key: keyof VpnTimings): number {
	const timings = context.timings as Timings & VpnTimings;
	return timings[key] ?? timings.instanceRunningMs;
}

type VpnTables = {
	vpnGateways: Record<string, VpnGatewayRecord>;
	customerGateways: Record<string, CustomerGatewayRecord>;
	vpnConnections: Record<string, VpnConnectionRecord>;
};

/** The region's VPN tables, created on first use (older state files have none). */
export function vpnTables(region: RegionState): VpnTables {
	region.vpnGateways ??= {};
	region.customerGateways ??= {};
	region.vpnConnections ??= {};
	return region as RegionState & VpnTables;
}

/** Deleted resources stay visible for a while, as on AWS, then disappear. */
function forgetLongDeleted(tables: VpnTables, now: number): void {
	for (const table of [tables.vpnGateways, tables.customerGateways, tables.vpnConnections] as Record<
		string,
		{ deletedAt?: number }
	>[]) {
		for (const [id, record] of Object.entries(table)) {
			if (record.deletedAt !== undefined && now >= record.deletedAt + TERMINATED_VISIBLE_MS) delete table[id];
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Facts AWS enforces

const RESERVED_CUSTOMER_ASNS = [7224, 9059, 10124, 17943];
const RESERVED_INSIDE_CIDRS = [
	'169.254.0.0/30',
	'169.254.1.0/30',
	'169.254.2.0/30',
	'169.254.3.0/30',
	'169.254.4.0/30',
	'169.254.5.0/30',
	'169.254.169.252/30',
];
const ENCRYPTION = ['AES128', 'AES256', 'AES128-GCM-16', 'AES256-GCM-16'];
const INTEGRITY = ['SHA1', 'SHA2-256', 'SHA2-384', 'SHA2-512'];
const DH_GROUPS = [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
const IKE_VERSIONS = ['ikev1', 'ikev2'];
const PSK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._';

// ---------------------------------------------------------------------------------------------
// States derived from times

type AttachmentState = 'attaching' | 'attached' | 'detaching' | 'detached';

function attachmentState(attachment: VpnGatewayAttachmentRecord, now: number): AttachmentState {
	if (attachment.detachedAt !== undefined && now >= attachment.detachedAt) return 'detached';
	if (attachment.detachRequestedAt !== undefined) return 'detaching';
	return now >= attachment.attachedAt ? 'attached' : 'attaching';
}

/** The VPC a gateway is attached (or attaching) to, if any. */
function attachedVpcId(gateway: VpnGatewayRecord, now: number): string | undefined {
	const attachment = gateway.attachment;
	if (!attachment) return undefined;
	const state = attachmentState(attachment, now);
	return state === 'attached' || state === 'attaching' ? attachment.vpcId : undefined;
}

type ConnectionState = 'pending' | 'available' | 'deleting' | 'deleted';

function connectionState(connection: VpnConnectionRecord, now: number): ConnectionState {
	if (connection.deletedAt !== undefined && now >= connection.deletedAt) return 'deleted';
	if (connection.deleteRequestedAt !== undefined) return 'deleting';
	return now >= connection.availableAt ? 'available' : 'pending';
}

function live(connection: VpnConnectionRecord, now: number): boolean {
	const state = connectionState(connection, now);
	return state === 'pending' || state === 'available';
}

// ---------------------------------------------------------------------------------------------
// Lookups, as EC2 words their failures

const kinds = {
	vpnGateway: { prefix: 'vgw', noun: 'vpnGateway', code: 'InvalidVpnGatewayID' },
	customerGateway: { prefix: 'cgw', noun: 'customerGateway', code: 'InvalidCustomerGatewayID' },
	vpnConnection: { prefix: 'vpn', noun: 'vpnConnection', code: 'InvalidVpnConnectionID' },
} as const;

function findLive<T extends { deletedAt?: number }>(
	kind: keyof typeof kinds,
	table: Record<string, T>,
	id: string,
	now: number,
): T {
	const facts = kinds[kind];
	if (!new RegExp(`^${facts.prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`).test(id)) {
		throw new Ec2Error(`${facts.code}.Malformed`, `Invalid id: "${id}" (expecting "${facts.prefix}-...")`);
	}
	const found = table[id];
	if (!found || (found.deletedAt !== undefined && now >= found.deletedAt)) {
		throw new Ec2Error(`${facts.code}.NotFound`, `The ${facts.noun} ID '${id}' does not exist`);
	}
	return found;
}

function selectIds<T extends { deletedAt?: number }>(
	kind: keyof typeof kinds,
	table: Record<string, T>,
	ids: readonly string[],
): T[] {
	if (ids.length === 0) return Object.values(table);
	// Describe calls still show recently deleted resources when asked for by ID.
	return [...new Set(ids)].map((id) => findLive(kind, table, id, Number.NEGATIVE_INFINITY));
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderVpnGateway(gateway: VpnGatewayRecord, now: number): XmlObject {
	const attachment = gateway.attachment;
	return {
		vpnGatewayId: gateway.id,
		state: gateway.deletedAt !== undefined ? 'deleted' : 'available',
		type: gateway.type,
		availabilityZone: gateway.availabilityZone,
		attachments: xmlList(attachment ? [attachment] : [], (found) => ({
			vpcId: found.vpcId,
			state: attachmentState(found, now),
		})),
		amazonSideAsn: gateway.amazonSideAsn,
		tagSet: renderTags(gateway.tags),
	};
}

function renderCustomerGateway(gateway: CustomerGatewayRecord): XmlObject {
	return {
		customerGatewayId: gateway.id,
		state: gateway.deletedAt !== undefined ? 'deleted' : 'available',
		type: gateway.type,
		ipAddress: gateway.ipAddress,
		bgpAsn: String(gateway.bgpAsn),
		bgpAsnExtended: gateway.bgpAsn > 2147483647 ? String(gateway.bgpAsn) : undefined,
		deviceName: gateway.deviceName,
		tagSet: renderTags(gateway.tags),
	};
}

const configurationBuilder = new XMLBuilder({
	ignoreAttributes: false,
	attributeNamePrefix: '@_',
	format: true,
	indentBy: '  ',
	suppressEmptyNode: false,
});

const ikeEncryptionName: Record<string, string> = {
	AES128: 'aes-128-cbc',
	AES256: 'aes-256-cbc',
	'AES128-GCM-16': 'aes-128-gcm-16',
	'AES256-GCM-16': 'aes-256-gcm-16',
};
const ikeIntegrityName: Record<string, string> = {
	SHA1: 'sha1',
	'SHA2-256': 'sha2-256',
	'SHA2-384': 'sha2-384',
	'SHA2-512': 'sha2-512',
};
const espIntegrityName: Record<string, string> = {
	SHA1: 'hmac-sha1-96',
	'SHA2-256': 'hmac-sha2-256-128',
	'SHA2-384': 'hmac-sha2-384-192',
	'SHA2-512': 'hmac-sha2-512-256',
};

function insideAddresses(cidr: string): { aws: string; customer: string } {
	const [network = '0.0.0.0'] = cidr.split('/');
	const octets = network.split('.').map(Number);
	const last = octets[3] ?? 0;
	const base = octets.slice(0, 3).join('.');
	return { aws: `${base}.${last + 1}`, customer: `${base}.${last + 2}` };
}

/**
 * The vendor-neutral `CustomerGatewayConfiguration` XML, in AWS's shape: one `<ipsec_tunnel>` per
 * tunnel, with the first proposal the tunnel allows (AWS's samples use the weakest it accepts).
 */
export function customerGatewayConfiguration(
	connection: VpnConnectionRecord,
	customer: CustomerGatewayRecord,
	gateway: VpnGatewayRecord,
): string {
	const bgp = !connection.staticRoutesOnly;
	const tunnel = (record: VpnTunnelRecord) => {
		const inside = insideAddresses(record.insideCidr);
		const insideNode = (ip: string) => ({
			ip_address: ip,
			network_mask: '255.255.255.252',
			network_cidr: 30,
		});
		const p1Encryption = record.phase1EncryptionAlgorithms?.[0] ?? 'AES128';
		const p2Encryption = record.phase2EncryptionAlgorithms?.[0] ?? 'AES128';
		return {
			customer_gateway: {
				tunnel_outside_address: { ip_address: customer.ipAddress },
				tunnel_inside_address: insideNode(inside.customer),
				...(bgp ? { bgp: { asn: customer.bgpAsn, hold_time: 30 } } : {}),
			},
			vpn_gateway: {
				tunnel_outside_address: { ip_address: record.outsideIpAddress },
				tunnel_inside_address: insideNode(inside.aws),
				...(bgp ? { bgp: { asn: gateway.amazonSideAsn, hold_time: 30 } } : {}),
			},
			ike: {
				authentication_protocol: ikeIntegrityName[record.phase1IntegrityAlgorithms?.[0] ?? 'SHA1'],
				encryption_protocol: ikeEncryptionName[p1Encryption],
				lifetime: record.phase1LifetimeSeconds ?? 28800,
				perfect_forward_secrecy: `group${record.phase1DhGroupNumbers?.[0] ?? 2}`,
				mode: 'main',
				pre_shared_key: record.preSharedKey,
			},
			ipsec: {
				protocol: 'esp',
				authentication_protocol: espIntegrityName[record.phase2IntegrityAlgorithms?.[0] ?? 'SHA1'],
				encryption_protocol: ikeEncryptionName[p2Encryption],
				lifetime: record.phase2LifetimeSeconds ?? 3600,
				perfect_forward_secrecy: `group${record.phase2DhGroupNumbers?.[0] ?? 2}`,
				mode: 'tunnel',
				clear_df_bit: true,
				fragmentation_before_encryption: true,
				tcp_mss_adjustment: 1379,
				dead_peer_detection: { interval: 10, retries: 3 },
			},
		};
	};
	return configurationBuilder.build({
		'?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
		vpn_connection: {
			'@_id': connection.id,
			customer_gateway_id: customer.id,
			vpn_gateway_id: gateway.id,
			vpn_connection_type: connection.type,
			...(bgp ? {} : { vpn_connection_attributes: 'NoBGPVPNConnection' }),
			ipsec_tunnel: connection.tunnels.map(tunnel),
		},
	});
}

function valueList(values: readonly (string | number)[] | undefined) {
	return values ? xmlList(values, (value) => ({ value })) : undefined;
}

function renderVpnConnection(context: ActionContext, connection: VpnConnectionRecord): XmlObject {
	const tables = vpnTables(context.region);
	const state = connectionState(connection, context.now);
	const customer = tables.customerGateways[connection.customerGatewayId];
	const gateway = tables.vpnGateways[connection.vpnGatewayId];
	const showConfiguration = (state === 'pending' || state === 'available') && customer && gateway;
	return {
		vpnConnectionId: connection.id,
		customerGatewayConfiguration: showConfiguration
			? customerGatewayConfiguration(connection, customer, gateway)
			: undefined,
		customerGatewayId: connection.customerGatewayId,
		category: 'VPN',
		state,
		type: connection.type,
		vpnGatewayId: connection.vpnGatewayId,
		options: {
			enableAcceleration: false,
			staticRoutesOnly: connection.staticRoutesOnly,
			localIpv4NetworkCidr: '0.0.0.0/0',
			remoteIpv4NetworkCidr: '0.0.0.0/0',
			outsideIpAddressType: 'PublicIpv4',
			tunnelInsideIpVersion: 'ipv4',
			tunnelOptionSet: xmlList(connection.tunnels, (tunnel) => ({
				outsideIpAddress: tunnel.outsideIpAddress,
				tunnelInsideCidr: tunnel.insideCidr,
				preSharedKey: tunnel.preSharedKey,
				phase1LifetimeSeconds: tunnel.phase1LifetimeSeconds,
				phase2LifetimeSeconds: tunnel.phase2LifetimeSeconds,
				dpdTimeoutSeconds: tunnel.dpdTimeoutSeconds,
				dpdTimeoutAction: tunnel.dpdTimeoutAction,
				phase1EncryptionAlgorithmSet: valueList(tunnel.phase1EncryptionAlgorithms),
				phase2EncryptionAlgorithmSet: valueList(tunnel.phase2EncryptionAlgorithms),
				phase1IntegrityAlgorithmSet: valueList(tunnel.phase1IntegrityAlgorithms),
				phase2IntegrityAlgorithmSet: valueList(tunnel.phase2IntegrityAlgorithms),
				phase1DHGroupNumberSet: valueList(tunnel.phase1DhGroupNumbers),
				phase2DHGroupNumberSet: valueList(tunnel.phase2DhGroupNumbers),
				ikeVersionSet: valueList(tunnel.ikeVersions),
				startupAction: tunnel.startupAction,
			})),
		},
		routes: xmlList(connection.routes, (route) => ({
			destinationCidrBlock: route.destinationCidrBlock,
			source: 'Static',
			state: route.state,
		})),
		vgwTelemetry: xmlList(connection.tunnels, (tunnel) => ({
			outsideIpAddress: tunnel.outsideIpAddress,
			status: tunnel.telemetry.status,
			lastStatusChange: xmlTime(tunnel.telemetry.lastStatusChange),
			statusMessage: tunnel.telemetry.statusMessage,
			acceptedRouteCount: tunnel.telemetry.acceptedRouteCount,
		})),
		tagSet: renderTags(connection.tags),
	};
}

// ---------------------------------------------------------------------------------------------
// Tunnel options

function integerIn(params: QueryParams, name: string, min: number, max: number): number | undefined {
	const value = params.integer(name);
	if (value !== undefined && (value < min || value > max)) {
		throw invalidParameterValue(`The value for ${name} must be between ${min} and ${max}.`);
	}
	return value;
}

function valuesIn<T extends string | number>(
	params: QueryParams,
	name: string,
	allowed: readonly T[],
	parse: (text: string) => T,
): T[] | undefined {
	const structs = params.structs(name);
	if (structs.length === 0) return undefined;
	return structs.map((struct) => {
		const text = struct.string('Value') ?? '';
		const value = parse(text);
		if (!allowed.includes(value)) {
			throw invalidParameterValue(
				`Invalid value '${text}' for ${name}. Valid values: ${allowed.join(', ')}.`,
			);
		}
		return value;
	});
}

function checkInsideCidr(cidr: string): string {
	const parsed = parseNetworkCidr(cidr);
	const linkLocal = parseNetworkCidr('169.254.0.0/16');
	if (!parsed || !linkLocal || !cidr.endsWith('/30') || !cidrInside(parsed, linkLocal)) {
		throw invalidParameterValue(
			`The tunnel inside CIDR '${cidr}' is invalid. It must be a size /30 CIDR block from the 169.254.0.0/16 range.`,
		);
	}
	const normalised = parsed.toCidrString();
	if (RESERVED_INSIDE_CIDRS.includes(normalised)) {
		throw invalidParameterValue(
			`The tunnel inside CIDR '${cidr}' is reserved. The following CIDR blocks are reserved and cannot be used: ${RESERVED_INSIDE_CIDRS.join(', ')}.`,
		);
	}
	return normalised;
}

function checkPreSharedKey(psk: string): string {
	if (!/^[A-Za-z0-9._]{8,64}$/.test(psk) || psk.startsWith('0')) {
		// The key itself is never echoed back.
		throw invalidParameterValue(
			'The pre-shared key is invalid. Allowed characters are alphanumeric characters, periods (.) and underscores (_). It must be between 8 and 64 characters in length and cannot start with zero (0).',
		);
	}
	return psk;
}

type TunnelRequest = Omit<
	VpnTunnelRecord,
	'outsideIpAddress' | 'telemetry' | 'insideCidr' | 'preSharedKey'
> & {
	insideCidr?: string;
	preSharedKey?: string;
};

function readTunnelOptions(params: QueryParams): TunnelRequest {
	const request: TunnelRequest = {};
	const cidr = params.string('TunnelInsideCidr');
	if (cidr !== undefined) request.insideCidr = checkInsideCidr(cidr);
	const psk = params.string('PreSharedKey');
	if (psk !== undefined) request.preSharedKey = checkPreSharedKey(psk);
	const phase1 = integerIn(params, 'Phase1LifetimeSeconds', 900, 28800);
	const phase2 = integerIn(params, 'Phase2LifetimeSeconds', 900, 3600);
	if ((phase2 ?? 3600) >= (phase1 ?? 28800)) {
		throw invalidParameterValue('The Phase2LifetimeSeconds must be less than Phase1LifetimeSeconds.');
	}
	if (phase1 !== undefined) request.phase1LifetimeSeconds = phase1;
	if (phase2 !== undefined) request.phase2LifetimeSeconds = phase2;
	const margin = params.integer('RekeyMarginTimeSeconds');
	if (margin !== undefined && (margin < 60 || margin > (phase2 ?? 3600) / 2)) {
		throw invalidParameterValue(
			'The RekeyMarginTimeSeconds must be between 60 and half of the Phase2LifetimeSeconds.',
		);
	}
	integerIn(params, 'RekeyFuzzPercentage', 0, 100);
	integerIn(params, 'ReplayWindowSize', 64, 2048);
	const dpd = params.integer('DPDTimeoutSeconds');
	if (dpd !== undefined) {
		if (dpd < 30) throw invalidParameterValue('The DPDTimeoutSeconds must be 30 seconds or higher.');
		request.dpdTimeoutSeconds = dpd;
	}
	const action = params.string('DPDTimeoutAction');
	if (action !== undefined) {
		if (!['clear', 'none', 'restart'].includes(action)) {
			throw invalidParameterValue(
				`Invalid value '${action}' for DPDTimeoutAction. Valid values: clear, none, restart.`,
			);
		}
		request.dpdTimeoutAction = action;
	}
	const startup = params.string('StartupAction');
	if (startup !== undefined) {
		if (!['add', 'start'].includes(startup)) {
			throw invalidParameterValue(`Invalid value '${startup}' for StartupAction. Valid values: add, start.`);
		}
		request.startupAction = startup;
	}
	const text = (value: string) => value;
	const number = (value: string) => (/^\d+$/.test(value) ? Number(value) : Number.NaN);
	const lists = {
		phase1EncryptionAlgorithms: valuesIn(params, 'Phase1EncryptionAlgorithm', ENCRYPTION, text),
		phase2EncryptionAlgorithms: valuesIn(params, 'Phase2EncryptionAlgorithm', ENCRYPTION, text),
		phase1IntegrityAlgorithms: valuesIn(params, 'Phase1IntegrityAlgorithm', INTEGRITY, text),
		phase2IntegrityAlgorithms: valuesIn(params, 'Phase2IntegrityAlgorithm', INTEGRITY, text),
		phase1DhGroupNumbers: valuesIn(params, 'Phase1DHGroupNumber', DH_GROUPS, number),
		phase2DhGroupNumbers: valuesIn(params, 'Phase2DHGroupNumber', DH_GROUPS, number),
		ikeVersions: valuesIn(params, 'IKEVersion', IKE_VERSIONS, text),
	};
	for (const [key, value] of Object.entries(lists)) {
		if (value !== undefined) (request as Record<string, unknown>)[key] = value;
	}
	return request;
}

// ---------------------------------------------------------------------------------------------
// Allocation: AWS endpoints from a benchmarking range, inside /30s, random keys

/** AWS's tunnel endpoints come from 198.18.0.0/15 (RFC 2544), never a routable range. */
function allocateOutsideIp(context: ActionContext, taken: Set<string>): string {
	for (let attempt = 0; attempt < 10000; attempt++) {
		const ip = `198.${18 + context.random.below(2)}.${context.random.below(256)}.${1 + context.random.below(254)}`;
		if (!taken.has(ip)) {
			taken.add(ip);
			return ip;
		}
	}
	throw new Ec2Error('VpnConnectionLimitExceeded', 'No tunnel endpoint address is free.');
}

function allocateInsideCidr(context: ActionContext, taken: Set<string>): string {
	for (let attempt = 0; attempt < 10000; attempt++) {
		const cidr = `169.254.${6 + context.random.below(250)}.${context.random.below(64) * 4}/30`;
		if (!taken.has(cidr) && !RESERVED_INSIDE_CIDRS.includes(cidr)) {
			taken.add(cidr);
			return cidr;
		}
	}
	throw new Ec2Error('VpnConnectionLimitExceeded', 'No tunnel inside CIDR is free on this gateway.');
}

/** 32 characters of AWS's alphabet, starting with a letter (AWS's keys never start with 0). */
function generatePreSharedKey(context: ActionContext): string {
	let key = PSK_ALPHABET[context.random.below(52)] ?? 'A';
	while (key.length < 32) key += PSK_ALPHABET[context.random.below(PSK_ALPHABET.length)];
	return key;
}

// ---------------------------------------------------------------------------------------------
// Routes toward a virtual private gateway (used by route-tables.ts)

/** A route to a virtual private gateway is active while the gateway is attached to the table's VPC. */
export function vgwRouteState(
	context: ActionContext,
	table: RouteTableRecord,
	gatewayId: string,
): 'active' | 'blackhole' {
	const gateway = vpnTables(context.region).vpnGateways[gatewayId];
	return gateway && gateway.deletedAt === undefined && attachedVpcId(gateway, context.now) === table.vpcId
		? 'active'
		: 'blackhole';
}

/** CreateRoute's target when it names a virtual private gateway. */
export function vgwRouteTarget(context: ActionContext, table: RouteTableRecord, gatewayId: string): string {
	const gateway = vpnTables(context.region).vpnGateways[gatewayId];
	if (!gateway || gateway.deletedAt !== undefined) {
		throw new Ec2Error('InvalidGatewayID.NotFound', `The gateway ID '${gatewayId}' does not exist`);
	}
	if (attachedVpcId(gateway, context.now) !== table.vpcId) {
		throw invalidParameterValue(
			`route table ${table.id} and network gateway ${gatewayId} belong to different networks`,
		);
	}
	return gatewayId;
}

/** `propagatingVgwSet` of a route table. */
export function renderPropagatingVgws(table: RouteTableRecord) {
	return xmlList(table.propagatingVgwIds ?? [], (gatewayId) => ({ gatewayId }));
}

/**
 * Routes a table learns by propagation: the static routes of the available VPN connections of each
 * propagating gateway attached to the table's VPC (a route the table already has wins).
 */
export function propagatedRoutes(context: ActionContext, table: RouteTableRecord) {
	const tables = vpnTables(context.region);
	const explicit = new Set(table.routes.map((route) => route.destinationCidrBlock));
	const routes: {
		destinationCidrBlock: string;
		gatewayId: string;
		state: 'active';
		origin: 'EnableVgwRoutePropagation';
	}[] = [];
	for (const gatewayId of table.propagatingVgwIds ?? []) {
		const gateway = tables.vpnGateways[gatewayId];
		if (!gateway || attachedVpcId(gateway, context.now) !== table.vpcId) continue;
		for (const connection of Object.values(tables.vpnConnections)) {
			if (connection.vpnGatewayId !== gatewayId || connectionState(connection, context.now) !== 'available')
				continue;
			for (const route of connection.routes) {
				if (route.state !== 'available' || explicit.has(route.destinationCidrBlock)) continue;
				explicit.add(route.destinationCidrBlock);
				routes.push({
					destinationCidrBlock: route.destinationCidrBlock,
					gatewayId,
					state: 'active',
					origin: 'EnableVgwRoutePropagation',
				});
			}
		}
	}
	return routes;
}

// ---------------------------------------------------------------------------------------------
// Telemetry, driven by the simulated routers

export type TunnelStatus = 'UP' | 'DOWN';

/**
 * Sets AWS's view of one tunnel (VgwTelemetry), found by VPN connection and outside address in any
 * region. Returns false when there is no such tunnel. The status message defaults to AWS's wording.
 */
export function setTunnelTelemetry(
	state: SandboxState,
	vpnConnectionId: string,
	outsideIp: string,
	status: TunnelStatus,
	now: number,
	message?: string,
	acceptedRouteCount?: number,
): boolean {
	for (const region of Object.values(state.regions)) {
		const tunnel = region.vpnConnections?.[vpnConnectionId]?.tunnels.find(
			(candidate) => candidate.outsideIpAddress === outsideIp,
		);
		if (!tunnel) continue;
		const changed = tunnel.telemetry.status !== status;
		tunnel.telemetry = {
			status,
			statusMessage: message ?? (status === 'UP' ? '' : 'IPSEC IS DOWN'),
			acceptedRouteCount: acceptedRouteCount ?? (status === 'UP' ? tunnel.telemetry.acceptedRouteCount : 0),
			lastStatusChange: changed ? now : tunnel.telemetry.lastStatusChange,
		};
		return true;
	}
	return false;
}

// ---------------------------------------------------------------------------------------------
// Actions

function requireType(context: ActionContext): 'ipsec.1' {
	const type = context.params.required('Type', 'type');
	if (type !== 'ipsec.1')
		throw invalidParameterValue(`Invalid value '${type}' for type. Valid values: ipsec.1.`);
	return type;
}

function findRouteTableAndGateway(context: ActionContext): {
	table: RouteTableRecord;
	gateway: VpnGatewayRecord;
} {
	const table = find.routeTable(context, context.params.required('RouteTableId', 'routeTableId'));
	const gatewayId = context.params.required('GatewayId', 'gatewayId');
	const gateway = findLive('vpnGateway', vpnTables(context.region).vpnGateways, gatewayId, context.now);
	return { table, gateway };
}

export const vpnActions: ActionTable = {
	CreateVpnGateway(context) {
		const type = requireType(context);
		const asn = context.params.integer('AmazonSideAsn') ?? 64512;
		const privateAsn = (asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= 4294967294);
		if (!privateAsn) {
			throw invalidParameterValue(
				`Invalid value '${asn}' for amazonSideAsn. The ASN must be in the private range 64512-65534 or 4200000000-4294967294.`,
			);
		}
		const gateway: VpnGatewayRecord = {
			id: newId('vgw', context.random),
			type,
			amazonSideAsn: asn,
			tags: tagsFromSpecifications(context, ['vpn-gateway']).get('vpn-gateway') ?? [],
		};
		const zone = context.params.string('AvailabilityZone');
		if (zone) gateway.availabilityZone = zone;
		vpnTables(context.region).vpnGateways[gateway.id] = gateway;
		return { vpnGateway: renderVpnGateway(gateway, context.now) };
	},

	AttachVpnGateway(context) {
		const tables = vpnTables(context.region);
		const gateway = findLive(
			'vpnGateway',
			tables.vpnGateways,
			context.params.required('VpnGatewayId', 'vpnGatewayId'),
			context.now,
		);
		const vpc = find.vpc(context, context.params.required('VpcId', 'vpcId'));
		if (gateway.attachment && attachmentState(gateway.attachment, context.now) !== 'detached') {
			throw new Ec2Error(
				'VpnGatewayAttachmentLimitExceeded',
				`The virtual private gateway ${gateway.id} is already attached to ${gateway.attachment?.vpcId}; detach it first.`,
			);
		}
		const other = Object.values(tables.vpnGateways).find(
			(candidate) => candidate.deletedAt === undefined && attachedVpcId(candidate, context.now) === vpc.id,
		);
		if (other) {
			throw new Ec2Error(
				'VpnGatewayAttachmentLimitExceeded',
				`The VPC ${vpc.id} already has the virtual private gateway ${other.id} attached; a VPC takes one.`,
			);
		}
		gateway.attachment = { vpcId: vpc.id, attachedAt: context.now + delay(context, 'vpnGatewayAttachMs') };
		return { attachment: { vpcId: vpc.id, state: attachmentState(gateway.attachment, context.now) } };
	},

	DetachVpnGateway(context) {
		const gateway = findLive(
			'vpnGateway',
			vpnTables(context.region).vpnGateways,
			context.params.required('VpnGatewayId', 'vpnGatewayId'),
			context.now,
		);
		const vpcId = context.params.required('VpcId', 'vpcId');
		const attachment = gateway.attachment;
		if (!attachment || attachment.vpcId !== vpcId || attachedVpcId(gateway, context.now) === undefined) {
			throw new Ec2Error(
				'InvalidVpnGatewayAttachment.NotFound',
				`The attachment with vpn gateway ID '${gateway.id}' and vpc ID '${vpcId}' does not exist`,
			);
		}
		attachment.detachRequestedAt = context.now;
		attachment.detachedAt = context.now + delay(context, 'vpnGatewayAttachMs');
		return { return: true };
	},

	DeleteVpnGateway(context) {
		const tables = vpnTables(context.region);
		const gateway = findLive(
			'vpnGateway',
			tables.vpnGateways,
			context.params.required('VpnGatewayId', 'vpnGatewayId'),
			context.now,
		);
		const attachment = gateway.attachment;
		if (attachment && attachmentState(attachment, context.now) !== 'detached') {
			throw new Ec2Error(
				'IncorrectState',
				`The vpnGateway '${gateway.id}' is in use: it is ${attachmentState(attachment, context.now)} to ${attachment.vpcId}. Detach it first.`,
			);
		}
		const connection = Object.values(tables.vpnConnections).find(
			(candidate) =>
				candidate.vpnGatewayId === gateway.id && connectionState(candidate, context.now) !== 'deleted',
		);
		if (connection) {
			throw new Ec2Error(
				'IncorrectState',
				`The vpnGateway '${gateway.id}' is in use by the VPN connection ${connection.id}. Delete it first.`,
			);
		}
		gateway.deletedAt = context.now;
		return { return: true };
	},

	DescribeVpnGateways(context) {
		forgetLongDeleted(vpnTables(context.region), context.now);
		const gateways = applyFilters(
			selectIds('vpnGateway', vpnTables(context.region).vpnGateways, context.params.list('VpnGatewayId')),
			parseFilters(context.params),
			{
				'amazon-side-asn': (gateway) => gateway.amazonSideAsn,
				'attachment.state': (gateway) =>
					gateway.attachment ? attachmentState(gateway.attachment, context.now) : undefined,
				'attachment.vpc-id': (gateway) => gateway.attachment?.vpcId,
				'availability-zone': (gateway) => gateway.availabilityZone,
				state: (gateway) => (gateway.deletedAt !== undefined ? 'deleted' : 'available'),
				type: (gateway) => gateway.type,
				'vpn-gateway-id': (gateway) => gateway.id,
			},
			(gateway) => gateway.tags,
		);
		return { vpnGatewaySet: xmlList(gateways, (gateway) => renderVpnGateway(gateway, context.now)) };
	},

	CreateCustomerGateway(context) {
		const type = requireType(context);
		const ipAddress = context.params.string('IpAddress') ?? context.params.string('PublicIp');
		if (ipAddress === undefined) throw missingParameter('ipAddress');
		if (!isValidIpv4(ipAddress)) {
			throw invalidParameterValue(
				`Value (${ipAddress}) for parameter ipAddress is invalid. Not a valid IPv4 address.`,
			);
		}
		const extended = context.params.string('BgpAsnExtended');
		const asn = extended !== undefined ? Number(extended) : (context.params.integer('BgpAsn') ?? 65000);
		const max = extended !== undefined ? 4294967294 : 2147483647;
		if (!Number.isInteger(asn) || asn < 1 || asn > max) {
			throw invalidParameterValue(
				`Invalid value '${extended ?? asn}' for bgpAsn. It must be between 1 and ${max}.`,
			);
		}
		if (RESERVED_CUSTOMER_ASNS.includes(asn)) {
			throw invalidParameterValue(
				`The BGP ASN ${asn} is reserved by AWS and cannot be used for a customer gateway (reserved: ${RESERVED_CUSTOMER_ASNS.join(', ')}).`,
			);
		}
		const tables = vpnTables(context.region);
		// AWS answers a repeated request (same address, ASN and type) with the existing gateway.
		const existing = Object.values(tables.customerGateways).find(
			(gateway) =>
				gateway.deletedAt === undefined &&
				gateway.ipAddress === ipAddress &&
				gateway.bgpAsn === asn &&
				gateway.type === type,
		);
		if (existing) return { customerGateway: renderCustomerGateway(existing) };
		const gateway: CustomerGatewayRecord = {
			id: newId('cgw', context.random),
			type,
			ipAddress,
			bgpAsn: asn,
			tags: tagsFromSpecifications(context, ['customer-gateway']).get('customer-gateway') ?? [],
		};
		const deviceName = context.params.string('DeviceName');
		if (deviceName) gateway.deviceName = deviceName;
		tables.customerGateways[gateway.id] = gateway;
		return { customerGateway: renderCustomerGateway(gateway) };
	},

	DescribeCustomerGateways(context) {
		forgetLongDeleted(vpnTables(context.region), context.now);
		const gateways = applyFilters(
			selectIds(
				'customerGateway',
				vpnTables(context.region).customerGateways,
				context.params.list('CustomerGatewayId'),
			),
			parseFilters(context.params),
			{
				'bgp-asn': (gateway) => gateway.bgpAsn,
				'customer-gateway-id': (gateway) => gateway.id,
				'ip-address': (gateway) => gateway.ipAddress,
				state: (gateway) => (gateway.deletedAt !== undefined ? 'deleted' : 'available'),
				type: (gateway) => gateway.type,
			},
			(gateway) => gateway.tags,
		);
		return { customerGatewaySet: xmlList(gateways, renderCustomerGateway) };
	},

	DeleteCustomerGateway(context) {
		const tables = vpnTables(context.region);
		const gateway = findLive(
			'customerGateway',
			tables.customerGateways,
			context.params.required('CustomerGatewayId', 'customerGatewayId'),
			context.now,
		);
		const connection = Object.values(tables.vpnConnections).find(
			(candidate) =>
				candidate.customerGatewayId === gateway.id && connectionState(candidate, context.now) !== 'deleted',
		);
		if (connection) {
			throw new Ec2Error(
				'IncorrectState',
				`The customer gateway '${gateway.id}' is in use by the VPN connection ${connection.id}. Delete it first.`,
			);
		}
		gateway.deletedAt = context.now;
		return { return: true };
	},

	CreateVpnConnection(context) {
		const tables = vpnTables(context.region);
		const type = requireType(context);
		if (context.params.has('TransitGatewayId')) {
			throw invalidParameterValue(
				'The kakehashi sandbox connects VPNs to virtual private gateways (VpnGatewayId) only.',
			);
		}
		const customer = findLive(
			'customerGateway',
			tables.customerGateways,
			context.params.required('CustomerGatewayId', 'customerGatewayId'),
			context.now,
		);
		const gateway = findLive(
			'vpnGateway',
			tables.vpnGateways,
			context.params.required('VpnGatewayId', 'vpnGatewayId'),
			context.now,
		);
		const options = context.params.struct('Options');
		const staticRoutesOnly = options?.boolean('StaticRoutesOnly') ?? false;
		if (!staticRoutesOnly && customer.bgpAsn === gateway.amazonSideAsn) {
			throw invalidParameterValue(
				`The customer gateway ASN ${customer.bgpAsn} is the same as the virtual private gateway's Amazon side ASN; BGP needs two different ASNs.`,
			);
		}
		const requested = options?.structs('TunnelOptions') ?? [];
		if (requested.length > 2) {
			throw invalidParameterValue('A VPN connection has two tunnels: at most 2 TunnelOptions can be given.');
		}
		const tunnels = [0, 1].map((index) => {
			const struct = requested[index];
			return struct ? readTunnelOptions(struct) : {};
		});
		const live = Object.values(tables.vpnConnections).filter(
			(candidate) => connectionState(candidate, context.now) !== 'deleted',
		);
		const insideTaken = new Set(
			live
				.filter((candidate) => candidate.vpnGatewayId === gateway.id)
				.flatMap((candidate) => candidate.tunnels.map((tunnel) => tunnel.insideCidr)),
		);
		for (const tunnel of tunnels) {
			if (tunnel.insideCidr === undefined) continue;
			if (insideTaken.has(tunnel.insideCidr)) {
				throw invalidParameterValue(
					`The tunnel inside CIDR '${tunnel.insideCidr}' is already in use on the virtual private gateway ${gateway.id}; inside CIDRs must be unique per gateway.`,
				);
			}
			insideTaken.add(tunnel.insideCidr);
		}
		const outsideTaken = new Set(
			live.flatMap((candidate) => candidate.tunnels.map((tunnel) => tunnel.outsideIpAddress)),
		);
		const connection: VpnConnectionRecord = {
			id: newId('vpn', context.random),
			type,
			customerGatewayId: customer.id,
			vpnGatewayId: gateway.id,
			staticRoutesOnly,
			createdAt: context.now,
			availableAt: context.now + delay(context, 'vpnConnectionAvailableMs'),
			tunnels: tunnels.map((tunnel) => ({
				...tunnel,
				outsideIpAddress: allocateOutsideIp(context, outsideTaken),
				insideCidr: tunnel.insideCidr ?? allocateInsideCidr(context, insideTaken),
				preSharedKey: tunnel.preSharedKey ?? generatePreSharedKey(context),
				telemetry: {
					status: 'DOWN',
					statusMessage: 'IPSEC IS DOWN',
					acceptedRouteCount: 0,
					lastStatusChange: context.now,
				},
			})),
			routes: [],
			tags: tagsFromSpecifications(context, ['vpn-connection']).get('vpn-connection') ?? [],
		};
		tables.vpnConnections[connection.id] = connection;
		return { vpnConnection: renderVpnConnection(context, connection) };
	},

	DescribeVpnConnections(context) {
		forgetLongDeleted(vpnTables(context.region), context.now);
		const connections = applyFilters(
			selectIds(
				'vpnConnection',
				vpnTables(context.region).vpnConnections,
				context.params.list('VpnConnectionId'),
			),
			parseFilters(context.params),
			{
				'customer-gateway-id': (connection) => connection.customerGatewayId,
				'option.static-routes-only': (connection) => connection.staticRoutesOnly,
				'route.destination-cidr-block': (connection) =>
					connection.routes.map((route) => route.destinationCidrBlock),
				state: (connection) => connectionState(connection, context.now),
				type: (connection) => connection.type,
				'vpn-connection-id': (connection) => connection.id,
				'vpn-gateway-id': (connection) => connection.vpnGatewayId,
				'transit-gateway-id': () => undefined,
			},
			(connection) => connection.tags,
		);
		return {
			vpnConnectionSet: xmlList(connections, (connection) => renderVpnConnection(context, connection)),
		};
	},

	DeleteVpnConnection(context) {
		const connection = findLive(
			'vpnConnection',
			vpnTables(context.region).vpnConnections,
			context.params.required('VpnConnectionId', 'vpnConnectionId'),
			context.now,
		);
		if (connection.deleteRequestedAt === undefined) {
			connection.deleteRequestedAt = context.now;
			connection.deletedAt = context.now + delay(context, 'vpnConnectionDeletedMs');
			for (const tunnel of connection.tunnels) {
				tunnel.telemetry = {
					...tunnel.telemetry,
					status: 'DOWN',
					statusMessage: 'IPSEC IS DOWN',
					acceptedRouteCount: 0,
				};
			}
		}
		return { return: true };
	},

	CreateVpnConnectionRoute(context) {
		const connection = findLive(
			'vpnConnection',
			vpnTables(context.region).vpnConnections,
			context.params.required('VpnConnectionId', 'vpnConnectionId'),
			context.now,
		);
		const text = context.params.required('DestinationCidrBlock', 'destinationCidrBlock');
		const cidr = parseNetworkCidr(text);
		if (!cidr) {
			throw invalidParameterValue(
				`Value (${text}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`,
			);
		}
		if (!live(connection, context.now)) {
			throw new Ec2Error(
				'IncorrectState',
				`The VPN connection ${connection.id} is ${connectionState(connection, context.now)}.`,
			);
		}
		if (!connection.staticRoutesOnly) {
			throw invalidParameterValue(
				`The VPN connection ${connection.id} uses BGP (StaticRoutesOnly is false); static routes apply to static connections only.`,
			);
		}
		const destination = cidr.toCidrString();
		if (connection.routes.some((route) => route.destinationCidrBlock === destination)) {
			throw new Ec2Error('RouteAlreadyExists', `The route identified by ${destination} already exists.`);
		}
		connection.routes.push({ destinationCidrBlock: destination, state: 'available' });
		return { return: true };
	},

	DeleteVpnConnectionRoute(context) {
		const connection = findLive(
			'vpnConnection',
			vpnTables(context.region).vpnConnections,
			context.params.required('VpnConnectionId', 'vpnConnectionId'),
			context.now,
		);
		const text = context.params.required('DestinationCidrBlock', 'destinationCidrBlock');
		const destination = parseNetworkCidr(text)?.toCidrString() ?? text;
		if (!connection.routes.some((route) => route.destinationCidrBlock === destination)) {
			throw new Ec2Error(
				'InvalidRoute.NotFound',
				`no route with destination-cidr-block ${destination} in VPN connection ${connection.id}`,
			);
		}
		connection.routes = connection.routes.filter((route) => route.destinationCidrBlock !== destination);
		return { return: true };
	},

	EnableVgwRoutePropagation(context) {
		const { table, gateway } = findRouteTableAndGateway(context);
		if (attachedVpcId(gateway, context.now) !== table.vpcId) {
			throw new Ec2Error(
				'Gateway.NotAttached',
				`resource ${gateway.id} is not attached to network ${table.vpcId}`,
			);
		}
		table.propagatingVgwIds = [...new Set([...(table.propagatingVgwIds ?? []), gateway.id])];
		return { return: true };
	},

	DisableVgwRoutePropagation(context) {
		const { table, gateway } = findRouteTableAndGateway(context);
		table.propagatingVgwIds = (table.propagatingVgwIds ?? []).filter((id) => id !== gateway.id);
		return { return: true };
	},
};

// ---------------------------------------------------------------------------------------------
// AWS's tunnel endpoints, for the simulated world

/** One AWS tunnel endpoint of an available VPN connection, as the simulated world needs it. */
export type SandboxVpnEndpoint = {
	region: string;
	vpnConnectionId: string;
	/** AWS's outside address: where the endpoint answers on the simulated internet. */
	outsideIp: string;
	insideCidr: string;
	awsInsideIp: string;
	customerInsideIp: string;
	/** As on AWS, the endpoint holds the key; never logged. */
	preSharedKey: string;
	customerGatewayIp: string;
	customerAsn: number;
	amazonSideAsn: number;
	staticRoutesOnly: boolean;
	/** What AWS announces over BGP: the VPC's block while the gateway is attached to it, else nothing. */
	vpcCidrs: string[];
	/** The connection's static routes (static routing). */
	staticRoutes: string[];
	/** IKE versions the tunnel accepts (both when not restricted). */
	ikeVersions: (1 | 2)[];
	phase1LifetimeSeconds: number;
	phase2LifetimeSeconds: number;
};

/**
 * Every tunnel endpoint of every available VPN connection (pending, deleting and deleted ones have
 * none), and when the answer will next change on its own (a connection becoming available, a gateway
 * finishing its attachment) so that the caller can look again then.
 */
export function vpnEndpoints(
	state: SandboxState,
	now: number,
): { endpoints: SandboxVpnEndpoint[]; nextChangeAt?: number } {
	const endpoints: SandboxVpnEndpoint[] = [];
	const later: number[] = [];
	for (const [regionName, region] of Object.entries(state.regions)) {
		const tables = vpnTables(region);
		for (const connection of Object.values(tables.vpnConnections)) {
			const status = connectionState(connection, now);
			if (status === 'pending') later.push(connection.availableAt);
			if (status !== 'available') continue;
			const customer = tables.customerGateways[connection.customerGatewayId];
			const gateway = tables.vpnGateways[connection.vpnGatewayId];
			if (!customer || !gateway) continue;
			const attachment = gateway.attachment;
			if (attachment && attachmentState(attachment, now) === 'attaching') later.push(attachment.attachedAt);
			if (attachment?.detachedAt !== undefined && attachment.detachedAt > now)
				later.push(attachment.detachedAt);
			const attached =
				gateway.deletedAt === undefined && attachment && attachmentState(attachment, now) === 'attached';
			const vpc = attached ? region.vpcs[attachment.vpcId] : undefined;
			for (const tunnel of connection.tunnels) {
				const inside = insideAddresses(tunnel.insideCidr);
				const versions = (tunnel.ikeVersions ?? IKE_VERSIONS).map((version) => (version === 'ikev1' ? 1 : 2));
				endpoints.push({
					region: regionName,
					vpnConnectionId: connection.id,
					outsideIp: tunnel.outsideIpAddress,
					insideCidr: tunnel.insideCidr,
					awsInsideIp: inside.aws,
					customerInsideIp: inside.customer,
					preSharedKey: tunnel.preSharedKey,
					customerGatewayIp: customer.ipAddress,
					customerAsn: customer.bgpAsn,
					amazonSideAsn: gateway.amazonSideAsn,
					staticRoutesOnly: connection.staticRoutesOnly,
					vpcCidrs: vpc ? [vpc.cidrBlock] : [],
					staticRoutes: connection.routes
						.filter((route) => route.state === 'available')
						.map((route) => route.destinationCidrBlock),
					ikeVersions: [...new Set(versions)] as (1 | 2)[],
					phase1LifetimeSeconds: tunnel.phase1LifetimeSeconds ?? 28800,
					phase2LifetimeSeconds: tunnel.phase2LifetimeSeconds ?? 3600,
				});
			}
		}
	}
	const next = later.filter((time) => time > now);
	return next.length > 0 ? { endpoints, nextChangeAt: Math.min(...next) } : { endpoints };
}
