import type { IamRoleRecord } from '../../iam/state.js';
import type { ActionContext, ActionTable } from '../context.js';
import { Ec2Error, invalidParameterValue, missingParameter } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { newId } from '../ids.js';
import { findById, selectByIds } from '../lookups.js';
import { paginate } from '../pagination.js';
import type { ImportSnapshotTaskRecord, RegionState, SnapshotRecord } from '../state.js';
import { renderTags, tagsFromSpecifications } from '../tags.js';
import { type XmlObject, xmlList, xmlTime } from '../xml.js';

/**
 * EBS snapshots and VM Import's ImportSnapshot, as the image import of the install guide uses them:
 * ImportSnapshot reads the disk from the sandbox's own S3 (the object must exist in a bucket of the
 * request's region), checks the `vmimport` service role (trusted by vmie.amazonaws.com, allowed to read
 * the object) and the disk itself (a VHD needs its `conectix` footer), then the task moves with time:
 *
 *   active/pending (3) → active/validating (10) → active/validated (19) → active/converting (30…99)
 *   → completed with a SnapshotId
 *
 * or, for a disk that failed validation, `deleted` with AWS's ClientError message once validation is
 * over. Stages are fractions of Timings.importSnapshotMs.
 */

const GiB = 1024 ** 3;
const VHD_FOOTER = 512;

export type DiskCheck = { ok: true; sizeBytes: number } | { ok: false; message: string };

/**
 * Validates a disk image from its first and last 512 bytes, as VM Import does before converting:
 * a VHD has the `conectix` footer at its end (fixed) and a copy at its start (dynamic), with a valid
 * checksum; its virtual size is the footer's Current Size.
 */
export function checkDiskImage(format: string, head: Buffer, tail: Buffer, objectSize: number): DiskCheck {
	if (format === 'VHD') {
		const footer = isVhdFooter(tail) ? tail : isVhdFooter(head) ? head : undefined;
		if (!footer) {
			return { ok: false, message: 'ClientError: Disk validation failed [Unsupported VHD Footer]' };
		}
		if (!vhdChecksumValid(footer)) {
			return { ok: false, message: 'ClientError: Disk validation failed [Invalid VHD Footer checksum]' };
		}
		const diskType = footer.readUInt32BE(60);
		if (diskType !== 2 && diskType !== 3) {
			return { ok: false, message: 'ClientError: Disk validation failed [Unsupported VHD disk type]' };
		}
		return { ok: true, sizeBytes: Number(footer.readBigUInt64BE(48)) };
	}
	if (format === 'VMDK') {
		if (head.subarray(0, 4).toString('latin1') !== 'KDMV') {
			return { ok: false, message: 'ClientError: Disk validation failed [Unsupported VMDK File Format]' };
		}
		return { ok: true, sizeBytes: Number(head.readBigUInt64LE(12)) * 512 };
	}
	return { ok: true, sizeBytes: objectSize };
}

function isVhdFooter(block: Buffer): boolean {
	return block.length >= VHD_FOOTER && block.subarray(0, 8).toString('latin1') === 'conectix';
}

/** The footer checksum: one's complement of the sum of every byte except the checksum field (64–67). */
function vhdChecksumValid(footer: Buffer): boolean {
	let sum = 0;
	for (let index = 0; index < VHD_FOOTER; index++) {
		if (index < 64 || index > 67) sum += footer[index] as number;
	}
	return ~sum >>> 0 === footer.readUInt32BE(64);
}

type Statement = { Effect?: unknown; Action?: unknown; Resource?: unknown; Principal?: unknown };

function statementsOf(document: string): Statement[] {
	try {
		const parsed = JSON.parse(document) as { Statement?: unknown };
		const statements = parsed.Statement;
		return (Array.isArray(statements) ? statements : [statements]).filter(
			(entry): entry is Statement => typeof entry === 'object' && entry !== null,
		);
	} catch {
		return [];
	}
}

function asList(value: unknown): string[] {
	return (Array.isArray(value) ? value : [value]).filter(
		(entry): entry is string => typeof entry === 'string',
	);
}

/** IAM's wildcard match: `*` any run of characters, `?` one character; case-insensitive for actions. */
function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
	const source = pattern
		.split('')
		.map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
		.join('');
	return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/**
 * Why VM Import could not use this role for s3://bucket/key, or undefined when it can: the trust
 * policy must let vmie.amazonaws.com assume it and an inline policy must allow s3:GetObject on the key.
 */
export function vmimportRoleProblem(
	role: IamRoleRecord | undefined,
	bucket: string,
	key: string,
): string | undefined {
	if (!role) return 'the role does not exist';
	const trusted = statementsOf(role.assumeRolePolicyDocument).some((statement) => {
		if (statement.Effect !== 'Allow') return false;
		const principal = statement.Principal as { Service?: unknown } | string | undefined;
		const services = typeof principal === 'object' && principal !== null ? asList(principal.Service) : [];
		return (
			services.includes('vmie.amazonaws.com') &&
			asList(statement.Action).some((action) => wildcardMatch(action, 'sts:AssumeRole', true))
		);
	});
	if (!trusted) return 'its trust policy does not let vmie.amazonaws.com assume it';
	const objectArn = `arn:aws:s3:::${bucket}/${key}`;
	const readable = Object.values(role.policies).some((document) =>
		statementsOf(document).some(
			(statement) =>
				statement.Effect === 'Allow' &&
				asList(statement.Action).some((action) => wildcardMatch(action, 's3:GetObject', true)) &&
				asList(statement.Resource).some((resource) => wildcardMatch(resource, objectArn, false)),
		),
	);
	if (!readable) return `no policy of the role allows s3:GetObject on ${objectArn}`;
	return undefined;
}

function snapshotsOf(region: RegionState): Record<string, SnapshotRecord> {
	region.snapshots ??= {};
	return region.snapshots;
}

function tasksOf(region: RegionState): Record<string, ImportSnapshotTaskRecord> {
	region.importSnapshotTasks ??= {};
	return region.importSnapshotTasks;
}

type TaskView = { status: string; statusMessage?: string; progress?: string };

/** What DescribeImportSnapshotTasks shows for a task at `now`. */
export function importTaskView(task: ImportSnapshotTaskRecord, now: number): TaskView {
	const span = Math.max(1, task.completesAt - task.createdAt);
	// Percent of the span elapsed, times the span: integer arithmetic, no rounding surprises.
	const elapsed = (now - task.createdAt) * 100;
	if (task.failureMessage !== undefined && elapsed >= 30 * span) {
		return { status: 'deleted', statusMessage: task.failureMessage };
	}
	if (elapsed >= 100 * span) return { status: 'completed' };
	if (elapsed < 15 * span) return { status: 'active', statusMessage: 'pending', progress: '3' };
	if (elapsed < 30 * span) return { status: 'active', statusMessage: 'validating', progress: '10' };
	if (elapsed < 40 * span) return { status: 'active', statusMessage: 'validated', progress: '19' };
	const converting = Math.min(99, 30 + Math.floor(((elapsed - 40 * span) * 70) / (60 * span)));
	return { status: 'active', statusMessage: 'converting', progress: String(converting) };
}

/** Completed import tasks get their snapshot (created lazily, at the task's completion time). */
export function settleImportTasks(region: RegionState, now: number): void {
	const snapshots = snapshotsOf(region);
	for (const task of Object.values(tasksOf(region))) {
		if (task.failureMessage === undefined && now >= task.completesAt && !task.snapshotMaterialised) {
			task.snapshotMaterialised = true;
			snapshots[task.snapshotId] = {
				id: task.snapshotId,
				volumeSizeGiB: task.volumeSizeGiB,
				description: `Created by AWS-VMImport service for ${task.id}`,
				startedAt: task.completesAt,
				completedAt: task.completesAt,
				volumeId: 'vol-ffffffff',
				tags: [],
			};
		}
	}
}

function renderTask(task: ImportSnapshotTaskRecord, now: number): XmlObject {
	const view = importTaskView(task, now);
	return {
		importTaskId: task.id,
		description: task.description || undefined,
		snapshotTaskDetail: {
			description: task.description || undefined,
			diskImageSize: task.diskImageSizeBytes,
			format: task.format,
			progress: view.progress,
			snapshotId: view.status === 'completed' ? task.snapshotId : undefined,
			status: view.status,
			statusMessage: view.statusMessage,
			userBucket: { s3Bucket: task.bucket, s3Key: task.key },
			encrypted: false,
		},
		tagSet: renderTags(task.tags),
	};
}

export function snapshotStatus(snapshot: SnapshotRecord, now: number): 'pending' | 'completed' {
	return now >= snapshot.completedAt ? 'completed' : 'pending';
}

function renderSnapshot(context: ActionContext, snapshot: SnapshotRecord): XmlObject {
	const status = snapshotStatus(snapshot, context.now);
	const span = Math.max(1, snapshot.completedAt - snapshot.startedAt);
	const progress =
		status === 'completed'
			? 100
			: Math.min(99, Math.floor(((context.now - snapshot.startedAt) / span) * 100));
	return {
		snapshotId: snapshot.id,
		volumeId: snapshot.volumeId,
		status,
		startTime: xmlTime(snapshot.startedAt),
		progress: `${progress}%`,
		ownerId: context.accountId,
		volumeSize: snapshot.volumeSizeGiB,
		description: snapshot.description,
		encrypted: false,
		storageTier: 'standard',
		tagSet: renderTags(snapshot.tags),
	};
}

/** Images (not deregistered) whose block device mappings use the snapshot. */
function imagesUsing(region: RegionState, snapshotId: string): string[] {
	return Object.values(region.images)
		.filter((image) => image.snapshotId === snapshotId)
		.map((image) => image.id);
}

export const snapshotActions: ActionTable = {
	ImportSnapshot(context) {
		const { params } = context;
		// ClientToken: the same token answers with the task it started (AWS's idempotency for VM Import)
		const clientToken = params.string('ClientToken');
		if (clientToken !== undefined) {
			const earlier = Object.values(tasksOf(context.region)).find((task) => task.clientToken === clientToken);
			if (earlier) {
				return {
					description: earlier.description || undefined,
					importTaskId: earlier.id,
					snapshotTaskDetail: renderTask(earlier, context.now).snapshotTaskDetail,
					tagSet: renderTags(earlier.tags),
				};
			}
		}
		const container = params.struct('DiskContainer');
		if (!container) throw missingParameter('DiskContainer');
		if (container.string('Url') !== undefined) {
			throw invalidParameterValue(
				'The kakehashi sandbox imports from S3 only: give DiskContainer.UserBucket.S3Bucket and S3Key, not Url.',
			);
		}
		const bucketName = container.required('UserBucket.S3Bucket', 'DiskContainer.UserBucket.S3Bucket');
		const key = container.required('UserBucket.S3Key', 'DiskContainer.UserBucket.S3Key');
		const formatParam = container.string('Format');
		const format = (formatParam ?? 'VHD').toUpperCase();
		if (!['VHD', 'VMDK', 'RAW'].includes(format)) {
			throw invalidParameterValue(
				`Invalid value '${formatParam}' for DiskContainer.Format. Expected VHD, VMDK or RAW.`,
			);
		}
		const services = context.services;
		if (!services) throw new Ec2Error('InternalError', 'ImportSnapshot needs the sandbox S3 service.', 500);
		const roleName = params.string('RoleName') ?? 'vmimport';
		const problem = vmimportRoleProblem(services.iam().roles[roleName], bucketName, key);
		if (problem !== undefined) {
			throw new Ec2Error(
				'InvalidParameter',
				`The service role ${roleName} provided does not exist or does not have sufficient permissions (kakehashi sandbox: ${problem}).`,
			);
		}
		const bucket = services.s3().buckets[bucketName];
		if (!bucket) {
			throw new Ec2Error(
				'InvalidParameter',
				`The given S3 bucket ${bucketName} does not exist or you do not have access to it.`,
			);
		}
		if (bucket.region !== context.regionName) {
			throw new Ec2Error('InvalidParameter', 'The given S3 object is not local to the region.');
		}
		const object = bucket.objects[key];
		if (!object) {
			throw new Ec2Error(
				'InvalidParameter',
				`The given S3 object s3://${bucketName}/${key} does not exist or you do not have access to it.`,
			);
		}
		const edge = Math.min(VHD_FOOTER, object.size);
		const head = services.objectBytes(object, 0, edge);
		const tail = services.objectBytes(object, object.size - edge, edge);
		const check = checkDiskImage(format, head, tail, object.size);
		const tags = tagsFromSpecifications(context, ['import-snapshot-task']);
		const id = newId('import-snap', context.random);
		const task: ImportSnapshotTaskRecord = {
			id,
			description: params.string('Description') ?? container.string('Description') ?? '',
			createdAt: context.now,
			completesAt: context.now + context.timings.importSnapshotMs,
			format,
			bucket: bucketName,
			key,
			diskImageSizeBytes: object.size,
			failureMessage: check.ok ? undefined : check.message,
			snapshotId: newId('snap', context.random),
			volumeSizeGiB: check.ok ? Math.max(1, Math.ceil(check.sizeBytes / GiB)) : 0,
			tags: tags.get('import-snapshot-task') ?? [],
			...(clientToken !== undefined ? { clientToken } : {}),
		};
		tasksOf(context.region)[id] = task;
		return {
			description: task.description || undefined,
			importTaskId: id,
			snapshotTaskDetail: renderTask(task, context.now).snapshotTaskDetail,
			tagSet: renderTags(task.tags),
		};
	},

	DescribeImportSnapshotTasks(context) {
		settleImportTasks(context.region, context.now);
		const ids = context.params.list('ImportTaskId');
		const tasks = selectByIds('importSnapshotTask', tasksOf(context.region), ids);
		const filtered = applyFilters(
			tasks,
			parseFilters(context.params),
			{ 'task-state': (task) => importTaskView(task, context.now).status },
			(task) => task.tags,
		);
		const page = paginate(filtered, context.params, (task) => task.id, {
			min: 1,
			max: 500,
			idsParameter: 'importTaskIds',
			idsGiven: ids.length > 0,
		});
		return {
			importSnapshotTaskSet: xmlList(page.items, (task) => renderTask(task, context.now)),
			nextToken: page.nextToken,
		};
	},

	CancelImportTask(context) {
		const id = context.params.required('ImportTaskId');
		const task = findById('importSnapshotTask', tasksOf(context.region), id);
		const before = importTaskView(task, context.now);
		if (before.status !== 'active') {
			throw new Ec2Error(
				'IncorrectState',
				`The import task ${id} cannot be cancelled in state ${before.status}.`,
			);
		}
		task.failureMessage = 'User initiated task cancelation';
		task.completesAt = context.now;
		task.createdAt = Math.min(task.createdAt, context.now - 1);
		return { importTaskId: id, previousState: before.status, state: 'deleting' };
	},

	DescribeSnapshots(context) {
		settleImportTasks(context.region, context.now);
		const ids = context.params.list('SnapshotId');
		const owners = context.params.list('Owner');
		const snapshots = selectByIds('snapshot', snapshotsOf(context.region), ids).filter(
			() => owners.length === 0 || owners.some((owner) => owner === 'self' || owner === context.accountId),
		);
		const filtered = applyFilters(
			snapshots,
			parseFilters(context.params),
			{
				description: (snapshot) => snapshot.description,
				encrypted: () => false,
				'owner-id': () => context.accountId,
				progress: (snapshot) => (snapshotStatus(snapshot, context.now) === 'completed' ? '100%' : undefined),
				'snapshot-id': (snapshot) => snapshot.id,
				'start-time': (snapshot) => xmlTime(snapshot.startedAt),
				status: (snapshot) => snapshotStatus(snapshot, context.now),
				'storage-tier': () => 'standard',
				'volume-id': (snapshot) => snapshot.volumeId,
				'volume-size': (snapshot) => snapshot.volumeSizeGiB,
			},
			(snapshot) => snapshot.tags,
		);
		const page = paginate(filtered, context.params, (snapshot) => snapshot.id, {
			min: 5,
			max: 1000,
			idsParameter: 'snapshotIds',
			idsGiven: ids.length > 0,
		});
		return {
			snapshotSet: xmlList(page.items, (snapshot) => renderSnapshot(context, snapshot)),
			nextToken: page.nextToken,
		};
	},

	DeleteSnapshot(context) {
		settleImportTasks(context.region, context.now);
		const id = context.params.required('SnapshotId');
		findById('snapshot', snapshotsOf(context.region), id);
		const users = imagesUsing(context.region, id);
		if (users.length > 0) {
			throw new Ec2Error('InvalidSnapshot.InUse', `The snapshot ${id} is currently in use by ${users[0]}`);
		}
		delete snapshotsOf(context.region)[id];
		return { return: true };
	},
};
