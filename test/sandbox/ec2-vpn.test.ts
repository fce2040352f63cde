import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	AttachVpnGatewayCommand,
	CreateCustomerGatewayCommand,
	CreateRouteCommand,
	CreateVpcCommand,
	CreateVpnConnectionCommand,
	CreateVpnConnectionRouteCommand,
	CreateVpnGatewayCommand,
	DeleteCustomerGatewayCommand,
	DeleteVpnConnectionCommand,
	DeleteVpnConnectionRouteCommand,
	DeleteVpnGatewayCommand,
	DescribeCustomerGatewaysCommand,
	DescribeRouteTablesCommand,
	DescribeVpnConnectionsCommand,
	DescribeVpnGatewaysCommand,
	DetachVpnGatewayCommand,
	DisableVgwRoutePropagationCommand,
	EC2Client,
	EnableVgwRoutePropagationCommand,
	type VpnConnection,
	type VpnTunnelOptionsSpecification,
} from '@aws-sdk/client-ec2';
import { describe, expect, onTestFinished, test } from 'vitest';
import { buildAwsVpnDesign } from '../../source/design/build.js';
import { parseCustomerGatewayConfiguration } from '../../source/design/customer-gateway-configuration.js';
import { parseAnswers } from '../../source/flow/answers.js';
import { validateTunnelInsideCidr, validateTunnelPsk } from '../../source/flow/validate-vpn.js';
import { SANDBOX_CREDENTIALS, startEc2Sandbox } from '../../source/sandbox/ec2/index.js';
import { expectAwsError as expectError, sandboxWithClient } from './harness.js';

const STEP_MS = 40;

const sandbox = () => sandboxWithClient({ timings: { instanceRunningMs: STEP_MS } });

const settle = () => new Promise((resolve) => setTimeout(resolve, STEP_MS * 2 + 20));

async function vpc(ec2: EC2Client): Promise<string> {
	const created = await ec2.send(new CreateVpcCommand({ CidrBlock: '172.30.0.0/16' }));
	return created.Vpc?.VpcId as string;
}

async function gateways(ec2: EC2Client, amazonAsn?: number) {
	const vgw = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1', AmazonSideAsn: amazonAsn }));
	const cgw = await ec2.send(
		new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: '198.51.100.10', BgpAsn: 65000 }),
	);
	return {
		vgwId: vgw.VpnGateway?.VpnGatewayId as string,
		cgwId: cgw.CustomerGateway?.CustomerGatewayId as string,
	};
}

async function connection(
	ec2: EC2Client,
	ids: { vgwId: string; cgwId: string },
	staticRoutesOnly: boolean,
	tunnelOptions?: VpnTunnelOptionsSpecification[],
): Promise<VpnConnection> {
	const created = await ec2.send(
		new CreateVpnConnectionCommand({
			Type: 'ipsec.1',
			CustomerGatewayId: ids.cgwId,
			VpnGatewayId: ids.vgwId,
			Options: { StaticRoutesOnly: staticRoutesOnly, TunnelOptions: tunnelOptions },
			TagSpecifications: [
				{ ResourceType: 'vpn-connection', Tags: [{ Key: 'kakehashi:stack', Value: 'amf-cloud' }] },
			],
		}),
	);
	return created.VpnConnection as VpnConnection;
}

describe('virtual private gateways', () => {
	test('Amazon-side ASN: 64512 by default, private ranges only', async () => {
		const { ec2 } = await sandbox();
		const created = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }));
		expect(created.VpnGateway).toMatchObject({ State: 'available', Type: 'ipsec.1', AmazonSideAsn: 64512 });
		expect(created.VpnGateway?.VpnGatewayId).toMatch(/^vgw-[0-9a-f]{17}$/);
		const custom = await ec2.send(
			new CreateVpnGatewayCommand({ Type: 'ipsec.1', AmazonSideAsn: 4200000001 }),
		);
		expect(custom.VpnGateway?.AmazonSideAsn).toBe(4200000001);
		await expectError(
			ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1', AmazonSideAsn: 7224 })),
			'InvalidParameterValue',
		);
		await expectError(
			ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1', AmazonSideAsn: 65535 })),
			'InvalidParameterValue',
		);
		await expectError(
			ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.2' as 'ipsec.1' })),
			'InvalidParameterValue',
		);
	});

	test('attaching → attached; in use while attached; detaching → detached; then deletable', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await vpc(ec2);
		const { vgwId } = await gateways(ec2);
		const attached = await ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vgwId, VpcId: vpcId }));
		expect(attached.VpcAttachment).toEqual({ VpcId: vpcId, State: 'attaching' });
		await expectError(
			ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vgwId, VpcId: vpcId })),
			'VpnGatewayAttachmentLimitExceeded',
		);
		const other = await ec2.send(new CreateVpnGatewayCommand({ Type: 'ipsec.1' }));
		await expectError(
			ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: other.VpnGateway?.VpnGatewayId, VpcId: vpcId })),
			'VpnGatewayAttachmentLimitExceeded',
		);
		await settle();
		const described = await ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgwId] }));
		expect(described.VpnGateways?.[0]?.VpcAttachments).toEqual([{ VpcId: vpcId, State: 'attached' }]);
		const byFilter = await ec2.send(
			new DescribeVpnGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }),
		);
		expect(byFilter.VpnGateways?.map((gateway) => gateway.VpnGatewayId)).toEqual([vgwId]);
		await expectError(ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vgwId })), 'IncorrectState');
		await expectError(
			ec2.send(new DetachVpnGatewayCommand({ VpnGatewayId: vgwId, VpcId: 'vpc-00000000000000000' })),
			'InvalidVpnGatewayAttachment.NotFound',
		);
		await ec2.send(new DetachVpnGatewayCommand({ VpnGatewayId: vgwId, VpcId: vpcId }));
		const detaching = await ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgwId] }));
		expect(detaching.VpnGateways?.[0]?.VpcAttachments?.[0]?.State).toBe('detaching');
		await expectError(ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vgwId })), 'IncorrectState');
		await settle();
		await ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vgwId }));
		const deleted = await ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgwId] }));
		expect(deleted.VpnGateways?.[0]?.State).toBe('deleted');
		await expectError(
			ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vgwId })),
			'InvalidVpnGatewayID.NotFound',
		);
		await expectError(
			ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: 'vgw-nope' })),
			'InvalidVpnGatewayID.Malformed',
		);
	});
});

describe('customer gateways', () => {
	test('ASN 65000 by default; AWS reserved ASNs refused; a repeated request returns the same gateway', async () => {
		const { ec2 } = await sandbox();
		const first = await ec2.send(
			new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: '198.51.100.10' }),
		);
		expect(first.CustomerGateway).toMatchObject({
			State: 'available',
			Type: 'ipsec.1',
			IpAddress: '198.51.100.10',
			BgpAsn: '65000',
		});
		const again = await ec2.send(
			new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: '198.51.100.10', BgpAsn: 65000 }),
		);
		expect(again.CustomerGateway?.CustomerGatewayId).toBe(first.CustomerGateway?.CustomerGatewayId);
		for (const asn of [7224, 9059, 10124, 17943]) {
			const error = await expectError(
				ec2.send(
					new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: '198.51.100.11', BgpAsn: asn }),
				),
				'InvalidParameterValue',
			);
			expect(error.message).toContain(String(asn));
		}
		await expectError(
			ec2.send(new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: '198.51.100.999' })),
			'InvalidParameterValue',
		);
		const listed = await ec2.send(
			new DescribeCustomerGatewaysCommand({ Filters: [{ Name: 'ip-address', Values: ['198.51.100.10'] }] }),
		);
		expect(listed.CustomerGateways).toHaveLength(1);
	});
});

describe('VPN connections', () => {
	test('two distinct tunnels, pending → available, configuration XML keyed by outside address', async () => {
		const { ec2 } = await sandbox();
		const ids = await gateways(ec2);
		const created = await connection(ec2, ids, false, [
			{ TunnelInsideCidr: '169.254.10.0/30', PreSharedKey: 'first.key_12345678' },
			{ TunnelInsideCidr: '169.254.11.0/30' },
		]);
		expect(created.State).toBe('pending');
		expect(created.VpnConnectionId).toMatch(/^vpn-[0-9a-f]{17}$/);
		const tunnels = created.Options?.TunnelOptions ?? [];
		expect(tunnels).toHaveLength(2);
		const [one, two] = tunnels;
		expect(one?.OutsideIpAddress).not.toBe(two?.OutsideIpAddress);
		for (const tunnel of tunnels) {
			expect(tunnel.OutsideIpAddress).toMatch(/^198\.1[89]\.\d+\.\d+$/);
			expect(validateTunnelPsk(tunnel.PreSharedKey ?? '', 'psk')).toEqual([]);
			expect(validateTunnelInsideCidr(tunnel.TunnelInsideCidr ?? '', 'cidr')).toEqual([]);
		}
		expect(one?.PreSharedKey).toBe('first.key_12345678');
		expect(two?.PreSharedKey).not.toBe(one?.PreSharedKey);
		expect(created.VgwTelemetry?.map((telemetry) => [telemetry.OutsideIpAddress, telemetry.Status])).toEqual([
			[one?.OutsideIpAddress, 'DOWN'],
			[two?.OutsideIpAddress, 'DOWN'],
		]);

		await settle();
		const described = await ec2.send(
			new DescribeVpnConnectionsCommand({ VpnConnectionIds: [created.VpnConnectionId as string] }),
		);
		const available = described.VpnConnections?.[0] as VpnConnection;
		expect(available.State).toBe('available');
		expect(available.Tags).toEqual([{ Key: 'kakehashi:stack', Value: 'amf-cloud' }]);
		const parsed = parseCustomerGatewayConfiguration(available.CustomerGatewayConfiguration as string);
		expect(parsed.vpnConnectionId).toBe(created.VpnConnectionId);
		for (const tunnel of tunnels) {
			const fromXml = parsed.tunnels.find((candidate) => candidate.awsOutsideIp === tunnel.OutsideIpAddress);
			expect(fromXml).toMatchObject({
				psk: tunnel.PreSharedKey,
				insideCidr: tunnel.TunnelInsideCidr,
				customerOutsideIp: '198.51.100.10',
				customerAsn: 65000,
				awsAsn: 64512,
			});
		}

		const answers = parseAnswers({
			flow: 'single-aws-vpn',
			region: 'ap-northeast-1',
			name: 'amf-cloud',
			vpc: { cidr: '172.30.0.0/16' },
			subnet: { cidr: '172.30.0.0/24' },
			securityGroup: { name: 'Permitted-IP-Hosts' },
			keyPair: { name: 'k', privateKeyFile: './k.pem' },
			instance: {},
			peers: [{ name: 'site', publicIp: '198.51.100.10', lan: ['192.168.1.0/24'], asn: 65000 }],
		});
		const design = buildAwsVpnDesign(answers, {
			configuration: parsed,
			staticRoutesOnly: available.Options?.StaticRoutesOnly,
			tunnelOptions: tunnels.map((tunnel) => ({ outsideIpAddress: tunnel.OutsideIpAddress as string })),
		});
		expect(design.routing).toBe('bgp');
		for (const tunnel of design.tunnels) {
			expect(tunnel.psk).toBe(
				tunnels.find((candidate) => candidate.OutsideIpAddress === tunnel.awsOutsideIp)?.PreSharedKey,
			);
		}
	});

	test.each<[string, VpnTunnelOptionsSpecification]>([
		['a short key', { PreSharedKey: 'short' }],
		['a key with a dash', { PreSharedKey: 'has-dash-12345' }],
		['a key starting with 0', { PreSharedKey: '0abcdefgh' }],
		['a /29 inside CIDR', { TunnelInsideCidr: '169.254.10.0/29' }],
		['an inside CIDR outside link-local', { TunnelInsideCidr: '10.0.0.0/30' }],
		['a reserved inside CIDR', { TunnelInsideCidr: '169.254.169.252/30' }],
		['169.254.5.0/30', { TunnelInsideCidr: '169.254.5.0/30' }],
		['a phase 1 lifetime over 28800', { Phase1LifetimeSeconds: 28801 }],
		['a phase 2 lifetime not below phase 1', { Phase1LifetimeSeconds: 1800, Phase2LifetimeSeconds: 1800 }],
		['a DPD timeout under 30', { DPDTimeoutSeconds: 29 }],
		['3DES', { Phase1EncryptionAlgorithms: [{ Value: '3DES' }] }],
		['DH group 5', { Phase2DHGroupNumbers: [{ Value: 5 }] }],
		['IKE version 3', { IKEVersions: [{ Value: 'ikev3' }] }],
		['an unknown startup action', { StartupAction: 'go' }],
	])('refuses %s, as AWS does, without echoing any key', async (_, options) => {
		const { ec2 } = await sandbox();
		const ids = await gateways(ec2);
		const error = await expectError(connection(ec2, ids, true, [options]), 'InvalidParameterValue');
		if (options.PreSharedKey) expect(error.message).not.toContain(options.PreSharedKey);
	});

	test('tunnel options are kept and echoed; inside CIDRs are unique per gateway', async () => {
		const { ec2 } = await sandbox();
		const ids = await gateways(ec2);
		const created = await connection(ec2, ids, true, [
			{
				TunnelInsideCidr: '169.254.20.0/30',
				IKEVersions: [{ Value: 'ikev2' }],
				Phase1EncryptionAlgorithms: [{ Value: 'AES256' }],
				Phase1DHGroupNumbers: [{ Value: 14 }],
				Phase1LifetimeSeconds: 14400,
				DPDTimeoutSeconds: 40,
				DPDTimeoutAction: 'restart',
				StartupAction: 'start',
			},
		]);
		expect(created.Options?.TunnelOptions?.[0]).toMatchObject({
			TunnelInsideCidr: '169.254.20.0/30',
			IkeVersions: [{ Value: 'ikev2' }],
			Phase1EncryptionAlgorithms: [{ Value: 'AES256' }],
			Phase1DHGroupNumbers: [{ Value: 14 }],
			Phase1LifetimeSeconds: 14400,
			DpdTimeoutSeconds: 40,
			DpdTimeoutAction: 'restart',
			StartupAction: 'start',
		});
		const xml = parseCustomerGatewayConfiguration(created.CustomerGatewayConfiguration as string);
		const first = xml.tunnels.find((tunnel) => tunnel.insideCidr === '169.254.20.0/30');
		expect(first?.ike).toMatchObject({ encryption: 'aes256', dhGroup: 14, lifetimeSeconds: 14400 });
		expect(xml.attributes).toBe('NoBGPVPNConnection');
		const cgw2 = await ec2.send(
			new CreateCustomerGatewayCommand({ Type: 'ipsec.1', IpAddress: '198.51.100.20' }),
		);
		await expectError(
			connection(ec2, { vgwId: ids.vgwId, cgwId: cgw2.CustomerGateway?.CustomerGatewayId as string }, true, [
				{ TunnelInsideCidr: '169.254.20.0/30' },
			]),
			'InvalidParameterValue',
		);
	});

	test('BGP needs two ASNs', async () => {
		const { ec2 } = await sandbox();
		const ids = await gateways(ec2, 65000);
		await expectError(connection(ec2, ids, false), 'InvalidParameterValue');
		expect((await connection(ec2, ids, true)).State).toBe('pending');
	});

	test('telemetry follows the store hook, keyed by outside address', async () => {
		const { ec2, sandbox: started } = await sandbox();
		const created = await connection(ec2, await gateways(ec2), false);
		const id = created.VpnConnectionId as string;
		const [one, two] = (created.Options?.TunnelOptions ?? []).map(
			(tunnel) => tunnel.OutsideIpAddress as string,
		);
		expect(started.store.setTunnelTelemetry(id, one as string, 'UP', '1 BGP ROUTES', 1)).toBe(true);
		expect(started.store.setTunnelTelemetry(id, '192.0.2.1', 'UP')).toBe(false);
		const described = await ec2.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [id] }));
		const telemetry = described.VpnConnections?.[0]?.VgwTelemetry ?? [];
		expect(telemetry.find((entry) => entry.OutsideIpAddress === one)).toMatchObject({
			Status: 'UP',
			StatusMessage: '1 BGP ROUTES',
			AcceptedRouteCount: 1,
		});
		expect(telemetry.find((entry) => entry.OutsideIpAddress === two)).toMatchObject({
			Status: 'DOWN',
			StatusMessage: 'IPSEC IS DOWN',
		});
	});

	test('static routes, propagation into the route table, a route to the gateway, and deletion in order', async () => {
		const { ec2 } = await sandbox();
		const vpcId = await vpc(ec2);
		const ids = await gateways(ec2);
		await ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: ids.vgwId, VpcId: vpcId }));
		const created = await connection(ec2, ids, true);
		const id = created.VpnConnectionId as string;
		await settle();
		await ec2.send(
			new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '192.168.1.0/24' }),
		);
		await expectError(
			ec2.send(
				new CreateVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '192.168.1.0/24' }),
			),
			'RouteAlreadyExists',
		);
		const tables = await ec2.send(
			new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
		);
		const tableId = tables.RouteTables?.[0]?.RouteTableId as string;
		await ec2.send(new EnableVgwRoutePropagationCommand({ GatewayId: ids.vgwId, RouteTableId: tableId }));
		await ec2.send(
			new CreateRouteCommand({
				RouteTableId: tableId,
				DestinationCidrBlock: '169.254.0.0/16',
				GatewayId: ids.vgwId,
			}),
		);
		const table = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] })))
			.RouteTables?.[0];
		expect(table?.PropagatingVgws).toEqual([{ GatewayId: ids.vgwId }]);
		expect(table?.Routes).toEqual([
			{
				DestinationCidrBlock: '172.30.0.0/16',
				GatewayId: 'local',
				State: 'active',
				Origin: 'CreateRouteTable',
			},
			{
				DestinationCidrBlock: '169.254.0.0/16',
				GatewayId: ids.vgwId,
				State: 'active',
				Origin: 'CreateRoute',
			},
			{
				DestinationCidrBlock: '192.168.1.0/24',
				GatewayId: ids.vgwId,
				State: 'active',
				Origin: 'EnableVgwRoutePropagation',
			},
		]);
		const routes = (await ec2.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [id] })))
			.VpnConnections?.[0]?.Routes;
		expect(routes).toEqual([
			{ DestinationCidrBlock: '192.168.1.0/24', Source: 'Static', State: 'available' },
		]);

		await ec2.send(new DisableVgwRoutePropagationCommand({ GatewayId: ids.vgwId, RouteTableId: tableId }));
		const after = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] })))
			.RouteTables?.[0];
		expect(after?.PropagatingVgws).toEqual([]);
		expect(after?.Routes?.map((route) => route.DestinationCidrBlock)).toEqual([
			'172.30.0.0/16',
			'169.254.0.0/16',
		]);
		await ec2.send(
			new DeleteVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '192.168.1.0/24' }),
		);
		await expectError(
			ec2.send(
				new DeleteVpnConnectionRouteCommand({ VpnConnectionId: id, DestinationCidrBlock: '192.168.1.0/24' }),
			),
			'InvalidRoute.NotFound',
		);

		// Destroy order: VPN connection, customer gateway, then the virtual private gateway.
		await expectError(
			ec2.send(new DeleteCustomerGatewayCommand({ CustomerGatewayId: ids.cgwId })),
			'IncorrectState',
		);
		await expectError(ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: ids.vgwId })), 'IncorrectState');
		await ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: id }));
		const deleting = (await ec2.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [id] })))
			.VpnConnections?.[0];
		expect(deleting?.State).toBe('deleting');
		expect(deleting?.CustomerGatewayConfiguration).toBeUndefined();
		await settle();
		const deleted = (await ec2.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [id] })))
			.VpnConnections?.[0];
		expect(deleted?.State).toBe('deleted');
		await ec2.send(new DeleteCustomerGatewayCommand({ CustomerGatewayId: ids.cgwId }));
		await ec2.send(new DetachVpnGatewayCommand({ VpnGatewayId: ids.vgwId, VpcId: vpcId }));
		await settle();
		const blackhole = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] })))
			.RouteTables?.[0];
		expect(blackhole?.Routes?.[1]?.State).toBe('blackhole');
		await ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: ids.vgwId }));
	});

	test('static routes belong to static connections; unknown IDs fail as AWS does', async () => {
		const { ec2 } = await sandbox();
		const created = await connection(ec2, await gateways(ec2), false);
		await expectError(
			ec2.send(
				new CreateVpnConnectionRouteCommand({
					VpnConnectionId: created.VpnConnectionId,
					DestinationCidrBlock: '192.168.1.0/24',
				}),
			),
			'InvalidParameterValue',
		);
		await expectError(
			ec2.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: ['vpn-0123456789abcdef0'] })),
			'InvalidVpnConnectionID.NotFound',
		);
		await expectError(
			ec2.send(new DeleteCustomerGatewayCommand({ CustomerGatewayId: 'cgw-0123456789abcdef0' })),
			'InvalidCustomerGatewayID.NotFound',
		);
	});
});

test('telemetry set through the store hook is saved with the sandbox state', async () => {
	const directory = await mkdtemp(join(tmpdir(), 'kakehashi-vpn-'));
	onTestFinished(() => rm(directory, { recursive: true, force: true }));
	const stateFile = join(directory, 'sandbox.json');
	const first = await startEc2Sandbox({ stateFile, timings: { instanceRunningMs: STEP_MS } });
	const client = (endpoint: string) =>
		new EC2Client({ endpoint, region: 'ap-northeast-1', credentials: SANDBOX_CREDENTIALS, maxAttempts: 1 });
	const ec2 = client(first.endpoint);
	const created = await connection(ec2, await gateways(ec2), false);
	const id = created.VpnConnectionId as string;
	const outside = created.Options?.TunnelOptions?.[0]?.OutsideIpAddress as string;
	expect(first.store.setTunnelTelemetry(id, outside, 'UP')).toBe(true);
	ec2.destroy();
	await first.close();
	const second = await startEc2Sandbox({ stateFile, timings: { instanceRunningMs: STEP_MS } });
	onTestFinished(() => second.close());
	const again = client(second.endpoint);
	onTestFinished(() => again.destroy());
	const described = await again.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [id] }));
	const telemetry = described.VpnConnections?.[0]?.VgwTelemetry?.find(
		(entry) => entry.OutsideIpAddress === outside,
	);
	expect(telemetry?.Status).toBe('UP');
});
