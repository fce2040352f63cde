import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { toExit, UsageError } from '../../source/commands/errors.js';
import { policyCommand } from '../../source/commands/policy.js';
import { createTranslator, type Lang } from '../../source/i18n/index.js';
import type { PolicyDocument } from '../../source/policy/document.js';
import { root } from './sandbox-run.js';

async function runPolicy(options: Parameters<typeof policyCommand>[0], lang: Lang = 'en') {
	const out: Buffer[] = [];
	const err: Buffer[] = [];
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	stdout.on('data', (chunk: Buffer) => out.push(chunk));
	stderr.on('data', (chunk: Buffer) => err.push(chunk));
	const io = {
		stdout,
		stderr,
		stdin: Readable.from([]),
		t: createTranslator(lang),
		lang,
		env: {},
		cwd: root,
	};
	const code = await policyCommand(options, io);
	return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

const base = { state: 'kakehashi.state.json' };

describe('kakehashi policy', () => {
	it('--json prints the document alone: Version, statements, no wildcard action', async () => {
		const run = await runPolicy({ ...base, flow: 'single-appliance', json: true });
		expect(run.code).toBe(0);
		expect(run.stderr).toBe('');
		expect(run.stdout.trim().split('\n')).toHaveLength(1);
		const document = JSON.parse(run.stdout) as PolicyDocument;
		expect(Object.keys(document)).toEqual(['Version', 'Statement']);
		expect(document.Version).toBe('2012-10-17');
		const actions = document.Statement.flatMap((statement) => statement.Action);
		expect(actions).toContain('ec2:RunInstances');
		expect(actions).toContain('ec2:CreateTags'); // tag on create
		expect(actions.filter((action) => action.includes('*'))).toEqual([]);
		expect(actions.filter((action) => /Vpn|CustomerGateway/.test(action))).toEqual([]);
		expect(actions.filter((action) => /^(s3|iam):/.test(action))).toEqual([]);
		for (const statement of document.Statement) expect(statement.Effect).toBe('Allow');
	});

	it('the AWS VPN flow adds its gateways and connection; --with-image-import adds S3, IAM and the import', async () => {
		const vpn = JSON.parse((await runPolicy({ ...base, flow: 'single-aws-vpn', json: true })).stdout);
		const vpnActions = (vpn as PolicyDocument).Statement.flatMap((statement) => statement.Action);
		expect(vpnActions).toEqual(
			expect.arrayContaining(['ec2:CreateVpnConnection', 'ec2:CreateCustomerGateway']),
		);
		const withImport = JSON.parse(
			(await runPolicy({ ...base, flow: 'multi-tenant', withImageImport: true, json: true })).stdout,
		) as PolicyDocument;
		const importActions = withImport.Statement.flatMap((statement) => statement.Action);
		expect(importActions).toEqual(
			expect.arrayContaining(['ec2:ImportSnapshot', 'ec2:RegisterImage', 's3:PutObject', 'iam:CreateRole']),
		);
		const passRole = withImport.Statement.find((statement) => statement.Action.includes('iam:PassRole'));
		expect(passRole?.Resource).toBe('arn:aws:iam::*:role/vmimport');
		expect(passRole?.Action).toEqual(['iam:PassRole']);
	});

	it('without --json: the same document pretty-printed, and a one-line hint on stderr (en, ja)', async () => {
		const compact = await runPolicy({ ...base, flow: 'multi-tenant', json: true });
		const pretty = await runPolicy({ ...base, flow: 'multi-tenant' });
		expect(JSON.parse(pretty.stdout)).toEqual(JSON.parse(compact.stdout));
		expect(pretty.stdout.split('\n').length).toBeGreaterThan(10);
		expect(pretty.stderr.trim().split('\n')).toHaveLength(1);
		expect(pretty.stderr).toContain('aws iam create-policy --policy-name kakehashi-multi-tenant');
		expect(pretty.stderr).toContain('aws iam attach-user-policy');
		expect(pretty.stderr).toContain('kakehashi-multi-tenant');
		const ja = await runPolicy({ ...base, flow: 'multi-tenant' }, 'ja');
		expect(ja.stderr).toContain('管理ポリシーとして付与します');
	});

	it('an unknown or missing flow is a usage error naming the flows (exit 2)', async () => {
		const t = createTranslator('en');
		const unknown = await runPolicy({ ...base, flow: 'single' }).catch((error: unknown) => error);
		expect(unknown).toBeInstanceOf(UsageError);
		const exit = toExit(t, unknown);
		expect(exit.code).toBe(2);
		expect(exit.message).toContain('single-appliance, single-aws-vpn, multi-tenant');
		const missing = await runPolicy({ ...base }).catch((error: unknown) => error);
		expect(missing).toBeInstanceOf(UsageError);
		expect((missing as Error).message).toContain('--flow FLOW is required');
	});

	it('from the command line: --json output parses, an unknown flow exits 2 without a stack trace', async () => {
		const cli = ['--import', 'tsx', join(root, 'source', 'cli.tsx')];
		const env = { LANG: 'en_US.UTF-8', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
		const good = await execa(process.execPath, [...cli, 'policy', '--flow', 'single-aws-vpn', '--json'], {
			cwd: root,
			reject: false,
			env,
		});
		expect(good.exitCode, good.stderr).toBe(0);
		expect((JSON.parse(good.stdout) as PolicyDocument).Version).toBe('2012-10-17');
		const bad = await execa(process.execPath, [...cli, 'policy', '--flow', 'nope', '--json'], {
			cwd: root,
			reject: false,
			env,
		});
		expect(bad.exitCode).toBe(2);
		expect(bad.stdout).toBe('');
		expect(bad.stderr).toContain(
			'--flow: "nope" must be one of single-appliance, single-aws-vpn, multi-tenant',
		);
		expect(bad.stderr).not.toMatch(/at .*:\d+:\d+/);
	}, 120_000);
});
