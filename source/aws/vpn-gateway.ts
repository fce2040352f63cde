import {
	AttachVpnGatewayCommand,
	CreateRouteCommand,
	CreateVpnGatewayCommand,
	DeleteRouteCommand,
	DeleteVpnGatewayCommand,
	DescribeRouteTablesCommand,
	DescribeVpnGatewaysCommand,
	DetachVpnGatewayCommand,
	type EC2Client,
	EnableVgwRoutePropagationCommand,
	ReplaceRouteCommand,
	type VpnGateway,
} from '@aws-sdk/client-ec2';
import { hasCode, isNotFound } from './errors.js';
import { findRouteTableById } from './route-table.js';
import { single, stackFilters, type Tagging, tagSpecifications } from './stack-tags.js';
import { type CallOptions, pollUntil, type WaitOptions } from './wait.js';

/**
 * Virtual private gateways (install-guide 5b): created with the Amazon-side ASN, attached to the VPC,
 * propagating their routes into the stack's route table; detached, then deleted.
 */

/** Deleted (or being deleted) gateways stay visible for a while: they are no longer anyone's. */
export function isLiveVpnGateway(gateway: VpnGateway | undefined): gateway is VpnGateway {
	return gateway !== undefined && gateway.State !== 'deleted' && gateway.State !== 'deleting';
}

export async function findVpnGatewayById(
	ec2: EC2Client,
	vpnGatewayId: string,
	options: CallOptions = {},
): Promise<VpnGateway | undefined> {
	try {
		const output = await ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vpnGatewayId] }), {
			abortSignal: options.signal,
		});
		return output.VpnGateways?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

export async function findVpnGatewayByStackTag(
	ec2: EC2Client,
	stack: string,
	options: CallOptions & { role?: string } = {},
): Promise<VpnGateway | undefined> {
	const output = await ec2.send(
		new DescribeVpnGatewaysCommand({ Filters: stackFilters(stack, options.role) }),
		{
			abortSignal: options.signal,
		},
	);
	const live = (output.VpnGateways ?? []).filter(isLiveVpnGateway);
	return single('vpn-gateway', stack, live, (gateway) => gateway.VpnGatewayId);
}

/** The VPC the gateway is attached (or attaching) to, if any. */
export function vpnGatewayVpcId(gateway: VpnGateway): string | undefined {
	return gateway.VpcAttachments?.find(
		(attachment) => attachment.State === 'attached' || attachment.State === 'attaching',
	)?.VpcId;
}

/** An attachment not yet fully gone (attaching, attached or detaching). */
function pendingAttachment(gateway: VpnGateway) {
	return gateway.VpcAttachments?.find((attachment) => attachment.State !== 'detached');
}

export type CreateVpnGatewayInput = Tagging & { amazonSideAsn: number };

/** CreateVpnGateway (type ipsec.1), tagged at birth. */
export async function createVpnGateway(
	ec2: EC2Client,
	input: CreateVpnGatewayInput,
	options: CallOptions = {},
): Promise<VpnGateway> {
	const output = await ec2.send(
		new CreateVpnGatewayCommand({
			Type: 'ipsec.1',
			AmazonSideAsn: input.amazonSideAsn,
			TagSpecifications: tagSpecifications('vpn-gateway', input),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.VpnGateway?.VpnGatewayId) throw new Error('CreateVpnGateway returned no id');
	return output.VpnGateway;
}

/** Attach to the VPC; already attached (or attaching) there counts as done. */
export async function attachVpnGateway(
	ec2: EC2Client,
	vpnGatewayId: string,
	vpcId: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vpnGatewayId, VpcId: vpcId }), {
			abortSignal: options.signal,
		});
	} catch (error) {
		if (hasCode(error, 'VpnGatewayAttachmentLimitExceeded', 'Resource.AlreadyAssociated')) {
			const gateway = await findVpnGatewayById(ec2, vpnGatewayId, options);
			if (gateway && vpnGatewayVpcId(gateway) === vpcId) return;
		}
		throw error;
	}
}

export function waitForVpnGatewayAttached(
	ec2: EC2Client,
	vpnGatewayId: string,
	vpcId: string,
	options: WaitOptions = {},
): Promise<VpnGateway> {
	return pollUntil(
		`virtual private gateway ${vpnGatewayId} to attach to ${vpcId}`,
		async () => {
			const gateway = await findVpnGatewayById(ec2, vpnGatewayId, options);
			const attachment = gateway?.VpcAttachments?.find((item) => item.VpcId === vpcId);
			return { state: attachment?.State ?? (gateway ? 'detached' : undefined), value: gateway };
		},
		(state) => state === 'attached',
		{ defaultTimeoutMs: 300_000, ...options },
	) as Promise<VpnGateway>;
}

/** Detach from the VPC; not attached (or gone) counts as done. */
export async function detachVpnGateway(
	ec2: EC2Client,
	vpnGatewayId: string,
	vpcId: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(new DetachVpnGatewayCommand({ VpnGatewayId: vpnGatewayId, VpcId: vpcId }), {
			abortSignal: options.signal,
		});
	} catch (error) {
		if (isNotFound(error) || hasCode(error, 'Gateway.NotAttached')) return;
		throw error;
	}
}

export function waitForVpnGatewayDetached(
	ec2: EC2Client,
	vpnGatewayId: string,
	options: WaitOptions = {},
): Promise<void> {
	return pollUntil(
		`virtual private gateway ${vpnGatewayId} to detach`,
		async () => {
			const gateway = await findVpnGatewayById(ec2, vpnGatewayId, options);
			const attachment = gateway ? pendingAttachment(gateway) : undefined;
			return { state: attachment?.State ?? 'detached', value: undefined };
		},
		(state) => state === 'detached',
		{ defaultTimeoutMs: 300_000, ...options },
	);
}

/**
 * Remove the routes someone created toward the gateway in its VPC's route tables (propagated routes
 * go with the gateway by themselves): otherwise they stay behind as blackholes. Returns how many.
 */
export async function removeRoutesToVpnGateway(
	ec2: EC2Client,
	vpnGatewayId: string,
	vpcId: string,
	options: CallOptions = {},
): Promise<number> {
	const output = await ec2.send(
		new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
		{ abortSignal: options.signal },
	);
	let removed = 0;
	for (const table of output.RouteTables ?? []) {
		for (const route of table.Routes ?? []) {
			if (route.GatewayId !== vpnGatewayId || route.Origin === 'EnableVgwRoutePropagation') continue;
			if (!route.DestinationCidrBlock || !table.RouteTableId) continue;
			try {
				await ec2.send(
					new DeleteRouteCommand({
						RouteTableId: table.RouteTableId,
						DestinationCidrBlock: route.DestinationCidrBlock,
					}),
					{ abortSignal: options.signal },
				);
				removed += 1;
			} catch (error) {
				if (!isNotFound(error)) throw error;
			}
		}
	}
	return removed;
}

/**
 * Remove the routes toward it, detach it from its VPC (and wait until detached), then delete; a
 * gateway already gone counts as deleted.
 */
export async function deleteVpnGateway(
	ec2: EC2Client,
	vpnGatewayId: string,
	options: WaitOptions = {},
): Promise<void> {
	const gateway = await findVpnGatewayById(ec2, vpnGatewayId, options);
	if (!isLiveVpnGateway(gateway)) return;
	const attachment = pendingAttachment(gateway);
	if (attachment?.VpcId) {
		await removeRoutesToVpnGateway(ec2, vpnGatewayId, attachment.VpcId, options);
		if (attachment.State !== 'detaching')
			await detachVpnGateway(ec2, vpnGatewayId, attachment.VpcId, options);
		await waitForVpnGatewayDetached(ec2, vpnGatewayId, options);
	}
	try {
		await ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vpnGatewayId }), {
			abortSignal: options.signal,
		});
	} catch (error) {
		if (isNotFound(error)) return;
		throw error;
	}
}

/**
 * Route propagation (ルート伝達) from the gateway into the route table: without it the VPN's routes
 * never reach the VPC. Idempotent: returns false when the table already propagates the gateway.
 */
export async function enableRoutePropagation(
	ec2: EC2Client,
	routeTableId: string,
	vpnGatewayId: string,
	options: CallOptions = {},
): Promise<boolean> {
	if (await propagatesRoutes(ec2, routeTableId, vpnGatewayId, options)) return false;
	await ec2.send(
		new EnableVgwRoutePropagationCommand({ RouteTableId: routeTableId, GatewayId: vpnGatewayId }),
		{ abortSignal: options.signal },
	);
	return true;
}

/** Whether the route table propagates the gateway's routes. */
export async function propagatesRoutes(
	ec2: EC2Client,
	routeTableId: string,
	vpnGatewayId: string,
	options: CallOptions = {},
): Promise<boolean> {
	const table = await findRouteTableById(ec2, routeTableId, options);
	return table?.PropagatingVgws?.some((item) => item.GatewayId === vpnGatewayId) ?? false;
}

/**
 * `cidr → vgw-…` in the route table (the tunnels' link-local range with BGP, install-guide 5b):
 * created if missing, re-pointed if it goes elsewhere. Returns what it did.
 */
export async function ensureRouteToVpnGateway(
	ec2: EC2Client,
	routeTableId: string,
	cidr: string,
	vpnGatewayId: string,
	options: CallOptions = {},
): Promise<'created' | 'replaced' | 'kept'> {
	const table = await findRouteTableById(ec2, routeTableId, options);
	// Propagated routes are AWS's own; only a route someone created counts.
	const route = table?.Routes?.find(
		(item) => item.DestinationCidrBlock === cidr && item.Origin !== 'EnableVgwRoutePropagation',
	);
	if (route?.GatewayId === vpnGatewayId) return 'kept';
	const request = { RouteTableId: routeTableId, DestinationCidrBlock: cidr, GatewayId: vpnGatewayId };
	if (!route) {
		try {
			await ec2.send(new CreateRouteCommand(request), { abortSignal: options.signal });
			return 'created';
		} catch (error) {
			if (!hasCode(error, 'RouteAlreadyExists')) throw error;
		}
	}
	await ec2.send(new ReplaceRouteCommand(request), { abortSignal: options.signal });
	return 'replaced';
}
