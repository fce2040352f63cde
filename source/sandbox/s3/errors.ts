/**
 * An error S3 answers with: the code the SDK surfaces as `error.name`, AWS's message, the HTTP status,
 * and the extra elements S3 puts in its `<Error>` document (BucketName, Key, UploadId, Region…).
 */
export class S3Error extends Error {
	readonly code: string;
	readonly status: number;
	readonly details: Record<string, string>;
	readonly headers: Record<string, string>;

	constructor(
		code: string,
		message: string,
		status = 400,
		details: Record<string, string> = {},
		headers: Record<string, string> = {},
	) {
		super(message);
		this.name = 'S3Error';
		this.code = code;
		this.status = status;
		this.details = details;
		this.headers = headers;
	}
}

export const s3Errors = {
	noSuchBucket: (bucket: string) =>
		new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket }),
	noSuchKey: (key: string) =>
		new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key }),
	noSuchUpload: (uploadId: string) =>
		new S3Error(
			'NoSuchUpload',
			'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
			404,
			{ UploadId: uploadId },
		),
	accessDenied: () => new S3Error('AccessDenied', 'Access Denied', 403),
	malformedXml: () =>
		new S3Error(
			'MalformedXML',
			'The XML you provided was not well-formed or did not validate against our published schema',
		),
	invalidArgument: (message: string, name: string, value: string) =>
		new S3Error('InvalidArgument', message, 400, { ArgumentName: name, ArgumentValue: value }),
};
