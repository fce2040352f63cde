/**
 * Reading whitespace-aligned tables by tokens rather than by column offsets: header cells are found by
 * splitting on spaces (a parenthesised note such as `(initiator:responder)` stays with its cell), and a
 * row that the device wrapped onto following lines is put back together before it is read.
 */
import { tokensOf } from './clean-output.js';

// Hoisted: a regular expression literal makes a new RegExp object every time it is evaluated.
const OPEN_PARENTHESIS = /\([^)]*$/;
const DETAIL_FIELD = /^\s*([A-Za-z][A-Za-z0-9 ()/._:-]{0,60}?)\s*:\s+(\S.*)$/;

/** `Peer  Cookies (initiator:responder)  Auth Ver Expires` → `['Peer', 'Cookies (initiator:responder)', 'Auth', 'Ver', 'Expires']`. */
export function headerCells(line: string): string[] {
	const cells: string[] = [];
	for (const token of tokensOf(line)) {
		const previous = cells.length - 1;
		const previousOpen = previous >= 0 && OPEN_PARENTHESIS.test(cells[previous]!);
		if (previous >= 0 && (token.startsWith('(') || previousOpen)) cells[previous] += ` ${token}`;
		else cells.push(token);
	}
	return cells;
}

/** `Cookies (initiator:responder)` → `cookies`; `Up/Down` → `up/down`. */
export function cellKey(cell: string): string {
	return cell
		.replace(/\([^)]*\)?/g, '')
		.trim()
		.toLowerCase();
}

export type AssembledRow = {
	tokens: string[];
	/** The indexes of the lines the row was read from. */
	lineIndexes: number[];
};

/**
 * Starting at a row's first line, appends the tokens of following lines while fewer than `wanted`
 * tokens were read and the next line continues the row (`continues` decides; blank lines stop).
 */
export function assembleRow(
	lines: readonly string[],
	start: number,
	wanted: number,
	continues: (line: string) => boolean,
): AssembledRow {
	const tokens = [...tokensOf(lines[start] ?? '')];
	const lineIndexes = [start];
	let next = start + 1;
	while (tokens.length < wanted && next < lines.length) {
		const line = lines[next]!;
		if (line.trim() === '' || !continues(line)) break;
		tokens.push(...tokensOf(line));
		lineIndexes.push(next);
		next += 1;
	}
	return { tokens, lineIndexes };
}

export type DetailField = { key: string; value: string };

/** `  Cookies (initiator:responder): 1a2b:3c4d` → `{ key: 'cookies', value: '1a2b:3c4d' }`. */
export function detailField(line: string): DetailField | undefined {
	const match = DETAIL_FIELD.exec(line);
	if (!match) return undefined;
	const key = cellKey(match[1]!).replace(/\s+/g, ' ');
	return key === '' ? undefined : { key, value: match[2]!.trim() };
}
