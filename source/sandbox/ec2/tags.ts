import type { ActionContext, ActionTable } from './context.js';
import { Ec2Error, invalidParameterValue, missingParameter } from './errors.js';
import { applyFilters, parseFilters } from './filters.js';
import { kindOfId, type ResourceKind, resourceKinds } from './ids.js';
import { paginate } from './pagination.js';
import type { QueryParams } from './query.js';
import type { RegionState, Tag } from './state.js';
import { type XmlNode, xmlList } from './xml.js';

const MAX_TAGS_PER_RESOURCE = 50;

export function renderTags(tags: readonly Tag[]): XmlNode {
	return xmlList(tags, (tag) => ({ key: tag.key, value: tag.value }));
}

function readTags(params: QueryParams, name: string, requireValue: boolean): Tag[] {
	return params.structs(name).map((tag) => {
		const key = tag.string('Key');
		if (key === undefined) {
			throw missingParameter(`${name}.N.Key`);
		}
		const value = tag.string('Value');
		if (requireValue) {
			validateTag(key, value ?? '');
		}
		return { key, value: value ?? '' };
	});
}

function validateTag(key: string, value: string): void {
	if (key.length === 0 || key.length > 128) {
		throw invalidParameterValue(`Tag key must be between 1 and 128 characters long: '${key}'`);
	}
	if (value.length > 256) {
		throw invalidParameterValue(`Tag value for key '${key}' exceeds the maximum length of 256 characters`);
	}
	if (key.toLowerCase().startsWith('aws:')) {
		throw invalidParameterValue(`Tag keys starting with 'aws:' are reserved for internal use: '${key}'`);
	}
}

/** Adds or overwrites tags on a resource's tag list, as CreateTags does. */
export function mergeTags(target: Tag[], tags: readonly Tag[]): void {
	for (const tag of tags) {
		const existing = target.find((candidate) => candidate.key === tag.key);
		if (existing) {
			existing.value = tag.value;
		} else {
			target.push({ ...tag });
		}
	}
	if (target.length > MAX_TAGS_PER_RESOURCE) {
		throw new Ec2Error('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');
	}
}

/**
 * The tags a create call's `TagSpecification.N` asks for, for the resource type being created.
 * A resource type the action cannot tag is `InvalidParameterValue`, as on AWS.
 */
export function tagsFromSpecifications(
	context: ActionContext,
	allowedTypes: readonly string[],
): Map<string, Tag[]> {
	const byType = new Map<string, Tag[]>();
	for (const specification of context.params.structs('TagSpecification')) {
		const resourceType = specification.string('ResourceType');
		if (!resourceType) {
			throw missingParameter('TagSpecification.N.ResourceType');
		}
		if (!allowedTypes.includes(resourceType)) {
			throw invalidParameterValue(
				`'${resourceType}' is not a valid taggable resource type for this operation.`,
			);
		}
		const tags = byType.get(resourceType) ?? [];
		const requested = readTags(specification, 'Tag', true);
		const keys = new Set<string>();
		for (const tag of requested) {
			if (keys.has(tag.key)) {
				throw invalidParameterValue(`Duplicate tag key '${tag.key}' specified.`);
			}
			keys.add(tag.key);
		}
		mergeTags(tags, requested);
		byType.set(resourceType, tags);
	}
	return byType;
}

type Taggable = { id: string; tags: Tag[] };

const taggableTables: Partial<Record<ResourceKind, (region: RegionState) => Record<string, Taggable>>> = {
	vpc: (region) => region.vpcs,
	subnet: (region) => region.subnets,
	internetGateway: (region) => region.internetGateways,
	routeTable: (region) => region.routeTables,
	securityGroup: (region) => region.securityGroups,
	keyPair: (region) => region.keyPairs,
	instance: (region) => region.instances,
	image: (region) => region.images,
	snapshot: (region) => {
		region.snapshots ??= {};
		return region.snapshots;
	},
	importSnapshotTask: (region) => {
		region.importSnapshotTasks ??= {};
		return region.importSnapshotTasks;
	},
};

function findTaggable(region: RegionState, id: string): { resource: Taggable; kind: ResourceKind } {
	const kind = kindOfId(id);
	const table = kind ? taggableTables[kind] : undefined;
	if (!kind || !table) {
		throw new Ec2Error('InvalidID', `The ID '${id}' is not valid`);
	}
	const resource = table(region)[id];
	if (!resource) {
		throw resourceKinds[kind].notFound(id);
	}
	return { resource, kind };
}

function allTagged(region: RegionState): { resourceId: string; resourceType: string; tag: Tag }[] {
	const rows: { resourceId: string; resourceType: string; tag: Tag }[] = [];
	for (const [kind, table] of Object.entries(taggableTables) as [
		ResourceKind,
		(r: RegionState) => Record<string, Taggable>,
	][]) {
		for (const resource of Object.values(table(region))) {
			for (const tag of resource.tags) {
				rows.push({ resourceId: resource.id, resourceType: resourceKinds[kind].tagType, tag });
			}
		}
	}
	return rows;
}

export const tagActions: ActionTable = {
	CreateTags(context) {
		const ids = context.params.list('ResourceId');
		if (ids.length === 0) {
			throw missingParameter('ResourceId');
		}
		const tags = readTags(context.params, 'Tag', true);
		if (tags.length === 0) {
			throw missingParameter('Tag');
		}
		const resources = ids.map((id) => findTaggable(context.region, id).resource);
		for (const resource of resources) {
			mergeTags(resource.tags, tags);
		}
		return { return: true };
	},

	DeleteTags(context) {
		const ids = context.params.list('ResourceId');
		if (ids.length === 0) {
			throw missingParameter('ResourceId');
		}
		const requested = context.params.structs('Tag').map((tag) => ({
			key: tag.string('Key') ?? '',
			value: tag.string('Value'),
		}));
		for (const id of ids) {
			const { resource } = findTaggable(context.region, id);
			resource.tags =
				requested.length === 0
					? []
					: resource.tags.filter(
							(tag) =>
								!requested.some(
									(wanted) =>
										wanted.key === tag.key && (wanted.value === undefined || wanted.value === tag.value),
								),
						);
		}
		return { return: true };
	},

	DescribeTags(context) {
		const rows = applyFilters(
			allTagged(context.region),
			parseFilters(context.params),
			{
				key: (row) => row.tag.key,
				value: (row) => row.tag.value,
				'resource-id': (row) => row.resourceId,
				'resource-type': (row) => row.resourceType,
			},
			(row) => [row.tag],
		);
		const page = paginate(rows, context.params, (row) => `${row.resourceId}\u0000${row.tag.key}`, {
			min: 5,
			max: 1000,
		});
		return {
			tagSet: xmlList(page.items, (row) => ({
				resourceId: row.resourceId,
				resourceType: row.resourceType,
				key: row.tag.key,
				value: row.tag.value,
			})),
			nextToken: page.nextToken,
		};
	},
};
