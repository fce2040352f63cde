import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
	AssociateRouteTableCommand,
	AttachInternetGatewayCommand,
	CreateInternetGatewayCommand,
	CreateKeyPairCommand,
	CreateRouteCommand,
	CreateRouteTableCommand,
	CreateSecurityGroupCommand,
	CreateSubnetCommand,
	CreateVpcCommand,
	DeleteKeyPairCommand,
	DeleteSecurityGroupCommand,
	DeleteSubnetCommand,
	DescribeImagesCommand,
	DescribeInstancesCommand,
	DescribeKeyPairsCommand,
	DetachInternetGatewayCommand,
	type EC2Client,
	GetConsoleOutputCommand,
	ImportKeyPairCommand,
	type Instance,
	ModifySubnetAttributeCommand,
	ModifyVpcAttributeCommand,
	RunInstancesCommand,
	type RunInstancesCommandInput,
	TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import ssh2 from 'ssh2';
import { describe, expect, test } from 'vitest';
import { type Ec2SandboxOptions, SANDBOX_IMAGE, type SandboxChange } from '../../source/sandbox/ec2/index.js';
import { eventually, expectAwsError, sandboxWithClient } from './harness.js';

const FAST = { instanceRunningMs: 100, instanceTerminatedMs: 100, consoleOutputMs: 100 };

const sandbox = (options: Ec2SandboxOptions = { timings: FAST }) => sandboxWithClient(options);
const expectError = (promise: Promise<unknown>, name: string, status = 400) =>
	expectAwsError(promise, name, status);

/** A VPC with a public subnet (IGW, default route) and a private one, as the single-appliance flow builds. */
async function network(ec2: EC2Client) {
	const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '172.30.0.0/16' }))).Vpc?.VpcId as string;
	const publicSubnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '172.30.0.0/24' })))
		.Subnet?.SubnetId as string;
	const privateSubnet = (
		await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '172.30.1.0/24' }))
	).Subnet?.SubnetId as string;
	const igwId = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway
		?.InternetGatewayId as string;
	await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
	const tableId = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable
		?.RouteTableId as string;
	await ec2.send(
		new CreateRouteCommand({ RouteTableId: tableId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }),
	);
	await ec2.send(new AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: publicSubnet }));
	const groupId = (
		await ec2.send(
			new CreateSecurityGroupCommand({ GroupName: 'Permitted-IP-Hosts', Description: 'amf', VpcId: vpcId }),
		)
	).GroupId as string;
	return { vpcId, publicSubnet, privateSubnet, igwId, groupId };
}

async function describeOne(ec2: EC2Client, instanceId: string): Promise<Instance> {
	const output = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
	return output.Reservations?.[0]?.Instances?.[0] as Instance;
}

function sshString(data: Buffer): Buffer {
	const length = Buffer.alloc(4);
	length.writeUInt32BE(data.length);
	return Buffer.concat([length, data]);
}

/** An OpenSSH public key line for a node:crypto key (RFC 4253 wire format), as a user's id_*.pub holds. */
function openSshLine(key: KeyObject, comment: string): string {
	const jwk = key.export({ format: 'jwk' });
	const mpint = (value: string) => {
		const bytes = Buffer.from(value, 'base64url');
		return sshString((bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
	};
	const blob =
		jwk.kty === 'OKP'
			? Buffer.concat([
					sshString(Buffer.from('ssh-ed25519')),
					sshString(Buffer.from(jwk.x ?? '', 'base64url')),
				])
			: Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(jwk.e ?? ''), mpint(jwk.n ?? '')]);
	const type = jwk.kty === 'OKP' ? 'ssh-ed25519' : 'ssh-rsa';
	return `${type} ${blob.toString('base64')} ${comment}`;
}

function colonHex(digest: Buffer): string {
	return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

describe('key pairs', () => {
	test('CreateKeyPair rsa: a PKCS#1 PEM private key and the SHA-1 fingerprint of its PKCS#8 DER', async () => {
		const { ec2, sandbox: started } = await sandbox();
		const created = await ec2.send(
			new CreateKeyPairCommand({
				KeyName: 'amf-cloud-key',
				TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: 'kakehashi:stack', Value: 'amf' }] }],
			}),
		);
		expect(created.KeyPairId).toMatch(/^key-[0-9a-f]{17}$/);
		expect(created.KeyMaterial).toMatch(
			/^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n?$/,
		);
		const privateKey = createPrivateKey(created.KeyMaterial as string);
		expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
		const expected = colonHex(
			createHash('sha1')
				.update(privateKey.export({ type: 'pkcs8', format: 'der' }))
				.digest(),
		);
		expect(created.KeyFingerprint).toBe(expected);
		expect(created.Tags).toEqual([{ Key: 'kakehashi:stack', Value: 'amf' }]);

		const described = await ec2.send(
			new DescribeKeyPairsCommand({ KeyNames: ['amf-cloud-key'], IncludePublicKey: true }),
		);
		const info = described.KeyPairs?.[0];
		expect(info?.KeyType).toBe('rsa');
		expect(info?.KeyFingerprint).toBe(expected);
		expect(info?.CreateTime).toBeInstanceOf(Date);
		const publicFromPrivate = ssh2.utils.parseKey(created.KeyMaterial as string);
		if (publicFromPrivate instanceof Error) {
			throw publicFromPrivate;
		}
		expect(info?.PublicKey).toBe(
			`ssh-rsa ${publicFromPrivate.getPublicSSH().toString('base64')} amf-cloud-key`,
		);
		expect(started.store.keyPair('amf-cloud-key')?.publicKey).toBe(info?.PublicKey);
		const withoutKey = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['amf-cloud-key'] }));
		expect(withoutKey.KeyPairs?.[0]?.PublicKey).toBeUndefined();
	});

	test('CreateKeyPair ed25519: an OpenSSH private key and the base64 SHA-256 fingerprint', async () => {
		const { ec2, sandbox: started } = await sandbox();
		const created = await ec2.send(new CreateKeyPairCommand({ KeyName: 'edge', KeyType: 'ed25519' }));
		expect(created.KeyMaterial).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
		const parsed = ssh2.utils.parseKey(created.KeyMaterial as string);
		if (parsed instanceof Error) {
			throw parsed;
		}
		expect(parsed.type).toBe('ssh-ed25519');
		const blob = parsed.getPublicSSH();
		expect(created.KeyFingerprint).toBe(createHash('sha256').update(blob).digest('base64'));
		expect(started.store.keyPair('edge')).toMatchObject({
			type: 'ed25519',
			publicKey: `ssh-ed25519 ${blob.toString('base64')} edge`,
			fingerprint: created.KeyFingerprint,
		});
		await expectError(ec2.send(new CreateKeyPairCommand({ KeyName: 'edge' })), 'InvalidKeyPair.Duplicate');
		await expectError(
			ec2.send(new CreateKeyPairCommand({ KeyName: 'x', KeyType: 'dsa' as 'rsa' })),
			'InvalidParameterValue',
		);
	});

	test('ImportKeyPair keeps the public key; fingerprints as AWS documents them', async () => {
		const { ec2, sandbox: started } = await sandbox();
		const rsa = generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey;
		const rsaLine = openSshLine(rsa, 'me@laptop');
		const imported = await ec2.send(
			new ImportKeyPairCommand({
				KeyName: 'mine',
				PublicKeyMaterial: new TextEncoder().encode(`${rsaLine}\n`),
			}),
		);
		const spki = rsa.export({ type: 'spki', format: 'der' });
		expect(imported.KeyFingerprint).toBe(colonHex(createHash('md5').update(spki).digest()));
		expect(imported.KeyPairId).toMatch(/^key-[0-9a-f]{17}$/);
		expect(started.store.keyPair('mine')?.publicKey).toBe(rsaLine);

		const ed = generateKeyPairSync('ed25519').publicKey;
		const edLine = openSshLine(ed, 'me@laptop');
		const edImported = await ec2.send(
			new ImportKeyPairCommand({ KeyName: 'mine-ed', PublicKeyMaterial: new TextEncoder().encode(edLine) }),
		);
		const edBlob = Buffer.from(edLine.split(' ')[1] as string, 'base64');
		expect(edImported.KeyFingerprint).toBe(createHash('sha256').update(edBlob).digest('base64'));
		const described = await ec2.send(
			new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: ['mine*'] }] }),
		);
		expect(described.KeyPairs?.map((pair) => [pair.KeyName, pair.KeyType]).sort()).toEqual([
			['mine', 'rsa'],
			['mine-ed', 'ed25519'],
		]);

		await expectError(
			ec2.send(
				new ImportKeyPairCommand({
					KeyName: 'bad',
					PublicKeyMaterial: new TextEncoder().encode('not a key'),
				}),
			),
			'InvalidKey.Format',
		);
		await expectError(
			ec2.send(
				new ImportKeyPairCommand({ KeyName: 'mine', PublicKeyMaterial: new TextEncoder().encode(edLine) }),
			),
			'InvalidKeyPair.Duplicate',
		);
	});

	test('DescribeKeyPairs of an unknown name, DeleteKeyPair', async () => {
		const { ec2 } = await sandbox();
		const created = await ec2.send(new CreateKeyPairCommand({ KeyName: 'temp', KeyType: 'ed25519' }));
		const missing = await expectError(
			ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['nobody'] })),
			'InvalidKeyPair.NotFound',
		);
		expect(missing.message).toBe("The key pair 'nobody' does not exist");
		const deleted = await ec2.send(new DeleteKeyPairCommand({ KeyName: 'temp' }));
		expect(deleted.Return).toBe(true);
		expect(deleted.KeyPairId).toBe(created.KeyPairId);
		expect((await ec2.send(new DescribeKeyPairsCommand({}))).KeyPairs).toEqual([]);
		// As on AWS: deleting by a name that does not exist succeeds; by an ID it does not.
		expect((await ec2.send(new DeleteKeyPairCommand({ KeyName: 'temp' }))).Return).toBe(true);
		await expectError(
			ec2.send(new DeleteKeyPairCommand({ KeyPairId: created.KeyPairId })),
			'InvalidKeyPair.NotFound',
		);
	});
});

describe('images', () => {
	test('the sandbox ships the AMF Cloud image, owned by the sandbox account', async () => {
		const { ec2 } = await sandbox();
		const own = await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
		expect(own.Images).toHaveLength(1);
		expect(own.Images?.[0]).toMatchObject({
			ImageId: SANDBOX_IMAGE.id,
			Name: 'vaa-5.4.9',
			OwnerId: '123456789012',
			State: 'available',
			Public: false,
			Architecture: 'x86_64',
			RootDeviceType: 'ebs',
			VirtualizationType: 'hvm',
		});
		const byName = await ec2.send(
			new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: ['vaa-*'] }] }),
		);
		expect(byName.Images?.map((image) => image.ImageId)).toEqual([SANDBOX_IMAGE.id]);
		expect((await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images).toEqual([]);
		expect((await ec2.send(new DescribeImagesCommand({ ImageIds: [SANDBOX_IMAGE.id] }))).Images).toHaveLength(
			1,
		);
		const missing = await expectError(
			ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })),
			'InvalidAMIID.NotFound',
		);
		expect(missing.message).toBe("The image id '[ami-0123456789abcdef0]' does not exist");
		await expectError(
			ec2.send(new DescribeImagesCommand({ ImageIds: ['ami-nope'] })),
			'InvalidAMIID.Malformed',
		);
		await expectError(
			ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'smell', Values: ['x'] }] })),
			'InvalidParameterValue',
		);
	});
});

describe('instances', () => {
	test('RunInstances → pending → running, addresses, tags, filters, console output, termination', async () => {
		const { ec2, sandbox: started } = await sandbox();
		const changes: SandboxChange[] = [];
		started.store.onChange((change) => changes.push(change));
		const net = await network(ec2);
		await ec2.send(new ModifyVpcAttributeCommand({ VpcId: net.vpcId, EnableDnsHostnames: { Value: true } }));
		await ec2.send(new CreateKeyPairCommand({ KeyName: 'amf-cloud-key', KeyType: 'ed25519' }));
		const launched = await ec2.send(
			new RunInstancesCommand({
				ImageId: SANDBOX_IMAGE.id,
				InstanceType: 't3.small',
				KeyName: 'amf-cloud-key',
				MinCount: 1,
				MaxCount: 1,
				NetworkInterfaces: [
					{
						DeviceIndex: 0,
						SubnetId: net.publicSubnet,
						Groups: [net.groupId],
						AssociatePublicIpAddress: true,
					},
				],
				TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'AMF-VAA' }] }],
			}),
		);
		expect(launched.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
		expect(launched.OwnerId).toBe('123456789012');
		const instance = launched.Instances?.[0] as Instance;
		const instanceId = instance.InstanceId as string;
		expect(instanceId).toMatch(/^i-[0-9a-f]{17}$/);
		expect(instance.State).toEqual({ Code: 0, Name: 'pending' });
		expect(instance.PrivateIpAddress).toBe('172.30.0.4');
		expect(instance.PublicIpAddress).toMatch(/^203\.0\.113\.\d{1,3}$/);
		expect(instance.PublicDnsName).toBe(
			`ec2-${instance.PublicIpAddress?.replaceAll('.', '-')}.ap-northeast-1.compute.amazonaws.com`,
		);
		expect(instance.PrivateDnsName).toBe('ip-172-30-0-4.ap-northeast-1.compute.internal');
		expect(instance.SecurityGroups).toEqual([{ GroupId: net.groupId, GroupName: 'Permitted-IP-Hosts' }]);
		expect(instance.SubnetId).toBe(net.publicSubnet);
		expect(instance.VpcId).toBe(net.vpcId);
		expect(instance.KeyName).toBe('amf-cloud-key');
		expect(instance.InstanceType).toBe('t3.small');
		expect(instance.Tags).toEqual([{ Key: 'Name', Value: 'AMF-VAA' }]);
		expect(instance.NetworkInterfaces?.[0]?.Association?.PublicIp).toBe(instance.PublicIpAddress);
		expect(instance.LaunchTime).toBeInstanceOf(Date);

		expect((await ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId }))).Output).toBeUndefined();
		await eventually(
			() => describeOne(ec2, instanceId),
			(current) => expect(current.State).toEqual({ Code: 16, Name: 'running' }),
		);
		const output = await eventually(
			() => ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId })),
			(current) => expect(current.Output).toBeDefined(),
		);
		expect(Buffer.from(output.Output as string, 'base64').toString('utf8')).toContain('awplus login:');
		expect(output.InstanceId).toBe(instanceId);

		const byFilters = await ec2.send(
			new DescribeInstancesCommand({
				Filters: [
					{ Name: 'tag:Name', Values: ['AMF-VAA'] },
					{ Name: 'instance-state-name', Values: ['running'] },
					{ Name: 'subnet-id', Values: [net.publicSubnet] },
					{ Name: 'key-name', Values: ['amf-cloud-key'] },
					{ Name: 'image-id', Values: [SANDBOX_IMAGE.id] },
				],
			}),
		);
		expect(byFilters.Reservations?.[0]?.ReservationId).toBe(launched.ReservationId);
		expect(byFilters.Reservations?.[0]?.Instances?.map((item) => item.InstanceId)).toEqual([instanceId]);
		expect(
			(
				await ec2.send(
					new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending'] }] }),
				)
			).Reservations,
		).toEqual([]);

		expect(started.store.getInstance(instanceId)).toMatchObject({
			state: 'running',
			tags: { Name: 'AMF-VAA' },
		});
		expect(started.store.securityGroupsOfInstance(instanceId).map((group) => group.name)).toEqual([
			'Permitted-IP-Hosts',
		]);
		expect(started.store.internetReachable(instanceId)).toBe(true);
		expect(changes).toContainEqual({
			type: 'instance-state',
			region: 'ap-northeast-1',
			instanceId,
			state: 'running',
		});

		// Dependencies while the instance lives.
		await expectError(
			ec2.send(new DeleteSubnetCommand({ SubnetId: net.publicSubnet })),
			'DependencyViolation',
		);
		await expectError(
			ec2.send(new DeleteSecurityGroupCommand({ GroupId: net.groupId })),
			'DependencyViolation',
		);
		await expectError(
			ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: net.igwId, VpcId: net.vpcId })),
			'DependencyViolation',
		);

		const terminating = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
		expect(terminating.TerminatingInstances).toEqual([
			{
				InstanceId: instanceId,
				PreviousState: { Code: 16, Name: 'running' },
				CurrentState: { Code: 32, Name: 'shutting-down' },
			},
		]);
		const terminated = await eventually(
			() => describeOne(ec2, instanceId),
			(current) => expect(current.State).toEqual({ Code: 48, Name: 'terminated' }),
		);
		// Terminated instances stay describable for a while, without their addresses.
		expect(terminated.PublicIpAddress).toBeUndefined();
		expect(terminated.PrivateIpAddress).toBeUndefined();
		expect(terminated.StateReason?.Code).toBe('Client.UserInitiatedShutdown');
		expect(started.store.internetReachable(instanceId)).toBe(false);
		const again = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
		expect(again.TerminatingInstances?.[0]?.CurrentState?.Name).toBe('terminated');

		await ec2.send(new DeleteSecurityGroupCommand({ GroupId: net.groupId }));
		await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: net.igwId, VpcId: net.vpcId }));
		await ec2.send(new DeleteSubnetCommand({ SubnetId: net.publicSubnet }));
	});

	test('public addresses: from the subnet setting, or per network interface; none otherwise', async () => {
		const { ec2, sandbox: started } = await sandbox();
		const net = await network(ec2);
		const base: RunInstancesCommandInput = {
			ImageId: SANDBOX_IMAGE.id,
			InstanceType: 't3.micro',
			MinCount: 1,
			MaxCount: 1,
		};
		const privateOnly = (await ec2.send(new RunInstancesCommand({ ...base, SubnetId: net.privateSubnet })))
			.Instances?.[0];
		expect(privateOnly?.PublicIpAddress).toBeUndefined();
		expect(privateOnly?.PrivateIpAddress).toBe('172.30.1.4');
		// Without security groups, the instance joins the VPC's default group.
		expect(privateOnly?.SecurityGroups?.[0]?.GroupName).toBe('default');
		expect(started.store.internetReachable(privateOnly?.InstanceId as string)).toBe(false);
		await ec2.send(
			new ModifySubnetAttributeCommand({ SubnetId: net.privateSubnet, MapPublicIpOnLaunch: { Value: true } }),
		);
		const mapped = (await ec2.send(new RunInstancesCommand({ ...base, SubnetId: net.privateSubnet })))
			.Instances?.[0];
		expect(mapped?.PublicIpAddress).toMatch(/^203\.0\.113\./);
		expect(mapped?.PrivateIpAddress).toBe('172.30.1.5');
		expect(mapped?.PublicDnsName).toBe('');
		const optedOut = (
			await ec2.send(
				new RunInstancesCommand({
					...base,
					NetworkInterfaces: [
						{ DeviceIndex: 0, SubnetId: net.privateSubnet, AssociatePublicIpAddress: false },
					],
				}),
			)
		).Instances?.[0];
		expect(optedOut?.PublicIpAddress).toBeUndefined();
		const fixed = (
			await ec2.send(
				new RunInstancesCommand({ ...base, SubnetId: net.publicSubnet, PrivateIpAddress: '172.30.0.10' }),
			)
		).Instances?.[0];
		expect(fixed?.PrivateIpAddress).toBe('172.30.0.10');
		await expectError(
			ec2.send(
				new RunInstancesCommand({ ...base, SubnetId: net.publicSubnet, PrivateIpAddress: '172.30.0.10' }),
			),
			'InvalidIPAddress.InUse',
		);
	});

	test('RunInstances validation, with the codes AWS uses', async () => {
		const { ec2 } = await sandbox();
		const net = await network(ec2);
		const otherVpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId;
		const foreignGroup = (
			await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'f', Description: 'f', VpcId: otherVpc }))
		).GroupId;
		const base: RunInstancesCommandInput = {
			ImageId: SANDBOX_IMAGE.id,
			InstanceType: 't3.small',
			MinCount: 1,
			MaxCount: 1,
			SubnetId: net.publicSubnet,
		};
		await expectError(
			ec2.send(new RunInstancesCommand({ ...base, KeyName: 'nope' })),
			'InvalidKeyPair.NotFound',
		);
		await expectError(
			ec2.send(new RunInstancesCommand({ ...base, InstanceType: 'x9.mega' as 't3.small' })),
			'InvalidParameterValue',
		);
		await expectError(
			ec2.send(new RunInstancesCommand({ ...base, ImageId: 'ami-0123456789abcdef0' })),
			'InvalidAMIID.NotFound',
		);
		await expectError(
			ec2.send(new RunInstancesCommand({ ...base, ImageId: 'vaa' })),
			'InvalidAMIID.Malformed',
		);
		await expectError(ec2.send(new RunInstancesCommand({ ...base, ImageId: undefined })), 'MissingParameter');
		await expectError(
			ec2.send(new RunInstancesCommand({ ...base, SubnetId: 'subnet-0123456789abcdef0' })),
			'InvalidSubnetID.NotFound',
		);
		await expectError(
			ec2.send(new RunInstancesCommand({ ...base, SecurityGroupIds: ['sg-0123456789abcdef0'] })),
			'InvalidGroup.NotFound',
		);
		await expectError(
			ec2.send(new RunInstancesCommand({ ...base, SecurityGroupIds: [foreignGroup as string] })),
			'InvalidParameter',
		);
		await expectError(
			ec2.send(
				new RunInstancesCommand({
					...base,
					NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: net.publicSubnet }],
				}),
			),
			'InvalidParameterCombination',
		);
		await expectError(
			ec2.send(new RunInstancesCommand({ ...base, SubnetId: undefined })),
			'VPCIdNotSpecified',
		);
		await expectError(
			ec2.send(new RunInstancesCommand({ ...base, MinCount: 2, MaxCount: 1 })),
			'InvalidParameterValue',
		);
		await expectError(
			ec2.send(new RunInstancesCommand({ ...base, MinCount: 50, MaxCount: 50 })),
			'InstanceLimitExceeded',
		);
		await expectError(
			ec2.send(
				new RunInstancesCommand({
					...base,
					TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'a', Value: 'b' }] }],
				}),
			),
			'InvalidParameterValue',
		);
		expect((await ec2.send(new DescribeInstancesCommand({}))).Reservations).toEqual([]);
		await expectError(
			ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
			'InvalidInstanceID.NotFound',
		);
		await expectError(
			ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-1'] })),
			'InvalidInstanceID.Malformed',
		);
		await expectError(
			ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
			'InvalidInstanceID.NotFound',
		);
		await expectError(
			ec2.send(new GetConsoleOutputCommand({ InstanceId: 'i-0123456789abcdef0' })),
			'InvalidInstanceID.NotFound',
		);
	});

	test('ClientToken idempotency: same token and request → same reservation; different request → mismatch', async () => {
		const { ec2 } = await sandbox();
		const net = await network(ec2);
		const request: RunInstancesCommandInput = {
			ImageId: SANDBOX_IMAGE.id,
			InstanceType: 't3.small',
			MinCount: 1,
			MaxCount: 2,
			SubnetId: net.publicSubnet,
			ClientToken: 'kakehashi-apply-0001',
		};
		const first = await ec2.send(new RunInstancesCommand(request));
		const second = await ec2.send(new RunInstancesCommand(request));
		expect(second.ReservationId).toBe(first.ReservationId);
		expect(second.Instances?.map((instance) => instance.InstanceId)).toEqual(
			first.Instances?.map((instance) => instance.InstanceId),
		);
		expect(first.Instances).toHaveLength(2);
		expect(first.Instances?.[0]?.ClientToken).toBe('kakehashi-apply-0001');
		const all = await ec2.send(new DescribeInstancesCommand({}));
		expect(all.Reservations?.flatMap((reservation) => reservation.Instances ?? [])).toHaveLength(2);
		const mismatch = await expectError(
			ec2.send(new RunInstancesCommand({ ...request, InstanceType: 't3.medium' })),
			'IdempotentParameterMismatch',
		);
		expect(mismatch.message).toContain('idempotent');
		const byToken = await ec2.send(
			new DescribeInstancesCommand({ Filters: [{ Name: 'client-token', Values: ['kakehashi-apply-0001'] }] }),
		);
		expect(byToken.Reservations?.[0]?.Instances).toHaveLength(2);
	});

	test('DescribeInstances pagination and launch indexes', async () => {
		const { ec2 } = await sandbox();
		const net = await network(ec2);
		const launched = await ec2.send(
			new RunInstancesCommand({
				ImageId: SANDBOX_IMAGE.id,
				InstanceType: 't3.micro',
				MinCount: 6,
				MaxCount: 6,
				SubnetId: net.privateSubnet,
			}),
		);
		expect(launched.Instances?.map((instance) => instance.AmiLaunchIndex)).toEqual([0, 1, 2, 3, 4, 5]);
		const first = await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
		const firstIds = first.Reservations?.flatMap((reservation) => reservation.Instances ?? []) ?? [];
		expect(firstIds).toHaveLength(5);
		expect(first.NextToken).toBeTruthy();
		const second = await ec2.send(
			new DescribeInstancesCommand({ MaxResults: 5, NextToken: first.NextToken }),
		);
		const secondIds = second.Reservations?.flatMap((reservation) => reservation.Instances ?? []) ?? [];
		expect(secondIds).toHaveLength(1);
		expect(second.NextToken).toBeUndefined();
		expect([...firstIds, ...secondIds].map((instance) => instance.InstanceId).sort()).toEqual(
			launched.Instances?.map((instance) => instance.InstanceId).sort(),
		);
		await expectError(ec2.send(new DescribeInstancesCommand({ MaxResults: 1001 })), 'InvalidParameterValue');
	});
});
