/**
 * Turning what a router's terminal prints into plain text: pure functions, no I/O.
 *
 * Routers write for a screen, not a pipe: CRLF (sometimes CR CR LF), colour codes, pager prompts
 * erased with backspaces or `CR` + spaces, `ESC [ K` to clear the rest of a line. We replay the
 * cursor movements a terminal would honour on a single line and drop every other control sequence,
 * so parsers see the text a person would have read.
 */

const ESC = '\u001b';
const CSI_8BIT = '\u009b';

/** Where the escape sequence starting at `start` (an ESC or 8-bit CSI) ends; `undefined` if incomplete. */
function escapeSequenceEnd(text: string, start: number): number | undefined {
	const introducer = text[start];
	let index = start + 1;
	if (introducer === CSI_8BIT) {
		return controlSequenceEnd(text, index);
	}
	const next = text[index];
	if (next === undefined) {
		return undefined;
	}
	if (next === '[') {
		return controlSequenceEnd(text, index + 1);
	}
	if (next === ']' || next === 'P' || next === 'X' || next === '^' || next === '_') {
		// OSC / DCS / SOS / PM / APC: a string ended by BEL (OSC only) or ST (ESC \).
		for (index += 1; index < text.length; index++) {
			const char = text[index];
			if (char === '\u0007' && next === ']') {
				return index + 1;
			}
			if (char === ESC) {
				return text[index + 1] === undefined ? undefined : index + 2;
			}
		}
		return undefined;
	}
	// nF sequences (e.g. `ESC ( B` character set selection): intermediates, then one final byte.
	while (index < text.length && isBetween(text[index], 0x20, 0x2f)) {
		index++;
	}
	return index < text.length ? index + 1 : undefined;
}

/** End of a CSI sequence whose parameters start at `index`; `undefined` if incomplete. */
function controlSequenceEnd(text: string, index: number): number | undefined {
	let cursor = index;
	while (cursor < text.length && isBetween(text[cursor], 0x20, 0x3f)) {
		cursor++;
	}
	if (cursor >= text.length) {
		return undefined;
	}
	return cursor + 1;
}

function isBetween(char: string | undefined, low: number, high: number): boolean {
	if (char === undefined) {
		return false;
	}
	const code = char.charCodeAt(0);
	return code >= low && code <= high;
}

/**
 * Removes ANSI/VT100 escape sequences (CSI, OSC, DCS, charset selection, single-character escapes)
 * without interpreting them. An unfinished sequence at the very end is removed as well.
 */
export function stripAnsi(text: string): string {
	let result = '';
	let index = 0;
	while (index < text.length) {
		const char = text[index] as string;
		if (char === ESC || char === CSI_8BIT) {
			const end = escapeSequenceEnd(text, index);
			if (end === undefined) {
				break;
			}
			index = end;
			continue;
		}
		result += char;
		index++;
	}
	return result;
}

/** CRLF, CR CR LF and lone LF all become LF; lone CRs are left alone. */
export function normaliseNewlines(text: string): string {
	return text.replace(/\r+\n/g, '\n');
}

/** One screen line being drawn: the cells written so far and the cursor column. */
class LineBuffer {
	cells: string[] = [];
	column = 0;
	/** Something was drawn over or erased: trailing blanks are then leftovers of the erasure. */
	rewritten = false;

	write(char: string): void {
		if (this.column < this.cells.length) {
			this.cells[this.column] = char;
			this.rewritten = true;
		} else {
			while (this.cells.length < this.column) {
				this.cells.push(' ');
			}
			this.cells.push(char);
		}
		this.column++;
	}

	eraseToEnd(): void {
		if (this.column < this.cells.length) {
			this.cells.length = this.column;
			this.rewritten = true;
		}
	}

	eraseToCursor(): void {
		for (let index = 0; index < Math.min(this.column + 1, this.cells.length); index++) {
			this.cells[index] = ' ';
		}
		this.rewritten = true;
	}

	eraseAll(): void {
		this.cells = [];
		this.rewritten = true;
	}

	text(): string {
		const text = this.cells.join('');
		return this.rewritten ? text.trimEnd() : text;
	}
}

function applyControlSequence(line: LineBuffer, sequence: string): void {
	const final = sequence.at(-1);
	const parameters = sequence.slice(sequence[0] === CSI_8BIT ? 1 : 2, -1);
	if (!/^[\d;]*$/.test(parameters)) {
		return; // private modes such as `ESC [ ? 25 l`: nothing to draw
	}
	const first = Number.parseInt(parameters.split(';')[0] ?? '', 10);
	const count = Number.isNaN(first) || first === 0 ? 1 : first;
	switch (final) {
		case 'K':
			if (Number.isNaN(first) || first === 0) {
				line.eraseToEnd();
			} else if (first === 1) {
				line.eraseToCursor();
			} else {
				line.eraseAll();
			}
			break;
		case 'D':
			line.column = Math.max(0, line.column - count);
			break;
		case 'C':
			line.column += count;
			break;
		case 'G':
			line.column = count - 1;
			break;
		default:
			break;
	}
}

/**
 * Renders terminal output to plain text with LF line ends: replays carriage returns, backspaces
 * (so `_\bX` overstrikes and pager erasures disappear) and the line-editing CSI sequences
 * (`K`, `D`, `C`, `G`); drops every other escape sequence and control character except tab.
 * Lines that were drawn over lose their trailing blanks. An unfinished escape sequence at the end
 * is dropped, so the function can be re-run as more output arrives.
 */
export function renderTerminalText(raw: string): string {
	const lines: string[] = [];
	let line = new LineBuffer();
	let index = 0;
	while (index < raw.length) {
		const char = raw[index] as string;
		if (char === '\n') {
			lines.push(line.text());
			line = new LineBuffer();
			index++;
		} else if (char === '\r') {
			if (raw[index + 1] !== '\n') {
				line.column = 0;
			}
			index++;
		} else if (char === '\b') {
			line.column = Math.max(0, line.column - 1);
			index++;
		} else if (char === ESC || char === CSI_8BIT) {
			const end = escapeSequenceEnd(raw, index);
			if (end === undefined) {
				break;
			}
			const sequence = raw.slice(index, end);
			if (char === CSI_8BIT || sequence[1] === '[') {
				applyControlSequence(line, sequence);
			}
			index = end;
		} else if (char === '\t' || char.charCodeAt(0) >= 0x20) {
			if (char !== '\u007f') {
				line.write(char);
			}
			index++;
		} else {
			index++; // BEL, NUL and the other C0 controls draw nothing
		}
	}
	lines.push(line.text());
	return lines.join('\n');
}

/** The text after the last LF. */
export function lastLine(text: string): string {
	return text.slice(text.lastIndexOf('\n') + 1);
}

/**
 * Where `pattern` matches at the end of `line` (trailing blanks allowed), or `undefined`.
 * Only the last line is examined, so a `$` in the pattern means "end of the buffer" whatever its flags.
 */
export function matchAtEnd(line: string, pattern: RegExp): { index: number; text: string } | undefined {
	// Global so that every match start is tried: an unanchored pattern may also match earlier in the line.
	const regex = new RegExp(pattern.source, `${pattern.flags.replace(/[gy]/g, '')}g`);
	const trimmed = line.trimEnd();
	for (const candidate of trimmed === line ? [line] : [line, trimmed]) {
		regex.lastIndex = 0;
		for (let match = regex.exec(candidate); match; match = regex.exec(candidate)) {
			const end = match.index + match[0].length;
			if (candidate.slice(end).trim() === '') {
				return { index: match.index, text: match[0] };
			}
			regex.lastIndex = match.index + 1;
		}
	}
	return undefined;
}

/** The prompt the buffer ends with (matched by the driver's pattern on the last line), or `undefined`. */
export function promptAtEnd(text: string, prompt: RegExp): string | undefined {
	const line = lastLine(text);
	return matchAtEnd(line, prompt) ? line.trimEnd() : undefined;
}

function isEchoOf(line: string, command: string): boolean {
	const echoed = line.trim();
	const wanted = command.trim();
	if (wanted === '') {
		return echoed === '';
	}
	return echoed === wanted || echoed.endsWith(wanted);
}

/**
 * A command's output from the rendered text of one exchange: drops the echoed command line (if the
 * device echoed it) and the trailing prompt line, and one final newline.
 */
export function extractCommandOutput(text: string, command: string, prompt: RegExp): string {
	const lines = text.split('\n');
	if (lines.length > 0 && matchAtEnd(lines.at(-1) as string, prompt)) {
		lines.pop();
	}
	if (lines.length > 0 && isEchoOf(lines[0] as string, command)) {
		lines.shift();
	}
	return lines.join('\n');
}
