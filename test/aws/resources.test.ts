import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeVpcAttributeCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	deriveClientToken,
	findInstanceById,
	findInstanceByStackTag,
	findNewestOwnImage,
	getConsoleOutputText,
	instanceAddresses,
	runInstance,
	terminateInstance,
	waitForInstanceRunning,
	waitForInstanceTerminated,
} from '../../source/aws/instance.js';
import {
	attachedVpcId,
	attachInternetGateway,
	createInternetGateway,
	deleteInternetGateway,
	findInternetGatewayById,
	findInternetGatewayByStackTag,
	waitForInternetGatewayAttached,
} from '../../source/aws/internet-gateway.js';
import {
	createKeyPair,
	deleteKeyPair,
	findKeyPairById,
	findKeyPairByName,
	findKeyPairByStackTag,
	importKeyPair,
	PrivateKeyFileExistsError,
	privateKeyMatchesFingerprint,
	waitForKeyPair,
	writePrivateKeyFile,
} from '../../source/aws/key-pair.js';
import {
	createRouteTable,
	deleteRouteTable,
	ensureDefaultRoute,
	findMainRouteTable,
	findRouteTableById,
	findRouteTableByStackTag,
	makeMainRouteTable,
	restoreMainRouteTable,
	waitForMainRouteTable,
} from '../../source/aws/route-table.js';
import {
	authorizeMissingIngress,
	createSecurityGroup,
	deleteSecurityGroup,
	findSecurityGroupById,
	findSecurityGroupByName,
	findSecurityGroupByStackTag,
	type IngressRule,
	waitForSecurityGroupRules,
} from '../../source/aws/security-group.js';
import { DuplicateStackResourceError } from '../../source/aws/stack-tags.js';
import {
	createSubnet,
	deleteSubnet,
	enableSubnetPublicIp,
	findSubnetById,
	findSubnetByStackTag,
	waitForSubnetAvailable,
} from '../../source/aws/subnet.js';
import {
	createVpc,
	deleteVpc,
	enableVpcDnsHostnames,
	findVpcById,
	findVpcByStackTag,
	waitForVpcAvailable,
} from '../../source/aws/vpc.js';
import { type Sandbox, startSandbox, temporaryDirectory, uniqueStack } from './sandbox-harness.js';

const wait = { intervalMs: 25, timeoutMs: 20_000 };

let sandbox: Sandbox;
let ec2: EC2Client;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
	({ sandbox, ec2 } = await startSandbox());
	({ dir, cleanup } = await temporaryDirectory());
});

afterAll(async () => {
	await sandbox?.close();
	await cleanup?.();
});

async function newVpc(stack: string, cidr = '10.20.0.0/16') {
	const vpc = await createVpc(ec2, { stack, name: `${stack}-vpc`, cidr });
	await waitForVpcAvailable(ec2, vpc.VpcId!, wait);
	return vpc.VpcId!;
}

describe('vpc', () => {
	it('creates tagged, finds by id and by tag, enables DNS hostnames, deletes idempotently', async () => {
		const stack = uniqueStack('vpc');
		const vpc = await createVpc(ec2, { stack, name: `${stack}-vpc`, cidr: '10.1.0.0/16' });
		expect(vpc.Tags).toEqual(
			expect.arrayContaining([
				{ Key: 'Name', Value: `${stack}-vpc` },
				{ Key: 'kakehashi:stack', Value: stack },
			]),
		);
		const available = await waitForVpcAvailable(ec2, vpc.VpcId!, wait);
		expect(available.State).toBe('available');
		expect((await findVpcByStackTag(ec2, stack))?.VpcId).toBe(vpc.VpcId);
		expect((await findVpcById(ec2, vpc.VpcId!))?.CidrBlock).toBe('10.1.0.0/16');

		await enableVpcDnsHostnames(ec2, vpc.VpcId!);
		await enableVpcDnsHostnames(ec2, vpc.VpcId!);
		const attribute = await ec2.send(
			new DescribeVpcAttributeCommand({ VpcId: vpc.VpcId!, Attribute: 'enableDnsHostnames' }),
		);
		expect(attribute.EnableDnsHostnames?.Value).toBe(true);

		await deleteVpc(ec2, vpc.VpcId!);
		expect(await findVpcById(ec2, vpc.VpcId!)).toBeUndefined();
		expect(await findVpcByStackTag(ec2, stack)).toBeUndefined();
		await deleteVpc(ec2, vpc.VpcId!); // already gone: no error
	});

	it('refuses to guess between two VPCs tagged with one stack', async () => {
		const stack = uniqueStack('dup');
		const a = await createVpc(ec2, { stack, name: 'a', cidr: '10.2.0.0/16' });
		const b = await createVpc(ec2, { stack, name: 'b', cidr: '10.3.0.0/16' });
		await expect(findVpcByStackTag(ec2, stack)).rejects.toBeInstanceOf(DuplicateStackResourceError);
		expect((await findVpcByStackTag(ec2, stack, { role: 'nope' })) ?? undefined).toBeUndefined();
		await deleteVpc(ec2, a.VpcId!);
		await deleteVpc(ec2, b.VpcId!);
	});
});

describe('subnet', () => {
	it('creates in the VPC, maps public IPs, finds, deletes', async () => {
		const stack = uniqueStack('subnet');
		const vpcId = await newVpc(stack);
		const subnet = await createSubnet(ec2, { stack, name: `${stack}-subnet`, vpcId, cidr: '10.20.1.0/24' });
		const available = await waitForSubnetAvailable(ec2, subnet.SubnetId!, wait);
		expect(available.State).toBe('available');
		await enableSubnetPublicIp(ec2, available);
		expect((await findSubnetById(ec2, subnet.SubnetId!))?.MapPublicIpOnLaunch).toBe(true);
		expect((await findSubnetByStackTag(ec2, stack))?.SubnetId).toBe(subnet.SubnetId);
		await deleteSubnet(ec2, subnet.SubnetId!);
		expect(await findSubnetById(ec2, subnet.SubnetId!)).toBeUndefined();
		await deleteSubnet(ec2, subnet.SubnetId!);
		await deleteVpc(ec2, vpcId);
	});
});

describe('internet gateway', () => {
	it('creates, attaches, waits for the attachment, detaches and deletes', async () => {
		const stack = uniqueStack('igw');
		const vpcId = await newVpc(stack);
		const gateway = await createInternetGateway(ec2, { stack, name: `${stack}-igw` });
		await attachInternetGateway(ec2, gateway.InternetGatewayId!, vpcId);
		await attachInternetGateway(ec2, gateway.InternetGatewayId!, vpcId); // already attached there: fine
		const attached = await waitForInternetGatewayAttached(ec2, gateway.InternetGatewayId!, vpcId, wait);
		expect(attachedVpcId(attached)).toBe(vpcId);
		expect((await findInternetGatewayByStackTag(ec2, stack))?.InternetGatewayId).toBe(
			gateway.InternetGatewayId,
		);
		await deleteInternetGateway(ec2, gateway.InternetGatewayId!);
		expect(await findInternetGatewayById(ec2, gateway.InternetGatewayId!)).toBeUndefined();
		await deleteInternetGateway(ec2, gateway.InternetGatewayId!);
		await deleteVpc(ec2, vpcId);
	});
});

describe('route table', () => {
	it('routes 0.0.0.0/0 to the gateway, becomes main, gives the role back, deletes', async () => {
		const stack = uniqueStack('rt');
		const vpcId = await newVpc(stack);
		const gateway = await createInternetGateway(ec2, { stack, name: `${stack}-igw` });
		await attachInternetGateway(ec2, gateway.InternetGatewayId!, vpcId);
		const table = await createRouteTable(ec2, { stack, name: `${stack}-rt`, vpcId });
		expect((await findRouteTableByStackTag(ec2, stack))?.RouteTableId).toBe(table.RouteTableId);

		expect(await ensureDefaultRoute(ec2, table.RouteTableId!, gateway.InternetGatewayId!)).toBe('created');
		expect(await ensureDefaultRoute(ec2, table.RouteTableId!, gateway.InternetGatewayId!)).toBe('kept');

		const before = await findMainRouteTable(ec2, vpcId);
		expect(before?.routeTableId).not.toBe(table.RouteTableId);
		const original = await makeMainRouteTable(ec2, vpcId, table.RouteTableId!);
		expect(original).toBe(before?.routeTableId);
		expect(await makeMainRouteTable(ec2, vpcId, table.RouteTableId!)).toBeUndefined();
		await waitForMainRouteTable(ec2, vpcId, table.RouteTableId!, gateway.InternetGatewayId!, wait);
		expect((await findMainRouteTable(ec2, vpcId))?.routeTableId).toBe(table.RouteTableId);

		expect(await restoreMainRouteTable(ec2, vpcId, table.RouteTableId!, original!)).toBe(true);
		expect((await findMainRouteTable(ec2, vpcId))?.routeTableId).toBe(original);
		await deleteRouteTable(ec2, table.RouteTableId!);
		expect(await findRouteTableById(ec2, table.RouteTableId!)).toBeUndefined();
		await deleteRouteTable(ec2, table.RouteTableId!);
		await deleteInternetGateway(ec2, gateway.InternetGatewayId!);
		await deleteVpc(ec2, vpcId);
	});
});

describe('security group', () => {
	it('adds all missing rules in one call and only what is missing on a re-run', async () => {
		const stack = uniqueStack('sg');
		const vpcId = await newVpc(stack);
		const group = await createSecurityGroup(ec2, {
			stack,
			name: 'Permitted-IP-Hosts',
			vpcId,
			groupName: 'Permitted-IP-Hosts',
		});
		expect((await findSecurityGroupByStackTag(ec2, stack))?.GroupId).toBe(group.GroupId);
		expect((await findSecurityGroupByName(ec2, vpcId, 'Permitted-IP-Hosts'))?.GroupId).toBe(group.GroupId);

		const rules: IngressRule[] = [
			{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '203.0.113.7/32', description: 'Allow SSH' },
			{ protocol: '-1', cidr: '192.168.1.0/24', description: 'Allow From User Network' },
			{ protocol: 'udp', fromPort: 500, toPort: 500, cidr: '198.51.100.10/32', description: 'ISAKMP site' },
		];
		const seenBefore = sandbox
			.actionsSeen()
			.filter((action) => action === 'AuthorizeSecurityGroupIngress').length;
		expect(await authorizeMissingIngress(ec2, group.GroupId!, rules)).toHaveLength(3);
		const seenAfter = sandbox
			.actionsSeen()
			.filter((action) => action === 'AuthorizeSecurityGroupIngress').length;
		expect(seenAfter - seenBefore).toBe(1);
		expect(await authorizeMissingIngress(ec2, group.GroupId!, rules)).toEqual([]);

		const more: IngressRule[] = [
			...rules,
			{
				protocol: 'udp',
				fromPort: 4500,
				toPort: 4500,
				cidr: '198.51.100.10/32',
				description: 'NAT-T (UDP-encap ISAKMP/ESP) site',
			},
		];
		const added = await authorizeMissingIngress(ec2, group.GroupId!, more);
		expect(added.map((rule) => rule.fromPort)).toEqual([4500]);
		const ready = await waitForSecurityGroupRules(ec2, group.GroupId!, more, wait);
		const descriptions = (ready.IpPermissions ?? []).flatMap((permission) =>
			(permission.IpRanges ?? []).map((range) => range.Description),
		);
		expect(descriptions).toEqual(
			expect.arrayContaining([
				'Allow SSH',
				'Allow From User Network',
				'ISAKMP site',
				'NAT-T (UDP-encap ISAKMP/ESP) site',
			]),
		);

		await deleteSecurityGroup(ec2, group.GroupId!);
		expect(await findSecurityGroupById(ec2, group.GroupId!)).toBeUndefined();
		await deleteSecurityGroup(ec2, group.GroupId!);
		await deleteVpc(ec2, vpcId);
	});
});

describe('key pair', () => {
	it('creates, writes the PEM 0400 without overwriting, matches the fingerprint, deletes', async () => {
		const stack = uniqueStack('key');
		const created = await createKeyPair(ec2, { stack, name: `${stack}-key`, keyName: `${stack}-key` });
		const path = join(dir, `${stack}.pem`);
		await writePrivateKeyFile(path, created.keyMaterial);
		expect((await stat(path)).mode & 0o777).toBe(0o400);
		await expect(writePrivateKeyFile(path, 'other')).rejects.toBeInstanceOf(PrivateKeyFileExistsError);
		expect(await readFile(path, 'utf8')).toContain('PRIVATE KEY');

		const visible = await waitForKeyPair(ec2, created.keyPairId, wait);
		expect(visible.KeyName).toBe(`${stack}-key`);
		expect(privateKeyMatchesFingerprint(created.keyMaterial, visible.KeyFingerprint)).toBe(true);
		expect((await findKeyPairByStackTag(ec2, stack))?.KeyPairId).toBe(created.keyPairId);
		expect((await findKeyPairByName(ec2, `${stack}-key`))?.KeyPairId).toBe(created.keyPairId);

		await deleteKeyPair(ec2, { keyPairId: created.keyPairId });
		expect(await findKeyPairById(ec2, created.keyPairId)).toBeUndefined();
		expect(await findKeyPairByName(ec2, `${stack}-key`)).toBeUndefined();
		await deleteKeyPair(ec2, { keyPairId: created.keyPairId });
	});

	it('imports a public key and tags it', async () => {
		const stack = uniqueStack('import');
		const source = await createKeyPair(ec2, { stack: `${stack}-src`, name: 'src', keyName: `${stack}-src` });
		const { createPublicKey } = await import('node:crypto');
		const jwk = createPublicKey(source.keyMaterial).export({ format: 'jwk' });
		const mpint = (bytes: Buffer) => (bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
		const field = (bytes: Buffer) => {
			const length = Buffer.alloc(4);
			length.writeUInt32BE(bytes.length);
			return Buffer.concat([length, bytes]);
		};
		const blob = Buffer.concat([
			field(Buffer.from('ssh-rsa')),
			field(mpint(Buffer.from(jwk.e!, 'base64url'))),
			field(mpint(Buffer.from(jwk.n!, 'base64url'))),
		]);
		const publicKeyFile = join(dir, `${stack}.pub`);
		await writeFile(publicKeyFile, `ssh-rsa ${blob.toString('base64')} test\n`);
		const imported = await importKeyPair(ec2, {
			stack,
			name: `${stack}-key`,
			keyName: `${stack}-key`,
			publicKey: await readFile(publicKeyFile, 'utf8'),
		});
		const found = await findKeyPairByStackTag(ec2, stack);
		expect(found?.KeyPairId).toBe(imported.keyPairId);
		expect(privateKeyMatchesFingerprint(source.keyMaterial, found?.KeyFingerprint)).toBe(true);
		await deleteKeyPair(ec2, { keyPairId: imported.keyPairId });
		await deleteKeyPair(ec2, { keyPairId: source.keyPairId });
	});
});

describe('instance', () => {
	it('launches idempotently with a client token, waits running, reads the console, terminates', async () => {
		const stack = uniqueStack('instance');
		const vpcId = await newVpc(stack);
		const subnet = await createSubnet(ec2, { stack, name: 's', vpcId, cidr: '10.20.2.0/24' });
		await waitForSubnetAvailable(ec2, subnet.SubnetId!, wait);
		await enableSubnetPublicIp(ec2, subnet);
		const group = await createSecurityGroup(ec2, { stack, name: 'g', vpcId, groupName: `${stack}-g` });
		const key = await createKeyPair(ec2, { stack, name: 'k', keyName: `${stack}-k` });
		const image = await findNewestOwnImage(ec2);
		expect(image?.Name?.startsWith('vaa')).toBe(true);

		const input = {
			stack,
			name: 'AMF-VAA',
			imageId: image!.ImageId!,
			instanceType: 't3.small',
			subnetId: subnet.SubnetId!,
			securityGroupIds: [group.GroupId!],
			keyName: `${stack}-k`,
			clientToken: deriveClientToken(stack, 'digest', '0'),
		};
		expect(deriveClientToken(stack, 'digest', '0')).toBe(input.clientToken);
		expect(input.clientToken.length).toBeLessThanOrEqual(64);
		const first = await runInstance(ec2, input);
		const again = await runInstance(ec2, input);
		expect(again.InstanceId).toBe(first.InstanceId);
		expect((await findInstanceByStackTag(ec2, stack))?.InstanceId).toBe(first.InstanceId);

		const running = await waitForInstanceRunning(ec2, first.InstanceId!, wait);
		expect(running.State?.Name).toBe('running');
		const addresses = instanceAddresses(running);
		expect(addresses.privateIp).toMatch(/^10\.20\.2\./);
		expect(addresses.publicIp).toBeTruthy();

		let console: string | undefined;
		for (let i = 0; i < 400 && console === undefined; i++) {
			console = await getConsoleOutputText(ec2, first.InstanceId!);
			if (console === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
		}
		expect(console).toBeTypeOf('string');

		await terminateInstance(ec2, first.InstanceId!);
		await waitForInstanceTerminated(ec2, first.InstanceId!, wait);
		expect((await findInstanceById(ec2, first.InstanceId!))?.State?.Name ?? 'terminated').toBe('terminated');
		expect(await findInstanceByStackTag(ec2, stack)).toBeUndefined();
		await terminateInstance(ec2, first.InstanceId!);

		await deleteKeyPair(ec2, { keyPairId: key.keyPairId });
		await deleteSecurityGroup(ec2, group.GroupId!);
		await deleteSubnet(ec2, subnet.SubnetId!);
		await deleteVpc(ec2, vpcId);
	});

	it('says no image when there is none of that name', async () => {
		expect(await findNewestOwnImage(ec2, 'no-such-prefix-')).toBeUndefined();
	});
});
