import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { BlobStore, WrittenBlob } from './blobs.js';
import { S3Error, s3Errors } from './errors.js';
import { decodePayload, type PayloadHeaders } from './payload.js';
import { type S3Signature, verifyS3Signature } from './sigv4.js';
import {
	type S3BucketRecord,
	type S3ObjectRecord,
	type S3PartRecord,
	type S3State,
	type S3UploadRecord,
	segmentsOf,
} from './state.js';

/**
 * The S3 REST API of the sandbox, on the same endpoint as EC2 (chosen when the SigV4 scope names
 * `s3`): path-style (`/bucket/key`) and virtual-host style (`bucket.localhost`, `bucket.127.0.0.1`)
 * addressing, buckets with a region, objects and multipart uploads whose bodies stream to files.
 *
 * Each request is recorded under the IAM action that authorises it (`s3:PutObject` for PutObject,
 * CreateMultipartUpload, UploadPart and CompleteMultipartUpload; `s3:ListBucket` for ListObjectsV2 and
 * HeadBucket; …), which is what a least-privilege policy must grant.
 */

export const S3_XML_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** The smallest part S3 accepts except for the last one. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_XML_BODY = 10 * 1024 * 1024;
const US_EAST_1 = 'us-east-1';
/** Bucket names that behave as if another AWS account owned them, so "name taken" can be tested. */
export const TAKEN_BUCKET_PREFIX = 'taken-';

export type S3ServiceOptions = {
	state: () => S3State;
	accountId: () => string;
	blobs: BlobStore;
	secretFor: (accessKeyId: string) => string | undefined;
	now: () => number;
	/** Regions S3 exists in (the same list as EC2's). */
	isValidRegion: (region: string) => boolean;
	/** After a change to the metadata (persist it). */
	onMutation: () => void;
	/** The IAM action a request needed, e.g. `s3:PutObject`. */
	record: (iamAction: string) => void;
	/**
	 * Fault injection by operation name (`UploadPart`, `CompleteMultipartUpload`…): waits out the
	 * injected latency and returns the error to answer with, if any (see FaultOptions).
	 */
	fault?: (operation: string) => Promise<{ code: string; message: string; status: number } | undefined>;
};

type Operation =
	| 'ListBuckets'
	| 'CreateBucket'
	| 'HeadBucket'
	| 'DeleteBucket'
	| 'GetBucketLocation'
	| 'ListObjects'
	| 'ListObjectsV2'
	| 'ListMultipartUploads'
	| 'DeleteObjects'
	| 'PutObject'
	| 'GetObject'
	| 'HeadObject'
	| 'DeleteObject'
	| 'CreateMultipartUpload'
	| 'UploadPart'
	| 'CompleteMultipartUpload'
	| 'AbortMultipartUpload'
	| 'ListParts';

/** The IAM action each S3 operation is authorised by (Service Authorization Reference, Amazon S3). */
export const S3_IAM_ACTIONS: Record<Operation, string> = {
	ListBuckets: 's3:ListAllMyBuckets',
	CreateBucket: 's3:CreateBucket',
	HeadBucket: 's3:ListBucket',
	DeleteBucket: 's3:DeleteBucket',
	GetBucketLocation: 's3:GetBucketLocation',
	ListObjects: 's3:ListBucket',
	ListObjectsV2: 's3:ListBucket',
	ListMultipartUploads: 's3:ListBucketMultipartUploads',
	DeleteObjects: 's3:DeleteObject',
	PutObject: 's3:PutObject',
	GetObject: 's3:GetObject',
	HeadObject: 's3:GetObject',
	DeleteObject: 's3:DeleteObject',
	CreateMultipartUpload: 's3:PutObject',
	UploadPart: 's3:PutObject',
	CompleteMultipartUpload: 's3:PutObject',
	AbortMultipartUpload: 's3:AbortMultipartUpload',
	ListParts: 's3:ListMultipartUploadParts',
};

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: false });
const parser = new XMLParser({
	ignoreAttributes: true,
	removeNSPrefix: true,
	parseTagValue: false,
	isArray: (name) => name === 'Part' || name === 'Object',
});

type Target = { bucket?: string; key?: string; path: string; query: URLSearchParams };

type Reply = {
	status: number;
	headers?: Record<string, string | number>;
	xml?: Record<string, unknown>;
	stream?: NodeJS.ReadableStream;
};

/** A bucket name S3 accepts (general purpose buckets naming rules). */
export function isValidBucketName(name: string): boolean {
	return (
		/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
		!name.includes('..') &&
		!/^\d{1,3}(\.\d{1,3}){3}$/.test(name) &&
		!name.startsWith('xn--') &&
		!name.endsWith('-s3alias')
	);
}

function quoted(md5: Buffer): string {
	return `"${md5.toString('hex')}"`;
}

function unquote(etag: string): string {
	return etag.trim().replace(/^"|"$/g, '');
}

function isoTime(epochMs: number): string {
	return new Date(epochMs).toISOString();
}

function requestId(): string {
	return randomBytes(8).toString('hex').toUpperCase();
}

function headerGetter(request: IncomingMessage): PayloadHeaders {
	return {
		get(name) {
			const value = request.headers[name.toLowerCase()];
			return Array.isArray(value) ? value.join(',') : value;
		},
	};
}

function userMetadata(request: IncomingMessage): Record<string, string> {
	const metadata: Record<string, string> = {};
	for (const [name, value] of Object.entries(request.headers)) {
		if (name.startsWith('x-amz-meta-') && typeof value === 'string') {
			metadata[name.slice('x-amz-meta-'.length)] = value;
		}
	}
	return metadata;
}

function safeDecode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

/** Bucket and key from the Host (virtual-host style) or the path (path style). */
export function targetOf(url: string, host: string | undefined): Target {
	const queryIndex = url.indexOf('?');
	const rawPath = queryIndex === -1 ? url : url.slice(0, queryIndex);
	const query = new URLSearchParams(queryIndex === -1 ? '' : url.slice(queryIndex + 1));
	const hostName = (host ?? '').replace(/:\d+$/, '').toLowerCase();
	const virtual = /^(.+)\.(localhost|127\.0\.0\.1)$/.exec(hostName)?.[1];
	if (virtual) {
		const key = safeDecode(rawPath.slice(1));
		return { bucket: virtual, key: key === '' ? undefined : key, path: rawPath, query };
	}
	const withoutSlash = rawPath.slice(1);
	if (withoutSlash === '') return { path: rawPath, query };
	const slash = withoutSlash.indexOf('/');
	const bucket = safeDecode(slash === -1 ? withoutSlash : withoutSlash.slice(0, slash));
	const key = slash === -1 ? '' : safeDecode(withoutSlash.slice(slash + 1));
	return { bucket, key: key === '' ? undefined : key, path: rawPath, query };
}

function operationOf(method: string, target: Target): Operation {
	const { bucket, key } = target;
	// The SDK names the operation in `x-id` (e.g. `?x-id=PutObject`): not a sub-resource.
	const query = new URLSearchParams([...target.query].filter(([name]) => name !== 'x-id'));
	if (!bucket) {
		if (method === 'GET') return 'ListBuckets';
		throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
	}
	if (key === undefined) {
		switch (method) {
			case 'PUT':
				return 'CreateBucket';
			case 'HEAD':
				return 'HeadBucket';
			case 'DELETE':
				return 'DeleteBucket';
			case 'POST':
				if (query.has('delete')) return 'DeleteObjects';
				break;
			case 'GET':
				if (query.has('location')) return 'GetBucketLocation';
				if (query.has('uploads')) return 'ListMultipartUploads';
				if (query.get('list-type') === '2') return 'ListObjectsV2';
				if ([...query.keys()].every((name) => LIST_V1_PARAMETERS.has(name))) return 'ListObjects';
				break;
		}
	} else {
		switch (method) {
			case 'PUT':
				if (query.has('uploadId')) return 'UploadPart';
				if (query.size === 0) return 'PutObject';
				break;
			case 'GET':
				if (query.has('uploadId')) return 'ListParts';
				return 'GetObject';
			case 'HEAD':
				return 'HeadObject';
			case 'DELETE':
				return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
			case 'POST':
				if (query.has('uploads')) return 'CreateMultipartUpload';
				if (query.has('uploadId')) return 'CompleteMultipartUpload';
				break;
		}
	}
	const sub = [...query.keys()].join('&');
	throw new S3Error(
		'NotImplemented',
		`A header or query you provided implies functionality that is not implemented (kakehashi sandbox: ${method} ${sub ? `?${sub}` : key === undefined ? 'bucket' : 'object'}).`,
		501,
	);
}

const LIST_V1_PARAMETERS = new Set(['prefix', 'delimiter', 'marker', 'max-keys', 'encoding-type']);

export class S3Service {
	readonly #options: S3ServiceOptions;

	constructor(options: S3ServiceOptions) {
		this.#options = options;
	}

	/** Answers one HTTP request entirely (reads the body as a stream, writes the response). */
	async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const id = requestId();
		const method = (request.method ?? 'GET').toUpperCase();
		const target = targetOf(request.url ?? '/', request.headers.host);
		try {
			const auth = verifyS3Signature(
				{ method, url: request.url ?? '/', rawHeaders: request.rawHeaders },
				this.#options.secretFor,
				this.#options.now(),
				this.#options.isValidRegion,
			);
			const operation = operationOf(method, target);
			this.#options.record(S3_IAM_ACTIONS[operation]);
			const expectedOwner = request.headers['x-amz-expected-bucket-owner'];
			if (typeof expectedOwner === 'string' && expectedOwner !== this.#options.accountId()) {
				throw s3Errors.accessDenied();
			}
			const fault = await this.#options.fault?.(operation);
			if (fault) throw new S3Error(fault.code, fault.message, fault.status);
			const reply = await this.#dispatch(operation, request, target, auth);
			this.#send(response, method, id, reply);
		} catch (error) {
			const failure =
				error instanceof S3Error
					? error
					: new S3Error(
							'InternalError',
							`We encountered an internal error. Please try again. (kakehashi sandbox: ${error instanceof Error ? error.message : String(error)})`,
							500,
						);
			this.#sendError(response, method, id, target, failure);
		}
	}

	#send(response: ServerResponse, method: string, id: string, reply: Reply): void {
		if (response.destroyed || response.headersSent) return;
		const headers: Record<string, string | number> = {
			'x-amz-request-id': id,
			'x-amz-id-2': randomBytes(24).toString('base64'),
			Server: 'AmazonS3',
			...reply.headers,
		};
		if (reply.stream) {
			response.writeHead(reply.status, headers);
			if (method === 'HEAD') {
				response.end();
				return;
			}
			reply.stream.pipe(response);
			reply.stream.on('error', () => response.destroy());
			return;
		}
		const body = reply.xml
			? builder.build({ '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' }, ...reply.xml })
			: '';
		if (reply.xml) headers['Content-Type'] = 'application/xml';
		headers['Content-Length'] =
			method === 'HEAD' ? (headers['Content-Length'] ?? 0) : Buffer.byteLength(body);
		response.writeHead(reply.status, headers);
		response.end(method === 'HEAD' ? undefined : body);
	}

	#sendError(response: ServerResponse, method: string, id: string, target: Target, error: S3Error): void {
		if (response.destroyed) return;
		if (response.headersSent) {
			response.destroy();
			return;
		}
		const xml = builder.build({
			'?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
			Error: {
				Code: error.code,
				Message: error.message,
				...error.details,
				Resource: target.path,
				RequestId: id,
				HostId: randomBytes(24).toString('base64'),
			},
		});
		const headers: Record<string, string | number> = {
			'x-amz-request-id': id,
			'x-amz-id-2': randomBytes(24).toString('base64'),
			Server: 'AmazonS3',
			...error.headers,
		};
		if (method === 'HEAD') {
			response.writeHead(error.status, headers);
			response.end();
			return;
		}
		headers['Content-Type'] = 'application/xml';
		headers['Content-Length'] = Buffer.byteLength(xml);
		response.writeHead(error.status, headers);
		response.end(xml);
	}

	#owner(): { ID: string; DisplayName: string } {
		return {
			ID: createHash('sha256').update(`kakehashi-sandbox:${this.#options.accountId()}`).digest('hex'),
			DisplayName: 'kakehashi-sandbox',
		};
	}

	#bucket(name: string, auth: S3Signature, checkRegion = true): S3BucketRecord {
		const bucket = this.#options.state().buckets[name];
		if (!bucket) {
			if (name.startsWith(TAKEN_BUCKET_PREFIX)) throw s3Errors.accessDenied();
			throw s3Errors.noSuchBucket(name);
		}
		// The endpoint stands for the signing region's S3 endpoint: a bucket elsewhere is a redirect.
		if (checkRegion && bucket.region !== auth.region) {
			throw new S3Error(
				'PermanentRedirect',
				'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
				301,
				{ Bucket: name, Endpoint: `s3.${bucket.region}.amazonaws.com` },
				{ 'x-amz-bucket-region': bucket.region },
			);
		}
		return bucket;
	}

	async #xmlBody(request: IncomingMessage, auth: S3Signature): Promise<Record<string, unknown> | undefined> {
		const pieces: Buffer[] = [];
		let size = 0;
		for await (const piece of decodePayload(request, headerGetter(request), auth)) {
			size += piece.length;
			if (size > MAX_XML_BODY) {
				throw new S3Error('MaxMessageLengthExceeded', 'Your request was too big.');
			}
			pieces.push(piece);
		}
		const text = Buffer.concat(pieces).toString('utf8').trim();
		if (text === '') return undefined;
		try {
			return parser.parse(text, true) as Record<string, unknown>;
		} catch {
			throw s3Errors.malformedXml();
		}
	}

	/** Streams the body into a blob; the blob is removed again if the body fails its checks. */
	async #bodyToBlob(
		request: IncomingMessage,
		auth: S3Signature,
	): Promise<WrittenBlob & { checksums: Record<string, string> }> {
		const payload = decodePayload(request, headerGetter(request), auth);
		let checksums: Record<string, string> = {};
		async function* pieces() {
			while (true) {
				const next = await payload.next();
				if (next.done) {
					checksums = next.value.checksums;
					return;
				}
				yield next.value;
			}
		}
		const written = await this.#options.blobs.write(pieces());
		return { ...written, checksums };
	}

	async #dispatch(
		operation: Operation,
		request: IncomingMessage,
		target: Target,
		auth: S3Signature,
	): Promise<Reply> {
		const bucketName = target.bucket as string;
		const key = target.key as string;
		switch (operation) {
			case 'ListBuckets':
				return this.#listBuckets();
			case 'CreateBucket':
				return this.#createBucket(request, bucketName, auth);
			case 'HeadBucket': {
				const bucket = this.#bucket(bucketName, auth);
				return { status: 200, headers: { 'x-amz-bucket-region': bucket.region } };
			}
			case 'DeleteBucket':
				return this.#deleteBucket(bucketName, auth);
			case 'GetBucketLocation': {
				const bucket = this.#bucket(bucketName, auth, false);
				return {
					status: 200,
					xml: {
						LocationConstraint: {
							'@_xmlns': S3_XML_NAMESPACE,
							'#text': bucket.region === US_EAST_1 ? '' : bucket.region,
						},
					},
				};
			}
			case 'ListObjects':
			case 'ListObjectsV2':
				return this.#listObjects(this.#bucket(bucketName, auth), target.query, operation === 'ListObjectsV2');
			case 'ListMultipartUploads':
				return this.#listUploads(this.#bucket(bucketName, auth), target.query);
			case 'DeleteObjects':
				return this.#deleteObjects(request, this.#bucket(bucketName, auth), auth);
			case 'PutObject':
				return this.#putObject(request, bucketName, key, auth);
			case 'GetObject':
			case 'HeadObject':
				return this.#getObject(request, this.#bucket(bucketName, auth), key);
			case 'DeleteObject': {
				const bucket = this.#bucket(bucketName, auth);
				const existing = bucket.objects[key];
				if (existing) {
					delete bucket.objects[key];
					this.#options.onMutation();
					this.#removeBody(existing);
				}
				return { status: 204 };
			}
			case 'CreateMultipartUpload':
				return this.#createUpload(request, this.#bucket(bucketName, auth), key);
			case 'UploadPart':
				return this.#uploadPart(request, bucketName, key, target.query, auth);
			case 'CompleteMultipartUpload':
				return this.#completeUpload(request, bucketName, key, target.query, auth);
			case 'AbortMultipartUpload': {
				const bucket = this.#bucket(bucketName, auth);
				const upload = this.#upload(bucket, key, target.query.get('uploadId') ?? '');
				this.#dropUpload(bucket, upload);
				return { status: 204 };
			}
			case 'ListParts':
				return this.#listParts(this.#bucket(bucketName, auth), key, target.query);
		}
	}

	#listBuckets(): Reply {
		const buckets = Object.values(this.#options.state().buckets).sort((a, b) =>
			a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
		);
		return {
			status: 200,
			xml: {
				ListAllMyBucketsResult: {
					'@_xmlns': S3_XML_NAMESPACE,
					Owner: this.#owner(),
					Buckets: {
						Bucket: buckets.map((bucket) => ({
							Name: bucket.name,
							CreationDate: isoTime(bucket.createdAt),
							BucketRegion: bucket.region,
						})),
					},
				},
			},
		};
	}

	async #createBucket(request: IncomingMessage, name: string, auth: S3Signature): Promise<Reply> {
		if (!isValidBucketName(name)) {
			throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: name });
		}
		const body = await this.#xmlBody(request, auth);
		const configuration = body?.CreateBucketConfiguration as Record<string, unknown> | undefined;
		if (body && !configuration) throw s3Errors.malformedXml();
		const constraint =
			typeof configuration?.LocationConstraint === 'string' && configuration.LocationConstraint !== ''
				? configuration.LocationConstraint
				: undefined;
		if (constraint === undefined) {
			if (auth.region !== US_EAST_1) {
				throw new S3Error(
					'IllegalLocationConstraintException',
					'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
				);
			}
		} else if (constraint === US_EAST_1 || !this.#options.isValidRegion(constraint)) {
			throw new S3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400, {
				LocationConstraint: constraint,
			});
		} else if (constraint !== auth.region) {
			throw new S3Error(
				'IllegalLocationConstraintException',
				`The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
			);
		}
		if (name.startsWith(TAKEN_BUCKET_PREFIX)) {
			throw new S3Error(
				'BucketAlreadyExists',
				'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
				409,
				{ BucketName: name },
			);
		}
		const state = this.#options.state();
		const existing = state.buckets[name];
		if (existing) {
			// us-east-1 keeps its legacy answer: re-creating your own bucket there succeeds.
			if (existing.region === US_EAST_1 && auth.region === US_EAST_1) {
				return { status: 200, headers: { Location: `/${name}` } };
			}
			throw new S3Error(
				'BucketAlreadyOwnedByYou',
				'Your previous request to create the named bucket succeeded and you already own it.',
				409,
				{ BucketName: name },
			);
		}
		state.buckets[name] = {
			name,
			region: auth.region,
			createdAt: this.#options.now(),
			objects: {},
			uploads: {},
		};
		this.#options.onMutation();
		return { status: 200, headers: { Location: `/${name}` } };
	}

	#deleteBucket(name: string, auth: S3Signature): Reply {
		const bucket = this.#bucket(name, auth);
		if (Object.keys(bucket.objects).length > 0) {
			throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, {
				BucketName: name,
			});
		}
		for (const upload of Object.values(bucket.uploads)) {
			for (const part of Object.values(upload.parts)) this.#options.blobs.remove(part.blob);
		}
		delete this.#options.state().buckets[name];
		this.#options.onMutation();
		return { status: 204 };
	}

	#listObjects(bucket: S3BucketRecord, query: URLSearchParams, v2: boolean): Reply {
		const prefix = query.get('prefix') ?? '';
		const delimiter = query.get('delimiter') ?? '';
		const maxKeys = this.#maxCount(query, 'max-keys', 1000);
		const encode = query.get('encoding-type') === 'url';
		if (query.has('encoding-type') && !encode) {
			throw s3Errors.invalidArgument(
				'Invalid Encoding Method specified in Request',
				'encoding-type',
				query.get('encoding-type') ?? '',
			);
		}
		const token = query.get('continuation-token');
		let after: string;
		if (v2 && token !== null) {
			after = Buffer.from(token, 'base64url').toString('utf8');
			if (!after.startsWith('k:')) {
				throw s3Errors.invalidArgument(
					'The continuation token provided is incorrect',
					'continuation-token',
					token,
				);
			}
			after = after.slice(2);
		} else {
			after = (v2 ? query.get('start-after') : query.get('marker')) ?? '';
		}
		const keys = Object.keys(bucket.objects).sort();
		const contents: S3ObjectRecord[] = [];
		const prefixes: string[] = [];
		let truncated = false;
		let last = '';
		for (const objectKey of keys) {
			if (!objectKey.startsWith(prefix)) continue;
			if (
				after !== '' &&
				(objectKey <= after || (delimiter !== '' && after.endsWith(delimiter) && objectKey.startsWith(after)))
			) {
				continue;
			}
			let common: string | undefined;
			if (delimiter !== '') {
				const index = objectKey.indexOf(delimiter, prefix.length);
				if (index !== -1) common = objectKey.slice(0, index + delimiter.length);
			}
			if (common !== undefined && prefixes[prefixes.length - 1] === common) continue;
			if (contents.length + prefixes.length >= maxKeys) {
				truncated = true;
				break;
			}
			if (common !== undefined) {
				prefixes.push(common);
				last = common;
			} else {
				contents.push(bucket.objects[objectKey] as S3ObjectRecord);
				last = objectKey;
			}
		}
		const enc = (text: string) => (encode ? encodeURIComponent(text).replace(/%2F/g, '/') : text);
		const common = {
			Name: bucket.name,
			Prefix: enc(prefix),
			Delimiter: delimiter === '' ? undefined : enc(delimiter),
			MaxKeys: maxKeys,
			EncodingType: encode ? 'url' : undefined,
			IsTruncated: truncated,
			Contents: contents.map((object) => ({
				Key: enc(object.key),
				LastModified: isoTime(object.lastModified),
				ETag: object.etag,
				Size: object.size,
				StorageClass: 'STANDARD',
				...(v2 && query.get('fetch-owner') !== 'true' ? {} : { Owner: this.#owner() }),
			})),
			CommonPrefixes: prefixes.map((value) => ({ Prefix: enc(value) })),
		};
		const result = v2
			? {
					...common,
					KeyCount: contents.length + prefixes.length,
					ContinuationToken: token ?? undefined,
					NextContinuationToken: truncated
						? Buffer.from(`k:${last}`, 'utf8').toString('base64url')
						: undefined,
					StartAfter: query.has('start-after') ? enc(query.get('start-after') ?? '') : undefined,
				}
			: {
					...common,
					Marker: enc(query.get('marker') ?? ''),
					NextMarker: truncated && delimiter !== '' ? enc(last) : undefined,
				};
		return { status: 200, xml: { ListBucketResult: { '@_xmlns': S3_XML_NAMESPACE, ...result } } };
	}

	#maxCount(query: URLSearchParams, name: string, limit: number): number {
		const text = query.get(name);
		if (text === null) return limit;
		if (!/^\d+$/.test(text)) {
			throw s3Errors.invalidArgument(`Provided ${name} not an integer or within integer range`, name, text);
		}
		return Math.min(Number(text), limit);
	}

	async #deleteObjects(request: IncomingMessage, bucket: S3BucketRecord, auth: S3Signature): Promise<Reply> {
		const body = await this.#xmlBody(request, auth);
		const remove = body?.Delete as { Object?: { Key?: string }[]; Quiet?: string } | undefined;
		if (!remove?.Object || remove.Object.length === 0) throw s3Errors.malformedXml();
		if (remove.Object.length > 1000) throw s3Errors.malformedXml();
		const deleted: string[] = [];
		for (const entry of remove.Object) {
			if (typeof entry.Key !== 'string') throw s3Errors.malformedXml();
			const existing = bucket.objects[entry.Key];
			if (existing) {
				delete bucket.objects[entry.Key];
				this.#removeBody(existing);
			}
			deleted.push(entry.Key);
		}
		this.#options.onMutation();
		return {
			status: 200,
			xml: {
				DeleteResult: {
					'@_xmlns': S3_XML_NAMESPACE,
					Deleted: remove.Quiet === 'true' ? [] : deleted.map((Key) => ({ Key })),
				},
			},
		};
	}

	#validKey(key: string): void {
		if (Buffer.byteLength(key) > 1024) {
			throw new S3Error('KeyTooLongError', 'Your key is too long', 400, {
				MaxSizeAllowed: '1024',
				Size: String(Buffer.byteLength(key)),
			});
		}
	}

	async #putObject(
		request: IncomingMessage,
		bucketName: string,
		key: string,
		auth: S3Signature,
	): Promise<Reply> {
		if (request.headers['x-amz-copy-source'] !== undefined) {
			throw new S3Error('NotImplemented', 'CopyObject is not implemented by the kakehashi sandbox.', 501);
		}
		this.#bucket(bucketName, auth);
		this.#validKey(key);
		const written = await this.#bodyToBlob(request, auth);
		// The bucket may have gone while the body streamed in.
		const bucket = this.#options.state().buckets[bucketName];
		if (!bucket) {
			this.#options.blobs.remove(written.blob);
			throw s3Errors.noSuchBucket(bucketName);
		}
		const previous = bucket.objects[key];
		const etag = quoted(written.md5);
		bucket.objects[key] = {
			key,
			size: written.size,
			etag,
			contentType: request.headers['content-type'] ?? 'binary/octet-stream',
			lastModified: this.#options.now(),
			metadata: userMetadata(request),
			blob: written.blob,
		};
		this.#options.onMutation();
		if (previous) this.#removeBody(previous);
		return { status: 200, headers: { ETag: etag, ...written.checksums } };
	}

	#removeBody(object: S3ObjectRecord): void {
		for (const segment of segmentsOf(object)) this.#options.blobs.remove(segment.blob);
	}

	#getObject(request: IncomingMessage, bucket: S3BucketRecord, key: string): Reply {
		const object = bucket.objects[key];
		if (!object) throw s3Errors.noSuchKey(key);
		const headers: Record<string, string | number> = {
			'Content-Type': object.contentType,
			ETag: object.etag,
			'Last-Modified': new Date(object.lastModified).toUTCString(),
			'Accept-Ranges': 'bytes',
		};
		for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
		const range = request.headers.range;
		if (range !== undefined) {
			const parsed = parseRange(range, object.size);
			if (parsed === 'unsatisfiable') {
				throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, {
					RangeRequested: range,
					ActualObjectSize: String(object.size),
				});
			}
			if (parsed) {
				headers['Content-Range'] = `bytes ${parsed.start}-${parsed.end}/${object.size}`;
				headers['Content-Length'] = parsed.end - parsed.start + 1;
				return {
					status: 206,
					headers,
					stream:
						request.method === 'HEAD'
							? undefined
							: this.#options.blobs.readSegments(segmentsOf(object), parsed),
				};
			}
		}
		headers['Content-Length'] = object.size;
		if (request.method === 'HEAD') return { status: 200, headers };
		return {
			status: 200,
			headers,
			stream: object.size === 0 ? undefined : this.#options.blobs.readSegments(segmentsOf(object)),
		};
	}

	#createUpload(request: IncomingMessage, bucket: S3BucketRecord, key: string): Reply {
		this.#validKey(key);
		const uploadId = randomBytes(36).toString('base64url');
		const checksumAlgorithm = request.headers['x-amz-checksum-algorithm'] as string | undefined;
		bucket.uploads[uploadId] = {
			uploadId,
			key,
			initiated: this.#options.now(),
			contentType: request.headers['content-type'] ?? 'binary/octet-stream',
			metadata: userMetadata(request),
			checksumAlgorithm,
			parts: {},
		};
		this.#options.onMutation();
		return {
			status: 200,
			headers: checksumAlgorithm ? { 'x-amz-checksum-algorithm': checksumAlgorithm } : {},
			xml: {
				InitiateMultipartUploadResult: {
					'@_xmlns': S3_XML_NAMESPACE,
					Bucket: bucket.name,
					Key: key,
					UploadId: uploadId,
				},
			},
		};
	}

	#upload(bucket: S3BucketRecord, key: string, uploadId: string): S3UploadRecord {
		const upload = bucket.uploads[uploadId];
		if (!upload || upload.key !== key) throw s3Errors.noSuchUpload(uploadId);
		return upload;
	}

	#dropUpload(bucket: S3BucketRecord, upload: S3UploadRecord, keep: readonly string[] = []): void {
		delete bucket.uploads[upload.uploadId];
		this.#options.onMutation();
		for (const part of Object.values(upload.parts)) {
			if (!keep.includes(part.blob)) this.#options.blobs.remove(part.blob);
		}
	}

	async #uploadPart(
		request: IncomingMessage,
		bucketName: string,
		key: string,
		query: URLSearchParams,
		auth: S3Signature,
	): Promise<Reply> {
		const uploadId = query.get('uploadId') ?? '';
		const partText = query.get('partNumber') ?? '';
		const partNumber = /^\d{1,5}$/.test(partText) ? Number(partText) : Number.NaN;
		if (!(partNumber >= 1 && partNumber <= 10000)) {
			throw s3Errors.invalidArgument(
				'Part number must be an integer between 1 and 10000, inclusive',
				'partNumber',
				partText,
			);
		}
		this.#upload(this.#bucket(bucketName, auth), key, uploadId);
		const written = await this.#bodyToBlob(request, auth);
		const upload = this.#options.state().buckets[bucketName]?.uploads[uploadId];
		if (!upload) {
			// Aborted while the part streamed in.
			this.#options.blobs.remove(written.blob);
			throw s3Errors.noSuchUpload(uploadId);
		}
		const previous = upload.parts[String(partNumber)];
		const etag = quoted(written.md5);
		const part: S3PartRecord = {
			partNumber,
			size: written.size,
			etag,
			lastModified: this.#options.now(),
			blob: written.blob,
		};
		if (Object.keys(written.checksums).length > 0) part.checksums = written.checksums;
		upload.parts[String(partNumber)] = part;
		this.#options.onMutation();
		if (previous) this.#options.blobs.remove(previous.blob);
		return { status: 200, headers: { ETag: etag, ...written.checksums } };
	}

	async #completeUpload(
		request: IncomingMessage,
		bucketName: string,
		key: string,
		query: URLSearchParams,
		auth: S3Signature,
	): Promise<Reply> {
		const uploadId = query.get('uploadId') ?? '';
		const upload = this.#upload(this.#bucket(bucketName, auth), key, uploadId);
		const body = await this.#xmlBody(request, auth);
		// Aborted while the request body came in?
		if (!this.#options.state().buckets[bucketName]?.uploads[uploadId]) throw s3Errors.noSuchUpload(uploadId);
		const listed = (body?.CompleteMultipartUpload as { Part?: unknown[] } | undefined)?.Part;
		if (!listed || listed.length === 0) {
			throw new S3Error(
				'MalformedXML',
				'The XML you provided was not well-formed or did not validate against our published schema',
			);
		}
		const requested = listed.map((entry) => {
			const part = entry as { PartNumber?: string; ETag?: string };
			const number = Number(part.PartNumber);
			if (!Number.isInteger(number) || typeof part.ETag !== 'string') throw s3Errors.malformedXml();
			return { number, etag: part.ETag };
		});
		for (let index = 1; index < requested.length; index++) {
			if (
				(requested[index] as { number: number }).number <= (requested[index - 1] as { number: number }).number
			) {
				throw new S3Error(
					'InvalidPartOrder',
					'The list of parts was not in ascending order. Parts must be ordered by part number.',
					400,
					{ UploadId: uploadId },
				);
			}
		}
		const parts = requested.map((wanted, index) => {
			const part = upload.parts[String(wanted.number)];
			if (!part || unquote(part.etag) !== unquote(wanted.etag)) {
				throw new S3Error(
					'InvalidPart',
					"One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
					400,
					{ UploadId: uploadId, PartNumber: String(wanted.number), ETag: wanted.etag },
				);
			}
			if (index < requested.length - 1 && part.size < MIN_PART_SIZE) {
				throw new S3Error(
					'EntityTooSmall',
					'Your proposed upload is smaller than the minimum allowed size',
					400,
					{
						UploadId: uploadId,
						ProposedSize: String(part.size),
						MinSizeAllowed: String(MIN_PART_SIZE),
						PartNumber: String(part.partNumber),
						ETag: part.etag,
					},
				);
			}
			return part;
		});
		const bucket = this.#options.state().buckets[bucketName] as S3BucketRecord;
		const md5OfMd5s = createHash('md5');
		for (const part of parts) md5OfMd5s.update(Buffer.from(unquote(part.etag), 'hex'));
		const etag = `"${md5OfMd5s.digest('hex')}-${parts.length}"`;
		const previous = bucket.objects[key];
		bucket.objects[key] = {
			key,
			size: parts.reduce((sum, part) => sum + part.size, 0),
			etag,
			contentType: upload.contentType,
			lastModified: this.#options.now(),
			metadata: upload.metadata,
			blob: '',
			// The listed parts' files become the object's body; parts not listed are discarded.
			segments: parts.map((part) => ({ blob: part.blob, size: part.size })),
		};
		this.#dropUpload(
			bucket,
			upload,
			parts.map((part) => part.blob),
		);
		if (previous) this.#removeBody(previous);
		const host = request.headers.host ?? '127.0.0.1';
		return {
			status: 200,
			xml: {
				CompleteMultipartUploadResult: {
					'@_xmlns': S3_XML_NAMESPACE,
					Location: `http://${host}/${encodeURIComponent(bucket.name)}/${key.split('/').map(encodeURIComponent).join('/')}`,
					Bucket: bucket.name,
					Key: key,
					ETag: etag,
				},
			},
		};
	}

	#listUploads(bucket: S3BucketRecord, query: URLSearchParams): Reply {
		const prefix = query.get('prefix') ?? '';
		const keyMarker = query.get('key-marker') ?? '';
		const uploadIdMarker = query.get('upload-id-marker') ?? '';
		const maxUploads = this.#maxCount(query, 'max-uploads', 1000);
		const all = Object.values(bucket.uploads)
			.filter((upload) => upload.key.startsWith(prefix))
			.sort((a, b) =>
				a.key < b.key
					? -1
					: a.key > b.key
						? 1
						: a.initiated - b.initiated || (a.uploadId < b.uploadId ? -1 : 1),
			);
		let start = 0;
		if (keyMarker !== '') {
			const markerIndex =
				uploadIdMarker === '' ? -1 : all.findIndex((upload) => upload.uploadId === uploadIdMarker);
			start = markerIndex !== -1 ? markerIndex + 1 : all.findIndex((upload) => upload.key > keyMarker);
			if (start === -1) start = all.length;
		}
		const page = all.slice(start, start + maxUploads);
		const truncated = start + maxUploads < all.length;
		const lastUpload = page[page.length - 1];
		const owner = this.#owner();
		return {
			status: 200,
			xml: {
				ListMultipartUploadsResult: {
					'@_xmlns': S3_XML_NAMESPACE,
					Bucket: bucket.name,
					KeyMarker: keyMarker,
					UploadIdMarker: uploadIdMarker,
					NextKeyMarker: truncated ? lastUpload?.key : undefined,
					NextUploadIdMarker: truncated ? lastUpload?.uploadId : undefined,
					Prefix: prefix === '' ? undefined : prefix,
					MaxUploads: maxUploads,
					IsTruncated: truncated,
					Upload: page.map((upload) => ({
						Key: upload.key,
						UploadId: upload.uploadId,
						Initiator: owner,
						Owner: owner,
						StorageClass: 'STANDARD',
						Initiated: isoTime(upload.initiated),
					})),
				},
			},
		};
	}

	#listParts(bucket: S3BucketRecord, key: string, query: URLSearchParams): Reply {
		const uploadId = query.get('uploadId') ?? '';
		const upload = this.#upload(bucket, key, uploadId);
		const marker = Number(query.get('part-number-marker') ?? '0') || 0;
		const maxParts = this.#maxCount(query, 'max-parts', 1000);
		const all = Object.values(upload.parts)
			.filter((part) => part.partNumber > marker)
			.sort((a, b) => a.partNumber - b.partNumber);
		const page = all.slice(0, maxParts);
		const truncated = all.length > maxParts;
		const owner = this.#owner();
		return {
			status: 200,
			xml: {
				ListPartsResult: {
					'@_xmlns': S3_XML_NAMESPACE,
					Bucket: bucket.name,
					Key: key,
					UploadId: uploadId,
					Initiator: owner,
					Owner: owner,
					StorageClass: 'STANDARD',
					PartNumberMarker: marker,
					NextPartNumberMarker: page[page.length - 1]?.partNumber ?? marker,
					MaxParts: maxParts,
					IsTruncated: truncated,
					ChecksumAlgorithm: upload.checksumAlgorithm,
					Part: page.map((part) => ({
						PartNumber: part.partNumber,
						LastModified: isoTime(part.lastModified),
						ETag: part.etag,
						Size: part.size,
					})),
				},
			},
		};
	}
}

/** One `bytes=` range, clamped to the object; undefined to ignore the header (as S3 does for others). */
export function parseRange(
	header: string,
	size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
	const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
	if (!match || (match[1] === '' && match[2] === '')) return undefined;
	if (match[1] === '') {
		const suffix = Number(match[2]);
		if (suffix === 0 || size === 0) return 'unsatisfiable';
		return { start: Math.max(0, size - suffix), end: size - 1 };
	}
	const start = Number(match[1]);
	const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
	if (start >= size) return 'unsatisfiable';
	if (end < start) return undefined;
	return { start, end };
}
