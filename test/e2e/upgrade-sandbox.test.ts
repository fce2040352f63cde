import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../source/commands/errors.js';
import {
	checkReleaseFile,
	releaseVersionOf,
	sftpDigest,
	upgradeCommand,
} from '../../source/commands/upgrade.js';
import { SANDBOX_SITE_PUBLIC_IP, type Sandbox, startSandbox } from '../../source/sandbox/index.js';
import { captureIo } from './sandbox-journey.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const step of cleanup.reverse()) await step().catch(() => {});
	cleanup = [];
});

function iso(size = 1024 * 1024): Buffer {
	const data = Buffer.alloc(size);
	data[0x8000] = 1;
	data.write('CD001', 0x8001, 'latin1');
	for (let index = 0x9000; index < size; index += 7) data[index] = index % 253;
	return data;
}

async function sandboxWithSite(): Promise<{ dir: string; sandbox: Sandbox }> {
	const dir = await mkdtemp(join(tmpdir(), 'kakehashi-upgrade-'));
	cleanup.push(() => rm(dir, { recursive: true, force: true }));
	const sandbox = await startSandbox({ dir: join(dir, 'sandbox'), systemTimings: { rebootDownMs: 300 } });
	cleanup.push(() => sandbox.close());
	return { dir, sandbox };
}

function siteOptions(dir: string, sandbox: Sandbox, iso: string) {
	const site = sandbox.routers().find((router) => router.name === 'site');
	if (!site?.identity) throw new Error('the sandbox site router is missing');
	return {
		iso,
		host: '127.0.0.1',
		port: String(site.port),
		user: 'manager',
		identity: site.identity,
		endpointUrl: sandbox.endpoint,
		state: join(dir, 'kakehashi.state.json'),
		knownHosts: join(dir, 'known_hosts'),
		yes: true,
		json: true,
		timeout: '60',
	};
}

describe('release file checks (pure)', () => {
	it('takes an ISO 9660 image, refuses a VHD and anything else', () => {
		const head = iso(0x8006 + 10);
		expect(checkReleaseFile('vaa-5.4.9-2.7.iso', head.length, head, Buffer.alloc(512))).toEqual({
			ok: true,
			size: head.length,
		});
		const footer = Buffer.alloc(512);
		footer.write('conectix', 0, 'latin1');
		expect(checkReleaseFile('vaa.vhd', 10_000, Buffer.alloc(0x8006), footer)).toEqual({
			ok: false,
			reason: 'vhd',
		});
		expect(checkReleaseFile('x.iso', 100, Buffer.alloc(100), Buffer.alloc(100))).toEqual({
			ok: false,
			reason: 'not-iso',
		});
		expect(releaseVersionOf('vaa-5.4.9-2.7.iso')).toBe('5.4.9-2.7');
		expect(releaseVersionOf('release.iso')).toBeUndefined();
	});
});

describe('kakehashi upgrade against the sandbox', () => {
	it('copies, verifies, installs, reboots and reports the new version', async () => {
		const { dir, sandbox } = await sandboxWithSite();
		await writeFile(join(dir, 'vaa-5.4.9-2.7.iso'), iso());
		const { io, out, err } = captureIo(dir);
		const code = await upgradeCommand(siteOptions(dir, sandbox, 'vaa-5.4.9-2.7.iso'), io);
		expect(err()).toContain('copied and verified');
		expect(err()).toMatch(/Copying vaa-5\.4\.9-2\.7\.iso 100% 1\.0 MiB\/1\.0 MiB/);
		expect(code).toBe(0);
		expect(JSON.parse(out())).toEqual({
			router: '127.0.0.1',
			previousVersion: '5.4.9-2.6',
			version: '5.4.9-2.7',
			file: 'vaa-5.4.9-2.7.iso',
			failSafe: false,
		});
		expect(sandbox.system('site')?.version).toBe('5.4.9-2.7');
		expect(sandbox.system('site')?.flash.stat('vaa-5.4.9-2.7.iso')?.size).toBe(1024 * 1024);

		// again: the same file is in flash with the same digest, so it is not copied a second time
		const again = captureIo(dir);
		expect(await upgradeCommand(siteOptions(dir, sandbox, 'vaa-5.4.9-2.7.iso'), again.io)).toBe(0);
		expect(again.err()).toContain('already in flash with the same SHA-256');
		expect(again.err()).not.toContain('Copying');
	});

	it('the read-back digest is that of what the flash holds', async () => {
		const { dir, sandbox } = await sandboxWithSite();
		const data = iso(300_000);
		await writeFile(join(dir, 'vaa-5.4.9-2.7.iso'), data);
		const site = sandbox.routers().find((router) => router.name === 'site');
		const system = sandbox.system('site');
		const identity = site?.identity;
		if (!site || !identity || !system) throw new Error('the sandbox site router is missing');
		const client = new ssh2.Client();
		await new Promise<void>((resolve, reject) =>
			client
				.once('ready', () => resolve())
				.once('error', reject)
				.connect({
					host: '127.0.0.1',
					port: site.port,
					username: 'manager',
					privateKey: readFileSync(identity),
					hostVerifier: () => true,
				}),
		);
		cleanup.push(async () => {
			client.end();
		});
		const sftp = await new Promise<SFTPWrapper>((resolve, reject) =>
			client.sftp((error, opened) => (error ? reject(error) : resolve(opened))),
		);
		await new Promise<void>((resolve, reject) =>
			sftp.fastPut(join(dir, 'vaa-5.4.9-2.7.iso'), 'vaa-5.4.9-2.7.iso', (error) =>
				error ? reject(error) : resolve(),
			),
		);
		const local = createHash('sha256').update(data).digest('hex');
		const seen: number[] = [];
		expect(await sftpDigest(sftp, 'vaa-5.4.9-2.7.iso', data.length, (done) => seen.push(done))).toBe(local);
		expect(seen.at(-1)).toBe(data.length);
		// one byte changed in flash: the digest no longer matches
		const stored = system.flash.pathOf('vaa-5.4.9-2.7.iso');
		const changed = readFileSync(stored);
		changed[200_000] = (changed[200_000] ?? 0) ^ 0xff;
		writeFileSync(stored, changed);
		expect(await sftpDigest(sftp, 'vaa-5.4.9-2.7.iso', data.length, () => {})).not.toBe(local);
	});

	it('says plainly when the appliance came back in fail-safe with its tunnels gone', async () => {
		const { dir, sandbox } = await sandboxWithSite();
		sandbox.world.removeRouter('site');
		sandbox.world.addRouter({
			name: 'site',
			publicIp: SANDBOX_SITE_PUBLIC_IP,
			config: [
				'hostname AR4050S',
				'crypto isakmp key abcdefgh12345678 address 203.0.113.20',
				'interface tunnel0',
				' tunnel destination 203.0.113.20',
				' tunnel mode ipsec ipv4',
				' tunnel protection ipsec',
			],
		});
		sandbox.system('site')?.armFailSafe();
		await writeFile(join(dir, 'vaa-5.4.9-2.7.iso'), iso());
		const { io, out, err } = captureIo(dir, 'ja');
		const code = await upgradeCommand(siteOptions(dir, sandbox, 'vaa-5.4.9-2.7.iso'), io);
		expect(code).toBe(1);
		expect(JSON.parse(out())).toMatchObject({ version: '5.4.9-2.7', failSafe: true });
		expect(err()).toContain('フェイルセーフ');
		expect(err()).toContain('copy default_backup.cfg startup-config');
	});

	it('refuses a VHD with a hint to image import, and a file that is no ISO, creating nothing', async () => {
		const { dir, sandbox } = await sandboxWithSite();
		const vhd = Buffer.alloc(4096);
		vhd.write('conectix', 4096 - 512, 'latin1');
		await writeFile(join(dir, 'amf.vhd'), vhd);
		await writeFile(join(dir, 'notes.iso'), 'not an image');
		const { io } = captureIo(dir);
		await expect(upgradeCommand(siteOptions(dir, sandbox, 'amf.vhd'), io)).rejects.toThrow(/image import/);
		await expect(upgradeCommand(siteOptions(dir, sandbox, 'notes.iso'), io)).rejects.toBeInstanceOf(
			UsageError,
		);
		await expect(upgradeCommand(siteOptions(dir, sandbox, 'missing.iso'), io)).rejects.toBeInstanceOf(
			UsageError,
		);
		expect(
			sandbox
				.system('site')
				?.flash.list()
				.map((entry) => entry.name),
		).toEqual(['vaa-5.4.9-2.6.iso']);
	});
});
