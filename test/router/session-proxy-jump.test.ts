import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouterDriver } from '../../source/router/driver.js';
import {
	ConnectError,
	HostKeyRejectedError,
	type HostKeyTarget,
	RouterSession,
	SessionClosedError,
} from '../../source/router/session.js';
import { parseProxyJump, resolveSshHost } from '../../source/router/ssh-config.js';
import { generateKey, TestJumpHost, TestRouter, waitUntil } from '../helpers/ssh-test-server.js';

const driver: RouterDriver = {
	vendor: 'test',
	prompt: /[\w.-]+[>#]\s*$/,
	privilegedPrompt: /[\w.-]+#\s*$/,
	enable: 'enable',
	pagingOff: ['terminal length 0'],
	more: /--More--/,
	commands: [],
};

const jumpUser = { username: 'jump', password: 'jump-secret' };
const jumpKey = generateKey('ed25519');
const routerUser = { username: 'admin', password: 'secret' };
const servers: (TestRouter | TestJumpHost)[] = [];
const sessions: RouterSession[] = [];

afterEach(async () => {
	await Promise.all(sessions.splice(0).map((session) => session.close()));
	await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function startPair() {
	const router = await TestRouter.start({ users: [routerUser], commands: { 'show version': 'OS 1.0' } });
	const jump = await TestJumpHost.start({ users: [{ ...jumpUser, publicKeys: [jumpKey.publicKey] }] });
	servers.push(router, jump);
	const fingerprints = new Map([
		[`127.0.0.1:${router.port}`, router.hostKey.fingerprint],
		[`127.0.0.1:${jump.port}`, jump.hostKey.fingerprint],
	]);
	const verified: HostKeyTarget[] = [];
	const hostKeyVerifier = (key: { fingerprint: string }, target: HostKeyTarget) => {
		verified.push(target);
		return fingerprints.get(`${target.host}:${target.port}`) === key.fingerprint;
	};
	return { router, jump, verified, hostKeyVerifier };
}

describe('RouterSession over ProxyJump', () => {
	it('reaches the router through the jump host and verifies both host keys', async () => {
		const { router, jump, verified, hostKeyVerifier } = await startPair();
		const session = new RouterSession({
			host: '127.0.0.1',
			port: router.port,
			...routerUser,
			agent: 'none',
			driver,
			hostKeyVerifier,
			proxyJump: { host: '127.0.0.1', port: jump.port, ...jumpUser, agent: 'none' },
			reconnect: { initialMs: 20, maxMs: 200 },
		});
		sessions.push(session);
		await session.connect();
		await expect(session.run('show version')).resolves.toBe('OS 1.0');
		expect(jump.forwards).toEqual([`127.0.0.1:${router.port}`]);
		expect(verified).toEqual([
			{ host: '127.0.0.1', port: jump.port },
			{ host: '127.0.0.1', port: router.port },
		]);

		// Losing the jump host loses the router too; both come back.
		jump.dropConnections();
		await waitUntil(
			() => session.state === 'reconnecting' || jump.forwards.length > 1,
			'the drop to be noticed',
		);
		await expect(session.run('show version', { timeoutMs: 15_000 })).resolves.toBe('OS 1.0');
		expect(jump.forwards.length).toBeGreaterThan(1);
	});

	it('follows ProxyJump from ~/.ssh/config-style aliases (key auth on the jump host)', async () => {
		const { router, jump, hostKeyVerifier } = await startPair();
		const dir = mkdtempSync(join(tmpdir(), 'kakehashi-proxyjump-'));
		try {
			const config = join(dir, 'config');
			const keyFile = join(dir, 'jump_key');
			writeFileSync(keyFile, jumpKey.privateKey, { mode: 0o600 });
			writeFileSync(
				config,
				[
					'Host lab-router',
					'  HostName 127.0.0.1',
					`  Port ${router.port}`,
					`  User ${routerUser.username}`,
					`  ProxyJump ${jumpUser.username}@lab-jump:${jump.port}`,
					'Host lab-jump',
					'  HostName 127.0.0.1',
					`  IdentityFile ${keyFile}`,
				].join('\n'),
			);
			const target = resolveSshHost('lab-router', { configFile: config });
			const hops = parseProxyJump(target.proxyJump ?? '').map((hop) => {
				const resolved = resolveSshHost(hop.host, { configFile: config });
				return {
					host: resolved.hostName,
					port: hop.port ?? resolved.port ?? 22,
					username: hop.user ?? resolved.user ?? 'nobody',
					...(resolved.identityFiles[0] ? { privateKey: readFileSync(resolved.identityFiles[0]) } : {}),
					agent: 'none',
				};
			});
			const session = new RouterSession({
				host: target.hostName,
				port: target.port ?? 22,
				username: target.user ?? 'nobody',
				password: routerUser.password,
				agent: 'none',
				driver,
				hostKeyVerifier,
				proxyJump: hops,
			});
			sessions.push(session);
			await session.connect();
			await expect(session.run('show version')).resolves.toBe('OS 1.0');
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('reports a destination the jump host refuses as ConnectError naming the jump host', async () => {
		const { jump, hostKeyVerifier } = await startPair();
		const session = new RouterSession({
			// The jump host forwards to 127.0.0.1 only; it refuses this without opening any connection.
			host: '192.0.2.1',
			port: 22,
			...routerUser,
			agent: 'none',
			driver,
			hostKeyVerifier,
			proxyJump: { host: '127.0.0.1', port: jump.port, ...jumpUser, agent: 'none' },
		});
		sessions.push(session);
		const error = await session.connect().catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ConnectError);
		expect((error as Error).message).toMatch(/192\.0\.2\.1.*jump host 127\.0\.0\.1 port \d+/);
		expect(jump.forwards).toEqual(['192.0.2.1:22']);
	});

	it('refuses an unknown jump host key before reaching the router', async () => {
		const { router, jump } = await startPair();
		const session = new RouterSession({
			host: '127.0.0.1',
			port: router.port,
			...routerUser,
			agent: 'none',
			driver,
			hostKeyVerifier: () => true,
			proxyJump: {
				host: '127.0.0.1',
				port: jump.port,
				...jumpUser,
				agent: 'none',
				hostKeyVerifier: () => false,
			},
		});
		sessions.push(session);
		await expect(session.connect()).rejects.toBeInstanceOf(HostKeyRejectedError);
		expect(jump.forwards).toEqual([]);
		expect(router.received).toEqual([]);
		await expect(session.run('show version')).rejects.toBeInstanceOf(SessionClosedError);
	});
});
