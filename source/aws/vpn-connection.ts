import {
	CreateVpnConnectionCommand,
	type CreateVpnConnectionRequest,
	CreateVpnConnectionRouteCommand,
	DeleteVpnConnectionCommand,
	DescribeVpnConnectionsCommand,
	type EC2Client,
	type VpnConnection,
} from '@aws-sdk/client-ec2';
import { hasCode, isNotFound } from './errors.js';
import { single, stackFilters, type Tagging, tagSpecifications } from './stack-tags.js';
import { type CallOptions, pollUntil, type WaitOptions } from './wait.js';

/**
 * Site-to-Site VPN connections (install-guide 5b): two tunnels between the virtual private gateway
 * and the customer gateway. CreateVpnConnection takes no client token, so the stack tag goes into
 * the create call itself and the caller records the id at once: a run killed in between finds the
 * connection by its tag instead of making a second one. The connection's pre-shared keys come back
 * in every describe; nothing here logs or returns them on its own.
 */

/** pending or available: deleting and deleted connections are no longer anyone's. */
export function isLiveVpnConnection(connection: VpnConnection | undefined): connection is VpnConnection {
	return connection !== undefined && (connection.State === 'pending' || connection.State === 'available');
}

export async function findVpnConnectionById(
	ec2: EC2Client,
	vpnConnectionId: string,
	options: CallOptions = {},
): Promise<VpnConnection | undefined> {
	try {
		const output = await ec2.send(
			new DescribeVpnConnectionsCommand({ VpnConnectionIds: [vpnConnectionId] }),
			{ abortSignal: options.signal },
		);
		return output.VpnConnections?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

export async function findVpnConnectionByStackTag(
	ec2: EC2Client,
	stack: string,
	options: CallOptions & { role?: string } = {},
): Promise<VpnConnection | undefined> {
	const output = await ec2.send(
		new DescribeVpnConnectionsCommand({ Filters: stackFilters(stack, options.role) }),
		{ abortSignal: options.signal },
	);
	const live = (output.VpnConnections ?? []).filter(isLiveVpnConnection);
	return single('vpn-connection', stack, live, (connection) => connection.VpnConnectionId);
}

/** CreateVpnConnection with the stack tag in the same call (no untagged moment). */
export async function createVpnConnection(
	ec2: EC2Client,
	request: CreateVpnConnectionRequest,
	tagging: Tagging,
	options: CallOptions = {},
): Promise<VpnConnection> {
	const output = await ec2.send(
		new CreateVpnConnectionCommand({
			...request,
			TagSpecifications: tagSpecifications('vpn-connection', tagging),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.VpnConnection?.VpnConnectionId) throw new Error('CreateVpnConnection returned no id');
	return output.VpnConnection;
}

/** The two tunnels' AWS-side (outside) addresses, sorted: the way tunnels are told apart, never by order. */
export function tunnelOutsideIps(connection: VpnConnection): string[] {
	const fromOptions = (connection.Options?.TunnelOptions ?? []).map((tunnel) => tunnel.OutsideIpAddress);
	const fromTelemetry = (connection.VgwTelemetry ?? []).map((tunnel) => tunnel.OutsideIpAddress);
	return [...new Set([...fromOptions, ...fromTelemetry].filter((ip): ip is string => Boolean(ip)))].sort();
}

/** The connection went away while it was waited for. */
export class VpnConnectionGoneError extends Error {
	constructor(
		readonly vpnConnectionId: string,
		readonly state: string,
	) {
		super(
			`VPN connection ${vpnConnectionId} is ${state}: something deleted it while kakehashi waited for it`,
		);
		this.name = 'VpnConnectionGoneError';
	}
}

/** How long waitForVpnConnectionAvailable waits by default: AWS usually needs 5–10 minutes. */
export const vpnAvailableTimeoutMs = 1_200_000;

/**
 * Until the connection is `available`. AWS usually needs several minutes (the default limit is a
 * generous 20); `onPoll` sees `pending` and the time waited so far.
 */
export async function waitForVpnConnectionAvailable(
	ec2: EC2Client,
	vpnConnectionId: string,
	options: WaitOptions = {},
): Promise<VpnConnection> {
	const connection = (await pollUntil(
		`VPN connection ${vpnConnectionId} to become available`,
		async () => {
			const found = await findVpnConnectionById(ec2, vpnConnectionId, options);
			return { state: found?.State, value: found };
		},
		(state) => state === 'available' || state === 'deleting' || state === 'deleted',
		{ defaultTimeoutMs: vpnAvailableTimeoutMs, ...options },
	)) as VpnConnection;
	if (connection.State !== 'available') {
		throw new VpnConnectionGoneError(vpnConnectionId, connection.State ?? 'deleted');
	}
	return connection;
}

/** Delete and wait until `deleted` (the gateways it uses cannot go before); already gone counts as deleted. */
export async function deleteVpnConnection(
	ec2: EC2Client,
	vpnConnectionId: string,
	options: WaitOptions = {},
): Promise<void> {
	const connection = await findVpnConnectionById(ec2, vpnConnectionId, options);
	if (!connection || connection.State === 'deleted') return;
	if (connection.State !== 'deleting') {
		try {
			await ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: vpnConnectionId }), {
				abortSignal: options.signal,
			});
		} catch (error) {
			if (isNotFound(error)) return;
			throw error;
		}
	}
	await pollUntil(
		`VPN connection ${vpnConnectionId} to be deleted`,
		async () => {
			const found = await findVpnConnectionById(ec2, vpnConnectionId, options);
			return { state: found?.State ?? 'deleted', value: undefined };
		},
		(state) => state === 'deleted',
		{ defaultTimeoutMs: 900_000, ...options },
	);
}

/** The connection's static routes (any state but deleted/deleting). */
export function staticRoutesOf(connection: VpnConnection): string[] {
	return (connection.Routes ?? [])
		.filter((route) => route.State !== 'deleted' && route.State !== 'deleting')
		.map((route) => route.DestinationCidrBlock)
		.filter((cidr): cidr is string => Boolean(cidr));
}

/**
 * CreateVpnConnectionRoute for each prefix the connection lacks (static routing); routes beyond
 * them are left alone. Returns the prefixes added.
 */
export async function ensureVpnConnectionRoutes(
	ec2: EC2Client,
	connection: VpnConnection,
	cidrs: readonly string[],
	options: CallOptions = {},
): Promise<string[]> {
	const vpnConnectionId = connection.VpnConnectionId!;
	const existing = new Set(staticRoutesOf(connection));
	const added: string[] = [];
	for (const cidr of cidrs) {
		if (existing.has(cidr)) continue;
		try {
			await ec2.send(
				new CreateVpnConnectionRouteCommand({ VpnConnectionId: vpnConnectionId, DestinationCidrBlock: cidr }),
				{ abortSignal: options.signal },
			);
			added.push(cidr);
		} catch (error) {
			if (!hasCode(error, 'RouteAlreadyExists')) throw error;
		}
		existing.add(cidr);
	}
	return added;
}
