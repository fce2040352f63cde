import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { joinTunnels, tunnelContextFromDesign } from '../../source/monitor/tunnels.js';
import { drivers } from '../../source/router/drivers/index.js';
import type { IpsecSa, StatusSnapshot } from '../../source/router/model.js';
import { awsDesign, tunnel1, tunnel2 } from './fixtures.js';

/**
 * Yamaha RTX `show status tunnel` names the tunnel interface and not the peer: its entries (state and
 * counters) join the peer whose `show ipsec sa` SAs name the same tunnel, by that name, never by the
 * order either command lists them in.
 */
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'yamaha-rtx');
const yamaha = drivers['yamaha-rtx'];
const parserOf = (command: string) => {
	const found = yamaha?.commands.find((candidate) => candidate.command === command);
	if (!found) throw new Error(`no yamaha-rtx command ${command}`);
	return found.parse;
};

/** The snapshot the monitor builds from one `show ipsec sa` and one `show status tunnel` fixture. */
function snapshotOf(ipsecCase: string, tunnelCase: string): StatusSnapshot {
	const read = (command: string, name: string) =>
		parserOf(command)(readFileSync(join(fixtures, command.replaceAll(' ', '_'), `${name}.txt`), 'utf8'));
	const sa = read('show ipsec sa', ipsecCase);
	const status = read('show status tunnel', tunnelCase);
	return { ike: sa.ike ?? [], ipsec: [...(sa.ipsec ?? []), ...(status.ipsec ?? [])] };
}

const sa = (fields: Partial<IpsecSa> & Pick<IpsecSa, 'peer'>): IpsecSa => ({ state: 'up', ...fields });

describe('joinTunnels folds peerless tunnel entries (Yamaha show status tunnel) by tunnel name', () => {
	it('gives each AWS tunnel its own interface counters although the two outputs list them in opposite orders', () => {
		const rows = joinTunnels(
			snapshotOf('two-tunnels-listed-out-of-order', 'three-tunnels-one-offline'),
			tunnelContextFromDesign(awsDesign()),
		);
		const byPeer = new Map(rows.map((row) => [row.peer, row]));
		expect(byPeer.get(tunnel1.outside)).toMatchObject({
			name: 'tunnel1',
			phase1: 'established',
			phase2: 'up',
			tunnelInterface: 'TUNNEL[1]',
			counters: { packetsIn: 3933, bytesIn: 244941, packetsOut: 4002, bytesOut: 250112 },
		});
		expect(byPeer.get(tunnel1.outside)?.ipsec).toHaveLength(2);
		expect(byPeer.get(tunnel2.outside)).toMatchObject({
			name: 'tunnel2',
			phase2: 'up',
			tunnelInterface: 'TUNNEL[2]',
			counters: { packetsIn: 12, bytesIn: 1440, packetsOut: 15, bytesOut: 1800 },
		});
		// TUNNEL[3] has no SA naming it: it stays apart, without a peer, and adds to no AWS tunnel.
		expect(byPeer.get('')?.ipsec).toEqual([
			{
				peer: '',
				tunnel: 'TUNNEL[3]',
				state: 'down',
				packetsIn: 0,
				bytesIn: 0,
				packetsOut: 0,
				bytesOut: 0,
			},
		]);
		expect(rows.map((row) => row.peer)).toEqual([tunnel1.outside, tunnel2.outside, '']);
	});

	it('leaves a tunnel whose phase 2 is missing without the interface entry (no SA names the tunnel)', () => {
		const rows = joinTunnels(
			snapshotOf('two-aws-tunnels-one-missing-phase2', 'all-tunnels-offline-and-not-ipsec'),
		);
		const byPeer = new Map(rows.map((row) => [row.peer, row]));
		expect(byPeer.get('34.217.232.61')).toMatchObject({
			phase2: 'up',
			tunnelInterface: 'TUNNEL[1]',
			counters: { packetsIn: 122, bytesIn: 14608, packetsOut: 118, bytesOut: 15104 },
		});
		expect(byPeer.get('52.88.10.20')).toMatchObject({ phase1: 'established', phase2: 'missing', ipsec: [] });
		expect(byPeer.get('')?.ipsec.map((entry) => entry.tunnel)).toEqual(['TUNNEL[2]']);
	});

	it.each([
		{
			name: 'matched by tunnel name whatever the case and surrounding blanks',
			ipsec: [
				sa({ peer: '192.0.2.1', tunnel: 'TUNNEL[4]' }),
				sa({ peer: '', tunnel: ' tunnel[4] ', packetsIn: 7 }),
			],
			expected: { '192.0.2.1': 7 },
		},
		{
			name: 'not matched by position: the only entry names another tunnel',
			ipsec: [
				sa({ peer: '192.0.2.1', tunnel: 'TUNNEL[1]' }),
				sa({ peer: '', tunnel: 'TUNNEL[2]', packetsIn: 7 }),
			],
			expected: { '192.0.2.1': undefined, '': 7 },
		},
		{
			name: 'not matched when two peers name the same tunnel',
			ipsec: [
				sa({ peer: '192.0.2.1', tunnel: 'TUNNEL[1]' }),
				sa({ peer: '192.0.2.2', tunnel: 'TUNNEL[1]' }),
				sa({ peer: '', tunnel: 'TUNNEL[1]', packetsIn: 7 }),
			],
			expected: { '192.0.2.1': undefined, '192.0.2.2': undefined, '': 7 },
		},
		{
			name: 'an entry without a tunnel name stays apart',
			ipsec: [sa({ peer: '192.0.2.1', tunnel: 'TUNNEL[1]' }), sa({ peer: '', packetsIn: 7 })],
			expected: { '192.0.2.1': undefined, '': 7 },
		},
		{
			name: 'a peer with a port and upper-case letters is still the same peer',
			ipsec: [
				sa({ peer: '[2001:DB8::1]:500', tunnel: 'TUNNEL[9]' }),
				sa({ peer: '', tunnel: 'TUNNEL[9]', packetsIn: 7 }),
			],
			expected: { '2001:db8::1': 7 },
		},
	])('$name', ({ ipsec, expected }) => {
		const rows = joinTunnels({ ipsec });
		const packets = Object.fromEntries(rows.map((row) => [row.peer, row.counters.packetsIn]));
		expect(packets).toEqual(expected);
	});
});
