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
import { Ec2Error } from './errors.js';

/**
 * AWS Signature Version 4 verification of a request signed in the Authorization header, computed for
 * real: canonical request, string to sign, HMAC key chain (IAM user guide, "Create a signed AWS API
 * request"). The errors are the codes, messages and statuses EC2 answers with.
 */

export type SandboxCredentials = { accessKeyId: string; secretAccessKey: string };

/** The documented credentials of the built-in sandbox (not a secret: it only ever listens on loopback). */
export const SANDBOX_CREDENTIALS: SandboxCredentials = {
	accessKeyId: 'AKIAKAKEHASHISANDBOX',
	secretAccessKey: 'kakehashi-sandbox-not-a-secret',
};

export type SignedRequest = {
	method: string;
	/** The request target as received: path and raw query string. */
	url: string;
	/** Node's `rawHeaders`: name, value, name, value, … */
	rawHeaders: readonly string[];
	body: Buffer;
};

export type VerifiedSignature = { accessKeyId: string; region: string; service: string };

/** How far X-Amz-Date may be from the server's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export function verifySigV4(
	request: SignedRequest,
	secretFor: (accessKeyId: string) => string | undefined,
	now: number,
): VerifiedSignature {
	const headers = canonicalHeaderMap(request.rawHeaders);
	const authorization = headers.get('authorization');
	if (authorization === undefined || authorization === '') {
		throw new Ec2Error('MissingParameter', 'The request must contain the parameter AWSAccessKeyId');
	}
	const parsed = parseAuthorization(authorization);
	const [accessKeyId, scopeDate, region, service, terminator] = parsed.credential.split('/');
	if (!accessKeyId || !scopeDate || !region || !service || !terminator) {
		throw new Ec2Error(
			'IncompleteSignature',
			`Credential should be scoped to a valid region, service and terminator. Credential=${parsed.credential}`,
		);
	}
	const secret = secretFor(accessKeyId);
	if (secret === undefined) {
		throw new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
	}
	if (terminator !== 'aws4_request') {
		throw new Ec2Error(
			'SignatureDoesNotMatch',
			`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`,
			403,
		);
	}
	if (!parsed.signedHeaders.includes('host')) {
		throw new Ec2Error(
			'IncompleteSignature',
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		);
	}
	const amzDate = headers.get('x-amz-date') ?? dateHeaderAsAmzDate(headers.get('date'));
	if (amzDate === undefined) {
		throw new Ec2Error(
			'IncompleteSignature',
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
		);
	}
	const signedAt = parseAmzDate(amzDate);
	if (signedAt === undefined || Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) {
		throw new Ec2Error('RequestExpired', 'Request has expired.');
	}
	if (scopeDate !== amzDate.slice(0, 8)) {
		throw new Ec2Error(
			'SignatureDoesNotMatch',
			`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
			403,
		);
	}
	const scope = `${scopeDate}/${region}/${service}/aws4_request`;
	const canonical = canonicalRequest(request, headers, parsed.signedHeaders);
	const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
	const expected = createHmac('sha256', signingKey(secret, scopeDate, region, service))
		.update(stringToSign, 'utf8')
		.digest();
	const provided = Buffer.from(parsed.signature, 'hex');
	if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
		throw new Ec2Error(
			'SignatureDoesNotMatch',
			'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
			403,
		);
	}
	return { accessKeyId, region, service };
}

type ParsedAuthorization = { credential: string; signedHeaders: string[]; signature: string };

function parseAuthorization(authorization: string): ParsedAuthorization {
	if (!authorization.startsWith(`${ALGORITHM} `)) {
		throw new Ec2Error(
			'IncompleteSignature',
			`Unsupported Authorization Type. Use the ${ALGORITHM} algorithm (Signature Version 4).`,
		);
	}
	const parts = new Map<string, string>();
	for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
		const [name, ...value] = part.trim().split('=');
		if (name) {
			parts.set(name, value.join('='));
		}
	}
	const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !parts.get(name));
	if (missing.length > 0) {
		throw new Ec2Error(
			'IncompleteSignature',
			`${missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' ')} Authorization=${authorization}`,
		);
	}
	return {
		credential: parts.get('Credential') as string,
		signedHeaders: (parts.get('SignedHeaders') as string).split(';'),
		signature: parts.get('Signature') as string,
	};
}

function canonicalRequest(
	request: SignedRequest,
	headers: Map<string, string>,
	signedHeaders: string[],
): string {
	const queryIndex = request.url.indexOf('?');
	const rawPath = queryIndex === -1 ? request.url : request.url.slice(0, queryIndex);
	const rawQuery = queryIndex === -1 ? '' : request.url.slice(queryIndex + 1);
	const canonicalHeaders = signedHeaders.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join('');
	return [
		request.method.toUpperCase(),
		canonicalPath(rawPath),
		canonicalQuery(rawQuery),
		canonicalHeaders,
		signedHeaders.join(';'),
		createHash('sha256').update(request.body).digest('hex'),
	].join('\n');
}

/** Dot segments removed and each segment URI-encoded (services other than S3). */
function canonicalPath(rawPath: string): string {
	const decoded = safeDecode(rawPath || '/');
	const segments: string[] = [];
	for (const segment of decoded.split('/')) {
		if (segment === '' || segment === '.') {
			continue;
		}
		if (segment === '..') {
			segments.pop();
		} else {
			segments.push(segment);
		}
	}
	const trailing = segments.length > 0 && decoded.endsWith('/') ? '/' : '';
	return `/${segments.map(uriEncode).join('/')}${trailing}`;
}
