import {
	AttachInternetGatewayCommand,
	CreateInternetGatewayCommand,
	DeleteInternetGatewayCommand,
	DescribeInternetGatewaysCommand,
	DetachInternetGatewayCommand,
	type EC2Client,
	type InternetGateway,
} from '@aws-sdk/client-ec2';
import { hasCode, isNotFound } from './errors.js';
import { single, stackFilters, type Tagging, tagSpecifications } from './stack-tags.js';
import { type CallOptions, pollUntil, type WaitOptions } from './wait.js';

export async function findInternetGatewayById(
	ec2: EC2Client,
	internetGatewayId: string,
	options: CallOptions = {},
): Promise<InternetGateway | undefined> {
	try {
		const output = await ec2.send(
			new DescribeInternetGatewaysCommand({ InternetGatewayIds: [internetGatewayId] }),
			{
				abortSignal: options.signal,
			},
		);
		return output.InternetGateways?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

export async function findInternetGatewayByStackTag(
	ec2: EC2Client,
	stack: string,
	options: CallOptions & { role?: string } = {},
): Promise<InternetGateway | undefined> {
	const output = await ec2.send(
		new DescribeInternetGatewaysCommand({ Filters: stackFilters(stack, options.role) }),
		{
			abortSignal: options.signal,
		},
	);
	return single('internet-gateway', stack, output.InternetGateways ?? [], (igw) => igw.InternetGatewayId);
}

/** The VPC the gateway is attached to (or attaching to), if any. */
export function attachedVpcId(gateway: InternetGateway): string | undefined {
	return gateway.Attachments?.find(
		(attachment) => attachment.State !== 'detached' && attachment.State !== 'detaching',
	)?.VpcId;
}

function isAttachedTo(gateway: InternetGateway | undefined, vpcId: string): boolean {
	// The API documents `attached`; real EC2 reports `available` for an internet gateway's attachment.
	return (
		gateway?.Attachments?.some(
			(attachment) =>
				attachment.VpcId === vpcId && ['attached', 'available'].includes(String(attachment.State)),
		) ?? false
	);
}

export async function createInternetGateway(
	ec2: EC2Client,
	input: Tagging,
	options: CallOptions = {},
): Promise<InternetGateway> {
	const output = await ec2.send(
		new CreateInternetGatewayCommand({ TagSpecifications: tagSpecifications('internet-gateway', input) }),
		{ abortSignal: options.signal },
	);
	if (!output.InternetGateway?.InternetGatewayId) throw new Error('CreateInternetGateway returned no id');
	return output.InternetGateway;
}

/** Attach to the VPC; already attached there counts as done. */
export async function attachInternetGateway(
	ec2: EC2Client,
	internetGatewayId: string,
	vpcId: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: internetGatewayId, VpcId: vpcId }), {
			abortSignal: options.signal,
		});
	} catch (error) {
		if (hasCode(error, 'Resource.AlreadyAssociated')) {
			const gateway = await findInternetGatewayById(ec2, internetGatewayId, options);
			if (gateway && attachedVpcId(gateway) === vpcId) return;
		}
		throw error;
	}
}

/** Detach from the VPC; not attached (or gone) counts as done. DependencyViolation is the caller's to retry. */
export async function detachInternetGateway(
	ec2: EC2Client,
	internetGatewayId: string,
	vpcId: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: internetGatewayId, VpcId: vpcId }), {
			abortSignal: options.signal,
		});
	} catch (error) {
		if (isNotFound(error) || hasCode(error, 'Gateway.NotAttached')) return;
		throw error;
	}
}

/** Detach from every VPC, then delete; a gateway already gone counts as deleted. */
export async function deleteInternetGateway(
	ec2: EC2Client,
	internetGatewayId: string,
	options: CallOptions = {},
): Promise<void> {
	const gateway = await findInternetGatewayById(ec2, internetGatewayId, options);
	if (!gateway) return;
	for (const attachment of gateway.Attachments ?? []) {
		if (attachment.VpcId && attachment.State !== 'detached') {
			await detachInternetGateway(ec2, internetGatewayId, attachment.VpcId, options);
		}
	}
	try {
		await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: internetGatewayId }), {
			abortSignal: options.signal,
		});
	} catch (error) {
		if (isNotFound(error)) return;
		throw error;
	}
}

export function waitForInternetGatewayAttached(
	ec2: EC2Client,
	internetGatewayId: string,
	vpcId: string,
	options: WaitOptions = {},
): Promise<InternetGateway> {
	return pollUntil(
		`internet gateway ${internetGatewayId} to attach to ${vpcId}`,
		async () => {
			const gateway = await findInternetGatewayById(ec2, internetGatewayId, options);
			const attachment = gateway?.Attachments?.find((item) => item.VpcId === vpcId);
			return { state: attachment?.State ?? (gateway ? 'detached' : undefined), value: gateway };
		},
		(_state, gateway) => isAttachedTo(gateway, vpcId),
		{ defaultTimeoutMs: 120_000, ...options },
	) as Promise<InternetGateway>;
}
