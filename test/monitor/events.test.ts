import { describe, expect, it } from 'vitest';
import { createTranslator } from '../../source/i18n/index.js';
import { describeEvent, diffSnapshots, EventLog, type MonitorEvent } from '../../source/monitor/events.js';
import { tunnelContextFromDesign } from '../../source/monitor/tunnels.js';
import type { StatusSnapshot } from '../../source/router/model.js';
import { awsDesign, edit, healthyAwsSnapshot, tunnel1, tunnel2 } from './fixtures.js';

const at = '2026-11-22T14:00:05.000Z';
const context = tunnelContextFromDesign(awsDesign());
const healthy = healthyAwsSnapshot();
const codes = (events: MonitorEvent[]) =>
	events.map((event) => [event.code, event.code === 'bgp.changed' ? event.vars.neighbor : event.peer]);

const withoutTunnel2 = edit(healthy, (copy) => {
	copy.ike = copy.ike?.filter((sa) => sa.peer !== tunnel2.outside);
	copy.ipsec = copy.ipsec?.filter((sa) => sa.peer !== tunnel2.outside);
	copy.bgp = copy.bgp?.filter((neighbor) => neighbor.neighbor !== tunnel2.aws);
});
const unreachable = edit(healthy, (copy) => {
	if (copy.router) copy.router.reachable = false;
});

describe('diffSnapshots', () => {
	it.each<[string, StatusSnapshot | undefined, StatusSnapshot, (string | undefined)[][]]>([
		['first poll: nothing to compare', undefined, healthy, []],
		['no change', healthy, structuredClone(healthy), []],
		[
			'a tunnel goes down',
			healthy,
			withoutTunnel2,
			[
				['tunnel.down', tunnel2.outside],
				['ike.changed', tunnel2.outside],
				['ipsec.changed', tunnel2.outside],
				['bgp.changed', tunnel2.aws],
			],
		],
		[
			'a tunnel comes up',
			withoutTunnel2,
			healthy,
			[
				['tunnel.up', tunnel2.outside],
				['ike.changed', tunnel2.outside],
				['ipsec.changed', tunnel2.outside],
				['bgp.changed', tunnel2.aws],
			],
		],
		[
			'phase 1 renegotiates',
			healthy,
			edit(healthy, (copy) => {
				if (copy.ike?.[0]) copy.ike[0].state = 'negotiating';
			}),
			[
				['tunnel.down', tunnel1.outside],
				['ike.changed', tunnel1.outside],
			],
		],
		[
			'phase 2 goes down',
			healthy,
			edit(healthy, (copy) => {
				if (copy.ipsec?.[1]) copy.ipsec[1].state = 'down';
			}),
			[
				['tunnel.down', tunnel2.outside],
				['ipsec.changed', tunnel2.outside],
			],
		],
		[
			'BGP drops to active while IPsec holds',
			healthy,
			edit(healthy, (copy) => {
				if (copy.bgp?.[0]) copy.bgp[0].state = 'active';
			}),
			[['bgp.changed', tunnel1.aws]],
		],
		[
			'the SA is rekeyed',
			healthy,
			edit(healthy, (copy) => {
				if (copy.ipsec?.[0]) copy.ipsec[0].spiIn = '0xabcdef01';
			}),
			[['sa.rekey', tunnel1.outside]],
		],
		[
			'AWS telemetry changes',
			healthy,
			edit(healthy, (copy) => {
				if (copy.aws?.[1]) copy.aws[1].status = 'DOWN';
			}),
			[['aws.changed', tunnel2.outside]],
		],
		[
			'the router becomes unreachable: stale data is not compared',
			healthy,
			edit(withoutTunnel2, (copy) => {
				if (copy.router) copy.router.reachable = false;
			}),
			[['router.unreachable', undefined]],
		],
		['still unreachable: nothing new', unreachable, unreachable, []],
		['the router is back', unreachable, healthy, [['router.reconnected', undefined]]],
	])('%s', (_name, previous, next, expected) => {
		expect(codes(diffSnapshots(previous, next, at, context))).toEqual(expected);
	});

	it('does not depend on the order AWS or the router list tunnels in', () => {
		const reordered = edit(healthy, (copy) => {
			copy.ike?.reverse();
			copy.ipsec?.reverse();
			copy.bgp?.reverse();
			copy.aws?.reverse();
		});
		expect(diffSnapshots(healthy, reordered, at, context)).toEqual([]);
	});

	it('carries a code, vars and the time, and reads in both languages', () => {
		const [event] = diffSnapshots(
			healthy,
			edit(healthy, (copy) => {
				if (copy.ipsec?.[0]) copy.ipsec[0].spiIn = '0xabcdef01';
			}),
			new Date(at),
			context,
		);
		expect(event).toEqual({
			at,
			code: 'sa.rekey',
			severity: 'info',
			router: 'site',
			peer: tunnel1.outside,
			vars: { router: 'site', peer: tunnel1.outside, from: '0xd9e8216f', to: '0xabcdef01' },
		});
		if (!event) return;
		expect(describeEvent(event, createTranslator('en'))).toBe(
			`site: the IPsec SA with ${tunnel1.outside} was rekeyed (SPI 0xd9e8216f → 0xabcdef01).`,
		);
		expect(describeEvent(event, createTranslator('ja'))).toBe(
			`site: ${tunnel1.outside} との IPsec SA がリキーされました（SPI 0xd9e8216f → 0xabcdef01）。`,
		);
	});

	it('has a message in both catalogs for every event it emits', () => {
		const events = [
			...diffSnapshots(healthy, withoutTunnel2, at, context),
			...diffSnapshots(withoutTunnel2, healthy, at, context),
			...diffSnapshots(healthy, unreachable, at, context),
			...diffSnapshots(unreachable, healthy, at, context),
			...diffSnapshots(
				healthy,
				edit(healthy, (copy) => {
					if (copy.aws?.[0]) copy.aws[0].status = 'DOWN';
					if (copy.ipsec?.[1]) copy.ipsec[1].spiIn = '0x1';
				}),
				at,
				context,
			),
		];
		expect(new Set(events.map((event) => event.code)).size).toBe(9);
		for (const lang of ['en', 'ja'] as const) {
			const t = createTranslator(lang);
			for (const event of events) {
				const text = describeEvent(event, t);
				expect(text, event.code).not.toMatch(/\{\w+\}|event\./);
			}
		}
	});
});

describe('EventLog', () => {
	it('keeps the newest events up to its bound', () => {
		const log = new EventLog(3);
		for (let index = 0; index < 10; index++)
			log.add({ at, code: 'tunnel.up', severity: 'info', vars: { peer: String(index) } });
		expect(log.size).toBe(3);
		expect(log.list().map((event) => event.vars.peer)).toEqual(['7', '8', '9']);
		log.clear();
		expect(log.list()).toEqual([]);
	});
});
