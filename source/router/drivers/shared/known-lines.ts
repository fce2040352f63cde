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

/** A predicate over trimmed lines: does one of `patterns` match it? */
export function knownLines(patterns: readonly RegExp[]): (trimmed: string) => boolean {
	const byFirst = new Map<string, RegExp[]>();
	const anywhere: RegExp[] = [];
	for (const pattern of patterns) {
		const literal = firstLiteral(pattern);
		if (literal === undefined) {
			anywhere.push(pattern);
			continue;
		}
		const keys = pattern.ignoreCase ? new Set([literal.toLowerCase(), literal.toUpperCase()]) : [literal];
		for (const key of keys) byFirst.set(key, [...(byFirst.get(key) ?? []), pattern]);
	}
	return (trimmed) => {
		const candidates = byFirst.get(trimmed.charAt(0));
		if (candidates?.some((pattern) => pattern.test(trimmed))) return true;
		return anywhere.some((pattern) => pattern.test(trimmed));
	};
}
