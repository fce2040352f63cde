// The SDK names IAM's modeled errors by their exception shape: code NoSuchEntity → NoSuchEntityException.
import {
	CreateRoleCommand,
	DeleteRoleCommand,
	DeleteRolePolicyCommand,
	GetRoleCommand,
	GetRolePolicyCommand,
	IAMClient,
	ListRolePoliciesCommand,
	PutRolePolicyCommand,
	UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { XMLParser } from 'fast-xml-parser';
import { expect, onTestFinished, test } from 'vitest';
import type { Ec2SandboxOptions } from '../../source/sandbox/ec2/index.js';
import { expectAwsError, sandboxClientConfig, startTestSandbox } from './harness.js';

const TRUST = JSON.stringify({
	Version: '2012-10-17',
	Statement: [
		{
			Effect: 'Allow',
			Principal: { Service: 'vmie.amazonaws.com' },
			Action: 'sts:AssumeRole',
			Condition: { StringEquals: { 'sts:Externalid': 'vmimport' } },
		},
	],
});

const BUCKET_POLICY = JSON.stringify({
	Version: '2012-10-17',
	Statement: [
		{
			Effect: 'Allow',
			Action: ['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket'],
			Resource: ['arn:aws:s3:::vaa.upload', 'arn:aws:s3:::vaa.upload/*'],
		},
	],
});

async function iamSandbox(options: Ec2SandboxOptions = {}) {
	const sandbox = await startTestSandbox(options);
	const iam = new IAMClient(sandboxClientConfig(sandbox.endpoint, 'us-east-1'));
	onTestFinished(() => iam.destroy());
	return { sandbox, iam };
}

test('the vmimport role: create, read back, inline policy, delete in the order IAM demands', async () => {
	const { sandbox, iam } = await iamSandbox({ accountId: '210987654321' });
	const created = await iam.send(
		new CreateRoleCommand({
			RoleName: 'vmimport',
			AssumeRolePolicyDocument: TRUST,
			Description: 'VM Import',
		}),
	);
	expect(created.Role?.Arn).toBe('arn:aws:iam::210987654321:role/vmimport');
	expect(created.Role?.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
	const read = await iam.send(new GetRoleCommand({ RoleName: 'vmimport' }));
	// IAM returns policy documents URL-encoded
	expect(JSON.parse(decodeURIComponent(read.Role?.AssumeRolePolicyDocument ?? ''))).toEqual(
		JSON.parse(TRUST),
	);
	expect(read.Role?.Description).toBe('VM Import');
	await expectAwsError(
		iam.send(new CreateRoleCommand({ RoleName: 'VMIMPORT', AssumeRolePolicyDocument: TRUST })),
		'EntityAlreadyExistsException',
		409,
	);
	await iam.send(
		new PutRolePolicyCommand({ RoleName: 'vmimport', PolicyName: 'vmimport', PolicyDocument: BUCKET_POLICY }),
	);
	const policy = await iam.send(new GetRolePolicyCommand({ RoleName: 'vmimport', PolicyName: 'vmimport' }));
	expect(JSON.parse(decodeURIComponent(policy.PolicyDocument ?? ''))).toEqual(JSON.parse(BUCKET_POLICY));
	expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'vmimport' }))).PolicyNames).toEqual([
		'vmimport',
	]);
	const conflict = await expectAwsError(
		iam.send(new DeleteRoleCommand({ RoleName: 'vmimport' })),
		'DeleteConflictException',
		409,
	);
	expect(conflict.message).toContain('must delete policies first');
	await iam.send(new DeleteRolePolicyCommand({ RoleName: 'vmimport', PolicyName: 'vmimport' }));
	await iam.send(new DeleteRoleCommand({ RoleName: 'vmimport' }));
	const gone = await expectAwsError(
		iam.send(new GetRoleCommand({ RoleName: 'vmimport' })),
		'NoSuchEntityException',
		404,
	);
	expect(gone.message).toBe('The role with name vmimport cannot be found.');
	expect(sandbox.actionsSeen()).toEqual([
		'iam:CreateRole',
		'iam:GetRole',
		'iam:PutRolePolicy',
		'iam:GetRolePolicy',
		'iam:ListRolePolicies',
		'iam:DeleteRole',
		'iam:DeleteRolePolicy',
	]);
});

test('bad input: malformed policy documents, unknown roles and policies, invalid names', async () => {
	const { iam } = await iamSandbox();
	await expectAwsError(
		iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: '{not json' })),
		'MalformedPolicyDocumentException',
		400,
	);
	await expectAwsError(
		iam.send(
			new CreateRoleCommand({
				RoleName: 'r',
				AssumeRolePolicyDocument: JSON.stringify({
					Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }],
				}),
			}),
		),
		'MalformedPolicyDocumentException',
		400,
	);
	await expectAwsError(
		iam.send(new CreateRoleCommand({ RoleName: 'bad name!', AssumeRolePolicyDocument: TRUST })),
		'ValidationError',
		400,
	);
	await expectAwsError(
		iam.send(
			new PutRolePolicyCommand({ RoleName: 'nobody', PolicyName: 'p', PolicyDocument: BUCKET_POLICY }),
		),
		'NoSuchEntityException',
		404,
	);
	await iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: TRUST }));
	await expectAwsError(
		iam.send(new GetRolePolicyCommand({ RoleName: 'r', PolicyName: 'missing' })),
		'NoSuchEntityException',
		404,
	);
	await expectAwsError(
		iam.send(new DeleteRolePolicyCommand({ RoleName: 'r', PolicyName: 'missing' })),
		'NoSuchEntityException',
		404,
	);
	const other = JSON.stringify({
		Version: '2012-10-17',
		Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
	});
	await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'r', PolicyDocument: other }));
	const read = await iam.send(new GetRoleCommand({ RoleName: 'r' }));
	expect(decodeURIComponent(read.Role?.AssumeRolePolicyDocument ?? '')).toBe(other);
});

test('roles persist across restarts; unsigned IAM calls are refused', async () => {
	const { mkdtempSync, rmSync } = await import('node:fs');
	const { tmpdir } = await import('node:os');
	const { join } = await import('node:path');
	const dir = mkdtempSync(join(tmpdir(), 'kakehashi-iam-test-'));
	onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
	{
		const { sandbox, iam } = await iamSandbox({ stateFile: join(dir, 'ec2.json') });
		await iam.send(new CreateRoleCommand({ RoleName: 'vmimport', AssumeRolePolicyDocument: TRUST }));
		await sandbox.close();
	}
	const { sandbox, iam } = await iamSandbox({ stateFile: join(dir, 'ec2.json') });
	expect((await iam.send(new GetRoleCommand({ RoleName: 'vmimport' }))).Role?.RoleName).toBe('vmimport');
	const unsigned = await fetch(sandbox.endpoint, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: 'Action=GetRole&Version=2010-05-08&RoleName=vmimport',
	});
	expect(unsigned.status).toBeGreaterThanOrEqual(400);
	expect(JSON.stringify(new XMLParser().parse(await unsigned.text()))).not.toContain('vmimport');
});
