import { describe, expect, it } from 'vitest';
import {
	joinTunnels,
	normalizePeer,
	tunnelContextFromDesign,
	unmatchedBgpNeighbors,
} from '../../source/monitor/tunnels.js';
import { applianceDesign, awsDesign, edit, healthyAwsSnapshot, tunnel1, tunnel2 } from './fixtures.js';

const context = tunnelContextFromDesign(awsDesign());

describe('joinTunnels', () => {
	it('joins IKE, IPsec, BGP and AWS telemetry by outside address, whatever order each lists them in', () => {
		const snapshot = edit(healthyAwsSnapshot(), (copy) => {
			copy.ike?.reverse();
			copy.bgp?.reverse();
			copy.aws = [
				{ vpnConnectionId: 'vpn-1', outsideIp: tunnel2.outside, status: 'DOWN', statusMessage: 'two' },
				{ vpnConnectionId: 'vpn-1', outsideIp: tunnel1.outside, status: 'UP', acceptedRouteCount: 3 },
			];
		});
		const rows = joinTunnels(snapshot, context);
		expect(rows.map((row) => [row.name, row.peer])).toEqual([
			['tunnel1', tunnel1.outside],
			['tunnel2', tunnel2.outside],
		]);
		const [first, second] = rows;
		expect(first).toMatchObject({
			state: 'up',
			phase1: 'established',
			phase2: 'up',
			spiIn: '0xd9e8216f',
			spiOut: '0xc24886ee',
			tunnelInterface: 'tunnel1',
			counters: { bytesIn: 1000, bytesOut: 2000, packetsIn: 10, packetsOut: 20 },
			bgp: { neighbor: tunnel1.aws, state: 'established', uptimeSeconds: 397, prefixesReceived: 1 },
			aws: { status: 'UP', acceptedRouteCount: 3 },
		});
		expect(second).toMatchObject({
			spiIn: '0x11111111',
			bgp: { neighbor: tunnel2.aws },
			aws: { status: 'DOWN', statusMessage: 'two' },
		});
	});

	it('gives an expected tunnel the router does not show a row, down, with BGP missing', () => {
		const snapshot = edit(healthyAwsSnapshot(), (copy) => {
			copy.ike = copy.ike?.filter((sa) => sa.peer !== tunnel2.outside);
			copy.ipsec = copy.ipsec?.filter((sa) => sa.peer !== tunnel2.outside);
			copy.bgp = copy.bgp?.filter((neighbor) => neighbor.neighbor !== tunnel2.aws);
			copy.aws = [];
		});
		const row = joinTunnels(snapshot, context).find((candidate) => candidate.peer === tunnel2.outside);
		expect(row).toMatchObject({
			expected: true,
			state: 'down',
			phase1: 'missing',
			phase2: 'missing',
			ipsec: [],
			counters: {},
			bgp: { neighbor: tunnel2.aws, state: 'missing' },
		});
		expect(row?.aws).toBeUndefined();
	});

	it('marks IPsec up with BGP not established as partial', () => {
		const snapshot = edit(healthyAwsSnapshot(), (copy) => {
			if (copy.bgp?.[0]) copy.bgp[0].state = 'active';
		});
		expect(joinTunnels(snapshot, context)[0]?.state).toBe('partial');
	});

	it('while a rekey overlaps, shows the newest SA and sums the counters of both', () => {
		const rows = joinTunnels({
			ike: [
				{ peer: '10.1.1.1', state: 'established', expiresInSeconds: 9 },
				{ peer: '10.1.1.1', state: 'established', expiresInSeconds: 28790 },
			],
			ipsec: [
				{
					peer: '10.1.1.1',
					state: 'up',
					spiIn: '0xold',
					spiOut: '0xold2',
					expiresInSeconds: 4,
					bytesIn: 100,
				},
				{
					peer: '10.1.1.1',
					state: 'up',
					spiIn: '0xnew',
					spiOut: '0xnew2',
					expiresInSeconds: 3596,
					bytesIn: 5,
				},
			],
		});
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ spiIn: '0xnew', spiOut: '0xnew2', counters: { bytesIn: 105 } });
		expect(rows[0]?.ike?.expiresInSeconds).toBe(28790);
		expect(rows[0]?.ipsec).toHaveLength(2);
	});

	it.each([
		['an established SA beats a newer negotiating one', ['established', 'negotiating'], 'established'],
		['negotiating beats down', ['down', 'negotiating'], 'negotiating'],
	] as const)('%s', (_name, states, expected) => {
		const rows = joinTunnels({
			ike: states.map((state, index) => ({ peer: '10.1.1.1', state, expiresInSeconds: index * 100 })),
		});
		expect(rows[0]?.phase1).toBe(expected);
	});

	it.each([
		['198.51.100.7:4500', '198.51.100.7'],
		[' 198.51.100.7 ', '198.51.100.7'],
		['[2001:DB8::1]:500', '2001:db8::1'],
		['2001:DB8::1', '2001:db8::1'],
	])('normalizes peer %s to %s', (input, expected) => {
		expect(normalizePeer(input)).toBe(expected);
	});

	it('joins a NAT-T peer printed with its port to the telemetry without one', () => {
		const rows = joinTunnels({
			ike: [{ peer: `${tunnel1.outside}:4500`, state: 'established' }],
			aws: [{ vpnConnectionId: 'vpn-1', outsideIp: tunnel1.outside, status: 'UP' }],
		});
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ peer: tunnel1.outside, phase1: 'established', aws: { status: 'UP' } });
	});

	it('without a design, lists peers in address order and leaves BGP neighbours unclaimed', () => {
		const snapshot = edit(healthyAwsSnapshot(), (copy) => {
			copy.ike?.reverse();
		});
		const rows = joinTunnels(snapshot);
		expect(rows.map((row) => row.peer)).toEqual([tunnel1.outside, tunnel2.outside]);
		expect(rows.every((row) => row.bgp === undefined && !row.expected)).toBe(true);
		expect(unmatchedBgpNeighbors(snapshot, rows).map((neighbor) => neighbor.neighbor)).toEqual([
			tunnel1.aws,
			tunnel2.aws,
		]);
		expect(unmatchedBgpNeighbors(snapshot, joinTunnels(snapshot, context))).toEqual([]);
	});

	it('with static routing, expects no BGP but still maps a neighbour on the inside address', () => {
		const staticContext = tunnelContextFromDesign(awsDesign({ routing: 'static' }));
		const snapshot = edit(healthyAwsSnapshot(), (copy) => {
			copy.bgp = [{ neighbor: tunnel1.aws, state: 'established' }];
		});
		const rows = joinTunnels(snapshot, staticContext);
		expect(rows[0]?.bgp?.state).toBe('established');
		expect(rows[1]?.bgp).toBeUndefined();
		expect(rows[1]?.state).toBe('up');
	});

	it('finds the appliance tunnel from either end', () => {
		const design = applianceDesign();
		expect(tunnelContextFromDesign(design, 'appliance').tunnels).toEqual([
			{ name: 'tenant-a', peerOutsideIp: '203.0.113.7' },
		]);
		expect(tunnelContextFromDesign(design, 'router').tunnels).toEqual([
			{ name: 'vaa0', peerOutsideIp: '54.1.2.3' },
		]);
	});

	it('puts the design tunnels first even when AWS swaps its order', () => {
		const swapped = tunnelContextFromDesign(awsDesign());
		const rows = joinTunnels({ aws: [...(healthyAwsSnapshot().aws ?? [])].reverse() }, swapped);
		expect(rows.map((row) => row.name)).toEqual(['tunnel1', 'tunnel2']);
	});
});
