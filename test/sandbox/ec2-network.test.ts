import {
	AssociateRouteTableCommand,
	AttachInternetGatewayCommand,
	AttachVpnGatewayCommand,
	AuthorizeSecurityGroupEgressCommand,
	AuthorizeSecurityGroupIngressCommand,
	CreateInternetGatewayCommand,
	CreateRouteCommand,
	CreateRouteTableCommand,
	CreateSecurityGroupCommand,
	CreateSubnetCommand,
	CreateTagsCommand,
	CreateVpcCommand,
	CreateVpnGatewayCommand,
	DeleteInternetGatewayCommand,
	DeleteRouteCommand,
	DeleteRouteTableCommand,
	DeleteSecurityGroupCommand,
	DeleteSubnetCommand,
	DeleteTagsCommand,
	DeleteVpcCommand,
	DescribeInternetGatewaysCommand,
	DescribeRouteTablesCommand,
	DescribeSecurityGroupsCommand,
	DescribeSubnetsCommand,
	DescribeTagsCommand,
	DescribeVpcAttributeCommand,
	DescribeVpcsCommand,
	DescribeVpnGatewaysCommand,
	DetachInternetGatewayCommand,
	DisassociateRouteTableCommand,
	type EC2Client,
	ModifySubnetAttributeCommand,
	ModifyVpcAttributeCommand,
	paginateDescribeVpcs,
	ReplaceRouteCommand,
	ReplaceRouteTableAssociationCommand,
	RevokeSecurityGroupEgressCommand,
	RevokeSecurityGroupIngressCommand,
	type Vpc,
} from '@aws-sdk/client-ec2';
import { describe, expect, test } from 'vitest';
import { eventually, expectAwsError, sandboxWithClient } from './harness.js';

const sandbox = () => sandboxWithClient({ timings: { instanceRunningMs: 50 } });
const expectError = (promise: Promise<unknown>, name: string, status = 400) =>
	expectAwsError(promise, name, status);

async function createVpc(ec2: EC2Client, cidr = '10.0.0.0/16', name?: string): Promise<string> {
	const output = await ec2.send(
		new CreateVpcCommand({
			CidrBlock: cidr,
			TagSpecifications: name ? [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: name }] }] : undefined,
		}),
	);
	return output.Vpc?.VpcId as string;
}

describe('VPCs', () => {
	test('CreateVpc makes the VPC, its main route table (local route) and its default security group', async () => {
		const { ec2 } = await sandbox();
		const created = await ec2.send(
			new CreateVpcCommand({
				CidrBlock: '172.30.0.0/16',
				TagSpecifications: [
					{
						ResourceType: 'vpc',
						Tags: [
							{ Key: 'Name', Value: 'amf-cloud' },
							{ Key: 'kakehashi:stack', Value: 'amf-cloud' },
						],
					},
				],
			}),
		);
		const vpc = created.Vpc as Vpc;
		expect(vpc.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
		expect(vpc.State).toBe('pending');
		expect(vpc.CidrBlock).toBe('172.30.0.0/16');
		expect(vpc.IsDefault).toBe(false);
		expect(vpc.OwnerId).toBe('123456789012');
		expect(vpc.CidrBlockAssociationSet?.[0]?.CidrBlockState?.State).toBe('associated');
		expect(vpc.Tags).toEqual([
			{ Key: 'Name', Value: 'amf-cloud' },
			{ Key: 'kakehashi:stack', Value: 'amf-cloud' },
		]);

		const described = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpc.VpcId as string] }));
		expect(described.Vpcs?.[0]?.State).toBe('available');

		const tables = await ec2.send(
			new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId as string] }] }),
		);
		expect(tables.RouteTables).toHaveLength(1);
		const main = tables.RouteTables?.[0];
		expect(main?.RouteTableId).toMatch(/^rtb-[0-9a-f]{17}$/);
		expect(main?.Routes).toEqual([
			{
				DestinationCidrBlock: '172.30.0.0/16',
				GatewayId: 'local',
				State: 'active',
				Origin: 'CreateRouteTable',
			},
		]);
		expect(main?.Associations?.[0]?.Main).toBe(true);
		expect(main?.Associations?.[0]?.RouteTableAssociationId).toMatch(/^rtbassoc-[0-9a-f]{17}$/);

		const groups = await ec2.send(
			new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId as string] }] }),
		);
		expect(groups.SecurityGroups).toHaveLength(1);
		const defaultGroup = groups.SecurityGroups?.[0];
		expect(defaultGroup?.GroupName).toBe('default');
		expect(defaultGroup?.GroupId).toMatch(/^sg-[0-9a-f]{17}$/);
		expect(defaultGroup?.IpPermissionsEgress).toEqual([
			{
				IpProtocol: '-1',
				IpRanges: [{ CidrIp: '0.0.0.0/0' }],
				Ipv6Ranges: [],
				PrefixListIds: [],
				UserIdGroupPairs: [],
			},
		]);
		expect(defaultGroup?.IpPermissions?.[0]?.UserIdGroupPairs?.[0]?.GroupId).toBe(defaultGroup?.GroupId);
	});

	test('validates the CIDR as AWS does', async () => {
		const { ec2 } = await sandbox();
		await expectError(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' })), 'InvalidVpc.Range');
		await expectError(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/29' })), 'InvalidVpc.Range');
		const malformed = await expectError(
			ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.300/16' })),
			'InvalidParameterValue',
		);
		expect(malformed.message).toContain('10.0.0.300/16');
		await expectError(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.1/16' })), 'InvalidParameterValue');
		await expectError(ec2.send(new CreateVpcCommand({})), 'MissingParameter');
		await expect(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/28' }))).resolves.toBeDefined();
	});

	test('unknown and malformed IDs', async () => {
		const { ec2 } = await sandbox();
		const missing = await expectError(
			ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0'] })),
			'InvalidVpcID.NotFound',
		);
		expect(missing.message).toBe("The vpc ID 'vpc-0123456789abcdef0' does not exist");
		await expectError(ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-nope'] })), 'InvalidVpcID.Malformed');
		await expectError(
			ec2.send(new DeleteVpcCommand({ VpcId: 'vpc-0123456789abcdef0' })),
			'InvalidVpcID.NotFound',
		);
		await expectError(
			ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0123456789abcdef0'] })),
			'InvalidSubnetID.NotFound',
		);
		await expectError(
			ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: ['igw-0123456789abcdef0'] })),
			'InvalidInternetGatewayID.NotFound',
		);
		await expectError(
			ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0123456789abcdef0'] })),
			'InvalidRouteTableID.NotFound',
		);
		await expectError(
			ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })),
			'InvalidGroup.NotFound',
		);
		await expectError(
			ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-x'] })),
			'InvalidGroupId.Malformed',
		);
	});

	test('ModifyVpcAttribute and DescribeVpcAttribute', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2);
		const read = async (Attribute: 'enableDnsHostnames' | 'enableDnsSupport') =>
			ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute }));
		expect((await read('enableDnsSupport')).EnableDnsSupport?.Value).toBe(true);
		expect((await read('enableDnsHostnames')).EnableDnsHostnames?.Value).toBe(false);
		await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
		expect((await read('enableDnsHostnames')).EnableDnsHostnames?.Value).toBe(true);
		expect((await read('enableDnsHostnames')).VpcId).toBe(vpcId);
		await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: false } }));
		expect((await read('enableDnsSupport')).EnableDnsSupport?.Value).toBe(false);
		await expectError(
			ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'colour' as 'enableDnsSupport' })),
			'InvalidParameterValue',
		);
		await expectError(ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId })), 'MissingParameter');
	});

	test('filters: tag:KEY, tag-key, cidr, wildcards; unknown filter names are refused', async () => {
		const { ec2 } = await sandbox();
		const a = await createVpc(ec2, '10.1.0.0/16', 'tenant-a');
		const b = await createVpc(ec2, '10.2.0.0/16', 'tenant-b');
		await createVpc(ec2, '10.3.0.0/16');
		const ids = async (filters: { Name: string; Values: string[] }[]) =>
			((await ec2.send(new DescribeVpcsCommand({ Filters: filters }))).Vpcs ?? [])
				.map((vpc) => vpc.VpcId)
				.sort();
		expect(await ids([{ Name: 'tag:Name', Values: ['tenant-a'] }])).toEqual([a]);
		expect(await ids([{ Name: 'tag:Name', Values: ['tenant-*'] }])).toEqual([a, b].sort());
		expect(await ids([{ Name: 'tag:Name', Values: ['tenant-a', 'tenant-b'] }])).toEqual([a, b].sort());
		expect(await ids([{ Name: 'tag-key', Values: ['Name'] }])).toEqual([a, b].sort());
		expect(await ids([{ Name: 'cidr', Values: ['10.2.0.0/16'] }])).toEqual([b]);
		expect(
			await ids([
				{ Name: 'tag:Name', Values: ['tenant-*'] },
				{ Name: 'cidr-block-association.cidr-block', Values: ['10.1.0.0/16'] },
			]),
		).toEqual([a]);
		expect(await ids([{ Name: 'state', Values: ['available'] }])).toHaveLength(3);
		const error = await expectError(
			ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'flavour', Values: ['x'] }] })),
			'InvalidParameterValue',
		);
		expect(error.message).toBe("The filter 'flavour' is invalid");
	});

	test('MaxResults / NextToken pagination, within the limits AWS sets', async () => {
		const { ec2 } = await sandbox();
		const created: string[] = [];
		for (let index = 1; index <= 7; index++) {
			created.push(await createVpc(ec2, `10.${index}.0.0/16`));
		}
		const first = await ec2.send(new DescribeVpcsCommand({ MaxResults: 5 }));
		expect(first.Vpcs).toHaveLength(5);
		expect(first.NextToken).toBeTruthy();
		const second = await ec2.send(new DescribeVpcsCommand({ MaxResults: 5, NextToken: first.NextToken }));
		expect(second.Vpcs).toHaveLength(2);
		expect(second.NextToken).toBeUndefined();
		const seen = [...(first.Vpcs ?? []), ...(second.Vpcs ?? [])].map((vpc) => vpc.VpcId);
		expect(seen.sort()).toEqual([...created].sort());

		const paged: string[] = [];
		for await (const page of paginateDescribeVpcs({ client: ec2, pageSize: 5 }, {})) {
			paged.push(...(page.Vpcs ?? []).map((vpc) => vpc.VpcId as string));
		}
		expect(paged.sort()).toEqual([...created].sort());

		await expectError(ec2.send(new DescribeVpcsCommand({ MaxResults: 3 })), 'InvalidParameterValue');
		await expectError(
			ec2.send(new DescribeVpcsCommand({ MaxResults: 5, VpcIds: [created[0] as string] })),
			'InvalidParameterCombination',
		);
		await expectError(
			ec2.send(new DescribeVpcsCommand({ MaxResults: 5, NextToken: 'garbage!' })),
			'InvalidPaginationToken',
		);
	});
});

describe('subnets', () => {
	test('CreateSubnet, DescribeSubnets, ModifySubnetAttribute', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2, '172.30.0.0/16');
		const created = await ec2.send(
			new CreateSubnetCommand({
				VpcId: vpcId,
				CidrBlock: '172.30.0.0/24',
				AvailabilityZone: 'ap-northeast-1c',
				TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: 'amf' }] }],
			}),
		);
		const subnet = created.Subnet;
		expect(subnet?.SubnetId).toMatch(/^subnet-[0-9a-f]{17}$/);
		expect(subnet?.AvailabilityZone).toBe('ap-northeast-1c');
		expect(subnet?.AvailabilityZoneId).toBe('apne1-az1');
		expect(subnet?.AvailableIpAddressCount).toBe(251);
		expect(subnet?.MapPublicIpOnLaunch).toBe(false);
		expect(subnet?.Tags).toEqual([{ Key: 'Name', Value: 'amf' }]);
		await ec2.send(
			new ModifySubnetAttributeCommand({ SubnetId: subnet?.SubnetId, MapPublicIpOnLaunch: { Value: true } }),
		);
		const described = await ec2.send(
			new DescribeSubnetsCommand({
				Filters: [
					{ Name: 'vpc-id', Values: [vpcId] },
					{ Name: 'map-public-ip-on-launch', Values: ['true'] },
				],
			}),
		);
		expect(described.Subnets?.map((item) => item.SubnetId)).toEqual([subnet?.SubnetId]);
		const byZone = await ec2.send(
			new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['ap-northeast-1a'] }] }),
		);
		expect(byZone.Subnets).toEqual([]);
	});

	test('subnet CIDR rules: inside the VPC, /16–/28, no overlap', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2, '10.0.0.0/16');
		await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/24' }));
		const outside = await expectError(
			ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.1.0.0/24' })),
			'InvalidSubnet.Range',
		);
		expect(outside.message).toBe("The CIDR '10.1.0.0/24' is invalid.");
		await expectError(
			ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.5.0/29' })),
			'InvalidSubnet.Range',
		);
		const overlap = await expectError(
			ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.128/25' })),
			'InvalidSubnet.Conflict',
		);
		expect(overlap.message).toBe("The CIDR '10.0.0.128/25' conflicts with another subnet");
		await expectError(
			ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: 'ten/24' })),
			'InvalidParameterValue',
		);
		await expectError(
			ec2.send(new CreateSubnetCommand({ VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.0.1.0/24' })),
			'InvalidVpcID.NotFound',
		);
		await expectError(
			ec2.send(
				new CreateSubnetCommand({
					VpcId: vpcId,
					CidrBlock: '10.0.1.0/24',
					AvailabilityZone: 'ap-northeast-1b',
				}),
			),
			'InvalidParameterValue',
		);
		await expectError(ec2.send(new CreateSubnetCommand({ VpcId: vpcId })), 'MissingParameter');
	});
});

describe('internet gateways and route tables', () => {
	test('attach, route, associate, replace the main association, and take it all down again', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2, '10.0.0.0/16');
		const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.1.0/24' })))
			.Subnet?.SubnetId as string;
		const gateway = await ec2.send(
			new CreateInternetGatewayCommand({
				TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: [{ Key: 'Name', Value: 'igw' }] }],
			}),
		);
		const igwId = gateway.InternetGateway?.InternetGatewayId as string;
		expect(igwId).toMatch(/^igw-[0-9a-f]{17}$/);
		expect(gateway.InternetGateway?.Attachments).toEqual([]);
		await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
		const attached = await ec2.send(
			new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }),
		);
		expect(attached.InternetGateways?.[0]?.Attachments).toEqual([{ VpcId: vpcId, State: 'available' }]);
		expect(attached.InternetGateways?.[0]?.Tags).toEqual([{ Key: 'Name', Value: 'igw' }]);
		await expectError(
			ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId })),
			'Resource.AlreadyAssociated',
		);

		const table = await ec2.send(
			new CreateRouteTableCommand({
				VpcId: vpcId,
				TagSpecifications: [{ ResourceType: 'route-table', Tags: [{ Key: 'Name', Value: 'public' }] }],
			}),
		);
		const tableId = table.RouteTable?.RouteTableId as string;
		expect(table.RouteTable?.Routes).toEqual([
			{
				DestinationCidrBlock: '10.0.0.0/16',
				GatewayId: 'local',
				State: 'active',
				Origin: 'CreateRouteTable',
			},
		]);
		expect(
			(
				await ec2.send(
					new CreateRouteCommand({
						RouteTableId: tableId,
						DestinationCidrBlock: '0.0.0.0/0',
						GatewayId: igwId,
					}),
				)
			).Return,
		).toBe(true);
		await expectError(
			ec2.send(
				new CreateRouteCommand({
					RouteTableId: tableId,
					DestinationCidrBlock: '0.0.0.0/0',
					GatewayId: igwId,
				}),
			),
			'RouteAlreadyExists',
		);
		await expectError(
			ec2.send(
				new CreateRouteCommand({
					RouteTableId: tableId,
					DestinationCidrBlock: '192.168.0.0/16',
					GatewayId: 'igw-0123456789abcdef0',
				}),
			),
			'InvalidGatewayID.NotFound',
		);
		const association = await ec2.send(
			new AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: subnetId }),
		);
		expect(association.AssociationId).toMatch(/^rtbassoc-[0-9a-f]{17}$/);
		expect(association.AssociationState?.State).toBe('associated');
		await expectError(
			ec2.send(new AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: subnetId })),
			'Resource.AlreadyAssociated',
		);
		const bySubnet = await ec2.send(
			new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
		);
		expect(bySubnet.RouteTables?.map((item) => item.RouteTableId)).toEqual([tableId]);
		expect(bySubnet.RouteTables?.[0]?.Routes?.[1]).toEqual({
			DestinationCidrBlock: '0.0.0.0/0',
			GatewayId: igwId,
			State: 'active',
			Origin: 'CreateRoute',
		});

		// Replacing the main association makes another table the VPC's main route table.
		const mainFilter = [
			{ Name: 'vpc-id', Values: [vpcId] },
			{ Name: 'association.main', Values: ['true'] },
		];
		const originalMain = (await ec2.send(new DescribeRouteTablesCommand({ Filters: mainFilter })))
			.RouteTables?.[0];
		const mainAssociationId = originalMain?.Associations?.find((item) => item.Main)?.RouteTableAssociationId;
		await expectError(
			ec2.send(new DisassociateRouteTableCommand({ AssociationId: mainAssociationId })),
			'InvalidParameterValue',
		);
		const replaced = await ec2.send(
			new ReplaceRouteTableAssociationCommand({ AssociationId: mainAssociationId, RouteTableId: tableId }),
		);
		expect(replaced.NewAssociationId).toMatch(/^rtbassoc-/);
		const newMain = (await ec2.send(new DescribeRouteTablesCommand({ Filters: mainFilter }))).RouteTables;
		expect(newMain?.map((item) => item.RouteTableId)).toEqual([tableId]);
		// Put it back so the original main table is main again.
		await ec2.send(
			new ReplaceRouteTableAssociationCommand({
				AssociationId: replaced.NewAssociationId,
				RouteTableId: originalMain?.RouteTableId,
			}),
		);

		await expectError(
			ec2.send(new DeleteRouteTableCommand({ RouteTableId: tableId })),
			'DependencyViolation',
		);
		await expectError(
			ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igwId })),
			'DependencyViolation',
		);
		await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
		const blackhole = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] }));
		expect(blackhole.RouteTables?.[0]?.Routes?.[1]?.State).toBe('blackhole');
		await expectError(
			ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId })),
			'Gateway.NotAttached',
		);
		await ec2.send(new DisassociateRouteTableCommand({ AssociationId: association.AssociationId }));
		await expectError(
			ec2.send(new DisassociateRouteTableCommand({ AssociationId: association.AssociationId })),
			'InvalidAssociationID.NotFound',
		);
		await ec2.send(new DeleteRouteCommand({ RouteTableId: tableId, DestinationCidrBlock: '0.0.0.0/0' }));
		await expectError(
			ec2.send(new DeleteRouteCommand({ RouteTableId: tableId, DestinationCidrBlock: '0.0.0.0/0' })),
			'InvalidRoute.NotFound',
		);
		await expectError(
			ec2.send(new DeleteRouteCommand({ RouteTableId: tableId, DestinationCidrBlock: '10.0.0.0/16' })),
			'InvalidParameterValue',
		);
		await ec2.send(new DeleteRouteTableCommand({ RouteTableId: tableId }));
		await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igwId }));
		await expectError(
			ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igwId })),
			'InvalidInternetGatewayID.NotFound',
		);
	});

	test('ReplaceRoute points an existing route at another gateway; a missing or local route is refused', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2, '10.0.0.0/16');
		const igwId = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway
			?.InternetGatewayId as string;
		await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
		const vgwId = (await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }))).VpnGateway
			?.VpnGatewayId as string;
		await ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vgwId, VpcId: vpcId }));
		const tableId = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable
			?.RouteTableId as string;
		const route = { RouteTableId: tableId, DestinationCidrBlock: '169.254.0.0/16' };
		await expectError(
			ec2.send(new ReplaceRouteCommand({ ...route, GatewayId: igwId })),
			'InvalidRoute.NotFound',
		);
		await ec2.send(new CreateRouteCommand({ ...route, GatewayId: igwId }));
		await eventually(
			() => ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgwId] })),
			(answer) => expect(answer.VpnGateways?.[0]?.VpcAttachments?.[0]?.State).toBe('attached'),
		);
		await ec2.send(new ReplaceRouteCommand({ ...route, GatewayId: vgwId }));
		const routes = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] })))
			.RouteTables?.[0]?.Routes;
		expect(routes?.find((item) => item.DestinationCidrBlock === '169.254.0.0/16')?.GatewayId).toBe(vgwId);
		await expectError(
			ec2.send(
				new ReplaceRouteCommand({
					RouteTableId: tableId,
					DestinationCidrBlock: '10.0.0.0/16',
					GatewayId: igwId,
				}),
			),
			'InvalidParameterValue',
		);
	});

	test('a route needs the gateway attached to the same VPC', async () => {
		const { ec2 } = await sandbox();
		const vpcA = await createVpc(ec2, '10.0.0.0/16');
		const vpcB = await createVpc(ec2, '10.1.0.0/16');
		const igwId = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway
			?.InternetGatewayId as string;
		await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcB }));
		const tableId = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcA }))).RouteTable?.RouteTableId;
		await expectError(
			ec2.send(
				new CreateRouteCommand({
					RouteTableId: tableId,
					DestinationCidrBlock: '0.0.0.0/0',
					GatewayId: igwId,
				}),
			),
			'InvalidParameterValue',
		);
		const other = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId;
		await expectError(
			ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: other, VpcId: vpcB })),
			'Resource.AlreadyAssociated',
		);
	});
});

describe('security groups', () => {
	test('create, authorize many permissions at once, describe, revoke', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2, '172.30.0.0/16');
		const created = await ec2.send(
			new CreateSecurityGroupCommand({
				GroupName: 'Permitted-IP-Hosts',
				Description: 'AMF Cloud access',
				VpcId: vpcId,
				TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: 'amf' }] }],
			}),
		);
		const groupId = created.GroupId as string;
		expect(groupId).toMatch(/^sg-[0-9a-f]{17}$/);
		expect(created.Tags).toEqual([{ Key: 'Name', Value: 'amf' }]);
		const defaultGroupId = (
			await ec2.send(
				new DescribeSecurityGroupsCommand({
					Filters: [
						{ Name: 'vpc-id', Values: [vpcId] },
						{ Name: 'group-name', Values: ['default'] },
					],
				}),
			)
		).SecurityGroups?.[0]?.GroupId;
		const authorized = await ec2.send(
			new AuthorizeSecurityGroupIngressCommand({
				GroupId: groupId,
				IpPermissions: [
					{
						IpProtocol: 'tcp',
						FromPort: 22,
						ToPort: 22,
						IpRanges: [{ CidrIp: '203.0.113.7/32', Description: 'admin' }],
					},
					{ IpProtocol: 'udp', FromPort: 500, ToPort: 500, IpRanges: [{ CidrIp: '198.51.100.10/32' }] },
					{ IpProtocol: 'udp', FromPort: 4500, ToPort: 4500, IpRanges: [{ CidrIp: '198.51.100.10/32' }] },
					{
						IpProtocol: '-1',
						IpRanges: [{ CidrIp: '192.168.1.0/24' }],
						UserIdGroupPairs: [{ GroupId: defaultGroupId }],
					},
				],
			}),
		);
		expect(authorized.Return).toBe(true);
		expect(authorized.SecurityGroupRules).toHaveLength(5);
		expect(authorized.SecurityGroupRules?.[0]).toMatchObject({
			GroupId: groupId,
			IsEgress: false,
			IpProtocol: 'tcp',
			FromPort: 22,
			ToPort: 22,
			CidrIpv4: '203.0.113.7/32',
			Description: 'admin',
		});
		expect(authorized.SecurityGroupRules?.[0]?.SecurityGroupRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);

		const described = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })))
			.SecurityGroups?.[0];
		expect(described?.GroupName).toBe('Permitted-IP-Hosts');
		expect(described?.Description).toBe('AMF Cloud access');
		expect(described?.VpcId).toBe(vpcId);
		expect(described?.IpPermissions).toEqual([
			{
				IpProtocol: 'tcp',
				FromPort: 22,
				ToPort: 22,
				IpRanges: [{ CidrIp: '203.0.113.7/32', Description: 'admin' }],
				UserIdGroupPairs: [],
				Ipv6Ranges: [],
				PrefixListIds: [],
			},
			{
				IpProtocol: 'udp',
				FromPort: 500,
				ToPort: 500,
				IpRanges: [{ CidrIp: '198.51.100.10/32' }],
				UserIdGroupPairs: [],
				Ipv6Ranges: [],
				PrefixListIds: [],
			},
			{
				IpProtocol: 'udp',
				FromPort: 4500,
				ToPort: 4500,
				IpRanges: [{ CidrIp: '198.51.100.10/32' }],
				UserIdGroupPairs: [],
				Ipv6Ranges: [],
				PrefixListIds: [],
			},
			{
				IpProtocol: '-1',
				IpRanges: [{ CidrIp: '192.168.1.0/24' }],
				UserIdGroupPairs: [{ GroupId: defaultGroupId, UserId: '123456789012' }],
				Ipv6Ranges: [],
				PrefixListIds: [],
			},
		]);
		expect(described?.IpPermissionsEgress?.[0]?.IpRanges).toEqual([{ CidrIp: '0.0.0.0/0' }]);

		const duplicate = await expectError(
			ec2.send(
				new AuthorizeSecurityGroupIngressCommand({
					GroupId: groupId,
					IpPermissions: [
						{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.7/32' }] },
					],
				}),
			),
			'InvalidPermission.Duplicate',
		);
		expect(duplicate.message).toContain('203.0.113.7/32');
		await expectError(
			ec2.send(
				new AuthorizeSecurityGroupIngressCommand({
					GroupId: groupId,
					IpPermissions: [
						{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.7/33' }] },
					],
				}),
			),
			'InvalidParameterValue',
		);
		await expectError(
			ec2.send(
				new AuthorizeSecurityGroupIngressCommand({
					GroupId: groupId,
					IpPermissions: [{ IpProtocol: 'tcp', IpRanges: [{ CidrIp: '203.0.113.8/32' }] }],
				}),
			),
			'InvalidParameterValue',
		);

		const filtered = await ec2.send(
			new DescribeSecurityGroupsCommand({
				Filters: [
					{ Name: 'ip-permission.from-port', Values: ['4500'] },
					{ Name: 'tag:Name', Values: ['amf'] },
				],
			}),
		);
		expect(filtered.SecurityGroups?.map((group) => group.GroupId)).toEqual([groupId]);

		const revoked = await ec2.send(
			new RevokeSecurityGroupIngressCommand({
				GroupId: groupId,
				IpPermissions: [
					{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.7/32' }] },
				],
			}),
		);
		expect(revoked.Return).toBe(true);
		const after = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })))
			.SecurityGroups?.[0];
		expect(after?.IpPermissions?.map((permission) => permission.FromPort)).toEqual([500, 4500, undefined]);
		await expectError(
			ec2.send(
				new RevokeSecurityGroupIngressCommand({
					GroupId: groupId,
					IpPermissions: [
						{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.7/32' }] },
					],
				}),
			),
			'InvalidPermission.NotFound',
		);
	});

	test('names are unique per VPC; `default` cannot be created or deleted', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2);
		await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: vpcId }));
		const duplicate = await expectError(
			ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: vpcId })),
			'InvalidGroup.Duplicate',
		);
		expect(duplicate.message).toBe(`The security group 'web' already exists for VPC '${vpcId}'`);
		const otherVpc = await createVpc(ec2, '10.1.0.0/16');
		await expect(
			ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: otherVpc })),
		).resolves.toBeDefined();
		await expectError(
			ec2.send(new CreateSecurityGroupCommand({ GroupName: 'default', Description: 'x', VpcId: vpcId })),
			'InvalidGroup.Reserved',
		);
		await expectError(
			ec2.send(
				// Description is required: leave it out on purpose.
				new CreateSecurityGroupCommand({
					GroupName: 'x',
					VpcId: vpcId,
					Description: undefined as unknown as string,
				}),
			),
			'MissingParameter',
		);
		await expectError(
			ec2.send(
				new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x', VpcId: 'vpc-0123456789abcdef0' }),
			),
			'InvalidVpcID.NotFound',
		);
		const defaultGroupId = (
			await ec2.send(
				new DescribeSecurityGroupsCommand({
					Filters: [
						{ Name: 'vpc-id', Values: [vpcId] },
						{ Name: 'group-name', Values: ['default'] },
					],
				}),
			)
		).SecurityGroups?.[0]?.GroupId;
		await expectError(ec2.send(new DeleteSecurityGroupCommand({ GroupId: defaultGroupId })), 'CannotDelete');
		await expectError(
			ec2.send(new DeleteSecurityGroupCommand({ GroupId: 'sg-0123456789abcdef0' })),
			'InvalidGroup.NotFound',
		);
	});

	test('egress rules: authorize one, revoke the default allow-all', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2);
		const groupId = (
			await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'out', Description: 'out', VpcId: vpcId }))
		).GroupId;
		await ec2.send(
			new AuthorizeSecurityGroupEgressCommand({
				GroupId: groupId,
				IpPermissions: [
					{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
				],
			}),
		);
		await ec2.send(
			new RevokeSecurityGroupEgressCommand({
				GroupId: groupId,
				IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
			}),
		);
		const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId as string] })))
			.SecurityGroups?.[0];
		expect(
			group?.IpPermissionsEgress?.map((permission) => [permission.IpProtocol, permission.FromPort]),
		).toEqual([['tcp', 443]]);
		expect(group?.IpPermissions).toEqual([]);
	});

	test('a group referenced by another group cannot be deleted', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2);
		const a = (
			await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'a', Description: 'a', VpcId: vpcId }))
		).GroupId;
		const b = (
			await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'b', Description: 'b', VpcId: vpcId }))
		).GroupId;
		await ec2.send(
			new AuthorizeSecurityGroupIngressCommand({
				GroupId: b,
				IpPermissions: [
					{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: a }] },
				],
			}),
		);
		await expectError(ec2.send(new DeleteSecurityGroupCommand({ GroupId: a })), 'DependencyViolation');
		await ec2.send(new DeleteSecurityGroupCommand({ GroupId: b }));
		await ec2.send(new DeleteSecurityGroupCommand({ GroupId: a }));
	});
});

describe('dependency order', () => {
	test('DeleteVpc is refused while subnets, gateways, route tables or groups remain; in order it works', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2);
		const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/24' })))
			.Subnet?.SubnetId;
		const igwId = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway?.InternetGatewayId;
		await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
		const tableId = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable?.RouteTableId;
		const groupId = (
			await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'g', Description: 'g', VpcId: vpcId }))
		).GroupId;
		const mainTableId = (
			await ec2.send(
				new DescribeRouteTablesCommand({
					Filters: [
						{ Name: 'vpc-id', Values: [vpcId] },
						{ Name: 'association.main', Values: ['true'] },
					],
				}),
			)
		).RouteTables?.[0]?.RouteTableId;

		const refused = async () => {
			const error = await expectError(
				ec2.send(new DeleteVpcCommand({ VpcId: vpcId })),
				'DependencyViolation',
			);
			expect(error.message).toBe(`The vpc '${vpcId}' has dependencies and cannot be deleted.`);
		};
		await refused();
		await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }));
		await refused();
		await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
		await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igwId }));
		await refused();
		await expectError(
			ec2.send(new DeleteRouteTableCommand({ RouteTableId: mainTableId })),
			'DependencyViolation',
		);
		await ec2.send(new DeleteRouteTableCommand({ RouteTableId: tableId }));
		await refused();
		await ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
		expect((await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }))).$metadata.httpStatusCode).toBe(200);

		// The main route table and the default group went with the VPC.
		await expectError(
			ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [mainTableId as string] })),
			'InvalidRouteTableID.NotFound',
		);
		expect((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups).toEqual([]);
		await expectError(ec2.send(new DeleteVpcCommand({ VpcId: vpcId })), 'InvalidVpcID.NotFound');
	});
});

describe('tags', () => {
	test('CreateTags, DeleteTags, DescribeTags with filters and pagination', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await createVpc(ec2, '10.0.0.0/16', 'net');
		const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/24' })))
			.Subnet?.SubnetId as string;
		await ec2.send(
			new CreateTagsCommand({
				Resources: [vpcId, subnetId],
				Tags: [
					{ Key: 'kakehashi:stack', Value: 'amf-cloud' },
					{ Key: 'Owner', Value: 'ops' },
				],
			}),
		);
		const all = await ec2.send(new DescribeTagsCommand({}));
		expect(all.Tags).toHaveLength(5);
		const vpcTags = await ec2.send(
			new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['vpc'] }] }),
		);
		expect(vpcTags.Tags?.map((tag) => [tag.ResourceId, tag.ResourceType, tag.Key, tag.Value])).toEqual([
			[vpcId, 'vpc', 'Name', 'net'],
			[vpcId, 'vpc', 'Owner', 'ops'],
			[vpcId, 'vpc', 'kakehashi:stack', 'amf-cloud'],
		]);
		const page = await ec2.send(
			new DescribeTagsCommand({ MaxResults: 5, Filters: [{ Name: 'key', Values: ['*'] }] }),
		);
		expect(page.Tags).toHaveLength(5);
		expect(page.NextToken).toBeUndefined();
		const small = await ec2.send(
			new DescribeTagsCommand({ MaxResults: 5, Filters: [{ Name: 'key', Values: ['O*', 'k*'] }] }),
		);
		expect(small.Tags).toHaveLength(4);

		const stack = await ec2.send(
			new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:kakehashi:stack', Values: ['amf-cloud'] }] }),
		);
		expect(stack.Subnets?.map((subnet) => subnet.SubnetId)).toEqual([subnetId]);

		await ec2.send(
			new DeleteTagsCommand({ Resources: [subnetId], Tags: [{ Key: 'Owner', Value: 'someone-else' }] }),
		);
		expect(
			(await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [subnetId] }] })))
				.Tags,
		).toHaveLength(2);
		await ec2.send(new DeleteTagsCommand({ Resources: [subnetId], Tags: [{ Key: 'Owner' }] }));
		expect(
			(await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [subnetId] }] })))
				.Tags,
		).toEqual([{ ResourceId: subnetId, ResourceType: 'subnet', Key: 'kakehashi:stack', Value: 'amf-cloud' }]);
		await ec2.send(new DeleteTagsCommand({ Resources: [subnetId] }));
		expect(
			(await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [subnetId] }] })))
				.Tags,
		).toEqual([]);

		await expectError(
			ec2.send(
				new CreateTagsCommand({ Resources: ['vpc-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
			),
			'InvalidVpcID.NotFound',
		);
		await expectError(
			ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'aws:reserved', Value: 'b' }] })),
			'InvalidParameterValue',
		);
		await expectError(
			ec2.send(
				new CreateVpcCommand({
					CidrBlock: '10.9.0.0/16',
					TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'a', Value: 'b' }] }],
				}),
			),
			'InvalidParameterValue',
		);
		await expectError(
			ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] })),
			'InvalidParameterValue',
		);
	});
});
