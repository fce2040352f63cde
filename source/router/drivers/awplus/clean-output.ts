/**
 * Turns what an SSH shell captured into the lines a person would have read on the terminal:
 * ANSI escapes removed, carriage returns and backspaces applied as a terminal applies them (that is
 * how a `--More--` prompt gets erased), leftover pager prompts removed, and the echoed command line and
 * the trailing prompt dropped. Pure; never throws.
 */

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), the two-character escapes terminals get from
// CLIs (save/restore cursor, keypad modes, index, reset), and finally a stray ESC on its own.
const ANSI_ESCAPE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[78=>cDEHM]?/g;
// C0 controls other than TAB, LF, CR and BS, plus DEL.
const OTHER_CONTROLS = /[\x00-\x07\x0b\x0c\x0e-\x1f\x7f]/g;
const PAGER_AT_START = /^\s*<?-{2,}\s*More\s*-{2,}>?\s*/i;
const PAGER_INSIDE = /\s*<?-{2,}\s*More\s*-{2,}>?\s*/gi;

/**
 * A prompt, possibly followed by the command the user typed: `awplus#`, `ip-172-30-0-139>`,
 * `R10(config)#`, `awplus(config-if)#show ip bgp summary`, `ubnt@host:~$ show ip bgp summary`.
 * Host part as in alliedtelesis/ansible_awplus's terminal plugin, widened with `@` and `~`.
 */
const PROMPT_LINE = /^(?:[\w+\-.:/[\]@~]+(?:\([^)]*\)){0,3}|(?:\([^)]*\)){1,3})[>#$] ?(?:[a-z].*)?$/i;
const ECHOED_COMMAND = /^(?:show|sh)\s+\S/i;

/** Applies CR (back to column 0) and BS (one column left) the way a terminal draws them. */
function drawLine(line: string): string {
	if (!line.includes('\r') && !line.includes('\b')) return line;
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
	if (!/More/i.test(line)) return line;
	return line.replace(PAGER_AT_START, '').replace(PAGER_INSIDE, ' ');
}

export function isPromptOrEcho(line: string): boolean {
	const trimmed = line.trim();
	if (trimmed === '') return false;
	return PROMPT_LINE.test(trimmed) || ECHOED_COMMAND.test(trimmed);
}

/** The visible lines of a captured output, trailing spaces removed; blank lines are kept. */
export function cleanOutputLines(raw: string): string[] {
	const text = String(raw).replace(ANSI_ESCAPE, '').replace(OTHER_CONTROLS, '');
	const lines: string[] = [];
	for (const physical of text.split(/\r*\n/)) {
		const visible = removePager(drawLine(physical)).replace(/\s+$/, '');
		if (isPromptOrEcho(visible)) continue;
		lines.push(visible);
	}
	while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
	return lines;
}

/** Whitespace-separated tokens of a line. */
export function tokensOf(line: string): string[] {
	const trimmed = line.trim();
	return trimmed === '' ? [] : trimmed.split(/\s+/);
}
