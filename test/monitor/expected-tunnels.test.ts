import { describe, expect, it } from 'vitest';
import { applianceFlowTunnels, expectedTunnels } from '../../source/commands/monitor.js';
import { type State, stateSchema } from '../../source/flow/state.js';
import { diagnose } from '../../source/monitor/findings.js';
import { joinTunnels, unmatchedBgpNeighbors } from '../../source/monitor/tunnels.js';
import type { StatusSnapshot } from '../../source/router/model.js';
import { polledAt } from './fixtures.js';

/** What `monitor` expects of every router the state file records, per flow (no design at hand). */

const router = (name: string, host: string, extra: Record<string, unknown> = {}) => ({
	name,
	host,
	port: 22,
	user: 'manager',
	vendor: 'awplus',
	...extra,
});
const stateOf = (flow: string, routers: unknown[], resources: unknown[] = []): State =>
	stateSchema.parse({
		version: 1,
		flow,
		region: 'ap-northeast-1',
		stack: 's',
		answersDigest: 'x',
		resources,
		routers,
		updatedAt: polledAt,
	});
const appliance = router('AMF-VAA', '203.0.113.213', { instanceId: 'i-1' });
const target = (record: { name: string; host: string }) => ({ name: record.name, address: record.host });

describe('expectedTunnels: multi-tenant', () => {
	const state = stateOf('multi-tenant', [
		appliance,
		router('tenant-a', '198.51.100.21'),
		router('tenant-b', '198.51.100.22'),
	]);

	it('the appliance: one tunnel per tenant, keyed by the tenant router’s address', () => {
		expect(expectedTunnels(state, target(appliance))).toEqual({
			tunnels: [
				{ name: 'tenant-a', peerOutsideIp: '198.51.100.21' },
				{ name: 'tenant-b', peerOutsideIp: '198.51.100.22' },
			],
		});
	});

	it('each tenant router: the appliance', () => {
		for (const name of ['tenant-a', 'tenant-b'])
			expect(
				expectedTunnels(state, { name, address: name === 'tenant-a' ? '198.51.100.21' : '198.51.100.22' }),
			).toEqual({
				tunnels: [{ name: 'AMF-VAA', peerOutsideIp: '203.0.113.213' }],
			});
	});

	it('the rows: each tenant on its own row by address, whatever order the appliance lists them', () => {
		const snapshot: StatusSnapshot = {
			router: { name: 'AMF-VAA', vendor: 'awplus', host: '203.0.113.213', reachable: true, polledAt },
			ike: [
				{ peer: '198.51.100.22', state: 'established' },
				{ peer: '198.51.100.21', state: 'established' },
			],
			ipsec: [{ peer: '198.51.100.22', state: 'up', tunnel: 'tunnel2' }],
			findings: [],
			unparsed: [],
		};
		const rows = joinTunnels(snapshot, expectedTunnels(state, target(appliance)));
		expect(rows.map((row) => [row.name, row.peer, row.state, row.tunnelInterface])).toEqual([
			['tenant-a', '198.51.100.21', 'down', undefined],
			['tenant-b', '198.51.100.22', 'up', 'tunnel2'],
		]);
	});
});

describe('findings on the multi-tenant appliance', () => {
	const state = stateOf('multi-tenant', [
		appliance,
		router('tenant-a', '198.51.100.21'),
		router('tenant-b', '198.51.100.22'),
	]);
	const snapshot: StatusSnapshot = {
		router: { name: 'AMF-VAA', vendor: 'awplus', host: '203.0.113.213', reachable: true, polledAt },
		ike: [{ peer: '198.51.100.21', state: 'established' }],
		ipsec: [{ peer: '198.51.100.21', state: 'up' }],
		findings: [],
		unparsed: [],
	};
	const rows = joinTunnels(snapshot, expectedTunnels(state, target(appliance)));
	const udp = (cidr: string) =>
		[500, 4500].map((port) => ({ protocol: 'udp', fromPort: port, toPort: port, cidr }));

	it.each([
		[
			'the security group lacks UDP 500/4500 from tenant-b',
			udp('198.51.100.21/32'),
			'ike.no-sa.security-group',
		],
		[
			'the security group allows tenant-b: no IKE SA, look elsewhere',
			[...udp('198.51.100.21/32'), ...udp('198.51.100.22/32')],
			'ike.no-sa',
		],
	])('%s', (_name, securityGroupRules, code) => {
		const found = diagnose({ snapshot, rows, securityGroupRules });
		expect(found.map((finding) => finding.code)).toEqual([code]);
		expect(found[0]?.message).toContain('198.51.100.22');
	});
});

describe('expectedTunnels: single-aws-vpn', () => {
	const site = router('site', '198.51.100.10');
	const state = stateOf(
		'single-aws-vpn',
		[appliance, site],
		[
			{ kind: 'vpn-gateway', id: 'vgw-1', name: 'g', created: true, amazonSideAsn: 64512 },
			{
				kind: 'customer-gateway',
				id: 'cgw-1',
				name: 'c',
				created: true,
				ipAddress: '198.51.100.10',
				bgpAsn: 65000,
			},
			{
				kind: 'vpn-connection',
				id: 'vpn-1',
				name: 'v',
				created: true,
				vpnGatewayId: 'vgw-1',
				customerGatewayId: 'cgw-1',
				routing: 'bgp',
				tunnels: [
					{ outsideIp: '198.18.233.63', insideCidr: '169.254.11.0/30' },
					{ outsideIp: '198.19.79.225', insideCidr: '169.254.10.0/30' },
				],
			},
		],
	);

	it('the customer router: both AWS tunnels with their BGP neighbours, from the state file', () => {
		expect(
			expectedTunnels(state, target(site))?.tunnels?.map((t) => [t.peerOutsideIp, t.bgpNeighbor, t.remoteAs]),
		).toEqual([
			['198.19.79.225', '169.254.10.1', 64512],
			['198.18.233.63', '169.254.11.1', 64512],
		]);
		expect(applianceFlowTunnels(state, target(site))).toBeUndefined(); // the fail-safe check's view: unchanged
	});

	it('the appliance has no tunnel of its own in this mode', () => {
		expect(expectedTunnels(state, target(appliance))).toBeUndefined();
	});

	it('AWS’s answer, when given, replaces the state file’s facts', () => {
		const facts = new Map([
			[
				'198.51.100.10',
				[
					{
						vpnConnectionId: 'vpn-1',
						outsideIp: '198.18.1.1',
						insideCidr: '169.254.20.0/30',
						routing: 'bgp' as const,
					},
				],
			],
		]);
		expect(expectedTunnels(state, target(site), facts)?.tunnels).toEqual([
			{
				name: '169.254.20.0/30',
				peerOutsideIp: '198.18.1.1',
				vpnConnectionId: 'vpn-1',
				awsInsideIp: '169.254.20.1',
				customerInsideIp: '169.254.20.2',
				bgpNeighbor: '169.254.20.1',
			},
		]);
	});

	it('no neighbour left unmatched on the site router', () => {
		const snapshot: StatusSnapshot = {
			router: { name: 'site', vendor: 'awplus', host: '198.51.100.10', reachable: true, polledAt },
			bgp: [
				{ neighbor: '169.254.11.1', state: 'established' },
				{ neighbor: '169.254.10.1', state: 'established' },
			],
			findings: [],
			unparsed: [],
		};
		const rows = joinTunnels(snapshot, expectedTunnels(state, target(site)));
		expect(unmatchedBgpNeighbors(snapshot, rows)).toEqual([]);
		expect(rows.map((row) => [row.peer, row.bgp?.neighbor])).toEqual([
			['198.19.79.225', '169.254.10.1'],
			['198.18.233.63', '169.254.11.1'],
		]);
	});
});
