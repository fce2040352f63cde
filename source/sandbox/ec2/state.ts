import type { IamState } from '../iam/state.js';
import type { S3State } from '../s3/state.js';

/**
 * The sandbox's whole state as plain JSON-able data: what the store persists between CLI invocations.
 * Times are absolute epoch milliseconds, so an instance launched before a restart keeps progressing.
 */

export type Tag = { key: string; value: string };

export type VpcRecord = {
	id: string;
	cidrBlock: string;
	cidrAssociationId: string;
	dhcpOptionsId: string;
	instanceTenancy: string;
	enableDnsSupport: boolean;
	enableDnsHostnames: boolean;
	enableNetworkAddressUsageMetrics: boolean;
	tags: Tag[];
};

export type SubnetRecord = {
	id: string;
	vpcId: string;
	cidrBlock: string;
	availabilityZone: string;
	availabilityZoneId: string;
	mapPublicIpOnLaunch: boolean;
	tags: Tag[];
};

export type InternetGatewayRecord = {
	id: string;
	attachedVpcId?: string;
	tags: Tag[];
};

export type RouteRecord = {
	destinationCidrBlock: string;
	/** `local`, an internet gateway ID or a virtual private gateway ID. */
	gatewayId: string;
	origin: 'CreateRouteTable' | 'CreateRoute';
};

export type RouteTableAssociationRecord = {
	id: string;
	main: boolean;
	subnetId?: string;
};

export type RouteTableRecord = {
	id: string;
	vpcId: string;
	routes: RouteRecord[];
	associations: RouteTableAssociationRecord[];
	/** Virtual private gateways whose routes propagate into this table (EnableVgwRoutePropagation). */
	propagatingVgwIds?: string[];
	tags: Tag[];
};

export type SecurityGroupRuleRecord = {
	id: string;
	egress: boolean;
	/** `tcp`, `udp`, `icmp`, `-1` (all) or a protocol number. */
	protocol: string;
	fromPort?: number;
	toPort?: number;
	cidrIpv4?: string;
	referencedGroupId?: string;
	description?: string;
};

export type SecurityGroupRecord = {
	id: string;
	name: string;
	description: string;
	vpcId: string;
	/** The group AWS creates with each VPC; it cannot be deleted by a user. */
	isDefault: boolean;
	rules: SecurityGroupRuleRecord[];
	tags: Tag[];
};

export type KeyPairRecord = {
	id: string;
	name: string;
	type: 'rsa' | 'ed25519';
	fingerprint: string;
	/** The public key as an OpenSSH line: `ssh-ed25519 AAAA… comment`. */
	publicKey: string;
	createdAt: number;
	tags: Tag[];
};

export type ImageRecord = {
	id: string;
	name: string;
	description: string;
	createdAt: number;
	/** Undefined: owned by the sandbox account (whatever account ID it runs with). */
	ownerId?: string;
	public: boolean;
	architecture: string;
	rootDeviceName: string;
	snapshotId: string;
	volumeSizeGiB: number;
	tags: Tag[];
	/** pending → available at this time (RegisterImage, CreateImage); absent: always available. */
	availableAt?: number;
	/** Absent: true (the seeded image supports ENA). */
	enaSupport?: boolean;
	/** CreateImage: the instance the image was made from. */
	sourceInstanceId?: string;
};

/** An EBS snapshot: imported (ImportSnapshot) or made by CreateImage; pending until `completedAt`. */
export type SnapshotRecord = {
	id: string;
	volumeSizeGiB: number;
	description: string;
	startedAt: number;
	completedAt: number;
	/** `vol-ffffffff` for imported snapshots, as AWS shows them. */
	volumeId: string;
	tags: Tag[];
};

/**
 * An ImportSnapshot task. Its outcome is decided when it is created (the disk is checked then); the
 * status shown moves with time (see actions/snapshots.ts).
 */
export type ImportSnapshotTaskRecord = {
	id: string;
	description: string;
	createdAt: number;
	/** When the task completes (or, for a bad disk, the whole span it would have taken). */
	completesAt: number;
	format: string;
	bucket: string;
	key: string;
	diskImageSizeBytes: number;
	/** Undefined when the disk passed validation. */
	failureMessage?: string;
	/** Minted at creation; the snapshot appears once the task completes. */
	snapshotId: string;
	volumeSizeGiB: number;
	tags: Tag[];
	/** Set once the completed task's snapshot was added to the region's snapshots. */
	snapshotMaterialised?: boolean;
	/** The ImportSnapshot ClientToken: a repeated request with it answers with this task. */
	clientToken?: string;
};

export type InstanceRecord = {
	id: string;
	reservationId: string;
	imageId: string;
	instanceType: string;
	keyName?: string;
	vpcId: string;
	subnetId: string;
	availabilityZone: string;
	privateIp: string;
	publicIp?: string;
	securityGroupIds: string[];
	networkInterfaceId: string;
	attachmentId: string;
	macAddress: string;
	clientToken?: string;
	launchIndex: number;
	launchedAt: number;
	runningAt: number;
	terminateRequestedAt?: number;
	terminatedAt?: number;
	tags: Tag[];
};

export type ReservationRecord = {
	id: string;
	instanceIds: string[];
	clientToken?: string;
	/** The canonical request a ClientToken was first used with (for IdempotentParameterMismatch). */
	requestFingerprint?: string;
};

/** A virtual private gateway's attachment: `attaching` until `attachedAt`, `detaching` until `detachedAt`. */
export type VpnGatewayAttachmentRecord = {
	vpcId: string;
	attachedAt: number;
	detachRequestedAt?: number;
	detachedAt?: number;
};

export type VpnGatewayRecord = {
	id: string;
	type: 'ipsec.1';
	amazonSideAsn: number;
	availabilityZone?: string;
	attachment?: VpnGatewayAttachmentRecord;
	deletedAt?: number;
	tags: Tag[];
};

export type CustomerGatewayRecord = {
	id: string;
	type: 'ipsec.1';
	ipAddress: string;
	bgpAsn: number;
	deviceName?: string;
	deletedAt?: number;
	tags: Tag[];
};

export type VpnTunnelTelemetryRecord = {
	status: 'UP' | 'DOWN';
	statusMessage: string;
	acceptedRouteCount: number;
	lastStatusChange: number;
};

/** One tunnel of a VPN connection. Its pre-shared key lives only here, as on AWS. */
export type VpnTunnelRecord = {
	outsideIpAddress: string;
	insideCidr: string;
	preSharedKey: string;
	phase1LifetimeSeconds?: number;
	phase2LifetimeSeconds?: number;
	dpdTimeoutSeconds?: number;
	dpdTimeoutAction?: string;
	startupAction?: string;
	phase1EncryptionAlgorithms?: string[];
	phase2EncryptionAlgorithms?: string[];
	phase1IntegrityAlgorithms?: string[];
	phase2IntegrityAlgorithms?: string[];
	phase1DhGroupNumbers?: number[];
	phase2DhGroupNumbers?: number[];
	ikeVersions?: string[];
	telemetry: VpnTunnelTelemetryRecord;
};

export type VpnStaticRouteRecord = {
	destinationCidrBlock: string;
	state: 'pending' | 'available' | 'deleting';
};

export type VpnConnectionRecord = {
	id: string;
	type: 'ipsec.1';
	customerGatewayId: string;
	vpnGatewayId: string;
	staticRoutesOnly: boolean;
	createdAt: number;
	/** pending → available at this time. */
	availableAt: number;
	deleteRequestedAt?: number;
	deletedAt?: number;
	tunnels: VpnTunnelRecord[];
	routes: VpnStaticRouteRecord[];
	tags: Tag[];
};

export type RegionState = {
	vpcs: Record<string, VpcRecord>;
	subnets: Record<string, SubnetRecord>;
	internetGateways: Record<string, InternetGatewayRecord>;
	routeTables: Record<string, RouteTableRecord>;
	securityGroups: Record<string, SecurityGroupRecord>;
	keyPairs: Record<string, KeyPairRecord>;
	images: Record<string, ImageRecord>;
	instances: Record<string, InstanceRecord>;
	reservations: Record<string, ReservationRecord>;
	/** Absent in state files saved before VPN support; created on first use. */
	vpnGateways?: Record<string, VpnGatewayRecord>;
	customerGateways?: Record<string, CustomerGatewayRecord>;
	vpnConnections?: Record<string, VpnConnectionRecord>;
	/** Absent in state files saved before image import support; created on first use. */
	snapshots?: Record<string, SnapshotRecord>;
	importSnapshotTasks?: Record<string, ImportSnapshotTaskRecord>;
};

export type SandboxState = {
	version: 1;
	accountId: string;
	/** The seeded PRNG's state, so IDs minted after a restart do not repeat. */
	randomState: number;
	regions: Record<string, RegionState>;
	/** S3 buckets, objects and multipart uploads (metadata only; bodies live in the blob folder). */
	s3?: S3State;
	/** IAM roles (global). */
	iam?: IamState;
};

/** The AMF Cloud image every region of the sandbox ships with. Its ID never changes. */
export const SANDBOX_IMAGE = {
	id: 'ami-0a11ed7e1e5154a49',
	name: 'vaa-5.4.9',
	description: 'Allied Telesis AMF Cloud (Virtual AMF Appliance) 5.4.9 — kakehashi sandbox image',
} as const;

export const DEFAULT_ACCOUNT_ID = '123456789012';

function seededImages(): Record<string, ImageRecord> {
	return {
		[SANDBOX_IMAGE.id]: {
			id: SANDBOX_IMAGE.id,
			name: SANDBOX_IMAGE.name,
			description: SANDBOX_IMAGE.description,
			createdAt: Date.parse('2024-06-01T00:00:00.000Z'),
			public: false,
			architecture: 'x86_64',
			rootDeviceName: '/dev/xvda',
			snapshotId: 'snap-0a11ed7e1e5154a49',
			volumeSizeGiB: 8,
			tags: [],
		},
	};
}

export function newRegionState(): RegionState {
	return {
		vpcs: {},
		subnets: {},
		internetGateways: {},
		routeTables: {},
		securityGroups: {},
		keyPairs: {},
		images: seededImages(),
		instances: {},
		reservations: {},
	};
}

export function newSandboxState(accountId: string, randomState: number): SandboxState {
	return { version: 1, accountId, randomState, regions: {} };
}

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated';

export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
	pending: 0,
	running: 16,
	'shutting-down': 32,
	terminated: 48,
};

/** The state an instance is in at `now`, from its absolute transition times. */
export function instanceStateAt(instance: InstanceRecord, now: number): InstanceStateName {
	if (instance.terminatedAt !== undefined && now >= instance.terminatedAt) {
		return 'terminated';
	}
	if (instance.terminateRequestedAt !== undefined) {
		return 'shutting-down';
	}
	return now >= instance.runningAt ? 'running' : 'pending';
}

/** How long a terminated instance stays visible to Describe calls (AWS: about an hour). */
export const TERMINATED_VISIBLE_MS = 60 * 60 * 1000;
