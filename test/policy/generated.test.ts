import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzePolicies, impliedBy, PolicyConfigError } from '../../scripts/policy/analyze.js';
import { checkedInText, generatedText } from '../../scripts/policy/generate.js';
import { iamActionFor, UnknownOperationError } from '../../scripts/policy/iam-actions.js';
import { actionsOf, buildPolicyDocument, type PolicyEntry } from '../../source/policy/document.js';
import { generatedPolicies } from '../../source/policy/generated.js';
import { root } from './sandbox-run.js';

describe('source/policy/generated.ts', () => {
	it('is what the code calls now (else: node --import tsx scripts/policy/generate.ts)', () => {
		expect(generatedText() === checkedInText(), 'source/policy/generated.ts is stale').toBe(true);
	}, 600_000);

	it('holds every flow, alone and with the image import, and no wildcard', () => {
		for (const flow of ['single-appliance', 'single-aws-vpn', 'multi-tenant']) {
			for (const key of [flow, `${flow}+image-import`]) {
				const entry = generatedPolicies[key];
				expect(entry, key).toBeDefined();
				const actions = actionsOf(buildPolicyDocument(entry as PolicyEntry));
				expect(actions.filter((action) => action.includes('*'))).toEqual([]);
				expect(actions.every((action) => /^[a-z0-9]+:[A-Za-z0-9]+$/.test(action))).toBe(true);
				// IAM counts a managed policy's size without whitespace, at most 6,144 characters
				expect(JSON.stringify(buildPolicyDocument(entry as PolicyEntry)).length, key).toBeLessThanOrEqual(
					6144,
				);
			}
		}
		const vpnish = (action: string) => /Vpn|CustomerGateway|Vgw/.test(action);
		expect(Object.keys(generatedPolicies['single-appliance']?.calls ?? {}).filter(vpnish)).toEqual([]);
		expect(Object.keys(generatedPolicies['multi-tenant']?.calls ?? {}).filter(vpnish)).toEqual([]);
		expect(Object.keys(generatedPolicies['single-aws-vpn']?.calls ?? {})).toContain(
			'ec2:CreateVpnConnection',
		);
	});
});

describe('IAM action names', () => {
	it.each([
		['ec2', 'DescribeVpcs', 'ec2:DescribeVpcs'],
		['iam', 'PutRolePolicy', 'iam:PutRolePolicy'],
		['s3', 'CreateMultipartUpload', 's3:PutObject'],
		['s3', 'UploadPart', 's3:PutObject'],
		['s3', 'CompleteMultipartUpload', 's3:PutObject'],
		['s3', 'ListParts', 's3:ListMultipartUploadParts'],
		['s3', 'AbortMultipartUpload', 's3:AbortMultipartUpload'],
		['s3', 'HeadBucket', 's3:ListBucket'],
		['s3', 'HeadObject', 's3:GetObject'],
		['s3', 'ListObjectsV2', 's3:ListBucket'],
		['s3', 'ListMultipartUploads', 's3:ListBucketMultipartUploads'],
		['s3', 'DeleteObject', 's3:DeleteObject'],
		['s3', 'CreateBucket', 's3:CreateBucket'],
		['sts', 'GetCallerIdentity', undefined],
	])('%s %s → %s', (service, operation, action) => {
		expect(iamActionFor(service, operation)).toBe(action);
	});

	it('refuses to guess: an S3 operation or a client it does not know', () => {
		expect(() => iamActionFor('s3', 'SelectObjectContent', 'x.ts:1')).toThrow(UnknownOperationError);
		expect(() => iamActionFor('s3', 'SelectObjectContent', 'x.ts:1')).toThrow(
			/x\.ts:1: s3 SelectObjectContent/,
		);
		expect(() => iamActionFor('lambda', 'Invoke')).toThrow(UnknownOperationError);
	});
});

describe('permissions AWS checks beyond the call', () => {
	const call = (service: string, operation: string, props: string[] = [], strings: [string, string][] = []) =>
		impliedBy({ service, operation, inputProps: new Set(props), inputStrings: new Map(strings) }).map(
			({ action, resource }) => `${action} ${resource}`,
		);
	it.each([
		[call('ec2', 'CreateVpc', ['CidrBlock', 'TagSpecifications']), ['ec2:CreateTags *']],
		[call('ec2', 'CreateVpc', ['CidrBlock']), []],
		[call('ec2', 'ImportSnapshot', ['DiskContainer']), ['iam:PassRole arn:aws:iam::*:role/vmimport']],
		[
			call('ec2', 'ImportSnapshot', ['DiskContainer', 'RoleName'], [['RoleName', 'my-import']]),
			['iam:PassRole arn:aws:iam::*:role/my-import'],
		],
		[call('ec2', 'ImportSnapshot', ['RoleName']), ['iam:PassRole *']],
		[call('iam', 'CreateRole', ['RoleName', 'Tags']), ['iam:TagRole *']],
		[call('s3', 'CreateMultipartUpload', ['Bucket', 'Tagging']), ['s3:PutObjectTagging *']],
		[call('s3', 'UploadPart', ['Bucket']), []],
	])('%j ← %j', (found, expected) => {
		expect(found).toEqual(expected);
	});
});

describe('the policy document', () => {
	const entry: PolicyEntry = {
		calls: {
			'ec2:DescribeVpcs': ['a.ts#f'],
			'ec2:CreateVpc': ['a.ts#g'],
			's3:PutObject': ['b.ts#h'],
		},
		implied: {
			'ec2:CreateTags': { reason: 'tag on create', resource: '*', sources: ['a.ts#g'] },
			'iam:PassRole': {
				reason: 'import role',
				resource: 'arn:aws:iam::*:role/vmimport',
				sources: ['c.ts#i'],
			},
		},
	};

	it('groups actions per service, read and write, Resource * except what can be narrowed', () => {
		expect(buildPolicyDocument(entry)).toEqual({
			Version: '2012-10-17',
			Statement: [
				{ Sid: 'KakehashiEc2Read', Effect: 'Allow', Action: ['ec2:DescribeVpcs'], Resource: '*' },
				{
					Sid: 'KakehashiEc2Write',
					Effect: 'Allow',
					Action: ['ec2:CreateTags', 'ec2:CreateVpc'],
					Resource: '*',
				},
				{ Sid: 'KakehashiS3Write', Effect: 'Allow', Action: ['s3:PutObject'], Resource: '*' },
				{
					Sid: 'KakehashiIamScoped1',
					Effect: 'Allow',
					Action: ['iam:PassRole'],
					Resource: 'arn:aws:iam::*:role/vmimport',
				},
			],
		});
	});

	it('never carries a wildcard action', () => {
		expect(() => buildPolicyDocument({ calls: { 'ec2:*': ['x'] }, implied: {} })).toThrow(/wildcard/);
	});
});

/**
 * The analyzer on a small project of its own: the walk follows calls, closures and step objects in
 * lists; waiters, paginators and lib-storage's Upload count by the commands the SDK sends for them;
 * gated code stays out of other flows; unreachable code counts nowhere.
 */
describe('the analyzer', () => {
	let project: string;

	beforeAll(async () => {
		project = await mkdtemp(join(tmpdir(), 'kakehashi-policy-analyzer-'));
		const tsconfig = JSON.parse(await readFile(join(root, 'tsconfig.json'), 'utf8')) as {
			compilerOptions: object;
		};
		await writeFile(
			join(project, 'tsconfig.json'),
			JSON.stringify({ compilerOptions: tsconfig.compilerOptions, include: ['source'] }),
		);
		await symlink(join(root, 'node_modules'), join(project, 'node_modules'));
		const files: Record<string, string> = {
			'source/aws/vpc.ts': `
import { CreateVpcCommand, DeleteVpcCommand, DescribeSubnetsCommand, type EC2Client, paginateDescribeVpcs, waitUntilInstanceRunning } from '@aws-sdk/client-ec2';
export async function createVpc(ec2: EC2Client) {
	await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: [] }));
}
export async function listVpcs(ec2: EC2Client) {
	for await (const page of paginateDescribeVpcs({ client: ec2 }, {})) void page;
}
export async function waitRunning(ec2: EC2Client) {
	await waitUntilInstanceRunning({ client: ec2, maxWaitTime: 60 }, { InstanceIds: ['i-1'] });
}
const probes = { subnets: DescribeSubnetsCommand };
export async function probe(ec2: EC2Client) {
	await ec2.send(new probes.subnets({}));
}
export async function neverUsed(ec2: EC2Client) {
	await ec2.send(new DeleteVpcCommand({ VpcId: 'vpc-1' }));
}
`,
			'source/aws/vpn.ts': `
import { CreateVpnGatewayCommand, type EC2Client, ImportSnapshotCommand } from '@aws-sdk/client-ec2';
export const createGateway = (ec2: EC2Client) => ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }));
export const importDisk = (ec2: EC2Client) => ec2.send(new ImportSnapshotCommand({}));
`,
			'source/aws/upload.ts': `
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
export async function upload(body: Buffer) {
	await new Upload({ client: new S3Client({}), params: { Bucket: 'b', Key: 'k', Body: body } }).done();
}
`,
			'source/flow/steps.ts': `
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createVpc, listVpcs, probe, waitRunning } from '../aws/vpc.js';
import { createGateway } from '../aws/vpn.js';
type Step = { run: (ec2: EC2Client) => Promise<unknown> };
const vpcStep: Step = { run: async (ec2) => { await createVpc(ec2); await waitRunning(ec2); await probe(ec2); } };
const vpnStep: Step = { run: (ec2) => createGateway(ec2) };
export const networkSteps: Step[] = [vpcStep];
export const vpnSteps: Step[] = [vpnStep];
export function stepsFor(flow: string): Step[] {
	return flow === 'single-aws-vpn' ? [...networkSteps, ...vpnSteps] : networkSteps;
}
export async function show(ec2: EC2Client) {
	const later = async () => listVpcs(ec2);
	return later;
}
`,
			'source/commands/apply.ts': `
import type { EC2Client } from '@aws-sdk/client-ec2';
import { show, stepsFor } from '../flow/steps.js';
export async function applyCommand(ec2: EC2Client, flow: string) {
	for (const step of stepsFor(flow)) await step.run(ec2);
	await show(ec2);
}
`,
			'source/commands/image.ts': `
import type { EC2Client } from '@aws-sdk/client-ec2';
import { upload } from '../aws/upload.js';
import { importDisk } from '../aws/vpn.js';
export async function imageCommand(ec2: EC2Client) {
	await upload(Buffer.alloc(1));
	await importDisk(ec2);
}
`,
		};
		for (const [file, text] of Object.entries(files)) {
			await mkdir(dirname(join(project, file)), { recursive: true });
			await writeFile(join(project, file), text);
		}
	});

	afterAll(async () => {
		await rm(project, { recursive: true, force: true });
	});

	const analyze = (
		gates = [{ code: 'source/flow/steps.ts#vpnStep', flows: ['single-aws-vpn' as const], why: 'x' }],
	) =>
		analyzePolicies({
			root: project,
			commonRoots: ['source/commands/apply.ts#applyCommand'],
			featureRoots: { 'image-import': ['source/commands/image.ts#imageCommand'] },
			gates,
		});

	it('finds commands, waiters, paginators and Upload; keeps gated code to its flow; ignores unreachable code', () => {
		const policies = analyze();
		const single = policies['single-appliance'];
		expect(Object.keys(single?.calls ?? {})).toEqual([
			'ec2:CreateVpc',
			'ec2:DescribeInstances', // waitUntilInstanceRunning sends DescribeInstances (read from the SDK)
			'ec2:DescribeSubnets', // a command class kept in a table, constructed from there
			'ec2:DescribeVpcs', // paginateDescribeVpcs
		]);
		expect(single?.calls['ec2:CreateVpc']).toEqual(['source/aws/vpc.ts#createVpc']);
		expect(Object.keys(single?.implied ?? {})).toEqual(['ec2:CreateTags']);
		expect(Object.keys(policies['single-aws-vpn']?.calls ?? {})).toContain('ec2:CreateVpnGateway');
		expect(Object.keys(policies['multi-tenant']?.calls ?? {})).not.toContain('ec2:CreateVpnGateway');
		const withImport = policies['single-appliance+image-import'];
		expect(Object.keys(withImport?.calls ?? {})).toEqual([
			'ec2:CreateVpc',
			'ec2:DescribeInstances',
			'ec2:DescribeSubnets',
			'ec2:DescribeVpcs',
			'ec2:ImportSnapshot',
			's3:AbortMultipartUpload',
			's3:PutObject', // PutObject, CreateMultipartUpload, UploadPart, CompleteMultipartUpload
		]);
		// Upload sends PutObjectTagging only when given tags; these params have none
		expect(withImport?.calls['s3:PutObjectTagging']).toBeUndefined();
		expect(withImport?.implied['iam:PassRole']?.resource).toBe('arn:aws:iam::*:role/vmimport');
	}, 300_000);

	it('says so when config.ts names code that does not exist', () => {
		expect(() =>
			analyze([{ code: 'source/flow/steps.ts#noSuchStep', flows: ['single-aws-vpn'], why: 'x' }]),
		).toThrow(PolicyConfigError);
	}, 300_000);
});
