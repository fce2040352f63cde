#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { toExit, UsageError } from './commands/errors.js';
import type { CommandIo } from './commands/io.js';
import { createTranslator, detectLang, isLang } from './i18n/index.js';

/** Argument parsing → commands; no logic of its own. Commands are imported lazily so `parse` stays fast. */

// The AWS SDK warns on every start under Node 20 about its future Node 22 floor; kakehashi supports
// Node 20 as it is, so that warning is noise for our users (the SDK's own switch turns it off).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const argv = process.argv.slice(2);
const langFlag = (() => {
	const index = argv.findIndex((arg) => arg === '--lang' || arg.startsWith('--lang='));
	if (index < 0) return undefined;
	const arg = argv[index] ?? '';
	return arg.includes('=') ? arg.split('=')[1] : argv[index + 1];
})();
const lang = detectLang(langFlag);
const t = createTranslator(lang);
const io: CommandIo = {
	stdout: process.stdout,
	stderr: process.stderr,
	stdin: process.stdin,
	t,
	lang,
	env: process.env,
	cwd: process.cwd(),
};

export type GlobalOptions = {
	sandbox?: boolean;
	region?: string;
	profile?: string;
	endpointUrl?: string;
	state: string;
	lang?: string;
	knownHosts?: string;
	acceptNewHostKey?: boolean;
};

const program = new Command('kakehashi')
	.description(t('cli.description'))
	.version('0.1.0')
	.option('--sandbox', 'use the built-in sandbox (EC2-compatible endpoint + simulated routers on 127.0.0.1)')
	.option('--region <region>', 'AWS region')
	.option('--profile <profile>', 'AWS profile from ~/.aws/config')
	.option('--endpoint-url <url>', 'EC2-compatible endpoint (LocalStack, moto, a running kakehashi sandbox)')
	.option('--state <file>', 'state file', './kakehashi.state.json')
	.addOption(new Option('--lang <lang>', 'ja or en (default from LANG)').choices(['ja', 'en']))
	.option('--known-hosts <file>', 'known_hosts file (default ~/.ssh/known_hosts)')
	.option('--accept-new-host-key', 'trust and record an unknown router host key (OpenSSH accept-new)')
	.option('--flow <flow>', 'start the wizard on this flow')
	.exitOverride()
	.configureOutput({ writeErr: (text) => process.stderr.write(text) })
	.action(async (options: GlobalOptions & { flow?: string }) => {
		const { wizardCommand } = await import('./commands/wizard.js');
		process.exitCode = await wizardCommand(options, io);
	});

program
	.command('sandbox')
	.description('start only the sandbox and print its endpoint and routers as one JSON line')
	.option('--port <n>', 'EC2 endpoint port (0 = any free port)', '0')
	.option('--router-port <n>', 'first SSH port of the simulated routers (0 = any free ports)', '0')
	.option('--dir <dir>', 'where the sandbox keeps its state and keys', '.kakehashi/sandbox')
	.action(async (options: { port: string; routerPort: string; dir: string }, command: Command) => {
		const { sandboxCommand } = await import('./commands/sandbox.js');
		process.exitCode = await sandboxCommand({ ...command.optsWithGlobals<GlobalOptions>(), ...options }, io);
	});

program
	.command('plan')
	.description('what apply would create, change or keep; creates nothing')
	.option('--answers <file>', 'answers file (YAML)')
	.option('--json', 'print JSON only')
	.action(async (options: { answers?: string; json?: boolean }, command: Command) => {
		const { planCommand } = await import('./commands/plan.js');
		process.exitCode = await planCommand({ ...command.optsWithGlobals<GlobalOptions>(), ...options }, io);
	});

program
	.command('apply')
	.description('apply a flow non-interactively; resumes where a previous run stopped')
	.option('--answers <file>', 'answers file (YAML)')
	.option('--yes', 'do not ask for confirmation')
	.option('--save-config', 'save the pushed router configurations to their startup configuration')
	.option('--json', 'print JSON only')
	.action(
		async (
			options: { answers?: string; yes?: boolean; saveConfig?: boolean; json?: boolean },
			command: Command,
		) => {
			const { applyCommand } = await import('./commands/apply.js');
			process.exitCode = await applyCommand({ ...command.optsWithGlobals<GlobalOptions>(), ...options }, io);
		},
	);

program
	.command('destroy')
	.description('delete, in reverse order, everything this tool created and recorded in the state file')
	.option('--yes', 'do not ask for confirmation')
	.option('--json', 'print JSON only')
	.action(async (options: { yes?: boolean; json?: boolean }, command: Command) => {
		const { destroyCommand } = await import('./commands/destroy.js');
		process.exitCode = await destroyCommand({ ...command.optsWithGlobals<GlobalOptions>(), ...options }, io);
	});

program
	.command('config')
	.description('print the router configuration for one side')
	.requiredOption('--vendor <vendor>', 'router vendor')
	.option('--answers <file>', 'answers file (YAML)')
	.option('--for <name>', 'which side: "appliance" or a peer name')
	.action(async (options: { vendor: string; answers?: string; for?: string }, command: Command) => {
		const { configCommand } = await import('./commands/config.js');
		process.exitCode = await configCommand({ ...command.optsWithGlobals<GlobalOptions>(), ...options }, io);
	});

program
	.command('monitor')
	.description('the live panel; without flags, the routers recorded in the state file')
	.option('--host <host>', 'router address')
	.option('--port <n>', 'SSH port (default 22, or Port from ~/.ssh/config)')
	.option('--user <user>', 'SSH user')
	.option('--identity <file>', 'private key file')
	.option('--vendor <vendor>', 'router vendor', 'awplus')
	.option('--interval <seconds>', 'poll interval in seconds', '5')
	.option('--once', 'poll once and exit')
	.option('--json', 'print the status snapshot as JSON')
	.option('--router <name>', 'only this router of the state file')
	.option('--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics, updated every poll')
	.action(async (options: Record<string, string | boolean | undefined>, command: Command) => {
		const { monitorCommand } = await import('./commands/monitor.js');
		process.exitCode = await monitorCommand({ ...command.optsWithGlobals<GlobalOptions>(), ...options }, io);
	});

program
	.command('parse')
	.description('parse router output given on stdin into the status schema')
	.requiredOption('--vendor <vendor>', 'router vendor')
	.requiredOption('--command <command>', 'the show command that produced the output')
	.option('--json', 'print JSON (the default)')
	.action(async (options: { vendor: string; command: string; json?: boolean }) => {
		const { parseCommand } = await import('./commands/parse.js');
		process.exitCode = await parseCommand(options, io);
	});

// — least-privilege IAM policy (kakehashi policy)
program
	.command('policy')
	.description('print the least-privilege IAM policy document of a flow (JSON)')
	.option('--flow <flow>', 'single-appliance, single-aws-vpn or multi-tenant')
	.option('--with-image-import', 'add what the AMI import (kakehashi image import) needs')
	.option('--json', 'print the JSON document only (compact)')
	.action(async (options: { flow?: string; withImageImport?: boolean; json?: boolean }, command: Command) => {
		const { policyCommand } = await import('./commands/policy.js');
		// `--flow` is also the wizard's global option: commander may hand it to the program instead
		const globals = command.optsWithGlobals<GlobalOptions & { flow?: string }>();
		process.exitCode = await policyCommand(
			{ ...globals, ...options, flow: options.flow ?? globals.flow },
			io,
		);
	});

// — appliance upkeep (kakehashi upgrade / kakehashi backup)
program
	.command('upgrade')
	.description('copy a release ISO to the appliance, software-upgrade, reboot, verify the version')
	.option('--iso <file>', 'the release file (vaa-<version>.iso)')
	.option('--router <name>', 'the router of the state file (default: the appliance)')
	.option('--host <host>', 'router address (instead of the state file)')
	.option('--port <n>', 'SSH port (default 22)')
	.option('--user <user>', 'SSH user (default manager)')
	.option('--identity <file>', 'private key file')
	.option('--timeout <seconds>', 'how long to wait for SSH after the reboot', '900')
	.option('--yes', 'do not ask; also saves unsaved running configuration before the reboot')
	.option('--json', 'print the result as JSON')
	.action(async (options: Record<string, string | boolean | undefined>, command: Command) => {
		const { upgradeCommand } = await import('./commands/upgrade.js');
		process.exitCode = await upgradeCommand({ ...command.optsWithGlobals<GlobalOptions>(), ...options }, io);
	});

program
	.command('backup')
	.description('CreateImage of the appliance instance (dated name), wait until available')
	.option('--router <name>', 'the appliance of the state file (default: the one with an instance)')
	.option('--reboot', 'let AWS reboot the instance for a consistent image (tunnels stop meanwhile)')
	.option('--timeout <seconds>', 'how long to wait for the image to be available', '3600')
	.option('--json', 'print {"imageId","name"} as JSON')
	.action(
		async (
			options: { router?: string; json?: boolean; reboot?: boolean; timeout?: string },
			command: Command,
		) => {
			const { backupCommand } = await import('./commands/backup.js');
			process.exitCode = await backupCommand({ ...command.optsWithGlobals<GlobalOptions>(), ...options }, io);
		},
	);

// — AMI import (kakehashi image import)
program
	.command('image')
	.description('the appliance machine image (AMI)')
	.command('import')
	.description(
		'build an AMI from the vendor VHD: S3 upload (resumable), vmimport role, ImportSnapshot, RegisterImage',
	)
	.option('--vhd <file>', 'the vendor VHD (e.g. vaa-5.4.9-2.6.vhd)')
	.option('--name <name>', 'the AMI name (e.g. vaa-5.4.9)')
	.option('--bucket <bucket>', 'upload bucket (default kakehashi-<account>-<region>; created if missing)')
	.option('--stack <name>', 'stack tag for a new state file (default: the state file’s, else amf-cloud)')
	.option('--json', 'print {"imageId","snapshotId","importTaskId","bucket"} as JSON')
	.action(async (options: Record<string, string | boolean | undefined>, command: Command) => {
		const { imageImportCommand } = await import('./commands/image.js');
		process.exitCode = await imageImportCommand(
			{ ...command.optsWithGlobals<GlobalOptions>(), ...options },
			io,
		);
	});

async function main(): Promise<number> {
	if (langFlag !== undefined && !isLang(langFlag)) {
		throw new UsageError(`--lang: "${langFlag}" must be ja or en.`);
	}
	try {
		await program.parseAsync(process.argv);
		return typeof process.exitCode === 'number' ? process.exitCode : 0;
	} catch (error) {
		if (error instanceof CommanderError) {
			// help and version are not errors; commander already printed its message
			if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
			return 2;
		}
		throw error;
	}
}

main()
	.then((code) => {
		process.exitCode = code;
	})
	.catch((error: unknown) => {
		const { code, message } = toExit(t, error);
		process.stderr.write(`${message}\n`);
		if (process.env.KAKEHASHI_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
		process.exitCode = code;
	});
