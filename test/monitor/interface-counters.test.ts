import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { TunnelHistory } from '../../source/monitor/history.js';
import { interfaceCountersFor, tunnelInterfaceOf } from '../../source/monitor/interface-counters.js';
import { updateMetrics } from '../../source/monitor/metrics.js';
import { joinTunnels } from '../../source/monitor/tunnels.js';
import { parseIpsecSa, parseShowInterface } from '../../source/router/drivers/awplus/index.js';
import type { IpsecSa, RouterInterface, StatusSnapshot } from '../../source/router/model.js';

/**
 * AW+ `show ipsec sa` prints no traffic counters: a tunnel row takes its tunnel interface's, found by
 * the name the SAs give, else by the interface's destination being the row's peer — never by order.
 */

const tunnel = (name: string, fields: Partial<RouterInterface> = {}): RouterInterface => ({
	name,
	hardware: 'Tunnel',
	linkUp: true,
	adminUp: true,
	...fields,
});
const sa = (fields: Partial<IpsecSa> = {}): IpsecSa => ({ peer: '198.51.100.1', state: 'up', ...fields });
const counters = (bytesIn: number, bytesOut: number, packetsIn = 10, packetsOut = 20) => ({
	bytesIn,
	bytesOut,
	packetsIn,
	packetsOut,
});

type Case = {
	name: string;
	row: { peer: string; ipsec: IpsecSa[]; tunnelInterface?: string; counters: Record<string, number> };
	interfaces: RouterInterface[] | undefined;
	expected: { interface: string; counters: Record<string, number> } | undefined;
};

const cases: Case[] = [
	{
		name: 'the SA names the interface (case and spaces aside)',
		row: { peer: '198.51.100.1', ipsec: [sa({ tunnel: 'Tunnel1 ' })], counters: {} },
		interfaces: [
			tunnel('tunnel0', { destination: '198.51.100.1', ...counters(1, 2) }),
			tunnel('tunnel1', { destination: '198.51.100.9', ...counters(300, 400) }),
		],
		// the name wins over a destination that happens to match another interface
		expected: { interface: 'tunnel1', counters: counters(300, 400) },
	},
	{
		name: 'no SA names one: the one interface whose destination is the peer, listed in any order',
		row: { peer: '198.51.100.2', ipsec: [sa({ peer: '198.51.100.2:4500' })], counters: {} },
		interfaces: [
			tunnel('tunnel1', { destination: '198.51.100.20', ...counters(5, 6) }),
			tunnel('tunnel0', { destination: '198.51.100.2', ...counters(7, 8) }),
			{ name: 'eth1', hardware: 'Ethernet', linkUp: true, adminUp: true, ...counters(9, 9) },
		],
		expected: { interface: 'tunnel0', counters: counters(7, 8) },
	},
	{
		name: 'a tunnel row without any SA (tunnel down) still reads its interface by destination',
		row: { peer: '10.0.0.5', ipsec: [], counters: {} },
		interfaces: [tunnel('tunnel0', { linkUp: false, destination: '10.0.0.5', ...counters(0, 0, 0, 0) })],
		expected: { interface: 'tunnel0', counters: counters(0, 0, 0, 0) },
	},
	{
		name: 'the SAs carry counters: the row keeps its own',
		row: { peer: '198.51.100.1', ipsec: [sa({ tunnel: 'tunnel0' })], counters: { bytesIn: 5 } },
		interfaces: [tunnel('tunnel0', { destination: '198.51.100.1', ...counters(1, 2) })],
		expected: undefined,
	},
	{
		name: 'the SA names an interface the router does not list: nothing (no fallback to another)',
		row: { peer: '198.51.100.1', ipsec: [sa({ tunnel: 'tunnel7' })], counters: {} },
		interfaces: [tunnel('tunnel0', { destination: '198.51.100.1', ...counters(1, 2) })],
		expected: undefined,
	},
	{
		name: 'two interfaces with the peer as destination: ambiguous, nothing',
		row: { peer: '198.51.100.1', ipsec: [sa()], counters: {} },
		interfaces: [
			tunnel('tunnel0', { destination: '198.51.100.1', ...counters(1, 2) }),
			tunnel('tunnel1', { destination: '198.51.100.1', ...counters(3, 4) }),
		],
		expected: undefined,
	},
	{
		name: 'no interface goes to the peer: nothing, whatever the order',
		row: { peer: '198.51.100.1', ipsec: [sa()], counters: {} },
		interfaces: [tunnel('tunnel0', { destination: '198.51.100.3', ...counters(1, 2) })],
		expected: undefined,
	},
	{
		name: 'the interface prints no counters: nothing',
		row: { peer: '198.51.100.1', ipsec: [sa()], counters: {} },
		interfaces: [tunnel('tunnel0', { destination: '198.51.100.1' })],
		expected: undefined,
	},
	{
		name: 'no interfaces section (other vendors): nothing',
		row: { peer: '198.51.100.1', ipsec: [sa()], counters: {} },
		interfaces: undefined,
		expected: undefined,
	},
	{
		name: 'only the counters that are counts are taken',
		row: { peer: '198.51.100.1', ipsec: [sa()], counters: {} },
		interfaces: [
			tunnel('tunnel0', {
				destination: '198.51.100.1',
				bytesIn: 100,
				bytesOut: -1,
				packetsIn: Number.NaN,
				packetsOut: 3,
			}),
		],
		expected: { interface: 'tunnel0', counters: { bytesIn: 100, packetsOut: 3 } },
	},
];

describe('interfaceCountersFor', () => {
	it.each(cases)('$name', ({ row, interfaces, expected }) => {
		expect(interfaceCountersFor(row, interfaces)).toStrictEqual(expected);
	});

	it('tolerates malformed JSON snapshots (entries that are not objects, names that are not strings)', () => {
		const interfaces = [null, 3, { name: 5 }, tunnel('tunnel0', { destination: '198.51.100.1' })];
		expect(
			tunnelInterfaceOf({ peer: '198.51.100.1', ipsec: [] }, interfaces as unknown as RouterInterface[]),
		).toMatchObject({ name: 'tunnel0' });
	});
});

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'awplus');
const read = (command: string, name: string) =>
	readFileSync(join(fixtures, command.replaceAll(' ', '_'), `${name}.txt`), 'utf8');

describe('joinTunnels with AW+ outputs: rows get their tunnel interface counters', () => {
	/** `show ipsec sa` (no counters, no interface names) and `show interface`, as the poller merges them. */
	function awplusSnapshot(interfaceOutput: string): StatusSnapshot {
		const ipsec = parseIpsecSa(
			[
				'Peer                 SPI (in:out)          Mode    Proto Expires',
				'198.51.100.2         c1d2e3f4:0a1b2c3d     tunnel  ESP   3312s',
				'198.51.100.10        c1d2e3f5:0a1b2c3e     tunnel  ESP   2900s',
				'198.51.100.1         c1d2e3f6:0a1b2c3f     tunnel  ESP   3100s',
			].join('\n'),
		);
		return { ipsec: ipsec.ipsec ?? [], interfaces: parseShowInterface(interfaceOutput).interfaces ?? [] };
	}

	it('each peer gets the interface going to it, although the two outputs list them in different orders', () => {
		const rows = joinTunnels(awplusSnapshot(read('show interface', 'several-tunnels')));
		expect(rows.map((row) => [row.peer, row.tunnelInterface, row.counters])).toEqual([
			['198.51.100.1', 'tunnel0', { bytesIn: 98765, bytesOut: 101112, packetsIn: 1234, packetsOut: 1200 }],
			['198.51.100.2', 'tunnel2', { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 }],
			[
				'198.51.100.10',
				'tunnel10',
				{ bytesIn: 701223345, bytesOut: 644100871, packetsIn: 982311, packetsOut: 870002 },
			],
		]);
	});

	it('two polls give a rate, and the Prometheus byte counters follow', () => {
		const first = awplusSnapshot(read('show interface', 'reconstructed-tunnel0'));
		const second = awplusSnapshot(
			read('show interface', 'reconstructed-tunnel0')
				.replace('bytes 98765,', 'bytes 108765,')
				.replace('bytes 101112,', 'bytes 106112,'),
		);
		const history = new TunnelHistory();
		const registry = new Registry();
		const rowsOf = (snapshot: StatusSnapshot) => joinTunnels(snapshot);
		history.record(0, rowsOf(first));
		updateMetrics(registry, 'appliance', first, rowsOf(first));
		history.record(5000, rowsOf(second));
		updateMetrics(registry, 'appliance', second, rowsOf(second));
		const latest = history.for('198.51.100.1')?.latest();
		expect(latest?.bytesInPerSecond).toBe(2000);
		expect(latest?.bytesOutPerSecond).toBe(1000);
		return registry.getSingleMetricAsString('kakehashi_ipsec_bytes_total').then((text) => {
			expect(text).toContain(
				'kakehashi_ipsec_bytes_total{router="appliance",peer="198.51.100.1",tunnel="tunnel0",direction="in"} 108765',
			);
			expect(text).toContain(
				'kakehashi_ipsec_bytes_total{router="appliance",peer="198.51.100.1",tunnel="tunnel0",direction="out"} 106112',
			);
		});
	});
});
