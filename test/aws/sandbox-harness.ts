import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
	DescribeCustomerGatewaysCommand,
	DescribeInstancesCommand,
	DescribeInternetGatewaysCommand,
	DescribeKeyPairsCommand,
	DescribeRouteTablesCommand,
	DescribeSecurityGroupsCommand,
	DescribeSubnetsCommand,
	DescribeVpcsCommand,
	DescribeVpnConnectionsCommand,
	DescribeVpnGatewaysCommand,
	type EC2Client,
} from '@aws-sdk/client-ec2';
import { createEc2Client, type RetryListener } from '../../source/aws/client.js';
import { type Answers, parseAnswers } from '../../source/flow/answers.js';
import type { FlowTimings } from '../../source/flow/runner.js';
import { SANDBOX_CREDENTIALS, startEc2Sandbox } from '../../source/sandbox/ec2/index.js';

/** Short lifecycles: the tests wait for states, never for wall-clock speed. */
export const fastSandboxTimings = { instanceRunningMs: 150, instanceTerminatedMs: 150, consoleOutputMs: 300 };
export const fastFlowTimings: FlowTimings = {
	intervalMs: 25,
	timeoutMs: 30_000,
	dependencyTimeoutMs: 15_000,
};
export const region = 'ap-northeast-1';

export type Sandbox = Awaited<ReturnType<typeof startEc2Sandbox>>;

export async function startSandbox(
	options: { stateFile?: string } = {},
): Promise<{ sandbox: Sandbox; ec2: EC2Client; client: (onRetry?: RetryListener) => EC2Client }> {
	const sandbox = await startEc2Sandbox({
		port: 0,
		timings: fastSandboxTimings,
		...(options.stateFile ? { stateFile: options.stateFile } : {}),
	});
	const client = (onRetry?: RetryListener) =>
		createEc2Client({
			region,
			endpoint: sandbox.endpoint,
			credentials: SANDBOX_CREDENTIALS,
			...(onRetry ? { onRetry } : {}),
		});
	return { sandbox, ec2: client(), client };
}

export async function temporaryDirectory(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
	const dir = await mkdtemp(join(tmpdir(), 'kakehashi-test-'));
	return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

let counter = 0;
export function uniqueStack(prefix = 'stack'): string {
	counter += 1;
	return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

export function sampleAnswers(stack: string, dir: string, overrides: Record<string, unknown> = {}): Answers {
	return parseAnswers({
		flow: 'single-appliance',
		region,
		name: stack,
		vpc: { cidr: '172.30.0.0/16' },
		subnet: { cidr: '172.30.0.0/24' },
		securityGroup: {
			name: 'Permitted-IP-Hosts',
			sshFrom: ['203.0.113.7/32'],
			userNetworks: ['192.168.1.0/24'],
		},
		keyPair: { name: `${stack}-key`, privateKeyFile: join(dir, `${stack}-key.pem`) },
		instance: { type: 't3.small', name: 'AMF-VAA' },
		peers: [{ name: 'site', publicIp: '198.51.100.10', lan: ['192.168.10.0/24'], psk: 'env:SITE_PSK' }],
		...overrides,
	});
}

const tagFilter = (stack: string) => [{ Name: 'tag:kakehashi:stack', Values: [stack] }];

/** How many resources of each kind carry the stack tag (instances: those not terminated). */
export async function countTagged(ec2: EC2Client, stack: string): Promise<Record<string, string[]>> {
	const Filters = tagFilter(stack);
	const [vpcs, subnets, gateways, tables, groups, keys, reservations] = await Promise.all([
		ec2.send(new DescribeVpcsCommand({ Filters })),
		ec2.send(new DescribeSubnetsCommand({ Filters })),
		ec2.send(new DescribeInternetGatewaysCommand({ Filters })),
		ec2.send(new DescribeRouteTablesCommand({ Filters })),
		ec2.send(new DescribeSecurityGroupsCommand({ Filters })),
		ec2.send(new DescribeKeyPairsCommand({ Filters })),
		ec2.send(
			new DescribeInstancesCommand({
				Filters: [
					...Filters,
					{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
				],
			}),
		),
	]);
	return {
		vpc: (vpcs.Vpcs ?? []).map((item) => item.VpcId ?? '?'),
		subnet: (subnets.Subnets ?? []).map((item) => item.SubnetId ?? '?'),
		'internet-gateway': (gateways.InternetGateways ?? []).map((item) => item.InternetGatewayId ?? '?'),
		'route-table': (tables.RouteTables ?? []).map((item) => item.RouteTableId ?? '?'),
		'security-group': (groups.SecurityGroups ?? []).map((item) => item.GroupId ?? '?'),
		'key-pair': (keys.KeyPairs ?? []).map((item) => item.KeyPairId ?? '?'),
		instance: (reservations.Reservations ?? []).flatMap((reservation) =>
			(reservation.Instances ?? []).map((item) => item.InstanceId ?? '?'),
		),
	};
}

export const networkKinds = [
	'vpc',
	'subnet',
	'internet-gateway',
	'route-table',
	'security-group',
	'key-pair',
	'instance',
] as const;

export const vpnKinds = ['vpn-gateway', 'customer-gateway', 'vpn-connection'] as const;

/** The stack's VPN resources that are not deleted (or being deleted), by kind. */
export async function countTaggedVpn(ec2: EC2Client, stack: string): Promise<Record<string, string[]>> {
	const Filters = tagFilter(stack);
	const gone = (state: string | undefined) => state === 'deleted' || state === 'deleting';
	const [gateways, customers, connections] = await Promise.all([
		ec2.send(new DescribeVpnGatewaysCommand({ Filters })),
		ec2.send(new DescribeCustomerGatewaysCommand({ Filters })),
		ec2.send(new DescribeVpnConnectionsCommand({ Filters })),
	]);
	return {
		'vpn-gateway': (gateways.VpnGateways ?? [])
			.filter((item) => !gone(item.State))
			.map((item) => item.VpnGatewayId ?? '?'),
		'customer-gateway': (customers.CustomerGateways ?? [])
			.filter((item) => !gone(item.State))
			.map((item) => item.CustomerGatewayId ?? '?'),
		'vpn-connection': (connections.VpnConnections ?? [])
			.filter((item) => !gone(item.State))
			.map((item) => item.VpnConnectionId ?? '?'),
	};
}
