import { describe, expect, it } from 'vitest';
import { describeAwsError, explainAwsError } from '../../source/aws/errors.js';
import { createTranslator, type MessageKey } from '../../source/i18n/index.js';

const en = createTranslator('en');
const ja = createTranslator('ja');

function explained(code: string, extra: { operation?: string; clockSkewMs?: number } = {}) {
	const error = Object.assign(new Error(`${code} from AWS`), {
		name: code,
		$metadata: { httpStatusCode: 400, requestId: 'req-1' },
	});
	const description = describeAwsError(error, extra.operation);
	const explanation = explainAwsError(
		description,
		extra.clockSkewMs !== undefined ? { clockSkewMs: extra.clockSkewMs } : {},
	);
	if (!explanation) return undefined;
	const key = `awsError.${explanation.key}` as MessageKey;
	return { key: explanation.key, en: en(key, explanation.vars), ja: ja(key, explanation.vars) };
}

describe('explainAwsError: a human explanation per common code, in en and ja', () => {
	it.each([
		['UnauthorizedOperation', 'unauthorized'],
		['AuthFailure', 'authFailure'],
		['InvalidClientTokenId', 'authFailure'],
		['SignatureDoesNotMatch', 'authFailure'],
		['RequestExpired', 'clockSkew'],
		['RequestTimeTooSkewed', 'clockSkew'],
		['ExpiredToken', 'expiredToken'],
		['RequestLimitExceeded', 'throttled'],
		['InvalidParameterValue', 'invalidParameterValue'],
		['VpcLimitExceeded', 'vpcLimit'],
		['AddressLimitExceeded', 'addressLimit'],
		['InstanceLimitExceeded', 'instanceLimit'],
		['InsufficientInstanceCapacity', 'capacity'],
		['InvalidAMIID.NotFound', 'noAmi'],
		['InvalidAMIID.Malformed', 'noAmi'],
		['Unsupported', 'unsupported'],
		['OptInRequired', 'optIn'],
		['DependencyViolation', 'dependency'],
		['InvalidKeyPair.Duplicate', 'keyPairDuplicate'],
		['WaitTimeoutError', 'waitTimeout'],
		['InternalError', 'internal'],
	])('%s → %s', (code, key) => {
		const text = explained(code, { operation: 'CreateVpc' });
		expect(text?.key).toBe(key);
		for (const message of [text!.en, text!.ja]) {
			expect(message).not.toMatch(/\{\w+\}/);
			expect(message.length).toBeGreaterThan(20);
		}
		expect(text!.ja).not.toBe(text!.en);
	});

	it('names the missing IAM action for UnauthorizedOperation', () => {
		const text = explained('UnauthorizedOperation', { operation: 'CreateVpc' });
		expect(text?.en).toContain('ec2:CreateVpc');
		expect(text?.ja).toContain('ec2:CreateVpc');
	});

	it('says how far off the clock is when it was measured', () => {
		const text = explained('RequestExpired', { clockSkewMs: -1_000_000 });
		expect(text?.key).toBe('clockSkewMeasured');
		expect(text?.en).toContain('1000 s');
		expect(text?.ja).toContain('1000 秒');
	});

	it('reads STS’s "Signature expired" as clock skew, not as bad keys', () => {
		const error = Object.assign(
			new Error('Signature expired: 20261123T080000Z is now earlier than 20261123T081500Z'),
			{
				name: 'SignatureDoesNotMatch',
			},
		);
		expect(explainAwsError(describeAwsError(error))?.key).toBe('clockSkew');
	});

	it('says "no AMI: import one first or give instance.ami"', () => {
		const text = explained('InvalidAMIID.NotFound');
		expect(text?.en).toMatch(/import one first.*instance\.ami/);
		expect(text?.ja).toContain('instance.ami');
	});

	it('explains a refused connection (network errors keep their code)', () => {
		const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
		const description = describeAwsError(error);
		expect(description.code).toBe('ECONNREFUSED');
		expect(explainAwsError(description, { endpoint: 'http://127.0.0.1:1' })?.vars.endpoint).toBe(
			'http://127.0.0.1:1',
		);
	});

	it('leaves codes whose own message is enough', () => {
		expect(explained('InvalidVpcID.NotFound')).toBeUndefined();
	});
});
