import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockSkewOf } from '../../source/aws/client.js';
import {
	credentialChoices,
	credentialProvider,
	isAccessKeyIdShape,
	listProfiles,
	ProfileExistsError,
	saveProfile,
	verifyCredentials,
} from '../../source/aws/credentials.js';
import { describeAwsError, explainAwsError } from '../../source/aws/errors.js';
import { SANDBOX_CREDENTIALS } from '../../source/sandbox/ec2/index.js';
import { region, type Sandbox, startSandbox, temporaryDirectory } from './sandbox-harness.js';

let sandbox: Sandbox;
let makeClient: Awaited<ReturnType<typeof startSandbox>>['client'];
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
	({ sandbox, client: makeClient } = await startSandbox());
	({ dir, cleanup } = await temporaryDirectory());
});

afterAll(async () => {
	await sandbox?.close();
	await cleanup?.();
});

describe('verifyCredentials: STS GetCallerIdentity on the same endpoint', () => {
	it('shows the account and the identity ARN of the sandbox credentials', async () => {
		const result = await verifyCredentials({
			credentials: credentialProvider({ source: 'sandbox', ...SANDBOX_CREDENTIALS }),
			region,
			endpoint: sandbox.endpoint,
		});
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		expect(result.identity.account).toBe('123456789012');
		expect(result.identity.arn).toBe('arn:aws:iam::123456789012:user/kakehashi-sandbox');
		expect(result.identity.userId).toMatch(/^AIDA/);
		expect(result.identity.clockSkewMs).toBeDefined();
		expect(Math.abs(result.identity.clockSkewMs!)).toBeLessThan(5 * 60 * 1000);
	});

	it('refuses unknown keys as STS does (InvalidClientTokenId) with an explanation', async () => {
		const result = await verifyCredentials({
			credentials: credentialProvider({
				source: 'typed',
				accessKeyId: 'AKIAUNKNOWNKEY000000',
				secretAccessKey: 'wrong',
			}),
			region,
			endpoint: sandbox.endpoint,
		});
		expect(result.ok).toBe(false);
		if (result.ok) return;
		expect(result.error.code).toBe('InvalidClientTokenId');
		expect(result.error.requestId).toBeTruthy();
		expect(explainAwsError(result.error)?.key).toBe('authFailure');
	});

	it('answers a request signed 20 minutes off as STS does (SignatureDoesNotMatch: Signature expired)', async () => {
		const sts = new STSClient({
			region,
			endpoint: sandbox.endpoint,
			credentials: SANDBOX_CREDENTIALS,
			systemClockOffset: -20 * 60 * 1000,
			maxAttempts: 1,
		});
		const error = await sts.send(new GetCallerIdentityCommand({})).catch((caught: unknown) => caught);
		sts.destroy();
		const description = describeAwsError(error);
		expect(description.code).toBe('SignatureDoesNotMatch');
		expect(description.message).toMatch(/^Signature expired/);
		expect(explainAwsError(description)?.key).toBe('clockSkew');
	});

	it('measures the clock skew from the Date header of any response', async () => {
		// A stand-in endpoint whose clock is 20 minutes ahead of ours.
		const server = createServer((_request, response) => {
			const body =
				'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
				'<Arn>arn:aws:iam::111122223333:user/skewed</Arn><UserId>AIDAEXAMPLE</UserId><Account>111122223333</Account>' +
				'</GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>';
			response.sendDate = false;
			response.writeHead(200, {
				'Content-Type': 'text/xml',
				Date: new Date(Date.now() + 20 * 60 * 1000).toUTCString(),
			});
			response.end(body);
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		try {
			const { port } = server.address() as AddressInfo;
			const result = await verifyCredentials({
				credentials: SANDBOX_CREDENTIALS,
				region,
				endpoint: `http://127.0.0.1:${port}`,
			});
			const skew = result.ok ? result.identity.clockSkewMs : result.clockSkewMs;
			expect(skew).toBeGreaterThan(15 * 60 * 1000);
		} finally {
			server.close();
		}
	});

	it('EC2 clients record the skew too', async () => {
		const ec2 = makeClient();
		await ec2.send(new DescribeVpcsCommand({}));
		expect(clockSkewOf(ec2)).toBeDefined();
	});
});

describe('what the machine already has', () => {
	it('lists profiles of both ini files with their kind (SSO, process, role, static)', async () => {
		const config = join(dir, 'config');
		const credentials = join(dir, 'credentials');
		await writeFile(
			config,
			[
				'[default]',
				'region = ap-northeast-1',
				'[profile work-sso]',
				'sso_session = corp',
				'sso_account_id = 111122223333',
				'sso_role_name = Admin',
				'[profile vault]',
				'credential_process = /usr/bin/aws-vault export --format=json x',
				'[profile admin]',
				'role_arn = arn:aws:iam::111122223333:role/Admin',
				'source_profile = default',
				'[sso-session corp]',
				'sso_start_url = https://corp.awsapps.com/start',
				'',
			].join('\n'),
		);
		await writeFile(credentials, '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n');
		const profiles = await listProfiles({ configFilepath: config, filepath: credentials });
		expect(profiles).toEqual([
			{ name: 'default', type: 'static' },
			{ name: 'admin', type: 'role' },
			{ name: 'vault', type: 'process' },
			{ name: 'work-sso', type: 'sso' },
		]);
		const choices = await credentialChoices(
			{ AWS_ACCESS_KEY_ID: 'AKIAX', AWS_SECRET_ACCESS_KEY: 'y', AWS_PROFILE: 'vault' },
			{ configFilepath: config, filepath: credentials },
		);
		expect(choices.map((choice) => (choice.source === 'profile' ? choice.profile : choice.source))).toEqual([
			'env',
			'vault',
			'default',
			'admin',
			'work-sso',
			'chain',
		]);
	});

	it('offers the default chain even without any ini file', async () => {
		const choices = await credentialChoices(
			{},
			{ configFilepath: join(dir, 'none'), filepath: join(dir, 'none2') },
		);
		expect(choices).toEqual([{ source: 'chain' }]);
	});

	it('saves typed keys as a profile only when asked: mode 0600, never over an existing one', async () => {
		const file = join(dir, 'saved', 'credentials');
		await saveProfile('kakehashi', { accessKeyId: 'AKIAEXAMPLEKEY000000', secretAccessKey: 's3cret' }, file);
		expect((await stat(file)).mode & 0o777).toBe(0o600);
		expect(await readFile(file, 'utf8')).toContain('[kakehashi]\naws_access_key_id = AKIAEXAMPLEKEY000000');
		await expect(
			saveProfile('kakehashi', { accessKeyId: 'AKIAOTHER00000000000', secretAccessKey: 'x' }, file),
		).rejects.toBeInstanceOf(ProfileExistsError);
		await saveProfile('second', { accessKeyId: 'AKIASECOND0000000000', secretAccessKey: 'y' }, file);
		expect(
			(await listProfiles({ filepath: file, configFilepath: join(dir, 'none') })).map((p) => p.name),
		).toEqual(['kakehashi', 'second']);
	});

	it.each([
		['AKIAIOSFODNN7EXAMPLE', true],
		['ASIAIOSFODNN7EXAMPLE', true],
		['akia-lower', false],
		['', false],
	])('access key id shape %j', (value, ok) => {
		expect(isAccessKeyIdShape(value)).toBe(ok);
	});
});
