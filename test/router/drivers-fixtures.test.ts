import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandSlug, drivers, parsableCommands } from '../../source/router/drivers/index.js';

/**
 * NAPALM-style data-driven tests: test/fixtures/<vendor>/<command_slug>/<case>.txt is what the router
 * printed, <case>.json the ParseResult expected (checked by hand). Adding a case is adding two files.
 */
const root = join(import.meta.dirname, '..', 'fixtures');

describe.each(Object.keys(drivers))(
	'%s fixtures: each <command>/<case>.txt parses to <case>.json',
	(vendor) => {
		const fixtures = join(root, vendor);
		const commands = parsableCommands(vendor);

		it('has SOURCES.md, a folder for every command it parses and no folder without a command', () => {
			expect(existsSync(join(fixtures, 'SOURCES.md')), `${fixtures}/SOURCES.md`).toBe(true);
			const folders = readdirSync(fixtures, { withFileTypes: true })
				.filter((entry) => entry.isDirectory())
				.map((entry) => entry.name)
				.sort();
			expect(folders).toEqual(commands.map((command) => commandSlug(command.command)).sort());
		});

		for (const command of commands) {
			const folder = join(fixtures, commandSlug(command.command));
			const cases = existsSync(folder)
				? readdirSync(folder)
						.filter((name) => name.endsWith('.txt'))
						.map((name) => name.slice(0, -'.txt'.length))
						.sort()
				: [];

			describe(command.command, () => {
				it('has at least three cases', () => {
					expect(cases.length).toBeGreaterThanOrEqual(3);
				});

				it.each(cases)('%s', (name) => {
					const expectedPath = join(folder, `${name}.json`);
					expect(existsSync(expectedPath), `${expectedPath} is missing`).toBe(true);
					const output = readFileSync(join(folder, `${name}.txt`), 'utf8');
					const expected: unknown = JSON.parse(readFileSync(expectedPath, 'utf8'));
					expect(command.parse(output)).toStrictEqual(expected);
				});
			});
		}
	},
);
