import { invalidParameterValue, missingParameter } from './errors.js';

/**
 * The parameters of one Query-protocol request (`Filter.1.Name=…&Filter.1.Value.1=…`), read as the
 * structures they flatten: lists are `Name.N`, structures are `Name.Member`, lists of structures are
 * `Name.N.Member`.
 */
export class QueryParams {
	readonly #values: Map<string, string>;

	constructor(values: Map<string, string>) {
		this.#values = values;
	}

	static fromEntries(entries: Iterable<[string, string]>): QueryParams {
		return new QueryParams(new Map(entries));
	}

	/** Every flat parameter, sorted by name: a canonical form of the request. */
	entries(): [string, string][] {
		return [...this.#values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	}

	has(name: string): boolean {
		if (this.#values.has(name)) {
			return true;
		}
		const prefix = `${name}.`;
		for (const key of this.#values.keys()) {
			if (key.startsWith(prefix)) {
				return true;
			}
		}
		return false;
	}

	string(name: string): string | undefined {
		return this.#values.get(name);
	}

	/** The value, or `MissingParameter` naming the parameter as AWS spells it in its messages. */
	required(name: string, spelledAs = name): string {
		const value = this.#values.get(name);
		if (value === undefined || value === '') {
			throw missingParameter(spelledAs);
		}
		return value;
	}

	boolean(name: string): boolean | undefined {
		const value = this.#values.get(name);
		if (value === undefined) {
			return undefined;
		}
		const lower = value.toLowerCase();
		if (lower === 'true') {
			return true;
		}
		if (lower === 'false') {
			return false;
		}
		throw invalidParameterValue(`Invalid value '${value}' for ${name}. Expected 'true' or 'false'.`);
	}

	integer(name: string): number | undefined {
		const value = this.#values.get(name);
		if (value === undefined) {
			return undefined;
		}
		if (!/^-?\d+$/.test(value)) {
			throw invalidParameterValue(`Invalid value '${value}' for ${name}. Expected an integer.`);
		}
		return Number(value);
	}

	/** `Name.1`, `Name.2`, … in index order. */
	list(name: string): string[] {
		return this.#indexed(name)
			.filter(([, rest]) => rest === '')
			.map(([, , value]) => value);
	}

	/** `Name.1.*`, `Name.2.*`, … as one QueryParams per index, in index order. */
	structs(name: string): QueryParams[] {
		const groups = new Map<number, Map<string, string>>();
		for (const [index, rest, value] of this.#indexed(name)) {
			if (rest === '') {
				continue;
			}
			let group = groups.get(index);
			if (!group) {
				group = new Map();
				groups.set(index, group);
			}
			group.set(rest, value);
		}
		return [...groups.entries()].sort(([a], [b]) => a - b).map(([, group]) => new QueryParams(group));
	}

	/** `Name.*` as a structure, or undefined when no member is present. */
	struct(name: string): QueryParams | undefined {
		const prefix = `${name}.`;
		const members = new Map<string, string>();
		for (const [key, value] of this.#values) {
			if (key.startsWith(prefix)) {
				members.set(key.slice(prefix.length), value);
			}
		}
		return members.size > 0 ? new QueryParams(members) : undefined;
	}

	/** [index, rest-after-index (without the dot), value] for keys `Name.N` and `Name.N.rest`. */
	#indexed(name: string): [number, string, string][] {
		const prefix = `${name}.`;
		const found: [number, string, string][] = [];
		for (const [key, value] of this.#values) {
			if (!key.startsWith(prefix)) {
				continue;
			}
			const tail = key.slice(prefix.length);
			const match = /^(\d+)(?:\.(.+))?$/.exec(tail);
			if (match?.[1]) {
				found.push([Number(match[1]), match[2] ?? '', value]);
			}
		}
		return found.sort(([a], [b]) => a - b);
	}
}
