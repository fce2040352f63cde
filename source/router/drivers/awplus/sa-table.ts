import { cleanOutputLines, tokensOf } from '../shared/clean-output.js';
import { ownValue } from '../shared/field-values.js';
import { type AssembledRow, assembleRow, detailField, headerCells } from '../shared/table-rows.js';

/**
 * The reader both AW+ SA commands share: a table (a header naming the columns, one row per SA,
 * rows wrapped over several lines re-joined) or `detail` blocks (`Peer: X` then `Key: value` lines).
 * Each command supplies its columns, header/row tests and how facts become an SA.
 */
export type SaTableSpec<Column extends string, Sa> = {
	defaultColumns: Column[];
	columnOf(cell: string): Column | undefined;
	isHeader(line: string): boolean;
	startsRow(line: string): boolean;
	/** Detail-block keys (lower case) → column; `peer` opens a block, `ignored` is recognised but unused. */
	detailKeys: Record<string, Column>;
	toSa(facts: Partial<Record<Column, string>>): Sa | undefined;
};

export function readSaTable<Column extends string, Sa>(
	output: string,
	spec: SaTableSpec<Column, Sa>,
): { sas: Sa[]; unparsed: string[] } {
	const lines = cleanOutputLines(output);
	const sas: Sa[] = [];
	const unparsed: string[] = [];
	let columns: Column[] = spec.defaultColumns;
	let block: { facts: Partial<Record<Column, string>>; lines: string[] } | undefined;

	const closeBlock = () => {
		if (!block) return;
		const sa = spec.toSa(block.facts);
		if (sa) sas.push(sa);
		else unparsed.push(...block.lines);
		block = undefined;
	};
	let lastContent = lines.length - 1;
	while (lastContent >= 0 && lines[lastContent]!.trim() === '') lastContent -= 1;

	for (let index = 0; index < lines.length; index += 1) {
		const line = lines[index]!;
		if (line.trim() === '') continue;
		const field = detailField(line);
		const detailKey = field ? ownValue(spec.detailKeys, field.key) : undefined;
		if (field && detailKey !== undefined) {
			if (detailKey === 'peer') {
				closeBlock();
				block = { facts: {}, lines: [] };
			}
			if (block) {
				block.lines.push(line);
				if (detailKey === 'peer') block.facts[detailKey] = tokensOf(field.value)[0];
				else if (detailKey !== 'ignored') block.facts[detailKey] = field.value;
				continue;
			}
		}
		if (spec.isHeader(line)) {
			closeBlock();
			columns = headerCells(line).map((cell) => spec.columnOf(cell) ?? ('ignored' as Column));
			continue;
		}
		if (spec.startsRow(line)) {
			closeBlock();
			// A row on one line (the usual case) needs no assembling: assembleRow would add nothing.
			const own = tokensOf(line);
			const row: AssembledRow =
				own.length >= columns.length
					? { tokens: own, lineIndexes: [index] }
					: assembleRow(
							lines,
							index,
							columns.length,
							(next) => !spec.startsRow(next) && !spec.isHeader(next),
						);
			index = row.lineIndexes[row.lineIndexes.length - 1]!;
			// a trailing blank Expires cell (negotiating SA) is fine, except on a truncated last line
			const blankLastCell =
				row.tokens.length === columns.length - 1 && columns.at(-1) === 'expires' && index !== lastContent;
			let sa: Sa | undefined;
			if (row.tokens.length === columns.length || blankLastCell) {
				const facts: Partial<Record<Column, string>> = {};
				for (let position = 0; position < columns.length; position += 1) {
					const column = columns[position]!;
					const token = row.tokens[position];
					if (token !== undefined && column !== 'ignored') facts[column] = token;
				}
				sa = spec.toSa(facts);
			}
			if (sa) sas.push(sa);
			else unparsed.push(...row.lineIndexes.map((lineIndex) => lines[lineIndex]!));
			continue;
		}
		if (block && /^\s/.test(line)) {
			unparsed.push(line);
			continue;
		}
		closeBlock();
		unparsed.push(line);
	}
	closeBlock();
	return { sas, unparsed };
}
