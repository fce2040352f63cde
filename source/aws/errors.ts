/** What an AWS failure was, in the terms a user and a support ticket need. */
export type AwsErrorDescription = {
	/** AWS's error code, e.g. `UnauthorizedOperation`, `InvalidVpcID.NotFound`, `DependencyViolation`. */
	code: string;
	requestId?: string;
	httpStatus?: number;
	message: string;
	/** The IAM action the caller lacks, e.g. `ec2:CreateVpc`, when the code says permission was denied. */
	action?: string;
	/** The EC2 action that failed, e.g. `CreateVpc`, when known. */
	operation?: string;
};

const operations = new WeakMap<object, string>();

/** Called by the client's middleware: which EC2 action an error came from. */
export function rememberOperation(error: unknown, operation: string): void {
	if (typeof error === 'object' && error !== null && !operations.has(error)) operations.set(error, operation);
}

export function operationOf(error: unknown): string | undefined {
	return typeof error === 'object' && error !== null ? operations.get(error) : undefined;
}

type SdkErrorShape = {
	name?: string;
	Code?: string;
	code?: string;
	message?: string;
	$metadata?: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string };
	$response?: { statusCode?: number };
};

const permissionCodes = new Set([
	'UnauthorizedOperation',
	'AccessDenied',
	'AccessDeniedException',
	'Client.UnauthorizedOperation',
]);

/** `ec2:CreateVpc` for a permission error of CreateVpc; undefined for any other error. */
export function missingIamAction(code: string, operation: string | undefined): string | undefined {
	if (!operation || !permissionCodes.has(code)) return undefined;
	return `ec2:${operation.replace(/Command$/, '')}`;
}

export function errorCodeOf(error: unknown): string {
	if (typeof error !== 'object' || error === null) return 'Unknown';
	const shape = error as SdkErrorShape;
	// Node's network errors are plain `Error`s whose `code` says what happened (ECONNREFUSED, …).
	if ((shape.name === 'Error' || shape.name === undefined) && typeof shape.code === 'string')
		return shape.code;
	return shape.Code ?? shape.name ?? shape.code ?? 'Unknown';
}

/** Turn any error from an EC2 call into its code, request id, HTTP status and missing IAM action. */
export function describeAwsError(error: unknown, operation?: string): AwsErrorDescription {
	if (typeof error !== 'object' || error === null) {
		return { code: 'Unknown', message: String(error) };
	}
	const shape = error as SdkErrorShape;
	const code = errorCodeOf(error);
	const op = operation ?? operationOf(error);
	const description: AwsErrorDescription = { code, message: shape.message || code };
	const requestId = shape.$metadata?.requestId;
	if (requestId) description.requestId = requestId;
	const httpStatus = shape.$metadata?.httpStatusCode ?? shape.$response?.statusCode;
	if (httpStatus !== undefined) description.httpStatus = httpStatus;
	if (op) description.operation = op;
	const action = missingIamAction(code, op);
	if (action) description.action = action;
	return description;
}

/** True for the `….NotFound` family (`InvalidVpcID.NotFound`, `InvalidKeyPair.NotFound`, …). */
export function isNotFound(error: unknown): boolean {
	return errorCodeOf(error).endsWith('.NotFound');
}

export function hasCode(error: unknown, ...codes: string[]): boolean {
	return codes.includes(errorCodeOf(error));
}

/** Codes AWS (and compatible endpoints) use when the caller is not allowed to do something. */
const authCodes = new Set([
	'AuthFailure',
	'InvalidClientTokenId',
	'SignatureDoesNotMatch',
	'IncompleteSignature',
]);
const clockCodes = new Set(['RequestExpired', 'RequestTimeTooSkewed', 'RequestInTheFuture']);
const expiredCredentialCodes = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired']);
const throttlingCodes = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException']);
const networkCodes = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'ECONNRESET',
	'ETIMEDOUT',
	'TimeoutError',
	'EAI_AGAIN',
]);

/** True for codes that mean "slow down": the SDK's adaptive retry absorbs them. */
export function isThrottlingCode(code: string): boolean {
	return throttlingCodes.has(code);
}

/**
 * Which explanation the catalogs hold for an AWS error code (`awsError.<key>`), and the values it
 * quotes. Undefined for codes whose message from AWS says enough on its own.
 */
export type AwsErrorExplanation = { key: string; vars: Record<string, string | number> };

export function explainAwsError(
	description: AwsErrorDescription,
	context: { clockSkewMs?: number; endpoint?: string } = {},
): AwsErrorExplanation | undefined {
	const { code } = description;
	if (permissionCodes.has(code)) {
		return description.action
			? { key: 'unauthorized', vars: { iamAction: description.action } }
			: { key: 'unauthorizedUnknown', vars: {} };
	}
	// STS words an expired request as a signature error: "Signature expired: … is now earlier than …"
	const expiredSignature = code === 'SignatureDoesNotMatch' && /signature expired/i.test(description.message);
	if (authCodes.has(code) && !expiredSignature) return { key: 'authFailure', vars: {} };
	if (clockCodes.has(code) || expiredSignature) {
		const skew = context.clockSkewMs;
		return skew !== undefined && Math.abs(skew) >= 1000
			? { key: 'clockSkewMeasured', vars: { seconds: Math.round(Math.abs(skew) / 1000) } }
			: { key: 'clockSkew', vars: {} };
	}
	if (expiredCredentialCodes.has(code)) return { key: 'expiredToken', vars: {} };
	if (throttlingCodes.has(code)) return { key: 'throttled', vars: {} };
	if (networkCodes.has(code)) return { key: 'network', vars: { endpoint: context.endpoint ?? 'AWS' } };
	if (code.startsWith('InvalidAMIID.')) return { key: 'noAmi', vars: {} };
	const simple: Record<string, string> = {
		InvalidParameterValue: 'invalidParameterValue',
		InvalidParameterCombination: 'invalidParameterValue',
		VpcLimitExceeded: 'vpcLimit',
		AddressLimitExceeded: 'addressLimit',
		InternetGatewayLimitExceeded: 'igwLimit',
		SecurityGroupLimitExceeded: 'sgLimit',
		RulesPerSecurityGroupLimitExceeded: 'rulesLimit',
		InstanceLimitExceeded: 'instanceLimit',
		VcpuLimitExceeded: 'instanceLimit',
		InsufficientInstanceCapacity: 'capacity',
		Unsupported: 'unsupported',
		OptInRequired: 'optIn',
		DependencyViolation: 'dependency',
		'InvalidGroup.InUse': 'dependency',
		'InvalidKeyPair.Duplicate': 'keyPairDuplicate',
		'InvalidGroup.Duplicate': 'groupDuplicate',
		IdempotentParameterMismatch: 'idempotentMismatch',
		WaitTimeoutError: 'waitTimeout',
		DuplicateStackResourceError: 'duplicateStackResource',
		CredentialsProviderError: 'noCredentials',
		InternalError: 'internal',
		ServiceUnavailable: 'internal',
		Unavailable: 'internal',
	};
	const key = simple[code];
	return key ? { key, vars: { message: description.message } } : undefined;
}
