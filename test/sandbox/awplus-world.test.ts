import { afterEach, describe, expect, it } from 'vitest';
import { parseBgpSummary, parseIpsecSa, parseIsakmpSa } from '../../source/router/drivers/awplus/index.js';
import { compilePattern, matchCommand } from '../../source/sandbox/awplus/command-grammar.js';
import {
	formatBgpSummary,
	formatIpsecSa,
	formatIpsecSaDetail,
	formatIsakmpSa,
	formatIsakmpSaDetail,
	formatUpDown,
	RunningConfig,
	SandboxWorld,
	type SandboxWorldOptions,
} from '../../source/sandbox/awplus/index.js';
import { saGenerations } from '../../source/sandbox/awplus/world.js';

// install-guide 5a, table 2: appliance public 10.0.0.5 (private 172.30.0.5), AR router 10.1.1.1.
const PSK = 'abcdefghijklmnopqrstuvwxyz1234';
const applianceConfig = (psk = PSK) => [
	`crypto isakmp key ${psk} address 10.1.1.1`,
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
	' network 172.30.0.0/24',
];
const routerConfig = (psk = PSK) => [
	`crypto isakmp key ${psk} hostname vaa0`,
	'interface tunnel0',
	' tunnel source ppp0',
	' tunnel destination 10.0.0.5',
	' tunnel remote name vaa0',
	' tunnel mode ipsec ipv4',
	' tunnel protection ipsec',
	' ip address 172.16.0.2/30',
	' ip tcp adjust-mss 1260',
	' mtu 1300',
	'router bgp 65001',
	' neighbor 172.16.0.1 remote-as 65000',
	' network 192.168.1.0/24',
	' network 192.168.2.0/24',
];

let worlds: SandboxWorld[] = [];
afterEach(() => {
	for (const world of worlds) world.close();
	worlds = [];
});

function clockedWorld(options: SandboxWorldOptions = {}) {
	const clock = { ms: 1_000_000 };
	const world = new SandboxWorld({ negotiationMs: 1000, now: () => clock.ms, ...options });
	worlds.push(world);
	return { world, clock, advance: (ms: number) => (clock.ms += ms) };
}

function singleMode(options: SandboxWorldOptions = {}) {
	const setup = clockedWorld(options);
	setup.world.addRouter({
		name: 'amf',
		publicIp: '10.0.0.5',
		privateIp: '172.30.0.5',
		config: applianceConfig(),
	});
	setup.world.addRouter({ name: 'ar', publicIp: '10.1.1.1', config: routerConfig() });
	return setup;
}

const stateOf = (world: SandboxWorld, router: string, tunnel = 'tunnel0') =>
	world.tunnel(router, tunnel)?.state;

describe('SandboxWorld: a tunnel follows both ends’ configuration and the path', () => {
	it('negotiates (phase 1 up, phase 2 missing) for negotiationMs, then is up on both ends', () => {
		const { world, advance } = singleMode();
		expect(world.tunnel('amf', 'tunnel0')).toMatchObject({
			state: 'negotiating',
			peerRouter: 'ar',
			natTraversal: true,
			reason: expect.stringContaining('phase 2'),
		});
		const early = world.status('amf');
		expect(early.ike).toHaveLength(1);
		expect(early.ike[0]).toMatchObject({ state: 'established', peer: '10.1.1.1', localId: 'vaa0' });
		expect(early.ipsec).toEqual([]);

		advance(1000);
		expect(stateOf(world, 'amf')).toBe('up');
		expect(stateOf(world, 'ar')).toBe('up');
		const amf = world.status('amf');
		const ar = world.status('ar');
		expect(ar.ike[0]?.peer).toBe('10.0.0.5');
		expect(amf.ike[0]?.initiatorCookie).toBe(ar.ike[0]?.initiatorCookie);
		expect(amf.ipsec[0]?.spiIn).toBe(ar.ipsec[0]?.spiOut);
		expect(amf.ipsec[0]?.spiOut).toBe(ar.ipsec[0]?.spiIn);
		expect(amf.ipsec[0]?.spiIn).not.toBe(amf.ipsec[0]?.spiOut);
	});

	it('stays negotiating while only one end is configured, showing a zero responder cookie', () => {
		const { world, advance } = clockedWorld();
		world.addRouter({
			name: 'amf',
			publicIp: '10.0.0.5',
			privateIp: '172.30.0.5',
			config: applianceConfig(),
		});
		world.addRouter({ name: 'ar', publicIp: '10.1.1.1' });
		advance(60_000);
		expect(world.tunnel('amf', 'tunnel0')).toMatchObject({
			state: 'negotiating',
			reason: expect.stringContaining('ar'),
		});
		const { ike, ipsec } = world.status('amf');
		expect(ike[0]?.responderCookie).toBe('0000000000000000');
		expect(ipsec).toEqual([]);
	});

	it.each([
		['different pre-shared keys', applianceConfig('other-key'), routerConfig(), /pre-shared keys/],
		[
			'no tunnel local name behind NAT',
			applianceConfig().filter((line) => !line.includes('local name')),
			routerConfig(),
			/behind NAT/,
		],
		[
			'a wrong remote name',
			applianceConfig(),
			routerConfig().map((line) => line.replace('remote name vaa0', 'remote name vaa9')),
			/expects the peer to identify as vaa9/,
		],
		[
			'a key for the wrong hostname',
			applianceConfig(),
			routerConfig().map((line) => line.replace('hostname vaa0', 'hostname vaa1')),
			/no "crypto isakmp key" for hostname vaa0/,
		],
		[
			'a destination that is the private address',
			applianceConfig(),
			routerConfig().map((line) => line.replace('destination 10.0.0.5', 'destination 172.30.0.5')),
			/No router answers at 172.30.0.5/,
		],
	])('never comes up with %s', (_name, appliance, router, reason) => {
		const { world, advance } = clockedWorld();
		world.addRouter({ name: 'amf', publicIp: '10.0.0.5', privateIp: '172.30.0.5', config: appliance });
		world.addRouter({ name: 'ar', publicIp: '10.1.1.1', config: router });
		advance(60_000);
		const tunnels = world.tunnels();
		expect(tunnels.map((tunnel) => tunnel.state)).not.toContain('up');
		expect(tunnels.some((tunnel) => reason.test(tunnel.reason))).toBe(true);
		expect(world.status('amf').ipsec).toEqual([]);
	});

	it('needs UDP 500 and, behind NAT, UDP 4500 from the user router to the appliance', () => {
		const { world, advance } = singleMode();
		world.setReachability(
			(from, to, _protocol, port) => !(from === '10.1.1.1' && to === 'amf' && port === 4500),
		);
		advance(60_000);
		expect(world.tunnel('amf', 'tunnel0')).toMatchObject({
			state: 'negotiating',
			reason: expect.stringContaining('4500'),
		});
		world.setReachability((_from, _to, _protocol, port) => port !== 500);
		expect(world.tunnel('ar', 'tunnel0')?.reason).toContain('UDP 500');
		world.setReachability(() => true);
		expect(stateOf(world, 'amf')).toBe('negotiating');
		advance(1000);
		expect(stateOf(world, 'amf')).toBe('up');
	});

	it('drops and restores a tunnel; the restored one has new SPIs', () => {
		const { world, advance } = singleMode();
		advance(1000);
		const before = world.status('amf').ipsec[0]?.spiIn;
		world.dropTunnel('amf', 'tunnel0');
		expect(stateOf(world, 'amf')).toBe('negotiating');
		expect(stateOf(world, 'ar')).toBe('negotiating');
		expect(world.status('ar').ipsec).toEqual([]);
		world.restoreTunnel('amf', 'tunnel0');
		advance(1000);
		expect(stateOf(world, 'amf')).toBe('up');
		expect(world.status('amf').ipsec[0]?.spiIn).not.toBe(before);
		world.dropTunnel('ar');
		expect(stateOf(world, 'amf')).toBe('negotiating');
		world.restoreTunnel('ar');
		advance(1000);
		expect(stateOf(world, 'amf')).toBe('up');
	});

	it('emits change events when tunnel states change', () => {
		const { world, advance } = clockedWorld();
		const reasons: string[] = [];
		world.on('change', (change) => reasons.push(change.reason));
		world.addRouter({
			name: 'amf',
			publicIp: '10.0.0.5',
			privateIp: '172.30.0.5',
			config: applianceConfig(),
		});
		world.addRouter({ name: 'ar', publicIp: '10.1.1.1', config: routerConfig() });
		advance(1000);
		world.dropTunnel('amf');
		world.restoreTunnel('amf');
		expect(reasons).toEqual(['router-added', 'router-added', 'drop', 'restore']);
	});

	it('counts SA lifetimes down, rekeys with new SPIs (both SAs shown meanwhile) and grows counters', () => {
		const { world, advance } = singleMode({ ipsecLifetimeSeconds: 60, rekeyMarginSeconds: 10 });
		advance(1000);
		expect(world.status('amf').ipsec.map((sa) => sa.expiresInSeconds)).toEqual([60]);
		advance(20_000);
		const first = world.status('amf').ipsec;
		expect(first.map((sa) => sa.expiresInSeconds)).toEqual([40]);
		advance(32_000);
		const overlapping = world.status('amf').ipsec;
		expect(overlapping.map((sa) => sa.expiresInSeconds)).toEqual([8, 58]);
		expect(overlapping[0]?.spiIn).toBe(first[0]?.spiIn);
		expect(overlapping[1]?.spiIn).not.toBe(first[0]?.spiIn);
		expect(overlapping[0]?.bytesOut).toBeGreaterThan(first[0]?.bytesOut ?? 0);
		advance(10_000);
		expect(world.status('amf').ipsec.map((sa) => sa.spiIn)).toEqual([overlapping[1]?.spiIn]);
		const tunnel = world.status('amf').tunnels[0];
		expect(tunnel?.linkUp).toBe(true);
		expect(tunnel?.bytesIn).toBeGreaterThan(0);
	});

	it('gives BGP Established over an up tunnel, Active when it is down, Idle (Admin) when shut', () => {
		const { world, advance } = singleMode();
		expect(world.status('amf').bgp?.neighbors[0]).toMatchObject({ state: 'active' });
		advance(1000);
		expect(world.status('amf').bgp?.neighbors[0]).toMatchObject({
			state: 'established',
			prefixesReceived: 2,
		});
		expect(world.status('ar').bgp?.neighbors[0]).toMatchObject({ state: 'established', prefixesReceived: 1 });
		advance(90_000);
		world.dropTunnel('ar');
		advance(5000);
		expect(world.status('amf').bgp?.neighbors[0]).toMatchObject({ state: 'active', upDownSeconds: 5 });
		world.restoreTunnel('ar');
		const router = world.getRouter('ar')!;
		router.config.set(['router bgp 65001'], 'neighbor 172.16.0.1 shutdown');
		world.configChanged('ar');
		advance(1000);
		expect(world.status('ar').bgp?.neighbors[0]).toMatchObject({ state: 'idle', adminDown: true });
		expect(world.status('amf').bgp?.neighbors[0]).toMatchObject({ state: 'active' });
	});

	it('establishes multi-tenant L2TPv3 tunnels by the same rules, with mirrored ids (install-guide 6)', () => {
		const { world, advance } = clockedWorld();
		const tenantKey = { a: 'efghijklmnopqrstuvwxyz1234abcd', b: 'ijklmnopqrstuvwxyz1234abcdefgh' };
		world.addRouter({
			name: 'amf',
			publicIp: '10.0.0.5',
			privateIp: '172.30.0.5',
			config: [
				`crypto isakmp key ${tenantKey.a} address 10.10.10.1`,
				`crypto isakmp key ${tenantKey.b} address 10.20.20.1`,
				...['1', '2'].flatMap((n) => [
					`interface tunnel${n}`,
					' tunnel source eth0',
					` tunnel destination 10.${n}0.${n}0.1`,
					` tunnel local name vaa${n}`,
					` tunnel local id ${n}1`,
					` tunnel remote id ${n}2`,
					' tunnel mode l2tp v3',
					' tunnel protection ipsec',
				]),
			],
		});
		const tenant = (n: '1' | '2', key: string, remoteId: string) => [
			`crypto isakmp key ${key} hostname vaa${n}`,
			'interface tunnel0',
			' tunnel source ppp0',
			' tunnel destination 10.0.0.5',
			` tunnel remote name vaa${n}`,
			` tunnel local id ${n}2`,
			` tunnel remote id ${remoteId}`,
			' tunnel mode l2tp v3',
			' tunnel protection ipsec',
			' ip address 172.16.0.2/24',
		];
		world.addRouter({ name: 'tenant-a', publicIp: '10.10.10.1', config: tenant('1', tenantKey.a, '11') });
		world.addRouter({ name: 'tenant-b', publicIp: '10.20.20.1', config: tenant('2', tenantKey.b, '99') });
		advance(1000);
		expect(world.tunnel('amf', 'tunnel1')).toMatchObject({
			state: 'up',
			peerRouter: 'tenant-a',
			l2tpv3: 'up',
		});
		expect(world.tunnel('amf', 'tunnel2')).toMatchObject({
			state: 'up',
			peerRouter: 'tenant-b',
			l2tpv3: 'down',
		});
		expect(world.status('amf').ipsec.map((sa) => [sa.peer, sa.mode])).toEqual([
			['10.10.10.1', 'transport'],
			['10.20.20.1', 'transport'],
		]);
		expect(world.status('amf').tunnels.map((tunnel) => tunnel.linkUp)).toEqual([true, false]);
	});
});

describe('the simulated show output is what the awplus parsers read', () => {
	it('round-trips show isakmp sa, show ipsec sa and show ip bgp summary (brief and detail)', () => {
		const { world, advance } = singleMode();
		advance(1000);
		advance(12_345);
		const status = world.status('amf');
		const sa = status.ipsec[0]!;
		const ike = parseIsakmpSa(formatIsakmpSa(status.ike).join('\r\n'));
		expect(ike).toEqual({
			ike: [{ peer: '10.1.1.1', state: 'established', version: 2, expiresInSeconds: 28800 - 13 }],
			unparsed: [],
		});
		expect(parseIsakmpSa(formatIsakmpSaDetail(status.ike).join('\n')).ike).toEqual([
			{
				peer: '10.1.1.1',
				local: '172.30.0.5',
				state: 'established',
				version: 2,
				encryption: 'aes256',
				integrity: 'sha256',
				dhGroup: 14,
				expiresInSeconds: 28800 - 13,
				natTraversal: true,
			},
		]);
		expect(parseIpsecSa(formatIpsecSa(status.ipsec).join('\n'))).toEqual({
			ipsec: [
				{
					peer: '10.1.1.1',
					state: 'up',
					spiIn: `0x${sa.spiIn}`,
					spiOut: `0x${sa.spiOut}`,
					expiresInSeconds: 3600 - 12,
				},
			],
			unparsed: [],
		});
		expect(parseIpsecSa(formatIpsecSaDetail(status.ipsec).join('\n')).ipsec).toEqual([
			{
				peer: '10.1.1.1',
				tunnel: 'tunnel0',
				state: 'up',
				spiIn: `0x${sa.spiIn}`,
				spiOut: `0x${sa.spiOut}`,
				encryption: 'aes256',
				integrity: 'sha256',
				expiresInSeconds: 3600 - 12,
				bytesIn: sa.bytesIn,
				bytesOut: sa.bytesOut,
				packetsIn: sa.packetsIn,
				packetsOut: sa.packetsOut,
			},
		]);
		expect(parseBgpSummary(formatBgpSummary(status.bgp).join('\n'))).toEqual({
			bgp: [
				{
					neighbor: '172.16.0.2',
					remoteAs: 65001,
					state: 'established',
					uptimeSeconds: 12,
					prefixesReceived: 2,
				},
			],
			unparsed: [],
		});
	});

	it('round-trips negotiating SAs, non-established BGP states and wrapped IPv6 peers', () => {
		const { world } = clockedWorld();
		world.addRouter({
			name: 'amf',
			publicIp: '10.0.0.5',
			privateIp: '172.30.0.5',
			config: applianceConfig(),
		});
		const status = world.status('amf');
		expect(parseIsakmpSa(formatIsakmpSa(status.ike).join('\n')).ike).toEqual([
			{ peer: '10.1.1.1', state: 'negotiating', version: 2 },
		]);
		const bgp = {
			routerId: '172.16.0.1',
			asn: 65000,
			tableVersion: 1,
			neighbors: [
				{ neighbor: '2001:db8:ffff:1000::1', remoteAs: 64512, state: 'active' as const, adminDown: false },
				{
					neighbor: '172.16.0.6',
					remoteAs: 64513,
					state: 'idle' as const,
					adminDown: true,
					upDownSeconds: 93_600,
				},
			].map((entry) => ({ ...entry, messagesReceived: 0, messagesSent: 0, tableVersion: 0 })),
		};
		expect(parseBgpSummary(formatBgpSummary(bgp).join('\n'))).toEqual({
			bgp: [
				{ neighbor: '2001:db8:ffff:1000::1', remoteAs: 64512, state: 'active' },
				{ neighbor: '172.16.0.6', remoteAs: 64513, state: 'idle' },
			],
			unparsed: [],
		});
		const wide = formatIsakmpSa([{ ...status.ike[0]!, peer: '2001:db8:1000:2000:3000:4000:5000:6001' }]);
		expect(wide).toHaveLength(3);
		expect(parseIsakmpSa(wide.join('\n')).ike?.[0]?.peer).toBe('2001:db8:1000:2000:3000:4000:5000:6001');
	});

	it('prints ZebOS up/down times', () => {
		expect([undefined, 0, 693, 93_600, 2_408_400].map(formatUpDown)).toEqual([
			'never',
			'00:00:00',
			'00:11:33',
			'1d02h',
			'03w6d21h',
		]);
	});

	it('keeps a generation list consistent around rekeys', () => {
		expect(saGenerations(0, 60, 10)).toEqual([{ generation: 0, ageSeconds: 0, expiresInSeconds: 60 }]);
		expect(saGenerations(55, 60, 10).map((entry) => [entry.generation, entry.expiresInSeconds])).toEqual([
			[0, 5],
			[1, 55],
		]);
	});
});

describe('RunningConfig and the command grammar', () => {
	it('reads indented config, replaces single-valued lines, removes with no, and prints AW+ style', () => {
		const config = RunningConfig.parse(applianceConfig());
		config.set(['interface tunnel0'], 'tunnel destination 10.9.9.9');
		config.set([], 'crypto isakmp key other address 10.1.1.1');
		expect(config.remove(['interface tunnel0'], 'mtu')).toBe(1);
		expect(config.remove([], 'ip route 192.168.1.0/24 null')).toBe(1);
		const text = config.render();
		expect(text).toContain(' tunnel destination 10.9.9.9');
		expect(text).not.toContain(' tunnel destination 10.1.1.1');
		expect(text.filter((line) => line.startsWith('crypto isakmp key'))).toEqual([
			'crypto isakmp key other address 10.1.1.1',
		]);
		expect(text).not.toContain(' mtu 1300');
		expect(RunningConfig.parse(text).render()).toEqual(text);
	});

	it('expands unique prefixes and reports ambiguous, invalid and incomplete input', () => {
		const table = [
			...compilePattern('bgp', 'show ip bgp summary'),
			...compilePattern('ipsec', 'show ipsec sa [detail]'),
			...compilePattern('iface', 'show interface [<name>]'),
		];
		expect(matchCommand(table, ['sh', 'ip', 'b', 'su'])).toMatchObject({
			ok: true,
			canonical: 'show ip bgp summary',
		});
		expect(matchCommand(table, ['sh', 'ipsec', 'sa', 'det'])).toMatchObject({ ok: true, id: 'ipsec' });
		expect(matchCommand(table, ['sh', 'i'])).toEqual({ ok: false, error: 'ambiguous', tokenIndex: 1 });
		expect(matchCommand(table, ['show', 'foo'])).toEqual({ ok: false, error: 'invalid', tokenIndex: 1 });
		expect(matchCommand(table, ['show', 'ip', 'bgp'])).toEqual({ ok: false, error: 'incomplete' });
		expect(matchCommand(table, ['show', 'int', 'tunnel0'])).toMatchObject({
			ok: true,
			args: { name: 'tunnel0' },
		});
	});
});

describe('CliSession', () => {
	it('never throws, whatever is typed', async () => {
		const fc = (await import('fast-check')).default;
		const { CliSession } = await import('../../source/sandbox/awplus/index.js');
		const keys = fc.constantFrom(
			'\r',
			'\n',
			'\x7f',
			'\x03',
			'\x1a',
			'\x15',
			'\x1b[A',
			' ',
			'q',
			'?',
			'conf t\r',
			'no ',
			'int tunnel0\r',
			'show ',
			'end\r',
		);
		fc.assert(
			fc.property(fc.array(fc.oneof(fc.string(), keys), { maxLength: 40 }), (inputs) => {
				const { world } = singleMode();
				const session = new CliSession({ world, routerName: 'amf', write: () => {}, close: () => {} });
				session.start();
				for (const input of inputs) session.input(input);
				session.input('\x03end\rshow running-config\r');
			}),
			{ numRuns: 150 },
		);
	});
});
