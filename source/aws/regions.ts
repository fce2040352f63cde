import {
	DescribeAvailabilityZonesCommand,
	DescribeInstanceTypeOfferingsCommand,
	DescribeRegionsCommand,
	type EC2Client,
	type LocationType,
} from '@aws-sdk/client-ec2';
import { errorCodeOf } from './errors.js';
import type { CallOptions } from './wait.js';

/** Where a user may build: the regions enabled for the account, and a region's availability zones. */

export type RegionChoice = { name: string; optInStatus?: string };

/** Tokyo first for Japanese users, then Osaka, then the rest by name. */
export function orderRegions(names: string[], lang: 'en' | 'ja'): string[] {
	const sorted = [...names].sort();
	if (lang !== 'ja') return sorted;
	const first = ['ap-northeast-1', 'ap-northeast-3'].filter((name) => sorted.includes(name));
	return [...first, ...sorted.filter((name) => !first.includes(name))];
}

/** DescribeRegions: the regions enabled for this account (opted-in or needing no opt-in). */
export async function listRegions(
	ec2: EC2Client,
	lang: 'en' | 'ja' = 'en',
	options: CallOptions = {},
): Promise<RegionChoice[]> {
	const output = await ec2.send(new DescribeRegionsCommand({}), { abortSignal: options.signal });
	const byName = new Map(
		(output.Regions ?? [])
			.filter((region) => region.RegionName)
			.map((region) => [region.RegionName as string, region.OptInStatus]),
	);
	return orderRegions([...byName.keys()], lang).map((name) => {
		const optInStatus = byName.get(name);
		return optInStatus ? { name, optInStatus } : { name };
	});
}

export type ZoneChoice = { name: string; id?: string };

/** DescribeAvailabilityZones of the client's region, available ones only, in AWS's order. */
export async function listAvailabilityZones(
	ec2: EC2Client,
	options: CallOptions = {},
): Promise<ZoneChoice[]> {
	const output = await ec2.send(
		new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }] }),
		{ abortSignal: options.signal },
	);
	return (output.AvailabilityZones ?? [])
		.filter((zone) => zone.ZoneName && (zone.ZoneType === undefined || zone.ZoneType === 'availability-zone'))
		.map((zone) =>
			zone.ZoneId ? { name: zone.ZoneName as string, id: zone.ZoneId } : { name: zone.ZoneName as string },
		);
}

export type TypeOffering =
	| { offered: true }
	| { offered: false; location: string; examples: string[] }
	/** The endpoint cannot say (an EC2-compatible endpoint without the action, or no permission). */
	| { offered: 'unknown'; code: string };

/** Codes meaning "this endpoint does not answer that question": the check is skipped, never fatal. */
const cannotTell = new Set([
	'InvalidAction',
	'UnsupportedOperation',
	'NotImplemented',
	'InternalFailure',
	'UnauthorizedOperation',
	'AccessDenied',
]);

/**
 * DescribeInstanceTypeOfferings: is this type offered in the region (or in one zone)? When it is
 * not, a few types that are offered there, for the error message.
 */
export async function checkInstanceTypeOffered(
	ec2: EC2Client,
	instanceType: string,
	where: { region: string; zone?: string },
	options: CallOptions = {},
): Promise<TypeOffering> {
	const locationType: LocationType = where.zone ? 'availability-zone' : 'region';
	const location = where.zone ?? where.region;
	try {
		const output = await ec2.send(
			new DescribeInstanceTypeOfferingsCommand({
				LocationType: locationType,
				Filters: [
					{ Name: 'instance-type', Values: [instanceType] },
					{ Name: 'location', Values: [location] },
				],
			}),
			{ abortSignal: options.signal },
		);
		if ((output.InstanceTypeOfferings ?? []).some((offering) => offering.InstanceType === instanceType)) {
			return { offered: true };
		}
		const family = /^([a-z0-9-]+)\./.exec(instanceType)?.[1];
		const others = await ec2.send(
			new DescribeInstanceTypeOfferingsCommand({
				LocationType: locationType,
				Filters: [
					{ Name: 'location', Values: [location] },
					{ Name: 'instance-type', Values: family ? [`${family}.*`, 't3.*'] : ['t3.*'] },
				],
			}),
			{ abortSignal: options.signal },
		);
		const examples = [
			...new Set((others.InstanceTypeOfferings ?? []).map((offering) => offering.InstanceType ?? '')),
		]
			.filter(Boolean)
			.sort()
			.slice(0, 5);
		// An endpoint that knows no offering at all (an EC2-compatible one without a catalog) cannot tell.
		if (examples.length === 0) return { offered: 'unknown', code: 'NoOfferings' };
		return { offered: false, location, examples };
	} catch (error) {
		const code = errorCodeOf(error);
		if (cannotTell.has(code)) return { offered: 'unknown', code };
		throw error;
	}
}
