import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
	ALGORITHM,
	canonicalHeaderMap,
	canonicalQuery,
	dateHeaderAsAmzDate,
	parseAmzDate,
	safeDecode,
	sha256Hex,
	signingKey,
	uriEncode,
} from '../sigv4-core.js';
import { S3Error } from './errors.js';

/**
 * SigV4 header authentication as S3 does it (AWS S3 API reference, "Authenticating Requests:
 * Using the Authorization Header"). Differences from the other services: the canonical URI is the
 * path URI-encoded once with no dot-segment or empty-segment normalisation, the payload hash is the
 * `x-amz-content-sha256` header (a hex SHA-256, `UNSIGNED-PAYLOAD` or a `STREAMING-…` mode; the body
 * itself is checked against it while it streams in), and the errors are S3's.
 */

export type S3Signature = {
	accessKeyId: string;
	region: string;
	/** The `x-amz-content-sha256` header as sent. */
	payloadHash: string;
	/** The seed signature (chunk signatures of aws-chunked bodies chain from it). */
	signature: string;
	signingKey: Buffer;
	amzDate: string;
	/** `YYYYMMDD/region/s3/aws4_request`. */
	scope: string;
};

export type S3SignedRequest = {
	method: string;
	url: string;
	rawHeaders: readonly string[];
};

export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
export const PAYLOAD_MODES = [
	'UNSIGNED-PAYLOAD',
	'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
	'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
	'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
] as const;

export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export function verifyS3Signature(
	request: S3SignedRequest,
	secretFor: (accessKeyId: string) => string | undefined,
	now: number,
	isValidRegion: (region: string) => boolean,
): S3Signature {
	const headers = canonicalHeaderMap(request.rawHeaders);
	const authorization = headers.get('authorization');
	if (request.url.includes('X-Amz-Signature=')) {
		throw new S3Error(
			'NotImplemented',
			'Presigned URLs (query-string authentication) are not supported by the kakehashi sandbox; sign the Authorization header.',
			501,
		);
	}
	if (authorization === undefined || authorization === '') {
		throw new S3Error('AccessDenied', 'Access Denied', 403);
	}
	if (!authorization.startsWith(`${ALGORITHM} `)) {
		throw new S3Error('InvalidArgument', 'Unsupported Authorization Type', 400);
	}
	const parts = new Map<string, string>();
	for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
		const [name, ...value] = part.trim().split('=');
		if (name) parts.set(name, value.join('='));
	}
	const credential = parts.get('Credential');
	const signedHeadersText = parts.get('SignedHeaders');
	const signature = parts.get('Signature');
	if (!credential || !signedHeadersText || !signature) {
		throw new S3Error(
			'AuthorizationHeaderMalformed',
			'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.',
		);
	}
	const [accessKeyId, scopeDate, region, service, terminator] = credential.split('/');
	if (!accessKeyId || !scopeDate || !region || !service || terminator !== 'aws4_request') {
		throw new S3Error(
			'AuthorizationHeaderMalformed',
			`The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`,
		);
	}
	const secret = secretFor(accessKeyId);
	if (secret === undefined) {
		throw new S3Error(
			'InvalidAccessKeyId',
			'The AWS Access Key Id you provided does not exist in our records.',
			403,
			{ AWSAccessKeyId: accessKeyId },
		);
	}
	if (service !== 's3') {
		throw new S3Error(
			'AuthorizationHeaderMalformed',
			`The authorization header is malformed; incorrect service "${service}". This endpoint belongs to "s3".`,
		);
	}
	if (!isValidRegion(region)) {
		throw new S3Error(
			'AuthorizationHeaderMalformed',
			`The authorization header is malformed; the region '${region}' is wrong; expecting 'us-east-1'`,
			400,
			{ Region: 'us-east-1' },
		);
	}
	const signedHeaders = signedHeadersText.split(';');
	if (!signedHeaders.includes('host')) {
		throw new S3Error(
			'AccessDenied',
			'There were headers present in the request which were not signed',
			403,
			{
				HeadersNotSigned: 'host',
			},
		);
	}
	const payloadHash = headers.get('x-amz-content-sha256');
	if (payloadHash === undefined) {
		throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
	}
	if (!(PAYLOAD_MODES as readonly string[]).includes(payloadHash) && !/^[0-9a-f]{64}$/.test(payloadHash)) {
		throw new S3Error(
			'InvalidArgument',
			`x-amz-content-sha256 must be ${PAYLOAD_MODES.join(', ')} or a valid sha256 value.`,
			400,
			{ ArgumentName: 'x-amz-content-sha256', ArgumentValue: payloadHash },
		);
	}
	const amzDate = headers.get('x-amz-date') ?? dateHeaderAsAmzDate(headers.get('date'));
	if (amzDate === undefined) {
		throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header', 403);
	}
	const signedAt = parseAmzDate(amzDate);
	if (signedAt === undefined || Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
		throw new S3Error(
			'RequestTimeTooSkewed',
			'The difference between the request time and the current time is too large.',
			403,
			{ RequestTime: amzDate, ServerTime: new Date(now).toISOString(), MaxAllowedSkewMilliseconds: '900000' },
		);
	}
	if (scopeDate !== amzDate.slice(0, 8)) {
		throw new S3Error(
			'AuthorizationHeaderMalformed',
			`The authorization header is malformed; Invalid credential date "${scopeDate}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
		);
	}
	const scope = `${scopeDate}/${region}/s3/aws4_request`;
	const canonical = [
		request.method.toUpperCase(),
		canonicalS3Path(request.url),
		canonicalQuery(queryOf(request.url)),
		signedHeaders.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join(''),
		signedHeaders.join(';'),
		payloadHash,
	].join('\n');
	const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
	const key = signingKey(secret, scopeDate, region, 's3');
	const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
	const provided = Buffer.from(signature, 'hex');
	if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
		throw new S3Error(
			'SignatureDoesNotMatch',
			'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
			403,
			{ AWSAccessKeyId: accessKeyId, StringToSign: stringToSign, CanonicalRequest: canonical },
		);
	}
	return { accessKeyId, region, payloadHash, signature, signingKey: key, amzDate, scope };
}

/** The signature of one aws-chunked chunk, chained from the previous one (seed: the header's). */
export function chunkSignature(auth: S3Signature, previous: string, chunk: Buffer): string {
	const stringToSign = [
		'AWS4-HMAC-SHA256-PAYLOAD',
		auth.amzDate,
		auth.scope,
		previous,
		EMPTY_SHA256,
		createHash('sha256').update(chunk).digest('hex'),
	].join('\n');
	return createHmac('sha256', auth.signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** The service named in an Authorization header's credential scope, before anything is verified. */
export function scopeOf(authorization: string | undefined): { service: string; region: string } | undefined {
	const match = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
	return match?.[1] && match[2] ? { region: match[1], service: match[2] } : undefined;
}

/** Each segment decoded then URI-encoded once; empty and dot segments kept (S3 keys may hold them). */
function canonicalS3Path(url: string): string {
	const queryIndex = url.indexOf('?');
	const rawPath = (queryIndex === -1 ? url : url.slice(0, queryIndex)) || '/';
	return rawPath
		.split('/')
		.map((segment) => uriEncode(safeDecode(segment)))
		.join('/');
}

function queryOf(url: string): string {
	const queryIndex = url.indexOf('?');
	return queryIndex === -1 ? '' : url.slice(queryIndex + 1);
}
