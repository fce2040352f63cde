import { describe, expect, it } from 'vitest';
import {
	extractCommandOutput,
	lastLine,
	matchAtEnd,
	normaliseNewlines,
	promptAtEnd,
	renderTerminalText,
	stripAnsi,
} from '../../source/router/terminal-text.js';

describe('stripAnsi', () => {
	it.each([
		['colours', '\u001b[1;32mrouter\u001b[0m#', 'router#'],
		['erase line', 'text\u001b[K', 'text'],
		['private mode', '\u001b[?25lhidden cursor\u001b[?25h', 'hidden cursor'],
		['OSC title with BEL', '\u001b]0;router: ~\u0007prompt$', 'prompt$'],
		['OSC with ST', '\u001b]2;title\u001b\\after', 'after'],
		['charset selection', '\u001b(Bplain', 'plain'],
		['single-character escape', '\u001b7saved\u001b8', 'saved'],
		['8-bit CSI', '\u009b31mred', 'red'],
		['unfinished sequence at the end', 'text\u001b[3', 'text'],
		['plain text', 'no escapes here', 'no escapes here'],
	])('%s', (_name, input, expected) => {
		expect(stripAnsi(input)).toBe(expected);
	});
});

describe('normaliseNewlines', () => {
	it('turns CRLF and CR CR LF into LF and keeps lone CR', () => {
		expect(normaliseNewlines('a\r\nb\r\r\nc\nd\re')).toBe('a\nb\nc\nd\re');
	});
});

describe('renderTerminalText', () => {
	it.each([
		['CRLF', 'one\r\ntwo\r\n', 'one\ntwo\n'],
		['CR CR LF', 'one\r\r\ntwo', 'one\ntwo'],
		['bare LF', 'one\ntwo', 'one\ntwo'],
		['backspace overstrike (bold)', 'B\bBo\bol\bld\bd', 'Bold'],
		['backspace overstrike (underline)', '_\bu_\bn', 'un'],
		['typing correction', 'shwo\b \b\b \bow', 'show'],
		[
			'pager erased with backspaces',
			' --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bnext',
			'next',
		],
		['pager erased with CR and spaces', '--More--\r        \rnext line', 'next line'],
		['pager erased with ESC[K', '--More--\r\u001b[Knext', 'next'],
		['carriage return overwrite', 'progress 10%\rprogress 100%', 'progress 100%'],
		['cursor left then overwrite', 'abcdef\u001b[3Dxyz', 'abcxyz'],
		['cursor to column', 'abcdef\u001b[2Gz', 'azcdef'],
		['erase whole line', 'junk\u001b[2K\rclean', 'clean'],
		['colours stripped', '\u001b[33mline\u001b[0m\u001b[K\r\n', 'line\n'],
		['BEL and NUL dropped', 'a\u0007b\u0000c', 'abc'],
		['tabs kept', 'a\tb', 'a\tb'],
		['trailing blanks of untouched lines kept', 'router# ', 'router# '],
		['unfinished escape at the end', 'abc\u001b[', 'abc'],
		['non-ASCII text', 'つづく\r\n', 'つづく\n'],
	])('%s', (_name, input, expected) => {
		expect(renderTerminalText(input)).toBe(expected);
	});

	it('gives the same text whether output arrives whole or is re-rendered as it grows', () => {
		const raw =
			'show x\r\n\u001b[33mline\u001b[0m\r\n --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bend\r\nr# ';
		let grown = '';
		let rendered = '';
		for (const char of raw) {
			grown += char;
			rendered = renderTerminalText(grown);
		}
		expect(rendered).toBe(renderTerminalText(raw));
		expect(rendered).toBe('show x\nline\nend\nr# ');
	});
});

describe('matchAtEnd / promptAtEnd', () => {
	const prompt = /[\w.-]+(?:\([\w-]+\))?[>#]/;

	it('finds an unanchored prompt at the end of the last line, trailing blanks allowed', () => {
		expect(matchAtEnd('router# ', prompt)).toEqual({ index: 0, text: 'router#' });
		expect(matchAtEnd('router(config)#', prompt)).toEqual({ index: 0, text: 'router(config)#' });
	});

	it('ignores a match that is not at the end', () => {
		expect(matchAtEnd('router# show', prompt)).toBeUndefined();
	});

	it('finds a later match when an earlier one is not at the end', () => {
		expect(matchAtEnd('a> b> c#', /\w[>#]/)).toEqual({ index: 6, text: 'c#' });
	});

	it('honours anchors and ignores g/y flags', () => {
		expect(matchAtEnd('router# ', /^[\w-]+#$/gy)).toEqual({ index: 0, text: 'router#' });
		expect(matchAtEnd('x router#', /^[\w-]+#$/)).toBeUndefined();
	});

	it('only looks at the last line', () => {
		expect(promptAtEnd('router#\noutput', prompt)).toBeUndefined();
		expect(promptAtEnd('output\nrouter# ', prompt)).toBe('router#');
		expect(lastLine('a\nb')).toBe('b');
	});
});

describe('extractCommandOutput', () => {
	const prompt = /[\w.-]+(?:\([\w-]+\))?[>#]\s*$/;

	it('drops the echo and the prompt', () => {
		expect(extractCommandOutput('show ver\nVersion 1\nUptime 2\nrouter#', 'show ver', prompt)).toBe(
			'Version 1\nUptime 2',
		);
	});

	it('drops an echo that follows a reprinted prompt', () => {
		expect(extractCommandOutput('router#show ver\nVersion 1\nrouter#', 'show ver', prompt)).toBe('Version 1');
	});

	it('keeps the first line when the device did not echo', () => {
		expect(extractCommandOutput('Version 1\nrouter#', 'show ver', prompt)).toBe('Version 1');
	});

	it('gives an empty string for a command without output', () => {
		expect(extractCommandOutput('terminal length 0\nrouter#', 'terminal length 0', prompt)).toBe('');
	});

	it('keeps blank lines inside the output', () => {
		expect(extractCommandOutput('x\na\n\nb\n\nrouter#', 'x', prompt)).toBe('a\n\nb\n');
	});
});
