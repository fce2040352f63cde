import { Ec2Error, invalidParameterCombination, invalidParameterValue } from './errors.js';
import type { QueryParams } from './query.js';

export type PageLimits = {
	/** The smallest MaxResults the action accepts (5 for most Describe calls). */
	min: number;
	max: number;
	/** The name of the ID list that cannot be combined with MaxResults, as AWS words it (e.g. `vpcIds`). */
	idsParameter?: string;
	idsGiven?: boolean;
};

export type Page<T> = { items: T[]; nextToken?: string };

/**
 * MaxResults / NextToken, over the items ordered by key. The token names the last key returned, so
 * items created or deleted between calls do not shift the next page.
 */
export function paginate<T>(
	items: readonly T[],
	params: QueryParams,
	keyOf: (item: T) => string,
	limits: PageLimits,
): Page<T> {
	const maxResults = params.integer('MaxResults');
	const token = params.string('NextToken');
	if (maxResults !== undefined && limits.idsGiven) {
		throw invalidParameterCombination(
			`The parameter ${limits.idsParameter ?? 'ids'} cannot be used with the parameter maxResults`,
		);
	}
	if (maxResults !== undefined && (maxResults < limits.min || maxResults > limits.max)) {
		throw invalidParameterValue(
			`Value ( ${maxResults} ) for parameter maxResults is invalid. Parameter must be between ${limits.min} and ${limits.max}.`,
		);
	}
	const ordered = sortedByKey(items, keyOf);
	let start = 0;
	if (token !== undefined && token !== '') {
		const after = decodeToken(token);
		const index = ordered.findIndex((item) => keyOf(item) > after);
		start = index === -1 ? ordered.length : index;
	}
	if (maxResults === undefined) {
		return { items: ordered.slice(start) };
	}
	const page = ordered.slice(start, start + maxResults);
	const last = page.at(-1);
	const more = start + maxResults < ordered.length;
	return more && last !== undefined ? { items: page, nextToken: encodeToken(keyOf(last)) } : { items: page };
}

function sortedByKey<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
	return [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

function encodeToken(after: string): string {
	return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
	try {
		const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
		if (decoded && typeof decoded === 'object' && 'after' in decoded && typeof decoded.after === 'string') {
			return decoded.after;
		}
	} catch {
		// fall through to the error below
	}
	throw new Ec2Error('InvalidPaginationToken', `The pagination token '${token}' is invalid or has expired.`);
}
