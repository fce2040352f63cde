import type { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { observeClockSkew } from './client.js';

/**
 * S3 and IAM clients beside the EC2 client, for AMI import: the same region, credentials and
 * endpoint (`--endpoint-url` serves every service, as LocalStack and the built-in sandbox do).
 */

export type ServiceClientOptions = {
	region: string;
	endpoint?: string;
	credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
};

export function createS3Client(options: ServiceClientOptions): S3Client {
	const s3 = new S3Client({
		region: options.region,
		retryMode: 'adaptive',
		maxAttempts: 8,
		// Path-style addressing for any given endpoint: `bucket.127.0.0.1` does not resolve.
		...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
		...(options.credentials ? { credentials: options.credentials } : {}),
		// Parts are signed with their SHA-256 (SigV4 payload hash); no extra CRC checksums that an
		// S3-compatible endpoint may not know, and no per-part checksum to carry into CompleteMultipartUpload.
		requestChecksumCalculation: 'WHEN_REQUIRED',
		responseChecksumValidation: 'WHEN_REQUIRED',
	});
	observeClockSkew(s3);
	recordIamAction(s3, 's3');
	return s3;
}

export function createIamClient(options: ServiceClientOptions): IAMClient {
	const iam = new IAMClient({
		region: options.region,
		retryMode: 'adaptive',
		maxAttempts: 8,
		...(options.endpoint ? { endpoint: options.endpoint } : {}),
		...(options.credentials ? { credentials: options.credentials } : {}),
	});
	observeClockSkew(iam);
	recordIamAction(iam, 'iam');
	return iam;
}

const siblings = new WeakMap<EC2Client, { s3: S3Client; iam: IAMClient }>();

/**
 * S3 and IAM clients with the region, credentials and endpoint of an existing EC2 client (destroy
 * gets only the EC2 client of its backend). Made once per EC2 client.
 */
export async function clientsBeside(ec2: EC2Client): Promise<{ s3: S3Client; iam: IAMClient }> {
	const known = siblings.get(ec2);
	if (known) return known;
	const region = await ec2.config.region();
	let endpoint: string | undefined;
	if (ec2.config.isCustomEndpoint && ec2.config.endpoint) {
		const resolved = await ec2.config.endpoint();
		const port = resolved.port ? `:${resolved.port}` : '';
		endpoint = `${resolved.protocol}//${resolved.hostname}${port}${resolved.path === '/' ? '' : resolved.path}`;
	}
	const options: ServiceClientOptions = {
		region,
		...(endpoint ? { endpoint } : {}),
		credentials: ec2.config.credentials,
	};
	const made = { s3: createS3Client(options), iam: createIamClient(options) };
	siblings.set(ec2, made);
	return made;
}

/** Close the S3 and IAM clients made beside this EC2 client, if any. */
export function destroyClientsBeside(ec2: EC2Client): void {
	const made = siblings.get(ec2);
	if (!made) return;
	made.s3.destroy();
	made.iam.destroy();
	siblings.delete(ec2);
}

/** S3 API operations whose IAM action has another name (multipart parts are PutObject, HeadBucket is ListBucket, …). */
const s3Actions: Record<string, string> = {
	HeadBucket: 'ListBucket',
	CreateMultipartUpload: 'PutObject',
	UploadPart: 'PutObject',
	CompleteMultipartUpload: 'PutObject',
	ListParts: 'ListMultipartUploadParts',
	ListMultipartUploads: 'ListBucketMultipartUploads',
	HeadObject: 'GetObject',
};

/** The IAM action an S3 or IAM operation needs, e.g. `s3:PutObject` for UploadPart. */
export function iamActionFor(service: 's3' | 'iam', operation: string): string {
	return `${service}:${service === 's3' ? (s3Actions[operation] ?? operation) : operation}`;
}

const failedActions = new WeakMap<object, string>();

/** The IAM action of the S3 or IAM call an error came from (for "the credentials lack s3:PutObject"). */
export function iamActionOfError(error: unknown): string | undefined {
	return typeof error === 'object' && error !== null ? failedActions.get(error) : undefined;
}

type RecordingClient = {
	middlewareStack: {
		add: (
			middleware: (
				next: (args: unknown) => Promise<unknown>,
				context: { commandName?: string },
			) => (args: unknown) => Promise<unknown>,
			options: { step: 'initialize'; priority: 'high'; name: string },
		) => void;
	};
};

function recordIamAction(client: object, service: 's3' | 'iam'): void {
	(client as RecordingClient).middlewareStack.add(
		(next, context) => async (args) => {
			try {
				return await next(args);
			} catch (error) {
				if (typeof error === 'object' && error !== null && !failedActions.has(error)) {
					failedActions.set(
						error,
						iamActionFor(service, (context.commandName ?? 'Unknown').replace(/Command$/, '')),
					);
				}
				throw error;
			}
		},
		{ step: 'initialize', priority: 'high', name: 'kakehashiIamActionRecorder' },
	);
}
