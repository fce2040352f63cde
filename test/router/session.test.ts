import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParsedKey } from 'ssh2';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RouterDriver } from '../../source/router/driver.js';
import { createKnownHostsVerifier, HostKeyMismatchError } from '../../source/router/host-keys.js';
import {
	AuthenticationError,
	CommandTimeoutError,
	ConnectError,
	EnableError,
	HostKeyRejectedError,
	PrivateKeyError,
	RouterSession,
	type RouterSessionOptions,
	reconnectDelay,
	SessionClosedError,
	type SessionState,
} from '../../source/router/session.js';
import { generateKey, TestRouter, type TestRouterOptions, waitUntil } from '../helpers/ssh-test-server.js';

/** A minimal Cisco-like driver, defined here so that the session is tested without any vendor driver. */
const driver: RouterDriver = {
	vendor: 'test',
	prompt: /[\w.-]+(?:\([\w-]+\))?[>#]\s*$/,
	privilegedPrompt: /[\w.-]+(?:\([\w-]+\))?#\s*$/,
	enable: 'enable',
	pagingOff: ['terminal length 0'],
	more: /--More--/,
	commands: [],
};

const SHOW_VERSION = 'Test Router OS 1.2.3\nUptime is 5 days\n\n  indented line';
const user = { username: 'admin', password: 'secret' };
const userKey = generateKey('ed25519');
const encryptedUserKey = generateKey('ed25519', 'key-pass');
const pemUserKey = generateKeyPairSync('rsa', {
	modulusLength: 2048,
	publicKeyEncoding: { type: 'spki', format: 'pem' },
	privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pem-pass' },
});

const pkcs8UserKey = generateKeyPairSync('ec', {
	namedCurve: 'prime256v1',
	publicKeyEncoding: { type: 'spki', format: 'pem' },
	privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'p8-pass' },
});
const pkcs8UserPublicKey = (
	ssh2.utils.parseKey(
		createPrivateKey({ key: pkcs8UserKey.privateKey, passphrase: 'p8-pass' }).export({
			type: 'sec1',
			format: 'pem',
		}),
	) as ParsedKey
).getPublicSSH();
const pemUserPublicKey = `ssh-rsa ${(ssh2.utils.parseKey(pemUserKey.privateKey, 'pem-pass') as ParsedKey).getPublicSSH().toString('base64')}`;

const routers: TestRouter[] = [];
const sessions: RouterSession[] = [];
let scratch: string;

beforeAll(() => {
	scratch = mkdtempSync(join(tmpdir(), 'kakehashi-session-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(async () => {
	await Promise.all(sessions.splice(0).map((session) => session.close()));
	await Promise.all(routers.splice(0).map((router) => router.stop()));
});

async function startRouter(options: Partial<TestRouterOptions> = {}): Promise<TestRouter> {
	const router = await TestRouter.start({
		users: [
			{
				...user,
				publicKeys: [
					userKey.publicKey,
					encryptedUserKey.publicKey,
					pemUserPublicKey,
					`ecdsa-sha2-nistp256 ${pkcs8UserPublicKey.toString('base64')}`,
				],
			},
		],
		commands: { 'show version': SHOW_VERSION },
		...options,
	});
	routers.push(router);
	return router;
}

function sessionFor(router: TestRouter, options: Partial<RouterSessionOptions> = {}): RouterSession {
	const session = new RouterSession({
		host: '127.0.0.1',
		port: router.port,
		username: user.username,
		password: user.password,
		agent: 'none',
		driver,
		hostKeyVerifier: (key) => key.fingerprint === router.hostKey.fingerprint,
		commandTimeoutMs: 10_000,
		connectTimeoutMs: 10_000,
		reconnect: { initialMs: 20, maxMs: 200 },
		...options,
	});
	sessions.push(session);
	return session;
}

describe('RouterSession: authentication', () => {
	it('logs in with a password, enters enable mode, switches paging off and runs a command', async () => {
		const router = await startRouter();
		const session = sessionFor(router);
		const states: SessionState[] = [];
		session.on('state', (state) => states.push(state));
		await session.connect();
		expect(session.state).toBe('ready');
		expect(states).toEqual(['connecting', 'ready']);
		expect(router.received).toEqual(['enable', 'terminal length 0']);
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
	});

	it('logs in with an unencrypted OpenSSH private key', async () => {
		const router = await startRouter();
		const session = sessionFor(router, { password: undefined, privateKey: userKey.privateKey });
		await session.connect();
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
	});

	it('logs in with an encrypted OpenSSH private key and its passphrase', async () => {
		const router = await startRouter();
		const session = sessionFor(router, {
			password: undefined,
			privateKey: encryptedUserKey.privateKey,
			passphrase: 'key-pass',
		});
		await session.connect();
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
	});

	it('logs in with an encrypted PEM (PKCS#1) RSA key and its passphrase', async () => {
		const router = await startRouter();
		const session = sessionFor(router, {
			password: undefined,
			privateKey: Buffer.from(pemUserKey.privateKey),
			passphrase: 'pem-pass',
		});
		await session.connect();
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
	});

	it('logs in with an encrypted PKCS#8 EC key and its passphrase', async () => {
		const router = await startRouter();
		const session = sessionFor(router, {
			password: undefined,
			privateKey: pkcs8UserKey.privateKey,
			passphrase: 'p8-pass',
		});
		await session.connect();
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
	});

	it('explains an encrypted key given without its passphrase, and a wrong passphrase', async () => {
		const router = await startRouter();
		for (const privateKey of [encryptedUserKey.privateKey, pemUserKey.privateKey, pkcs8UserKey.privateKey]) {
			const missing = sessionFor(router, { password: undefined, privateKey });
			const error = await missing.connect().catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(PrivateKeyError);
			expect(error).toMatchObject({ reason: 'passphrase-missing', code: 'private-key', host: '127.0.0.1' });
			expect((error as Error).message).toMatch(/127\.0\.0\.1.*encrypted.*passphrase/);
			expect(missing.state).toBe('idle');

			const wrong = sessionFor(router, { password: undefined, privateKey, passphrase: 'nope' });
			await expect(wrong.connect()).rejects.toMatchObject({
				name: 'PrivateKeyError',
				reason: 'passphrase-wrong',
			});
		}
	});

	it('answers keyboard-interactive prompts with the password', async () => {
		const router = await startRouter({
			users: [{ ...user, keyboardInteractive: true, noPasswordMethod: true }],
		});
		const session = sessionFor(router);
		await session.connect();
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
	});

	it('does not try keyboard-interactive when told not to', async () => {
		const router = await startRouter({
			users: [{ ...user, keyboardInteractive: true, noPasswordMethod: true }],
		});
		const session = sessionFor(router, { tryKeyboardInteractive: false });
		await expect(session.connect()).rejects.toBeInstanceOf(AuthenticationError);
	});

	it('refuses a wrong password with an AuthenticationError naming the user and host', async () => {
		const router = await startRouter();
		const session = sessionFor(router, { password: 'wrong' });
		const error = await session.connect().catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(AuthenticationError);
		expect((error as Error).message).toContain(`127.0.0.1 port ${router.port}`);
		expect((error as Error).message).toContain('"admin"');
		expect(session.state).toBe('idle');
	});

	describe('with ssh-agent', () => {
		let agent: ChildProcess | undefined;
		let socket: string;

		beforeAll(async () => {
			socket = join(scratch, 'agent.sock');
			agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
			await waitUntil(() => existsSync(socket), 'ssh-agent socket');
			const keyFile = join(scratch, 'agent_key');
			writeFileSync(keyFile, userKey.privateKey, { mode: 0o600 });
			execFileSync('ssh-add', [keyFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
		});
		afterAll(() => {
			if (agent?.pid) process.kill(agent.pid);
		});

		it('authenticates with the agent at the given socket', async () => {
			const router = await startRouter();
			const session = sessionFor(router, { password: undefined, agent: socket });
			await session.connect();
			await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
		});

		it('uses SSH_AUTH_SOCK when no key and no agent is given', async () => {
			const router = await startRouter();
			const previous = process.env.SSH_AUTH_SOCK;
			process.env.SSH_AUTH_SOCK = socket;
			try {
				const session = sessionFor(router, { password: undefined, agent: undefined });
				await session.connect();
				await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
			} finally {
				if (previous === undefined) delete process.env.SSH_AUTH_SOCK;
				else process.env.SSH_AUTH_SOCK = previous;
			}
		});
	});
});

describe('RouterSession: host keys and connection errors', () => {
	it('rejects an unknown host key with a typed error carrying the fingerprint', async () => {
		const router = await startRouter();
		const session = sessionFor(router, { hostKeyVerifier: () => false });
		const error = await session.connect().catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(HostKeyRejectedError);
		expect(error).toMatchObject({ fingerprint: router.hostKey.fingerprint, keyType: 'ssh-ed25519' });
		expect(router.received).toEqual([]);
	});

	it('lets an asynchronous verifier take its time (e.g. to ask the user)', async () => {
		const router = await startRouter();
		const seen: unknown[] = [];
		const session = sessionFor(router, {
			connectTimeoutMs: 1000,
			hostKeyVerifier: async (key, target) => {
				seen.push({ fingerprint: key.fingerprint, target });
				await new Promise((resolve) => setTimeout(resolve, 1500)); // longer than connectTimeoutMs
				return true;
			},
		});
		await session.connect();
		expect(seen).toEqual([
			{ fingerprint: router.hostKey.fingerprint, target: { host: '127.0.0.1', port: router.port } },
		]);
	});

	it('with known_hosts: unknown is refused, accept-new records it, a changed key is refused naming both fingerprints', async () => {
		const router = await startRouter();
		const knownHosts = join(scratch, `known_hosts_${router.port}`);
		const unknown = sessionFor(router, {
			hostKeyVerifier: createKnownHostsVerifier({ knownHostsFiles: [knownHosts] }),
		});
		const refused = await unknown.connect().catch((caught: unknown) => caught);
		expect(refused).toBeInstanceOf(HostKeyRejectedError);
		expect((refused as Error).cause).toBeInstanceOf(HostKeyMismatchError);
		expect((refused as Error).message).toContain(router.hostKey.fingerprint);

		const acceptNew = sessionFor(router, {
			hostKeyVerifier: createKnownHostsVerifier({
				knownHostsFiles: [knownHosts],
				acceptNew: true,
				recordTo: knownHosts,
			}),
		});
		await acceptNew.connect();
		const known = sessionFor(router, {
			hostKeyVerifier: createKnownHostsVerifier({ knownHostsFiles: [knownHosts] }),
		});
		await known.connect();

		const impostor = await startRouter();
		await impostor.stop();
		await router.stop();
		await impostor.start(router.port); // another host key on the same address
		const changed = sessionFor(router, {
			hostKeyVerifier: createKnownHostsVerifier({ knownHostsFiles: [knownHosts] }),
		});
		const error = await changed.connect().catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(HostKeyRejectedError);
		expect((error as Error).message).toMatch(/has changed/);
		expect((error as Error).message).toContain(impostor.hostKey.fingerprint);
		expect((error as Error).message).toContain(router.hostKey.fingerprint);
	});

	it('reports a refused connection as ConnectError with the errno', async () => {
		const router = await startRouter();
		await router.stop();
		const session = sessionFor(router);
		const error = await session.connect().catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(ConnectError);
		expect(error).toMatchObject({ errno: 'ECONNREFUSED', code: 'connect-failed' });
		expect((error as Error).message).toContain(`127.0.0.1 port ${router.port}`);
	});

	it('refuses to run before connect() and after close()', async () => {
		const router = await startRouter();
		const session = sessionFor(router);
		await expect(session.run('show version')).rejects.toBeInstanceOf(SessionClosedError);
		await session.connect();
		await session.close();
		expect(session.state).toBe('closed');
		await expect(session.run('show version')).rejects.toBeInstanceOf(SessionClosedError);
	});
});

describe('RouterSession: framing', () => {
	it.each([
		['CRLF', '\r\n'],
		['LF', '\n'],
		['CR CR LF', '\r\r\n'],
	])('returns clean output with %s line ends and ANSI colours', async (_name, newline) => {
		const router = await startRouter({
			newline,
			ansi: true,
			banner: 'Authorised access only\nsecond banner line',
		});
		const session = sessionFor(router);
		await session.connect();
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
	});

	it('follows the prompt through config mode and a hostname change', async () => {
		const router = await startRouter();
		const session = sessionFor(router);
		await session.connect();
		await expect(session.run('configure terminal')).resolves.toBe(
			'Enter configuration commands, one per line.  End with CNTL/Z.',
		);
		await expect(session.run('hostname edge-1.tokyo')).resolves.toBe('');
		await expect(session.run('end')).resolves.toBe('');
		expect(router.hostname).toBe('edge-1.tokyo');
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
		await expect(session.run('no such command')).resolves.toBe('% Invalid input detected: no such command');
	});

	it('answers an enable password and fails clearly without one', async () => {
		const router = await startRouter({ enablePassword: 'en-secret' });
		const withPassword = sessionFor(router, { enablePassword: 'en-secret' });
		await withPassword.connect();
		await expect(withPassword.run('show version')).resolves.toBe(SHOW_VERSION);

		const without = sessionFor(router);
		const error = await without.connect().catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(EnableError);
		expect((error as Error).message).toMatch(/127\.0\.0\.1.*asks for a password/);

		const wrong = sessionFor(router, { enablePassword: 'nope' });
		await expect(wrong.connect()).rejects.toThrow(/enable password was refused/);
	});

	it('does not send enable when already privileged', async () => {
		const router = await startRouter({ startPrivileged: true });
		const session = sessionFor(router);
		await session.connect();
		expect(router.received).toEqual(['terminal length 0']);
	});

	it.each(['backspace', 'carriage-return', 'newline'] as const)(
		'pages through --More-- when paging-off is ignored (pager erased by %s)',
		async (moreErase) => {
			const router = await startRouter({
				pageSize: 7,
				ignorePagingOff: true,
				moreErase,
				ansi: moreErase === 'backspace',
			});
			const session = sessionFor(router);
			await session.connect();
			const output = await session.run('lines 30');
			expect(output).toBe(
				Array.from({ length: 30 }, (_, index) => `line ${String(index + 1).padStart(3, '0')}`).join('\n'),
			);
			expect(router.pagerPrompts).toBe(4);
			await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
		},
	);

	it('prods a router that shows its prompt only after a key press', async () => {
		const router = await startRouter({ promptOnKeyPress: true });
		const session = sessionFor(router, { connectTimeoutMs: 1000 });
		await session.connect();
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
	});
});

describe('RouterSession: timeouts and reconnection', () => {
	it('times out a hung command, interrupts it, and runs the next queued command', async () => {
		const router = await startRouter();
		const session = sessionFor(router);
		await session.connect();
		const hung = session.run('hang', { timeoutMs: 300 });
		const next = session.run('show version');
		const error = await hung.catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(CommandTimeoutError);
		expect(error).toMatchObject({ command: 'hang', timeoutMs: 300 });
		expect((error as Error).message).toContain('127.0.0.1');
		await expect(next).resolves.toBe(SHOW_VERSION);
		expect(session.state).toBe('ready');
	});

	it('fails the in-flight command with SessionClosedError on connection loss, reconnects, and carries on', async () => {
		const router = await startRouter();
		const session = sessionFor(router);
		const reconnects: [number, number][] = [];
		session.on('reconnecting', (attempt, delayMs) => reconnects.push([attempt, delayMs]));
		await session.connect();
		const dropped = await session.run('drop').catch((caught: unknown) => caught);
		expect(dropped).toBeInstanceOf(SessionClosedError);
		await expect(session.run('show version')).resolves.toBe(SHOW_VERSION);
		expect(reconnects[0]?.[0]).toBe(1);
		expect(session.state).toBe('ready');
		expect(router.shellSessions).toBe(2);
		expect(router.received.filter((command) => command === 'terminal length 0')).toHaveLength(2);
	});

	it('keeps retrying while the router is down, and a waiting command runs once it is back', async () => {
		const router = await startRouter();
		const session = sessionFor(router);
		const errors: Error[] = [];
		const attempts: number[] = [];
		session.on('error', (error) => errors.push(error));
		session.on('reconnecting', (attempt) => attempts.push(attempt));
		await session.connect();
		await router.stop();
		await waitUntil(() => attempts.length >= 3, 'three reconnect attempts');
		const waiting = session.run('show version', { timeoutMs: 20_000 });
		await router.start();
		await expect(waiting).resolves.toBe(SHOW_VERSION);
		expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);
		expect(errors.some((error) => error instanceof ConnectError)).toBe(true);
	});

	it('gives up waiting for a reconnect after the command timeout', async () => {
		const router = await startRouter();
		const session = sessionFor(router);
		session.on('error', () => undefined);
		await session.connect();
		await router.stop();
		await waitUntil(() => session.state === 'reconnecting', 'reconnecting');
		const error = await session.run('show version', { timeoutMs: 200 }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(CommandTimeoutError);
		expect((error as Error).message).toMatch(/no connection/);
	});

	it('closes instead of reconnecting when reconnect is false', async () => {
		const router = await startRouter();
		const session = sessionFor(router, { reconnect: false });
		await session.connect();
		await expect(session.run('drop')).rejects.toBeInstanceOf(SessionClosedError);
		await waitUntil(() => session.state === 'closed', 'closed');
		await expect(session.run('show version')).rejects.toBeInstanceOf(SessionClosedError);
	});

	it('stops reconnecting when the host key changes meanwhile', async () => {
		const router = await startRouter();
		const session = sessionFor(router);
		const errors: Error[] = [];
		session.on('error', (error) => errors.push(error));
		await session.connect();
		const impostor = new TestRouter({ users: [user] });
		routers.push(impostor);
		await router.stop();
		await impostor.start(router.port);
		await waitUntil(() => session.state === 'closed', 'closed after a refused host key');
		expect(errors.at(-1)).toBeInstanceOf(HostKeyRejectedError);
	});

	it('close() fails a pending command with SessionClosedError', async () => {
		const router = await startRouter();
		const session = sessionFor(router);
		await session.connect();
		const pending = session.run('hang');
		await waitUntil(() => router.received.includes('hang'), 'the command to reach the router');
		await session.close();
		await expect(pending).rejects.toBeInstanceOf(SessionClosedError);
	});
});

describe('reconnectDelay', () => {
	it('grows exponentially up to the cap, with full jitter by default', () => {
		const policy = { initialMs: 100, maxMs: 1000 };
		expect([1, 2, 3, 4, 5, 10].map((attempt) => reconnectDelay(attempt, policy, () => 0))).toEqual([
			100, 200, 400, 800, 1000, 1000,
		]);
		expect(reconnectDelay(3, policy, () => 0.999_999)).toBe(0);
		expect(reconnectDelay(3, { ...policy, jitter: 0 }, () => 0.5)).toBe(400);
		expect(reconnectDelay(3, { ...policy, jitter: 0.5 }, () => 1)).toBe(200);
	});
});
