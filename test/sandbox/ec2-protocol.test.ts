import { createHash, createHmac } from 'node:crypto';
import {
	CreateVpcCommand,
	DescribeAvailabilityZonesCommand,
	DescribeRegionsCommand,
	DescribeVpcsCommand,
	EC2Client,
} from '@aws-sdk/client-ec2';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, onTestFinished, test } from 'vitest';
import { SANDBOX_CREDENTIALS, startEc2Sandbox } from '../../source/sandbox/ec2/index.js';
import { failure, sandboxWithClient as sandbox } from './harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A SigV4 signer written from the IAM user guide, independent of the server's verifier. */
function signedRequest(
	endpoint: string,
	body: string,
	options: { secret?: string; accessKeyId?: string; date?: Date; service?: string; region?: string } = {},
): Request {
	const url = new URL(endpoint);
	const date = options.date ?? new Date();
	const amzDate = date.toISOString().replace(/[-:]|\.\d{3}/g, '');
	const day = amzDate.slice(0, 8);
	const region = options.region ?? 'ap-northeast-1';
	const service = options.service ?? 'ec2';
	const headers: Record<string, string> = {
		'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
		host: url.host,
		'x-amz-date': amzDate,
	};
	const names = Object.keys(headers).sort();
	const canonical = [
		'POST',
		'/',
		'',
		...names.map((name) => `${name}:${headers[name]}`),
		'',
		names.join(';'),
		createHash('sha256').update(body).digest('hex'),
	].join('\n');
	const scope = `${day}/${region}/${service}/aws4_request`;
	const toSign = [
		'AWS4-HMAC-SHA256',
		amzDate,
		scope,
		createHash('sha256').update(canonical).digest('hex'),
	].join('\n');
	const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
	const secret = options.secret ?? SANDBOX_CREDENTIALS.secretAccessKey;
	const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
	const signature = createHmac('sha256', key).update(toSign).digest('hex');
	const accessKeyId = options.accessKeyId ?? SANDBOX_CREDENTIALS.accessKeyId;
	const { host: _host, ...sent } = headers;
	return new Request(`${url.origin}/`, {
		method: 'POST',
		body,
		headers: {
			...sent,
			authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
		},
	});
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });

async function ec2Error(response: Response): Promise<{ code: string; message: string; requestId: string }> {
	const document = parser.parse(await response.text());
	expect(document.Response.Errors.Error).toBeDefined();
	expect(document.Response.RequestID).toMatch(UUID);
	expect(response.headers.get('x-amzn-requestid')).toBe(document.Response.RequestID);
	return {
		code: document.Response.Errors.Error.Code,
		message: document.Response.Errors.Error.Message,
		requestId: document.Response.RequestID,
	};
}

describe('EC2 Query protocol', () => {
	test('answers a signed request in EC2 XML: namespace, requestId, item lists', async () => {
		const { sandbox: started } = await sandbox();
		const response = await fetch(
			signedRequest(started.endpoint, 'Action=DescribeRegions&Version=2016-11-15'),
		);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toContain('text/xml');
		const document = parser.parse(await response.text());
		const body = document.DescribeRegionsResponse;
		expect(body['@_xmlns']).toBe('http://ec2.amazonaws.com/doc/2016-11-15/');
		expect(body.requestId).toMatch(UUID);
		expect(response.headers.get('x-amzn-requestid')).toBe(body.requestId);
		const names = body.regionInfo.item.map((region: { regionName: string }) => region.regionName);
		expect(names).toEqual(
			expect.arrayContaining(['ap-northeast-1', 'ap-northeast-3', 'us-east-1', 'us-west-2', 'eu-west-1']),
		);
	});

	test('the SDK surfaces $metadata.requestId on success and on error', async () => {
		const { ec2 } = await sandbox();
		const output = await ec2.send(new DescribeVpcsCommand({}));
		expect(output.$metadata.requestId).toMatch(UUID);
		expect(output.Vpcs).toEqual([]);
		const error = await failure(ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0'] })));
		expect(error.name).toBe('InvalidVpcID.NotFound');
		expect(error.$metadata.httpStatusCode).toBe(400);
		expect(error.$metadata.requestId).toMatch(UUID);
		expect(error.$metadata.requestId).not.toBe(output.$metadata.requestId);
	});

	test('rejects an unsigned request as EC2 does (MissingParameter, 400)', async () => {
		const { sandbox: started } = await sandbox();
		const response = await fetch(`${started.endpoint}/`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: 'Action=DescribeVpcs&Version=2016-11-15',
		});
		expect(response.status).toBe(400);
		const error = await ec2Error(response);
		expect(error.code).toBe('MissingParameter');
		expect(error.message).toBe('The request must contain the parameter AWSAccessKeyId');
	});

	test('rejects a signature made with the wrong secret (SignatureDoesNotMatch, 403)', async () => {
		const { sandbox: started, ec2 } = await sandbox();
		const response = await fetch(
			signedRequest(started.endpoint, 'Action=DescribeVpcs&Version=2016-11-15', { secret: 'not-the-secret' }),
		);
		expect(response.status).toBe(403);
		expect((await ec2Error(response)).code).toBe('SignatureDoesNotMatch');

		const wrongSecret = new EC2Client({
			endpoint: started.endpoint,
			region: 'ap-northeast-1',
			credentials: { accessKeyId: SANDBOX_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' },
			maxAttempts: 1,
		});
		onTestFinished(() => wrongSecret.destroy());
		const error = await failure(wrongSecret.send(new DescribeVpcsCommand({})));
		expect(error.name).toBe('SignatureDoesNotMatch');
		expect(error.$metadata.httpStatusCode).toBe(403);
		// The server really verifies: a correctly signed request still passes.
		await expect(ec2.send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
	});

	test('rejects a body changed after signing', async () => {
		const { ec2 } = await sandbox();
		ec2.middlewareStack.add(
			(next) => async (args) => {
				const request = args.request as { body?: unknown };
				if (typeof request.body === 'string') {
					request.body = request.body.replace('10.0.0.0', '10.9.0.0');
				}
				return next(args);
			},
			{ step: 'deserialize', name: 'tamperAfterSigning' },
		);
		const error = await failure(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })));
		expect(error.name).toBe('SignatureDoesNotMatch');
		expect(error.$metadata.httpStatusCode).toBe(403);
	});

	test('rejects an unknown access key (AuthFailure, 401)', async () => {
		const { sandbox: started } = await sandbox();
		const stranger = new EC2Client({
			endpoint: started.endpoint,
			region: 'ap-northeast-1',
			credentials: {
				accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
				secretAccessKey: SANDBOX_CREDENTIALS.secretAccessKey,
			},
			maxAttempts: 1,
		});
		onTestFinished(() => stranger.destroy());
		const error = await failure(stranger.send(new DescribeVpcsCommand({})));
		expect(error.name).toBe('AuthFailure');
		expect(error.message).toBe('AWS was not able to validate the provided access credentials');
		expect(error.$metadata.httpStatusCode).toBe(401);
	});

	test('rejects a request signed more than 15 minutes off (RequestExpired, 400)', async () => {
		const { sandbox: started } = await sandbox();
		const skewed = new Date(Date.now() - 20 * 60 * 1000);
		const response = await fetch(
			signedRequest(started.endpoint, 'Action=DescribeVpcs&Version=2016-11-15', { date: skewed }),
		);
		expect(response.status).toBe(400);
		const error = await ec2Error(response);
		expect(error.code).toBe('RequestExpired');
		expect(error.message).toBe('Request has expired.');

		const future = await fetch(
			signedRequest(started.endpoint, 'Action=DescribeVpcs&Version=2016-11-15', {
				date: new Date(Date.now() + 16 * 60 * 1000),
			}),
		);
		expect((await ec2Error(future)).code).toBe('RequestExpired');

		const slightlyOff = await fetch(
			signedRequest(started.endpoint, 'Action=DescribeVpcs&Version=2016-11-15', {
				date: new Date(Date.now() - 10 * 60 * 1000),
			}),
		);
		expect(slightlyOff.status).toBe(200);
	});

	test('the SDK with a skewed clock gets RequestExpired', async () => {
		const { ec2 } = await sandbox({}, { systemClockOffset: -30 * 60 * 1000 });
		const error = await failure(ec2.send(new DescribeVpcsCommand({})));
		expect(error.name).toBe('RequestExpired');
		expect(error.$metadata.httpStatusCode).toBe(400);
	});

	test('unknown action → InvalidAction 400; missing action → MissingAction', async () => {
		const { sandbox: started } = await sandbox();
		const response = await fetch(
			signedRequest(started.endpoint, 'Action=DescribeUnicorns&Version=2016-11-15'),
		);
		expect(response.status).toBe(400);
		const error = await ec2Error(response);
		expect(error.code).toBe('InvalidAction');
		expect(error.message).toBe('The action DescribeUnicorns is not valid for this web service.');

		const missing = await fetch(signedRequest(started.endpoint, 'Version=2016-11-15'));
		expect(missing.status).toBe(400);
		expect((await ec2Error(missing)).code).toBe('MissingAction');
		expect(started.actionsSeen()).not.toContain('DescribeUnicorns');
	});

	test('routes on the credential scope: unknown service, unknown region, region not enabled', async () => {
		const { sandbox: started } = await sandbox();
		const body = 'Action=DescribeVpcs&Version=2016-11-15';
		const s3 = await fetch(signedRequest(started.endpoint, body, { service: 'sqs' }));
		expect(s3.status).toBe(403);
		expect((await ec2Error(s3)).code).toBe('SignatureDoesNotMatch');
		const nowhere = await fetch(signedRequest(started.endpoint, body, { region: 'mars-north-1' }));
		expect(nowhere.status).toBe(403);
		expect((await ec2Error(nowhere)).message).toContain('valid region');
		const optIn = await fetch(signedRequest(started.endpoint, body, { region: 'af-south-1' }));
		expect(optIn.status).toBe(401);
		expect((await ec2Error(optIn)).code).toBe('AuthFailure');
	});

	test('reads the region from the credential scope: resources are per region', async () => {
		const { sandbox: started, ec2 } = await sandbox();
		const oregon = new EC2Client({
			endpoint: started.endpoint,
			region: 'us-west-2',
			credentials: SANDBOX_CREDENTIALS,
			maxAttempts: 1,
		});
		onTestFinished(() => oregon.destroy());
		await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
		expect((await ec2.send(new DescribeVpcsCommand({}))).Vpcs).toHaveLength(1);
		expect((await oregon.send(new DescribeVpcsCommand({}))).Vpcs).toHaveLength(0);
		const zones = await oregon.send(new DescribeAvailabilityZonesCommand({}));
		expect(zones.AvailabilityZones?.map((zone) => zone.ZoneName)).toEqual([
			'us-west-2a',
			'us-west-2b',
			'us-west-2c',
			'us-west-2d',
		]);
	});

	test('accepts the parameters in a GET query string, signed by the SDK', async () => {
		const { ec2 } = await sandbox();
		ec2.middlewareStack.add(
			(next) => async (args) => {
				const request = args.request as {
					method: string;
					body?: string;
					query: Record<string, string>;
					headers: Record<string, string>;
				};
				for (const [name, value] of new URLSearchParams(request.body ?? '')) {
					request.query[name] = value;
				}
				request.method = 'GET';
				request.body = undefined;
				delete request.headers['content-type'];
				delete request.headers['content-length'];
				return next(args);
			},
			{ step: 'build', name: 'sendAsGet' },
		);
		const regions = await ec2.send(new DescribeRegionsCommand({ RegionNames: ['ap-northeast-3'] }));
		expect(regions.Regions?.map((region) => region.RegionName)).toEqual(['ap-northeast-3']);
	});

	test('DryRun answers DryRunOperation (412) and changes nothing', async () => {
		const { ec2 } = await sandbox();
		const error = await failure(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', DryRun: true })));
		expect(error.name).toBe('DryRunOperation');
		expect(error.$metadata.httpStatusCode).toBe(412);
		expect((await ec2.send(new DescribeVpcsCommand({}))).Vpcs).toEqual([]);
	});

	test('DescribeRegions and DescribeAvailabilityZones: names, filters, all regions', async () => {
		const { ec2 } = await sandbox();
		const enabled = await ec2.send(new DescribeRegionsCommand({}));
		const all = await ec2.send(new DescribeRegionsCommand({ AllRegions: true }));
		expect(all.Regions?.length).toBeGreaterThan(enabled.Regions?.length ?? 0);
		expect(all.Regions?.find((region) => region.RegionName === 'af-south-1')?.OptInStatus).toBe(
			'not-opted-in',
		);
		const tokyo = enabled.Regions?.find((region) => region.RegionName === 'ap-northeast-1');
		expect(tokyo).toEqual({
			RegionName: 'ap-northeast-1',
			Endpoint: 'ec2.ap-northeast-1.amazonaws.com',
			OptInStatus: 'opt-in-not-required',
		});
		const filtered = await ec2.send(
			new DescribeRegionsCommand({ Filters: [{ Name: 'region-name', Values: ['ap-northeast-*'] }] }),
		);
		expect(filtered.Regions?.map((region) => region.RegionName).sort()).toEqual([
			'ap-northeast-1',
			'ap-northeast-2',
			'ap-northeast-3',
		]);
		const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
		expect(zones.AvailabilityZones?.map((zone) => [zone.ZoneName, zone.ZoneId, zone.State])).toEqual([
			['ap-northeast-1a', 'apne1-az4', 'available'],
			['ap-northeast-1c', 'apne1-az1', 'available'],
			['ap-northeast-1d', 'apne1-az2', 'available'],
		]);
		const one = await ec2.send(
			new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-id', Values: ['apne1-az1'] }] }),
		);
		expect(one.AvailabilityZones?.map((zone) => zone.ZoneName)).toEqual(['ap-northeast-1c']);
		const bad = await failure(
			ec2.send(new DescribeRegionsCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] })),
		);
		expect(bad.name).toBe('InvalidParameterValue');
		expect(bad.$metadata.httpStatusCode).toBe(400);
	});

	test('refuses to listen on anything but loopback', async () => {
		await expect(startEc2Sandbox({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
		await expect(startEc2Sandbox({ host: '192.168.1.10' })).rejects.toThrow(/loopback/);
		await expect(startEc2Sandbox({ accountId: '12' })).rejects.toThrow(/twelve digits/);
	});

	test('closes cleanly with keep-alive connections open, and stops answering', async () => {
		const started = await startEc2Sandbox();
		const ec2 = new EC2Client({
			endpoint: started.endpoint,
			region: 'ap-northeast-1',
			credentials: SANDBOX_CREDENTIALS,
			maxAttempts: 1,
		});
		onTestFinished(() => ec2.destroy());
		await ec2.send(new DescribeVpcsCommand({}));
		let timer: NodeJS.Timeout | undefined;
		const outcome = await Promise.race([
			started.close().then(() => 'closed'),
			new Promise((resolve) => {
				timer = setTimeout(() => resolve('hung'), 5000);
			}),
		]);
		clearTimeout(timer);
		expect(outcome).toBe('closed');
		await expect(fetch(`${started.endpoint}/`)).rejects.toThrow();
	});
});
