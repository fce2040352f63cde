import { INSTANCE_TYPES, isTypeOffered, REGIONS, regionFacts, zonesOf } from '../catalog.js';
import type { ActionTable } from '../context.js';
import { invalidParameterValue } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { paginate } from '../pagination.js';
import { xmlList } from '../xml.js';

type Offering = { instanceType: string; locationType: string; location: string };

/** Every (type, location) pair of the region, for the location type asked. */
function offeringsOf(regionName: string, locationType: string): Offering[] {
	const zones = zonesOf(regionName);
	switch (locationType) {
		case 'region':
			return INSTANCE_TYPES.filter((type) => isTypeOffered(type, regionName)).map((instanceType) => ({
				instanceType,
				locationType,
				location: regionName,
			}));
		case 'availability-zone':
		case 'availability-zone-id':
			return zones.flatMap((zone) =>
				INSTANCE_TYPES.filter((type) => isTypeOffered(type, regionName, zone.zoneName)).map(
					(instanceType) => ({
						instanceType,
						locationType,
						location: locationType === 'availability-zone' ? zone.zoneName : zone.zoneId,
					}),
				),
			);
		default:
			throw invalidParameterValue(
				`Value (${locationType}) for parameter locationType is invalid. Valid values: region, availability-zone, availability-zone-id, outpost`,
			);
	}
}

export const regionActions: ActionTable = {
	DescribeRegions(context) {
		const names = context.params.list('RegionName');
		const all = context.params.boolean('AllRegions') ?? false;
		for (const name of names) {
			if (!regionFacts(name)) {
				throw invalidParameterValue(`Invalid region: ${name}`);
			}
		}
		let regions = REGIONS.filter((region) =>
			names.length > 0 ? names.includes(region.name) : all || region.optInStatus !== 'not-opted-in',
		);
		regions = applyFilters(regions, parseFilters(context.params), {
			endpoint: (region) => `ec2.${region.name}.amazonaws.com`,
			'opt-in-status': (region) => region.optInStatus,
			'region-name': (region) => region.name,
		});
		return {
			regionInfo: xmlList(regions, (region) => ({
				regionName: region.name,
				regionEndpoint: `ec2.${region.name}.amazonaws.com`,
				optInStatus: region.optInStatus,
			})),
		};
	},

	/** Which instance types are on offer where (EC2 API reference: DescribeInstanceTypeOfferings). */
	DescribeInstanceTypeOfferings(context) {
		const locationType = context.params.string('LocationType') ?? 'region';
		const filtered = applyFilters(
			offeringsOf(context.regionName, locationType),
			parseFilters(context.params),
			{
				'instance-type': (offering) => offering.instanceType,
				location: (offering) => offering.location,
			},
		);
		const page = paginate(
			filtered,
			context.params,
			(offering) => `${offering.location}/${offering.instanceType}`,
			{
				min: 5,
				max: 1000,
			},
		);
		return {
			instanceTypeOfferingSet: xmlList(page.items, (offering) => ({
				instanceType: offering.instanceType,
				locationType: offering.locationType,
				location: offering.location,
			})),
			...(page.nextToken ? { nextToken: page.nextToken } : {}),
		};
	},

	DescribeAvailabilityZones(context) {
		const zones = zonesOf(context.regionName);
		const names = context.params.list('ZoneName');
		const ids = context.params.list('ZoneId');
		for (const name of names) {
			if (!zones.some((zone) => zone.zoneName === name)) {
				throw invalidParameterValue(`The zone '${name}' does not exist in the current region.`);
			}
		}
		for (const id of ids) {
			if (!zones.some((zone) => zone.zoneId === id)) {
				throw invalidParameterValue(`The zone ID '${id}' does not exist in the current region.`);
			}
		}
		const selected = zones.filter(
			(zone) =>
				(names.length === 0 && ids.length === 0) ||
				names.includes(zone.zoneName) ||
				ids.includes(zone.zoneId),
		);
		const filtered = applyFilters(selected, parseFilters(context.params), {
			'group-name': (zone) => zone.regionName,
			'group-long-name': () => undefined,
			message: () => undefined,
			'opt-in-status': () => 'opt-in-not-required',
			'region-name': (zone) => zone.regionName,
			state: () => 'available',
			'zone-id': (zone) => zone.zoneId,
			'zone-name': (zone) => zone.zoneName,
			'zone-type': () => 'availability-zone',
			'parent-zone-id': () => undefined,
			'parent-zone-name': () => undefined,
		});
		return {
			availabilityZoneInfo: xmlList(filtered, (zone) => ({
				zoneName: zone.zoneName,
				zoneId: zone.zoneId,
				zoneState: 'available',
				optInStatus: 'opt-in-not-required',
				messageSet: '',
				regionName: zone.regionName,
				groupName: zone.regionName,
				networkBorderGroup: zone.regionName,
				zoneType: 'availability-zone',
			})),
		};
	},
};
