import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTranslator } from '../../source/i18n/index.js';
import { diffSnapshots } from '../../source/monitor/events.js';
import { diagnose } from '../../source/monitor/findings.js';
import { TunnelHistory } from '../../source/monitor/history.js';
import { joinTunnels, tunnelContextFromDesign } from '../../source/monitor/tunnels.js';
import type { StatusSnapshot } from '../../source/router/model.js';
import { applianceDesign, awsDesign, tunnel1, tunnel2 } from './fixtures.js';

// addresses from a small pool, so that sections often share peers and the joins get exercised
const address = fc.oneof(
	fc.constantFrom(
		tunnel1.outside,
		tunnel2.outside,
		tunnel1.aws,
		tunnel2.aws,
		`${tunnel1.outside}:4500`,
		'[2001:db8::1]:500',
	),
	fc.ipV4(),
	fc.string(),
);
const count = fc.option(fc.oneof(fc.nat(), fc.integer(), fc.double()), { nil: undefined });
const text = fc.option(fc.string(), { nil: undefined });

const snapshot: fc.Arbitrary<StatusSnapshot> = fc.record(
	{
		router: fc.record({
			name: fc.string(),
			vendor: fc.string(),
			host: fc.string(),
			reachable: fc.boolean(),
			polledAt: fc.oneof(fc.constant('2026-11-22T14:00:00Z'), fc.string()),
		}),
		ike: fc.array(
			fc.record(
				{
					peer: address,
					state: fc.constantFrom('established', 'negotiating', 'down'),
					version: fc.constantFrom(1, 2),
					encryption: text,
					integrity: text,
					dhGroup: count,
					expiresInSeconds: count,
				},
				{ requiredKeys: ['peer', 'state'] },
			),
			{ maxLength: 4 },
		),
		ipsec: fc.array(
			fc.record(
				{
					peer: address,
					tunnel: text,
					state: fc.constantFrom('up', 'down'),
					spiIn: text,
					spiOut: text,
					expiresInSeconds: count,
					bytesIn: count,
					bytesOut: count,
					packetsIn: count,
					packetsOut: count,
				},
				{ requiredKeys: ['peer', 'state'] },
			),
			{ maxLength: 4 },
		),
		bgp: fc.array(
			fc.record(
				{
					neighbor: address,
					remoteAs: count,
					state: fc.constantFrom('idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'),
					uptimeSeconds: count,
					prefixesReceived: count,
				},
				{ requiredKeys: ['neighbor', 'state'] },
			),
			{ maxLength: 4 },
		),
		aws: fc.array(
			fc.record(
				{
					vpnConnectionId: fc.constantFrom('vpn-1', 'vpn-2'),
					outsideIp: address,
					status: fc.constantFrom('UP', 'DOWN'),
					statusMessage: fc.option(fc.constantFrom('', 'maintenance', 'Endpoint replacement'), {
						nil: undefined,
					}),
					acceptedRouteCount: count,
				},
				{ requiredKeys: ['vpnConnectionId', 'outsideIp', 'status'] },
			),
			{ maxLength: 3 },
		),
		unparsed: fc.array(fc.string(), { maxLength: 3 }),
	},
	{ requiredKeys: [] },
) as fc.Arbitrary<StatusSnapshot>;

const design = fc.constantFrom(
	undefined,
	awsDesign(),
	awsDesign({ routing: 'static', mtu: 1434 }),
	applianceDesign(),
);
/** JSON from elsewhere (`--once --json`, a bundle): sections of the wrong shape must not crash the panel. */
const junk = fc.dictionary(
	fc.constantFrom('router', 'ike', 'ipsec', 'bgp', 'aws', 'routes', 'unparsed'),
	fc.anything(),
) as fc.Arbitrary<StatusSnapshot>;

describe('never throws on arbitrary snapshots', () => {
	it('joinTunnels, diffSnapshots and diagnose (typed snapshots)', () => {
		fc.assert(
			fc.property(
				snapshot,
				snapshot,
				design,
				fc.option(fc.integer(), { nil: undefined }),
				(previous, next, chosen, skew) => {
					const context = chosen ? tunnelContextFromDesign(chosen) : {};
					const rows = joinTunnels(next, context);
					expect(new Set(rows.map((row) => row.peer)).size).toBe(rows.length);
					diffSnapshots(previous, next, new Date(0), context);
					const history = new TunnelHistory({ capacity: 4 });
					history.record(0, joinTunnels(previous, context));
					history.record(1000, rows);
					for (const sample of rows.map((row) => history.for(row.peer)?.latest())) {
						for (const rate of [sample?.bytesInPerSecond, sample?.bytesOutPerSecond])
							if (rate !== null && rate !== undefined) expect(rate).toBeGreaterThanOrEqual(0);
					}
					for (const lang of ['en', 'ja'] as const) {
						const findings = diagnose(
							{
								snapshot: next,
								design: chosen,
								history,
								clockSkewSeconds: skew,
								securityGroupRules: [],
								routeTable: { propagation: false, routes: [] },
							},
							createTranslator(lang),
						);
						for (const finding of findings) expect(finding.message.length).toBeGreaterThan(0);
					}
				},
			),
			{ numRuns: 300 },
		);
	});

	it('joinTunnels, diffSnapshots and diagnose (malformed JSON)', () => {
		fc.assert(
			fc.property(junk, junk, design, (previous, next, chosen) => {
				const context = chosen ? tunnelContextFromDesign(chosen) : {};
				joinTunnels(next, context);
				diffSnapshots(previous, next, '1970-01-01T00:00:00Z', context);
				diagnose({ snapshot: next, design: chosen });
			}),
			{ numRuns: 300 },
		);
	});
});
