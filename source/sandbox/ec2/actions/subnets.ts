import { availableAddressCount } from '../addresses.js';
import { zonesOf } from '../catalog.js';
import { cidrInside, cidrOverlaps, parseNetworkCidr, prefixLength } from '../cidr.js';
import type { ActionContext, ActionTable } from '../context.js';
import { dependencyViolation, Ec2Error, invalidParameterValue, missingParameter } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { newId } from '../ids.js';
import { find, selectByIds } from '../lookups.js';
import { paginate } from '../pagination.js';
import { instanceStateAt, type SubnetRecord } from '../state.js';
import { renderTags, tagsFromSpecifications } from '../tags.js';
import { type XmlObject, xmlList } from '../xml.js';

function subnetArn(context: ActionContext, subnet: SubnetRecord): string {
	return `arn:aws:ec2:${context.regionName}:${context.accountId}:subnet/${subnet.id}`;
}

function renderSubnet(context: ActionContext, subnet: SubnetRecord): XmlObject {
	return {
		subnetId: subnet.id,
		subnetArn: subnetArn(context, subnet),
		state: 'available',
		vpcId: subnet.vpcId,
		cidrBlock: subnet.cidrBlock,
		ipv6CidrBlockAssociationSet: '',
		availableIpAddressCount: availableAddressCount(context.region, subnet, context.now),
		availabilityZone: subnet.availabilityZone,
		availabilityZoneId: subnet.availabilityZoneId,
		defaultForAz: false,
		mapPublicIpOnLaunch: subnet.mapPublicIpOnLaunch,
		mapCustomerOwnedIpOnLaunch: false,
		assignIpv6AddressOnCreation: false,
		ipv6Native: false,
		enableDns64: false,
		ownerId: context.accountId,
		privateDnsNameOptionsOnLaunch: {
			hostnameType: 'ip-name',
			enableResourceNameDnsARecord: false,
			enableResourceNameDnsAAAARecord: false,
		},
		blockPublicAccessStates: { internetGatewayBlockMode: 'off' },
		tagSet: renderTags(subnet.tags),
	};
}

function chooseZone(context: ActionContext): { zoneName: string; zoneId: string } {
	const zones = zonesOf(context.regionName);
	const byName = context.params.string('AvailabilityZone');
	const byId = context.params.string('AvailabilityZoneId');
	const allowed = zones.map((zone) => zone.zoneName).join(', ');
	if (byName !== undefined) {
		const zone = zones.find((candidate) => candidate.zoneName === byName);
		if (!zone) {
			throw invalidParameterValue(
				`Value (${byName}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${allowed}.`,
			);
		}
		return zone;
	}
	if (byId !== undefined) {
		const zone = zones.find((candidate) => candidate.zoneId === byId);
		if (!zone) {
			throw invalidParameterValue(`Value (${byId}) for parameter availabilityZoneId is invalid.`);
		}
		return zone;
	}
	const zone = zones[context.random.below(zones.length)];
	if (!zone) {
		throw new Error(`The sandbox has no availability zones for ${context.regionName}`);
	}
	return zone;
}

export const subnetActions: ActionTable = {
	CreateSubnet(context) {
		const vpc = find.vpc(context, context.params.required('VpcId', 'vpcId'));
		const text = context.params.string('CidrBlock');
		if (!text) {
			throw new Ec2Error('MissingParameter', "Either 'cidrBlock' or 'ipv6CidrBlock' should be provided.");
		}
		const cidr = parseNetworkCidr(text);
		if (!cidr) {
			throw invalidParameterValue(
				`Value (${text}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
			);
		}
		const vpcRange = parseNetworkCidr(vpc.cidrBlock);
		const prefix = prefixLength(cidr);
		if (prefix < 16 || prefix > 28 || !vpcRange || !cidrInside(cidr, vpcRange)) {
			throw new Ec2Error('InvalidSubnet.Range', `The CIDR '${text}' is invalid.`);
		}
		const conflicting = Object.values(context.region.subnets).some((subnet) => {
			const other = parseNetworkCidr(subnet.cidrBlock);
			return subnet.vpcId === vpc.id && other !== undefined && cidrOverlaps(cidr, other);
		});
		if (conflicting) {
			throw new Ec2Error('InvalidSubnet.Conflict', `The CIDR '${text}' conflicts with another subnet`);
		}
		const zone = chooseZone(context);
		const tags = tagsFromSpecifications(context, ['subnet']).get('subnet') ?? [];
		const subnet: SubnetRecord = {
			id: newId('subnet', context.random),
			vpcId: vpc.id,
			cidrBlock: cidr.toCidrString(),
			availabilityZone: zone.zoneName,
			availabilityZoneId: zone.zoneId,
			mapPublicIpOnLaunch: false,
			tags,
		};
		context.region.subnets[subnet.id] = subnet;
		return { subnet: renderSubnet(context, subnet) };
	},

	DescribeSubnets(context) {
		const ids = context.params.list('SubnetId');
		const cidrOf = (subnet: SubnetRecord) => subnet.cidrBlock;
		const subnets = applyFilters(
			selectByIds('subnet', context.region.subnets, ids),
			parseFilters(context.params),
			{
				'availability-zone': (subnet) => subnet.availabilityZone,
				'availability-zone-id': (subnet) => subnet.availabilityZoneId,
				'available-ip-address-count': (subnet) => availableAddressCount(context.region, subnet, context.now),
				'cidr-block': cidrOf,
				cidr: cidrOf,
				cidrBlock: cidrOf,
				'customer-owned-ipv4-pool': () => undefined,
				'default-for-az': () => false,
				defaultForAz: () => false,
				'enable-dns64': () => false,
				'enable-lni-at-device-index': () => undefined,
				'ipv6-cidr-block-association.ipv6-cidr-block': () => undefined,
				'ipv6-cidr-block-association.association-id': () => undefined,
				'ipv6-cidr-block-association.state': () => undefined,
				'ipv6-native': () => false,
				'map-customer-owned-ip-on-launch': () => false,
				'map-public-ip-on-launch': (subnet) => subnet.mapPublicIpOnLaunch,
				'outpost-arn': () => undefined,
				'owner-id': () => context.accountId,
				'private-dns-name-options-on-launch.hostname-type': () => 'ip-name',
				'private-dns-name-options-on-launch.enable-resource-name-dns-a-record': () => false,
				'private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record': () => false,
				state: () => 'available',
				'subnet-arn': (subnet) => subnetArn(context, subnet),
				'subnet-id': (subnet) => subnet.id,
				'vpc-id': (subnet) => subnet.vpcId,
			},
			(subnet) => subnet.tags,
		);
		const page = paginate(subnets, context.params, (subnet) => subnet.id, {
			min: 5,
			max: 1000,
			idsParameter: 'subnetIds',
			idsGiven: ids.length > 0,
		});
		return {
			subnetSet: xmlList(page.items, (subnet) => renderSubnet(context, subnet)),
			nextToken: page.nextToken,
		};
	},

	DeleteSubnet(context) {
		const subnet = find.subnet(context, context.params.required('SubnetId', 'subnetId'));
		const inUse = Object.values(context.region.instances).some(
			(instance) =>
				instance.subnetId === subnet.id && instanceStateAt(instance, context.now) !== 'terminated',
		);
		if (inUse) {
			throw dependencyViolation(`The subnet '${subnet.id}' has dependencies and cannot be deleted.`);
		}
		for (const table of Object.values(context.region.routeTables)) {
			table.associations = table.associations.filter((association) => association.subnetId !== subnet.id);
		}
		delete context.region.subnets[subnet.id];
		return { return: true };
	},

	ModifySubnetAttribute(context) {
		const subnet = find.subnet(context, context.params.required('SubnetId', 'subnetId'));
		const member = context.params.struct('MapPublicIpOnLaunch');
		if (!member) {
			throw missingParameter('MapPublicIpOnLaunch');
		}
		const value = member.boolean('Value');
		if (value === undefined) {
			throw missingParameter('MapPublicIpOnLaunch.Value');
		}
		subnet.mapPublicIpOnLaunch = value;
		return { return: true };
	},
};
