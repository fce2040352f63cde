import {
	type SandboxVpnEndpoint,
	setTunnelTelemetry,
	type TunnelStatus,
	vpnEndpoints,
} from './actions/vpn.js';
import { cidrInside, parseNetworkCidr } from './cidr.js';
import {
	type InstanceRecord,
	type InstanceStateName,
	instanceStateAt,
	type RegionState,
	type SandboxState,
	type SecurityGroupRecord,
	type Tag,
	TERMINATED_VISIBLE_MS,
} from './state.js';

/** A snapshot of one instance, for the other parts of the sandbox (e.g. the simulated routers). */
export type SandboxInstance = {
	region: string;
	instanceId: string;
	state: InstanceStateName;
	imageId: string;
	instanceType: string;
	keyName?: string;
	vpcId: string;
	subnetId: string;
	availabilityZone: string;
	/** Absent once terminated. */
	privateIp?: string;
	publicIp?: string;
	securityGroupIds: string[];
	tags: Record<string, string>;
	launchedAt: Date;
};

export type SandboxSecurityGroupRule = {
	direction: 'ingress' | 'egress';
	/** `tcp`, `udp`, `icmp`, `-1` (all) or a protocol number. */
	protocol: string;
	fromPort?: number;
	toPort?: number;
	cidr?: string;
	sourceGroupId?: string;
	description?: string;
};

export type SandboxSecurityGroup = {
	region: string;
	groupId: string;
	name: string;
	description: string;
	vpcId: string;
	rules: SandboxSecurityGroupRule[];
	tags: Record<string, string>;
};

export type SandboxKeyPair = {
	region: string;
	keyPairId: string;
	name: string;
	type: 'rsa' | 'ed25519';
	fingerprint: string;
	/** OpenSSH format: `ssh-ed25519 AAAA… name`. */
	publicKey: string;
};

export type SandboxChange =
	| { type: 'action'; region: string; action: string }
	| { type: 'instance-state'; region: string; instanceId: string; state: InstanceStateName };

/** Access to the sandbox's EC2 state: reads return fresh copies; setTunnelTelemetry is the one write. */
export type Ec2SandboxStore = {
	listInstances(region?: string): SandboxInstance[];
	getInstance(instanceId: string): SandboxInstance | undefined;
	getSecurityGroup(groupId: string): SandboxSecurityGroup | undefined;
	securityGroupsOfInstance(instanceId: string): SandboxSecurityGroup[];
	keyPair(name: string, region?: string): SandboxKeyPair | undefined;
	/**
	 * Whether the internet could reach the instance: running, a public IP, and its subnet's route table
	 * (explicit, else the VPC's main one) sends 0.0.0.0/0 to an internet gateway attached to the VPC.
	 */
	internetReachable(instanceId: string): boolean;
	/** Called after every change (an action that changed the store, or an instance changing state). */
	onChange(listener: (change: SandboxChange) => void): () => void;
	/**
	 * The one write: AWS's view of a VPN tunnel (DescribeVpnConnections VgwTelemetry), for the simulated
	 * routers to drive. Found by connection and outside address; false when there is no such tunnel.
	 */
	setTunnelTelemetry(
		vpnConnectionId: string,
		outsideIp: string,
		status: TunnelStatus,
		message?: string,
		acceptedRouteCount?: number,
	): boolean;
	/** AWS's tunnel endpoints of the available VPN connections, and when that list next changes by itself. */
	vpnEndpoints(): { endpoints: SandboxVpnEndpoint[]; nextChangeAt?: number };
};

function tagRecord(tags: readonly Tag[]): Record<string, string> {
	return Object.fromEntries(tags.map((tag) => [tag.key, tag.value]));
}

function viewInstance(region: string, instance: InstanceRecord, now: number): SandboxInstance {
	const state = instanceStateAt(instance, now);
	const terminated = state === 'terminated';
	return {
		region,
		instanceId: instance.id,
		state,
		imageId: instance.imageId,
		instanceType: instance.instanceType,
		keyName: instance.keyName,
		vpcId: instance.vpcId,
		subnetId: instance.subnetId,
		availabilityZone: instance.availabilityZone,
		privateIp: terminated ? undefined : instance.privateIp,
		publicIp: terminated ? undefined : instance.publicIp,
		securityGroupIds: [...instance.securityGroupIds],
		tags: tagRecord(instance.tags),
		launchedAt: new Date(instance.launchedAt),
	};
}

function viewGroup(region: string, group: SecurityGroupRecord): SandboxSecurityGroup {
	return {
		region,
		groupId: group.id,
		name: group.name,
		description: group.description,
		vpcId: group.vpcId,
		rules: group.rules.map((rule) => ({
			direction: rule.egress ? 'egress' : 'ingress',
			protocol: rule.protocol,
			fromPort: rule.fromPort,
			toPort: rule.toPort,
			cidr: rule.cidrIpv4,
			sourceGroupId: rule.referencedGroupId,
			description: rule.description,
		})),
		tags: tagRecord(group.tags),
	};
}

function hasDefaultRouteToGateway(region: RegionState, instance: InstanceRecord): boolean {
	const tables = Object.values(region.routeTables).filter((table) => table.vpcId === instance.vpcId);
	const table =
		tables.find((candidate) =>
			candidate.associations.some((association) => association.subnetId === instance.subnetId),
		) ?? tables.find((candidate) => candidate.associations.some((association) => association.main));
	const everywhere = parseNetworkCidr('0.0.0.0/0');
	return (
		table?.routes.some((route) => {
			const destination = parseNetworkCidr(route.destinationCidrBlock);
			return (
				route.gatewayId.startsWith('igw-') &&
				region.internetGateways[route.gatewayId]?.attachedVpcId === instance.vpcId &&
				destination !== undefined &&
				everywhere !== undefined &&
				cidrInside(everywhere, destination)
			);
		}) ?? false
	);
}

export function createStoreView(
	state: () => SandboxState,
	now: () => number,
	subscribe: (listener: (change: SandboxChange) => void) => () => void,
	/** After setTunnelTelemetry changed the state (persist it). */
	onMutated?: () => void,
): Ec2SandboxStore {
	function visible(): [string, InstanceRecord][] {
		const at = now();
		return Object.entries(state().regions).flatMap(([region, regionState]) =>
			Object.values(regionState.instances)
				.filter(
					(instance) =>
						instance.terminatedAt === undefined || at < instance.terminatedAt + TERMINATED_VISIBLE_MS,
				)
				.map((instance): [string, InstanceRecord] => [region, instance]),
		);
	}
	function findGroup(groupId: string): SandboxSecurityGroup | undefined {
		for (const [region, regionState] of Object.entries(state().regions)) {
			const group = regionState.securityGroups[groupId];
			if (group) {
				return viewGroup(region, group);
			}
		}
		return undefined;
	}
	function findInstance(instanceId: string): [string, InstanceRecord] | undefined {
		return visible().find(([, instance]) => instance.id === instanceId);
	}
	return {
		listInstances(region) {
			return visible()
				.filter(([name]) => region === undefined || name === region)
				.map(([name, instance]) => viewInstance(name, instance, now()));
		},
		getInstance(instanceId) {
			const found = findInstance(instanceId);
			return found ? viewInstance(found[0], found[1], now()) : undefined;
		},
		getSecurityGroup: findGroup,
		securityGroupsOfInstance(instanceId) {
			const found = findInstance(instanceId);
			return (found?.[1].securityGroupIds ?? [])
				.map(findGroup)
				.filter((group): group is SandboxSecurityGroup => group !== undefined);
		},
		keyPair(name, region) {
			for (const [regionName, regionState] of Object.entries(state().regions)) {
				if (region !== undefined && regionName !== region) {
					continue;
				}
				const pair = Object.values(regionState.keyPairs).find((candidate) => candidate.name === name);
				if (pair) {
					return {
						region: regionName,
						keyPairId: pair.id,
						name: pair.name,
						type: pair.type,
						fingerprint: pair.fingerprint,
						publicKey: pair.publicKey,
					};
				}
			}
			return undefined;
		},
		internetReachable(instanceId) {
			const found = findInstance(instanceId);
			if (!found) {
				return false;
			}
			const [region, instance] = found;
			const regionState = state().regions[region];
			return (
				regionState !== undefined &&
				instance.publicIp !== undefined &&
				instanceStateAt(instance, now()) === 'running' &&
				hasDefaultRouteToGateway(regionState, instance)
			);
		},
		onChange: subscribe,
		setTunnelTelemetry(vpnConnectionId, outsideIp, status, message, acceptedRouteCount) {
			const found = setTunnelTelemetry(
				state(),
				vpnConnectionId,
				outsideIp,
				status,
				now(),
				message,
				acceptedRouteCount,
			);
			if (found) onMutated?.();
			return found;
		},
		vpnEndpoints: () => vpnEndpoints(state(), now()),
	};
}
