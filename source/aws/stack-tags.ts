import type { Filter, ResourceType, Tag, TagSpecification } from '@aws-sdk/client-ec2';

/** Every resource kakehashi creates carries this tag from the moment it exists (TagSpecifications). */
export const stackTagKey = 'kakehashi:stack';
/** Tells apart two resources of one kind in one stack. */
export const roleTagKey = 'kakehashi:role';

export type Tagging = {
	stack: string;
	name: string;
	role?: string;
};

export function stackTags({ stack, name, role }: Tagging): Tag[] {
	const tags: Tag[] = [
		{ Key: 'Name', Value: name },
		{ Key: stackTagKey, Value: stack },
	];
	if (role) tags.push({ Key: roleTagKey, Value: role });
	return tags;
}

/** Tags applied by the create call itself, so no resource ever exists untagged (crash safety). */
export function tagSpecifications(resourceType: ResourceType, tagging: Tagging): TagSpecification[] {
	return [{ ResourceType: resourceType, Tags: stackTags(tagging) }];
}

export function stackFilters(stack: string, role?: string): Filter[] {
	const filters: Filter[] = [{ Name: `tag:${stackTagKey}`, Values: [stack] }];
	if (role) filters.push({ Name: `tag:${roleTagKey}`, Values: [role] });
	return filters;
}

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
	return tags?.find((tag) => tag.Key === key)?.Value;
}

export function isTaggedForStack(tags: Tag[] | undefined, stack: string): boolean {
	return tagValue(tags, stackTagKey) === stack;
}

/** Two resources of one kind tagged with the same stack (and role): refuse to guess which one is ours. */
export class DuplicateStackResourceError extends Error {
	constructor(
		readonly kind: string,
		readonly stackName: string,
		readonly ids: string[],
	) {
		super(
			`More than one ${kind} is tagged ${stackTagKey}=${stackName}: ${ids.join(', ')}. ` +
				'Delete the one you do not want (or remove its tag), then run again.',
		);
		this.name = 'DuplicateStackResourceError';
	}
}

/** The one resource of a tag lookup, undefined for none, an error for several. */
export function single<T>(
	kind: string,
	stack: string,
	found: T[],
	idOf: (item: T) => string | undefined,
): T | undefined {
	if (found.length > 1) {
		throw new DuplicateStackResourceError(
			kind,
			stack,
			found.map((item) => idOf(item) ?? '?'),
		);
	}
	return found[0];
}
