import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { awplusDriver } from '../../source/router/drivers/awplus/index.js';
import { RouterSession } from '../../source/router/session.js';
import { SandboxWorld, startAwplusRouter } from '../../source/sandbox/awplus/index.js';

const { utils } = ssh2;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the monitor’s RouterSession against the simulated AW+ router', () => {
	it('logs in, enters enable with a password, turns paging off, polls, and reconnects after a restart', async () => {
		const hostKey = utils.generateKeyPairSync('ecdsa', { bits: 256 });
		const userKey = utils.generateKeyPairSync('ed25519');
		const world = new SandboxWorld({ negotiationMs: 100 });
		cleanups.push(() => world.close());
		const neighbors = Array.from(
			{ length: 30 },
			(_, index) => ` neighbor 172.16.${index}.2 remote-as ${65_100 + index}`,
		);
		world.addRouter({
			name: 'ip-172-30-0-139',
			publicIp: '10.0.0.5',
			privateIp: '172.30.0.139',
			config: ['router bgp 65000', ...neighbors],
		});
		const server = await startAwplusRouter({
			world,
			name: 'ip-172-30-0-139',
			hostKey: hostKey.private,
			enablePassword: 'enable-secret',
			users: (username) => (username === 'manager' ? { authorizedKeys: () => [userKey.public] } : undefined),
		});
		cleanups.push(() => server.close());
		const session = new RouterSession({
			host: '127.0.0.1',
			port: server.port,
			username: 'manager',
			privateKey: userKey.private,
			agent: 'none',
			driver: awplusDriver,
			hostKeyVerifier: () => true,
			enablePassword: 'enable-secret',
			connectTimeoutMs: 8000,
			reconnect: { initialMs: 50, maxMs: 200 },
		});
		session.on('error', () => {});
		cleanups.push(() => session.close());
		await session.connect();

		const results = [];
		for (const command of awplusDriver.commands)
			results.push(command.parse(await session.run(command.command)));
		expect(results.map((result) => result.unparsed)).toEqual(awplusDriver.commands.map(() => []));
		expect(results[2]?.bgp).toHaveLength(30);

		await server.restart({ downMs: 100 });
		const after = awplusDriver.commands[2]!.parse(
			await session.run('show ip bgp summary', { timeoutMs: 15_000 }),
		);
		expect(after.bgp).toHaveLength(30);
	});
});
