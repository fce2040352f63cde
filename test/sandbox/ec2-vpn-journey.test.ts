import {
	AttachVpnGatewayCommand,
	CreateCustomerGatewayCommand,
	CreateVpcCommand,
	CreateVpnConnectionCommand,
	CreateVpnConnectionRouteCommand,
	CreateVpnGatewayCommand,
	DeleteCustomerGatewayCommand,
	DeleteVpnConnectionCommand,
	DeleteVpnGatewayCommand,
	DescribeRouteTablesCommand,
	DescribeVpnConnectionsCommand,
	DetachVpnGatewayCommand,
	EC2Client,
	EnableVgwRoutePropagationCommand,
} from '@aws-sdk/client-ec2';
import { expect, onTestFinished, test } from 'vitest';
import {
	awsVpnConnectionData,
	customerGatewayRequest,
	vpnConnectionRequest,
	vpnGatewayRequest,
	vpnRoutes,
} from '../../source/design/aws-requests.js';
import { buildAwsVpnDesign } from '../../source/design/build.js';
import { configLines, configVendors } from '../../source/design/configs.js';
import { parseAnswers } from '../../source/flow/answers.js';
import { SANDBOX_CREDENTIALS, startEc2Sandbox } from '../../source/sandbox/ec2/index.js';

const STEP_MS = 40;
const settle = () => new Promise((resolve) => setTimeout(resolve, STEP_MS * 2 + 20));

/** Install-guide 5b against the sandbox, from the answers' requests to every vendor's config, then destroy. */
test('single-aws-vpn: requests → available connection → design → configs keyed by outside address → destroy', async () => {
	const sandbox = await startEc2Sandbox({ timings: { instanceRunningMs: STEP_MS } });
	onTestFinished(() => sandbox.close());
	const ec2 = new EC2Client({
		endpoint: sandbox.endpoint,
		region: 'ap-northeast-1',
		credentials: SANDBOX_CREDENTIALS,
		maxAttempts: 1,
	});
	onTestFinished(() => ec2.destroy());
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
		vpn: {
			routing: 'static',
			linkLocalRoute: '169.254.0.0/16',
			tunnels: [{ insideCidr: '169.254.10.0/30', psk: 'env:T1' }, { insideCidr: '169.254.11.0/30' }],
		},
	});

	const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: answers.vpc.cidr }))).Vpc?.VpcId as string;
	const vpnGatewayId = (await ec2.send(new CreateVpnGatewayCommand(vpnGatewayRequest(answers)))).VpnGateway
		?.VpnGatewayId as string;
	await ec2.send(new AttachVpnGatewayCommand({ VpnGatewayId: vpnGatewayId, VpcId: vpcId }));
	const customerGatewayId = (
		await ec2.send(new CreateCustomerGatewayCommand(customerGatewayRequest(answers)))
	).CustomerGateway?.CustomerGatewayId as string;
	const created = await ec2.send(
		new CreateVpnConnectionCommand(
			vpnConnectionRequest(answers, { customerGatewayId, vpnGatewayId }, ['chosen.by_the_user1']),
		),
	);
	const vpnConnectionId = created.VpnConnection?.VpnConnectionId as string;
	await settle();
	for (const route of vpnRoutes(answers).connectionRoutes) {
		await ec2.send(
			new CreateVpnConnectionRouteCommand({ VpnConnectionId: vpnConnectionId, DestinationCidrBlock: route }),
		);
	}
	const table = (
		await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))
	).RouteTables?.[0];
	await ec2.send(
		new EnableVgwRoutePropagationCommand({ GatewayId: vpnGatewayId, RouteTableId: table?.RouteTableId }),
	);
	const propagated = (
		await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [table?.RouteTableId as string] }))
	).RouteTables?.[0]?.Routes;
	expect(
		propagated
			?.filter((route) => route.Origin === 'EnableVgwRoutePropagation')
			.map((route) => route.DestinationCidrBlock),
	).toEqual(['192.168.1.0/24', '169.254.0.0/16']);

	const described = (
		await ec2.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [vpnConnectionId] }))
	).VpnConnections?.[0];
	expect(described?.State).toBe('available');
	const design = buildAwsVpnDesign(answers, awsVpnConnectionData(described ?? {}));
	expect(design.routing).toBe('static');
	const awsKeys = new Map(
		(described?.Options?.TunnelOptions ?? []).map((tunnel) => [tunnel.OutsideIpAddress, tunnel.PreSharedKey]),
	);
	for (const tunnel of design.tunnels) expect(tunnel.psk).toBe(awsKeys.get(tunnel.awsOutsideIp));
	expect(design.tunnels.find((tunnel) => tunnel.insideCidr === '169.254.10.0/30')?.psk).toBe(
		'chosen.by_the_user1',
	);
	for (const vendor of configVendors('aws-vpn')) {
		const text = configLines(design, vendor, 'router').join('\n');
		for (const tunnel of design.tunnels) expect(text, vendor).toContain(tunnel.psk);
	}

	// Destroy in the right order: connection, customer gateway, then detach and delete the gateway.
	await ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: vpnConnectionId }));
	await settle();
	await ec2.send(new DeleteCustomerGatewayCommand({ CustomerGatewayId: customerGatewayId }));
	await ec2.send(new DetachVpnGatewayCommand({ VpnGatewayId: vpnGatewayId, VpcId: vpcId }));
	await settle();
	await ec2.send(new DeleteVpnGatewayCommand({ VpnGatewayId: vpnGatewayId }));
});
