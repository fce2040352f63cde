import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	AttachVpnGatewayCommand,
	CreateCustomerGatewayCommand,
	CreateVpcCommand,
	CreateVpnConnectionCommand,
	CreateVpnConnectionRouteCommand,
	CreateVpnGatewayCommand,
	DeleteVpnConnectionCommand,
	DescribeVpnConnectionsCommand,
	EC2Client,
	type VpnConnection,
} from '@aws-sdk/client-ec2';
import { describe, expect, onTestFinished, test } from 'vitest';
import {
	awsVpnConnectionData,
	customerGatewayRequest,
	vpnConnectionRequest,
	vpnGatewayRequest,
} from '../../source/design/aws-requests.js';
import { buildAwsVpnDesign } from '../../source/design/build.js';
import { configLines } from '../../source/design/configs.js';
import { type Answers, parseAnswers } from '../../source/flow/answers.js';
import { RunningConfig } from '../../source/sandbox/awplus/running-config.js';
import { awsEndpointConfig, awsEndpointName } from '../../source/sandbox/aws-endpoints.js';
import { SANDBOX_CREDENTIALS } from '../../source/sandbox/ec2/index.js';
import { type Sandbox, startSandbox } from '../../source/sandbox/index.js';

const STEP_MS = 40;

function answersFor(routing: 'bgp' | 'static'): Answers {
	return parseAnswers({
		flow: 'single-aws-vpn',
		region: 'ap-northeast-1',
		name: 'amf-cloud',
		vpc: { cidr: '172.30.0.0/16' },
		subnet: { cidr: '172.30.0.0/24' },
		securityGroup: { name: 'Permitted-IP-Hosts' },
		keyPair: { name: 'k', privateKeyFile: './k.pem' },
		instance: {},
		peers: [
			{
				name: 'site',
				publicIp: '198.51.100.10',
				lan: ['192.168.1.0/24'],
				asn: 65000,
				router: { vendor: 'awplus' },
			},
		],
		vpn: {
			routing,
			tunnels: [
				{ insideCidr: '169.254.10.0/30', ikeVersions: ['ikev1', 'ikev2'] },
				{ insideCidr: '169.254.11.0/30' },
			],
		},
	});
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
	const deadline = Date.now() + 20_000;
	for (;;) {
		const value = await read();
		if (done(value)) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

async function setUp(dir?: string) {
	const folder = dir ?? (await mkdtemp(join(tmpdir(), 'kakehashi-awsvpn-')));
	const sandbox = await startSandbox({
		dir: folder,
		timings: { instanceRunningMs: STEP_MS },
		negotiationMs: 50,
	});
	const ec2 = new EC2Client({
		endpoint: sandbox.endpoint,
		region: 'ap-northeast-1',
		credentials: SANDBOX_CREDENTIALS,
		maxAttempts: 1,
	});
	return { sandbox, ec2, folder };
}

async function createConnection(ec2: EC2Client, answers: Answers, attach = true): Promise<string> {
	const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: answers.vpc.cidr }))).Vpc?.VpcId as string;
	const vpnGatewayId = (await ec2.send(new CreateVpnGatewayCommand(vpnGatewayRequest(answers)))).VpnGateway
		?.VpnGatewayId as string;
	if (attach) await ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vpnGatewayId, VpcId: vpcId }));
	const customerGatewayId = (
		await ec2.send(new CreateCustomerGatewayCommand(customerGatewayRequest(answers)))
	).CustomerGateway?.CustomerGatewayId as string;
	const created = await ec2.send(
		new CreateVpnConnectionCommand(vpnConnectionRequest(answers, { customerGatewayId, vpnGatewayId })),
	);
	return created.VpnConnection?.VpnConnectionId as string;
}

async function describe1(ec2: EC2Client, id: string): Promise<VpnConnection> {
	const { VpnConnections = [] } = await ec2.send(
		new DescribeVpnConnectionsCommand({ VpnConnectionIds: [id] }),
	);
	return VpnConnections[0] as VpnConnection;
}

/** The customer router configured with the design's lines, as the journey's push would leave it. */
function configureSite(sandbox: Sandbox, lines: string[]): void {
	const site = sandbox.world.getRouter('site');
	if (!site) throw new Error('no site router');
	site.config = RunningConfig.parse([...site.config.render(), ...lines]);
	sandbox.world.configChanged('site');
}

type Telemetry = { status?: string; message?: string; routes?: number; changed?: number };
const telemetry = (connection: VpnConnection): Record<string, Telemetry> =>
	Object.fromEntries(
		(connection.VgwTelemetry ?? []).map((tunnel) => [
			tunnel.OutsideIpAddress,
			{
				status: tunnel.Status,
				message: tunnel.StatusMessage,
				routes: tunnel.AcceptedRouteCount,
				changed: tunnel.LastStatusChange?.getTime(),
			},
		]),
	);

describe('AWS VPN tunnel endpoints in the sandbox world', () => {
	test('an endpoint is configured from its connection: key by customer address, inside /30, BGP with the VPC block', () => {
		const lines = awsEndpointConfig({
			region: 'ap-northeast-1',
			vpnConnectionId: 'vpn-0123abcd',
			outsideIp: '198.18.1.2',
			insideCidr: '169.254.10.0/30',
			awsInsideIp: '169.254.10.1',
			customerInsideIp: '169.254.10.2',
			preSharedKey: 'abcdefgh12345678',
			customerGatewayIp: '198.51.100.10',
			customerAsn: 65000,
			amazonSideAsn: 64512,
			staticRoutesOnly: false,
			vpcCidrs: ['172.30.0.0/16'],
			staticRoutes: [],
			ikeVersions: [1, 2],
			phase1LifetimeSeconds: 28800,
			phase2LifetimeSeconds: 3600,
		});
		expect(lines).toContain('crypto isakmp key abcdefgh12345678 address 198.51.100.10');
		expect(lines).toContain(' ip address 169.254.10.1/30');
		expect(lines).toContain(' tunnel destination 198.51.100.10');
		expect(lines).toContain('router bgp 64512');
		expect(lines).toContain(' neighbor 169.254.10.2 remote-as 65000');
		expect(lines).toContain(' network 172.30.0.0/16');
	});

	test('BGP: both tunnels come up with the generated config, telemetry follows (UP, routes, drop one, delete)', async () => {
		const { sandbox, ec2 } = await setUp();
		onTestFinished(async () => {
			ec2.destroy();
			await sandbox.close();
		});
		const answers = answersFor('bgp');
		const id = await createConnection(ec2, answers);
		expect(sandbox.awsEndpoints()).toEqual([]); // pending: nobody answers yet
		const available = await until(
			() => describe1(ec2, id),
			(connection) => connection.State === 'available',
			'available',
		);
		const endpoints = await until(
			async () => sandbox.awsEndpoints(),
			(list) => list.length === 2,
			'two endpoints',
		);
		const outside = (available.Options?.TunnelOptions ?? []).map((tunnel) => tunnel.OutsideIpAddress);
		expect(endpoints.map((endpoint) => endpoint.outsideIp).sort()).toEqual([...outside].sort());
		// nothing configured on the router: both DOWN
		expect(Object.values(telemetry(await describe1(ec2, id))).map((t) => t.status)).toEqual(['DOWN', 'DOWN']);

		const design = buildAwsVpnDesign(answers, awsVpnConnectionData(available));
		configureSite(sandbox, configLines(design, 'awplus', 'router'));
		const up = await until(
			() => describe1(ec2, id),
			(connection) => (connection.VgwTelemetry ?? []).every((tunnel) => tunnel.Status === 'UP'),
			'both tunnels UP',
		);
		for (const tunnel of Object.values(telemetry(up))) {
			expect(tunnel.message).toBe('1 BGP ROUTES');
			expect(tunnel.routes).toBe(1); // the site's LAN
		}
		const status = sandbox.world.status('site');
		expect(status.ike.map((sa) => sa.peer).sort()).toEqual([...outside].sort());
		expect(status.ike.every((sa) => sa.state === 'established' && sa.version === 1)).toBe(true);
		expect(status.bgp?.neighbors.map((neighbor) => [neighbor.state, neighbor.prefixesReceived])).toEqual([
			['established', 1],
			['established', 1],
		]);

		// one AWS endpoint dropped: that tunnel DOWN (IPsec down), the other stays UP
		const [dropped, kept] = design.tunnels;
		const before = telemetry(up);
		sandbox.world.dropTunnel(awsEndpointName(dropped.awsOutsideIp));
		const half = await until(
			() => describe1(ec2, id),
			(connection) =>
				connection.VgwTelemetry?.find((tunnel) => tunnel.OutsideIpAddress === dropped.awsOutsideIp)
					?.Status === 'DOWN',
			'one tunnel DOWN',
		);
		const after = telemetry(half);
		expect(after[dropped.awsOutsideIp]).toMatchObject({
			status: 'DOWN',
			message: 'IPSEC IS DOWN',
			routes: 0,
		});
		expect(after[dropped.awsOutsideIp]?.changed).toBeGreaterThanOrEqual(
			before[dropped.awsOutsideIp]?.changed ?? 0,
		);
		expect(after[kept.awsOutsideIp]).toEqual(before[kept.awsOutsideIp]);

		// deleting the connection takes its endpoints off the internet
		await ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: id }));
		expect(sandbox.awsEndpoints()).toEqual([]);
		expect(sandbox.world.status('site').ike).toEqual(
			expect.not.arrayContaining([expect.objectContaining({ state: 'established' })]),
		);
	});

	test('a wrong key on the router keeps that tunnel down; a BGP ASN mismatch leaves IPsec up but AWS DOWN', async () => {
		const { sandbox, ec2 } = await setUp();
		onTestFinished(async () => {
			ec2.destroy();
			await sandbox.close();
		});
		const answers = answersFor('bgp');
		const id = await createConnection(ec2, answers);
		const available = await until(
			() => describe1(ec2, id),
			(connection) => connection.State === 'available',
			'available',
		);
		const design = buildAwsVpnDesign(answers, awsVpnConnectionData(available));
		const [first, second] = design.tunnels;
		// tunnel 1's key wrong; the router's ASN not the customer gateway's
		const lines = configLines(
			{
				...design,
				customer: { ...design.customer, asn: 65001 },
				tunnels: [{ ...first, psk: 'not.the.right.key' }, second],
			},
			'awplus',
			'router',
		);
		configureSite(sandbox, lines);
		const seen = await until(
			() => describe1(ec2, id),
			(connection) =>
				connection.VgwTelemetry?.find((tunnel) => tunnel.OutsideIpAddress === second.awsOutsideIp)
					?.StatusMessage === 'IPSEC IS UP',
			'IPsec up, BGP down on tunnel 2',
		);
		const values = telemetry(seen);
		expect(values[first.awsOutsideIp]).toMatchObject({ status: 'DOWN', message: 'IPSEC IS DOWN' });
		expect(values[second.awsOutsideIp]).toMatchObject({ status: 'DOWN', message: 'IPSEC IS UP', routes: 0 });
		expect(sandbox.world.tunnel(awsEndpointName(first.awsOutsideIp), 'tunnel1')?.reason).toMatch(
			/pre-shared keys/,
		);
	});

	test('static routing: UP once IPsec is, counting the static routes; VGW not attached: BGP has no prefix to send', async () => {
		const { sandbox, ec2 } = await setUp();
		onTestFinished(async () => {
			ec2.destroy();
			await sandbox.close();
		});
		const answers = answersFor('static');
		const id = await createConnection(ec2, answers);
		const available = await until(
			() => describe1(ec2, id),
			(connection) => connection.State === 'available',
			'available',
		);
		await ec2.send(
			new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '192.168.1.0/24' }),
		);
		configureSite(
			sandbox,
			configLines(buildAwsVpnDesign(answers, awsVpnConnectionData(available)), 'awplus', 'router'),
		);
		const up = await until(
			() => describe1(ec2, id),
			(connection) => (connection.VgwTelemetry ?? []).every((tunnel) => tunnel.Status === 'UP'),
			'static tunnels UP',
		);
		for (const tunnel of Object.values(telemetry(up)))
			expect(tunnel).toMatchObject({ message: '', routes: 1 });

		const second = await setUp();
		onTestFinished(async () => {
			second.ec2.destroy();
			await second.sandbox.close();
		});
		const bgpAnswers = answersFor('bgp');
		const unattached = await createConnection(second.ec2, bgpAnswers, false);
		const ready = await until(
			() => describe1(second.ec2, unattached),
			(connection) => connection.State === 'available',
			'available',
		);
		configureSite(
			second.sandbox,
			configLines(buildAwsVpnDesign(bgpAnswers, awsVpnConnectionData(ready)), 'awplus', 'router'),
		);
		await until(
			() => describe1(second.ec2, unattached),
			(connection) => (connection.VgwTelemetry ?? []).every((tunnel) => tunnel.Status === 'UP'),
			'BGP up without attachment',
		);
		expect(second.sandbox.world.status('site').bgp?.neighbors.map((n) => n.prefixesReceived)).toEqual([0, 0]);
	});

	test('the endpoints and their telemetry come back after a restart', async () => {
		const first = await setUp();
		const answers = answersFor('bgp');
		const id = await createConnection(first.ec2, answers);
		const available = await until(
			() => describe1(first.ec2, id),
			(connection) => connection.State === 'available',
			'available',
		);
		await until(
			async () => first.sandbox.awsEndpoints(),
			(list) => list.length === 2,
			'endpoints',
		);
		// configured over the router's own CLI persistence path (config event → routers.json)
		configureSite(
			first.sandbox,
			configLines(buildAwsVpnDesign(answers, awsVpnConnectionData(available)), 'awplus', 'router'),
		);
		first.ec2.destroy();
		await first.sandbox.close();

		const again = await setUp(first.folder);
		onTestFinished(async () => {
			again.ec2.destroy();
			await again.sandbox.close();
		});
		expect(again.sandbox.awsEndpoints()).toHaveLength(2);
		const up = await until(
			() => describe1(again.ec2, id),
			(connection) => (connection.VgwTelemetry ?? []).every((tunnel) => tunnel.Status === 'UP'),
			'UP after restart',
		);
		expect(Object.values(telemetry(up)).map((tunnel) => tunnel.message)).toEqual([
			'1 BGP ROUTES',
			'1 BGP ROUTES',
		]);
	});
});

describe('user-side routers on request', () => {
	test('ensureRouters starts one SSH router per 198.51.100.0/24 address, kept across restarts; others ignored', async () => {
		const { sandbox, folder } = await setUp();
		const listed = await sandbox.ensureRouters([
			'198.51.100.21',
			'198.51.100.22',
			'203.0.113.9',
			'198.51.100.10',
		]);
		expect(listed.map((router) => router.name)).toEqual([
			'appliance',
			'site',
			'router-198-51-100-21',
			'router-198-51-100-22',
		]);
		const tenant = listed[2];
		expect(tenant).toMatchObject({
			host: '127.0.0.1',
			vendor: 'awplus',
			user: 'manager',
			publicIp: '198.51.100.21',
		});
		expect(tenant?.identity).toBe(listed[1]?.identity); // the same admin key as 'site'
		expect(sandbox.world.getRouter('router-198-51-100-21')?.config.render()).toContain('interface ppp0');
		// the discovery document creates on request too
		const response = await fetch(`${sandbox.endpoint}/_kakehashi/sandbox?ensure=198.51.100.23`);
		const body = (await response.json()) as { routers: { publicIp?: string }[] };
		expect(body.routers.map((router) => router.publicIp)).toContain('198.51.100.23');
		const fingerprint = tenant?.hostKey.fingerprint;
		await sandbox.close();

		const again = await startSandbox({ dir: folder });
		onTestFinished(() => again.close());
		const restored = again.routers();
		expect(restored.map((router) => router.publicIp)).toEqual([
			undefined,
			'198.51.100.10',
			'198.51.100.21',
			'198.51.100.22',
			'198.51.100.23',
		]);
		expect(again.resolve('198.51.100.21')?.hostKey.fingerprint).toBe(fingerprint);
	});
});
