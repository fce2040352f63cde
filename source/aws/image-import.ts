import {
	CreateTagsCommand,
	DeleteSnapshotCommand,
	DeregisterImageCommand,
	DescribeImagesCommand,
	DescribeImportSnapshotTasksCommand,
	DescribeSnapshotsCommand,
	type EC2Client,
	type Image,
	ImportSnapshotCommand,
	RegisterImageCommand,
	type Snapshot,
	type SnapshotTaskDetail,
} from '@aws-sdk/client-ec2';
import { errorCodeOf, hasCode, isNotFound } from './errors.js';
import { stackTags, type Tagging, tagSpecifications } from './stack-tags.js';
import { type CallOptions, pollUntil, type WaitOptions } from './wait.js';

/**
 * The EC2 half of AMI import (install guide section 1): ImportSnapshot from the uploaded VHD,
 * DescribeImportSnapshotTasks until the snapshot exists, RegisterImage from it, and the waits between.
 */

export const ROOT_DEVICE = '/dev/xvda';

export type ImportSnapshotInput = Tagging & {
	bucket: string;
	key: string;
	role: string;
	/** Same token, same task: a run killed after sending ImportSnapshot gets its task back. */
	clientToken: string;
};

export async function importSnapshot(
	ec2: EC2Client,
	input: ImportSnapshotInput,
	options: CallOptions = {},
): Promise<string> {
	const output = await ec2.send(
		new ImportSnapshotCommand({
			Description: input.name,
			DiskContainer: {
				Description: input.name,
				Format: 'VHD',
				UserBucket: { S3Bucket: input.bucket, S3Key: input.key },
			},
			RoleName: input.role,
			ClientToken: input.clientToken,
			TagSpecifications: tagSpecifications('import-snapshot-task', input),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.ImportTaskId) throw new Error('ImportSnapshot returned no ImportTaskId');
	return output.ImportTaskId;
}

/**
 * Right after CreateRole, IAM may not have propagated the role to VM Import for a few seconds; AWS
 * then answers ImportSnapshot with an InvalidParameter naming the service role.
 */
export function isRoleNotReady(error: unknown): boolean {
	return (
		hasCode(error, 'InvalidParameter', 'InvalidParameterValue') &&
		/role/i.test((error as { message?: string }).message ?? '')
	);
}

/** The task's detail; undefined when AWS no longer knows the task (tasks are listed for 7 days). */
export async function describeImportSnapshotTask(
	ec2: EC2Client,
	importTaskId: string,
	options: CallOptions = {},
): Promise<SnapshotTaskDetail | undefined> {
	try {
		const output = await ec2.send(new DescribeImportSnapshotTasksCommand({ ImportTaskIds: [importTaskId] }), {
			abortSignal: options.signal,
		});
		return output.ImportSnapshotTasks?.[0]?.SnapshotTaskDetail;
	} catch (error) {
		if (isNotFound(error) || errorCodeOf(error) === 'InvalidConversionTaskId.Malformed') return undefined;
		throw error;
	}
}

/** How an import task stands, in kakehashi's terms. AWS ends a failed task as `deleted` with its reason in StatusMessage. */
export type ImportTaskState = 'active' | 'completed' | 'failed';

export function importTaskState(detail: SnapshotTaskDetail | undefined): ImportTaskState {
	const status = detail?.Status?.toLowerCase();
	if (status === 'completed' && detail?.SnapshotId) return 'completed';
	if (status === 'deleted' || status === 'deleting' || status === 'error' || status === 'failed')
		return 'failed';
	return 'active';
}

/** The import task ended without a snapshot: AWS's status message, and the hint the catalogs give for it. */
export class ImportTaskFailedError extends Error {
	constructor(
		readonly importTaskId: string,
		readonly statusMessage: string,
		readonly hint: ImportFailureHint,
	) {
		super(`ImportSnapshot task ${importTaskId} failed: ${statusMessage || 'no reason given'}`);
		this.name = 'ImportTaskFailedError';
	}
}

export type ImportFailureHint = 'disk' | 'role' | 's3' | 'other';

/** Which advice fits AWS's failure message (VM Import's messages name the failing check). */
export function importFailureHint(statusMessage: string): ImportFailureHint {
	if (
		/disk validation|unsupported (vhd|disk|format)|invalid (vhd|disk)|footer|not a valid/i.test(statusMessage)
	)
		return 'disk';
	if (/role|vmimport|assume|permission|access denied/i.test(statusMessage)) return 'role';
	if (/s3|bucket|key|object|download/i.test(statusMessage)) return 's3';
	return 'other';
}

/** Poll the task until it has a snapshot; `onChange` sees each new (progress, status message) pair. */
export async function waitForImportSnapshot(
	ec2: EC2Client,
	importTaskId: string,
	options: WaitOptions & { onChange?: (detail: SnapshotTaskDetail) => void } = {},
): Promise<SnapshotTaskDetail> {
	let last = '';
	const detail = await pollUntil(
		`import task ${importTaskId}`,
		async () => {
			const found = await describeImportSnapshotTask(ec2, importTaskId, options);
			if (!found)
				throw new ImportTaskFailedError(importTaskId, 'AWS no longer knows this import task', 'other');
			const seen = `${found.Status}|${found.Progress ?? ''}|${found.StatusMessage ?? ''}`;
			if (seen !== last) {
				last = seen;
				options.onChange?.(found);
			}
			return { state: found.Status, value: found };
		},
		(_state, value) => importTaskState(value) !== 'active',
		// Real imports of a few hundred MB take 10–40 minutes.
		{ ...options, defaultTimeoutMs: 2 * 60 * 60 * 1000, intervalMs: options.intervalMs ?? 5000 },
	);
	if (importTaskState(detail) === 'failed') {
		const message = detail.StatusMessage ?? detail.Status ?? '';
		throw new ImportTaskFailedError(importTaskId, message, importFailureHint(message));
	}
	return detail;
}

export async function findSnapshotById(
	ec2: EC2Client,
	snapshotId: string,
	options: CallOptions = {},
): Promise<Snapshot | undefined> {
	try {
		const output = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }), {
			abortSignal: options.signal,
		});
		return output.Snapshots?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

/** ImportSnapshot cannot tag the snapshot it makes: tag it once it exists. */
export async function tagSnapshot(
	ec2: EC2Client,
	snapshotId: string,
	tagging: Tagging,
	options: CallOptions = {},
): Promise<void> {
	await ec2.send(new CreateTagsCommand({ Resources: [snapshotId], Tags: stackTags(tagging) }), {
		abortSignal: options.signal,
	});
}

export type RegisterImageInput = Tagging & { snapshotId: string; description?: string };

/**
 * RegisterImage from the snapshot: 64-bit, HVM, the root device from the snapshot, ENA on (the AW+
 * appliance supports it on t3), tagged at birth.
 */
export async function registerImage(
	ec2: EC2Client,
	input: RegisterImageInput,
	options: CallOptions = {},
): Promise<string> {
	const output = await ec2.send(
		new RegisterImageCommand({
			Name: input.name,
			Description: input.description ?? input.name,
			Architecture: 'x86_64',
			RootDeviceName: ROOT_DEVICE,
			BlockDeviceMappings: [
				{
					DeviceName: ROOT_DEVICE,
					Ebs: { SnapshotId: input.snapshotId, DeleteOnTermination: true, VolumeType: 'gp3' },
				},
			],
			VirtualizationType: 'hvm',
			EnaSupport: true,
			TagSpecifications: tagSpecifications('image', input),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.ImageId) throw new Error('RegisterImage returned no ImageId');
	return output.ImageId;
}

export async function findImageById(
	ec2: EC2Client,
	imageId: string,
	options: CallOptions = {},
): Promise<Image | undefined> {
	try {
		const output = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }), {
			abortSignal: options.signal,
		});
		const image = output.Images?.[0];
		return image && image.State !== 'deregistered' ? image : undefined;
	} catch (error) {
		if (isNotFound(error) || errorCodeOf(error) === 'InvalidAMIID.Unavailable') return undefined;
		throw error;
	}
}

/** The account's own image with this exact name (AMI names are unique per account and region). */
export async function findOwnImageByName(
	ec2: EC2Client,
	name: string,
	options: CallOptions = {},
): Promise<Image | undefined> {
	const output = await ec2.send(
		new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }),
		{ abortSignal: options.signal },
	);
	return (output.Images ?? []).find((image) => image.Name === name && image.State !== 'deregistered');
}

/** The image ended `failed` (or vanished) instead of becoming available. */
export class ImageFailedError extends Error {
	constructor(
		readonly imageId: string,
		readonly reason: string,
	) {
		super(`The image ${imageId} did not become available: ${reason}`);
		this.name = 'ImageFailedError';
	}
}

export async function waitForImageAvailable(
	ec2: EC2Client,
	imageId: string,
	options: WaitOptions = {},
): Promise<Image> {
	const image = await pollUntil(
		`image ${imageId}`,
		async () => {
			const found = await findImageById(ec2, imageId, options);
			return { state: found?.State, value: found };
		},
		(state) => state === 'available' || state === 'failed' || state === 'error' || state === 'invalid',
		{ ...options, defaultTimeoutMs: 30 * 60 * 1000 },
	);
	if (image?.State !== 'available') {
		throw new ImageFailedError(imageId, image?.StateReason?.Message ?? image?.State ?? 'unknown');
	}
	return image;
}

/** DeregisterImage; an image already gone is fine. */
export async function deregisterImage(
	ec2: EC2Client,
	imageId: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(new DeregisterImageCommand({ ImageId: imageId }), { abortSignal: options.signal });
	} catch (error) {
		if (isNotFound(error) || errorCodeOf(error) === 'InvalidAMIID.Unavailable') return;
		throw error;
	}
}

/** DeleteSnapshot; a snapshot already gone is fine. */
export async function deleteSnapshot(
	ec2: EC2Client,
	snapshotId: string,
	options: CallOptions = {},
): Promise<void> {
	try {
		await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }), { abortSignal: options.signal });
	} catch (error) {
		if (isNotFound(error)) return;
		throw error;
	}
}
