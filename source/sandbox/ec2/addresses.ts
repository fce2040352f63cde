import { bounds, ipToNumber, isValidIpv4, numberToIp, parseNetworkCidr } from './cidr.js';
import { Ec2Error, invalidParameterValue } from './errors.js';
import type { SeededRandom } from './random.js';
import { instanceStateAt, type RegionState, type SubnetRecord } from './state.js';

/** AWS keeps the first four addresses and the last one of every subnet for itself. */
const RESERVED_AT_START = 4n;
const RESERVED_AT_END = 1n;

/** Public addresses come from TEST-NET-3 (RFC 5737), never a routable range. */
const PUBLIC_POOL_PREFIX = '203.0.113.';

function addressesInUse(
	region: RegionState,
	now: number,
): { privateIps: Set<string>; publicIps: Set<string> } {
	const privateIps = new Set<string>();
	const publicIps = new Set<string>();
	for (const instance of Object.values(region.instances)) {
		if (instanceStateAt(instance, now) === 'terminated') {
			continue;
		}
		privateIps.add(instance.privateIp);
		if (instance.publicIp) {
			publicIps.add(instance.publicIp);
		}
	}
	return { privateIps, publicIps };
}

function hostRange(subnet: SubnetRecord): [first: bigint, last: bigint] {
	const cidr = parseNetworkCidr(subnet.cidrBlock);
	if (!cidr) {
		throw new Error(`Stored subnet ${subnet.id} has an invalid CIDR ${subnet.cidrBlock}`);
	}
	const [first, last] = bounds(cidr);
	return [first + RESERVED_AT_START, last - RESERVED_AT_END];
}

export function availableAddressCount(region: RegionState, subnet: SubnetRecord, now: number): number {
	const [first, last] = hostRange(subnet);
	const { privateIps } = addressesInUse(region, now);
	const used = Object.values(region.instances).filter(
		(instance) => instance.subnetId === subnet.id && privateIps.has(instance.privateIp),
	).length;
	return Number(last - first + 1n) - used;
}

/**
 * `count` private addresses from the subnet, lowest free first, or the one address asked for.
 * Fails as AWS does when the address is outside the subnet, taken, or the subnet is full.
 */
export function allocatePrivateIps(
	region: RegionState,
	subnet: SubnetRecord,
	count: number,
	now: number,
	requested?: string,
): string[] {
	const [first, last] = hostRange(subnet);
	const { privateIps } = addressesInUse(region, now);
	if (requested !== undefined) {
		if (!isValidIpv4(requested)) {
			throw invalidParameterValue(`Invalid value '${requested}' for privateIpAddress`);
		}
		const value = ipToNumber(requested);
		if (value < first || value > last) {
			throw invalidParameterValue(`Address ${requested} does not fall within the subnet's address range`);
		}
		if (privateIps.has(requested)) {
			throw new Ec2Error('InvalidIPAddress.InUse', `Address ${requested} is in use.`);
		}
		return [requested];
	}
	const allocated: string[] = [];
	for (let value = first; value <= last && allocated.length < count; value++) {
		const ip = numberToIp(value);
		if (!privateIps.has(ip)) {
			allocated.push(ip);
		}
	}
	if (allocated.length < count) {
		throw new Ec2Error(
			'InsufficientFreeAddressesInSubnet',
			`There are not enough free addresses in subnet '${subnet.id}' to satisfy the requested number of instances.`,
		);
	}
	return allocated;
}

/** A free public address from the sandbox's documentation range. */
export function allocatePublicIp(
	region: RegionState,
	now: number,
	random: SeededRandom,
	alsoTaken: Set<string>,
): string {
	const { publicIps } = addressesInUse(region, now);
	const free: string[] = [];
	for (let host = 10; host <= 254; host++) {
		const ip = `${PUBLIC_POOL_PREFIX}${host}`;
		if (!publicIps.has(ip) && !alsoTaken.has(ip)) {
			free.push(ip);
		}
	}
	const picked = free[random.below(free.length)];
	if (picked === undefined) {
		throw new Ec2Error('AddressLimitExceeded', 'The maximum number of addresses has been reached.');
	}
	return picked;
}
