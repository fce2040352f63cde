import { CreateSecurityGroupCommand, CreateVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetryNotice } from '../../source/aws/client.js';
import { describeAwsError, missingIamAction } from '../../source/aws/errors.js';
import { type Sandbox, startSandbox } from './sandbox-harness.js';

let sandbox: Sandbox;
let makeClient: Awaited<ReturnType<typeof startSandbox>>['client'];

beforeAll(async () => {
	({ sandbox, client: makeClient } = await startSandbox());
});

afterAll(async () => {
	await sandbox?.close();
});

describe('missingIamAction', () => {
	it('names the IAM action for permission errors only', () => {
		expect(missingIamAction('UnauthorizedOperation', 'CreateVpc')).toBe('ec2:CreateVpc');
		expect(missingIamAction('UnauthorizedOperation', 'CreateVpcCommand')).toBe('ec2:CreateVpc');
		expect(missingIamAction('InvalidVpcID.NotFound', 'DescribeVpcs')).toBeUndefined();
		expect(missingIamAction('UnauthorizedOperation', undefined)).toBeUndefined();
	});
});

describe('createEc2Client', () => {
	it('completes under throttling with adaptive retry and reports each retry', async () => {
		const notices: RetryNotice[] = [];
		const ec2 = makeClient((notice) => notices.push(notice));
		sandbox.setFaults({ throttleRate: 0.3 });
		try {
			for (let i = 0; i < 30; i++) {
				const output = await ec2.send(new DescribeVpcsCommand({}));
				expect(output.$metadata.httpStatusCode).toBe(200);
			}
		} finally {
			sandbox.setFaults({});
		}
		expect(notices.length).toBeGreaterThan(0);
		for (const notice of notices) {
			expect(notice.action).toBe('DescribeVpcs');
			expect(notice.attempt).toBeGreaterThanOrEqual(2);
			expect(notice.errorCode).not.toBe('Unknown');
		}
	});

	it('describes a denied action with its code, request id, status and missing IAM action', async () => {
		const ec2 = makeClient();
		const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
		sandbox.setFaults({
			failAction: { action: 'CreateSecurityGroup', code: 'UnauthorizedOperation', status: 403 },
		});
		let caught: unknown;
		try {
			await ec2.send(
				new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x', VpcId: vpc.Vpc!.VpcId! }),
			);
		} catch (error) {
			caught = error;
		} finally {
			sandbox.setFaults({});
		}
		const description = describeAwsError(caught);
		expect(description.code).toBe('UnauthorizedOperation');
		expect(description.httpStatus).toBe(403);
		expect(description.requestId).toBeTruthy();
		expect(description.action).toBe('ec2:CreateSecurityGroup');
		expect(description.operation).toBe('CreateSecurityGroup');
		expect(description.message.length).toBeGreaterThan(0);
	});
});
