import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SFTPWrapper, Client as SshClient } from 'ssh2';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDir, parseFlashFree, parseShowSystem } from '../../source/router/drivers/awplus/system-info.js';
import {
	type AwplusRouterServer,
	SandboxWorld,
	sshFingerprint,
	startAwplusRouter,
} from '../../source/sandbox/awplus/index.js';
import { RouterSystem } from '../../source/sandbox/awplus/system.js';

const { Client, utils } = ssh2;
const hostKey = utils.generateKeyPairSync('ecdsa', { bits: 256 });
const userKey = utils.generateKeyPairSync('ed25519');
const DEADLINE_MS = 10_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
	const deadline = Date.now() + DEADLINE_MS;
	for (;;) {
		const value = await check();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`Timed out: ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

const TUNNEL = [
	'crypto isakmp key abcdefgh12345678 address 198.51.100.10',
	'interface tunnel0',
	' tunnel source eth0',
	' tunnel destination 198.51.100.10',
	' tunnel mode ipsec ipv4',
	' tunnel protection ipsec',
	' ip address 172.16.0.1/30',
];

async function setup(timings: { rebootDownMs?: number; failSafeMs?: number } = {}) {
	const dir = mkdtempSync(join(tmpdir(), 'kakehashi-upkeep-'));
	cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
	const world = new SandboxWorld({ negotiationMs: 100 });
	cleanups.push(() => world.close());
	world.addRouter({ name: 'vaa', publicIp: '203.0.113.20', privateIp: '172.30.0.10', config: TUNNEL });
	const system = new RouterSystem({
		world,
		name: 'vaa',
		dir: join(dir, 'vaa'),
		timings: { rebootDownMs: 200, failSafeMs: 60_000, ...timings },
	});
	cleanups.push(() => system.close());
	const server = await startAwplusRouter({
		world,
		name: 'vaa',
		hostKey: hostKey.private,
		users: (username) => (username === 'manager' ? { authorizedKeys: () => [userKey.public] } : undefined),
		system,
	});
	cleanups.push(() => server.close());
	return { dir, world, system, server };
}

function connect(server: AwplusRouterServer): Promise<SshClient> {
	return new Promise((resolve, reject) => {
		const client = new Client();
		client
			.once('ready', () => resolve(client))
			.once('error', reject)
			.connect({
				host: '127.0.0.1',
				port: server.port,
				username: 'manager',
				privateKey: userKey.private,
				readyTimeout: DEADLINE_MS,
				hostVerifier: (key: Buffer) => sshFingerprint(key) === server.hostKeyFingerprint,
			});
		cleanups.push(() => {
			client.end();
		});
	});
}

/** Runs lines through an exec request (the CLI answers y/n questions with the next line). */
function exec(client: SshClient, commands: string): Promise<{ output: string; code: number | undefined }> {
	return new Promise((resolve, reject) => {
		client.exec(commands, (error, channel) => {
			if (error) return reject(error);
			let output = '';
			let code: number | undefined;
			channel.on('data', (chunk: Buffer) => {
				output += chunk.toString();
			});
			channel.on('exit', (exitCode: number) => {
				code = exitCode;
			});
			channel.on('close', () => resolve({ output, code }));
		});
	});
}

function sftpOf(client: SshClient): Promise<SFTPWrapper> {
	return new Promise((resolve, reject) =>
		client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))),
	);
}

function isoFile(dir: string, name: string, size = 0x8800): string {
	const data = Buffer.alloc(size);
	data[0x8000] = 1;
	data.write('CD001', 0x8001, 'latin1');
	for (let index = 0x8100; index < size; index++) data[index] = index % 251;
	const file = join(dir, name);
	writeFileSync(file, data);
	return file;
}

const put = (sftp: SFTPWrapper, local: string, remote: string) =>
	new Promise<void>((resolve, reject) =>
		sftp.fastPut(local, remote, (error) => (error ? reject(error) : resolve())),
	);

describe('simulated AW+ upkeep: flash, SFTP, software-upgrade, reboot, fail-safe', () => {
	it('lists the flash with dir and its free space; SFTP put lands in flash and reads back', async () => {
		const { dir, server, system } = await setup();
		const client = await connect(server);
		const listing = parseDir((await exec(client, 'dir')).output);
		expect(listing.map((entry) => entry.name)).toEqual(['default.cfg', 'vaa-5.4.9-2.6.iso']);
		expect(listing.find((entry) => entry.name === 'vaa-5.4.9-2.6.iso')?.size).toBeGreaterThan(100_000_000);
		const free = parseFlashFree((await exec(client, 'show file systems')).output);
		expect(free).toBeGreaterThan(1024 ** 3);

		const local = isoFile(dir, 'vaa-5.4.9-2.7.iso', 300_000);
		const sftp = await sftpOf(client);
		await put(sftp, local, 'vaa-5.4.9-2.7.iso');
		const stats = await new Promise<{ size: number }>((resolve, reject) =>
			sftp.stat('flash:/vaa-5.4.9-2.7.iso', (error, value) => (error ? reject(error) : resolve(value))),
		);
		expect(stats.size).toBe(300_000);
		const names = await new Promise<string[]>((resolve, reject) =>
			sftp.readdir('/', (error, list) =>
				error ? reject(error) : resolve(list.map((item) => item.filename)),
			),
		);
		expect(names).toContain('vaa-5.4.9-2.7.iso');
		const back = join(dir, 'back.iso');
		await new Promise<void>((resolve, reject) =>
			sftp.fastGet('vaa-5.4.9-2.7.iso', back, (error) => (error ? reject(error) : resolve())),
		);
		expect(system.flash.head('vaa-5.4.9-2.7.iso', 300_000).equals(readFileSync(back))).toBe(true);
		const entry = parseDir((await exec(client, 'dir vaa-5.4.9-2.7.iso')).output)[0];
		expect(entry).toMatchObject({ name: 'vaa-5.4.9-2.7.iso', size: 300_000 });
		expect(Math.abs((entry?.modified?.getTime() ?? 0) - Date.now())).toBeLessThan(120_000);
	});

	it('software-upgrade refuses a missing or corrupt file and installs a release; reboot brings it up', async () => {
		const { dir, server, world } = await setup();
		const client = await connect(server);
		const missing = await exec(client, 'software-upgrade vaa-9.9.9-9.9.iso');
		expect(missing.output).toContain('% vaa-9.9.9-9.9.iso: No such file or directory');
		const sftp = await sftpOf(client);
		writeFileSync(join(dir, 'broken.iso'), Buffer.alloc(40_000));
		await put(sftp, join(dir, 'broken.iso'), 'vaa-5.4.9-2.8.iso');
		const corrupt = await exec(client, 'software-upgrade vaa-5.4.9-2.8.iso\ny');
		expect(corrupt.output).toMatch(/Install this release to disk\? \(y\/n\): /);
		expect(corrupt.output).toContain('corrupt or incomplete');
		await put(sftp, isoFile(dir, 'vaa-5.4.9-2.7.iso'), 'vaa-5.4.9-2.7.iso');
		const installed = await exec(client, 'software-upgrade vaa-5.4.9-2.7.iso\ny');
		expect(installed.output).toContain('The new release will run after the next reboot.');
		expect(parseShowSystem((await exec(client, 'show system')).output).version).toBe('5.4.9-2.6');
		await exec(client, 'write memory');

		const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
		const answered = await exec(client, 'reboot\ny');
		expect(answered.output).toContain('reboot system? (y/n): ');
		await closed;
		const again = await eventually(
			async () => connect(server).catch(() => undefined),
			'SSH back after reboot',
		);
		const after = parseShowSystem((await exec(again, 'show system')).output);
		expect(after.version).toBe('5.4.9-2.7');
		expect(after.release).toBe('vaa-5.4.9-2.7.iso');
		expect(after.uptimeSeconds).toBeLessThan(60);
		expect((await exec(again, 'show running-config')).output).toContain('tunnel destination 198.51.100.10');
		expect(world.getRouter('vaa')).toBeDefined();
	});

	it('fail-safe: reboots with the default configuration and keeps the old one as default_backup.cfg', async () => {
		const { server, system } = await setup();
		const client = await connect(server);
		await exec(client, 'write memory');
		await system.failSafe();
		const again = await eventually(
			async () => connect(server).catch(() => undefined),
			'SSH back after fail-safe',
		);
		const running = (await exec(again, 'show running-config')).output;
		expect(running).not.toContain('interface tunnel0');
		expect(running).toContain('hostname ip-172-30-0-10');
		const backup = parseDir((await exec(again, 'dir default_backup.cfg')).output)[0];
		expect(backup?.name).toBe('default_backup.cfg');
		expect(system.flash.readText('default_backup.cfg')).toContain('tunnel destination 198.51.100.10');
		// restore as the finding says: copy default_backup.cfg startup-config, reboot
		expect((await exec(again, 'copy default_backup.cfg startup-config')).output).toContain('Successful');
		const down = new Promise<void>((resolve) => again.once('close', () => resolve()));
		await exec(again, 'reboot\ny');
		await down;
		const restored = await eventually(
			async () => connect(server).catch(() => undefined),
			'SSH back after restore',
		);
		expect((await exec(restored, 'show running-config')).output).toContain('interface tunnel0');
	});

	it('fail-safe happens by itself when eth0 stays shut for the fail-safe period', async () => {
		const { server, world } = await setup({ failSafeMs: 300 });
		const client = await connect(server);
		const before = world.getRouter('vaa')?.bootedAt ?? 0;
		await exec(client, 'configure terminal\ninterface eth0\nshutdown\nend');
		await eventually(
			() => ((world.getRouter('vaa')?.bootedAt ?? before) > before ? true : undefined),
			'a fail-safe reboot',
		);
		const again = await eventually(async () => connect(server).catch(() => undefined), 'SSH back');
		expect((await exec(again, 'dir')).output).toContain('flash:/default_backup.cfg');
	});
});
