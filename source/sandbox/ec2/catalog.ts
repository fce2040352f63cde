/**
 * The fixed facts of the simulated cloud: regions, their availability zones, the instance types on
 * offer, and how AWS names hosts.
 */

export type OptInStatus = 'opt-in-not-required' | 'opted-in' | 'not-opted-in';

export type RegionFacts = {
	name: string;
	optInStatus: OptInStatus;
	/** Zone letter → zone ID, in the order DescribeAvailabilityZones lists them. */
	zones: readonly (readonly [letter: string, zoneId: string])[];
};

function zones(code: string, letters: string, ids?: readonly number[]): RegionFacts['zones'] {
	return [...letters].map((letter, index) => [letter, `${code}-az${ids?.[index] ?? index + 1}`] as const);
}

export const REGIONS: readonly RegionFacts[] = [
	{ name: 'ap-south-1', optInStatus: 'opt-in-not-required', zones: zones('aps1', 'abc') },
	{ name: 'eu-north-1', optInStatus: 'opt-in-not-required', zones: zones('eun1', 'abc') },
	{ name: 'eu-west-3', optInStatus: 'opt-in-not-required', zones: zones('euw3', 'abc') },
	{ name: 'eu-west-2', optInStatus: 'opt-in-not-required', zones: zones('euw2', 'abc') },
	{ name: 'eu-west-1', optInStatus: 'opt-in-not-required', zones: zones('euw1', 'abc') },
	{ name: 'ap-northeast-3', optInStatus: 'opt-in-not-required', zones: zones('apne3', 'abc', [3, 1, 2]) },
	{ name: 'ap-northeast-2', optInStatus: 'opt-in-not-required', zones: zones('apne2', 'abcd') },
	{ name: 'ap-northeast-1', optInStatus: 'opt-in-not-required', zones: zones('apne1', 'acd', [4, 1, 2]) },
	{ name: 'ca-central-1', optInStatus: 'opt-in-not-required', zones: zones('cac1', 'abd', [1, 2, 4]) },
	{ name: 'sa-east-1', optInStatus: 'opt-in-not-required', zones: zones('sae1', 'abc') },
	{ name: 'ap-southeast-1', optInStatus: 'opt-in-not-required', zones: zones('apse1', 'abc') },
	{ name: 'ap-southeast-2', optInStatus: 'opt-in-not-required', zones: zones('apse2', 'abc') },
	{ name: 'eu-central-1', optInStatus: 'opt-in-not-required', zones: zones('euc1', 'abc') },
	{ name: 'us-east-1', optInStatus: 'opt-in-not-required', zones: zones('use1', 'abcdef') },
	{ name: 'us-east-2', optInStatus: 'opt-in-not-required', zones: zones('use2', 'abc') },
	{ name: 'us-west-1', optInStatus: 'opt-in-not-required', zones: zones('usw1', 'ac', [1, 3]) },
	{ name: 'us-west-2', optInStatus: 'opt-in-not-required', zones: zones('usw2', 'abcd') },
	{ name: 'af-south-1', optInStatus: 'not-opted-in', zones: zones('afs1', 'abc') },
	{ name: 'ap-east-1', optInStatus: 'not-opted-in', zones: zones('ape1', 'abc') },
	{ name: 'eu-south-1', optInStatus: 'not-opted-in', zones: zones('eus1', 'abc') },
	{ name: 'me-south-1', optInStatus: 'not-opted-in', zones: zones('mes1', 'abc') },
];

export function regionFacts(name: string): RegionFacts | undefined {
	return REGIONS.find((region) => region.name === name);
}

/** Regions a request may be scoped to: those enabled for the account. */
export function isEnabledRegion(name: string): boolean {
	const facts = regionFacts(name);
	return facts !== undefined && facts.optInStatus !== 'not-opted-in';
}

export type ZoneFacts = { zoneName: string; zoneId: string; regionName: string };

export function zonesOf(regionName: string): ZoneFacts[] {
	return (regionFacts(regionName)?.zones ?? []).map(([letter, zoneId]) => ({
		zoneName: `${regionName}${letter}`,
		zoneId,
		regionName,
	}));
}

/** Instance types the sandbox launches (the sizes an AMF Cloud appliance is run on, and neighbours). */
export const INSTANCE_TYPES: readonly string[] = [
	't2.micro',
	't2.small',
	't2.medium',
	't3.micro',
	't3.small',
	't3.medium',
	't3.large',
	'c5.large',
	'c5.xlarge',
	'm5.large',
	'm5.xlarge',
];

export const DEFAULT_INSTANCE_TYPE = 't2.micro';

/**
 * Types a region (or one of its zones) does not offer, so that DescribeInstanceTypeOfferings and
 * RunInstances' `Unsupported` can be exercised: the previous generation is gone from Osaka, and the
 * larger c5 from Tokyo's first zone (as real regions lack some types in some zones).
 */
const NOT_OFFERED: Readonly<Record<string, readonly string[]>> = {
	'ap-northeast-3': ['t2.micro', 't2.small', 't2.medium'],
	'ap-northeast-1a': ['c5.xlarge'],
};

/** Whether a type is on offer in a region, or in one zone of it (a zone offers what its region does, minus its own gaps). */
export function isTypeOffered(instanceType: string, regionName: string, zoneName?: string): boolean {
	if (!INSTANCE_TYPES.includes(instanceType)) return false;
	if (NOT_OFFERED[regionName]?.includes(instanceType)) return false;
	return zoneName === undefined || !NOT_OFFERED[zoneName]?.includes(instanceType);
}

/** `ip-10-0-0-5.ap-northeast-1.compute.internal` (`ec2.internal` in us-east-1). */
export function privateDnsName(regionName: string, ip: string): string {
	const suffix = regionName === 'us-east-1' ? 'ec2.internal' : `${regionName}.compute.internal`;
	return `ip-${ip.replaceAll('.', '-')}.${suffix}`;
}

/** `ec2-203-0-113-5.ap-northeast-1.compute.amazonaws.com` (`compute-1` in us-east-1). */
export function publicDnsName(regionName: string, ip: string): string {
	const suffix =
		regionName === 'us-east-1' ? 'compute-1.amazonaws.com' : `${regionName}.compute.amazonaws.com`;
	return `ec2-${ip.replaceAll('.', '-')}.${suffix}`;
}
