/**
 * AWS API operations → the IAM actions that authorise them. For EC2 and IAM the action is the
 * operation's own name; S3 names its actions differently (a multipart upload is authorised as
 * s3:PutObject, HeadBucket as s3:ListBucket); STS GetCallerIdentity needs no permission at all.
 * An operation missing here stops the generator with a message saying to add it (never a guess).
 */

/** The IAM service prefix of each @aws-sdk/client-* package kakehashi uses. */
export const servicePrefix: Record<string, string> = {
	ec2: 'ec2',
	iam: 'iam',
	s3: 's3',
	sts: 'sts',
};

/**
 * S3 operation → IAM action (AWS: "Amazon S3 actions" / "Policy actions for Amazon S3 API operations").
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload and ListParts are all s3:PutObject (ListParts
 * is s3:ListMultipartUploadParts); HeadObject is s3:GetObject; HeadBucket and ListObjectsV2 are s3:ListBucket.
 */
export const s3Actions: Record<string, string> = {
	AbortMultipartUpload: 's3:AbortMultipartUpload',
	CompleteMultipartUpload: 's3:PutObject',
	CreateBucket: 's3:CreateBucket',
	CreateMultipartUpload: 's3:PutObject',
	DeleteBucket: 's3:DeleteBucket',
	DeleteObject: 's3:DeleteObject',
	GetBucketLocation: 's3:GetBucketLocation',
	GetObject: 's3:GetObject',
	HeadBucket: 's3:ListBucket',
	HeadObject: 's3:GetObject',
	ListBuckets: 's3:ListAllMyBuckets',
	ListMultipartUploads: 's3:ListBucketMultipartUploads',
	ListObjects: 's3:ListBucket',
	ListObjectsV2: 's3:ListBucket',
	ListParts: 's3:ListMultipartUploadParts',
	PutBucketTagging: 's3:PutBucketTagging',
	PutObject: 's3:PutObject',
	PutObjectTagging: 's3:PutObjectTagging',
	PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
	UploadPart: 's3:PutObject',
};

/**
 * Operations AWS authorises without any IAM permission. STS GetCallerIdentity: "No permissions are
 * required to perform this operation" (STS API reference); an explicit Deny cannot even block it.
 */
export const noPermissionNeeded: readonly string[] = ['sts:GetCallerIdentity'];

export class UnknownOperationError extends Error {
	constructor(service: string, operation: string, where: string) {
		super(
			`${where}: ${service} ${operation} has no IAM action in scripts/policy/iam-actions.ts: ` +
				'look it up in the Service Authorization Reference and add it',
		);
		this.name = 'UnknownOperationError';
	}
}

/** The IAM action for one operation of one client package (`ec2`, `s3`, …), or undefined when none is needed. */
export function iamActionFor(service: string, operation: string, where = 'policy'): string | undefined {
	const prefix = servicePrefix[service];
	if (!prefix) throw new UnknownOperationError(service, operation, where);
	const plain = `${prefix}:${operation}`;
	if (noPermissionNeeded.includes(plain)) return undefined;
	if (service === 's3') {
		const action = s3Actions[operation];
		if (!action) throw new UnknownOperationError(service, operation, where);
		return action;
	}
	return plain;
}
