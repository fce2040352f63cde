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
