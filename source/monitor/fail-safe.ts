/**
 * Fail-safe detection for AW+ appliances (install-guide section 8, issue 5): the appliance rebooted
 * with its default configuration and kept the old one as `default_backup.cfg`.
 *
 * Cheap by design: nothing runs on ordinary polls. When the session (re)connects — a reboot always
 * drops SSH — one `show system` reads the uptime; only when the boot time is new (first contact, or
 * later than the one seen before: the router rebooted) does `dir default_backup.cfg` run, and only
 * when that file was written around this boot does `show running-config` run to see whether the
 * tunnels are gone. The verdict goes to the monitor's context (`configResetDetected`), where the pure
 * rule table (findings.ts) turns it into the finding.
 */
import { configResetDetected, parseDir, parseShowSystem } from '../router/drivers/awplus/system-info.js';
import type { CommandRunner } from './poller.js';
import type { MonitorContext } from './router-monitor.js';

/** How far two readings of the boot time (now minus uptime) may drift apart and still be one boot: uptime has 1 s steps and commands take time; a wrong "rebooted" costs only one more command. */
const SAME_BOOT_TOLERANCE_MS = 2000;
/** `default_backup.cfg` written this long before the boot still belongs to it (the fail-safe's own reboot). */
const BACKUP_BEFORE_BOOT_MS = 15 * 60_000;

export type FailSafeWatchOptions = {
	/** Where the verdict goes: `monitor.setContext`. */
	report: (patch: Pick<MonitorContext, 'configResetDetected'>) => void;
	/** The tunnel destinations the appliance should hold (the state file's pushed tunnels). */
	expectedTunnelDestinations?: readonly string[];
	now?: () => Date;
	commandTimeoutMs?: number;
};

export class FailSafeWatch {
	#bootedAt: number | undefined;
	#uptime: number | undefined;
	#checking: Promise<void> | undefined;
	#stopped = false;
	/** How many times `show system` was run (tests: the poll stays cheap). */
	checks = 0;
	readonly #onState = (state: string) => {
		if (state === 'ready') void this.check();
	};

	constructor(
		private readonly runner: CommandRunner,
		private readonly options: FailSafeWatchOptions,
	) {
		runner.on('state', this.#onState);
	}

	/** Checks now if connected (the session may have connected before the watch existed). */
	start(): void {
		if (this.runner.state === 'ready') void this.check();
	}

	/** One check (shared while in flight); never throws: a failed command leaves the verdict as it was. */
	check(): Promise<void> {
		if (this.#stopped) return Promise.resolve();
		this.#checking ??= this.#check()
			.catch(() => {})
			.finally(() => {
				this.#checking = undefined;
			});
		return this.#checking;
	}

	async #check(): Promise<void> {
		const run = (command: string) =>
			this.runner.run(
				command,
				this.options.commandTimeoutMs ? { timeoutMs: this.options.commandTimeoutMs } : {},
			);
		this.checks += 1;
		const system = parseShowSystem(await run('show system'));
		if (system.uptimeSeconds === undefined) return;
		const now = (this.options.now?.() ?? new Date()).getTime();
		const bootedAt = now - system.uptimeSeconds * 1000;
		const previous = this.#bootedAt;
		const previousUptime = this.#uptime;
		this.#bootedAt = bootedAt;
		this.#uptime = system.uptimeSeconds;
		// rebooted: the uptime went backwards, or the boot time moved later than reading noise allows
		const rebooted =
			previous === undefined ||
			(previousUptime !== undefined && system.uptimeSeconds < previousUptime) ||
			bootedAt > previous + SAME_BOOT_TOLERANCE_MS;
		if (!rebooted) return;
		// first contact or a reboot: was the configuration reset?
		const backup = parseDir(await run('dir default_backup.cfg')).find(
			(entry) => entry.name === 'default_backup.cfg',
		);
		const fresh =
			backup?.modified !== undefined && backup.modified.getTime() >= bootedAt - BACKUP_BEFORE_BOOT_MS;
		if (!backup || !fresh) {
			this.options.report({ configResetDetected: false });
			return;
		}
		const runningConfig = await run('show running-config');
		const expected = this.options.expectedTunnelDestinations;
		this.options.report({
			configResetDetected: configResetDetected({
				bootedAt: new Date(bootedAt),
				backup,
				runningConfig,
				...(expected && expected.length > 0 ? { expected: { tunnelDestinations: expected } } : {}),
			}),
		});
	}

	stop(): void {
		this.#stopped = true;
		this.runner.off('state', this.#onState);
	}
}
