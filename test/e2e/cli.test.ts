import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cli, exampleAnswers, kakehashi, tempDir } from './cli-helpers.js';

type Snapshot = {
	router: { name: string; reachable: boolean };
	ike: { peer: string; state: string }[];
	ipsec: { peer: string; state: string }[];
	findings: unknown[];
	unparsed: string[];
};

describe('kakehashi CLI on the built-in sandbox', () => {
	it('applies the shipped example, monitors an established tunnel, re-applies without change, destroys', async () => {
		const cwd = await tempDir();
		const apply = await kakehashi(['apply', '--answers', exampleAnswers, '--sandbox', '--yes', '--json'], {
			cwd,
		});
		expect(apply.stderr).not.toMatch(/at .*\.js:\d+/); // never a stack trace
		expect(apply.exitCode, apply.stderr).toBe(0);
		const applied = JSON.parse(apply.stdout) as {
			flow: string;
			resources: { kind: string; id: string; created: boolean }[];
			routers: { name: string; host: string; port: number; user: string; vendor: string }[];
		};
		expect(applied.flow).toBe('single-appliance');
		expect(applied.resources.map((resource) => resource.kind)).toEqual([
			'vpc',
			'subnet',
			'internet-gateway',
			'route-table',
			'security-group',
			'key-pair',
			'instance',
		]);
		expect(applied.routers.map((router) => router.name).sort()).toEqual(['AMF-VAA', 'site']);
		// the generated PSK is shown once on stderr, and is nowhere in the state file
		const psk = /pre-shared key for site[^:]*: (\S+)/.exec(apply.stderr)?.[1];
		expect(psk).toBeDefined();
		const stateText = await readFile(join(cwd, 'kakehashi.state.json'), 'utf8');
		expect(stateText).not.toContain(psk);
		expect((await stat(join(cwd, 'kakehashi.state.json'))).mode & 0o777).toBe(0o600);
		expect((await stat(join(cwd, 'amf-cloud-key.pem'))).mode & 0o777).toBe(0o400);
		// pushed but not saved (no --save-config): the user is told a reboot would lose it
		expect(apply.stderr).toMatch(/Router AMF-VAA: the configuration is running but not saved/);
		expect(apply.stderr).toMatch(/Router site: the configuration is running but not saved/);

		const monitor = await kakehashi(['monitor', '--sandbox', '--once', '--json'], { cwd });
		expect(monitor.exitCode, monitor.stderr).toBe(0);
		const snapshots = JSON.parse(monitor.stdout) as Snapshot[];
		expect(snapshots).toHaveLength(2);
		for (const snapshot of snapshots) {
			expect(snapshot.router.reachable).toBe(true);
			expect(snapshot.ike.map((sa) => sa.state)).toEqual(['established']);
			expect(snapshot.ipsec.map((sa) => sa.state)).toEqual(['up']);
		}
		const site = snapshots.find((snapshot) => snapshot.router.name === 'site');
		const instance = applied.resources.find((resource) => resource.kind === 'instance');
		expect(site?.ike[0]?.peer).toMatch(/^203\.0\.113\./);
		expect(instance).toBeDefined();

		const reapply = await kakehashi(
			['apply', '--answers', exampleAnswers, '--sandbox', '--yes', '--json', '--save-config'],
			{ cwd },
		);
		expect(reapply.exitCode, reapply.stderr).toBe(0);
		// the running configurations already match; --save-config writes them to startup (write memory)
		expect(reapply.stderr).toMatch(/Router AMF-VAA: configuration saved to the startup configuration/);
		expect(reapply.stderr).toMatch(/Router site: configuration saved to the startup configuration/);
		expect(reapply.stderr).not.toMatch(/not saved/);
		expect(reapply.stderr).not.toMatch(/pre-shared key for site/); // recovered from the appliance, not regenerated
		expect((JSON.parse(reapply.stdout) as typeof applied).resources.map((r) => r.id)).toEqual(
			applied.resources.map((r) => r.id),
		);

		const plan = await kakehashi(['plan', '--answers', exampleAnswers, '--sandbox', '--json'], { cwd });
		expect(plan.exitCode, plan.stderr).toBe(0);
		const changes = (JSON.parse(plan.stdout) as { changes: { action: string }[] }).changes;
		expect(changes.every((change) => change.action === 'keep')).toBe(true);

		const destroy = await kakehashi(['destroy', '--sandbox', '--yes', '--json'], { cwd });
		expect(destroy.exitCode, destroy.stderr).toBe(0);
		const state = JSON.parse(await readFile(join(cwd, 'kakehashi.state.json'), 'utf8')) as {
			resources: unknown[];
		};
		expect(state.resources).toEqual([]);
	});

	it('refuses to apply without --yes when nobody can confirm, creating nothing', async () => {
		const cwd = await tempDir();
		const apply = await kakehashi(['apply', '--answers', exampleAnswers, '--sandbox'], { cwd });
		expect(apply.exitCode).toBe(2);
		expect(apply.stderr).toContain('--yes');
		const plan = await kakehashi(['plan', '--answers', exampleAnswers, '--sandbox', '--json'], { cwd });
		const changes = (JSON.parse(plan.stdout) as { changes: { action: string }[] }).changes;
		expect(changes.every((change) => change.action === 'create')).toBe(true);
	});
});

describe('bad answers end with exit 2 and a message naming the field and the rule', () => {
	const cases: [string, (text: string) => string, RegExp, RegExp][] = [
		[
			'malformed CIDR',
			(text) => text.replace('cidr: 172.30.0.0/16', 'cidr: 172.30.0/16'),
			/vpc\.cidr: "172\.30\.0\/16" is not an IPv4 CIDR block/,
			/vpc\.cidr: 「172\.30\.0\/16」は IPv4 の CIDR ブロックではありません/,
		],
		[
			'subnet outside the VPC',
			(text) => text.replace('cidr: 172.30.0.0/24', 'cidr: 10.9.0.0/24'),
			/subnet\.cidr: "10\.9\.0\.0\/24" is not inside the VPC block 172\.30\.0\.0\/16/,
			/subnet\.cidr: 「10\.9\.0\.0\/24」は VPC のブロック 172\.30\.0\.0\/16 の中にありません/,
		],
		[
			'unknown key',
			(text) =>
				text.replace('vpc: { cidr: 172.30.0.0/16 }', 'vpc: { cidr: 172.30.0.0/16, tenancy: dedicated }'),
			/vpc\.tenancy: unknown key/,
			/vpc\.tenancy: 不明なキーです/,
		],
		[
			'an AMI name no image of the account has',
			(text) =>
				text.replace(
					'instance: { type: t3.small, name: AMF-VAA }',
					'instance: { type: t3.small, name: AMF-VAA, ami: vaa-9.9.9 }',
				),
			/instance\.ami: this account has no available image named “vaa-9\.9\.9” in ap-northeast-1/,
			/instance\.ami: このアカウントには ap-northeast-1 に「vaa-9\.9\.9」という名前の利用可能なイメージがありません/,
		],
	];
	it.each(cases)('%s', async (_name, edit, english, japanese) => {
		const cwd = await tempDir();
		const file = join(cwd, 'answers.yaml');
		await writeFile(file, edit(await readFile(exampleAnswers, 'utf8')));
		const en = await kakehashi(['plan', '--answers', file, '--sandbox'], { cwd });
		expect(en.exitCode).toBe(2);
		expect(en.stderr).toMatch(english);
		const ja = await kakehashi(['apply', '--answers', file, '--sandbox', '--yes', '--lang', 'ja'], { cwd });
		expect(ja.exitCode).toBe(2);
		expect(ja.stderr).toMatch(japanese);
		const fromEnv = await kakehashi(['plan', '--answers', file, '--sandbox'], {
			cwd,
			env: { LANG: 'ja_JP.UTF-8' },
		});
		expect(fromEnv.stderr).toMatch(japanese);
		// nothing was created: no state file
		await expect(stat(join(cwd, 'kakehashi.state.json'))).rejects.toThrow();
	});
});

describe('kakehashi sandbox and --endpoint-url', () => {
	it('serves an EC2 endpoint and routers that a separate apply and monitor use', async () => {
		const cwd = await tempDir();
		const server = execa(process.execPath, [cli, 'sandbox', '--dir', join(cwd, 'sb')], {
			cwd,
			reject: false,
		});
		const line = await new Promise<string>((resolve, reject) => {
			let buffer = '';
			server.stdout?.on('data', (chunk: Buffer) => {
				buffer += chunk.toString();
				if (buffer.includes('\n')) resolve(buffer.split('\n')[0] ?? '');
			});
			server.on('exit', () => reject(new Error(`sandbox exited: ${buffer}`)));
		});
		try {
			const announced = JSON.parse(line) as {
				endpoint: string;
				routers: { name: string; host: string; port: number; vendor: string; user: string }[];
			};
			expect(announced.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
			expect(announced.routers.map((router) => router.host)).toEqual(['127.0.0.1', '127.0.0.1']);
			const apply = await kakehashi(
				['apply', '--answers', exampleAnswers, '--endpoint-url', announced.endpoint, '--yes', '--json'],
				{ cwd },
			);
			expect(apply.exitCode, apply.stderr).toBe(0);
			const routers = (JSON.parse(apply.stdout) as { routers: { port: number }[] }).routers;
			expect(routers.map((router) => router.port).sort()).toEqual(
				announced.routers.map((r) => r.port).sort(),
			);
			const monitor = await kakehashi(['monitor', '--once', '--json', '--router', 'site'], { cwd });
			expect(monitor.exitCode, monitor.stderr).toBe(0);
			expect((JSON.parse(monitor.stdout) as Snapshot).ipsec[0]?.state).toBe('up');
		} finally {
			server.kill('SIGTERM');
			await server;
		}
		expect(server.exitCode).toBe(0);
	});
});

describe('kakehashi parse', () => {
	it('returns valid JSON and exit 0 for garbage', async () => {
		const cwd = await tempDir();
		const result = await kakehashi(['parse', '--vendor', 'awplus', '--command', 'show ipsec sa'], {
			cwd,
			input: '\x1b[31mgarbage\r\n%%%\n',
		});
		expect(result.exitCode).toBe(0);
		expect(JSON.parse(result.stdout)).toMatchObject({ unparsed: expect.any(Array) });
	});
	it('refuses an unknown vendor with exit 2', async () => {
		const cwd = await tempDir();
		const result = await kakehashi(['parse', '--vendor', 'acme', '--command', 'show ipsec sa'], { cwd });
		expect(result.exitCode).toBe(2);
		expect(result.stderr).toContain('acme');
	});
});
