import {
	CreateVpcCommand,
	DeleteVpcCommand,
	DescribeVpcAttributeCommand,
	DescribeVpcsCommand,
	type EC2Client,
	ModifyVpcAttributeCommand,
	type Vpc,
} from '@aws-sdk/client-ec2';
import { isNotFound } from './errors.js';
import { single, stackFilters, type Tagging, tagSpecifications } from './stack-tags.js';
import { type CallOptions, pollUntil, type WaitOptions } from './wait.js';

export async function findVpcById(
	ec2: EC2Client,
	vpcId: string,
	options: CallOptions = {},
): Promise<Vpc | undefined> {
	try {
		const output = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }), {
			abortSignal: options.signal,
		});
		return output.Vpcs?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

export async function findVpcByStackTag(
	ec2: EC2Client,
	stack: string,
	options: CallOptions & { role?: string } = {},
): Promise<Vpc | undefined> {
	const output = await ec2.send(new DescribeVpcsCommand({ Filters: stackFilters(stack, options.role) }), {
		abortSignal: options.signal,
	});
	return single('vpc', stack, output.Vpcs ?? [], (vpc) => vpc.VpcId);
}

export type CreateVpcInput = Tagging & { cidr: string };

/** CreateVpc, tagged at birth. DNS hostnames are a separate call: see enableVpcDnsHostnames. */
export async function createVpc(
	ec2: EC2Client,
	input: CreateVpcInput,
	options: CallOptions = {},
): Promise<Vpc> {
	const output = await ec2.send(
		new CreateVpcCommand({ CidrBlock: input.cidr, TagSpecifications: tagSpecifications('vpc', input) }),
		{ abortSignal: options.signal },
	);
	if (!output.Vpc?.VpcId) throw new Error('CreateVpc returned no VPC id');
	return output.Vpc;
}

/** The appliance is reached by name as well as by address: DNS hostnames on (idempotent). */
export async function enableVpcDnsHostnames(
	ec2: EC2Client,
	vpcId: string,
	options: CallOptions = {},
): Promise<void> {
	const current = await ec2.send(
		new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' }),
		{
			abortSignal: options.signal,
		},
	);
	if (current.EnableDnsHostnames?.Value === true) return;
	await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }), {
		abortSignal: options.signal,
	});
}

/** DeleteVpc; a VPC already gone counts as deleted. DependencyViolation is the caller's to retry. */
export async function deleteVpc(ec2: EC2Client, vpcId: string, options: CallOptions = {}): Promise<void> {
	try {
		await ec2.send(new DeleteVpcCommand({ VpcId: vpcId }), { abortSignal: options.signal });
	} catch (error) {
		if (isNotFound(error)) return;
		throw error;
	}
}

export function waitForVpcAvailable(ec2: EC2Client, vpcId: string, options: WaitOptions = {}): Promise<Vpc> {
	return pollUntil(
		`VPC ${vpcId} to become available`,
		async () => {
			const vpc = await findVpcById(ec2, vpcId, options);
			return { state: vpc?.State, value: vpc };
		},
		(state) => state === 'available',
		{ defaultTimeoutMs: 120_000, ...options },
	) as Promise<Vpc>;
}
