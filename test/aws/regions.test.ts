import type { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Client } from '../../source/aws/client.js';
import {
	checkInstanceTypeOffered,
	listAvailabilityZones,
	listRegions,
	orderRegions,
} from '../../source/aws/regions.js';
import { SANDBOX_CREDENTIALS } from '../../source/sandbox/ec2/index.js';
import { type Sandbox, startSandbox } from './sandbox-harness.js';

let sandbox: Sandbox;
let ec2: EC2Client;

beforeAll(async () => {
	({ sandbox, ec2 } = await startSandbox());
});

afterAll(async () => {
	await sandbox?.close();
});

describe('regions and zones', () => {
	it('lists the enabled regions, Tokyo first for Japanese users', async () => {
		const ja = await listRegions(ec2, 'ja');
		expect(ja[0]?.name).toBe('ap-northeast-1');
		expect(ja[1]?.name).toBe('ap-northeast-3');
		const en = await listRegions(ec2, 'en');
		expect(en.map((region) => region.name)).toEqual([...en.map((region) => region.name)].sort());
		expect(en.map((region) => region.name)).not.toContain('af-south-1'); // not opted in
	});

	it('orders names without a call', () => {
		expect(orderRegions(['us-east-1', 'ap-northeast-1', 'eu-west-1'], 'ja')).toEqual([
			'ap-northeast-1',
			'eu-west-1',
			'us-east-1',
		]);
	});

	it('lists the availability zones of the client region', async () => {
		const zones = await listAvailabilityZones(ec2);
		expect(zones.map((zone) => zone.name)).toEqual(['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d']);
		expect(zones[0]?.id).toBe('apne1-az4');
	});
});

describe('instance type offerings (DescribeInstanceTypeOfferings)', () => {
	it('accepts a type offered in the region', async () => {
		expect(await checkInstanceTypeOffered(ec2, 't3.small', { region: 'ap-northeast-1' })).toEqual({
			offered: true,
		});
	});

	it('refuses a type the region does not offer, with examples offered there', async () => {
		const osaka = createEc2Client({
			region: 'ap-northeast-3',
			endpoint: sandbox.endpoint,
			credentials: SANDBOX_CREDENTIALS,
		});
		const result = await checkInstanceTypeOffered(osaka, 't2.micro', { region: 'ap-northeast-3' });
		expect(result.offered).toBe(false);
		if (result.offered === false) {
			expect(result.location).toBe('ap-northeast-3');
			expect(result.examples).toContain('t3.small');
			expect(result.examples).not.toContain('t2.micro');
		}
	});

	it('checks one zone when the subnet names one', async () => {
		const result = await checkInstanceTypeOffered(ec2, 'c5.xlarge', {
			region: 'ap-northeast-1',
			zone: 'ap-northeast-1a',
		});
		expect(result).toMatchObject({ offered: false, location: 'ap-northeast-1a' });
		expect(
			await checkInstanceTypeOffered(ec2, 'c5.xlarge', { region: 'ap-northeast-1', zone: 'ap-northeast-1c' }),
		).toEqual({ offered: true });
	});

	it('an unknown type is simply not offered', async () => {
		const result = await checkInstanceTypeOffered(ec2, 'x9.huge', { region: 'ap-northeast-1' });
		expect(result).toMatchObject({ offered: false, examples: expect.arrayContaining(['t3.small']) });
	});

	it('says "unknown" when an EC2-compatible endpoint knows no offering at all', async () => {
		const empty = { send: async () => ({ InstanceTypeOfferings: [] }) } as unknown as EC2Client;
		expect(await checkInstanceTypeOffered(empty, 't3.small', { region: 'ap-northeast-1' })).toEqual({
			offered: 'unknown',
			code: 'NoOfferings',
		});
	});

	it('says "unknown" (never fails) when the endpoint does not answer the question', async () => {
		sandbox.setFaults({ failAction: { action: 'DescribeInstanceTypeOfferings', code: 'InvalidAction' } });
		try {
			const result = await checkInstanceTypeOffered(ec2, 't3.small', { region: 'ap-northeast-1' });
			expect(result).toEqual({ offered: 'unknown', code: 'InvalidAction' });
		} finally {
			sandbox.setFaults({});
		}
	});
});
