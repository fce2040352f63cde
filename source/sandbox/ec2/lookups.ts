import type { ActionContext } from './context.js';
import { assertWellFormedId, type ResourceKind, resourceKinds } from './ids.js';

/**
 * Find-by-ID for every resource kind, failing as EC2 does: `.Malformed` for an ID of the wrong shape,
 * `.NotFound` for one that does not exist in the request's region.
 */
export function findById<T>(kind: ResourceKind, table: Record<string, T>, id: string): T {
	assertWellFormedId(kind, id);
	const found = table[id];
	if (found === undefined) {
		throw resourceKinds[kind].notFound(id);
	}
	return found;
}

/**
 * The resources a Describe call names by ID, in the order given; all of them when none is named.
 * Any unknown ID fails the whole call.
 */
export function selectByIds<T>(kind: ResourceKind, table: Record<string, T>, ids: readonly string[]): T[] {
	if (ids.length === 0) {
		return Object.values(table);
	}
	return [...new Set(ids)].map((id) => findById(kind, table, id));
}

export const find = {
	vpc: (context: ActionContext, id: string) => findById('vpc', context.region.vpcs, id),
	subnet: (context: ActionContext, id: string) => findById('subnet', context.region.subnets, id),
	internetGateway: (context: ActionContext, id: string) =>
		findById('internetGateway', context.region.internetGateways, id),
	routeTable: (context: ActionContext, id: string) => findById('routeTable', context.region.routeTables, id),
	securityGroup: (context: ActionContext, id: string) =>
		findById('securityGroup', context.region.securityGroups, id),
	instance: (context: ActionContext, id: string) => findById('instance', context.region.instances, id),
	image: (context: ActionContext, id: string) => findById('image', context.region.images, id),
};
