/**
 * The sandbox's S3 metadata, persisted with the rest of the sandbox state. Object and part bodies are
 * never here: they live as files in the blob folder (see blobs.ts); records name them by `blob`.
 */

export type S3ObjectRecord = {
	key: string;
	size: number;
	/** Quoted, as S3 sends it: `"<md5 hex>"` or `"<md5 of md5s>-N"` for a multipart object. */
	etag: string;
	contentType: string;
	lastModified: number;
	/** `x-amz-meta-*` headers, names lower-cased without the prefix. */
	metadata: Record<string, string>;
	/** The body's file; '' for a multipart object, whose body is its `segments` back to back. */
	blob: string;
	/** A completed multipart upload keeps its part files (no copy of a 440 MB image on Complete). */
	segments?: S3Segment[];
};

export type S3Segment = { blob: string; size: number };

/** The files holding an object's body, in order. */
export function segmentsOf(object: Pick<S3ObjectRecord, 'blob' | 'size' | 'segments'>): S3Segment[] {
	return object.segments ?? (object.blob === '' ? [] : [{ blob: object.blob, size: object.size }]);
}

/** Every blob the metadata names (object bodies and uploaded parts). */
export function referencedBlobs(state: S3State): Set<string> {
	const names = new Set<string>();
	for (const bucket of Object.values(state.buckets)) {
		for (const object of Object.values(bucket.objects)) {
			for (const segment of segmentsOf(object)) names.add(segment.blob);
		}
		for (const upload of Object.values(bucket.uploads)) {
			for (const part of Object.values(upload.parts)) names.add(part.blob);
		}
	}
	return names;
}

export type S3PartRecord = {
	partNumber: number;
	size: number;
	etag: string;
	lastModified: number;
	blob: string;
	/** `x-amz-checksum-<algorithm>` values the client sent with the part, by header name. */
	checksums?: Record<string, string>;
};

export type S3UploadRecord = {
	uploadId: string;
	key: string;
	initiated: number;
	contentType: string;
	metadata: Record<string, string>;
	checksumAlgorithm?: string;
	parts: Record<string, S3PartRecord>;
};

export type S3BucketRecord = {
	name: string;
	region: string;
	createdAt: number;
	objects: Record<string, S3ObjectRecord>;
	uploads: Record<string, S3UploadRecord>;
};

export type S3State = {
	buckets: Record<string, S3BucketRecord>;
};

export function newS3State(): S3State {
	return { buckets: {} };
}
