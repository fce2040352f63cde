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
	blob: string;
};

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
