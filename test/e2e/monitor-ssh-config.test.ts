import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../source/sandbox/index.js';
import { kakehashi, tempDir } from './cli-helpers.js';

let sandbox: Sandbox;
let home: string;

beforeAll(async () => {
	home = await tempDir('kakehashi-sshconfig-');
	sandbox = await startSandbox({ dir: join(home, 'sandbox') });
});
afterAll(async () => {
	await sandbox?.close();
});

describe('monitor --host honours ~/.ssh/config', () => {
	it('takes HostName, Port, User and IdentityFile from a Host alias, and verifies the host key', async () => {
		const site = sandbox.routers().find((router) => router.name === 'site');
		if (!site?.identity) throw new Error('sandbox site router missing');
		await mkdir(join(home, '.ssh'), { recursive: true, mode: 0o700 });
		await writeFile(
			join(home, '.ssh', 'config'),
			`Host ar4050s\n  HostName 127.0.0.1\n  Port ${site.port}\n  User manager\n  IdentityFile ${site.identity}\n`,
		);
		const knownHosts = join(home, 'known_hosts');
		// unknown host key: refused non-interactively, with the fingerprint
		const refused = await kakehashi(
			['monitor', '--host', 'ar4050s', '--known-hosts', knownHosts, '--once', '--json'],
			{ cwd: home },
		);
		expect(refused.exitCode).toBe(1);
		expect(refused.stderr).toContain(site.hostKey.fingerprint);
		// accept-new records it, then the alias resolves and the router answers
		const accepted = await kakehashi(
			[
				'monitor',
				'--host',
				'ar4050s',
				'--known-hosts',
				knownHosts,
				'--accept-new-host-key',
				'--once',
				'--json',
			],
			{ cwd: home },
		);
		expect(accepted.exitCode, accepted.stderr).toBe(0);
		const snapshot = JSON.parse(accepted.stdout) as { router: { reachable: boolean; host: string } };
		expect(snapshot.router.reachable).toBe(true);
		const again = await kakehashi(
			['monitor', '--host', 'ar4050s', '--known-hosts', knownHosts, '--once', '--json'],
			{
				cwd: home,
			},
		);
		expect(again.exitCode, again.stderr).toBe(0);
	});
});
