import { describe, expect, it } from 'vitest';
import {
	partitionOf,
	trustsVmImport,
	vmimportPolicyName,
	vmimportRolePolicy,
	vmimportTrustPolicy,
} from '../../source/aws/iam-role.js';
import { importFailureHint, importTaskState } from '../../source/aws/image-import.js';
import { bucketNameCandidates, bucketNameProblem, defaultBucketName } from '../../source/aws/s3-bucket.js';
import {
	MAX_PARTS,
	missingParts,
	partLayout,
	partSizeFor,
	RateMeter,
	sameFingerprint,
} from '../../source/aws/s3-upload.js';
import { iamActionFor } from '../../source/aws/service-clients.js';
import type { NotVhdReason } from '../../source/aws/vhd.js';
import { amiNameValid, notVhdMessage, uploadProgressLine } from '../../source/commands/image.js';
import { formatBytes, objectKeyFor } from '../../source/flow/image-import.js';
import { createTranslator } from '../../source/i18n/index.js';

const MiB = 1024 * 1024;

describe('bucket names', () => {
	it.each([
		['kakehashi-123456789012-ap-northeast-1', undefined],
		['vaa.upload', undefined],
		['ab', 'length'],
		['a'.repeat(64), 'length'],
		['Vaa-Upload', 'characters'],
		['vaa_upload', 'characters'],
		['-vaa', 'edges'],
		['vaa.', 'edges'],
		['vaa..upload', 'adjacentDots'],
		['192.168.5.4', 'ipAddress'],
		['xn--vaa', 'reservedPrefix'],
		['vaa-s3alias', 'reservedSuffix'],
	])('%s → %s', (name, rule) => {
		expect(bucketNameProblem(name)).toBe(rule);
	});

	it('the default carries account and region and is itself valid', () => {
		const name = defaultBucketName('123456789012', 'ap-northeast-1');
		expect(name).toBe('kakehashi-123456789012-ap-northeast-1');
		expect(bucketNameProblem(name)).toBeUndefined();
	});

	it('suggestions stay valid, within 63 characters, even for a 63-character name', () => {
		let n = 0;
		const candidates = bucketNameCandidates('a'.repeat(63), 3, () => `x${n++}`);
		expect(candidates).toEqual([`${'a'.repeat(60)}-x0`, `${'a'.repeat(60)}-x1`, `${'a'.repeat(60)}-x2`]);
		for (const candidate of candidates) expect(bucketNameProblem(candidate)).toBeUndefined();
	});
});

describe('vmimport role', () => {
	it('trust policy: vmie.amazonaws.com with the vmimport external id, as AWS documents', () => {
		const policy = JSON.parse(vmimportTrustPolicy());
		expect(policy.Statement).toEqual([
			{
				Effect: 'Allow',
				Principal: { Service: 'vmie.amazonaws.com' },
				Action: 'sts:AssumeRole',
				Condition: { StringEquals: { 'sts:Externalid': 'vmimport' } },
			},
		]);
		expect(trustsVmImport(vmimportTrustPolicy())).toBe(true);
	});

	it('role policy: read only the upload bucket; the EC2 actions VM Import needs; no s3:*', () => {
		const policy = JSON.parse(vmimportRolePolicy('vaa.upload', 'cn-north-1'));
		expect(policy.Statement[0]).toEqual({
			Effect: 'Allow',
			Action: ['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket'],
			Resource: ['arn:aws-cn:s3:::vaa.upload', 'arn:aws-cn:s3:::vaa.upload/*'],
		});
		expect(policy.Statement[1].Action).toEqual([
			'ec2:ModifySnapshotAttribute',
			'ec2:CopySnapshot',
			'ec2:RegisterImage',
			'ec2:Describe*',
		]);
		expect(JSON.stringify(policy)).not.toContain('s3:*');
		expect(vmimportPolicyName('vaa.upload')).toBe('kakehashi-vmimport-vaa.upload');
	});

	it.each([
		['ap-northeast-1', 'aws'],
		['cn-northwest-1', 'aws-cn'],
		['us-gov-west-1', 'aws-us-gov'],
	])('partition of %s is %s', (region, partition) => {
		expect(partitionOf(region)).toBe(partition);
	});

	const encoded = (policy: unknown) => encodeURIComponent(JSON.stringify(policy));
	it.each([
		['URL-encoded as GetRole returns it', encoded(JSON.parse(vmimportTrustPolicy())), true],
		[
			'principal in a list, action in a list',
			JSON.stringify({
				Statement: [
					{
						Effect: 'Allow',
						Principal: { Service: ['ec2.amazonaws.com', 'vmie.amazonaws.com'] },
						Action: ['sts:AssumeRole'],
					},
				],
			}),
			true,
		],
		[
			'trusts EC2 only',
			JSON.stringify({
				Statement: [
					{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
				],
			}),
			false,
		],
		[
			'a Deny statement',
			JSON.stringify({
				Statement: [
					{ Effect: 'Deny', Principal: { Service: 'vmie.amazonaws.com' }, Action: 'sts:AssumeRole' },
				],
			}),
			false,
		],
		['not JSON', '%7Bbroken', false],
		['absent', undefined, false],
	])('trustsVmImport: %s → %s', (_name, document, expected) => {
		expect(trustsVmImport(document)).toBe(expected);
	});
});

describe('multipart layout', () => {
	it('8 MiB parts for the guide-sized VHD; larger parts keep S3 under 10,000 parts', () => {
		expect(partSizeFor(440 * MiB)).toBe(8 * MiB);
		const huge = 200 * 1024 * MiB;
		const size = partSizeFor(huge);
		expect(size % MiB).toBe(0);
		expect(Math.ceil(huge / size)).toBeLessThanOrEqual(MAX_PARTS);
	});

	it('the last part is the remainder', () => {
		const layout = partLayout(20 * MiB + 5, 8 * MiB);
		expect(layout.count).toBe(3);
		expect([1, 2, 3].map(layout.sizeOf)).toEqual([8 * MiB, 8 * MiB, 4 * MiB + 5]);
	});

	it('missing parts: those not listed, or listed with the wrong size', () => {
		const size = 40 * MiB;
		expect(
			missingParts(size, 8 * MiB, [
				{ PartNumber: 1, ETag: '"a"', Size: 8 * MiB },
				{ PartNumber: 3, ETag: '"c"', Size: 100 },
				{ PartNumber: 4, ETag: '"d"', Size: 8 * MiB },
			]),
		).toEqual([2, 3, 5]);
		expect(missingParts(size, 8 * MiB, [])).toEqual([1, 2, 3, 4, 5]);
	});

	it('same file: size, mtime and the sample hash must all agree', () => {
		const a = { size: 1, mtimeMs: 2, sample: 'x' };
		expect(sameFingerprint(a, { ...a })).toBe(true);
		expect(sameFingerprint(a, { ...a, mtimeMs: 3 })).toBe(false);
		expect(sameFingerprint(a, { ...a, sample: 'y' })).toBe(false);
		expect(sameFingerprint(a, undefined)).toBe(false);
	});

	it('rate over the window, 0 before two samples', () => {
		const meter = new RateMeter(5000);
		meter.add(0, 0);
		expect(meter.rate()).toBe(0);
		meter.add(1000, 10 * MiB);
		expect(meter.rate()).toBe(10 * MiB);
		meter.add(10_000, 20 * MiB); // the window drops the oldest samples
		expect(meter.rate()).toBeCloseTo((10 * MiB * 1000) / 9000);
	});
});

describe('what users read', () => {
	const en = createTranslator('en');
	const ja = createTranslator('ja');

	it('upload progress: bar, percent, bytes, rate, time left', () => {
		const line = uploadProgressLine(en, {
			loaded: 110 * MiB,
			total: 440 * MiB,
			partsDone: 14,
			partsTotal: 55,
			bytesPerSecond: 11 * MiB,
			etaSeconds: 30,
		});
		expect(line).toBe('[######..................] 25% (110 MiB / 440 MiB) · 11.0 MiB/s · 0:30 left');
		expect(
			uploadProgressLine(ja, { loaded: 0, total: 1, partsDone: 0, partsTotal: 1, bytesPerSecond: 0 }),
		).toContain('残り ?');
	});

	const reasons: NotVhdReason[] = [
		{ what: 'empty' },
		{ what: 'unreadable', code: 'ENOENT' },
		{ what: 'iso' },
		{ what: 'qcow2' },
		{ what: 'vhdx' },
		{ what: 'vmdk' },
		{ what: 'vdi' },
		{ what: 'zip' },
		{ what: 'gzip' },
		{ what: 'xz' },
		{ what: 'seven-zip' },
		{ what: 'tar' },
		{ what: 'differencing' },
		{ what: 'unsupported-type', diskType: 5 },
		{ what: 'bad-checksum', expected: 1, found: 2 },
		{ what: 'truncated', expectedSize: 4608 },
		{ what: 'truncated' },
		{ what: 'header-mismatch' },
		{ what: 'no-footer' },
	];
	it.each(reasons)('not a VHD ($what): names the file, in en and ja, no placeholder left', (reason) => {
		for (const t of [en, ja]) {
			const text = notVhdMessage(t, '/tmp/x.iso', reason, 100);
			expect(text).toContain('/tmp/x.iso');
			expect(text).not.toMatch(/\{\w+\}/);
		}
	});

	it('an ISO points to the firmware upgrade', () => {
		expect(notVhdMessage(en, 'vaa.iso', { what: 'iso' })).toContain('kakehashi upgrade --iso vaa.iso');
	});

	it.each([
		['vaa-5.4.9', true],
		["AW+ (5.4.9) [test] o'k @_/", false],
		["AW (5.4.9) [test] o'k @_/", true],
		['ab', false],
		['a'.repeat(129), false],
	])('AMI name %s valid: %s', (name, valid) => {
		expect(amiNameValid(name)).toBe(valid);
	});

	it.each([
		['ClientError: Disk validation failed [Unsupported VHD Footer]', 'disk'],
		[
			'ClientError: The service role vmimport provided does not exist or does not have sufficient permissions',
			'role',
		],
		['ClientError: Unable to download the disk image from the S3 bucket', 's3'],
		['ServerError: something broke', 'other'],
	])('failure hint for %s: %s', (message, hint) => {
		expect(importFailureHint(message)).toBe(hint);
	});

	it.each([
		[{ Status: 'active', Progress: '30' }, 'active'],
		[{ Status: 'completed', SnapshotId: 'snap-1' }, 'completed'],
		[{ Status: 'deleted', StatusMessage: 'ClientError: Disk validation failed' }, 'failed'],
		[undefined, 'active'],
	])('import task %j is %s', (detail, state) => {
		expect(importTaskState(detail)).toBe(state);
	});

	it('IAM actions of S3 calls use IAM’s names', () => {
		expect(iamActionFor('s3', 'UploadPart')).toBe('s3:PutObject');
		expect(iamActionFor('s3', 'HeadBucket')).toBe('s3:ListBucket');
		expect(iamActionFor('iam', 'CreateRole')).toBe('iam:CreateRole');
	});

	it('sizes and keys', () => {
		expect(formatBytes(512)).toBe('512 B');
		expect(formatBytes(440 * MiB)).toBe('440 MiB');
		expect(objectKeyFor('amf-cloud', 'vaa-5.4.9')).toBe('kakehashi/amf-cloud/vaa-5.4.9.vhd');
	});
});
