/**
 * Parsers skip many lines that they understand but that carry nothing for the status model (timers,
 * error counters, legends). Testing each line against a dozen regular expressions is what made big
 * outputs slow: this indexes the patterns by the first character they can match, so a line meets only
 * the few patterns that could apply to it.
 */

/** The literal first character a `^…` pattern requires, or undefined when it could start with anything. */
function firstLiteral(pattern: RegExp): string | undefined {
	const source = pattern.source;
	if (!source.startsWith('^')) return undefined;
	const first = source[1];
	if (first === undefined) return undefined;
	if (first === '\\') {
		const escaped = source[2];
		return escaped !== undefined && !/[a-zA-Z0-9]/.test(escaped) ? escaped : undefined;
	}
	if ('([.*+?{|$^'.includes(first)) return undefined;
	// A quantifier after the first character makes it optional.
	return /[*?{]/.test(source[2] ?? '') ? undefined : first;
}

const DIGITS = Array.from('0123456789');

/**
 * The first characters a pattern can match: its literal first character (both cases under `i`), the
 * ten digits for `^\d` (a digit, without the `u` flag), or undefined when it could start with anything.
 */
function firstCharacters(pattern: RegExp): readonly string[] | undefined {
	const source = pattern.source;
	if (
		source.startsWith('^\\d') &&
		!'*?{'.includes(source[3] ?? '') &&
		(pattern.flags === '' || pattern.flags === 'i') &&
		!hasTopLevelAlternation(source)
	)
		return DIGITS;
	const literal = firstLiteral(pattern);
	if (literal === undefined) return undefined;
	return pattern.ignoreCase ? [...new Set([literal.toLowerCase(), literal.toUpperCase()])] : [literal];
}

/** Whether a pattern's source has a `|` outside any group (then no one prefix or ending is required). */
function hasTopLevelAlternation(source: string): boolean {
	let depth = 0;
	let inClass = false;
	for (let index = 0; index < source.length; index += 1) {
		const character = source[index];
		if (character === '\\') index += 1;
		else if (inClass) inClass = character !== ']';
		else if (character === '[') inClass = true;
		else if (character === '(') depth += 1;
		else if (character === ')') depth -= 1;
		else if (character === '|' && depth === 0) return true;
	}
	return false;
}

/**
 * The text a pattern's matches always end with, when it ends in letters and spaces then `$` (no `|`
 * outside a group, flags `i` at most, the letters not escaped): `/\bentries … of memory$/i` → `memory`
 * (lower case under `i`). A line not ending so cannot match: the pattern is not run on it.
 */
function requiredEnding(pattern: RegExp): string | undefined {
	if (pattern.flags !== '' && pattern.flags !== 'i') return undefined;
	const source = pattern.source;
	if (hasTopLevelAlternation(source)) return undefined;
	// Letters right after a backslash or another letter may belong to an escape (`\b`, `\cJ`): not taken.
	const ending = /(?<![\\A-Za-z])[A-Za-z ]+(?=\$$)/.exec(source)?.[0];
	if (ending === undefined) return undefined;
	return pattern.ignoreCase ? ending.toLowerCase() : ending;
}

/** Whether `text` ends with `ending`, ASCII letters compared in either case when `ignoreCase`. */
function endsWithText(text: string, ending: string, ignoreCase: boolean): boolean {
	const offset = text.length - ending.length;
	if (offset < 0) return false;
	for (let index = 0; index < ending.length; index += 1) {
		const want = ending.charCodeAt(index);
		const code = text.charCodeAt(offset + index);
		if (code === want) continue;
		if (!ignoreCase || !isLetterCode(want) || (code | 32) !== want) return false;
	}
	return true;
}

/** A predicate over trimmed lines: does one of `patterns` match it? */
export function knownLines(patterns: readonly RegExp[]): (trimmed: string) => boolean {
	const byFirst = new Map<string, RegExp[]>();
	const anywhere: RegExp[] = [];
	for (const pattern of patterns) {
		const keys = firstCharacters(pattern);
		if (keys === undefined) {
			anywhere.push(pattern);
			continue;
		}
		for (const key of keys) byFirst.set(key, [...(byFirst.get(key) ?? []), pattern]);
	}
	// Literal patterns are compared character by character instead of run (see literalMatcher).
	const testOf = (pattern: RegExp) => {
		const matcher = literalMatcher(pattern);
		if (matcher) return (trimmed: string) => matcher(trimmed, 0);
		const ending = requiredEnding(pattern);
		if (ending !== undefined) {
			const ignoreCase = pattern.ignoreCase;
			return (trimmed: string) => endsWithText(trimmed, ending, ignoreCase) && pattern.test(trimmed);
		}
		return (trimmed: string) => pattern.test(trimmed);
	};
	const testsByFirst = new Map(
		[...byFirst].map(([first, patterns]) => [first, patterns.map(testOf)] as const),
	);
	const anywhereTests = anywhere.map(testOf);
	// The same lists by character code for ASCII first characters: an array index instead of a map look-up.
	const testsByCode: (((trimmed: string) => boolean)[] | undefined)[] = Array.from(
		{ length: 128 },
		(_, code) => testsByFirst.get(String.fromCharCode(code)),
	);
	return (trimmed) => {
		const code = trimmed.charCodeAt(0);
		const candidates = code < 128 ? testsByCode[code] : testsByFirst.get(trimmed.charAt(0));
		if (candidates !== undefined) for (const test of candidates) if (test(trimmed)) return true;
		for (const test of anywhereTests) if (test(trimmed)) return true;
		return false;
	};
}

const isWordCode = (code: number) =>
	(code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
const isLetterCode = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);

/**
 * A pattern that is only `^` + ASCII literal text (escaped punctuation allowed) + optionally `\b` or
 * `$`, flags `i` at most → a function matching it at `at` by comparing characters, which is several
 * times faster than running the expression. Undefined for any other pattern (run the expression).
 * Same answers: without the `u` flag, `i` folds an ASCII letter only with the other ASCII case.
 * `end` (default: the text's length) is where the line ends, for a line read inside a bigger text.
 */
export function literalMatcher(
	pattern: RegExp,
): ((text: string, at: number, end?: number) => boolean) | undefined {
	if (pattern.flags !== '' && pattern.flags !== 'i') return undefined;
	const ignoreCase = pattern.flags === 'i';
	const source = pattern.source;
	if (!source.startsWith('^')) return undefined;
	let literal = '';
	let ending: 'none' | 'boundary' | 'end' = 'none';
	for (let index = 1; index < source.length; index += 1) {
		const character = source[index]!;
		if (character === '\\') {
			const next = source[index + 1];
			if (next === undefined) return undefined;
			if (next === 'b' && index + 2 === source.length) {
				ending = 'boundary';
				break;
			}
			if (/[A-Za-z0-9]/.test(next)) return undefined;
			literal += next;
			index += 1;
			continue;
		}
		if (character === '$' && index + 1 === source.length) {
			ending = 'end';
			break;
		}
		if ('.*+?()[]{}|^$'.includes(character) || character.charCodeAt(0) > 127) return undefined;
		literal += character;
	}
	if (literal === '') return undefined;
	const codes = Array.from(literal, (character) => character.charCodeAt(0));
	const lastIsWord = isWordCode(codes[codes.length - 1]!);
	return (text, at, end = text.length) => {
		if (end - at < codes.length) return false;
		for (let index = 0; index < codes.length; index += 1) {
			const want = codes[index]!;
			const code = text.charCodeAt(at + index);
			if (code === want) continue;
			if (!ignoreCase || !isLetterCode(want) || (code | 32) !== (want | 32)) return false;
		}
		const after = at + codes.length;
		if (ending === 'end') return after === end;
		if (ending === 'boundary') return lastIsWord !== (after < end && isWordCode(text.charCodeAt(after)));
		return true;
	};
}
