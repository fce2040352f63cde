import { XMLBuilder } from 'fast-xml-parser';
import { Ec2Error } from './errors.js';
import type { QueryParams } from './query.js';

/**
 * The one STS action a tool needs to show who it is signed in as: GetCallerIdentity, in STS's
 * Query protocol (API version 2011-06-15), on the sandbox's single endpoint. Selected by the
 * service of the SigV4 credential scope (`…/sts/aws4_request`), as LocalStack does.
 */

export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** The IAM user the sandbox's test credentials belong to. */
export const SANDBOX_USER_NAME = 'kakehashi-sandbox';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: false });

export type StsResponse = { status: number; body: string };

/**
 * STS words a few of the signature errors differently from EC2: an unknown key is
 * InvalidClientTokenId, an expired request is SignatureDoesNotMatch ("Signature expired: …").
 */
function stsCode(code: string): string {
	if (code === 'AuthFailure') return 'InvalidClientTokenId';
	if (code === 'RequestExpired') return 'SignatureDoesNotMatch';
	return code;
}

export function renderStsError(error: Ec2Error, requestId: string): StsResponse {
	const code = stsCode(error.code);
	const message =
		code === 'InvalidClientTokenId'
			? 'The security token included in the request is invalid.'
			: code === 'SignatureDoesNotMatch' && error.code === 'RequestExpired'
				? `Signature expired: the request time is more than 15 minutes away from ${new Date().toISOString()}.`
				: error.message;
	return {
		status: code === 'InvalidClientTokenId' ? 403 : error.status,
		body: builder.build({
			'?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
			ErrorResponse: {
				'@_xmlns': STS_XML_NAMESPACE,
				Error: { Type: error.status >= 500 ? 'Receiver' : 'Sender', Code: code, Message: message },
				RequestId: requestId,
			},
		}),
	};
}

/** AWS's UserId of an IAM user is its unique id (AIDA…); derived from the access key so it is stable. */
function userIdOf(accessKeyId: string): string {
	return `AIDA${accessKeyId.replace(/^AKIA/, '').padEnd(17, 'X').slice(0, 17)}`;
}

export function handleSts(
	params: QueryParams,
	identity: { accountId: string; accessKeyId: string },
	requestId: string,
): StsResponse {
	const action = params.string('Action');
	if (!action) throw new Ec2Error('MissingAction', 'Missing Action');
	if (action !== 'GetCallerIdentity') {
		throw new Ec2Error('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
	}
	return {
		status: 200,
		body: builder.build({
			'?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
			GetCallerIdentityResponse: {
				'@_xmlns': STS_XML_NAMESPACE,
				GetCallerIdentityResult: {
					Arn: `arn:aws:iam::${identity.accountId}:user/${SANDBOX_USER_NAME}`,
					UserId: userIdOf(identity.accessKeyId),
					Account: identity.accountId,
				},
				ResponseMetadata: { RequestId: requestId },
			},
		}),
	};
}

/** The service named in the Authorization header's credential scope, before the signature is checked. */
export function scopeServiceOf(authorization: string | undefined): string | undefined {
	return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? '')?.[1];
}
