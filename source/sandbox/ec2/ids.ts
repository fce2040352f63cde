import { Ec2Error } from './errors.js';
import type { SeededRandom } from './random.js';

/** The resource kinds the sandbox knows, with the ID prefix and the error codes AWS uses for them. */
export const resourceKinds = {
	vpc: {
		prefix: 'vpc',
		tagType: 'vpc',
		notFound: (id: string) => new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`),
		malformed: (id: string) => new Ec2Error('InvalidVpcID.Malformed', `Invalid id: "${id}"`),
	},
	subnet: {
		prefix: 'subnet',
		tagType: 'subnet',
		notFound: (id: string) =>
			new Ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`),
		malformed: (id: string) => new Ec2Error('InvalidSubnetID.Malformed', `Invalid id: "${id}"`),
	},
	internetGateway: {
		prefix: 'igw',
		tagType: 'internet-gateway',
		notFound: (id: string) =>
			new Ec2Error('InvalidInternetGatewayID.NotFound', `The internetGateway ID '${id}' does not exist`),
		malformed: (id: string) => new Ec2Error('InvalidInternetGatewayID.Malformed', `Invalid id: "${id}"`),
	},
	routeTable: {
		prefix: 'rtb',
		tagType: 'route-table',
		notFound: (id: string) =>
			new Ec2Error('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`),
		malformed: (id: string) => new Ec2Error('InvalidRouteTableID.Malformed', `Invalid id: "${id}"`),
	},
	securityGroup: {
		prefix: 'sg',
		tagType: 'security-group',
		notFound: (id: string) =>
			new Ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`),
		malformed: (id: string) =>
			new Ec2Error('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`),
	},
	keyPair: {
		prefix: 'key',
		tagType: 'key-pair',
		notFound: (id: string) => new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${id}' does not exist`),
		malformed: (id: string) => new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${id}' does not exist`),
	},
	instance: {
		prefix: 'i',
		tagType: 'instance',
		notFound: (id: string) =>
			new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`),
		malformed: (id: string) => new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}"`),
	},
	image: {
		prefix: 'ami',
		tagType: 'image',
		notFound: (id: string) => new Ec2Error('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`),
		malformed: (id: string) =>
			new Ec2Error('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`),
	},
	snapshot: {
		prefix: 'snap',
		tagType: 'snapshot',
		notFound: (id: string) =>
			new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`),
		malformed: (id: string) =>
			new Ec2Error('InvalidSnapshotID.Malformed', `Invalid id: "${id}" (expecting "snap-...")`),
	},
	importSnapshotTask: {
		prefix: 'import-snap',
		tagType: 'import-snapshot-task',
		notFound: (id: string) =>
			new Ec2Error('InvalidConversionTaskId', `The import task ID '${id}' does not exist.`),
		malformed: (id: string) =>
			new Ec2Error('InvalidConversionTaskId.Malformed', `Invalid id: "${id}" (expecting "import-snap-...")`),
	},
	routeTableAssociation: {
		prefix: 'rtbassoc',
		tagType: 'route-table-association',
		notFound: (id: string) =>
			new Ec2Error('InvalidAssociationID.NotFound', `The association ID '${id}' does not exist`),
		malformed: (id: string) =>
			new Ec2Error('InvalidAssociationID.NotFound', `The association ID '${id}' does not exist`),
	},
} as const;

export type ResourceKind = keyof typeof resourceKinds;

/** A new ID as AWS mints them today: prefix, dash, 17 hexadecimal digits. */
export function newId(prefix: string, random: SeededRandom): string {
	return `${prefix}-${random.hex(17)}`;
}

/** AWS accepts the old 8-digit and the current 17-digit forms. */
export function isWellFormedId(kind: ResourceKind, id: string): boolean {
	return new RegExp(`^${resourceKinds[kind].prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`).test(id);
}

/** Throws the kind's `.Malformed` error unless the ID has the right shape. */
export function assertWellFormedId(kind: ResourceKind, id: string): void {
	if (!isWellFormedId(kind, id)) {
		throw resourceKinds[kind].malformed(id);
	}
}

/** Which kind an ID names, from its prefix; undefined when no kind has that prefix. */
export function kindOfId(id: string): ResourceKind | undefined {
	const prefix = id.slice(0, id.lastIndexOf('-'));
	for (const [kind, facts] of Object.entries(resourceKinds)) {
		if (facts.prefix === prefix) {
			return kind as ResourceKind;
		}
	}
	return undefined;
}
