import type { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	createCustomerGateway,
	customerGatewayAsn,
	deleteCustomerGateway,
	findCustomerGatewayByAddress,
	findCustomerGatewayById,
	findCustomerGatewayByStackTag,
} from '../../source/aws/customer-gateway.js';
import { createRouteTable, findRouteTableById } from '../../source/aws/route-table.js';
import { DuplicateStackResourceError } from '../../source/aws/stack-tags.js';
import { createVpc } from '../../source/aws/vpc.js';
import {
	createVpnConnection,
	deleteVpnConnection,
	ensureVpnConnectionRoutes,
	findVpnConnectionById,
	findVpnConnectionByStackTag,
	tunnelOutsideIps,
	waitForVpnConnectionAvailable,
} from '../../source/aws/vpn-connection.js';
import {
	attachVpnGateway,
	createVpnGateway,
	deleteVpnGateway,
	enableRoutePropagation,
	ensureRouteToVpnGateway,
	findVpnGatewayById,
	findVpnGatewayByStackTag,
	vpnGatewayVpcId,
	waitForVpnGatewayAttached,
} from '../../source/aws/vpn-gateway.js';
import { type Sandbox, startSandbox, uniqueStack } from './sandbox-harness.js';

let sandbox: Sandbox;
let ec2: EC2Client;

beforeAll(async () => {
	({ sandbox, ec2 } = await startSandbox());
});

afterAll(async () => {
	await sandbox?.close();
});

const wait = { intervalMs: 20, timeoutMs: 30_000 };

describe('virtual private gateway, customer gateway and VPN connection on the sandbox', () => {
	it('attaches, propagates and routes idempotently, and deletes a connection before its gateways', async () => {
		const stack = uniqueStack('vpn-aws');
		const vpc = await createVpc(ec2, { stack, name: `${stack}-vpc`, cidr: '10.10.0.0/16' });
		const table = await createRouteTable(ec2, { stack, name: `${stack}-rtb`, vpcId: vpc.VpcId! });
		const gateway = await createVpnGateway(ec2, { stack, name: `${stack}-vgw`, amazonSideAsn: 65100 });
		const vgw = gateway.VpnGatewayId!;
		expect((await findVpnGatewayByStackTag(ec2, stack))?.VpnGatewayId).toBe(vgw);
		expect((await findVpnGatewayById(ec2, vgw))?.AmazonSideAsn).toBe(65100);

		await attachVpnGateway(ec2, vgw, vpc.VpcId!);
		await attachVpnGateway(ec2, vgw, vpc.VpcId!); // attaching again to the same VPC is done already
		const attached = await waitForVpnGatewayAttached(ec2, vgw, vpc.VpcId!, wait);
		expect(vpnGatewayVpcId(attached)).toBe(vpc.VpcId);

		expect(await enableRoutePropagation(ec2, table.RouteTableId!, vgw)).toBe(true);
		expect(await enableRoutePropagation(ec2, table.RouteTableId!, vgw)).toBe(false);
		expect(await ensureRouteToVpnGateway(ec2, table.RouteTableId!, '169.254.0.0/16', vgw)).toBe('created');
		expect(await ensureRouteToVpnGateway(ec2, table.RouteTableId!, '169.254.0.0/16', vgw)).toBe('kept');

		const customer = await createCustomerGateway(ec2, {
			stack,
			name: `${stack}-cgw`,
			ipAddress: '198.51.100.50',
			bgpAsn: 4_200_000_001,
		});
		const cgw = customer.CustomerGatewayId!;
		expect(customerGatewayAsn(customer)).toBe(4_200_000_001);
		expect((await findCustomerGatewayByStackTag(ec2, stack))?.CustomerGatewayId).toBe(cgw);
		expect((await findCustomerGatewayByAddress(ec2, '198.51.100.50', 4_200_000_001))?.CustomerGatewayId).toBe(
			cgw,
		);
		expect(await findCustomerGatewayByAddress(ec2, '198.51.100.50', 65000)).toBeUndefined();

		const connection = await createVpnConnection(
			ec2,
			{
				Type: 'ipsec.1',
				CustomerGatewayId: cgw,
				VpnGatewayId: vgw,
				Options: { StaticRoutesOnly: true },
			},
			{ stack, name: `${stack}-vpn` },
		);
		const vpn = connection.VpnConnectionId!;
		expect((await findVpnConnectionByStackTag(ec2, stack))?.VpnConnectionId).toBe(vpn);
		const available = await waitForVpnConnectionAvailable(ec2, vpn, wait);
		expect(tunnelOutsideIps(available)).toHaveLength(2);
		expect(await ensureVpnConnectionRoutes(ec2, available, ['192.168.1.0/24', '169.254.0.0/16'])).toEqual([
			'192.168.1.0/24',
			'169.254.0.0/16',
		]);
		const withRoutes = (await findVpnConnectionById(ec2, vpn))!;
		expect(await ensureVpnConnectionRoutes(ec2, withRoutes, ['192.168.1.0/24', '169.254.0.0/16'])).toEqual(
			[],
		);

		await deleteVpnConnection(ec2, vpn, wait);
		expect((await findVpnConnectionById(ec2, vpn))?.State).toBe('deleted');
		expect(await findVpnConnectionByStackTag(ec2, stack)).toBeUndefined();
		await deleteVpnConnection(ec2, vpn, wait); // already deleted: done

		await deleteCustomerGateway(ec2, cgw);
		expect((await findCustomerGatewayById(ec2, cgw))?.State).toBe('deleted');
		expect(await findCustomerGatewayByStackTag(ec2, stack)).toBeUndefined();
		await deleteCustomerGateway(ec2, cgw);

		// Attached and routed to: the route goes, the gateway is detached, waited for, then deleted.
		await deleteVpnGateway(ec2, vgw, wait);
		expect((await findVpnGatewayById(ec2, vgw))?.State).toBe('deleted');
		expect(await findVpnGatewayByStackTag(ec2, stack)).toBeUndefined();
		const after = await findRouteTableById(ec2, table.RouteTableId!);
		expect(after?.Routes?.some((route) => route.GatewayId === vgw)).toBe(false);
		await deleteVpnGateway(ec2, vgw, wait);
	});

	it('refuses to guess between two gateways tagged with one stack', async () => {
		const stack = uniqueStack('vpn-dup');
		await createVpnGateway(ec2, { stack, name: 'a', amazonSideAsn: 64512 });
		await createVpnGateway(ec2, { stack, name: 'b', amazonSideAsn: 64512 });
		await expect(findVpnGatewayByStackTag(ec2, stack)).rejects.toBeInstanceOf(DuplicateStackResourceError);
	});
});
