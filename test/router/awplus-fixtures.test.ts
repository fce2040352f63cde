import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awplusDriver } from '../../source/router/drivers/awplus/index.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'awplus');
const slugOf = (command: string) => command.replaceAll(' ', '_');

describe('awplus fixtures: each <command>/<case>.txt parses to <case>.json', () => {
	it('has a fixture folder for every polled command and no folder without a command', () => {
		const folders = readdirSync(fixtures, { withFileTypes: true })
			.filter((entry) => entry.isDirectory())
			.map((entry) => entry.name)
			.sort();
		expect(folders).toEqual(awplusDriver.commands.map((command) => slugOf(command.command)).sort());
	});

	for (const command of awplusDriver.commands) {
		const folder = join(fixtures, slugOf(command.command));
		const cases = readdirSync(folder)
			.filter((name) => name.endsWith('.txt'))
			.map((name) => name.slice(0, -'.txt'.length))
			.sort();

		describe(command.command, () => {
			it.each(cases)('%s', (name) => {
				const expectedPath = join(folder, `${name}.json`);
				expect(existsSync(expectedPath), `${expectedPath} is missing`).toBe(true);
				const output = readFileSync(join(folder, `${name}.txt`), 'utf8');
				const expected: unknown = JSON.parse(readFileSync(expectedPath, 'utf8'));
				expect(command.parse(output)).toStrictEqual(expected);
			});
		});
	}
});

describe('awplus driver facts', () => {
	it.each([
		'awplus>',
		'awplus#',
		'ip-172-30-0-139>',
		'R10(config)#',
		'awplus(config-if)#',
		'vaa0(config-router-af)# ',
	])('recognises the prompt %j at the end of the output', (prompt) => {
		expect(awplusDriver.prompt.test(`show version\r\nsome output\r\n${prompt}`)).toBe(true);
	});

	it.each(['awplus#', 'R10(config)#', 'awplus(config-if)#'])('recognises %j as privileged', (prompt) => {
		expect(awplusDriver.privilegedPrompt?.test(`\r\n${prompt}`)).toBe(true);
	});

	it.each([
		'10.0.0.1     4 65000   26   26   7   0   0 00:11:33   5',
		"% Invalid input detected at '^' marker.",
		'Total number of neighbors 2',
		'awplus> show',
	])('does not take %j for a prompt', (line) => {
		expect(awplusDriver.prompt.test(`\r\n${line}`)).toBe(false);
	});

	it('answers --More-- and switches paging off with terminal length 0', () => {
		expect(awplusDriver.more?.test(' --More-- ')).toBe(true);
		expect(awplusDriver.pagingOff).toEqual(['terminal length 0']);
		expect(awplusDriver.enable).toBe('enable');
	});
});
