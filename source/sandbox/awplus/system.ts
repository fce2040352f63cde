/**
 * The life of one simulated AW+ appliance beyond its configuration: its flash (./flash.ts), the
 * release it runs and the one it boots next (`software-upgrade`), `reboot` (SSH drops, the server
 * stays down for a while, the router comes back with its startup configuration and the new release),
 * and the AMF Cloud fail-safe (install-guide section 8): when the appliance cannot reach AWS (eth0
 * shut) for the fail-safe period, it reboots with the default configuration and keeps the old one
 * as `default_backup.cfg`. State (release, next boot) persists beside the flash folder.
 */
import { existsSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Flash } from './flash.js';
import { RunningConfig } from './running-config.js';
import type { SandboxWorld, SimRouter } from './world.js';

export type SystemTimings = {
	/** How long `reboot` keeps the SSH server down. Default 3000 ms. */
	rebootDownMs: number;
	/** How long eth0 must stay shut before the fail-safe reboot (the real appliance: 5 minutes). */
	failSafeMs: number;
};

/** The release a fresh simulated appliance runs (the guide's upgrade goes to vaa-5.4.9-2.7.iso). */
export const INITIAL_RELEASE = 'vaa-5.4.9-2.6.iso';
/** Size given to the placeholder of the running release in flash (a sparse file: no disk used). */
const INITIAL_RELEASE_BYTES = 187_473_920;
/** ISO 9660: the primary volume descriptor at sector 16 starts with type 1 then `CD001`. */
export const ISO_MAGIC_OFFSET = 0x8001;
export const ISO_MAGIC = 'CD001';

/** The version a release file name carries: `vaa-5.4.9-2.7.iso` → `5.4.9-2.7`. */
export function releaseVersion(file: string): string | undefined {
	return /^(?:vaa|amfcloud|awplus)-(\d+\.\d+\.\d+-\d+\.\d+)\.iso$/i.exec(file)?.[1];
}

/** `bootedAt` persists: a sandbox restored in a new process stands for an appliance that kept running. */
type Persisted = { release: string; nextBoot?: string; bootedAt?: number };

/** What the restart of the router's SSH server needs (server.ts implements it). */
export type RestartableServer = {
	restart(options?: { downMs?: number; beforeListen?: () => void }): Promise<void>;
};

export type RouterSystemOptions = {
	world: SandboxWorld;
	/** The router's name in the world. */
	name: string;
	/** Folder for this router: `flash/` and `system.json` go inside. */
	dir: string;
	timings?: Partial<SystemTimings>;
};

export class RouterSystem {
	readonly flash: Flash;
	readonly timings: SystemTimings;
	private readonly world: SandboxWorld;
	private readonly name: string;
	private readonly stateFile: string;
	private state: Persisted;
	private server: RestartableServer | undefined;
	private rebooting: Promise<void> | undefined;
	private failSafeTimer: NodeJS.Timeout | undefined;
	private failSafeArmed = false;
	private readonly onConfig = (name: string) => {
		if (name === this.name) this.watchFailSafe();
	};

	constructor(options: RouterSystemOptions) {
		this.world = options.world;
		this.name = options.name;
		this.timings = { rebootDownMs: 3000, failSafeMs: 5 * 60_000, ...options.timings };
		this.flash = new Flash(join(options.dir, 'flash'));
		this.stateFile = join(options.dir, 'system.json');
		this.state = existsSync(this.stateFile)
			? (JSON.parse(readFileSync(this.stateFile, 'utf8')) as Persisted)
			: { release: INITIAL_RELEASE };
		if (!existsSync(this.stateFile)) this.placeRelease(INITIAL_RELEASE);
		if (this.state.bootedAt === undefined) this.state = { ...this.state, bootedAt: this.world.now() };
		this.save();
		this.world.on('config', this.onConfig);
	}

	/** The SSH server to drop and restart on reboot (without one, a reboot only resets the router). */
	attach(server: RestartableServer): void {
		this.server = server;
	}

	get release(): string {
		return this.state.release;
	}

	get version(): string {
		return releaseVersion(this.state.release) ?? this.state.release;
	}

	/** When the router last booted (world clock, ms): `show system`'s uptime counts from here. */
	get bootedAt(): number {
		return this.state.bootedAt ?? this.world.now();
	}

	get nextBoot(): string | undefined {
		return this.state.nextBoot;
	}

	get isRebooting(): boolean {
		return this.rebooting !== undefined;
	}

	/**
	 * `software-upgrade FILE` after the y: checks the file and makes it the release of the next boot.
	 * Returns the AW+ error lines when the file cannot be installed.
	 */
	checkRelease(file: string): { ok: true; name: string; version: string } | { ok: false; lines: string[] } {
		const entry = this.flash.stat(file);
		if (!entry) return { ok: false, lines: [`% ${file}: No such file or directory`] };
		const version = releaseVersion(entry.name);
		if (!version) {
			return {
				ok: false,
				lines: [`% ${entry.name} is not a release file for this device (expected vaa-<version>.iso).`],
			};
		}
		const head =
			entry.size > ISO_MAGIC_OFFSET + ISO_MAGIC.length
				? this.flash.head(entry.name, ISO_MAGIC_OFFSET + 5)
				: undefined;
		if (!head || head.subarray(ISO_MAGIC_OFFSET).toString('latin1') !== ISO_MAGIC) {
			return {
				ok: false,
				lines: [`% Release file ${entry.name} is corrupt or incomplete: installation aborted.`],
			};
		}
		return { ok: true, name: entry.name, version };
	}

	install(file: string): void {
		this.state = { ...this.state, nextBoot: file };
		this.save();
	}

	/** Reboots: the SSH server drops every connection, stays down, and the router comes back. */
	reboot(options: { failSafe?: boolean } = {}): Promise<void> {
		if (this.rebooting) return this.rebooting;
		const failSafe = options.failSafe === true || this.failSafeArmed;
		this.failSafeArmed = false;
		this.rebooting = this.doReboot(failSafe).finally(() => {
			this.rebooting = undefined;
		});
		return this.rebooting;
	}

	/** The next reboot comes back in fail-safe (tests: an upgrade whose appliance then loses AWS). */
	armFailSafe(): void {
		this.failSafeArmed = true;
	}

	/** The fail-safe at once (tests and the sandbox): reboot with the default configuration. */
	failSafe(): Promise<void> {
		return this.reboot({ failSafe: true });
	}

	close(): void {
		clearTimeout(this.failSafeTimer);
		this.failSafeTimer = undefined;
		this.world.off('config', this.onConfig);
	}

	/** `default.cfg` written from the startup configuration when the flash has none yet. */
	ensureBootConfig(router: SimRouter): void {
		if (!this.flash.stat('default.cfg')) this.savedStartup(router);
	}

	/** `write memory`: the boot configuration file follows the startup configuration. */
	savedStartup(router: SimRouter): void {
		this.flash.writeText('default.cfg', `${[...router.startupConfig.render(), 'end'].join('\n')}\n`);
	}

	private watchFailSafe(): void {
		const router = this.world.getRouter(this.name);
		const eth0 = router?.config.childrenAt(['interface eth0']);
		const cutOff = eth0?.some((node) => node.line === 'shutdown') === true;
		if (cutOff && !this.failSafeTimer) {
			this.failSafeTimer = setTimeout(() => {
				this.failSafeTimer = undefined;
				void this.failSafe();
			}, this.timings.failSafeMs);
			this.failSafeTimer.unref();
		} else if (!cutOff && this.failSafeTimer) {
			clearTimeout(this.failSafeTimer);
			this.failSafeTimer = undefined;
		}
	}

	private async doReboot(failSafe: boolean): Promise<void> {
		clearTimeout(this.failSafeTimer);
		this.failSafeTimer = undefined;
		const router = this.world.getRouter(this.name);
		if (!router) return;
		const spec = { name: router.name, publicIp: router.publicIp, privateIp: router.privateIp };
		let next: RunningConfig;
		if (failSafe) {
			const old =
				this.flash.readText('default.cfg') ?? `${[...router.startupConfig.render(), 'end'].join('\n')}\n`;
			this.flash.writeText('default_backup.cfg', old);
			next = RunningConfig.parse([
				`hostname ip-${router.privateIp.replaceAll('.', '-')}`,
				'interface eth0',
				' ip address dhcp',
			]);
			this.flash.writeText('default.cfg', `${[...next.render(), 'end'].join('\n')}\n`);
		} else next = router.startupConfig.clone();
		if (this.state.nextBoot) {
			this.state = {
				release: this.state.nextBoot,
				...(this.state.bootedAt ? { bootedAt: this.state.bootedAt } : {}),
			};
			this.save();
		}
		this.world.removeRouter(this.name);
		const comeBack = () => {
			if (this.world.getRouter(this.name)) return;
			const back = this.world.addRouter({ ...spec, config: next.render() });
			back.startupConfig = next.clone();
			this.state = { ...this.state, bootedAt: back.bootedAt };
			this.save();
			this.world.configChanged(this.name);
		};
		if (this.server) await this.server.restart({ downMs: this.timings.rebootDownMs, beforeListen: comeBack });
		else {
			await new Promise((resolve) => setTimeout(resolve, this.timings.rebootDownMs));
			comeBack();
		}
	}

	/** A placeholder for a release already in flash: a sparse file with the ISO 9660 signature. */
	private placeRelease(name: string): void {
		const file = this.flash.pathOf(name);
		if (existsSync(file)) return;
		const header = Buffer.alloc(ISO_MAGIC_OFFSET + 5);
		header[ISO_MAGIC_OFFSET - 1] = 1;
		header.write(ISO_MAGIC, ISO_MAGIC_OFFSET, 'latin1');
		writeFileSync(file, header, { mode: 0o600 });
		// extend without writing: the rest reads as zeros and takes no disk space
		truncateSync(file, INITIAL_RELEASE_BYTES);
	}

	private save(): void {
		writeFileSync(`${this.stateFile}.tmp`, JSON.stringify(this.state), { mode: 0o600 });
		renameSync(`${this.stateFile}.tmp`, this.stateFile);
	}
}
