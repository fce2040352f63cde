import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
	DeleteVpnConnectionCommand,
	DescribeCustomerGatewaysCommand,
	DescribeRouteTablesCommand,
	DescribeSecurityGroupsCommand,
	DescribeVpnConnectionsCommand,
	DescribeVpnGatewaysCommand,
	DetachVpnGatewayCommand,
	DisableVgwRoutePropagationCommand,
	type EC2Client,
	type TunnelOption,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Client } from '../../source/aws/client.js';
import type { Answers } from '../../source/flow/answers.js';
import { buildRank, destroyOrder, stepFor, stepsFor } from '../../source/flow/flow-steps.js';
import { planFlow } from '../../source/flow/plan.js';
import { applyFlow, destroyFlow, type FlowEvent } from '../../source/flow/runner.js';
import { loadState, saveState } from '../../source/flow/state.js';
import { renderMessage } from '../../source/flow/steps.js';
import { tunnelDrift } from '../../source/flow/vpn-steps.js';
import { createTranslator } from '../../source/i18n/index.js';
import type { VpnTimings } from '../../source/sandbox/ec2/actions/vpn.js';
import type { Timings } from '../../source/sandbox/ec2/context.js';
import { SANDBOX_CREDENTIALS, startEc2Sandbox } from '../../source/sandbox/ec2/index.js';
import {
	countTagged,
	fastFlowTimings,
	fastSandboxTimings,
	networkKinds,
	region,
	type Sandbox,
	sampleAnswers,
	startSandbox,
	temporaryDirectory,
	uniqueStack,
} from '../aws/sandbox-harness.js';

let sandbox: Sandbox;
let ec2: EC2Client;
let dir: string;
let cleanup: () => Promise<void>;
/** Every action that changed the sandbox's store, in order. */
const mutations: string[] = [];

beforeAll(async () => {
	({ sandbox, ec2 } = await startSandbox());
	sandbox.store.onChange((change) => {
		if (change.type === 'action') mutations.push(change.action);
	});
	({ dir, cleanup } = await temporaryDirectory());
});

afterAll(async () => {
	await sandbox?.close();
	await cleanup?.();
});

const vpnKinds = ['vpn-gateway', 'customer-gateway', 'vpn-connection'] as const;
const allKinds = [...networkKinds, ...vpnKinds];

/** The guide's single-aws-vpn answers (flows/examples/single-aws-vpn.yaml), with a customer gateway address per test. */
function vpnAnswers(
	stack: string,
	overrides: Record<string, unknown> = {},
	publicIp = '198.51.100.10',
): Answers {
	const { vpn, ...rest } = overrides;
	return sampleAnswers(stack, dir, {
		flow: 'single-aws-vpn',
		peers: [{ name: 'site', publicIp, lan: ['192.168.1.0/24'], asn: 65000 }],
		vpn: {
			amazonSideAsn: 64512,
			routing: 'bgp',
			linkLocalRoute: '169.254.0.0/16',
			tunnels: [
				{ insideCidr: '169.254.10.0/30', ikeVersions: ['ikev1', 'ikev2'] },
				{ insideCidr: '169.254.11.0/30', ikeVersions: ['ikev1', 'ikev2'] },
			],
			...((vpn as object | undefined) ?? {}),
		},
		...rest,
	});
}

const tagFilter = (stack: string) => [{ Name: 'tag:kakehashi:stack', Values: [stack] }];

/** The stack's live VPN resources, as AWS describes them. */
async function vpnResources(stack: string, client: EC2Client = ec2) {
	const [gateways, customers, connections] = await Promise.all([
		client.send(new DescribeVpnGatewaysCommand({ Filters: tagFilter(stack) })),
		client.send(new DescribeCustomerGatewaysCommand({ Filters: tagFilter(stack) })),
		client.send(new DescribeVpnConnectionsCommand({ Filters: tagFilter(stack) })),
	]);
	return {
		'vpn-gateway': (gateways.VpnGateways ?? []).filter((item) => item.State !== 'deleted'),
		'customer-gateway': (customers.CustomerGateways ?? []).filter((item) => item.State !== 'deleted'),
		'vpn-connection': (connections.VpnConnections ?? []).filter((item) => item.State !== 'deleted'),
	};
}

async function expectOneOfEach(stack: string, statePath: string, client: EC2Client = ec2): Promise<void> {
	const tagged = await countTagged(client, stack);
	const vpn = await vpnResources(stack, client);
	const state = await loadState(statePath);
	const ids = (kind: string) => state?.resources.filter((item) => item.kind === kind).map((item) => item.id);
	for (const kind of networkKinds) {
		expect(tagged[kind], kind).toHaveLength(1);
		expect(ids(kind), kind).toEqual(tagged[kind]);
	}
	expect(ids('vpn-gateway')).toEqual(vpn['vpn-gateway'].map((item) => item.VpnGatewayId));
	expect(ids('customer-gateway')).toEqual(vpn['customer-gateway'].map((item) => item.CustomerGatewayId));
	expect(ids('vpn-connection')).toEqual(vpn['vpn-connection'].map((item) => item.VpnConnectionId));
	for (const kind of vpnKinds) expect(vpn[kind], kind).toHaveLength(1);
}

async function expectNothingLeft(stack: string, client: EC2Client = ec2): Promise<void> {
	const tagged = await countTagged(client, stack);
	for (const kind of networkKinds) expect(tagged[kind], kind).toEqual([]);
	const vpn = await vpnResources(stack, client);
	for (const kind of vpnKinds) expect(vpn[kind], kind).toEqual([]);
}

describe('flow step lists', () => {
	it('walks the network for single-appliance and multi-tenant, and the VPN after it for single-aws-vpn', () => {
		expect(stepsFor({ flow: 'single-appliance' }).map((step) => step.kind)).toEqual([...networkKinds]);
		expect(stepsFor({ flow: 'multi-tenant' }).map((step) => step.kind)).toEqual([...networkKinds]);
		expect(stepsFor({ flow: 'single-aws-vpn' }).map((step) => step.kind)).toEqual(allKinds);
		for (const kind of allKinds) expect(stepFor(kind)?.kind).toBe(kind);
		expect(stepFor('image')?.kind).toBe('image'); // image import's kinds: destroy only (image-steps.ts)
	});

	it('destroys the VPN before the network, and the image import’s kinds once the instance is gone', () => {
		const resources = [...allKinds, 'iam-role', 's3-object', 'snapshot', 'image', 'mystery'].map((kind) => ({
			kind,
		}));
		const order = destroyOrder(resources).map((item) => item.kind);
		expect(order.slice(0, 4)).toEqual(['vpn-connection', 'customer-gateway', 'vpn-gateway', 'instance']);
		expect(order.indexOf('image')).toBeLessThan(order.indexOf('snapshot'));
		for (const kind of ['image', 'snapshot', 's3-object', 'iam-role', 'mystery']) {
			expect(order.indexOf(kind), kind).toBeGreaterThan(order.indexOf('instance'));
			expect(order.indexOf(kind), kind).toBeLessThan(order.indexOf('key-pair'));
		}
		expect(order.slice(-6)).toEqual([
			'key-pair',
			'security-group',
			'route-table',
			'internet-gateway',
			'subnet',
			'vpc',
		]);
		expect(buildRank('mystery')).toBe(buildRank('image'));
	});
});

describe('tunnel drift (which AWS tunnel is which is not promised)', () => {
	const en = createTranslator('en');
	const tunnel = (cidr: string, extra: Partial<TunnelOption> = {}): TunnelOption => ({
		OutsideIpAddress: `198.18.0.${cidr.split('.')[2]}`,
		TunnelInsideCidr: cidr,
		IkeVersions: [{ Value: 'ikev1' }, { Value: 'ikev2' }],
		Phase1EncryptionAlgorithms: [{ Value: 'AES128' }, { Value: 'AES256' }],
		DpdTimeoutSeconds: 30,
		PreSharedKey: `key${cidr.split('.')[2]}abcdefgh`,
		...extra,
	});
	const aws = [tunnel('169.254.11.0/30'), tunnel('169.254.10.0/30')];
	const cases: {
		name: string;
		answers: Parameters<typeof tunnelDrift>[0];
		psks?: (string | undefined)[];
		reason?: string;
	}[] = [
		{ name: 'nothing answered', answers: [] },
		{
			name: 'answered in the other order',
			answers: [{ insideCidr: '169.254.10.0/30' }, { insideCidr: '169.254.11.0/30' }],
		},
		{
			name: 'sets compared without order or case',
			answers: [{ ikeVersions: ['ikev2', 'ikev1'], phase1: { encryption: ['aes256', 'AES128'] } }],
		},
		{
			name: 'an inside CIDR AWS does not have',
			answers: [{ insideCidr: '169.254.12.0/30' }],
			reason: 'tunnel 1: insideCidr 169.254.11.0/30 → 169.254.12.0/30',
		},
		{
			name: 'a DPD timeout changed',
			answers: [{ insideCidr: '169.254.10.0/30', dpdTimeoutSeconds: 40 }],
			reason: 'tunnel 1: dpdTimeoutSeconds 30 → 40',
		},
		{
			name: 'fewer IKE versions',
			answers: [{ insideCidr: '169.254.11.0/30', ikeVersions: ['ikev2'] }],
			reason: 'tunnel 1: ikeVersions ikev1,ikev2 → ikev2',
		},
		{
			name: 'the keys match their tunnels',
			answers: [
				{ insideCidr: '169.254.10.0/30', psk: 'env:A' },
				{ insideCidr: '169.254.11.0/30', psk: 'env:B' },
			],
			psks: ['key10abcdefgh', 'key11abcdefgh'],
		},
		{
			name: 'a key differs (named by its reference, never shown)',
			answers: [{ insideCidr: '169.254.10.0/30', psk: 'env:A' }],
			psks: ['otherKey123'],
			reason: 'tunnel 1: its pre-shared key is not the one env:A holds',
		},
	];
	it('an endpoint that reports no tunnel options is never a reason to replace', () => {
		expect(tunnelDrift([{ insideCidr: '169.254.10.0/30' }], [], [])).toBeUndefined();
	});
	for (const { name, answers, psks, reason } of cases) {
		it(name, () => {
			const drift = tunnelDrift(answers, psks ?? [], aws);
			expect(drift ? renderMessage(en, drift) : undefined).toBe(reason);
			if (drift) expect(JSON.stringify(drift)).not.toMatch(/key1[01]abcdefgh|otherKey123/);
		});
	}
});

describe('single-aws-vpn on the sandbox', () => {
	it('creates, keeps, plans a replacement, and destroys in order', async () => {
		const stack = uniqueStack('vpn');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = vpnAnswers(stack);

		const empty = await planFlow({ ec2, answers });
		expect(empty.changes.map((change) => [change.action, change.kind])).toEqual(
			allKinds.map((kind) => ['create', kind]),
		);

		const events: FlowEvent[] = [];
		const result = await applyFlow({
			ec2,
			answers,
			statePath,
			timings: fastFlowTimings,
			onEvent: (event) => events.push(event),
		});
		expect(events.filter((event) => event.type === 'step-done').map((event) => event.kind)).toEqual(allKinds);
		await expectOneOfEach(stack, statePath);
		const vpn = await vpnResources(stack);
		const state = await loadState(statePath);
		const vpcId = state?.resources.find((item) => item.kind === 'vpc')?.id;
		const routeTableId = state?.resources.find((item) => item.kind === 'route-table')?.id;

		const gateway = vpn['vpn-gateway'][0]!;
		expect(gateway.AmazonSideAsn).toBe(64512);
		expect(gateway.VpcAttachments).toEqual([{ VpcId: vpcId, State: 'attached' }]);

		const customer = vpn['customer-gateway'][0]!;
		expect(customer.IpAddress).toBe('198.51.100.10');
		expect(customer.BgpAsn).toBe('65000');

		const connection = vpn['vpn-connection'][0]!;
		expect(connection.State).toBe('available');
		expect(connection.VpnGatewayId).toBe(gateway.VpnGatewayId);
		expect(connection.CustomerGatewayId).toBe(customer.CustomerGatewayId);
		expect(connection.Options?.StaticRoutesOnly).toBe(false);
		const tunnels = connection.Options?.TunnelOptions ?? [];
		expect(tunnels.map((tunnel) => tunnel.TunnelInsideCidr).sort()).toEqual([
			'169.254.10.0/30',
			'169.254.11.0/30',
		]);
		expect(connection.Routes ?? []).toEqual([]);

		const table = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId!] })))
			.RouteTables?.[0];
		expect(table?.PropagatingVgws).toEqual([{ GatewayId: gateway.VpnGatewayId }]);
		// BGP: the tunnels' link-local range goes toward the gateway in the route table.
		expect(table?.Routes).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ DestinationCidrBlock: '169.254.0.0/16', GatewayId: gateway.VpnGatewayId }),
			]),
		);

		// The state file records the connection and its two outside addresses, never a key.
		const record = state?.resources.find((item) => item.kind === 'vpn-connection');
		const outside = tunnels.map((tunnel) => tunnel.OutsideIpAddress).sort();
		expect(record).toMatchObject({ id: connection.VpnConnectionId, routing: 'bgp', outsideIps: outside });
		expect(outside).toHaveLength(2);
		const stateText = await readFile(statePath, 'utf8');
		for (const item of tunnels) {
			expect(item.PreSharedKey).toBeTruthy();
			expect(stateText).not.toContain(item.PreSharedKey);
		}
		expect(result.resources.map((item) => item.kind)).toEqual(expect.arrayContaining([...vpnKinds]));
		expect(events.map((event) => event.messageKey)).toEqual(
			expect.arrayContaining(['flow.note.propagationEnabled', 'flow.note.vpnTunnels']),
		);

		// Again: everything kept, nothing changed in AWS.
		const kept = await planFlow({ ec2, answers, state: state! });
		expect(kept.changes.map((change) => change.action)).toEqual(allKinds.map(() => 'keep'));
		const tagOnly = await planFlow({ ec2, answers });
		expect(tagOnly.changes.map((change) => [change.action, change.id])).toEqual(
			kept.changes.map((change) => [change.action, change.id]),
		);
		const before = mutations.length;
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		expect(mutations.slice(before)).toEqual([]);
		await expectOneOfEach(stack, statePath);

		// Propagation turned off by hand: the plan says so, apply turns it on again.
		await ec2.send(
			new DisableVgwRoutePropagationCommand({ RouteTableId: routeTableId, GatewayId: gateway.VpnGatewayId }),
		);
		const drifted = await planFlow({ ec2, answers, state: (await loadState(statePath))! });
		expect(drifted.changes.find((change) => change.kind === 'vpn-gateway')).toMatchObject({
			action: 'keep',
			note: `route propagation to enable on route table ${routeTableId}`,
		});
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		const reenabled = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId!] })))
			.RouteTables?.[0];
		expect(reenabled?.PropagatingVgws).toEqual([{ GatewayId: gateway.VpnGatewayId }]);

		// Another Amazon-side ASN: the gateway and the connection over it are replaced, the rest kept.
		const otherAsn = vpnAnswers(stack, { vpn: { amazonSideAsn: 64600 } });
		const replan = await planFlow({ ec2, answers: otherAsn, state: (await loadState(statePath))! });
		expect(replan.changes.map((change) => [change.kind, change.action])).toEqual([
			...networkKinds.map((kind) => [kind, 'keep']),
			['vpn-gateway', 'replace'],
			['customer-gateway', 'keep'],
			['vpn-connection', 'replace'],
		]);
		expect(replan.changes.find((change) => change.kind === 'vpn-gateway')?.reason).toBe(
			'Amazon-side ASN 64512 → 64600',
		);

		// Destroy: the VPN first (connection, customer gateway, gateway), then the network, nothing left.
		const destroyEvents: FlowEvent[] = [];
		const destroyed = await destroyFlow({
			ec2,
			statePath,
			timings: fastFlowTimings,
			onEvent: (event) => destroyEvents.push(event),
		});
		expect(destroyed.failed).toEqual([]);
		expect(destroyed.deleted.map((item) => item.kind)).toEqual([
			'vpn-connection',
			'customer-gateway',
			'vpn-gateway',
			'instance',
			'key-pair',
			'security-group',
			'route-table',
			'internet-gateway',
			'subnet',
			'vpc',
		]);
		await expectNothingLeft(stack);
		expect((await loadState(statePath))?.resources).toEqual([]);
	}, 120_000);

	it('replaces the gateway after an ASN change, and the connection with it', async () => {
		const stack = uniqueStack('vpn-asn');
		const statePath = join(dir, `${stack}.state.json`);
		await applyFlow({
			ec2,
			answers: vpnAnswers(stack, {}, '198.51.100.31'),
			statePath,
			timings: fastFlowTimings,
		});
		const first = await vpnResources(stack);
		const changed = vpnAnswers(stack, { vpn: { amazonSideAsn: 64600 } }, '198.51.100.31');
		await applyFlow({ ec2, answers: changed, statePath, timings: fastFlowTimings });
		await expectOneOfEach(stack, statePath);
		const second = await vpnResources(stack);
		expect(second['vpn-gateway'][0]?.AmazonSideAsn).toBe(64600);
		expect(second['vpn-gateway'][0]?.VpnGatewayId).not.toBe(first['vpn-gateway'][0]?.VpnGatewayId);
		expect(second['vpn-connection'][0]?.VpnConnectionId).not.toBe(
			first['vpn-connection'][0]?.VpnConnectionId,
		);
		expect(second['customer-gateway'][0]?.CustomerGatewayId).toBe(
			first['customer-gateway'][0]?.CustomerGatewayId,
		);
		const state = await loadState(statePath);
		const routeTableId = state?.resources.find((item) => item.kind === 'route-table')?.id;
		const table = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId!] })))
			.RouteTables?.[0];
		expect(table?.PropagatingVgws?.map((item) => item.GatewayId)).toContain(
			second['vpn-gateway'][0]?.VpnGatewayId,
		);
		expect(table?.Routes?.find((route) => route.DestinationCidrBlock === '169.254.0.0/16')?.GatewayId).toBe(
			second['vpn-gateway'][0]?.VpnGatewayId,
		);
		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		await expectNothingLeft(stack);
	}, 120_000);

	it('finds by their tags the VPN resources a killed run created but never recorded', async () => {
		const stack = uniqueStack('vpn-adopt');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = vpnAnswers(stack, {}, '198.51.100.35');
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		const before = await vpnResources(stack);
		// As if the run had been killed right after each create call: AWS has them, the state file does not.
		const state = (await loadState(statePath))!;
		state.resources = state.resources.filter((item) => !(vpnKinds as readonly string[]).includes(item.kind));
		await saveState(statePath, state);
		const plan = await planFlow({ ec2, answers, state });
		expect(plan.changes.slice(-3).map((change) => [change.kind, change.action])).toEqual(
			vpnKinds.map((kind) => [kind, 'keep']),
		);
		const count = mutations.length;
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		expect(mutations.slice(count)).toEqual([]);
		await expectOneOfEach(stack, statePath);
		const after = await vpnResources(stack);
		expect(after['vpn-connection'].map((item) => item.VpnConnectionId)).toEqual(
			before['vpn-connection'].map((item) => item.VpnConnectionId),
		);
		const journal = (await loadState(statePath))?.journal ?? [];
		for (const kind of vpnKinds) {
			expect(
				journal.some((entry) => entry.action === 'adopt' && entry.kind === kind),
				kind,
			).toBe(true);
		}
		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		await expectNothingLeft(stack);
	}, 120_000);

	it('a new VPC replaces the gateway and the connection too, keeps the customer gateway, in Japanese', async () => {
		const stack = uniqueStack('vpn-vpc');
		const statePath = join(dir, `${stack}.state.json`);
		const ja = createTranslator('ja');
		const events: FlowEvent[] = [];
		const onEvent = (event: FlowEvent) => events.push(event);
		await applyFlow({
			ec2,
			answers: vpnAnswers(stack, {}, '198.51.100.36'),
			statePath,
			timings: fastFlowTimings,
			t: ja,
			onEvent,
		});
		const first = await vpnResources(stack);
		const moved = vpnAnswers(
			stack,
			{ vpc: { cidr: '10.50.0.0/16' }, subnet: { cidr: '10.50.1.0/24' } },
			'198.51.100.36',
		);
		const plan = await planFlow({ ec2, answers: moved, state: (await loadState(statePath))!, t: ja });
		expect(plan.changes.map((change) => [change.kind, change.action])).toEqual([
			...networkKinds.map((kind) => [kind, kind === 'key-pair' ? 'keep' : 'replace']),
			['vpn-gateway', 'replace'],
			['customer-gateway', 'keep'],
			['vpn-connection', 'replace'],
		]);
		await applyFlow({ ec2, answers: moved, statePath, timings: fastFlowTimings, t: ja, onEvent });
		await expectOneOfEach(stack, statePath);
		const second = await vpnResources(stack);
		expect(second['vpn-gateway'][0]?.VpnGatewayId).not.toBe(first['vpn-gateway'][0]?.VpnGatewayId);
		expect(second['customer-gateway'][0]?.CustomerGatewayId).toBe(
			first['customer-gateway'][0]?.CustomerGatewayId,
		);
		const vpcId = (await loadState(statePath))?.resources.find((item) => item.kind === 'vpc')?.id;
		expect(second['vpn-gateway'][0]?.VpcAttachments).toEqual([{ VpcId: vpcId, State: 'attached' }]);
		// Every sentence of both runs came from the catalog, in Japanese.
		const worded = events.filter((event) => event.message !== undefined);
		expect(worded.map((event) => event.messageKey)).toEqual(
			expect.arrayContaining(['flow.note.propagationEnabled', 'flow.note.vpnSlow', 'flow.note.vpnTunnels']),
		);
		for (const event of worded) {
			expect(event.messageKey, event.message).toBeDefined();
			expect(event.message).not.toMatch(/\{\w+\}/);
			expect(event.message, event.message).toMatch(/[\u3040-\u30ff\u4e00-\u9faf]/);
		}
		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings, t: ja });
		expect(destroyed.failed).toEqual([]);
		await expectNothingLeft(stack);
	}, 120_000);

	it('static routing: the connection gets the site’s prefixes and the link-local range', async () => {
		const stack = uniqueStack('vpn-static');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = vpnAnswers(stack, { vpn: { routing: 'static' } }, '198.51.100.32');
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		await expectOneOfEach(stack, statePath);
		const connection = (await vpnResources(stack))['vpn-connection'][0]!;
		expect(connection.Options?.StaticRoutesOnly).toBe(true);
		expect((connection.Routes ?? []).map((route) => route.DestinationCidrBlock).sort()).toEqual([
			'169.254.0.0/16',
			'192.168.1.0/24',
		]);
		expect(
			(await loadState(statePath))?.resources.find((item) => item.kind === 'vpn-connection'),
		).toMatchObject({ routing: 'static' });
		// Switching to BGP replaces the connection (routing is fixed at creation).
		const bgp = vpnAnswers(stack, {}, '198.51.100.32');
		const plan = await planFlow({ ec2, answers: bgp, state: (await loadState(statePath))! });
		expect(plan.changes.find((change) => change.kind === 'vpn-connection')).toMatchObject({
			action: 'replace',
			reason: 'routing static → bgp',
		});
		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		await expectNothingLeft(stack);
	}, 120_000);

	it('sends referenced tunnel keys to AWS only, and replaces the connection when a key changes', async () => {
		const stack = uniqueStack('vpn-psk');
		const statePath = join(dir, `${stack}.state.json`);
		process.env.KAKEHASHI_TEST_TUNNEL1 = 'tunnelOneKey_123';
		process.env.KAKEHASHI_TEST_TUNNEL2 = 'tunnelTwoKey.456';
		try {
			const answers = vpnAnswers(
				stack,
				{
					vpn: {
						tunnels: [
							{ insideCidr: '169.254.20.0/30', psk: 'env:KAKEHASHI_TEST_TUNNEL1', dpdTimeoutSeconds: 40 },
							{ insideCidr: '169.254.21.0/30', psk: 'env:KAKEHASHI_TEST_TUNNEL2' },
						],
					},
				},
				'198.51.100.33',
			);
			const events: FlowEvent[] = [];
			await applyFlow({
				ec2,
				answers,
				statePath,
				timings: fastFlowTimings,
				onEvent: (event) => events.push(event),
			});
			const connection = (await vpnResources(stack))['vpn-connection'][0]!;
			const byCidr = new Map(
				(connection.Options?.TunnelOptions ?? []).map((tunnel) => [tunnel.TunnelInsideCidr, tunnel]),
			);
			expect(byCidr.get('169.254.20.0/30')?.PreSharedKey).toBe('tunnelOneKey_123');
			expect(byCidr.get('169.254.20.0/30')?.DpdTimeoutSeconds).toBe(40);
			expect(byCidr.get('169.254.21.0/30')?.PreSharedKey).toBe('tunnelTwoKey.456');
			const stateText = await readFile(statePath, 'utf8');
			const eventText = JSON.stringify(events);
			for (const key of ['tunnelOneKey_123', 'tunnelTwoKey.456']) {
				expect(stateText).not.toContain(key);
				expect(eventText).not.toContain(key);
			}
			const same = await planFlow({ ec2, answers, state: (await loadState(statePath))! });
			expect(same.changes.find((change) => change.kind === 'vpn-connection')?.action).toBe('keep');

			process.env.KAKEHASHI_TEST_TUNNEL2 = 'anotherKey_789';
			const plan = await planFlow({ ec2, answers, state: (await loadState(statePath))! });
			const change = plan.changes.find((item) => item.kind === 'vpn-connection');
			expect(change).toMatchObject({ action: 'replace' });
			expect(change?.reason).toContain('env:KAKEHASHI_TEST_TUNNEL2');
			expect(JSON.stringify(plan)).not.toMatch(/anotherKey_789|tunnelTwoKey/);
			await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
			await expectOneOfEach(stack, statePath);
			const replaced = (await vpnResources(stack))['vpn-connection'][0]!;
			expect(replaced.VpnConnectionId).not.toBe(connection.VpnConnectionId);
			expect(
				replaced.Options?.TunnelOptions?.find((tunnel) => tunnel.TunnelInsideCidr === '169.254.21.0/30')
					?.PreSharedKey,
			).toBe('anotherKey_789');
		} finally {
			delete process.env.KAKEHASHI_TEST_TUNNEL1;
			delete process.env.KAKEHASHI_TEST_TUNNEL2;
		}
		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		await expectNothingLeft(stack);
	}, 120_000);

	it('uses a customer gateway that already existed for the same address, and destroy leaves it alone', async () => {
		const stack = uniqueStack('vpn-cgw');
		const statePath = join(dir, `${stack}.state.json`);
		const made = await ec2.send(
			new (await import('@aws-sdk/client-ec2')).CreateCustomerGatewayCommand({
				Type: 'ipsec.1',
				IpAddress: '198.51.100.34',
				BgpAsn: 65000,
			}),
		);
		const existingId = made.CustomerGateway?.CustomerGatewayId;
		const answers = vpnAnswers(stack, {}, '198.51.100.34');
		const plan = await planFlow({ ec2, answers });
		expect(plan.changes.find((change) => change.kind === 'customer-gateway')).toMatchObject({
			action: 'keep',
			id: existingId,
			created: false,
		});
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		const state = await loadState(statePath);
		expect(state?.resources.find((item) => item.kind === 'customer-gateway')).toMatchObject({
			id: existingId,
			created: false,
		});
		// The router moves to another address: kakehashi makes its own gateway and leaves that one alone.
		const moved = vpnAnswers(stack, {}, '198.51.100.37');
		const replan = await planFlow({ ec2, answers: moved, state: (await loadState(statePath))! });
		expect(replan.changes.slice(-2).map((change) => [change.kind, change.action])).toEqual([
			['customer-gateway', 'create'],
			['vpn-connection', 'replace'],
		]);
		await applyFlow({ ec2, answers: moved, statePath, timings: fastFlowTimings });
		await expectOneOfEach(stack, statePath);
		const ownGateway = (await vpnResources(stack))['customer-gateway'][0];
		expect(ownGateway?.IpAddress).toBe('198.51.100.37');
		expect(
			(await ec2.send(new DescribeCustomerGatewaysCommand({ CustomerGatewayIds: [existingId!] })))
				.CustomerGateways?.[0]?.State,
		).toBe('available');
		// Put it back on the shared one, so destroy meets a gateway that is not ours.
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		expect(
			(
				await ec2.send(
					new DescribeCustomerGatewaysCommand({ CustomerGatewayIds: [ownGateway!.CustomerGatewayId!] }),
				)
			).CustomerGateways?.[0]?.State,
		).toBe('deleted');

		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		expect(destroyed.kept).toEqual([expect.objectContaining({ kind: 'customer-gateway', id: existingId })]);
		const still = await ec2.send(new DescribeCustomerGatewaysCommand({ CustomerGatewayIds: [existingId!] }));
		expect(still.CustomerGateways?.[0]?.State).toBe('available');
		const vpn = await vpnResources(stack);
		expect(vpn['vpn-connection']).toEqual([]);
		expect(vpn['vpn-gateway']).toEqual([]);
	}, 120_000);
});

describe('single-aws-vpn on a sandbox whose gateways take long to detach', () => {
	let slow: Awaited<ReturnType<typeof startEc2Sandbox>>;
	let slowEc2: EC2Client;
	beforeAll(async () => {
		// Detaching outlasts the network steps of the next apply, so it meets the gateway still detaching.
		const timings: Partial<Timings & VpnTimings> = { ...fastSandboxTimings, vpnGatewayAttachMs: 2500 };
		slow = await startEc2Sandbox({ port: 0, timings });
		slowEc2 = createEc2Client({ region, endpoint: slow.endpoint, credentials: SANDBOX_CREDENTIALS });
	});
	afterAll(async () => {
		await slow?.close();
	});

	it('applies again after a destroy stopped half-way (connection deleting, gateway detaching)', async () => {
		const ec2 = slowEc2;
		const stack = uniqueStack('vpn-half');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = vpnAnswers(stack, {}, '198.51.100.38');
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		const first = await vpnResources(stack, ec2);
		const vpcId = (await loadState(statePath))?.resources.find((item) => item.kind === 'vpc')?.id;
		await ec2.send(
			new DeleteVpnConnectionCommand({ VpnConnectionId: first['vpn-connection'][0]?.VpnConnectionId }),
		);
		await ec2.send(
			new DetachVpnGatewayCommand({ VpnGatewayId: first['vpn-gateway'][0]?.VpnGatewayId, VpcId: vpcId }),
		);
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		await expectOneOfEach(stack, statePath, ec2);
		const second = await vpnResources(stack, ec2);
		expect(second['vpn-gateway'][0]?.VpnGatewayId).toBe(first['vpn-gateway'][0]?.VpnGatewayId);
		expect(second['vpn-gateway'][0]?.VpcAttachments).toEqual([{ VpcId: vpcId, State: 'attached' }]);
		expect(second['vpn-connection'][0]?.State).toBe('available');
		expect(second['vpn-connection'][0]?.VpnConnectionId).not.toBe(
			first['vpn-connection'][0]?.VpnConnectionId,
		);
		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		await expectNothingLeft(stack, ec2);
	}, 120_000);
});

describe('multi-tenant on the sandbox', () => {
	it('opens IKE and NAT-T from each tenant router, described per tenant', async () => {
		const stack = uniqueStack('tenants');
		const statePath = join(dir, `${stack}.state.json`);
		const answers = sampleAnswers(stack, dir, {
			flow: 'multi-tenant',
			securityGroup: { name: 'Permitted-IP-Hosts', sshFrom: ['203.0.113.7/32'] },
			peers: [
				{ name: 'A', publicIp: '198.51.100.21', lan: ['192.168.10.0/24'], tunnelAddress: '172.16.0.2/24' },
				{ name: 'B', publicIp: '198.51.100.22', lan: ['192.168.20.0/24'], tunnelAddress: '172.16.0.2/24' },
			],
		});
		const plan = await planFlow({ ec2, answers });
		expect(plan.changes.map((change) => change.kind)).toEqual([...networkKinds]);
		await applyFlow({ ec2, answers, statePath, timings: fastFlowTimings });
		const groupId = (await loadState(statePath))?.resources.find(
			(item) => item.kind === 'security-group',
		)?.id;
		const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId!] })))
			.SecurityGroups?.[0];
		const udp = (group?.IpPermissions ?? [])
			.filter((permission) => permission.IpProtocol === 'udp')
			.flatMap((permission) =>
				(permission.IpRanges ?? []).map(
					(range) => `${permission.FromPort} ${range.CidrIp} ${range.Description}`,
				),
			)
			.sort();
		expect(udp).toEqual([
			'4500 198.51.100.21/32 NAT-T (UDP-encap ISAKMP/ESP) A',
			'4500 198.51.100.22/32 NAT-T (UDP-encap ISAKMP/ESP) B',
			'500 198.51.100.21/32 ISAKMP A',
			'500 198.51.100.22/32 ISAKMP B',
		]);
		expect((await vpnResources(stack))['vpn-gateway']).toEqual([]);
		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		await expectNothingLeft(stack);
	}, 120_000);
});
