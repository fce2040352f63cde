import { parseNetworkCidr } from '../cidr.js';
import type { ActionContext, ActionTable } from '../context.js';
import { dependencyViolation, Ec2Error, invalidParameterValue, missingParameter } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { newId } from '../ids.js';
import { find, selectByIds } from '../lookups.js';
import { paginate } from '../pagination.js';
import type { QueryParams } from '../query.js';
import { instanceStateAt, type SecurityGroupRecord, type SecurityGroupRuleRecord } from '../state.js';
import { renderTags, tagsFromSpecifications } from '../tags.js';
import { type XmlObject, xmlList } from '../xml.js';

/** One rule as requested, before it gets an ID. */
type RequestedRule = Omit<SecurityGroupRuleRecord, 'id'>;

const PROTOCOL_NAMES: Record<string, string> = {
	'6': 'tcp',
	'17': 'udp',
	'1': 'icmp',
	'58': 'icmpv6',
	all: '-1',
};

function normaliseProtocol(raw: string): string {
	const lower = raw.toLowerCase();
	const named = PROTOCOL_NAMES[lower] ?? lower;
	if (['tcp', 'udp', 'icmp', 'icmpv6', '-1'].includes(named)) {
		return named;
	}
	if (/^\d+$/.test(named) && Number(named) <= 255) {
		return named;
	}
	throw invalidParameterValue(`Invalid value '${raw}' for IP protocol. Unknown protocol.`);
}

function portRange(protocol: string, from: number | undefined, to: number | undefined): [number?, number?] {
	if (protocol === '-1') {
		return [];
	}
	if (protocol === 'tcp' || protocol === 'udp') {
		if (from === undefined || to === undefined) {
			throw invalidParameterValue(
				`Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange. Must specify both from and to ports with TCP/UDP.`,
			);
		}
		if (from < 0 || to > 65535 || from > to) {
			throw invalidParameterValue(
				`Invalid value '${from}-${to}' for portRange. The port range must be between 0 and 65535, with from not greater than to.`,
			);
		}
		return [from, to];
	}
	if (protocol === 'icmp' || protocol === 'icmpv6') {
		// For ICMP, FromPort is the type and ToPort the code; -1 means all.
		const type = from ?? -1;
		const code = to ?? -1;
		if (type < -1 || type > 255 || code < -1 || code > 255) {
			throw invalidParameterValue(`Invalid value '${type},${code}' for ICMP type and code.`);
		}
		return [type, code];
	}
	return from === undefined && to === undefined ? [] : [from, to];
}

function ruleCidr(text: string): string {
	const cidr = parseNetworkCidr(text);
	if (!cidr) {
		throw invalidParameterValue(`CIDR block ${text} is malformed`);
	}
	return cidr.toCidrString();
}

/** `IpPermissions.N.*`, or the legacy top-level IpProtocol/FromPort/ToPort/CidrIp form. */
function requestedRules(
	context: ActionContext,
	group: SecurityGroupRecord,
	egress: boolean,
): RequestedRule[] {
	const permissions: QueryParams[] = context.params.structs('IpPermissions');
	const rules: RequestedRule[] = [];
	if (permissions.length === 0 && context.params.has('IpProtocol')) {
		const protocol = normaliseProtocol(context.params.required('IpProtocol'));
		const [fromPort, toPort] = portRange(
			protocol,
			context.params.integer('FromPort'),
			context.params.integer('ToPort'),
		);
		const cidr = context.params.string('CidrIp');
		if (cidr === undefined) {
			throw missingParameter('CidrIp');
		}
		rules.push({ egress, protocol, fromPort, toPort, cidrIpv4: ruleCidr(cidr) });
		return rules;
	}
	if (permissions.length === 0) {
		throw missingParameter('IpPermissions');
	}
	for (const permission of permissions) {
		const protocol = normaliseProtocol(permission.required('IpProtocol', 'IpPermissions.N.IpProtocol'));
		const [fromPort, toPort] = portRange(
			protocol,
			permission.integer('FromPort'),
			permission.integer('ToPort'),
		);
		const before = rules.length;
		for (const range of permission.structs('IpRanges')) {
			const cidr = range.required('CidrIp', 'IpPermissions.N.IpRanges.N.CidrIp');
			rules.push({
				egress,
				protocol,
				fromPort,
				toPort,
				cidrIpv4: ruleCidr(cidr),
				description: range.string('Description'),
			});
		}
		for (const pair of permission.structs('Groups')) {
			const referenced = find.securityGroup(
				context,
				pair.required('GroupId', 'IpPermissions.N.Groups.N.GroupId'),
			);
			if (referenced.vpcId !== group.vpcId) {
				throw invalidParameterValue(
					`You have specified two resources that belong to different networks: ${referenced.id} and ${group.id}.`,
				);
			}
			rules.push({
				egress,
				protocol,
				fromPort,
				toPort,
				referencedGroupId: referenced.id,
				description: pair.string('Description'),
			});
		}
		if (permission.has('Ipv6Ranges') || permission.has('PrefixListIds')) {
			throw invalidParameterValue(
				'The kakehashi sandbox supports IPv4 ranges and security group references only.',
			);
		}
		if (rules.length === before) {
			throw missingParameter('IpPermissions.N.IpRanges or IpPermissions.N.Groups');
		}
	}
	return rules;
}

function sameRule(a: RequestedRule, b: RequestedRule): boolean {
	return (
		a.egress === b.egress &&
		a.protocol === b.protocol &&
		a.fromPort === b.fromPort &&
		a.toPort === b.toPort &&
		a.cidrIpv4 === b.cidrIpv4 &&
		a.referencedGroupId === b.referencedGroupId
	);
}

function describeRule(rule: RequestedRule): string {
	const protocol = rule.protocol === '-1' ? 'ALL' : rule.protocol.toUpperCase();
	const ports = rule.fromPort === undefined ? '' : `, from port: ${rule.fromPort}, to port: ${rule.toPort}`;
	return `peer: ${rule.cidrIpv4 ?? rule.referencedGroupId}, ${protocol}${ports}, ALLOW`;
}

/** EC2 groups rules sharing protocol and ports into one IpPermission with several ranges. */
function renderPermissions(
	context: ActionContext,
	rules: readonly SecurityGroupRuleRecord[],
): ReturnType<typeof xmlList> {
	const permissions: {
		protocol: string;
		fromPort?: number;
		toPort?: number;
		rules: SecurityGroupRuleRecord[];
	}[] = [];
	for (const rule of rules) {
		const existing = permissions.find(
			(permission) =>
				permission.protocol === rule.protocol &&
				permission.fromPort === rule.fromPort &&
				permission.toPort === rule.toPort,
		);
		if (existing) {
			existing.rules.push(rule);
		} else {
			permissions.push({
				protocol: rule.protocol,
				fromPort: rule.fromPort,
				toPort: rule.toPort,
				rules: [rule],
			});
		}
	}
	return xmlList(permissions, (permission) => ({
		ipProtocol: permission.protocol,
		fromPort: permission.fromPort,
		toPort: permission.toPort,
		groups: xmlList(
			permission.rules.filter((rule) => rule.referencedGroupId !== undefined),
			(rule) => ({
				groupId: rule.referencedGroupId,
				userId: context.accountId,
				description: rule.description,
			}),
		),
		ipRanges: xmlList(
			permission.rules.filter((rule) => rule.cidrIpv4 !== undefined),
			(rule) => ({ cidrIp: rule.cidrIpv4, description: rule.description }),
		),
		ipv6Ranges: '',
		prefixListIds: '',
	}));
}

function groupArn(context: ActionContext, group: SecurityGroupRecord): string {
	return `arn:aws:ec2:${context.regionName}:${context.accountId}:security-group/${group.id}`;
}

function renderGroup(context: ActionContext, group: SecurityGroupRecord): XmlObject {
	return {
		ownerId: context.accountId,
		groupId: group.id,
		groupName: group.name,
		groupDescription: group.description,
		vpcId: group.vpcId,
		securityGroupArn: groupArn(context, group),
		ipPermissions: renderPermissions(
			context,
			group.rules.filter((rule) => !rule.egress),
		),
		ipPermissionsEgress: renderPermissions(
			context,
			group.rules.filter((rule) => rule.egress),
		),
		tagSet: renderTags(group.tags),
	};
}

function renderRule(
	context: ActionContext,
	group: SecurityGroupRecord,
	rule: SecurityGroupRuleRecord,
): XmlObject {
	return {
		securityGroupRuleId: rule.id,
		groupId: group.id,
		groupOwnerId: context.accountId,
		isEgress: rule.egress,
		ipProtocol: rule.protocol,
		fromPort: rule.fromPort ?? -1,
		toPort: rule.toPort ?? -1,
		cidrIpv4: rule.cidrIpv4,
		referencedGroupInfo: rule.referencedGroupId
			? { groupId: rule.referencedGroupId, userId: context.accountId }
			: undefined,
		description: rule.description,
		securityGroupRuleArn: `arn:aws:ec2:${context.regionName}:${context.accountId}:security-group-rule/${rule.id}`,
		tagSet: '',
	};
}

/**
 * The group a request names. `GroupName` alone means "in the default VPC", which a sandbox account
 * (like many real ones) does not have.
 */
function targetGroup(context: ActionContext): SecurityGroupRecord {
	const id = context.params.string('GroupId');
	if (id !== undefined) {
		return find.securityGroup(context, id);
	}
	if (context.params.string('GroupName') !== undefined) {
		throw new Ec2Error(
			'VPCIdNotSpecified',
			'No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.',
		);
	}
	throw missingParameter('GroupId');
}

function authorize(context: ActionContext, egress: boolean): XmlObject {
	const group = targetGroup(context);
	const requested = requestedRules(context, group, egress);
	tagsFromSpecifications(context, ['security-group-rule']);
	requested.forEach((rule, index) => {
		const duplicate =
			group.rules.some((existing) => sameRule(existing, rule)) ||
			requested.slice(0, index).some((earlier) => sameRule(earlier, rule));
		if (duplicate) {
			throw new Ec2Error(
				'InvalidPermission.Duplicate',
				`the specified rule "${describeRule(rule)}" already exists`,
			);
		}
	});
	const added = requested.map((rule) => ({ ...rule, id: newId('sgr', context.random) }));
	group.rules.push(...added);
	return { return: true, securityGroupRuleSet: xmlList(added, (rule) => renderRule(context, group, rule)) };
}

function revoke(context: ActionContext, egress: boolean): XmlObject {
	const group = targetGroup(context);
	const ruleIds = context.params.list('SecurityGroupRuleId');
	const revoked: SecurityGroupRuleRecord[] = [];
	const unknown: RequestedRule[] = [];
	if (ruleIds.length > 0) {
		for (const ruleId of ruleIds) {
			const rule = group.rules.find((candidate) => candidate.id === ruleId && candidate.egress === egress);
			if (!rule) {
				throw new Ec2Error(
					'InvalidSecurityGroupRuleId.NotFound',
					`The security group rule ID '${ruleId}' does not exist`,
				);
			}
			revoked.push(rule);
		}
	} else {
		for (const wanted of requestedRules(context, group, egress)) {
			const rule = group.rules.find((candidate) => sameRule(candidate, wanted));
			if (rule) {
				revoked.push(rule);
			} else {
				unknown.push(wanted);
			}
		}
		if (revoked.length === 0) {
			throw new Ec2Error(
				'InvalidPermission.NotFound',
				'The specified rule does not exist in this security group.',
			);
		}
	}
	group.rules = group.rules.filter((rule) => !revoked.includes(rule));
	return {
		return: true,
		unknownIpPermissionSet:
			unknown.length > 0
				? renderPermissions(
						context,
						unknown.map((rule) => ({ ...rule, id: '' })),
					)
				: undefined,
		revokedSecurityGroupRuleSet: xmlList(revoked, (rule) => ({
			securityGroupRuleId: rule.id,
			groupId: group.id,
			isEgress: rule.egress,
			ipProtocol: rule.protocol,
			fromPort: rule.fromPort ?? -1,
			toPort: rule.toPort ?? -1,
			cidrIpv4: rule.cidrIpv4,
			referencedGroupId: rule.referencedGroupId,
			description: rule.description,
		})),
	};
}

const permissionFilter =
	(egress: boolean, read: (rule: SecurityGroupRuleRecord) => string | number | undefined) =>
	(group: SecurityGroupRecord) =>
		group.rules.filter((rule) => rule.egress === egress).map(read);

export const securityGroupActions: ActionTable = {
	CreateSecurityGroup(context) {
		const name = context.params.required('GroupName');
		const description = context.params.required('GroupDescription');
		const vpcId = context.params.string('VpcId');
		if (vpcId === undefined) {
			throw new Ec2Error('VPCIdNotSpecified', 'No default VPC for this user');
		}
		const vpc = find.vpc(context, vpcId);
		if (name.length > 255 || description.length > 255) {
			throw invalidParameterValue('Group name and description must be at most 255 characters long.');
		}
		if (name.toLowerCase().startsWith('sg-')) {
			throw invalidParameterValue('Group names may not be in the format sg-*');
		}
		if (name === 'default') {
			throw new Ec2Error('InvalidGroup.Reserved', "The security group 'default' is reserved");
		}
		if (
			Object.values(context.region.securityGroups).some(
				(group) => group.vpcId === vpc.id && group.name === name,
			)
		) {
			throw new Ec2Error(
				'InvalidGroup.Duplicate',
				`The security group '${name}' already exists for VPC '${vpc.id}'`,
			);
		}
		const group: SecurityGroupRecord = {
			id: newId('sg', context.random),
			name,
			description,
			vpcId: vpc.id,
			isDefault: false,
			// A new group allows all outbound traffic until told otherwise.
			rules: [{ id: newId('sgr', context.random), egress: true, protocol: '-1', cidrIpv4: '0.0.0.0/0' }],
			tags: tagsFromSpecifications(context, ['security-group']).get('security-group') ?? [],
		};
		context.region.securityGroups[group.id] = group;
		return {
			return: true,
			groupId: group.id,
			securityGroupArn: groupArn(context, group),
			tagSet: renderTags(group.tags),
		};
	},

	DescribeSecurityGroups(context) {
		const ids = context.params.list('GroupId');
		const names = context.params.list('GroupName');
		if (names.length > 0) {
			throw new Ec2Error(
				'InvalidGroup.NotFound',
				`The security group '${names[0]}' does not exist in default VPC 'none'`,
			);
		}
		const groups = applyFilters(
			selectByIds('securityGroup', context.region.securityGroups, ids),
			parseFilters(context.params),
			{
				description: (group) => group.description,
				'group-id': (group) => group.id,
				'group-name': (group) => group.name,
				'owner-id': () => context.accountId,
				'vpc-id': (group) => group.vpcId,
				'ip-permission.cidr': permissionFilter(false, (rule) => rule.cidrIpv4),
				'ip-permission.from-port': permissionFilter(false, (rule) => rule.fromPort),
				'ip-permission.to-port': permissionFilter(false, (rule) => rule.toPort),
				'ip-permission.protocol': permissionFilter(false, (rule) => rule.protocol),
				'ip-permission.group-id': permissionFilter(false, (rule) => rule.referencedGroupId),
				'ip-permission.group-name': permissionFilter(
					false,
					(rule) => context.region.securityGroups[rule.referencedGroupId ?? '']?.name,
				),
				'ip-permission.user-id': permissionFilter(false, (rule) =>
					rule.referencedGroupId ? context.accountId : undefined,
				),
				'ip-permission.ipv6-cidr': () => undefined,
				'ip-permission.prefix-list-id': () => undefined,
				'egress.ip-permission.cidr': permissionFilter(true, (rule) => rule.cidrIpv4),
				'egress.ip-permission.from-port': permissionFilter(true, (rule) => rule.fromPort),
				'egress.ip-permission.to-port': permissionFilter(true, (rule) => rule.toPort),
				'egress.ip-permission.protocol': permissionFilter(true, (rule) => rule.protocol),
				'egress.ip-permission.group-id': permissionFilter(true, (rule) => rule.referencedGroupId),
				'egress.ip-permission.group-name': permissionFilter(
					true,
					(rule) => context.region.securityGroups[rule.referencedGroupId ?? '']?.name,
				),
				'egress.ip-permission.user-id': permissionFilter(true, (rule) =>
					rule.referencedGroupId ? context.accountId : undefined,
				),
				'egress.ip-permission.ipv6-cidr': () => undefined,
				'egress.ip-permission.prefix-list-id': () => undefined,
			},
			(group) => group.tags,
		);
		const page = paginate(groups, context.params, (group) => group.id, {
			min: 5,
			max: 1000,
			idsParameter: 'groupIds',
			idsGiven: ids.length > 0,
		});
		return {
			securityGroupInfo: xmlList(page.items, (group) => renderGroup(context, group)),
			nextToken: page.nextToken,
		};
	},

	DeleteSecurityGroup(context) {
		const group = targetGroup(context);
		if (group.isDefault) {
			throw new Ec2Error(
				'CannotDelete',
				`the specified group: "${group.id}" name: "default" cannot be deleted by a user`,
			);
		}
		const usedByInstance = Object.values(context.region.instances).some(
			(instance) =>
				instance.securityGroupIds.includes(group.id) &&
				instanceStateAt(instance, context.now) !== 'terminated',
		);
		const referenced = Object.values(context.region.securityGroups).some(
			(other) => other.id !== group.id && other.rules.some((rule) => rule.referencedGroupId === group.id),
		);
		if (usedByInstance || referenced) {
			throw dependencyViolation(`resource ${group.id} has a dependent object`);
		}
		delete context.region.securityGroups[group.id];
		return { return: true, groupId: group.id };
	},

	AuthorizeSecurityGroupIngress: (context) => authorize(context, false),
	AuthorizeSecurityGroupEgress: (context) => authorize(context, true),
	RevokeSecurityGroupIngress: (context) => revoke(context, false),
	RevokeSecurityGroupEgress: (context) => revoke(context, true),
};
