import {
	AuthorizeSecurityGroupIngressCommand,
	CreateSecurityGroupCommand,
	DeleteSecurityGroupCommand,
	DescribeSecurityGroupsCommand,
	type EC2Client,
	type IpPermission,
	type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { hasCode, isNotFound } from './errors.js';
import { single, stackFilters, type Tagging, tagSpecifications } from './stack-tags.js';
import { type CallOptions, pollUntil, type WaitOptions } from './wait.js';

/** One inbound rule: a protocol, a port range (absent for all traffic) and one source CIDR. */
export type IngressRule = {
	protocol: 'tcp' | 'udp' | 'icmp' | '-1';
	fromPort?: number;
	toPort?: number;
	cidr: string;
	description?: string;
};

export async function findSecurityGroupById(
	ec2: EC2Client,
	groupId: string,
	options: CallOptions = {},
): Promise<SecurityGroup | undefined> {
	try {
		const output = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }), {
			abortSignal: options.signal,
		});
		return output.SecurityGroups?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

export async function findSecurityGroupByStackTag(
	ec2: EC2Client,
	stack: string,
	options: CallOptions & { role?: string } = {},
): Promise<SecurityGroup | undefined> {
	const output = await ec2.send(
		new DescribeSecurityGroupsCommand({ Filters: stackFilters(stack, options.role) }),
		{
			abortSignal: options.signal,
		},
	);
	return single('security-group', stack, output.SecurityGroups ?? [], (group) => group.GroupId);
}

/** Group names are unique per VPC: a group of that name made by someone else is reused, not duplicated. */
export async function findSecurityGroupByName(
	ec2: EC2Client,
	vpcId: string,
	groupName: string,
	options: CallOptions = {},
): Promise<SecurityGroup | undefined> {
	const output = await ec2.send(
		new DescribeSecurityGroupsCommand({
			Filters: [
				{ Name: 'vpc-id', Values: [vpcId] },
				{ Name: 'group-name', Values: [groupName] },
			],
		}),
		{ abortSignal: options.signal },
	);
	return output.SecurityGroups?.[0];
}

export type CreateSecurityGroupInput = Tagging & { vpcId: string; groupName: string; description?: string };

export async function createSecurityGroup(
	ec2: EC2Client,
	input: CreateSecurityGroupInput,
	options: CallOptions = {},
): Promise<SecurityGroup> {
	const output = await ec2.send(
		new CreateSecurityGroupCommand({
			VpcId: input.vpcId,
			GroupName: input.groupName,
			Description: input.description ?? `kakehashi ${input.stack}: access to the AMF Cloud appliance`,
			TagSpecifications: tagSpecifications('security-group', input),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.GroupId) throw new Error('CreateSecurityGroup returned no group id');
	return { GroupId: output.GroupId, GroupName: input.groupName, VpcId: input.vpcId, IpPermissions: [] };
}

const protocolNames: Record<string, IngressRule['protocol']> = {
	'-1': '-1',
	all: '-1',
	'6': 'tcp',
	tcp: 'tcp',
	'17': 'udp',
	udp: 'udp',
	'1': 'icmp',
	icmp: 'icmp',
};

function ruleKey(
	protocol: string,
	fromPort: number | undefined,
	toPort: number | undefined,
	cidr: string,
): string {
	const normalised = protocolNames[protocol.toLowerCase()] ?? protocol.toLowerCase();
	// All-traffic rules carry no meaningful ports (AWS reports them absent or -1).
	return normalised === '-1' ? `-1|${cidr}` : `${normalised}|${fromPort ?? -1}|${toPort ?? -1}|${cidr}`;
}

function existingRuleKeys(permissions: IpPermission[] | undefined): Set<string> {
	const keys = new Set<string>();
	for (const permission of permissions ?? []) {
		const protocol = permission.IpProtocol ?? '-1';
		for (const range of permission.IpRanges ?? []) {
			if (range.CidrIp) keys.add(ruleKey(protocol, permission.FromPort, permission.ToPort, range.CidrIp));
		}
		for (const range of permission.Ipv6Ranges ?? []) {
			if (range.CidrIpv6) keys.add(ruleKey(protocol, permission.FromPort, permission.ToPort, range.CidrIpv6));
		}
	}
	return keys;
}

/** The rules of `desired` the group does not have yet (rules the group has beyond them are left alone). */
export function missingIngressRules(group: SecurityGroup, desired: IngressRule[]): IngressRule[] {
	const existing = existingRuleKeys(group.IpPermissions);
	const seen = new Set<string>();
	return desired.filter((rule) => {
		const key = ruleKey(rule.protocol, rule.fromPort, rule.toPort, rule.cidr);
		if (existing.has(key) || seen.has(key)) return false;
		seen.add(key);
		return true;
	});
}

function toPermissions(rules: IngressRule[]): IpPermission[] {
	return rules.map((rule) => {
		const range = rule.cidr.includes(':')
			? {
					Ipv6Ranges: [
						{ CidrIpv6: rule.cidr, ...(rule.description ? { Description: rule.description } : {}) },
					],
				}
			: { IpRanges: [{ CidrIp: rule.cidr, ...(rule.description ? { Description: rule.description } : {}) }] };
		return {
			IpProtocol: rule.protocol,
			...(rule.protocol === '-1' ? {} : { FromPort: rule.fromPort, ToPort: rule.toPort }),
			...range,
		};
	});
}

/**
 * Add, in one AuthorizeSecurityGroupIngress, the rules the group lacks; returns what it added.
 * A rule that appeared meanwhile (InvalidPermission.Duplicate) means a describe lagged: re-diff once.
 */
export async function authorizeMissingIngress(
	ec2: EC2Client,
	groupId: string,
	desired: IngressRule[],
	options: CallOptions = {},
): Promise<IngressRule[]> {
	for (let round = 0; ; round++) {
		const group = await findSecurityGroupById(ec2, groupId, options);
		if (!group) throw new Error(`Security group ${groupId} disappeared while its rules were being added`);
		const missing = missingIngressRules(group, desired);
		if (missing.length === 0) return [];
		try {
			await ec2.send(
				new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: toPermissions(missing) }),
				{ abortSignal: options.signal },
			);
			return missing;
		} catch (error) {
			if (round > 0 || !hasCode(error, 'InvalidPermission.Duplicate')) throw error;
		}
	}
}

/** DeleteSecurityGroup; already gone counts as deleted. DependencyViolation (an ENI still uses it) is the caller's to retry. */
export async function deleteSecurityGroup(
	ec2: EC2Client,
	groupId: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }), { abortSignal: options.signal });
	} catch (error) {
		if (isNotFound(error)) return;
		throw error;
	}
}

/** Until the group is visible with every rule of `desired` (describe can lag behind a create). */
export function waitForSecurityGroupRules(
	ec2: EC2Client,
	groupId: string,
	desired: IngressRule[],
	options: WaitOptions = {},
): Promise<SecurityGroup> {
	return pollUntil(
		`security group ${groupId} to show its rules`,
		async () => {
			const group = await findSecurityGroupById(ec2, groupId, options);
			if (!group) return { state: undefined, value: group };
			const missing = missingIngressRules(group, desired).length;
			return { state: missing === 0 ? 'ready' : `${missing} rule(s) missing`, value: group };
		},
		(state) => state === 'ready',
		{ defaultTimeoutMs: 60_000, ...options },
	) as Promise<SecurityGroup>;
}
