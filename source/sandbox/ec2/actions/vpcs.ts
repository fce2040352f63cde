import { createHash } from 'node:crypto';
import { parseNetworkCidr, prefixLength } from '../cidr.js';
import type { ActionContext, ActionTable } from '../context.js';
import { dependencyViolation, Ec2Error, invalidParameterValue, missingParameter } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { newId } from '../ids.js';
import { find, selectByIds } from '../lookups.js';
import { paginate } from '../pagination.js';
import type { RouteTableRecord, SecurityGroupRecord, VpcRecord } from '../state.js';
import { renderTags, tagsFromSpecifications } from '../tags.js';
import { type XmlObject, xmlList } from '../xml.js';

/** The region's default DHCP option set: one stable ID per account and region. */
function dhcpOptionsId(context: ActionContext): string {
	const digest = createHash('sha256').update(`${context.accountId}/${context.regionName}`).digest('hex');
	return `dopt-${digest.slice(0, 17)}`;
}

function renderVpc(context: ActionContext, vpc: VpcRecord, state: 'pending' | 'available'): XmlObject {
	return {
		vpcId: vpc.id,
		ownerId: context.accountId,
		state,
		cidrBlock: vpc.cidrBlock,
		cidrBlockAssociationSet: xmlList([vpc], (record) => ({
			cidrBlock: record.cidrBlock,
			associationId: record.cidrAssociationId,
			cidrBlockState: { state: 'associated' },
		})),
		ipv6CidrBlockAssociationSet: '',
		dhcpOptionsId: vpc.dhcpOptionsId,
		instanceTenancy: vpc.instanceTenancy,
		isDefault: false,
		blockPublicAccessStates: { internetGatewayBlockMode: 'off' },
		tagSet: renderTags(vpc.tags),
	};
}

/** Validates a VPC's IPv4 CIDR as CreateVpc does: notation first, then the /16–/28 size rule. */
function vpcCidr(text: string): string {
	const cidr = parseNetworkCidr(text);
	if (!cidr) {
		throw invalidParameterValue(
			`Value (${text}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
		);
	}
	const prefix = prefixLength(cidr);
	if (prefix < 16 || prefix > 28) {
		throw new Ec2Error('InvalidVpc.Range', `The CIDR '${text}' is invalid.`);
	}
	return cidr.toCidrString();
}

const VPC_ATTRIBUTES = [
	'enableDnsSupport',
	'enableDnsHostnames',
	'enableNetworkAddressUsageMetrics',
] as const;
type VpcAttribute = (typeof VPC_ATTRIBUTES)[number];

export const vpcActions: ActionTable = {
	CreateVpc(context) {
		const text = context.params.string('CidrBlock');
		if (!text) {
			throw new Ec2Error('MissingParameter', "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
		}
		const cidrBlock = vpcCidr(text);
		const instanceTenancy = context.params.string('InstanceTenancy') ?? 'default';
		if (!['default', 'dedicated', 'host'].includes(instanceTenancy)) {
			throw invalidParameterValue(`Value (${instanceTenancy}) for parameter instanceTenancy is invalid.`);
		}
		const tags = tagsFromSpecifications(context, ['vpc']).get('vpc') ?? [];
		const vpc: VpcRecord = {
			id: newId('vpc', context.random),
			cidrBlock,
			cidrAssociationId: newId('vpc-cidr-assoc', context.random),
			dhcpOptionsId: dhcpOptionsId(context),
			instanceTenancy,
			enableDnsSupport: true,
			enableDnsHostnames: false,
			enableNetworkAddressUsageMetrics: false,
			tags,
		};
		// As AWS does: every VPC comes with its main route table and its `default` security group.
		const mainRouteTable: RouteTableRecord = {
			id: newId('rtb', context.random),
			vpcId: vpc.id,
			routes: [{ destinationCidrBlock: cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable' }],
			associations: [{ id: newId('rtbassoc', context.random), main: true }],
			tags: [],
		};
		const defaultGroupId = newId('sg', context.random);
		const defaultGroup: SecurityGroupRecord = {
			id: defaultGroupId,
			name: 'default',
			description: 'default VPC security group',
			vpcId: vpc.id,
			isDefault: true,
			rules: [
				{
					id: newId('sgr', context.random),
					egress: false,
					protocol: '-1',
					referencedGroupId: defaultGroupId,
				},
				{ id: newId('sgr', context.random), egress: true, protocol: '-1', cidrIpv4: '0.0.0.0/0' },
			],
			tags: [],
		};
		context.region.vpcs[vpc.id] = vpc;
		context.region.routeTables[mainRouteTable.id] = mainRouteTable;
		context.region.securityGroups[defaultGroup.id] = defaultGroup;
		return { vpc: renderVpc(context, vpc, 'pending') };
	},

	DescribeVpcs(context) {
		const ids = context.params.list('VpcId');
		const vpcs = applyFilters(
			selectByIds('vpc', context.region.vpcs, ids),
			parseFilters(context.params),
			{
				cidr: (vpc) => vpc.cidrBlock,
				'cidr-block-association.cidr-block': (vpc) => vpc.cidrBlock,
				'cidr-block-association.association-id': (vpc) => vpc.cidrAssociationId,
				'cidr-block-association.state': () => 'associated',
				'dhcp-options-id': (vpc) => vpc.dhcpOptionsId,
				'ipv6-cidr-block-association.ipv6-cidr-block': () => undefined,
				'ipv6-cidr-block-association.ipv6-pool': () => undefined,
				'ipv6-cidr-block-association.association-id': () => undefined,
				'ipv6-cidr-block-association.state': () => undefined,
				'is-default': () => false,
				'owner-id': () => context.accountId,
				state: () => 'available',
				'vpc-id': (vpc) => vpc.id,
			},
			(vpc) => vpc.tags,
		);
		const page = paginate(vpcs, context.params, (vpc) => vpc.id, {
			min: 5,
			max: 1000,
			idsParameter: 'vpcIds',
			idsGiven: ids.length > 0,
		});
		return {
			vpcSet: xmlList(page.items, (vpc) => renderVpc(context, vpc, 'available')),
			nextToken: page.nextToken,
		};
	},

	DeleteVpc(context) {
		const vpc = find.vpc(context, context.params.required('VpcId'));
		const region = context.region;
		const hasDependencies =
			Object.values(region.subnets).some((subnet) => subnet.vpcId === vpc.id) ||
			Object.values(region.internetGateways).some((gateway) => gateway.attachedVpcId === vpc.id) ||
			Object.values(region.routeTables).some(
				(table) => table.vpcId === vpc.id && !table.associations.some((association) => association.main),
			) ||
			Object.values(region.securityGroups).some((group) => group.vpcId === vpc.id && !group.isDefault);
		if (hasDependencies) {
			throw dependencyViolation(`The vpc '${vpc.id}' has dependencies and cannot be deleted.`);
		}
		for (const table of Object.values(region.routeTables)) {
			if (table.vpcId === vpc.id) {
				delete region.routeTables[table.id];
			}
		}
		for (const group of Object.values(region.securityGroups)) {
			if (group.vpcId === vpc.id) {
				delete region.securityGroups[group.id];
			}
		}
		delete region.vpcs[vpc.id];
		return { return: true };
	},

	ModifyVpcAttribute(context) {
		const vpc = find.vpc(context, context.params.required('VpcId'));
		const changes: [VpcAttribute, boolean][] = [];
		for (const attribute of VPC_ATTRIBUTES) {
			const member = context.params.struct(attribute.charAt(0).toUpperCase() + attribute.slice(1));
			if (member) {
				const value = member.boolean('Value');
				if (value === undefined) {
					throw missingParameter(`${attribute}.Value`);
				}
				changes.push([attribute, value]);
			}
		}
		if (changes.length === 0) {
			throw missingParameter('EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics');
		}
		if (changes.length > 1) {
			throw new Ec2Error(
				'InvalidParameterCombination',
				'Only one attribute can be modified per ModifyVpcAttribute call.',
			);
		}
		const [[attribute, value]] = changes as [[VpcAttribute, boolean]];
		vpc[attribute] = value;
		return { return: true };
	},

	DescribeVpcAttribute(context) {
		const vpc = find.vpc(context, context.params.required('VpcId'));
		const attribute = context.params.required('Attribute');
		if (!(VPC_ATTRIBUTES as readonly string[]).includes(attribute)) {
			throw invalidParameterValue(
				`Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`,
			);
		}
		return { vpcId: vpc.id, [attribute]: { value: vpc[attribute as VpcAttribute] } };
	},
};
