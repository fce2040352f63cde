import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientChannel, ConnectConfig, Client as SshClient } from 'ssh2';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { awplusDriver } from '../../source/router/drivers/awplus/index.js';
import {
	type AwplusRouterServer,
	SandboxWorld,
	type StartAwplusRouterOptions,
	sshFingerprint,
	startAwplusRouter,
} from '../../source/sandbox/awplus/index.js';

const { Client, utils } = ssh2;
const hostKey = utils.generateKeyPairSync('ecdsa', { bits: 256 });
const userKey = utils.generateKeyPairSync('ed25519');
const otherKey = utils.generateKeyPairSync('ed25519');

const DEADLINE_MS = 8000;
const parserFor = (key: string) => awplusDriver.commands.find((command) => command.key === key)!.parse;

/** Polls until `check` returns a value (not undefined); fails with what it last saw after the deadline. */
async function eventually<T>(check: () => T | undefined, describe: () => string): Promise<T> {
	const deadline = Date.now() + DEADLINE_MS;
	for (;;) {
		const value = check();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`Timed out: ${describe()}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function newWorld(negotiationMs = 200): SandboxWorld {
	const world = new SandboxWorld({ negotiationMs });
	cleanups.push(() => world.close());
	return world;
}

async function startRouter(
	world: SandboxWorld,
	name: string,
	extra: Partial<StartAwplusRouterOptions> = {},
): Promise<AwplusRouterServer> {
	const server = await startAwplusRouter({
		world,
		name,
		hostKey: hostKey.private,
		users: (username) => (username === 'manager' ? { authorizedKeys: () => [userKey.public] } : undefined),
		...extra,
	});
	cleanups.push(() => server.close());
	return server;
}

function connect(server: AwplusRouterServer, config: Partial<ConnectConfig> = {}): Promise<SshClient> {
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
				...config,
			});
		cleanups.push(() => {
			client.end();
		});
	});
}

type Shell = {
	channel: ClientChannel;
	text: () => string;
	send: (data: string) => void;
	/** Waits until the text written after `from` matches. */
	waitFor: (pattern: RegExp, from?: number) => Promise<string>;
	/** Types a command and returns everything up to and including the next prompt. */
	run: (command: string) => Promise<string>;
	closed: Promise<void>;
};

async function openShell(client: SshClient, pty = true): Promise<Shell> {
	const channel = await new Promise<ClientChannel>((resolve, reject) =>
		client.shell(pty ? { term: 'vt100', rows: 24, cols: 80 } : false, (error, stream) =>
			error ? reject(error) : resolve(stream),
		),
	);
	let buffer = '';
	channel.on('data', (chunk: Buffer) => {
		buffer += chunk.toString('utf8');
	});
	const closed = new Promise<void>((resolve) => channel.on('close', () => resolve()));
	const waitFor = (pattern: RegExp, from = 0) =>
		eventually(
			() => (pattern.test(buffer.slice(from)) ? buffer.slice(from) : undefined),
			() => `${pattern} in ${JSON.stringify(buffer.slice(from).slice(-300))}`,
		);
	const shell: Shell = {
		channel,
		text: () => buffer,
		send: (data) => channel.write(data),
		waitFor,
		run: async (command) => {
			const mark = buffer.length;
			channel.write(`${command}\r`);
			return waitFor(awplusDriver.prompt, mark);
		},
		closed,
	};
	await waitFor(awplusDriver.prompt);
	return shell;
}

function exec(client: SshClient, command: string): Promise<{ output: string; code: number | undefined }> {
	return new Promise((resolve, reject) => {
		client.exec(command, (error, stream) => {
			if (error) return reject(error);
			let output = '';
			let code: number | undefined;
			stream.on('data', (chunk: Buffer) => {
				output += chunk.toString('utf8');
			});
			stream.on('exit', (exitCode: number) => {
				code = exitCode;
			});
			stream.on('close', () => resolve({ output, code }));
		});
	});
}

const applianceLines = [
	'crypto isakmp key abcdefghijklmnopqrstuvwxyz1234 address 10.1.1.1',
	'interface tunnel0',
	' tunnel source eth0',
	' tunnel destination 10.1.1.1',
	' tunnel local name vaa0',
	' tunnel mode ipsec ipv4',
	' tunnel protection ipsec',
	' ip address 172.16.0.1/30',
	' mtu 1300',
	'ip route 192.168.1.0/24 tunnel0',
	'ip route 192.168.1.0/24 null 254',
	'router bgp 65000',
	' neighbor 172.16.0.2 remote-as 65001',
];
const routerLines = [
	'crypto isakmp key abcdefghijklmnopqrstuvwxyz1234 hostname vaa0',
	'interface tunnel0',
	' tunnel source ppp0',
	' tunnel destination 10.0.0.5',
	' tunnel remote name vaa0',
	' tunnel mode ipsec ipv4',
	' tunnel protection ipsec',
	' ip address 172.16.0.2/30',
	' ip tcp adjust-mss 1260',
	'ip route 172.30.0.5/32 tunnel0',
	'router bgp 65001',
	' neighbor 172.16.0.1 remote-as 65000',
	' network 192.168.1.0/24',
];

async function configure(shell: Shell, lines: readonly string[]): Promise<void> {
	await shell.run('enable');
	await shell.run('configure terminal');
	for (const line of lines) {
		const output = await shell.run(line);
		expect(output, line).not.toMatch(/% /);
	}
	await shell.run('end');
}

describe('simulated AW+ router over SSH: login', () => {
	it('logs in with an authorised key; the host key fingerprint is the one OpenSSH prints', async () => {
		const world = newWorld();
		world.addRouter({ name: 'ip-172-30-0-139', publicIp: '10.0.0.5', privateIp: '172.30.0.139' });
		const server = await startRouter(world, 'ip-172-30-0-139');
		const shell = await openShell(await connect(server));
		expect(shell.text()).toMatch(/ip-172-30-0-139>$/);

		const directory = mkdtempSync(join(tmpdir(), 'kakehashi-hostkey-'));
		try {
			writeFileSync(join(directory, 'host.pub'), `${hostKey.public}\n`);
			const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(directory, 'host.pub')], {
				encoding: 'utf8',
			});
			expect(printed).toContain(server.hostKeyFingerprint);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
		} finally {
			rmSync(directory, { recursive: true, force: true });
		}
	});

	it('refuses other keys and unknown users, and reads the authorised keys at each login', async () => {
		const world = newWorld();
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5' });
		const keys: string[] = [];
		const server = await startRouter(world, 'amf', {
			users: (username) => (username === 'manager' ? { authorizedKeys: () => keys } : undefined),
		});
		await expect(connect(server)).rejects.toThrow(/authentication methods failed/i);
		keys.push(userKey.public);
		await expect(connect(server, { privateKey: otherKey.private })).rejects.toThrow(
			/authentication methods failed/i,
		);
		await expect(connect(server, { username: 'root' })).rejects.toThrow(/authentication methods failed/i);
		await openShell(await connect(server));
	});

	it('accepts a password, by password and by keyboard-interactive, when the user has one', async () => {
		const world = newWorld();
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5' });
		const server = await startRouter(world, 'amf', {
			users: (username) =>
				username === 'manager' ? { authorizedKeys: () => [], password: 'friend' } : undefined,
		});
		await openShell(await connect(server, { privateKey: undefined, password: 'friend' }));
		await expect(connect(server, { privateKey: undefined, password: 'enemy' })).rejects.toThrow();
		const keyboard = new Client();
		cleanups.push(() => {
			keyboard.end();
		});
		keyboard.on('keyboard-interactive', (_name, _instructions, _language, prompts, finish) =>
			finish(prompts.map(() => 'friend')),
		);
		await new Promise<void>((resolve, reject) =>
			keyboard
				.once('ready', () => resolve())
				.once('error', reject)
				.connect({ host: '127.0.0.1', port: server.port, username: 'manager', tryKeyboard: true }),
		);
	});
});

describe('simulated AW+ router over SSH: the CLI', () => {
	it('moves between user, privileged and configuration modes; hostname changes the prompt', async () => {
		const world = newWorld();
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5', privateIp: '172.30.0.5' });
		const server = await startRouter(world, 'amf');
		const shell = await openShell(await connect(server));
		expect(await shell.run('show running-config')).toMatch(
			/% Invalid input detected at '\^' marker\.\r\namf>$/,
		);
		expect(await shell.run('en')).toMatch(/amf#$/);
		expect(await shell.run('disable')).toMatch(/amf>$/);
		await shell.run('enable');
		expect(await shell.run('conf t')).toMatch(/amf\(config\)#$/);
		expect(await shell.run('hostname vaa0')).toMatch(/vaa0\(config\)#$/);
		expect(await shell.run('int tunnel0')).toMatch(/vaa0\(config-if\)#$/);
		expect(await shell.run('tunnel destination 10.1.1.1')).toMatch(/vaa0\(config-if\)#$/);
		expect(await shell.run('tunnel destination banana')).toMatch(
			/\^\r\n% Invalid input detected at '\^' marker\./,
		);
		expect(await shell.run('mtu 1300')).toMatch(/vaa0\(config-if\)#$/);
		expect(await shell.run('no mtu')).toMatch(/vaa0\(config-if\)#$/);
		expect(await shell.run('exit')).toMatch(/vaa0\(config\)#$/);
		expect(await shell.run('router bgp 65000')).toMatch(/vaa0\(config-router\)#$/);
		expect(await shell.run('neighbor 172.16.0.2 remote-as 65001')).toMatch(/vaa0\(config-router\)#$/);
		expect(await shell.run('ip route 192.168.1.0/24 tunnel0')).toMatch(/vaa0\(config\)#$/);
		expect(await shell.run('end')).toMatch(/vaa0#$/);
		const config = await shell.run('show running-config');
		expect(config).toContain('hostname vaa0\r\n');
		expect(config).toContain('interface tunnel0\r\n tunnel destination 10.1.1.1\r\n!');
		expect(config).toContain('router bgp 65000\r\n neighbor 172.16.0.2 remote-as 65001\r\n');
		expect(config).toContain('ip route 192.168.1.0/24 tunnel0\r\n');
		expect(config).not.toContain('mtu');
		expect(await shell.run('show startup-config')).not.toContain('hostname vaa0');
		expect(await shell.run('write memory')).toContain('Building configuration...\r\n[OK]\r\n');
		expect(await shell.run('show startup-config')).toContain('hostname vaa0');
		expect(await shell.run('copy running-config startup-config')).toContain('[OK]');
		expect(await shell.run('sh i')).toContain('% Ambiguous command');
		expect(await shell.run('show ip bgp')).toContain('% Incomplete command.');
	});

	it('echoes typing, handles backspace and CR, LF or CRLF line ends, and works without a pty', async () => {
		const world = newWorld();
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5' });
		const server = await startRouter(world, 'amf');
		const shell = await openShell(await connect(server), false);
		let mark = shell.text().length;
		shell.send('shox\x7fw version\r\n');
		const output = await shell.waitFor(/AlliedWare Plus[\s\S]*amf>$/, mark);
		expect(output.startsWith('shox\b \bw version\r\n')).toBe(true);
		expect(output.match(/amf>/g)).toHaveLength(1);
		mark = shell.text().length;
		shell.send('enable\ndisable\n');
		expect(await shell.waitFor(/amf#\s*disable\r\namf>$/, mark)).toBeTruthy();
	});

	it('asks for the enable password when one is set', async () => {
		const world = newWorld();
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5' });
		const server = await startRouter(world, 'amf', { enablePassword: 'secret' });
		const shell = await openShell(await connect(server));
		let mark = shell.text().length;
		shell.send('enable\r');
		await shell.waitFor(/Password: $/, mark);
		mark = shell.text().length;
		shell.send('wrong\r');
		expect(await shell.waitFor(/Password: $/, mark)).not.toContain('wrong');
		mark = shell.text().length;
		shell.send('secret\r');
		await shell.waitFor(/amf#$/, mark);
	});

	it('pages long output with --More-- (space: a page, enter: a line, q: stop) unless terminal length 0', async () => {
		const world = newWorld();
		const routes = Array.from({ length: 60 }, (_, index) => `ip route 10.${index}.0.0/16 tunnel0`);
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5', config: routes });
		const server = await startRouter(world, 'amf');
		const shell = await openShell(await connect(server));
		await shell.run('enable');
		let mark = shell.text().length;
		shell.send('show running-config\r');
		const firstPage = await shell.waitFor(/ --More-- $/, mark);
		expect(firstPage.split('\r\n').slice(1, -1)).toHaveLength(23);
		mark = shell.text().length;
		shell.send('\r');
		const oneLine = await shell.waitFor(/ --More-- $/, mark);
		expect(oneLine.match(/ip route/g)).toHaveLength(1);
		mark = shell.text().length;
		shell.send(' ');
		await shell.waitFor(/ --More-- $/, mark);
		mark = shell.text().length;
		shell.send('q');
		await shell.waitFor(/amf#$/, mark);
		expect(shell.text()).not.toContain('ip route 10.59.0.0/16');

		await shell.run('terminal length 0');
		const whole = await shell.run('show running-config');
		expect(whole).not.toContain('--More--');
		expect(whole).toContain('ip route 10.59.0.0/16 tunnel0\r\n');
	});

	it('pages a long BGP summary; the parser reads the paged capture', async () => {
		const world = newWorld();
		const neighbors = Array.from(
			{ length: 30 },
			(_, index) => ` neighbor 172.16.${index}.2 remote-as ${65_100 + index}`,
		);
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5', config: ['router bgp 65000', ...neighbors] });
		const server = await startRouter(world, 'amf');
		const shell = await openShell(await connect(server));
		const mark = shell.text().length;
		shell.send('show ip bgp summary\r');
		await shell.waitFor(/ --More-- $/, mark);
		shell.send(' ');
		const capture = await shell.waitFor(/Established sessions 0\r\namf>$/, mark);
		expect(capture).toContain('\b\b\b\b\b\b\b\b\b\b');
		const parsed = parserFor('bgp')(capture);
		expect(parsed.unparsed).toEqual([]);
		expect(parsed.bgp).toHaveLength(30);
		expect(parsed.bgp?.every((entry) => entry.state === 'active')).toBe(true);
	});

	it('closes the session on exit and logout', async () => {
		const world = newWorld();
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5' });
		const server = await startRouter(world, 'amf');
		const shell = await openShell(await connect(server));
		shell.send('exit\r');
		await shell.closed;
		const again = await openShell(await connect(server));
		again.send('logout\r');
		await again.closed;
	});

	it('runs exec requests privileged, without paging, with an exit status', async () => {
		const world = newWorld();
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5', config: applianceLines });
		const server = await startRouter(world, 'amf');
		const client = await connect(server);
		const ipsec = await exec(client, 'show isakmp sa');
		expect(ipsec.code).toBe(0);
		expect(parserFor('ike')(ipsec.output)).toEqual({
			ike: [{ peer: '10.1.1.1', state: 'negotiating', version: 2 }],
			unparsed: [],
		});
		expect((await exec(client, 'show running-config')).output).toContain(' tunnel local name vaa0');
		const bad = await exec(client, 'show foo');
		expect(bad.code).toBe(1);
		expect(bad.output).toContain("% Invalid input detected at '^' marker.");
	});
});

describe('simulated AW+ routers over SSH: tunnels follow configuration and reachability', () => {
	it('establishes the install guide 5a tunnel only when both ends match and UDP 500/4500 pass; drop and restore', async () => {
		const world = newWorld(300);
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5', privateIp: '172.30.0.5' });
		world.addRouter({ name: 'ar', publicIp: '10.1.1.1' });
		let securityGroupOpen = false;
		world.setReachability((from, to) => to !== 'amf' || from !== '10.1.1.1' || securityGroupOpen);
		const amfServer = await startRouter(world, 'amf');
		const arServer = await startRouter(world, 'ar');
		const amf = await openShell(await connect(amfServer));
		const ar = await openShell(await connect(arServer));
		const ike = async (shell: Shell) => parserFor('ike')(await shell.run('show isakmp sa'));
		const ipsec = async (shell: Shell) => parserFor('ipsec')(await shell.run('show ipsec sa'));
		const bgp = async (shell: Shell) => parserFor('bgp')(await shell.run('show ip bgp summary'));
		const until = async (shell: Shell, predicate: (states: string[]) => boolean) => {
			let last: string[] = [];
			for (const deadline = Date.now() + DEADLINE_MS; Date.now() < deadline; ) {
				last = ((await ipsec(shell)).ipsec ?? []).map((sa) => sa.state);
				if (predicate(last)) return;
				await new Promise((resolve) => setTimeout(resolve, 25));
			}
			throw new Error(`Timed out; ipsec states ${JSON.stringify(last)}`);
		};

		await configure(amf, applianceLines);
		expect((await ike(amf)).ike).toEqual([{ peer: '10.1.1.1', state: 'negotiating', version: 2 }]);
		await configure(ar, routerLines);
		expect((await ike(ar)).ike?.[0]?.state).toBe('negotiating');
		expect((await ipsec(ar)).ipsec).toEqual([]);
		expect(world.tunnel('ar', 'tunnel0')?.reason).toContain('UDP 500');

		securityGroupOpen = true;
		world.setReachability((from, to) => to !== 'amf' || from !== '10.1.1.1' || securityGroupOpen);
		await until(ar, (states) => states.length === 1 && states[0] === 'up');
		const arSa = (await ipsec(ar)).ipsec![0]!;
		const amfSa = (await ipsec(amf)).ipsec![0]!;
		expect(arSa).toMatchObject({ peer: '10.0.0.5', state: 'up' });
		expect(amfSa).toMatchObject({ peer: '10.1.1.1', state: 'up', spiIn: arSa.spiOut, spiOut: arSa.spiIn });
		expect((await ike(amf)).ike?.[0]).toMatchObject({ peer: '10.1.1.1', state: 'established', version: 2 });
		expect((await bgp(amf)).bgp).toEqual([
			expect.objectContaining({
				neighbor: '172.16.0.2',
				remoteAs: 65001,
				state: 'established',
				prefixesReceived: 1,
			}),
		]);

		world.dropTunnel('amf', 'tunnel0');
		await until(amf, (states) => states.length === 0);
		expect((await ike(ar)).ike?.[0]?.state).toBe('negotiating');
		expect((await bgp(ar)).bgp?.[0]?.state).toBe('active');
		world.restoreTunnel('amf', 'tunnel0');
		await until(amf, (states) => states.length === 1 && states[0] === 'up');
		expect((await ipsec(amf)).ipsec?.[0]?.spiIn).not.toBe(amfSa.spiIn);

		const mark = ar.text().length;
		await configure(ar, ['interface tunnel0', ' no tunnel protection ipsec']);
		expect(ar.text().slice(mark)).not.toContain('%');
		await until(amf, (states) => states.length === 0);
	});
});

describe('simulated AW+ router over SSH: server lifecycle', () => {
	it('serves several clients at once and drops them all on close', async () => {
		const world = newWorld();
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5' });
		const server = await startRouter(world, 'amf');
		const shells = await Promise.all([1, 2, 3].map(async () => openShell(await connect(server))));
		await Promise.all(shells.map((shell) => shell.run('enable')));
		expect(server.connectionCount()).toBe(3);
		await server.close();
		await Promise.all(shells.map((shell) => shell.closed));
		expect(server.connectionCount()).toBe(0);
		await expect(connect(server)).rejects.toThrow();
	});

	it('restarts on the same port: connections drop, new ones are served', async () => {
		const world = newWorld();
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5' });
		const server = await startRouter(world, 'amf');
		const port = server.port;
		const shell = await openShell(await connect(server));
		await server.restart({ downMs: 50 });
		await shell.closed;
		expect(server.port).toBe(port);
		const again = await openShell(await connect(server));
		expect(await again.run('show version')).toContain('AlliedWare Plus (TM)');
	});
});
