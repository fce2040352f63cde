import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { knownHostsLine, runSshShell, sshShellArgs } from '../../source/monitor/ssh-shell.js';

const key = { type: 'ssh-ed25519', raw: Buffer.from('0000000b7373682d6564323535313900000020aa', 'hex') };
let dirs: string[] = [];
afterEach(async () => {
	for (const dir of dirs) await rm(dir, { recursive: true, force: true });
	dirs = [];
});

describe('the s key: system ssh pinned to the verified host key', () => {
	it('writes known_hosts in OpenSSH form, [host]:port unless the port is 22', () => {
		expect(knownHostsLine({ host: '127.0.0.1', port: 2222 }, key)).toBe(
			`[127.0.0.1]:2222 ssh-ed25519 ${key.raw.toString('base64')}\n`,
		);
		expect(knownHostsLine({ host: '198.51.100.10', port: 22 }, key)).toMatch(
			/^198\.51\.100\.10 ssh-ed25519 /,
		);
	});

	it('uses the same host, port, user and key, and refuses any other host key', () => {
		const args = sshShellArgs(
			{ host: '127.0.0.1', port: 2222, user: 'manager', identity: '/k/id' },
			'/tmp/kh',
		);
		expect(args).toEqual(
			expect.arrayContaining(['-p', '2222', '-l', 'manager', '-i', '/k/id', 'StrictHostKeyChecking=yes']),
		);
		expect(args).toContain('UserKnownHostsFile=/tmp/kh');
		expect(args.at(-1)).toBe('127.0.0.1');
	});

	it('runs ssh with the terminal and removes the temporary known_hosts afterwards', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'kakehashi-ssh-test-'));
		dirs.push(dir);
		const fake = join(dir, 'fake-ssh');
		const record = join(dir, 'record');
		await writeFile(
			fake,
			`#!/bin/sh\nfor a in "$@"; do case "$a" in UserKnownHostsFile=*) cat "\${a#UserKnownHostsFile=}" > ${record}.kh;; esac; done\necho "$@" > ${record}\nexit 3\n`,
		);
		await chmod(fake, 0o755);
		const code = await runSshShell({ host: '127.0.0.1', port: 2022, user: 'manager' }, key, { ssh: fake });
		expect(code).toBe(3);
		expect(await readFile(record, 'utf8')).toContain('-l manager 127.0.0.1');
		const knownHosts = await readFile(`${record}.kh`, 'utf8');
		expect(knownHosts).toBe(knownHostsLine({ host: '127.0.0.1', port: 2022 }, key));
		const used = (await readFile(record, 'utf8')).match(/UserKnownHostsFile=(\S+)/)?.[1] ?? '';
		await expect(readFile(used)).rejects.toThrow();
	});
});
