import { allocatePrivateIps, allocatePublicIp } from '../addresses.js';
import {
	DEFAULT_INSTANCE_TYPE,
	INSTANCE_TYPES,
	isTypeOffered,
	privateDnsName,
	publicDnsName,
	zonesOf,
} from '../catalog.js';
import { applianceBootLog } from '../console-output.js';
import type { ActionContext, ActionTable } from '../context.js';
import { Ec2Error, invalidParameterCombination, invalidParameterValue, missingParameter } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { assertWellFormedId, newId, resourceKinds } from '../ids.js';
import { find } from '../lookups.js';
import { paginate } from '../pagination.js';
import type { QueryParams } from '../query.js';
import {
	INSTANCE_STATE_CODES,
	type InstanceRecord,
	instanceStateAt,
	type ReservationRecord,
	type SecurityGroupRecord,
	type SubnetRecord,
	TERMINATED_VISIBLE_MS,
} from '../state.js';
import { renderTags, tagsFromSpecifications } from '../tags.js';
import { type XmlObject, xmlList, xmlTime } from '../xml.js';

const MAX_INSTANCES_PER_LAUNCH = 20;

/** Instances Describe calls still show: terminated ones disappear after about an hour. */
function visibleInstances(context: ActionContext): InstanceRecord[] {
	return Object.values(context.region.instances).filter(
		(instance) =>
			instance.terminatedAt === undefined || context.now < instance.terminatedAt + TERMINATED_VISIBLE_MS,
	);
}

function findVisibleInstance(context: ActionContext, id: string): InstanceRecord {
	const instance = find.instance(context, id);
	if (!visibleInstances(context).includes(instance)) {
		throw resourceKinds.instance.notFound(id);
	}
	return instance;
}

/** All named instances, or `InvalidInstanceID.NotFound` listing every missing one, as AWS words it. */
function selectInstances(context: ActionContext, ids: readonly string[]): InstanceRecord[] {
	const visible = visibleInstances(context);
	if (ids.length === 0) {
		return visible;
	}
	for (const id of ids) {
		assertWellFormedId('instance', id);
	}
	const missing = ids.filter((id) => !visible.some((instance) => instance.id === id));
	if (missing.length === 1) {
		throw resourceKinds.instance.notFound(missing[0] as string);
	}
	if (missing.length > 1) {
		throw new Ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
	}
	return visible.filter((instance) => ids.includes(instance.id));
}

function stateOf(context: ActionContext, instance: InstanceRecord): { code: number; name: string } {
	const name = instanceStateAt(instance, context.now);
	return { code: INSTANCE_STATE_CODES[name], name };
}

function groupsOf(
	context: ActionContext,
	instance: InstanceRecord,
): { groupId: string; groupName: string }[] {
	return instance.securityGroupIds.map((groupId) => ({
		groupId,
		groupName: context.region.securityGroups[groupId]?.name ?? '',
	}));
}

function renderInstance(context: ActionContext, instance: InstanceRecord): XmlObject {
	const state = instanceStateAt(instance, context.now);
	const terminated = state === 'terminated';
	const zoneId = zonesOf(context.regionName).find(
		(zone) => zone.zoneName === instance.availabilityZone,
	)?.zoneId;
	const vpc = context.region.vpcs[instance.vpcId];
	const privateName = privateDnsName(context.regionName, instance.privateIp);
	const publicName =
		instance.publicIp && vpc?.enableDnsHostnames ? publicDnsName(context.regionName, instance.publicIp) : '';
	const groups = xmlList(groupsOf(context, instance), (group) => group);
	const association = instance.publicIp
		? { publicIp: instance.publicIp, publicDnsName: publicName, ipOwnerId: 'amazon' }
		: undefined;
	const stoppedReason =
		instance.terminateRequestedAt !== undefined
			? {
					code: 'Client.UserInitiatedShutdown',
					message: 'Client.UserInitiatedShutdown: User initiated shutdown',
				}
			: state === 'pending'
				? { code: 'pending', message: 'pending' }
				: undefined;
	return {
		instanceId: instance.id,
		imageId: instance.imageId,
		instanceState: stateOf(context, instance),
		privateDnsName: terminated ? '' : privateName,
		dnsName: terminated ? '' : publicName,
		reason:
			instance.terminateRequestedAt !== undefined
				? `User initiated (${new Date(instance.terminateRequestedAt).toISOString().replace('T', ' ').slice(0, 19)} GMT)`
				: '',
		keyName: instance.keyName,
		amiLaunchIndex: instance.launchIndex,
		productCodes: '',
		instanceType: instance.instanceType,
		launchTime: xmlTime(instance.launchedAt),
		placement: {
			availabilityZone: instance.availabilityZone,
			availabilityZoneId: zoneId,
			groupName: '',
			tenancy: 'default',
		},
		monitoring: { state: 'disabled' },
		subnetId: terminated ? undefined : instance.subnetId,
		vpcId: terminated ? undefined : instance.vpcId,
		privateIpAddress: terminated ? undefined : instance.privateIp,
		ipAddress: terminated ? undefined : instance.publicIp,
		sourceDestCheck: true,
		groupSet: terminated ? '' : groups,
		stateReason: stoppedReason,
		architecture: 'x86_64',
		rootDeviceType: 'ebs',
		rootDeviceName: '/dev/xvda',
		blockDeviceMapping: terminated
			? ''
			: xmlList([instance], (record) => ({
					deviceName: '/dev/xvda',
					ebs: {
						volumeId: `vol-${record.id.slice(2)}`,
						status: 'attached',
						attachTime: xmlTime(record.launchedAt),
						deleteOnTermination: true,
					},
				})),
		virtualizationType: 'hvm',
		clientToken: instance.clientToken ?? '',
		tagSet: renderTags(instance.tags),
		hypervisor: 'xen',
		networkInterfaceSet: terminated
			? ''
			: xmlList([instance], (record) => ({
					networkInterfaceId: record.networkInterfaceId,
					subnetId: record.subnetId,
					vpcId: record.vpcId,
					description: '',
					ownerId: context.accountId,
					status: 'in-use',
					macAddress: record.macAddress,
					privateIpAddress: record.privateIp,
					privateDnsName: privateName,
					sourceDestCheck: true,
					groupSet: groups,
					attachment: {
						attachmentId: record.attachmentId,
						deviceIndex: 0,
						networkCardIndex: 0,
						status: 'attached',
						attachTime: xmlTime(record.launchedAt),
						deleteOnTermination: true,
					},
					association,
					privateIpAddressesSet: xmlList([record], (primary) => ({
						privateIpAddress: primary.privateIp,
						privateDnsName: privateName,
						primary: true,
						association,
					})),
					ipv6AddressesSet: '',
					interfaceType: 'interface',
				})),
		ebsOptimized: false,
		enaSupport: true,
		cpuOptions: { coreCount: 1, threadsPerCore: 2 },
		capacityReservationSpecification: { capacityReservationPreference: 'open' },
		hibernationOptions: { configured: false },
		metadataOptions: {
			state: 'applied',
			httpTokens: 'required',
			httpPutResponseHopLimit: 2,
			httpEndpoint: 'enabled',
			httpProtocolIpv6: 'disabled',
			instanceMetadataTags: 'disabled',
		},
		enclaveOptions: { enabled: false },
		platformDetails: 'Linux/UNIX',
		usageOperation: 'RunInstances',
		usageOperationUpdateTime: xmlTime(instance.launchedAt),
		privateDnsNameOptions: {
			hostnameType: 'ip-name',
			enableResourceNameDnsARecord: false,
			enableResourceNameDnsAAAARecord: false,
		},
		maintenanceOptions: { autoRecovery: 'default' },
		currentInstanceBootMode: 'legacy-bios',
	};
}

function renderReservation(
	context: ActionContext,
	reservation: ReservationRecord,
	instances: InstanceRecord[],
): XmlObject {
	return {
		reservationId: reservation.id,
		ownerId: context.accountId,
		groupSet: '',
		instancesSet: xmlList(instances, (instance) => renderInstance(context, instance)),
	};
}

type NetworkPlan = {
	subnet: SubnetRecord;
	groups: SecurityGroupRecord[];
	associatePublicIp: boolean;
	privateIp?: string;
};

/** Where the instances go: `NetworkInterface.N` or the instance-level SubnetId / security groups. */
function networkPlan(context: ActionContext): NetworkPlan {
	const params = context.params;
	const interfaces = params.structs('NetworkInterface');
	let subnetId: string | undefined;
	let groupIds: string[];
	let groupNames: string[] = [];
	let associate: boolean | undefined;
	let privateIp: string | undefined;
	if (interfaces.length > 0) {
		if (params.has('SubnetId')) {
			throw invalidParameterCombination(
				'Network interfaces and an instance-level subnet ID may not be specified on the same request',
			);
		}
		if (params.has('SecurityGroupId') || params.has('SecurityGroup')) {
			throw invalidParameterCombination(
				'Network interfaces and an instance-level security groups may not be specified on the same request',
			);
		}
		if (interfaces.length > 1) {
			throw invalidParameterValue(
				'The kakehashi sandbox launches instances with one network interface (DeviceIndex 0).',
			);
		}
		const primary = interfaces[0] as QueryParams;
		if (primary.integer('DeviceIndex') !== 0) {
			throw invalidParameterValue(
				'Each network interface requires a device index; the primary one is DeviceIndex 0.',
			);
		}
		const existing = primary.string('NetworkInterfaceId');
		if (existing !== undefined) {
			throw new Ec2Error(
				'InvalidNetworkInterfaceID.NotFound',
				`The networkInterface ID '${existing}' does not exist`,
			);
		}
		subnetId = primary.string('SubnetId');
		groupIds = primary.list('SecurityGroupId');
		associate = primary.boolean('AssociatePublicIpAddress');
		privateIp = primary.string('PrivateIpAddress');
	} else {
		subnetId = params.string('SubnetId');
		groupIds = params.list('SecurityGroupId');
		groupNames = params.list('SecurityGroup');
		privateIp = params.string('PrivateIpAddress');
	}
	if (subnetId === undefined) {
		throw new Ec2Error('VPCIdNotSpecified', 'No default VPC for this user');
	}
	const subnet = find.subnet(context, subnetId);
	const groups = groupIds.map((id) => {
		const group = find.securityGroup(context, id);
		if (group.vpcId !== subnet.vpcId) {
			throw new Ec2Error(
				'InvalidParameter',
				`Security group ${group.id} and subnet ${subnet.id} belong to different networks.`,
			);
		}
		return group;
	});
	for (const name of groupNames) {
		const group = Object.values(context.region.securityGroups).find(
			(candidate) => candidate.vpcId === subnet.vpcId && candidate.name === name,
		);
		if (!group) {
			throw new Ec2Error(
				'InvalidGroup.NotFound',
				`The security group '${name}' does not exist in VPC '${subnet.vpcId}'`,
			);
		}
		groups.push(group);
	}
	if (groups.length === 0) {
		const fallback = Object.values(context.region.securityGroups).find(
			(group) => group.vpcId === subnet.vpcId && group.isDefault,
		);
		if (fallback) {
			groups.push(fallback);
		}
	}
	return { subnet, groups, associatePublicIp: associate ?? subnet.mapPublicIpOnLaunch, privateIp };
}

function launchCounts(context: ActionContext): [min: number, max: number] {
	const min = context.params.integer('MinCount');
	const max = context.params.integer('MaxCount');
	if (min === undefined) {
		throw missingParameter('MinCount');
	}
	if (max === undefined) {
		throw missingParameter('MaxCount');
	}
	if (min < 1) {
		throw invalidParameterValue(
			`Value (${min}) for parameter minCount is invalid. Expected a value greater than 0.`,
		);
	}
	if (max < min) {
		throw invalidParameterValue(
			`Value (${max}) for parameter maxCount is invalid. maxCount must be at least minCount.`,
		);
	}
	if (min > MAX_INSTANCES_PER_LAUNCH) {
		throw new Ec2Error(
			'InstanceLimitExceeded',
			`You have requested more instances (${min}) than your current instance limit of ${MAX_INSTANCES_PER_LAUNCH} allows for the specified instance type. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.`,
		);
	}
	return [min, Math.min(max, MAX_INSTANCES_PER_LAUNCH)];
}

function macAddress(context: ActionContext): string {
	const octets = [0x06, ...Array.from({ length: 5 }, () => context.random.below(256))];
	return octets.map((octet) => octet.toString(16).padStart(2, '0')).join(':');
}

export const instanceActions: ActionTable = {
	RunInstances(context) {
		const clientToken = context.params.string('ClientToken');
		// The request without its token: what "the same request" means for idempotency.
		const fingerprint = JSON.stringify(context.params.entries().filter(([name]) => name !== 'ClientToken'));
		if (clientToken !== undefined) {
			if (clientToken.length > 64) {
				throw invalidParameterValue(
					'Value for parameter clientToken is invalid. It must be at most 64 ASCII characters.',
				);
			}
			const earlier = Object.values(context.region.reservations).find(
				(reservation) => reservation.clientToken === clientToken,
			);
			if (earlier) {
				if (earlier.requestFingerprint !== fingerprint) {
					throw new Ec2Error(
						'IdempotentParameterMismatch',
						'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).',
					);
				}
				const instances = earlier.instanceIds
					.map((id) => context.region.instances[id])
					.filter((instance): instance is InstanceRecord => instance !== undefined);
				return renderReservation(context, earlier, instances);
			}
		}
		const imageId = context.params.required('ImageId');
		const image = find.image(context, imageId);
		const [, count] = launchCounts(context);
		const instanceType = context.params.string('InstanceType') ?? DEFAULT_INSTANCE_TYPE;
		if (!INSTANCE_TYPES.includes(instanceType)) {
			throw invalidParameterValue(`Invalid value '${instanceType}' for InstanceType.`);
		}
		const keyName = context.params.string('KeyName');
		if (
			keyName !== undefined &&
			!Object.values(context.region.keyPairs).some((pair) => pair.name === keyName)
		) {
			throw resourceKinds.keyPair.notFound(keyName);
		}
		const plan = networkPlan(context);
		if (!isTypeOffered(instanceType, context.regionName, plan.subnet.availabilityZone)) {
			throw new Ec2Error(
				'Unsupported',
				`Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${plan.subnet.availabilityZone}). Please retry your request by not specifying an Availability Zone or choosing ${zonesOf(
					context.regionName,
				)
					.map((zone) => zone.zoneName)
					.filter(
						(zone) =>
							zone !== plan.subnet.availabilityZone && isTypeOffered(instanceType, context.regionName, zone),
					)
					.join(', ')}.`,
			);
		}
		if (plan.privateIp !== undefined && count > 1) {
			throw invalidParameterCombination(
				'A private IP address can only be specified when launching one instance.',
			);
		}
		const tags = tagsFromSpecifications(context, [
			'instance',
			'volume',
			'network-interface',
			'spot-instances-request',
			'elastic-gpu',
		]);
		const privateIps = allocatePrivateIps(context.region, plan.subnet, count, context.now, plan.privateIp);
		const publicIps = new Set<string>();
		const reservation: ReservationRecord = {
			id: newId('r', context.random),
			instanceIds: [],
			clientToken,
			requestFingerprint: clientToken === undefined ? undefined : fingerprint,
		};
		const instances = privateIps.map((privateIp, launchIndex): InstanceRecord => {
			const publicIp = plan.associatePublicIp
				? allocatePublicIp(context.region, context.now, context.random, publicIps)
				: undefined;
			if (publicIp) {
				publicIps.add(publicIp);
			}
			return {
				id: newId('i', context.random),
				reservationId: reservation.id,
				imageId: image.id,
				instanceType,
				keyName,
				vpcId: plan.subnet.vpcId,
				subnetId: plan.subnet.id,
				availabilityZone: plan.subnet.availabilityZone,
				privateIp,
				publicIp,
				securityGroupIds: plan.groups.map((group) => group.id),
				networkInterfaceId: newId('eni', context.random),
				attachmentId: newId('eni-attach', context.random),
				macAddress: macAddress(context),
				clientToken,
				launchIndex,
				launchedAt: context.now,
				runningAt: context.now + context.timings.instanceRunningMs,
				tags: (tags.get('instance') ?? []).map((tag) => ({ ...tag })),
			};
		});
		for (const instance of instances) {
			context.region.instances[instance.id] = instance;
			reservation.instanceIds.push(instance.id);
		}
		context.region.reservations[reservation.id] = reservation;
		return renderReservation(context, reservation, instances);
	},

	DescribeInstances(context) {
		const ids = context.params.list('InstanceId');
		const groupNames = (instance: InstanceRecord) =>
			groupsOf(context, instance).map((group) => group.groupName);
		const groupIds = (instance: InstanceRecord) => instance.securityGroupIds;
		const instances = applyFilters(
			selectInstances(context, ids),
			parseFilters(context.params),
			{
				affinity: () => undefined,
				architecture: () => 'x86_64',
				'availability-zone': (instance) => instance.availabilityZone,
				'block-device-mapping.device-name': () => '/dev/xvda',
				'client-token': (instance) => instance.clientToken,
				'dns-name': (instance) => {
					const vpc = context.region.vpcs[instance.vpcId];
					return instance.publicIp && vpc?.enableDnsHostnames
						? publicDnsName(context.regionName, instance.publicIp)
						: undefined;
				},
				'group-id': groupIds,
				'group-name': groupNames,
				hypervisor: () => 'xen',
				'image-id': (instance) => instance.imageId,
				'instance-id': (instance) => instance.id,
				'instance-lifecycle': () => undefined,
				'instance-state-code': (instance) => INSTANCE_STATE_CODES[instanceStateAt(instance, context.now)],
				'instance-state-name': (instance) => instanceStateAt(instance, context.now),
				'instance-type': (instance) => instance.instanceType,
				'instance.group-id': groupIds,
				'instance.group-name': groupNames,
				'ip-address': (instance) => instance.publicIp,
				'key-name': (instance) => instance.keyName,
				'launch-index': (instance) => instance.launchIndex,
				'launch-time': (instance) => xmlTime(instance.launchedAt),
				'monitoring-state': () => 'disabled',
				'network-interface.addresses.private-ip-address': (instance) => instance.privateIp,
				'network-interface.association.public-ip': (instance) => instance.publicIp,
				'network-interface.network-interface-id': (instance) => instance.networkInterfaceId,
				'network-interface.subnet-id': (instance) => instance.subnetId,
				'network-interface.vpc-id': (instance) => instance.vpcId,
				'network-interface.group-id': groupIds,
				'owner-id': () => context.accountId,
				'placement-group-name': () => undefined,
				'platform-details': () => 'Linux/UNIX',
				'private-dns-name': (instance) => privateDnsName(context.regionName, instance.privateIp),
				'private-ip-address': (instance) => instance.privateIp,
				'reservation-id': (instance) => instance.reservationId,
				'root-device-name': () => '/dev/xvda',
				'root-device-type': () => 'ebs',
				'subnet-id': (instance) => instance.subnetId,
				tenancy: () => 'default',
				'virtualization-type': () => 'hvm',
				'vpc-id': (instance) => instance.vpcId,
			},
			(instance) => instance.tags,
		);
		const page = paginate(instances, context.params, (instance) => instance.id, {
			min: 5,
			max: 1000,
			idsParameter: 'instanceIds',
			idsGiven: ids.length > 0,
		});
		const byReservation = new Map<string, InstanceRecord[]>();
		for (const instance of page.items) {
			const group = byReservation.get(instance.reservationId) ?? [];
			group.push(instance);
			byReservation.set(instance.reservationId, group);
		}
		return {
			reservationSet: xmlList([...byReservation.entries()], ([reservationId, members]) =>
				renderReservation(
					context,
					context.region.reservations[reservationId] ?? { id: reservationId, instanceIds: [] },
					members,
				),
			),
			nextToken: page.nextToken,
		};
	},

	TerminateInstances(context) {
		const ids = context.params.list('InstanceId');
		if (ids.length === 0) {
			throw missingParameter('InstanceId');
		}
		const instances = selectInstances(context, ids);
		const changes = instances.map((instance) => {
			const previous = stateOf(context, instance);
			if (instance.terminateRequestedAt === undefined) {
				instance.terminateRequestedAt = context.now;
				instance.terminatedAt = context.now + context.timings.instanceTerminatedMs;
			}
			return { instanceId: instance.id, currentState: stateOf(context, instance), previousState: previous };
		});
		return { instancesSet: xmlList(changes, (change) => change) };
	},

	GetConsoleOutput(context) {
		const instance = findVisibleInstance(context, context.params.required('InstanceId'));
		const readyAt = instance.runningAt + context.timings.consoleOutputMs;
		const state = instanceStateAt(instance, context.now);
		const booted = state !== 'pending' && context.now >= readyAt;
		const image = context.region.images[instance.imageId];
		return {
			instanceId: instance.id,
			timestamp: xmlTime(booted ? readyAt : context.now),
			output: booted
				? Buffer.from(applianceBootLog(instance, image?.name ?? 'vaa', instance.runningAt), 'utf8').toString(
						'base64',
					)
				: undefined,
		};
	},
};
