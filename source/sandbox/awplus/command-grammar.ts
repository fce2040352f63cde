/**
 * The command matcher of the simulated AW+ CLI: like the real one, every keyword may be shortened to a
 * unique prefix (`sh ip bgp sum`, `conf t`, `int tunnel0`), a wrong word is reported at its column, and
 * a command cut short is "incomplete".
 *
 * Pattern syntax, one string per command: words are keywords, `a|b` offers alternatives, `<name>` takes
 * one word, `<name...>` takes the rest of the line (one word or more), `[x]` makes one token optional.
 */

type PatternToken =
	| { kind: 'keyword'; words: string[] }
	| { kind: 'word'; name: string }
	| { kind: 'rest'; name: string };

export type Pattern<Id extends string = string> = { id: Id; spec: string; tokens: PatternToken[] };

function parseToken(text: string): PatternToken {
	const rest = /^<([\w-]+)\.\.\.>$/.exec(text);
	if (rest) return { kind: 'rest', name: rest[1]! };
	const word = /^<([\w-]+)>$/.exec(text);
	if (word) return { kind: 'word', name: word[1]! };
	return { kind: 'keyword', words: text.split('|') };
}

/** Compiles one spec; an optional token `[x]` yields the pattern with and without it. */
export function compilePattern<Id extends string>(id: Id, spec: string): Pattern<Id>[] {
	const parts = spec.split(/\s+/).filter(Boolean);
	let variants: PatternToken[][] = [[]];
	for (const part of parts) {
		const optional = /^\[(.+)\]$/.exec(part);
		const token = parseToken(optional ? optional[1]! : part);
		const withToken = variants.map((tokens) => [...tokens, token]);
		variants = optional ? [...withToken, ...variants] : withToken;
	}
	return variants.map((tokens) => ({ id, spec, tokens }));
}

export type CommandMatch<Id extends string = string> =
	| {
			ok: true;
			id: Id;
			/** The command with every keyword written out in full, arguments as typed. */
			canonical: string;
			args: Record<string, string>;
			/** True when the input stopped before the pattern ended (allowed with `allowPartial`). */
			partial: boolean;
	  }
	| { ok: false; error: 'invalid' | 'ambiguous'; tokenIndex: number }
	| { ok: false; error: 'incomplete' };

type Attempt<Id extends string> = {
	pattern: Pattern<Id>;
	position: number;
	inRest: boolean;
	words: string[];
	args: Record<string, string>;
};

function finished<Id extends string>(attempt: Attempt<Id>): boolean {
	return attempt.inRest || attempt.position >= attempt.pattern.tokens.length;
}

export function matchCommand<Id extends string>(
	patterns: readonly Pattern<Id>[],
	input: readonly string[],
	options: {
		allowPartial?: boolean;
		/** Checks an argument (`<name>`) value; a refused value is reported as invalid input there. */
		validate?: (name: string, value: string) => boolean;
	} = {},
): CommandMatch<Id> {
	const valid = (name: string, value: string) => options.validate?.(name, value) ?? true;
	let alive: Attempt<Id>[] = patterns.map((pattern) => ({
		pattern,
		position: 0,
		inRest: false,
		words: [],
		args: {},
	}));

	for (const [index, typed] of input.entries()) {
		const lower = typed.toLowerCase();
		const byKeyword: { attempt: Attempt<Id>; word: string; exact: boolean }[] = [];
		const byArgument: Attempt<Id>[] = [];
		for (const attempt of alive) {
			const token = attempt.pattern.tokens[attempt.position];
			if (attempt.inRest) {
				byArgument.push(attempt);
			} else if (token?.kind === 'keyword') {
				const exact = token.words.find((word) => word === lower);
				const prefixed = token.words.filter((word) => word.startsWith(lower));
				if (exact) byKeyword.push({ attempt, word: exact, exact: true });
				else for (const word of prefixed) byKeyword.push({ attempt, word, exact: false });
			} else if (token && (token.kind === 'rest' || valid(token.name, typed))) byArgument.push(attempt);
		}

		let next: Attempt<Id>[];
		if (byKeyword.length > 0) {
			const exact = byKeyword.filter((candidate) => candidate.exact);
			const chosen = exact.length > 0 ? exact : byKeyword;
			if (new Set(chosen.map((candidate) => candidate.word)).size > 1) {
				return { ok: false, error: 'ambiguous', tokenIndex: index };
			}
			next = chosen.map(({ attempt, word }) => ({
				...attempt,
				position: attempt.position + 1,
				words: [...attempt.words, word],
			}));
		} else {
			next = byArgument.map((attempt) => {
				const token = attempt.pattern.tokens[attempt.position]!;
				const name = token.kind === 'keyword' ? '' : token.name;
				if (attempt.inRest) {
					return {
						...attempt,
						words: [...attempt.words, typed],
						args: { ...attempt.args, [name]: `${attempt.args[name]} ${typed}` },
					};
				}
				return {
					...attempt,
					position: token.kind === 'rest' ? attempt.position : attempt.position + 1,
					inRest: token.kind === 'rest',
					words: [...attempt.words, typed],
					args: { ...attempt.args, [name]: typed },
				};
			});
		}
		if (next.length === 0) return { ok: false, error: 'invalid', tokenIndex: index };
		alive = next;
	}

	const complete = alive.find(finished);
	if (complete) {
		return {
			ok: true,
			id: complete.pattern.id,
			canonical: complete.words.join(' '),
			args: complete.args,
			partial: false,
		};
	}
	const partial = alive[0];
	if (options.allowPartial && partial && input.length > 0) {
		return {
			ok: true,
			id: partial.pattern.id,
			canonical: partial.words.join(' '),
			args: partial.args,
			partial: true,
		};
	}
	return { ok: false, error: 'incomplete' };
}
