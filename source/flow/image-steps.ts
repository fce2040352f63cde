import { deleteVmimportRole } from '../aws/iam-role.js';
import { deleteSnapshot, deregisterImage } from '../aws/image-import.js';
import { deleteBucketIfEmpty, deleteObject } from '../aws/s3-bucket.js';
import { abortMultipartUpload, listUploadsOfKey } from '../aws/s3-upload.js';
import { clientsBeside } from '../aws/service-clients.js';
import type { StateResource } from './state.js';
import type { DestroyContext, Step } from './steps.js';

/**
 * What `kakehashi image import` records, and how destroy removes it: the image (DeregisterImage), its
 * snapshot (DeleteSnapshot, once no image uses it), the uploaded object with any unfinished multipart
 * upload of its key (and the bucket when kakehashi created it and it is empty), and the vmimport role
 * when kakehashi created it (its inline policies first: IAM refuses to delete a role that has any).
 * These kinds are not applied by a flow — `image import` makes them — so only `destroy` is needed.
 */

export type DestroyStep = Pick<Step, 'kind' | 'destroy'>;

const call = (ctx: DestroyContext) => (ctx.signal ? { signal: ctx.signal } : {});

const imageStep: DestroyStep = {
	kind: 'image',
	async destroy(ctx, item) {
		await deregisterImage(ctx.ec2, item.id, call(ctx));
	},
};

const snapshotStep: DestroyStep = {
	kind: 'snapshot',
	async destroy(ctx, item) {
		await deleteSnapshot(ctx.ec2, item.id, call(ctx));
	},
};

function text(item: StateResource, field: string): string | undefined {
	const value = item[field];
	return typeof value === 'string' ? value : undefined;
}

const s3ObjectStep: DestroyStep = {
	kind: 's3-object',
	async destroy(ctx, item) {
		const bucket = text(item, 'bucket');
		const key = text(item, 'key');
		if (!bucket || !key) return;
		const { s3 } = await clientsBeside(ctx.ec2);
		const uploadId = text(item, 'uploadId');
		if (uploadId) await abortMultipartUpload(s3, { bucket, key, uploadId }, call(ctx));
		// a run killed before it recorded its UploadId leaves an upload only a listing finds
		const others = await listUploadsOfKey(s3, { bucket, key }, call(ctx)).catch(() => []);
		for (const other of others)
			await abortMultipartUpload(s3, { bucket, key, uploadId: other.uploadId }, call(ctx));
		if (item.deleted !== true) await deleteObject(s3, bucket, key, call(ctx));
		if (item.bucketCreated === true) {
			const outcome = await deleteBucketIfEmpty(s3, bucket, call(ctx));
			if (outcome !== 'absent') {
				ctx.emit({
					type: 'note',
					messageKey: outcome === 'deleted' ? 'image.destroy.bucketDeleted' : 'image.destroy.bucketKept',
					vars: { bucket },
				});
			}
		}
	},
};

const iamRoleStep: DestroyStep = {
	kind: 'iam-role',
	async destroy(ctx, item) {
		const { iam } = await clientsBeside(ctx.ec2);
		const policyNames = Array.isArray(item.policyNames)
			? item.policyNames.filter((name): name is string => typeof name === 'string')
			: [];
		await deleteVmimportRole(iam, { role: item.id, policyNames }, call(ctx));
	},
};

/** In the order image import records them; destroy walks the state file backwards. */
export const imageSteps: readonly DestroyStep[] = [iamRoleStep, s3ObjectStep, snapshotStep, imageStep];
