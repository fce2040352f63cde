/**
 * Turns what an SSH shell captured into the lines a person would have read on the terminal:
 * ANSI escapes removed, carriage returns and backspaces applied as a terminal applies them (that is
 * how a `--More--` prompt gets erased), leftover pager prompts removed, and the echoed command line and
 * the trailing prompt dropped. Shared by every vendor's parsers. Pure, linear in the input; never throws.
 */

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), the two-character escapes terminals get from
// CLIs (save/restore cursor, keypad modes, index, reset), and finally a stray ESC on its own.
const ANSI_ESCAPE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[78=>cDEHM]?/g;
// C0 controls other than TAB, LF, CR and BS, plus DEL.
const OTHER_CONTROLS = /[\x00-\x07\x0b\x0c\x0e-\x1f\x7f]/g;
// Cisco/AW+/NEC `--More--`, Junos `---(more)---` / `---(more 45%)---`.
const PAGER_AT_START = /^\s*<?-{2,}\s*\(?\s*more(?:\s+\d{1,3}%)?\s*\)?\s*-{2,}>?\s*/i;
const PAGER_INSIDE = /\s*<?-{2,}\s*\(?\s*more(?:\s+\d{1,3}%)?\s*\)?\s*-{2,}>?\s*/gi;

/**
 * A prompt, possibly followed by the command the user typed: `awplus#`, `ip-172-30-0-139>`,
 * `R10(config)#`, `awplus(config-if)#show ip bgp summary`, `ubnt@host:~$ show ip bgp summary`,
 * `root@srx> show bgp summary`, `[RTX1210] > show ipsec sa`.
 * Host part as in alliedtelesis/ansible_awplus's terminal plugin, widened with `@`, `~` and `[…] `.
 */
const PROMPT_LINE =
	/^(?:\[[\w.-]+\] ?|[\w+\-.:/[\]@~]+(?:\([^)]*\)){0,3}|(?:\([^)]*\)){1,3})[>#$%] ?(?:[a-z].*)?$/i;
/** A bare prompt character, or one followed by a command: `#`, `> show ipsec sa`, `$ swanctl --list-sas` (not `%`: Cisco errors start so). */
const BARE_PROMPT_LINE = /^[>#$](?: +[a-z].*)?$/i;
const ECHOED_COMMAND = /^(?:show|sh)\s+\S/i;

/** Applies CR (back to column 0) and BS (one column left) the way a terminal draws them. */
function drawLine(line: string): string {
	const cells: string[] = [];
	let column = 0;
	for (const character of line) {
		if (character === '\r') column = 0;
		else if (character === '\b') column = Math.max(0, column - 1);
		else {
			cells[column] = character;
			column += 1;
		}
	}
	return Array.from(cells, (cell) => cell ?? ' ').join('');
}

function removePager(line: string): string {
	if (!/more/i.test(line)) return line;
	return line.replace(PAGER_AT_START, '').replace(PAGER_INSIDE, ' ');
}

/**
 * Which of the slower steps a line needs: CR/BS replay, pager removal (a pager prompt has `--`), prompt
 * matching (every prompt has `>`, `#`, `$` or `%`). Most lines need none, and big outputs are tens of
 * thousands of lines. Native `includes` scans beat a character loop in JavaScript by far.
 */
function needsDrawing(line: string): boolean {
	return line.includes('\r') || line.includes('\b');
}

function hasPromptCharacter(line: string): boolean {
	return line.includes('#') || line.includes('>') || line.includes('$') || line.includes('%');
}

/** An echoed command starts with `sh` (`show …`, `sh ip bgp sum`), after any indentation. */
function startsWithSh(line: string): boolean {
	let at = 0;
	while (line.charCodeAt(at) === 32 || line.charCodeAt(at) === 9) at += 1;
	return (line.charCodeAt(at) | 32) === 115 && (line.charCodeAt(at + 1) | 32) === 104;
}

function matchesPrompt(line: string): boolean {
	const trimmed = line.trim();
	if (trimmed === '') return false;
	return PROMPT_LINE.test(trimmed) || BARE_PROMPT_LINE.test(trimmed) || ECHOED_COMMAND.test(trimmed);
}

export function isPromptOrEcho(line: string): boolean {
	return (hasPromptCharacter(line) || startsWithSh(line)) && matchesPrompt(line);
}

/** The controls `OTHER_CONTROLS` removes, one by one: `includes` is much faster than a class scan. */
const CONTROL_CHARACTERS = Array.from({ length: 32 }, (_, code) => String.fromCharCode(code))
	.filter((character) => !'\t\n\r\b\x1b'.includes(character))
	.concat('\x7f');

function hasOtherControl(text: string): boolean {
	for (const character of CONTROL_CHARACTERS) if (text.includes(character)) return true;
	return false;
}

/**
 * The ASCII characters a trimmed prompt line can start with: PROMPT_LINE's host part
 * (`[\w+\-.:/[\]@~]`), `(`, `[`, the bare prompt characters `> # $`, and `s` of an echoed `show`.
 */
const CAN_START_PROMPT: readonly boolean[] = Array.from({ length: 128 }, (_, code) =>
	/[\w+\-.:/[\]@~(>#$]/.test(String.fromCharCode(code)),
);

/**
 * A necessary condition for isPromptOrEcho on `text` from `start` to `end`, in one short scan without
 * calls: after the indentation, the line starts with `sh`, or its first word reaches a prompt character
 * or `(` (a prompt's host part has no spaces), or that word ends in `]` (`[RTX1210] >`). Any character
 * beyond ASCII answers yes, leaving the decision to the regular expressions. Most lines are rejected
 * at their first space. Reads the whole text, not a line cut from it: faster character access.
 */
function mayBePromptOrEcho(text: string, start: number, end: number): boolean {
	let at = start;
	while (at < end) {
		const code = text.charCodeAt(at);
		if (code !== 32 && code !== 9) break;
		at += 1;
	}
	if (at === end) return false;
	if (at + 1 < end && (text.charCodeAt(at) | 32) === 115 && (text.charCodeAt(at + 1) | 32) === 104)
		return true;
	const first = text.charCodeAt(at);
	// A line that starts with a prompt character is a prompt only as `#` alone or `# command`.
	if (first === 35 || first === 36 || first === 62) return at + 1 === end || text.charCodeAt(at + 1) === 32;
	if (first === 37) return false;
	// Any other ASCII character that no prompt starts with (`<UP,RUNNING>`, `!`, `*`, `=`…): not a prompt.
	if (first < 128 && !CAN_START_PROMPT[first]) return false;
	for (let index = at; index < end; index += 1) {
		const code = text.charCodeAt(index);
		// # $ % ( >
		if (code === 35 || code === 36 || code === 37 || code === 40 || code === 62 || code > 127) return true;
		if (code === 32 || code === 9) return text.charCodeAt(index - 1) === 93;
	}
	return false;
}

/** Whether trimEnd could change the line: it ends in white space (or a character beyond ASCII). */
function mayEndInSpace(code: number): boolean {
	return code === 32 || code === 9 || code > 127;
}

/** The steps for one line, in order: CR/BS replay, pager removal, trailing blanks; undefined for a prompt. */
function visibleLine(physical: string, hasCr: boolean, drawing: boolean, pager: boolean): string | undefined {
	let visible = physical;
	if (hasCr) {
		let end = visible.length;
		while (end > 0 && visible.charCodeAt(end - 1) === 13) end -= 1;
		if (end !== visible.length) visible = visible.slice(0, end);
	}
	if (drawing && needsDrawing(visible)) visible = drawLine(visible);
	if (pager && visible.includes('--')) visible = removePager(visible);
	if (visible.length > 0 && mayEndInSpace(visible.charCodeAt(visible.length - 1)))
		visible = visible.trimEnd();
	if (visible.length > 0 && mayBePromptOrEcho(visible, 0, visible.length) && isPromptOrEcho(visible))
		return undefined;
	return visible;
}

/**
 * The visible lines of a captured output, trailing spaces removed; blank lines are kept.
 * What a step needs (CR, BS, `--`) is looked for once in the whole text. Without CR or BS (the usual
 * case), lines are located in the text and checked there, and only kept lines are cut out of it; a
 * line that may need a step goes through visibleLine.
 */
export function cleanOutputLines(raw: string): string[] {
	let text = String(raw);
	if (text.includes('\x1b')) text = text.replace(ANSI_ESCAPE, '');
	if (hasOtherControl(text)) text = text.replace(OTHER_CONTROLS, '');
	const hasCr = text.includes('\r');
	const drawing = hasCr || text.includes('\b');
	const pager = text.includes('--');
	const lines: string[] = [];
	if (drawing) {
		for (const physical of text.split('\n')) {
			const visible = visibleLine(physical, hasCr, drawing, pager);
			if (visible !== undefined) lines.push(visible);
		}
	} else {
		const length = text.length;
		let nextDashes = pager ? text.indexOf('--') : -1;
		let start = 0;
		while (start <= length) {
			let end = text.indexOf('\n', start);
			if (end < 0) end = length;
			if (nextDashes >= 0 && nextDashes < start) nextDashes = text.indexOf('--', start);
			const slow =
				(nextDashes >= 0 && nextDashes < end) ||
				(end > start && mayEndInSpace(text.charCodeAt(end - 1))) ||
				mayBePromptOrEcho(text, start, end);
			if (!slow) lines.push(text.slice(start, end));
			else {
				const visible = visibleLine(text.slice(start, end), false, false, pager);
				if (visible !== undefined) lines.push(visible);
			}
			start = end + 1;
		}
	}
	let kept = lines.length;
	while (kept > 0 && lines[kept - 1] === '') kept -= 1;
	lines.length = kept;
	return lines;
}

/**
 * For parsers that walk a text's lines in place (indexOf) and clean them as they go, without
 * materialising them (cleanOutputLines on a big output is one string per line and an array to hold
 * them). First, whether the text needs a whole cleaning pass (escapes, controls, CR, BS): if so, walk
 * cleanOutputLines(text) instead.
 */
export function needsCleaningPass(text: string): boolean {
	return text.includes('\x1b') || text.includes('\r') || text.includes('\b') || hasOtherControl(text);
}

/**
 * Then, for a line of a text that needs no cleaning pass: the line is `text` from `start` to `end` (no
 * `\n`), `first` its first character that is not a space or a tab, `dashes` whether `--` occurs in it
 * (a pager prompt). Answers `null` when the line is shown as it stands (the usual case, decided
 * without cutting it out), otherwise what cleanOutputLines shows instead: the visible line, or
 * undefined for a line it drops (a prompt, an echoed command). Blank lines are left to the caller:
 * cleanOutputLines keeps them except at the end. `plainFirstWord` lets a parser that has already
 * recognised the line's first word say that it cannot start a prompt or an echoed command: ASCII
 * letters, digits and punctuation other than `# $ % ( > ]`, not starting with `sh` (a leading `#` is
 * fine when a letter follows it), followed by a space or the end of the line.
 */
export function cleanLineAt(
	text: string,
	start: number,
	end: number,
	first: number,
	dashes: boolean,
	plainFirstWord = false,
): string | undefined | null {
	if (
		!dashes &&
		!(end > start && mayEndInSpace(text.charCodeAt(end - 1))) &&
		(plainFirstWord || !mayBePromptOrEcho(text, first, end))
	)
		return null;
	const line = text.slice(start, end);
	const visible = visibleLine(line, false, false, dashes);
	return visible === line ? null : visible;
}

/** The lines of visibleLines: cleanOutputLines(raw), one at a time. */
class VisibleLineIterator implements IterableIterator<string> {
	readonly #text: string;
	/** Set when the text needs a whole cleaning pass: its lines, handed out in turn. */
	readonly #lines: string[] | undefined;
	#index = 0;
	#position = 0;
	#nextDashes: number;
	/** Blank lines seen and not handed out yet: only once a line that is not blank follows them. */
	#blanks = 0;
	#held: string | undefined;

	constructor(raw: string) {
		this.#text = String(raw);
		this.#lines = needsCleaningPass(this.#text) ? cleanOutputLines(this.#text) : undefined;
		this.#nextDashes = this.#lines ? -1 : this.#text.indexOf('--');
	}

	[Symbol.iterator](): IterableIterator<string> {
		return this;
	}

	next(): IteratorResult<string, undefined> {
		const line = this.nextLine();
		return line === undefined ? { value: undefined, done: true } : { value: line, done: false };
	}

	/** The next line, or undefined after the last: next() without a result object per line. */
	nextLine(): string | undefined {
		const lines = this.#lines;
		if (lines) {
			if (this.#index >= lines.length) return undefined;
			const line = lines[this.#index]!;
			this.#index += 1;
			return line;
		}
		if (this.#held !== undefined) {
			if (this.#blanks > 0) {
				this.#blanks -= 1;
				return '';
			}
			const held = this.#held;
			this.#held = undefined;
			return held;
		}
		const text = this.#text;
		const length = text.length;
		while (this.#position <= length) {
			const start = this.#position;
			let end = text.indexOf('\n', start);
			if (end < 0) end = length;
			this.#position = end + 1;
			if (end === start) {
				this.#blanks += 1;
				continue;
			}
			if (this.#nextDashes >= 0 && this.#nextDashes < start) this.#nextDashes = text.indexOf('--', start);
			let first = start;
			while (first < end && (text.charCodeAt(first) === 32 || text.charCodeAt(first) === 9)) first += 1;
			const visible = cleanLineAt(text, start, end, first, this.#nextDashes >= 0 && this.#nextDashes < end);
			const line = visible === null ? text.slice(start, end) : visible;
			if (line === undefined) continue;
			if (line === '') {
				this.#blanks += 1;
				continue;
			}
			if (this.#blanks > 0) {
				this.#held = line;
				this.#blanks -= 1;
				return '';
			}
			return line;
		}
		// Blank lines at the end are dropped, as cleanOutputLines drops them.
		return undefined;
	}
}

/** A reader of cleanOutputLines(raw)'s lines one at a time, for a `while` loop. */
export type VisibleLineReader = { nextLine(): string | undefined };

/**
 * visibleLines as a reader: `for (let line = reader.nextLine(); line !== undefined; line = reader.nextLine())`.
 * No iterator result object per line (big outputs are hundreds of thousands of lines).
 */
export function visibleLineReader(raw: string): VisibleLineReader {
	return new VisibleLineIterator(raw);
}

/**
 * The lines of cleanOutputLines(raw), produced as they are read instead of all at once: for a parser
 * that reads each line once, in order (`for (const line of visibleLines(output))`). Big outputs then
 * hold no array of every line, and each line's string is garbage as soon as the parser is done with
 * it (cheap to collect), where an array keeps all of them alive through the parse. Iterate once.
 */
export function visibleLines(raw: string): IterableIterator<string> {
	return new VisibleLineIterator(raw);
}

/**
 * Whether a UTF-16 code unit is white space as `\s` means it in a regular expression (the same set
 * String.prototype.trim removes).
 */
export function isWhiteSpaceCode(code: number): boolean {
	if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
	if (code < 160) return false;
	return (
		code === 160 ||
		code === 5760 ||
		(code >= 8192 && code <= 8202) ||
		code === 8232 ||
		code === 8233 ||
		code === 8239 ||
		code === 8287 ||
		code === 12288 ||
		code === 65279
	);
}

/**
 * `text.split(/\s+/)`, by one scan without the regular expression machinery: table rows are split by
 * the thousand in big outputs. Same result for any text (a leading or trailing blank gives an empty
 * first or last token, as split does).
 */
export function splitOnWhiteSpace(text: string): string[] {
	const length = text.length;
	const tokens: string[] = [];
	let start = 0;
	let index = 0;
	while (index < length) {
		if (!isWhiteSpaceCode(text.charCodeAt(index))) {
			index += 1;
			continue;
		}
		tokens.push(text.slice(start, index));
		index += 1;
		while (index < length && isWhiteSpaceCode(text.charCodeAt(index))) index += 1;
		start = index;
	}
	tokens.push(text.slice(start));
	return tokens;
}

/** The first character of a line that is not white space (as `trim` sees it), or -1 for a blank line. */
export function firstNonWhiteSpaceCode(line: string): number {
	const length = line.length;
	for (let index = 0; index < length; index += 1) {
		const code = line.charCodeAt(index);
		if (!isWhiteSpaceCode(code)) return code;
	}
	return -1;
}

/** `tokensOf(line)[0]` without splitting the rest of the line. */
export function firstToken(line: string): string | undefined {
	const length = line.length;
	let start = 0;
	while (start < length && isWhiteSpaceCode(line.charCodeAt(start))) start += 1;
	if (start === length) return undefined;
	let end = start + 1;
	while (end < length && !isWhiteSpaceCode(line.charCodeAt(end))) end += 1;
	return start === 0 && end === length ? line : line.slice(start, end);
}

/** Whitespace-separated tokens of a line. */
export function tokensOf(line: string): string[] {
	const trimmed = line.trim();
	return trimmed === '' ? [] : splitOnWhiteSpace(trimmed);
}

/** A line that is only a rule of dashes or equals signs (table separators, block separators). */
export function isRule(line: string): boolean {
	return /^\s*[-=]{3,}\s*$/.test(line);
}
