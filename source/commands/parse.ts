import { vendorNames } from '../flow/answers.js';
import { driverFor, drivers, parsableCommands } from '../router/drivers/index.js';
import type { ParseResult } from '../router/model.js';
import { UsageError } from './errors.js';
import { type CommandIo, printJson, readAll } from './io.js';

export type ParseOptions = { vendor: string; command: string; json?: boolean };

const normaliseCommand = (command: string) => command.trim().replace(/\s+/g, ' ').toLowerCase();

/** `kakehashi parse`: router output on stdin → the sections that command fills. Exit 0 for any input. */
export async function parseCommand(options: ParseOptions, io: CommandIo): Promise<number> {
	if (!(vendorNames as readonly string[]).includes(options.vendor)) {
		throw new UsageError(
			io.t('cli.unknownVendor', { value: options.vendor, allowed: vendorNames.join(', ') }),
		);
	}
	const driver = driverFor(options.vendor);
	if (!driver) {
		throw new UsageError(
			io.t('cli.vendorNotReady', { value: options.vendor, allowed: Object.keys(drivers).join(', ') }),
		);
	}
	const wanted = normaliseCommand(options.command);
	// Every command the driver parses, polled or not (e.g. Cisco's `show crypto session detail`).
	const commands = parsableCommands(options.vendor);
	const command = commands.find(
		(candidate) => normaliseCommand(candidate.command) === wanted || candidate.key === wanted,
	);
	if (!command) {
		throw new UsageError(
			io.t('cli.unknownCommand', {
				value: options.command,
				vendor: options.vendor,
				allowed: commands.map((candidate) => `"${candidate.command}"`).join(', '),
			}),
		);
	}
	const input = await readAll(io.stdin);
	let result: ParseResult;
	try {
		result = command.parse(input);
	} catch {
		result = { unparsed: input.split(/\r?\n/).filter((line) => line.trim() !== '') };
	}
	printJson(io, result);
	return 0;
}
