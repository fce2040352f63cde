import { Ec2Error, invalidParameterValue } from './errors.js';
import type { QueryParams } from './query.js';
import type { Tag } from './state.js';

export type Filter = { name: string; values: string[] };

type FilterValue = string | number | boolean | undefined;

/**
 * What one filter name reads from a resource. Names a resource kind accepts but the sandbox does not
 * model (IPv6, prefix lists, …) read nothing, so they match nothing, as on an account without them.
 */
export type FilterSpec<T> = Record<string, (item: T) => FilterValue | readonly FilterValue[]>;

/** `Filter.N.Name` / `Filter.N.Value.M`. */
export function parseFilters(params: QueryParams): Filter[] {
	return params.structs('Filter').map((filter, index) => {
		const name = filter.string('Name');
		if (!name) {
			throw new Ec2Error(
				'MissingParameter',
				`The request must contain the parameter Filter.${index + 1}.Name`,
			);
		}
		return { name, values: filter.list('Value') };
	});
}

/** EC2 filter values accept `*` (any run) and `?` (one character); a backslash escapes them. */
function wildcardPattern(value: string): RegExp {
	let source = '';
	for (let index = 0; index < value.length; index++) {
		const char = value[index] as string;
		if (char === '\\' && index + 1 < value.length) {
			index++;
			source += escapeRegExp(value[index] as string);
		} else if (char === '*') {
			source += '.*';
		} else if (char === '?') {
			source += '.';
		} else {
			source += escapeRegExp(char);
		}
	}
	return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function asStrings(read: FilterValue | readonly FilterValue[]): string[] {
	const values = Array.isArray(read) ? read : [read];
	return values.filter((value): value is string | number | boolean => value !== undefined).map(String);
}

/**
 * Keeps the items every filter matches (filters AND, values OR), as EC2 does. `tag:KEY`, `tag-key`
 * and `tag-value` work wherever the resource has tags. An unknown name is `InvalidParameterValue`.
 */
export function applyFilters<T>(
	items: readonly T[],
	filters: readonly Filter[],
	spec: FilterSpec<T>,
	tagsOf?: (item: T) => readonly Tag[],
): T[] {
	const readers = filters.map((filter) => {
		const patterns = filter.values.map(wildcardPattern);
		const read = readerFor(filter.name, spec, tagsOf);
		return (item: T) => {
			const values = read(item);
			return patterns.some((pattern) => values.some((value) => pattern.test(value)));
		};
	});
	return items.filter((item) => readers.every((matches) => matches(item)));
}

function readerFor<T>(
	name: string,
	spec: FilterSpec<T>,
	tagsOf?: (item: T) => readonly Tag[],
): (item: T) => string[] {
	const fromSpec = spec[name];
	if (fromSpec) {
		return (item) => asStrings(fromSpec(item));
	}
	if (tagsOf) {
		if (name.startsWith('tag:')) {
			const key = name.slice('tag:'.length);
			return (item) =>
				tagsOf(item)
					.filter((tag) => tag.key === key)
					.map((tag) => tag.value);
		}
		if (name === 'tag-key') {
			return (item) => tagsOf(item).map((tag) => tag.key);
		}
		if (name === 'tag-value') {
			return (item) => tagsOf(item).map((tag) => tag.value);
		}
	}
	throw invalidParameterValue(`The filter '${name}' is invalid`);
}
