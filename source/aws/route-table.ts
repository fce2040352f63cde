import {
	CreateRouteCommand,
	CreateRouteTableCommand,
	DeleteRouteTableCommand,
	DescribeRouteTablesCommand,
	type EC2Client,
	ReplaceRouteCommand,
	ReplaceRouteTableAssociationCommand,
	type RouteTable,
} from '@aws-sdk/client-ec2';
import { hasCode, isNotFound } from './errors.js';
import { single, stackFilters, type Tagging, tagSpecifications } from './stack-tags.js';
import { type CallOptions, pollUntil, type WaitOptions } from './wait.js';

export const defaultRouteCidr = '0.0.0.0/0';

export async function findRouteTableById(
	ec2: EC2Client,
	routeTableId: string,
	options: CallOptions = {},
): Promise<RouteTable | undefined> {
	try {
		const output = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }), {
			abortSignal: options.signal,
		});
		return output.RouteTables?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

export async function findRouteTableByStackTag(
	ec2: EC2Client,
	stack: string,
	options: CallOptions & { role?: string } = {},
): Promise<RouteTable | undefined> {
	const output = await ec2.send(
		new DescribeRouteTablesCommand({ Filters: stackFilters(stack, options.role) }),
		{
			abortSignal: options.signal,
		},
	);
	return single('route-table', stack, output.RouteTables ?? [], (table) => table.RouteTableId);
}

/** The VPC's main route table and the id of its main association (needed to replace it). */
export async function findMainRouteTable(
	ec2: EC2Client,
	vpcId: string,
	options: CallOptions = {},
): Promise<{ routeTableId: string; associationId: string } | undefined> {
	const output = await ec2.send(
		new DescribeRouteTablesCommand({
			Filters: [
				{ Name: 'vpc-id', Values: [vpcId] },
				{ Name: 'association.main', Values: ['true'] },
			],
		}),
		{ abortSignal: options.signal },
	);
	for (const table of output.RouteTables ?? []) {
		const association = table.Associations?.find((item) => item.Main === true);
		if (table.RouteTableId && association?.RouteTableAssociationId) {
			return { routeTableId: table.RouteTableId, associationId: association.RouteTableAssociationId };
		}
	}
	return undefined;
}

export type CreateRouteTableInput = Tagging & { vpcId: string };

export async function createRouteTable(
	ec2: EC2Client,
	input: CreateRouteTableInput,
	options: CallOptions = {},
): Promise<RouteTable> {
	const output = await ec2.send(
		new CreateRouteTableCommand({
			VpcId: input.vpcId,
			TagSpecifications: tagSpecifications('route-table', input),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.RouteTable?.RouteTableId) throw new Error('CreateRouteTable returned no id');
	return output.RouteTable;
}

export function defaultRouteTarget(table: RouteTable | undefined): string | undefined {
	const route = table?.Routes?.find((item) => item.DestinationCidrBlock === defaultRouteCidr);
	return route?.GatewayId ?? route?.NatGatewayId ?? route?.NetworkInterfaceId ?? route?.InstanceId;
}

/** 0.0.0.0/0 → the internet gateway: created if missing, re-pointed if it goes elsewhere. */
export async function ensureDefaultRoute(
	ec2: EC2Client,
	routeTableId: string,
	gatewayId: string,
	options: CallOptions = {},
): Promise<'created' | 'replaced' | 'kept'> {
	const table = await findRouteTableById(ec2, routeTableId, options);
	const target = defaultRouteTarget(table);
	if (target === gatewayId) return 'kept';
	const route = { RouteTableId: routeTableId, DestinationCidrBlock: defaultRouteCidr, GatewayId: gatewayId };
	if (target === undefined) {
		try {
			await ec2.send(new CreateRouteCommand(route), { abortSignal: options.signal });
			return 'created';
		} catch (error) {
			// Created meanwhile (a describe lagging behind): point it at our gateway all the same.
			if (!hasCode(error, 'RouteAlreadyExists')) throw error;
		}
	}
	await ec2.send(new ReplaceRouteCommand(route), { abortSignal: options.signal });
	return 'replaced';
}

/**
 * Make the table the VPC's main one ("メインテーブルとして設定") by replacing the main association.
 * Returns the table that was main before, so destroy can put it back; undefined when ours already was.
 */
export async function makeMainRouteTable(
	ec2: EC2Client,
	vpcId: string,
	routeTableId: string,
	options: CallOptions = {},
): Promise<string | undefined> {
	const main = await findMainRouteTable(ec2, vpcId, options);
	if (!main) throw new Error(`VPC ${vpcId} has no main route table association to replace`);
	if (main.routeTableId === routeTableId) return undefined;
	await ec2.send(
		new ReplaceRouteTableAssociationCommand({
			AssociationId: main.associationId,
			RouteTableId: routeTableId,
		}),
		{ abortSignal: options.signal },
	);
	return main.routeTableId;
}

/** Give the main role back to `originalRouteTableId` if `routeTableId` holds it; true when it did. */
export async function restoreMainRouteTable(
	ec2: EC2Client,
	vpcId: string,
	routeTableId: string,
	originalRouteTableId: string,
	options: CallOptions = {},
): Promise<boolean> {
	const main = await findMainRouteTable(ec2, vpcId, options);
	if (!main || main.routeTableId !== routeTableId) return false;
	await ec2.send(
		new ReplaceRouteTableAssociationCommand({
			AssociationId: main.associationId,
			RouteTableId: originalRouteTableId,
		}),
		{ abortSignal: options.signal },
	);
	return true;
}

/** Another route table of the VPC that may take the main role back (the one AWS made with the VPC). */
export async function findOtherRouteTable(
	ec2: EC2Client,
	vpcId: string,
	exceptRouteTableId: string,
	options: CallOptions = {},
): Promise<string | undefined> {
	const output = await ec2.send(
		new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
		{ abortSignal: options.signal },
	);
	return output.RouteTables?.find((table) => table.RouteTableId !== exceptRouteTableId)?.RouteTableId;
}

/** DeleteRouteTable; already gone counts as deleted. A main table must first give the role back. */
export async function deleteRouteTable(
	ec2: EC2Client,
	routeTableId: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(new DeleteRouteTableCommand({ RouteTableId: routeTableId }), {
			abortSignal: options.signal,
		});
	} catch (error) {
		if (isNotFound(error)) return;
		throw error;
	}
}

/** Until the table is main for the VPC and routes 0.0.0.0/0 to the gateway. */
export function waitForMainRouteTable(
	ec2: EC2Client,
	vpcId: string,
	routeTableId: string,
	gatewayId: string,
	options: WaitOptions = {},
): Promise<RouteTable> {
	return pollUntil(
		`route table ${routeTableId} to become the main table of ${vpcId}`,
		async () => {
			const table = await findRouteTableById(ec2, routeTableId, options);
			const isMain = table?.Associations?.some((item) => item.Main === true) ?? false;
			const routed = defaultRouteTarget(table) === gatewayId;
			return {
				state: table ? `${isMain ? 'main' : 'not main'}, ${routed ? 'routed' : 'no route'}` : undefined,
				value: table,
			};
		},
		(state) => state === 'main, routed',
		{ defaultTimeoutMs: 60_000, ...options },
	) as Promise<RouteTable>;
}
