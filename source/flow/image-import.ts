import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import { ensureVmimportRole, VMIMPORT_ROLE } from '../aws/iam-role.js';
import {
	deregisterImage,
	describeImportSnapshotTask,
	findImageById,
	findOwnImageByName,
	findSnapshotById,
	importSnapshot,
	importTaskState,
	isRoleNotReady,
	registerImage,
	tagSnapshot,
	waitForImageAvailable,
	waitForImportSnapshot,
} from '../aws/image-import.js';
import { deriveClientToken } from '../aws/instance.js';
import { defaultBucketName, deleteObject, ensureBucket } from '../aws/s3-bucket.js';
import {
	abortMultipartUpload,
	completeMultipartUpload,
	createMultipartUpload,
	type FileFingerprint,
	fingerprintFile,
	listUploadedParts,
	listUploadsOfKey,
	partSizeFor,
	sameFingerprint,
	type UploadedPart,
	type UploadProgress,
	uploadMissingParts,
} from '../aws/s3-upload.js';
import { stackTagKey, tagValue } from '../aws/stack-tags.js';
import { checkVhd, type NotVhdReason, readDiskImageEnds, type VhdFooter } from '../aws/vhd.js';
import { sleep, type WaitOptions } from '../aws/wait.js';
import {
	appendJournal,
	loadState,
	newState,
	putResource,
	removeResource,
	type State,
	type StateResource,
	saveState,
} from './state.js';
import { type FlowMessage, say } from './steps.js';

/**
 * `kakehashi image import` and the wizard's "machine image" step: the vendor's VHD → an AMI
 * (install guide section 1), as the vendor's script does it, but resumable and recorded in the state
 * file as it goes:
 *   check the VHD → bucket → vmimport role → multipart upload → ImportSnapshot → wait →
 *   delete the uploaded object → RegisterImage → wait until available.
 * Each step first looks at what the state file (and AWS) already has, so a re-run after a kill
 * continues where the last run stopped and a re-run after success reuses the image.
 */

export type ImageImportPhase = 'check' | 'bucket' | 'role' | 'upload' | 'import' | 'register' | 'cleanup';

export type ImageImportEvent =
	| { type: 'phase'; phase: ImageImportPhase; message: FlowMessage }
	| { type: 'upload-progress'; progress: UploadProgress }
	| { type: 'upload-part'; part: number }
	| { type: 'import-progress'; progress: number; status: string; statusMessage: string }
	| { type: 'note'; message: FlowMessage };

export type ImageImportClients = { ec2: EC2Client; s3: S3Client; iam: IAMClient };

export type ImageImportOptions = {
	clients: ImageImportClients;
	vhdPath: string;
	/** The AMI name (unique per account and region). */
	name: string;
	/** The upload bucket; default `kakehashi-<account>-<region>`. */
	bucket?: string;
	region: string;
	/** The AWS account (STS GetCallerIdentity): names the default bucket, and is checked as the bucket's owner. */
	account: string;
	statePath: string;
	/** The stack a new state file records (an existing state file keeps its own). */
	stack: string;
	endpoint?: string;
	role?: string;
	signal?: AbortSignal;
	onEvent?: (event: ImageImportEvent) => void;
	timings?: { intervalMs?: number; timeoutMs?: number; roleRetryMs?: number };
	/** Parts in flight at once (default 8); part size (default 8 MiB or more). */
	upload?: { concurrency?: number; partSize?: number };
};

export type ImageImportResult = {
	imageId: string;
	snapshotId: string;
	importTaskId: string;
	bucket: string;
	/** true: the image existed already (a previous run made it); nothing was uploaded. */
	reused: boolean;
};

/** The file is not a VHD AWS can import: nothing was created. */
export class VhdCheckError extends Error {
	constructor(
		readonly path: string,
		readonly reason: NotVhdReason,
	) {
		super(`${path}: not an importable VHD (${reason.what})`);
		this.name = 'VhdCheckError';
	}
}

/** An image with the name exists and kakehashi did not make it: never guess that it is the same VHD. */
export class ImageNameTakenError extends Error {
	constructor(
		readonly imageName: string,
		readonly imageId: string,
	) {
		super(
			`An image named "${imageName}" already exists (${imageId}) and was not made by kakehashi. ` +
				'Use it as instance.ami, or pass another --name.',
		);
		this.name = 'ImageNameTakenError';
	}
}

/** The state file records another region: one state file describes one region. */
export class StateRegionError extends Error {
	constructor(
		readonly path: string,
		readonly stateRegion: string,
		readonly region: string,
	) {
		super(
			`${path} records region ${stateRegion}, not ${region}: pass --region ${stateRegion} or another --state.`,
		);
		this.name = 'StateRegionError';
	}
}

/** Where the VHD goes in the bucket: one key per stack and image name. */
export function objectKeyFor(stack: string, name: string): string {
	return `kakehashi/${stack}/${name}.vhd`;
}

export function objectId(bucket: string, key: string): string {
	return `s3://${bucket}/${key}`;
}

/** Check the file first: a non-VHD file stops here, before any AWS call. */
export async function checkVhdFile(path: string): Promise<VhdFooter> {
	let ends: Awaited<ReturnType<typeof readDiskImageEnds>>;
	try {
		ends = await readDiskImageEnds(path);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new VhdCheckError(path, { what: 'unreadable', code: code ?? String(error) });
	}
	const check = checkVhd(ends.head, ends.tail, ends.size);
	if (!check.ok) throw new VhdCheckError(path, check.reason);
	return check.footer;
}

type Run = {
	options: ImageImportOptions;
	state: State;
	emit: (event: ImageImportEvent) => void;
	wait: WaitOptions;
	call: { signal?: AbortSignal };
};

async function record(run: Run, resource: StateResource, action: string): Promise<void> {
	putResource(run.state, resource);
	appendJournal(run.state, { action, kind: resource.kind, id: resource.id, name: resource.name });
	await saveState(run.options.statePath, run.state);
}

function resourcesOf(state: State, kind: string, name: string): StateResource[] {
	return state.resources.filter((item) => item.kind === kind && item.name === name);
}

/** Build (or find) the AMI from the VHD. */
export async function importImage(options: ImageImportOptions): Promise<ImageImportResult> {
	const emit = (event: ImageImportEvent) => options.onEvent?.(event);
	const call = options.signal ? { signal: options.signal } : {};
	emit({ type: 'phase', phase: 'check', message: say('image.phase.check', { path: options.vhdPath }) });
	const footer = await checkVhdFile(options.vhdPath);
	emit({
		type: 'note',
		message: say('image.note.vhd', {
			type: say(footer.diskType === 'fixed' ? 'image.vhdType.fixed' : 'image.vhdType.dynamic'),
			size: formatBytes(footer.currentSize),
			creator: footer.creator.trim() || '?',
		}),
	});

	const loaded = await loadState(options.statePath);
	if (loaded && loaded.resources.length > 0 && loaded.region !== options.region) {
		throw new StateRegionError(options.statePath, loaded.region, options.region);
	}
	const state =
		loaded ??
		newState({
			flow: 'single-appliance',
			region: options.region,
			...(options.endpoint ? { endpoint: options.endpoint } : {}),
			stack: options.stack,
			answersDigest: '',
		});
	if (options.endpoint) state.endpoint = options.endpoint;
	const run: Run = {
		options,
		state,
		emit,
		call,
		wait: {
			...(options.timings?.intervalMs !== undefined ? { intervalMs: options.timings.intervalMs } : {}),
			...(options.timings?.timeoutMs !== undefined ? { timeoutMs: options.timings.timeoutMs } : {}),
			...call,
		},
	};
	const { ec2 } = options.clients;
	const stack = state.stack;

	// 1. The image itself: made by an earlier run (state, else our stack tag) → reuse it.
	const existing = await findExistingImage(run);
	if (existing) return existing;

	// 2. The snapshot of an earlier run's finished import → register it without uploading again.
	const snapshotRecord = resourcesOf(state, 'snapshot', options.name)[0];
	if (snapshotRecord) {
		const snapshot = await findSnapshotById(ec2, snapshotRecord.id, call);
		if (snapshot) {
			const bucket = typeof snapshotRecord.bucket === 'string' ? snapshotRecord.bucket : '';
			const importTaskId = typeof snapshotRecord.importTaskId === 'string' ? snapshotRecord.importTaskId : '';
			await removeUploadedObject(run, bucket);
			return register(run, { snapshotId: snapshotRecord.id, importTaskId, bucket });
		}
		removeResource(state, 'snapshot', snapshotRecord.id);
	}

	// 3. Bucket and role.
	const bucket = options.bucket ?? defaultBucketName(options.account, options.region);
	emit({ type: 'phase', phase: 'bucket', message: say('image.phase.bucket', { bucket }) });
	const ensured = await ensureBucket(
		options.clients.s3,
		{ bucket, region: options.region, account: options.account },
		call,
	);
	emit({
		type: 'note',
		message: say(ensured.created ? 'image.note.bucketCreated' : 'image.note.bucketReused', { bucket }),
	});
	const roleName = options.role ?? VMIMPORT_ROLE;
	emit({ type: 'phase', phase: 'role', message: say('image.phase.role', { role: roleName }) });
	const role = await ensureVmimportRole(
		options.clients.iam,
		{ bucket, region: options.region, stack, role: roleName },
		call,
	);
	const knownRole = state.resources.find((item) => item.kind === 'iam-role' && item.id === role.role);
	const policies = new Set<string>(
		Array.isArray(knownRole?.policyNames) ? (knownRole.policyNames as string[]) : [],
	);
	if (role.policyAdded) policies.add(role.policyName);
	await record(
		run,
		{
			kind: 'iam-role',
			id: role.role,
			name: role.role,
			created: role.created || knownRole?.created === true,
			policyNames: [...policies],
		},
		role.created ? 'create' : 'adopt',
	);
	emit({
		type: 'note',
		message: say(role.created ? 'image.note.roleCreated' : 'image.note.roleReused', { role: role.role }),
	});
	if (!role.created && knownRole?.created !== true && role.policyAdded) {
		emit({
			type: 'note',
			message: say('image.destroy.policyKept', { role: role.role, policy: role.policyName }),
		});
	}

	// 4. Upload (resumed when the same file was being uploaded), unless the import already has the object.
	const key = objectKeyFor(stack, options.name);
	const fingerprint = await fingerprintFile(options.vhdPath);
	const objectRecord = await prepareObject(run, { bucket, key, fingerprint, bucketCreated: ensured.created });
	let importTaskId = typeof objectRecord.importTaskId === 'string' ? objectRecord.importTaskId : undefined;
	if (importTaskId) {
		const detail = await describeImportSnapshotTask(ec2, importTaskId, call);
		if (!detail || importTaskState(detail) === 'failed') {
			emit({
				type: 'note',
				message: say('image.note.previousImportFailed', {
					id: importTaskId,
					reason: detail?.StatusMessage ?? '-',
				}),
			});
			importTaskId = undefined;
			delete objectRecord.importTaskId;
			// a new ClientToken, or AWS would hand back the failed task for the old one
			objectRecord.importAttempt =
				(typeof objectRecord.importAttempt === 'number' ? objectRecord.importAttempt : 0) + 1;
			await record(run, objectRecord, 'update');
		}
	}
	if (!importTaskId && objectRecord.uploaded !== true) {
		await upload(run, objectRecord, fingerprint);
	}

	// 5. ImportSnapshot (or the task a previous run started), then wait for its snapshot.
	emit({ type: 'phase', phase: 'import', message: say('image.phase.import') });
	if (!importTaskId) {
		importTaskId = await startImport(run, {
			bucket,
			key,
			role: role.role,
			roleJustCreated: role.created,
			fingerprint,
			attempt: typeof objectRecord.importAttempt === 'number' ? objectRecord.importAttempt : 0,
		});
		objectRecord.importTaskId = importTaskId;
		await record(run, objectRecord, 'update');
	}
	emit({ type: 'note', message: say('image.note.importTask', { id: importTaskId }) });
	const detail = await waitForImportSnapshot(ec2, importTaskId, {
		...run.wait,
		onChange: (change) =>
			emit({
				type: 'import-progress',
				progress: Number(change.Progress ?? (importTaskState(change) === 'completed' ? 100 : 0)) || 0,
				status: change.Status ?? '',
				statusMessage: change.StatusMessage ?? '',
			}),
	});
	const snapshotId = detail.SnapshotId as string;
	await record(
		run,
		{ kind: 'snapshot', id: snapshotId, name: options.name, created: true, importTaskId, bucket },
		'create',
	);
	await tagSnapshot(ec2, snapshotId, { stack, name: options.name }, call);
	emit({ type: 'note', message: say('image.note.snapshot', { id: snapshotId }) });

	// 6. The uploaded object has served its purpose.
	await removeUploadedObject(run, bucket);

	// 7. RegisterImage and wait.
	return register(run, { snapshotId, importTaskId, bucket });
}

async function findExistingImage(run: Run): Promise<ImageImportResult | undefined> {
	const { ec2 } = run.options.clients;
	const name = run.options.name;
	const recorded = resourcesOf(run.state, 'image', name)[0];
	let imageId: string | undefined;
	if (recorded) {
		const image = await findImageById(ec2, recorded.id, run.call);
		if (image) imageId = recorded.id;
		else {
			removeResource(run.state, 'image', recorded.id);
			await saveState(run.options.statePath, run.state);
		}
	}
	if (!imageId) {
		const byName = await findOwnImageByName(ec2, name, run.call);
		if (byName?.ImageId) {
			if (tagValue(byName.Tags, stackTagKey) !== run.state.stack)
				throw new ImageNameTakenError(name, byName.ImageId);
			imageId = byName.ImageId;
			const snapshotId = byName.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId;
			await record(
				run,
				{ kind: 'image', id: imageId, name, created: true, ...(snapshotId ? { snapshotId } : {}) },
				'adopt',
			);
		}
	}
	if (!imageId) return undefined;
	const current = await findImageById(ec2, imageId, run.call);
	if (current?.State === 'failed') {
		// RegisterImage ended failed last time: clear it away so this run registers the snapshot again
		await deregisterImage(ec2, imageId, run.call);
		removeResource(run.state, 'image', imageId);
		await saveState(run.options.statePath, run.state);
		return undefined;
	}
	run.emit({ type: 'phase', phase: 'register', message: say('image.phase.reuse', { id: imageId, name }) });
	const image = await waitForImageAvailable(ec2, imageId, run.wait);
	const snapshotId =
		image.BlockDeviceMappings?.find((mapping) => mapping.Ebs?.SnapshotId)?.Ebs?.SnapshotId ?? '';
	const snapshot = run.state.resources.find((item) => item.kind === 'snapshot' && item.id === snapshotId);
	return {
		imageId,
		snapshotId,
		importTaskId: typeof snapshot?.importTaskId === 'string' ? snapshot.importTaskId : '',
		bucket: typeof snapshot?.bucket === 'string' ? snapshot.bucket : '',
		reused: true,
	};
}

/**
 * The s3-object record for this upload: kept when it describes the same file, else its upload is
 * aborted and its object deleted; any other unfinished upload of the key is aborted (a run killed
 * before it could record its UploadId leaves one).
 */
async function prepareObject(
	run: Run,
	input: { bucket: string; key: string; fingerprint: FileFingerprint; bucketCreated: boolean },
): Promise<StateResource> {
	const id = objectId(input.bucket, input.key);
	const records = run.state.resources.filter((item) => item.kind === 's3-object' && item.name === input.key);
	// The same key in another bucket (an earlier --bucket): its leftovers go; its record stays for destroy.
	for (const other of records.filter((item) => item.id !== id)) {
		if (await discardUpload(run, other)) await record(run, other, 'delete');
	}
	const current = records.find((item) => item.id === id);
	if (!current) {
		return {
			kind: 's3-object',
			id,
			name: input.key,
			created: true,
			bucket: input.bucket,
			key: input.key,
			bucketCreated: input.bucketCreated,
			file: input.fingerprint,
		};
	}
	if (
		current.deleted !== true &&
		sameFingerprint(current.file as FileFingerprint | undefined, input.fingerprint)
	) {
		return current;
	}
	// Another file under the same name, or a finished import whose image is gone since: start over.
	if (current.deleted !== true)
		run.emit({ type: 'note', message: say('image.note.fileChanged', { key: input.key }) });
	await discardUpload(run, current);
	current.file = input.fingerprint;
	current.uploaded = false;
	current.deleted = false;
	delete current.partSize;
	delete current.importTaskId;
	await record(run, current, 'update');
	return current;
}

/** Abort the record's unfinished upload and delete its uploaded object; true when something changed. */
async function discardUpload(run: Run, item: StateResource): Promise<boolean> {
	const { s3 } = run.options.clients;
	const bucket = item.bucket as string;
	const key = item.key as string;
	let changed = false;
	if (typeof item.uploadId === 'string') {
		await abortMultipartUpload(s3, { bucket, key, uploadId: item.uploadId }, run.call);
		delete item.uploadId;
		changed = true;
	}
	if (item.uploaded === true && item.deleted !== true) {
		await deleteObject(s3, bucket, key, run.call);
		item.deleted = true;
		changed = true;
	}
	return changed;
}

async function upload(run: Run, objectRecord: StateResource, fingerprint: FileFingerprint): Promise<void> {
	const { s3 } = run.options.clients;
	const bucket = objectRecord.bucket as string;
	const key = objectRecord.key as string;
	const target = { bucket, key };
	let uploadId = typeof objectRecord.uploadId === 'string' ? objectRecord.uploadId : undefined;
	let partSize = typeof objectRecord.partSize === 'number' ? objectRecord.partSize : undefined;
	let uploaded: UploadedPart[] | undefined;
	if (uploadId) {
		uploaded = await listUploadedParts(s3, { ...target, uploadId }, run.call);
		if (!uploaded) uploadId = undefined;
	}
	// Whatever else is unfinished for this key is from a run that could not record it: abort it.
	for (const other of await listUploadsOfKey(s3, target, run.call)) {
		if (other.uploadId !== uploadId)
			await abortMultipartUpload(s3, { ...target, uploadId: other.uploadId }, run.call);
	}
	if (!uploadId || !partSize) {
		partSize = run.options.upload?.partSize ?? partSizeFor(fingerprint.size);
		uploadId = await createMultipartUpload(
			s3,
			{ ...target, tags: { [stackTagKey]: run.state.stack } },
			run.call,
		);
		uploaded = [];
		objectRecord.uploadId = uploadId;
		objectRecord.partSize = partSize;
		objectRecord.uploaded = false;
		objectRecord.deleted = false;
		objectRecord.file = fingerprint;
		await record(run, objectRecord, 'create');
		run.emit({ type: 'phase', phase: 'upload', message: say('image.phase.upload', { bucket, key }) });
	} else {
		run.emit({
			type: 'phase',
			phase: 'upload',
			message: say('image.phase.uploadResume', { bucket, key, parts: uploaded?.length ?? 0 }),
		});
	}
	const parts = await uploadMissingParts(
		s3,
		{
			...target,
			path: run.options.vhdPath,
			uploadId,
			size: fingerprint.size,
			partSize,
			uploaded: uploaded ?? [],
			...(run.options.upload?.concurrency ? { concurrency: run.options.upload.concurrency } : {}),
			onProgress: (progress) => run.emit({ type: 'upload-progress', progress }),
			onPart: (part) => run.emit({ type: 'upload-part', part: part.PartNumber }),
		},
		run.call,
	);
	await completeMultipartUpload(s3, { ...target, uploadId, parts }, run.call);
	delete objectRecord.uploadId;
	objectRecord.uploaded = true;
	await record(run, objectRecord, 'update');
}

async function startImport(
	run: Run,
	input: {
		bucket: string;
		key: string;
		role: string;
		roleJustCreated: boolean;
		fingerprint: FileFingerprint;
		/** How many earlier tasks for this upload failed: each new task needs its own token. */
		attempt: number;
	},
): Promise<string> {
	const { ec2 } = run.options.clients;
	const clientToken = deriveClientToken(
		'import-snapshot',
		input.bucket,
		input.key,
		input.fingerprint.sample,
		String(input.attempt),
	);
	const started = Date.now();
	const patience = run.options.timings?.roleRetryMs ?? 60_000;
	for (let attempt = 1; ; attempt++) {
		try {
			return await importSnapshot(
				ec2,
				{
					bucket: input.bucket,
					key: input.key,
					role: input.role,
					clientToken,
					stack: run.state.stack,
					name: run.options.name,
				},
				run.call,
			);
		} catch (error) {
			// A new role takes a few seconds to reach VM Import (IAM is eventually consistent).
			if (!input.roleJustCreated || !isRoleNotReady(error) || Date.now() - started > patience) throw error;
			run.emit({ type: 'note', message: say('image.note.roleNotReady', { attempt }) });
			await sleep(Math.min(5000, run.options.timings?.intervalMs ?? 5000), run.call.signal);
		}
	}
}

async function removeUploadedObject(run: Run, bucket: string): Promise<void> {
	const key = objectKeyFor(run.state.stack, run.options.name);
	const objectRecord = run.state.resources.find(
		(item) => item.kind === 's3-object' && item.id === objectId(bucket, key),
	);
	if (!objectRecord || objectRecord.deleted === true) return;
	run.emit({ type: 'phase', phase: 'cleanup', message: say('image.phase.cleanup', { bucket, key }) });
	await deleteObject(run.options.clients.s3, bucket, key, run.call);
	objectRecord.deleted = true;
	await record(run, objectRecord, 'delete');
}

async function register(
	run: Run,
	input: { snapshotId: string; importTaskId: string; bucket: string },
): Promise<ImageImportResult> {
	const { ec2 } = run.options.clients;
	const name = run.options.name;
	run.emit({ type: 'phase', phase: 'register', message: say('image.phase.register', { name }) });
	const imageId = await registerImage(
		ec2,
		{ stack: run.state.stack, name, snapshotId: input.snapshotId },
		run.call,
	);
	await record(
		run,
		{ kind: 'image', id: imageId, name, created: true, snapshotId: input.snapshotId },
		'create',
	);
	await waitForImageAvailable(ec2, imageId, run.wait);
	run.emit({ type: 'note', message: say('image.note.available', { id: imageId, name }) });
	return {
		imageId,
		snapshotId: input.snapshotId,
		importTaskId: input.importTaskId,
		bucket: input.bucket,
		reused: false,
	};
}

export function formatBytes(bytes: number): string {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
