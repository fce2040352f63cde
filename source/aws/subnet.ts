import {
	CreateSubnetCommand,
	DeleteSubnetCommand,
	DescribeSubnetsCommand,
	type EC2Client,
	ModifySubnetAttributeCommand,
	type Subnet,
} from '@aws-sdk/client-ec2';
import { isNotFound } from './errors.js';
import { single, stackFilters, type Tagging, tagSpecifications } from './stack-tags.js';
import { type CallOptions, pollUntil, type WaitOptions } from './wait.js';

export async function findSubnetById(
	ec2: EC2Client,
	subnetId: string,
	options: CallOptions = {},
): Promise<Subnet | undefined> {
	try {
		const output = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }), {
			abortSignal: options.signal,
		});
		return output.Subnets?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

export async function findSubnetByStackTag(
	ec2: EC2Client,
	stack: string,
	options: CallOptions & { role?: string } = {},
): Promise<Subnet | undefined> {
	const output = await ec2.send(new DescribeSubnetsCommand({ Filters: stackFilters(stack, options.role) }), {
		abortSignal: options.signal,
	});
	return single('subnet', stack, output.Subnets ?? [], (subnet) => subnet.SubnetId);
}

export type CreateSubnetInput = Tagging & { vpcId: string; cidr: string; availabilityZone?: string };

export async function createSubnet(
	ec2: EC2Client,
	input: CreateSubnetInput,
	options: CallOptions = {},
): Promise<Subnet> {
	const output = await ec2.send(
		new CreateSubnetCommand({
			VpcId: input.vpcId,
			CidrBlock: input.cidr,
			...(input.availabilityZone ? { AvailabilityZone: input.availabilityZone } : {}),
			TagSpecifications: tagSpecifications('subnet', input),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.Subnet?.SubnetId) throw new Error('CreateSubnet returned no subnet id');
	return output.Subnet;
}

/** "自動割り当てパブリックIP: 有効化": the appliance gets a public address at launch (idempotent). */
export async function enableSubnetPublicIp(
	ec2: EC2Client,
	subnet: Subnet,
	options: CallOptions = {},
): Promise<void> {
	if (subnet.MapPublicIpOnLaunch === true) return;
	await ec2.send(
		new ModifySubnetAttributeCommand({ SubnetId: subnet.SubnetId, MapPublicIpOnLaunch: { Value: true } }),
		{ abortSignal: options.signal },
	);
}

export async function deleteSubnet(
	ec2: EC2Client,
	subnetId: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }), { abortSignal: options.signal });
	} catch (error) {
		if (isNotFound(error)) return;
		throw error;
	}
}

export function waitForSubnetAvailable(
	ec2: EC2Client,
	subnetId: string,
	options: WaitOptions = {},
): Promise<Subnet> {
	return pollUntil(
		`subnet ${subnetId} to become available`,
		async () => {
			const subnet = await findSubnetById(ec2, subnetId, options);
			return { state: subnet?.State, value: subnet };
		},
		(state) => state === 'available',
		{ defaultTimeoutMs: 120_000, ...options },
	) as Promise<Subnet>;
}
