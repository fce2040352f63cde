import { parseNetworkCidr } from '../cidr.js';
import type { ActionContext, ActionTable } from '../context.js';
import { dependencyViolation, Ec2Error, invalidParameterValue, missingParameter } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { assertWellFormedId, newId, resourceKinds } from '../ids.js';
import { find, selectByIds } from '../lookups.js';
import { paginate } from '../pagination.js';
import type { RouteRecord, RouteTableAssociationRecord, RouteTableRecord } from '../state.js';
import { renderTags, tagsFromSpecifications } from '../tags.js';
import { type XmlObject, xmlList } from '../xml.js';
import { propagatedRoutes, renderPropagatingVgws, vgwRouteState, vgwRouteTarget } from './vpn.js';

/** A route to a gateway that is no longer attached to the table's VPC is a blackhole, as on AWS. */
function routeState(
	context: ActionContext,
	table: RouteTableRecord,
	route: RouteRecord,
): 'active' | 'blackhole' {
	if (route.gatewayId === 'local') {
		return 'active';
	}
	if (route.gatewayId.startsWith('vgw-')) {
		return vgwRouteState(context, table, route.gatewayId);
	}
	return context.region.internetGateways[route.gatewayId]?.attachedVpcId === table.vpcId
		? 'active'
		: 'blackhole';
}

function renderRouteTable(context: ActionContext, table: RouteTableRecord): XmlObject {
	return {
		routeTableId: table.id,
		vpcId: table.vpcId,
		ownerId: context.accountId,
		routeSet: xmlList(
			[
				...table.routes.map((route) => ({
					destinationCidrBlock: route.destinationCidrBlock,
					gatewayId: route.gatewayId,
					state: routeState(context, table, route),
					origin: route.origin,
				})),
				...propagatedRoutes(context, table),
			],
			(route) => route,
		),
		associationSet: xmlList(table.associations, (association) => ({
			routeTableAssociationId: association.id,
			routeTableId: table.id,
			main: association.main,
			subnetId: association.subnetId,
			associationState: { state: 'associated' },
		})),
		propagatingVgwSet: renderPropagatingVgws(table),
		tagSet: renderTags(table.tags),
	};
}

function findAssociation(
	context: ActionContext,
	id: string,
): { table: RouteTableRecord; association: RouteTableAssociationRecord } {
	assertWellFormedId('routeTableAssociation', id);
	for (const table of Object.values(context.region.routeTables)) {
		const association = table.associations.find((candidate) => candidate.id === id);
		if (association) {
			return { table, association };
		}
	}
	throw resourceKinds.routeTableAssociation.notFound(id);
}

function destinationCidr(context: ActionContext): string {
	const text = context.params.string('DestinationCidrBlock');
	if (!text) {
		if (context.params.has('DestinationIpv6CidrBlock') || context.params.has('DestinationPrefixListId')) {
			throw invalidParameterValue(
				'The kakehashi sandbox supports IPv4 destinations (DestinationCidrBlock) only.',
			);
		}
		throw missingParameter('destinationCidrBlock');
	}
	const cidr = parseNetworkCidr(text);
	if (!cidr) {
		throw invalidParameterValue(
			`Value (${text}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`,
		);
	}
	return cidr.toCidrString();
}

/** The table's route to `destination`, which ReplaceRoute / DeleteRoute may change (not the local route). */
function existingRoute(
	table: RouteTableRecord,
	destination: string,
	verb: 'replace' | 'remove',
): RouteRecord {
	const route = table.routes.find((candidate) => candidate.destinationCidrBlock === destination);
	if (!route) {
		throw new Ec2Error(
			'InvalidRoute.NotFound',
			`no route with destination-cidr-block ${destination} in route table ${table.id}`,
		);
	}
	if (route.gatewayId === 'local') {
		throw invalidParameterValue(`cannot ${verb} local route ${destination} in route table ${table.id}`);
	}
	return route;
}

const UNMODELLED_TARGETS: readonly [parameter: string, code: string, noun: string][] = [
	['NatGatewayId', 'InvalidNatGatewayID.NotFound', 'natGateway'],
	['TransitGatewayId', 'InvalidTransitGatewayID.NotFound', 'transitGateway'],
	['VpcPeeringConnectionId', 'InvalidVpcPeeringConnectionID.NotFound', 'vpcPeeringConnection'],
	['NetworkInterfaceId', 'InvalidNetworkInterfaceID.NotFound', 'networkInterface'],
	['EgressOnlyInternetGatewayId', 'InvalidGatewayID.NotFound', 'gateway'],
	['LocalGatewayId', 'InvalidLocalGatewayID.NotFound', 'localGateway'],
	['CarrierGatewayId', 'InvalidCarrierGatewayID.NotFound', 'carrierGateway'],
];

/** The route's target: an internet gateway attached to the table's VPC. */
function routeTarget(context: ActionContext, table: RouteTableRecord): string {
	for (const [parameter, code, noun] of UNMODELLED_TARGETS) {
		const id = context.params.string(parameter);
		if (id !== undefined) {
			// The sandbox has no such resources, so any ID names one that does not exist.
			throw new Ec2Error(code, `The ${noun} ID '${id}' does not exist`);
		}
	}
	if (context.params.has('InstanceId')) {
		throw invalidParameterValue('The kakehashi sandbox routes to internet gateways (GatewayId) only.');
	}
	const gatewayId = context.params.string('GatewayId');
	if (gatewayId === undefined) {
		throw missingParameter(
			'gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, transitGatewayId or instanceId (exactly one)',
		);
	}
	if (gatewayId.startsWith('vgw-')) {
		return vgwRouteTarget(context, table, gatewayId);
	}
	const gateway = context.region.internetGateways[gatewayId];
	if (!gateway) {
		throw new Ec2Error('InvalidGatewayID.NotFound', `The gateway ID '${gatewayId}' does not exist`);
	}
	if (gateway.attachedVpcId !== table.vpcId) {
		throw invalidParameterValue(
			`route table ${table.id} and network gateway ${gateway.id} belong to different networks`,
		);
	}
	return gateway.id;
}

export const routeTableActions: ActionTable = {
	CreateRouteTable(context) {
		const vpc = find.vpc(context, context.params.required('VpcId', 'vpcId'));
		const table: RouteTableRecord = {
			id: newId('rtb', context.random),
			vpcId: vpc.id,
			routes: [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable' }],
			associations: [],
			tags: tagsFromSpecifications(context, ['route-table']).get('route-table') ?? [],
		};
		context.region.routeTables[table.id] = table;
		return { routeTable: renderRouteTable(context, table) };
	},

	DescribeRouteTables(context) {
		const ids = context.params.list('RouteTableId');
		const tables = applyFilters(
			selectByIds('routeTable', context.region.routeTables, ids),
			parseFilters(context.params),
			{
				'association.gateway-id': () => undefined,
				'association.route-table-association-id': (table) =>
					table.associations.map((association) => association.id),
				'association.route-table-id': (table) => (table.associations.length > 0 ? table.id : undefined),
				'association.subnet-id': (table) => table.associations.map((association) => association.subnetId),
				'association.main': (table) => table.associations.map((association) => association.main),
				'owner-id': () => context.accountId,
				'route-table-id': (table) => table.id,
				'route.destination-cidr-block': (table) => table.routes.map((route) => route.destinationCidrBlock),
				'route.destination-ipv6-cidr-block': () => undefined,
				'route.destination-prefix-list-id': () => undefined,
				'route.egress-only-internet-gateway-id': () => undefined,
				'route.gateway-id': (table) => table.routes.map((route) => route.gatewayId),
				'route.instance-id': () => undefined,
				'route.nat-gateway-id': () => undefined,
				'route.transit-gateway-id': () => undefined,
				'route.origin': (table) => table.routes.map((route) => route.origin),
				'route.state': (table) => table.routes.map((route) => routeState(context, table, route)),
				'route.vpc-peering-connection-id': () => undefined,
				'vpc-id': (table) => table.vpcId,
			},
			(table) => table.tags,
		);
		const page = paginate(tables, context.params, (table) => table.id, {
			min: 5,
			max: 100,
			idsParameter: 'routeTableIds',
			idsGiven: ids.length > 0,
		});
		return {
			routeTableSet: xmlList(page.items, (table) => renderRouteTable(context, table)),
			nextToken: page.nextToken,
		};
	},

	DeleteRouteTable(context) {
		const table = find.routeTable(context, context.params.required('RouteTableId', 'routeTableId'));
		if (table.associations.length > 0) {
			throw dependencyViolation(`The routeTable '${table.id}' has dependencies and cannot be deleted.`);
		}
		delete context.region.routeTables[table.id];
		return { return: true };
	},

	CreateRoute(context) {
		const table = find.routeTable(context, context.params.required('RouteTableId', 'routeTableId'));
		const destination = destinationCidr(context);
		const gatewayId = routeTarget(context, table);
		if (table.routes.some((route) => route.destinationCidrBlock === destination)) {
			throw new Ec2Error('RouteAlreadyExists', `The route identified by ${destination} already exists.`);
		}
		table.routes.push({ destinationCidrBlock: destination, gatewayId, origin: 'CreateRoute' });
		return { return: true };
	},

	ReplaceRoute(context) {
		const table = find.routeTable(context, context.params.required('RouteTableId', 'routeTableId'));
		const destination = destinationCidr(context);
		const route = existingRoute(table, destination, 'replace');
		route.gatewayId = routeTarget(context, table);
		route.origin = 'CreateRoute';
		return { return: true };
	},

	DeleteRoute(context) {
		const table = find.routeTable(context, context.params.required('RouteTableId', 'routeTableId'));
		const destination = destinationCidr(context);
		const route = existingRoute(table, destination, 'remove');
		table.routes = table.routes.filter((candidate) => candidate !== route);
		return { return: true };
	},

	AssociateRouteTable(context) {
		const table = find.routeTable(context, context.params.required('RouteTableId', 'routeTableId'));
		if (context.params.has('GatewayId')) {
			throw invalidParameterValue(
				'The kakehashi sandbox associates route tables with subnets (SubnetId) only.',
			);
		}
		const subnet = find.subnet(context, context.params.required('SubnetId', 'subnetId'));
		if (subnet.vpcId !== table.vpcId) {
			throw invalidParameterValue(
				`Route table ${table.id} and subnet ${subnet.id} belong to different networks`,
			);
		}
		const associated = Object.values(context.region.routeTables).some((candidate) =>
			candidate.associations.some((association) => association.subnetId === subnet.id),
		);
		if (associated) {
			throw new Ec2Error(
				'Resource.AlreadyAssociated',
				`the specified association for route table ${table.id} conflicts with an existing association`,
			);
		}
		const association: RouteTableAssociationRecord = {
			id: newId('rtbassoc', context.random),
			main: false,
			subnetId: subnet.id,
		};
		table.associations.push(association);
		return { associationId: association.id, associationState: { state: 'associated' } };
	},

	DisassociateRouteTable(context) {
		const { table, association } = findAssociation(
			context,
			context.params.required('AssociationId', 'associationId'),
		);
		if (association.main) {
			throw invalidParameterValue(`cannot disassociate the main route table association ${association.id}`);
		}
		table.associations = table.associations.filter((candidate) => candidate !== association);
		return { return: true };
	},

	ReplaceRouteTableAssociation(context) {
		const { table: current, association } = findAssociation(
			context,
			context.params.required('AssociationId', 'associationId'),
		);
		const target = find.routeTable(context, context.params.required('RouteTableId', 'routeTableId'));
		if (target.vpcId !== current.vpcId) {
			throw invalidParameterValue(
				`Route table ${target.id} and association ${association.id} belong to different networks`,
			);
		}
		// Replacing the main association moves "main" to the target table: the VPC's main route table changes.
		const replacement: RouteTableAssociationRecord = {
			...association,
			id: newId('rtbassoc', context.random),
		};
		current.associations = current.associations.filter((candidate) => candidate !== association);
		target.associations.push(replacement);
		return { newAssociationId: replacement.id, associationState: { state: 'associated' } };
	},
};
