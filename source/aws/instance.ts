import { createHash } from 'node:crypto';
import {
	DescribeImagesCommand,
	DescribeInstancesCommand,
	type EC2Client,
	GetConsoleOutputCommand,
	type Image,
	type Instance,
	RunInstancesCommand,
	StartInstancesCommand,
	TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { isNotFound } from './errors.js';
import { single, stackFilters, type Tagging, tagSpecifications } from './stack-tags.js';
import { type CallOptions, pollUntil, type WaitOptions } from './wait.js';

/** States of an instance that still exists for our purposes (terminated ones linger in Describe for an hour). */
export const liveInstanceStates = ['pending', 'running', 'stopping', 'stopped'];

export function isLiveInstance(instance: Instance | undefined): instance is Instance {
	return liveInstanceStates.includes(instance?.State?.Name ?? 'terminated');
}

export async function findInstanceById(
	ec2: EC2Client,
	instanceId: string,
	options: CallOptions = {},
): Promise<Instance | undefined> {
	try {
		const output = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), {
			abortSignal: options.signal,
		});
		return output.Reservations?.[0]?.Instances?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

/** The stack's instance that is not terminated (nor shutting down). */
export async function findInstanceByStackTag(
	ec2: EC2Client,
	stack: string,
	options: CallOptions & { role?: string } = {},
): Promise<Instance | undefined> {
	const instances: Instance[] = [];
	let nextToken: string | undefined;
	do {
		const output = await ec2.send(
			new DescribeInstancesCommand({
				Filters: [
					...stackFilters(stack, options.role),
					{ Name: 'instance-state-name', Values: liveInstanceStates },
				],
				...(nextToken ? { NextToken: nextToken } : {}),
			}),
			{ abortSignal: options.signal },
		);
		for (const reservation of output.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
		nextToken = output.NextToken;
	} while (nextToken);
	return single('instance', stack, instances.filter(isLiveInstance), (instance) => instance.InstanceId);
}

/** The newest available image of this account whose name starts with `prefix` ("マイAMI": `vaa-5.4.9`, …). */
export async function findNewestOwnImage(
	ec2: EC2Client,
	prefix = 'vaa',
	options: CallOptions = {},
): Promise<Image | undefined> {
	const output = await ec2.send(
		new DescribeImagesCommand({
			Owners: ['self'],
			Filters: [
				{ Name: 'name', Values: [`${prefix}*`] },
				{ Name: 'state', Values: ['available'] },
			],
		}),
		{ abortSignal: options.signal },
	);
	const images = (output.Images ?? []).filter((image) => image.Name?.startsWith(prefix) && image.ImageId);
	images.sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''));
	return images[0];
}

/**
 * A RunInstances idempotency token (≤ 64 ASCII characters) that depends only on its parts, so a
 * run killed after sending RunInstances sends the same token again and gets the same instance back.
 */
export function deriveClientToken(...parts: string[]): string {
	return `kakehashi-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40)}`;
}

export type RunInstanceInput = Tagging & {
	imageId: string;
	instanceType: string;
	subnetId: string;
	securityGroupIds: string[];
	keyName: string;
	clientToken: string;
};

export async function runInstance(
	ec2: EC2Client,
	input: RunInstanceInput,
	options: CallOptions = {},
): Promise<Instance> {
	const output = await ec2.send(
		new RunInstancesCommand({
			ImageId: input.imageId,
			InstanceType: input.instanceType as never,
			MinCount: 1,
			MaxCount: 1,
			KeyName: input.keyName,
			SubnetId: input.subnetId,
			SecurityGroupIds: input.securityGroupIds,
			ClientToken: input.clientToken,
			TagSpecifications: tagSpecifications('instance', input),
		}),
		{ abortSignal: options.signal },
	);
	const instance = output.Instances?.[0];
	if (!instance?.InstanceId) throw new Error('RunInstances returned no instance');
	return instance;
}

export async function startInstance(
	ec2: EC2Client,
	instanceId: string,
	options: CallOptions = {},
): Promise<void> {
	await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: options.signal });
}

/** TerminateInstances; an instance already gone counts as terminated. */
export async function terminateInstance(
	ec2: EC2Client,
	instanceId: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }), {
			abortSignal: options.signal,
		});
	} catch (error) {
		if (isNotFound(error)) return;
		throw error;
	}
}

export function instanceAddresses(instance: Instance): { publicIp?: string; privateIp?: string } {
	return {
		...(instance.PublicIpAddress ? { publicIp: instance.PublicIpAddress } : {}),
		...(instance.PrivateIpAddress ? { privateIp: instance.PrivateIpAddress } : {}),
	};
}

export class InstanceStoppedWaitingError extends Error {
	constructor(
		readonly instanceId: string,
		readonly state: string,
		readonly reason: string | undefined,
	) {
		super(
			`Instance ${instanceId} went to ${state} instead of running${reason ? ` (${reason})` : ''}. ` +
				'Check the AMI and instance type, then run again.',
		);
		this.name = 'InstanceStoppedWaitingError';
	}
}

export async function waitForInstanceRunning(
	ec2: EC2Client,
	instanceId: string,
	options: WaitOptions = {},
): Promise<Instance> {
	const instance = (await pollUntil(
		`instance ${instanceId} to be running`,
		async () => {
			const found = await findInstanceById(ec2, instanceId, options);
			return { state: found?.State?.Name, value: found };
		},
		(state) => state === 'running' || state === 'terminated' || state === 'shutting-down',
		{ defaultTimeoutMs: 600_000, ...options },
	)) as Instance;
	const state = instance.State?.Name ?? 'unknown';
	if (state !== 'running')
		throw new InstanceStoppedWaitingError(instanceId, state, instance.StateReason?.Message);
	return instance;
}

export function waitForInstanceTerminated(
	ec2: EC2Client,
	instanceId: string,
	options: WaitOptions = {},
): Promise<void> {
	return pollUntil(
		`instance ${instanceId} to be terminated`,
		async () => {
			const found = await findInstanceById(ec2, instanceId, options);
			return { state: found ? found.State?.Name : 'terminated', value: undefined };
		},
		(state) => state === 'terminated',
		{ defaultTimeoutMs: 600_000, ...options },
	);
}

/**
 * The appliance's read-only system log (GetConsoleOutput), decoded. AWS refreshes it on its own
 * timer, so it is often empty for the first minutes: undefined then.
 */
export async function getConsoleOutputText(
	ec2: EC2Client,
	instanceId: string,
	options: CallOptions = {},
): Promise<string | undefined> {
	const output = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId }), {
		abortSignal: options.signal,
	});
	if (!output.Output) return undefined;
	const text = Buffer.from(output.Output, 'base64').toString('utf8');
	return text.length > 0 ? text : undefined;
}
