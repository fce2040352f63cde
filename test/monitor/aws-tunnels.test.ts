import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CustomerGateway, VpnConnection } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { type State, stateSchema } from '../../source/flow/state.js';
import {
	type AwsTunnelFacts,
	awsTunnelFactsByCustomerAddress,
	awsTunnelFactsFromConnection,
	awsTunnelFactsFromState,
	expectedAwsTunnels,
	insideAddressesOf,
} from '../../source/monitor/aws-telemetry.js';
import { diagnose } from '../../source/monitor/findings.js';
import { joinTunnels, summarizeTunnels, unmatchedBgpNeighbors } from '../../source/monitor/tunnels.js';
import type { StatusSnapshot } from '../../source/router/model.js';
import { edit, polledAt } from './fixtures.js';

/**
 * single-aws-vpn without a design: the customer router's expected tunnels come from AWS's answer
 * (CustomerGatewayConfiguration, else Options.TunnelOptions) or from the state file, keyed by AWS's
 * outside address, so each BGP neighbour (AWS's inside address) lands on its own tunnel's row.
 */

const fixture = (name: string) =>
	readFileSync(join(import.meta.dirname, '..', 'design', 'fixtures', name), 'utf8');
// the fixture lists 198.18.2.20 (169.254.30.56/30) first and 198.18.1.10 (169.254.123.132/30) second
const bgpXml = fixture('vpn-bgp.xml');
const staticXml = fixture('vpn-static.xml');
const gateway: CustomerGateway = {
	CustomerGatewayId: 'cgw-0123456789abcdef0',
	IpAddress: '10.1.1.1',
	BgpAsn: '65000',
};
const connection = (overrides: Partial<VpnConnection> = {}): VpnConnection => ({
	VpnConnectionId: 'vpn-0123456789abcdef0',
	CustomerGatewayId: 'cgw-0123456789abcdef0',
	State: 'available',
	...overrides,
});

describe('insideAddressesOf', () => {
	it.each([
		['169.254.10.0/30', { aws: '169.254.10.1', customer: '169.254.10.2' }],
		['169.254.123.132/30', { aws: '169.254.123.133', customer: '169.254.123.134' }],
		[' 169.254.45.8/30 ', { aws: '169.254.45.9', customer: '169.254.45.10' }],
		['169.254.10.1/30', undefined], // not the network address
		['169.254.10.0/29', undefined],
		['169.254.300.0/30', undefined],
		['', undefined],
	])('%j → %j', (cidr, expected) => {
		expect(insideAddressesOf(cidr)).toEqual(expected);
	});
});

describe('awsTunnelFactsFromConnection', () => {
	it('reads CustomerGatewayConfiguration: each tunnel complete in itself, whatever its position', () => {
		const facts = awsTunnelFactsFromConnection(connection({ CustomerGatewayConfiguration: bgpXml }), gateway);
		expect(facts).toEqual([
			{
				vpnConnectionId: 'vpn-0123456789abcdef0',
				outsideIp: '198.18.2.20',
				insideCidr: '169.254.30.56/30',
				awsInsideIp: '169.254.30.57',
				customerInsideIp: '169.254.30.58',
				routing: 'bgp',
				awsAsn: 64512,
				customerAsn: 65000,
			},
			{
				vpnConnectionId: 'vpn-0123456789abcdef0',
				outsideIp: '198.18.1.10',
				insideCidr: '169.254.123.132/30',
				awsInsideIp: '169.254.123.133',
				customerInsideIp: '169.254.123.134',
				routing: 'bgp',
				awsAsn: 64512,
				customerAsn: 65000,
			},
		]);
		// the PSK in the XML never travels into the facts
		expect(JSON.stringify(facts)).not.toMatch(/Key_from/);
	});

	it('static routing: NoBGPVPNConnection', () => {
		const facts = awsTunnelFactsFromConnection(
			connection({ CustomerGatewayConfiguration: staticXml }),
			gateway,
		);
		expect(facts.map((fact) => fact.routing)).toEqual(['static', 'static']);
	});

	it('without a readable configuration: Options.TunnelOptions, ASNs from the gateway and the state', () => {
		for (const xml of [undefined, '<not xml', '<vpn_connection id="x"></vpn_connection>']) {
			const facts = awsTunnelFactsFromConnection(
				connection({
					...(xml ? { CustomerGatewayConfiguration: xml } : {}),
					Options: {
						StaticRoutesOnly: false,
						TunnelOptions: [
							{ OutsideIpAddress: '198.18.1.10', TunnelInsideCidr: '169.254.11.0/30' },
							{ OutsideIpAddress: '198.18.2.20', TunnelInsideCidr: '169.254.10.0/30' },
						],
					},
				}),
				gateway,
				64999,
			);
			expect(facts).toEqual([
				{
					vpnConnectionId: 'vpn-0123456789abcdef0',
					outsideIp: '198.18.1.10',
					insideCidr: '169.254.11.0/30',
					routing: 'bgp',
					awsAsn: 64999,
					customerAsn: 65000,
				},
				{
					vpnConnectionId: 'vpn-0123456789abcdef0',
					outsideIp: '198.18.2.20',
					insideCidr: '169.254.10.0/30',
					routing: 'bgp',
					awsAsn: 64999,
					customerAsn: 65000,
				},
			]);
		}
	});

	it('neither: the telemetry still names the outside addresses; a deleted connection has none', () => {
		const telemetryOnly = connection({
			Options: { StaticRoutesOnly: true },
			VgwTelemetry: [{ OutsideIpAddress: '198.18.1.10' }, { OutsideIpAddress: '198.18.2.20' }],
		});
		expect(awsTunnelFactsFromConnection(telemetryOnly, undefined)).toEqual([
			{ vpnConnectionId: 'vpn-0123456789abcdef0', outsideIp: '198.18.1.10', routing: 'static' },
			{ vpnConnectionId: 'vpn-0123456789abcdef0', outsideIp: '198.18.2.20', routing: 'static' },
		]);
		expect(
			awsTunnelFactsFromConnection(
				connection({ State: 'deleted', CustomerGatewayConfiguration: bgpXml }),
				gateway,
			),
		).toEqual([]);
	});
});

const stateOf = (resources: unknown[]): State =>
	stateSchema.parse({
		version: 1,
		flow: 'single-aws-vpn',
		region: 'ap-northeast-1',
		stack: 'amf-cloud',
		answersDigest: 'x',
		resources,
		routers: [],
		updatedAt: polledAt,
	});

// as apply records them (flow/vpn-steps.ts): AWS's order, here not the answers' order
const awsVpnState = stateOf([
	{ kind: 'vpn-gateway', id: 'vgw-1', name: 'amf-cloud-vgw', created: true, amazonSideAsn: 64512 },
	{
		kind: 'customer-gateway',
		id: 'cgw-1',
		name: 'amf-cloud-cgw',
		created: true,
		ipAddress: '198.51.100.10',
		bgpAsn: 65000,
	},
	{
		kind: 'vpn-connection',
		id: 'vpn-1',
		name: 'amf-cloud-vpn',
		created: true,
		vpnGatewayId: 'vgw-1',
		customerGatewayId: 'cgw-1',
		routing: 'bgp',
		outsideIps: ['198.18.233.63', '198.19.79.225'],
		tunnels: [
			{ outsideIp: '198.18.233.63', insideCidr: '169.254.11.0/30' },
			{ outsideIp: '198.19.79.225', insideCidr: '169.254.10.0/30' },
		],
	},
]);

describe('awsTunnelFactsFromState', () => {
	it('keys the recorded tunnels by the customer gateway address, with the ASNs of both gateways', () => {
		expect([...awsTunnelFactsFromState(awsVpnState)]).toEqual([
			[
				'198.51.100.10',
				[
					{
						vpnConnectionId: 'vpn-1',
						outsideIp: '198.18.233.63',
						insideCidr: '169.254.11.0/30',
						routing: 'bgp',
						awsAsn: 64512,
						customerAsn: 65000,
					},
					{
						vpnConnectionId: 'vpn-1',
						outsideIp: '198.19.79.225',
						insideCidr: '169.254.10.0/30',
						routing: 'bgp',
						awsAsn: 64512,
						customerAsn: 65000,
					},
				],
			],
		]);
	});

	it('an older record with outside addresses only; no customer gateway record: nothing', () => {
		const older = stateOf([
			{ kind: 'customer-gateway', id: 'cgw-1', name: 'c', created: true, ipAddress: '198.51.100.10' },
			{
				kind: 'vpn-connection',
				id: 'vpn-1',
				name: 'v',
				created: true,
				customerGatewayId: 'cgw-1',
				routing: 'static',
				outsideIps: ['198.18.233.63', '198.19.79.225'],
			},
		]);
		expect(awsTunnelFactsFromState(older).get('198.51.100.10')).toEqual([
			{ vpnConnectionId: 'vpn-1', outsideIp: '198.18.233.63', routing: 'static' },
			{ vpnConnectionId: 'vpn-1', outsideIp: '198.19.79.225', routing: 'static' },
		]);
		const orphan = stateOf([
			{ kind: 'vpn-connection', id: 'vpn-1', name: 'v', created: true, outsideIps: ['1.2.3.4'] },
		]);
		expect(awsTunnelFactsFromState(orphan).size).toBe(0);
	});
});

describe('awsTunnelFactsByCustomerAddress', () => {
	const fromState = new Map<string, AwsTunnelFacts[]>([
		[
			'10.1.1.1',
			[{ vpnConnectionId: 'vpn-0123456789abcdef0', outsideIp: '198.18.9.9', routing: 'bgp', awsAsn: 64600 }],
		],
		['10.9.9.9', [{ vpnConnectionId: 'vpn-other', outsideIp: '198.18.8.8', routing: 'bgp' }]],
	]);

	it('AWS’s answer wins for the connections it describes; the state file fills in the others', () => {
		const facts = awsTunnelFactsByCustomerAddress(
			[connection({ CustomerGatewayConfiguration: bgpXml })],
			[gateway],
			fromState,
		);
		expect(facts.get('10.1.1.1')?.map((fact) => fact.outsideIp)).toEqual(['198.18.2.20', '198.18.1.10']);
		expect(facts.get('10.9.9.9')?.map((fact) => fact.outsideIp)).toEqual(['198.18.8.8']);
	});

	it('the Amazon-side ASN from the state when AWS gives only the tunnel options; a connection AWS says nothing about falls back', () => {
		const options = connection({
			Options: { TunnelOptions: [{ OutsideIpAddress: '198.18.1.10', TunnelInsideCidr: '169.254.11.0/30' }] },
		});
		expect(awsTunnelFactsByCustomerAddress([options], [gateway], fromState).get('10.1.1.1')).toEqual([
			{
				vpnConnectionId: 'vpn-0123456789abcdef0',
				outsideIp: '198.18.1.10',
				insideCidr: '169.254.11.0/30',
				routing: 'bgp',
				awsAsn: 64600,
				customerAsn: 65000,
			},
		]);
		expect(awsTunnelFactsByCustomerAddress([connection()], [gateway], fromState).get('10.1.1.1')).toEqual(
			fromState.get('10.1.1.1'),
		);
	});
});

describe('expectedAwsTunnels', () => {
	const facts: AwsTunnelFacts[] = [
		{
			vpnConnectionId: 'vpn-1',
			outsideIp: '198.18.233.63',
			insideCidr: '169.254.11.0/30',
			routing: 'bgp',
			awsAsn: 64512,
			customerAsn: 65000,
		},
		{
			vpnConnectionId: 'vpn-1',
			outsideIp: '198.19.79.225',
			insideCidr: '169.254.10.0/30',
			routing: 'bgp',
			awsAsn: 64512,
			customerAsn: 65000,
		},
	];

	it('one per outside address, BGP neighbour = the first host of the /30 (AWS’s), named by the /30, same for any order', () => {
		const expected = [
			{
				name: '169.254.10.0/30',
				peerOutsideIp: '198.19.79.225',
				vpnConnectionId: 'vpn-1',
				awsInsideIp: '169.254.10.1',
				customerInsideIp: '169.254.10.2',
				bgpNeighbor: '169.254.10.1',
				remoteAs: 64512,
				localAs: 65000,
			},
			{
				name: '169.254.11.0/30',
				peerOutsideIp: '198.18.233.63',
				vpnConnectionId: 'vpn-1',
				awsInsideIp: '169.254.11.1',
				customerInsideIp: '169.254.11.2',
				bgpNeighbor: '169.254.11.1',
				remoteAs: 64512,
				localAs: 65000,
			},
		];
		expect(expectedAwsTunnels(facts)).toEqual(expected);
		expect(expectedAwsTunnels([...facts].reverse())).toEqual(expected);
	});

	it('static routing: no BGP neighbour to expect; unknown inside /30: keyed by outside address only', () => {
		expect(
			expectedAwsTunnels([
				{
					vpnConnectionId: 'vpn-1',
					outsideIp: '198.18.233.63',
					insideCidr: '169.254.11.0/30',
					routing: 'static',
				},
				{ vpnConnectionId: 'vpn-1', outsideIp: '198.18.233.63', routing: 'static' }, // duplicate: dropped
				{ vpnConnectionId: 'vpn-1', outsideIp: '198.19.79.225:4500', routing: 'bgp' },
			]),
		).toEqual([
			{
				name: '169.254.11.0/30',
				peerOutsideIp: '198.18.233.63',
				vpnConnectionId: 'vpn-1',
				awsInsideIp: '169.254.11.1',
				customerInsideIp: '169.254.11.2',
			},
			{ name: '198.19.79.225', peerOutsideIp: '198.19.79.225', vpnConnectionId: 'vpn-1' },
		]);
	});
});

/** The site router of flows/examples/single-aws-vpn.yaml as the sandbox answers, both tunnels healthy. */
function siteSnapshot(): StatusSnapshot {
	return {
		router: { name: 'site', vendor: 'awplus', host: '198.51.100.10', reachable: true, polledAt },
		ike: [
			{ peer: '198.18.233.63', state: 'established', version: 1 },
			{ peer: '198.19.79.225', state: 'established', version: 1 },
		],
		ipsec: [
			{ peer: '198.18.233.63', state: 'up', spiIn: '0x737aec95', spiOut: '0x977f864c' },
			{ peer: '198.19.79.225', state: 'up', spiIn: '0xbdba007a', spiOut: '0x1b0408f8' },
		],
		// the router's order, not AWS's nor the state file's
		bgp: [
			{
				neighbor: '169.254.10.1',
				remoteAs: 64512,
				state: 'established',
				uptimeSeconds: 9,
				prefixesReceived: 1,
			},
			{
				neighbor: '169.254.11.1',
				remoteAs: 64512,
				state: 'established',
				uptimeSeconds: 8,
				prefixesReceived: 1,
			},
		],
		routes: [],
		aws: [
			{ vpnConnectionId: 'vpn-1', outsideIp: '198.19.79.225', status: 'UP', acceptedRouteCount: 1 },
			{ vpnConnectionId: 'vpn-1', outsideIp: '198.18.233.63', status: 'UP', acceptedRouteCount: 1 },
		],
		findings: [],
		unparsed: [],
	};
}

const context = {
	tunnels: expectedAwsTunnels(awsTunnelFactsFromState(awsVpnState).get('198.51.100.10') ?? []),
};
const codes = (snapshot: StatusSnapshot) =>
	diagnose({ snapshot, rows: joinTunnels(snapshot, context) }).map((finding) => [
		finding.code,
		finding.severity,
		finding.message,
	]);

describe('the site router’s rows with the state file’s AWS tunnels', () => {
	it('each BGP neighbour on its tunnel’s row with AWS’s telemetry; no neighbour left over; no finding', () => {
		const snapshot = siteSnapshot();
		const rows = joinTunnels(snapshot, context);
		expect(summarizeTunnels(rows)).toEqual([
			{
				name: '169.254.10.0/30',
				peer: '198.19.79.225',
				expected: true,
				state: 'up',
				phase1: 'established',
				phase2: 'up',
				bgp: {
					neighbor: '169.254.10.1',
					state: 'established',
					remoteAs: 64512,
					uptimeSeconds: 9,
					prefixesReceived: 1,
				},
				aws: { vpnConnectionId: 'vpn-1', status: 'UP', acceptedRouteCount: 1 },
				expect: {
					bgpNeighbor: '169.254.10.1',
					remoteAs: 64512,
					localAs: 65000,
					customerInsideIp: '169.254.10.2',
					vpnConnectionId: 'vpn-1',
				},
			},
			{
				name: '169.254.11.0/30',
				peer: '198.18.233.63',
				expected: true,
				state: 'up',
				phase1: 'established',
				phase2: 'up',
				bgp: {
					neighbor: '169.254.11.1',
					state: 'established',
					remoteAs: 64512,
					uptimeSeconds: 8,
					prefixesReceived: 1,
				},
				aws: { vpnConnectionId: 'vpn-1', status: 'UP', acceptedRouteCount: 1 },
				expect: {
					bgpNeighbor: '169.254.11.1',
					remoteAs: 64512,
					localAs: 65000,
					customerInsideIp: '169.254.11.2',
					vpnConnectionId: 'vpn-1',
				},
			},
		]);
		expect(unmatchedBgpNeighbors(snapshot, rows)).toEqual([]);
		expect(codes(snapshot)).toEqual([]);
	});

	type Row = [string, (copy: StatusSnapshot) => void, [string, string, RegExp][]];
	const table: Row[] = [
		[
			'IPsec up, BGP active with the wrong ASN: bgp.down on that tunnel, configured vs expected',
			(copy) => {
				copy.bgp = [
					{ neighbor: '169.254.10.1', remoteAs: 64999, state: 'active' },
					{ neighbor: '169.254.11.1', remoteAs: 64512, state: 'established', prefixesReceived: 1 },
				];
			},
			[['bgp.down', 'error', /198\.19\.79\.225.*169\.254\.10\.1/]],
		],
		[
			'BGP neighbour not configured on one tunnel',
			(copy) => {
				copy.bgp = copy.bgp?.filter((neighbor) => neighbor.neighbor !== '169.254.11.1');
			},
			[['bgp.down', 'error', /198\.18\.233\.63.*169\.254\.11\.1/]],
		],
		[
			'AWS says DOWN while the router’s tunnel is up',
			(copy) => {
				copy.aws = copy.aws?.map((tunnel) =>
					tunnel.outsideIp === '198.18.233.63'
						? { ...tunnel, status: 'DOWN', statusMessage: 'IPSEC IS DOWN' }
						: tunnel,
				);
			},
			[
				['aws.down-router-up', 'error', /198\.18\.233\.63/],
				['aws.no-redundancy', 'warning', /198\.18\.233\.63/],
			],
		],
		[
			'one tunnel missing on the router, AWS silent: a down row, its finding, and no redundancy',
			(copy) => {
				copy.ike = copy.ike?.filter((sa) => sa.peer !== '198.18.233.63');
				copy.ipsec = copy.ipsec?.filter((sa) => sa.peer !== '198.18.233.63');
				copy.bgp = copy.bgp?.filter((neighbor) => neighbor.neighbor !== '169.254.11.1');
				delete copy.aws;
			},
			[
				['ike.no-sa', 'error', /198\.18\.233\.63/],
				['aws.no-redundancy', 'warning', /198\.18\.233\.63.*198\.19\.79\.225/],
			],
		],
	];

	it.each(table)('%s', (_name, change, expected) => {
		const found = codes(edit(siteSnapshot(), change));
		expect(found.map(([code, severity]) => [code, severity]).sort()).toEqual(
			expected.map(([code, severity]) => [code, severity]).sort(),
		);
		for (const [code, , message] of expected)
			expect(found.find(([candidate]) => candidate === code)?.[2]).toMatch(message);
	});

	it('the missing tunnel is a down row, not dropped', () => {
		const snapshot = edit(siteSnapshot(), (copy) => {
			copy.ike = copy.ike?.filter((sa) => sa.peer !== '198.18.233.63');
			copy.ipsec = copy.ipsec?.filter((sa) => sa.peer !== '198.18.233.63');
			copy.bgp = copy.bgp?.filter((neighbor) => neighbor.neighbor !== '169.254.11.1');
		});
		const row = joinTunnels(snapshot, context).find((candidate) => candidate.peer === '198.18.233.63');
		expect(row).toMatchObject({
			name: '169.254.11.0/30',
			expected: true,
			state: 'down',
			phase1: 'missing',
			bgp: { neighbor: '169.254.11.1', state: 'missing' },
			aws: { status: 'UP' },
		});
	});
});
