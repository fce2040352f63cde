/**
 * `kakehashi upgrade --iso FILE`: the install guide's firmware update (section 8) as one command.
 * Check the file is a release (ISO 9660, not the VHD), connect as `monitor` does, check the flash,
 * copy over SFTP with progress, verify the copy, `software-upgrade` (answering y), `reboot`, wait for
 * SSH to come back, verify the version, and say plainly when the appliance came back in fail-safe
 * with a reset configuration.
 *
 * Verifying the copy: AW+ has no command we could confirm that prints a file's digest, so the file is
 * read back over SFTP and its SHA-256 compared with the local one. That costs a second transfer but
 * checks what the flash really holds, on any SFTP server, with no router command whose output might
 * differ between releases; the size is compared first (STAT), which catches a cut copy at once.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, resolve } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { GlobalOptions } from '../cli.js';
import { loadState, type RouterRecord } from '../flow/state.js';
import {
	describeSessionError,
	type HostKeyPolicy,
	type RouterTarget,
	resolveTargets,
} from '../monitor/connect.js';
import {
	configResetDetected,
	isIso9660,
	isVhdFooter,
	parseDir,
	parseFlashFree,
	parseShowSystem,
	tunnelDestinations,
	tunnelInterfaces,
} from '../router/drivers/awplus/system-info.js';
import { resolveSshHost } from '../router/ssh-config.js';
import { ApplianceConnection } from './appliance-ssh.js';
import { openBackend } from './backend.js';
import { confirm } from './confirm.js';
import { OperationError, UsageError } from './errors.js';
import { applianceHostKeyPolicy } from './host-key-policy.js';
import { type CommandIo, printJson } from './io.js';

export type UpgradeCommandOptions = GlobalOptions & {
	iso?: string;
	router?: string;
	host?: string;
	port?: string;
	user?: string;
	identity?: string;
	yes?: boolean;
	json?: boolean;
	/** Seconds to wait for SSH after the reboot (default 900). */
	timeout?: string;
};

export type UpgradeResult = {
	router: string;
	previousVersion: string | undefined;
	version: string | undefined;
	file: string;
	failSafe: boolean;
};

/** `vaa-5.4.9-2.7.iso` → `5.4.9-2.7` (the release's version, as `show system` prints it). */
export function releaseVersionOf(file: string): string | undefined {
	return /^(?:vaa|amfcloud|awplus)-(\d+\.\d+\.\d+-\d+\.\d+)\.iso$/i.exec(file)?.[1];
}

export type ReleaseFileCheck = { ok: true; size: number } | { ok: false; reason: 'vhd' | 'not-iso' | 'name' };

/** Pure: is this a release file? `head` holds at least the first 0x8006 bytes, `tail` the last 512. */
export function checkReleaseFile(name: string, size: number, head: Buffer, tail: Buffer): ReleaseFileCheck {
	if (isVhdFooter(tail) || isVhdFooter(head)) return { ok: false, reason: 'vhd' };
	if (!isIso9660(head)) return { ok: false, reason: 'not-iso' };
	if (!/^[\w.~@#$%^&()+{}=-]{1,64}$/.test(name)) return { ok: false, reason: 'name' };
	return { ok: true, size };
}

async function readEnds(file: string, size: number): Promise<{ head: Buffer; tail: Buffer }> {
	const handle = await open(file, 'r');
	try {
		const head = Buffer.alloc(Math.min(size, 0x8006));
		await handle.read(head, 0, head.length, 0);
		const tail = Buffer.alloc(Math.min(size, 512));
		await handle.read(tail, 0, tail.length, Math.max(0, size - tail.length));
		return { head, tail };
	} finally {
		await handle.close();
	}
}

function sha256File(file: string): Promise<string> {
	return new Promise((done, fail) => {
		const hash = createHash('sha256');
		createReadStream(file)
			.on('data', (chunk) => hash.update(chunk))
			.on('end', () => done(hash.digest('hex')))
			.on('error', fail);
	});
}

export function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	const units = ['KiB', 'MiB', 'GiB', 'TiB'];
	let value = bytes / 1024;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit += 1;
	}
	return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function formatSeconds(seconds: number): string {
	if (!Number.isFinite(seconds)) return '--:--';
	const whole = Math.max(0, Math.round(seconds));
	const minutes = Math.floor(whole / 60);
	return `${String(minutes).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}

/** Byte progress on stderr: a rewritten line on a terminal, a line every few seconds otherwise. */
export function byteProgress(io: CommandIo, label: string, total: number): (done: number) => void {
	const started = Date.now();
	const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
	let lastPrinted = 0;
	let ended = false;
	return (done) => {
		const now = Date.now();
		const finished = done >= total;
		if (ended || (!finished && now - lastPrinted < (tty ? 200 : 3000))) return;
		lastPrinted = now;
		ended = finished;
		const seconds = Math.max(0.001, (now - started) / 1000);
		const rate = done / seconds;
		const eta = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
		const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
		const line = io.t('upgrade.progress', {
			label,
			percent,
			done: formatBytes(done),
			total: formatBytes(total),
			rate: `${formatBytes(rate)}/s`,
			eta: formatSeconds(finished ? 0 : eta),
		});
		io.stderr.write(tty ? `\r${line}${finished ? '\n' : ''}` : `${line}\n`);
	};
}

/**
 * SHA-256 of a remote file read over SFTP with many reads in flight (a sequential read stream waits
 * a round trip per 64 KiB); chunks are hashed in order as they arrive.
 */
export async function sftpDigest(
	sftp: SFTPWrapper,
	path: string,
	size: number,
	onProgress: (done: number) => void,
): Promise<string> {
	const handle = await new Promise<Buffer>((done, fail) =>
		sftp.open(path, 'r', (error, opened) => (error ? fail(error) : done(opened))),
	);
	const hash = createHash('sha256');
	const chunk = 32 * 1024;
	const depth = 64;
	try {
		await new Promise<void>((done, fail) => {
			const arrived = new Map<number, Buffer>();
			let next = 0;
			let hashed = 0;
			let inFlight = 0;
			let failed = false;
			const readAt = (position: number, length: number) => {
				inFlight += 1;
				const buffer = Buffer.alloc(length);
				sftp.read(handle, buffer, 0, length, position, (error, bytesRead) => {
					inFlight -= 1;
					if (failed) return;
					if (error || bytesRead === 0) {
						failed = true;
						fail(error ?? new Error(`${path} ended at ${position} bytes, expected ${size}`));
						return;
					}
					arrived.set(position, buffer.subarray(0, bytesRead));
					if (bytesRead < length) readAt(position + bytesRead, length - bytesRead);
					for (let piece = arrived.get(hashed); piece; piece = arrived.get(hashed)) {
						arrived.delete(hashed);
						hash.update(piece);
						hashed += piece.length;
					}
					onProgress(hashed);
					pump();
				});
			};
			const pump = () => {
				while (!failed && inFlight < depth && next < size) {
					const length = Math.min(chunk, size - next);
					readAt(next, length);
					next += length;
				}
				if (!failed && hashed >= size && inFlight === 0) done();
			};
			pump();
		});
	} finally {
		await new Promise<void>((done) => sftp.close(handle, () => done()));
	}
	return hash.digest('hex');
}

function normalisedConfig(text: string): string {
	return text
		.split(/\r?\n/)
		.map((line) => line.trimEnd())
		.filter((line) => line.trim() !== '' && !line.trim().startsWith('!') && line.trim() !== 'end')
		.join('\n');
}

/** The router to upgrade: the flags, or the state file's appliance (the router with an instance). */
async function upgradeTarget(
	options: UpgradeCommandOptions,
	io: CommandIo,
): Promise<{ record: RouterRecord; fromState: boolean }> {
	if (options.host) {
		const alias = resolveSshHost(options.host);
		const user = options.user ?? alias.user ?? 'manager';
		const port = options.port === undefined ? (alias.port ?? 22) : Number(options.port);
		if (!Number.isInteger(port) || port < 1 || port > 65535)
			throw new UsageError(io.t('cli.positiveNumber', { flag: '--port', value: String(options.port) }));
		const identity = options.identity ?? alias.identityFiles[0];
		return {
			record: {
				name: options.host,
				host: alias.hostName,
				port,
				user,
				vendor: 'awplus',
				...(identity ? { identity } : {}),
			},
			fromState: false,
		};
	}
	const state = await loadState(options.state);
	const routers = state?.routers ?? [];
	const record = options.router
		? routers.find((router) => router.name === options.router)
		: (routers.find((router) => typeof router.instanceId === 'string') ??
			(routers.length === 1 ? routers[0] : undefined));
	if (!record) {
		throw new UsageError(
			options.router
				? io.t('upgrade.unknownRouter', {
						router: options.router,
						known: routers.map((router) => router.name).join(', ') || '-',
					})
				: io.t('upgrade.needsRouter'),
		);
	}
	if (record.vendor !== 'awplus')
		throw new UsageError(io.t('upgrade.notAwplus', { router: record.name, vendor: record.vendor }));
	return { record, fromState: true };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A release file on this machine, checked (`inspectReleaseFile`). */
export type ReleaseFile = { path: string; file: string; size: number; expectedVersion: string | undefined };

export type ReleaseInspection =
	| ({ ok: true } & ReleaseFile)
	| { ok: false; reason: 'missing' | 'vhd' | 'not-iso' | 'name' };

/** Reads the file's ends and applies `checkReleaseFile`: what the command and the panel refuse before connecting. */
export async function inspectReleaseFile(path: string): Promise<ReleaseInspection> {
	const fileStat = await stat(path).catch(() => undefined);
	if (!fileStat?.isFile()) return { ok: false, reason: 'missing' };
	const file = basename(path);
	const ends = await readEnds(path, fileStat.size);
	const check = checkReleaseFile(file, fileStat.size, ends.head, ends.tail);
	if (!check.ok) return { ok: false, reason: check.reason };
	return { ok: true, path, file, size: fileStat.size, expectedVersion: releaseVersionOf(file) };
}

/** What `runUpgrade` is doing, for a progress line (the command) or the panel's dialog. */
export type UpgradeEvent =
	| { step: 'copy' | 'verify'; done: number; total: number; startedAt: number }
	| { step: 'already-there' | 'saved' | 'unsaved-kept' | 'installing' | 'installed' | 'rebooting' }
	| { step: 'verified'; digest: string }
	| { step: 'waiting'; seconds: number }
	| { step: 'checking' };

/** The router read before anything changes: shown before the user confirms. */
export type PreparedUpgrade = {
	target: RouterTarget;
	release: ReleaseFile;
	previousVersion: string | undefined;
	/** The running configuration differs from the saved one (the reboot would lose the difference). */
	unsaved: boolean;
	/** Closes the connection when the user declines. */
	cancel(): void;
	/** Copy, verify, install, reboot, wait, check. `ask` answers the save and install questions. */
	run(options: UpgradeRunOptions): Promise<UpgradeOutcome>;
};

export type UpgradeRunOptions = {
	ask: (question: 'save' | 'install') => Promise<boolean>;
	onEvent: (event: UpgradeEvent) => void;
	/** Seconds to wait for SSH after the reboot. */
	waitSeconds: number;
};

export type UpgradeOutcome = UpgradeResult & { expectedVersion: string | undefined; versionOk: boolean };

type Translate = CommandIo['t'];

async function openFor(
	t: Translate,
	target: RouterTarget,
	policy: HostKeyPolicy,
	readyTimeoutMs?: number,
): Promise<ApplianceConnection> {
	try {
		return await ApplianceConnection.open(target, policy, readyTimeoutMs ? { readyTimeoutMs } : {});
	} catch (error) {
		const message = describeSessionError(t, target, error);
		throw Object.assign(new OperationError(message), {
			hostKey: (error as { code?: string }).code === 'host-key-rejected',
		});
	}
}

/**
 * Connects and reads the router (version, configurations, flash), refusing when the release does not
 * fit. The returned `run` does the rest; the command and the live panel both go through here.
 */
export async function prepareUpgrade(
	t: Translate,
	target: RouterTarget,
	policy: HostKeyPolicy,
	release: ReleaseFile,
): Promise<PreparedUpgrade> {
	const { file } = release;
	let connection: ApplianceConnection | undefined = await openFor(t, target, policy);
	try {
		const before = parseShowSystem(await connection.command('show system'));
		const beforeConfig = await connection.command('show running-config');
		const startupConfig = await connection.command('show startup-config');
		const existing = parseDir(await connection.command(`dir ${file}`)).find((entry) => entry.name === file);
		const free = parseFlashFree(await connection.command('show file systems'));
		const needed = release.size - (existing?.size ?? 0);
		if (free !== undefined && needed > free) {
			throw new OperationError(
				t('upgrade.noSpace', {
					need: formatBytes(release.size),
					free: formatBytes(free),
					router: target.name,
				}),
			);
		}
		const prepared: PreparedUpgrade = {
			target,
			release,
			previousVersion: before.version,
			unsaved: normalisedConfig(beforeConfig) !== normalisedConfig(startupConfig),
			cancel: () => {
				connection?.close();
				connection = undefined;
			},
			run: async ({ ask, onEvent, waitSeconds }) => {
				try {
					if (!connection) throw new OperationError(t('upgrade.cancelled', { file }));
					const after = await upgradeOver(t, connection, prepared, existing?.size, beforeConfig, {
						ask,
						onEvent,
						waitSeconds,
						reconnect: async () => {
							connection = await openFor(t, target, policy, 15_000);
							return connection;
						},
						disconnected: () => {
							connection = undefined;
						},
					});
					const versionOk =
						release.expectedVersion === undefined || after.version === release.expectedVersion;
					return {
						router: target.name,
						previousVersion: before.version,
						version: after.version,
						file,
						failSafe: after.failSafe,
						expectedVersion: release.expectedVersion,
						versionOk,
					};
				} finally {
					prepared.cancel();
				}
			},
		};
		return prepared;
	} catch (error) {
		connection?.close();
		throw error;
	}
}

async function upgradeOver(
	t: Translate,
	connection: ApplianceConnection,
	prepared: PreparedUpgrade,
	existingSize: number | undefined,
	beforeConfig: string,
	options: UpgradeRunOptions & {
		reconnect: () => Promise<ApplianceConnection>;
		disconnected: () => void;
	},
): Promise<{ version: string | undefined; failSafe: boolean }> {
	const { target, release } = prepared;
	const { file, size } = release;
	const { onEvent } = options;
	// copy, unless the same file is already there (same size and digest)
	const localDigest = await sha256File(release.path);
	const sftp = await connection.sftp();
	const remoteDigest = async (): Promise<{ size: number; digest: string }> => {
		const remote = await new Promise<{ size: number }>((done, fail) =>
			sftp.stat(file, (error, stats) => (error ? fail(error) : done(stats))),
		);
		if (remote.size !== size) return { size: remote.size, digest: '' };
		const startedAt = Date.now();
		const digest = await sftpDigest(sftp, file, remote.size, (done) =>
			onEvent({ step: 'verify', done, total: remote.size, startedAt }),
		);
		onEvent({ step: 'verify', done: remote.size, total: remote.size, startedAt });
		return { size: remote.size, digest };
	};
	if (existingSize === size && (await remoteDigest()).digest === localDigest) {
		onEvent({ step: 'already-there' });
	} else {
		const startedAt = Date.now();
		await new Promise<void>((done, fail) =>
			sftp.fastPut(
				release.path,
				file,
				{ step: (transferred) => onEvent({ step: 'copy', done: transferred, total: size, startedAt }) },
				(error) => (error ? fail(error) : done()),
			),
		).catch((error: unknown) => {
			throw new OperationError(
				t('upgrade.copyFailed', { file, message: error instanceof Error ? error.message : String(error) }),
			);
		});
		onEvent({ step: 'copy', done: size, total: size, startedAt });
		const remote = await remoteDigest();
		if (remote.size !== size || remote.digest !== localDigest) {
			throw new OperationError(
				t('upgrade.verifyFailed', {
					file,
					localSize: size,
					remoteSize: remote.size,
					local: localDigest.slice(0, 16),
					remote: remote.digest.slice(0, 16) || '-',
				}),
			);
		}
		onEvent({ step: 'verified', digest: localDigest.slice(0, 16) });
	}
	sftp.end();

	// unsaved changes would be lost by the reboot
	if (prepared.unsaved) {
		if (await options.ask('save')) {
			const output = await connection.command('write memory');
			if (/^\s*%/m.test(output)) throw new OperationError(t('upgrade.saveFailed', { output: output.trim() }));
			onEvent({ step: 'saved' });
		} else onEvent({ step: 'unsaved-kept' });
	}

	if (!(await options.ask('install'))) throw new OperationError(t('upgrade.cancelled', { file }));
	onEvent({ step: 'installing' });
	const installed = await connection.command(`software-upgrade ${file}`, { answer: 'y', timeoutMs: 600_000 });
	if (/^\s*%/m.test(installed))
		throw new OperationError(t('upgrade.installFailed', { file, output: installed.trim() }));
	onEvent({ step: 'installed' });
	onEvent({ step: 'rebooting' });
	const rebootAt = Date.now();
	await connection.commandThatDisconnects('reboot');
	options.disconnected();

	// wait for SSH to come back
	const deadline = Date.now() + options.waitSeconds * 1000;
	let lastError: unknown;
	let lastNote = 0;
	let back: ApplianceConnection;
	for (;;) {
		await sleep(1000);
		try {
			back = await options.reconnect();
			break;
		} catch (error) {
			if ((error as { hostKey?: boolean }).hostKey) throw error;
			lastError = error;
		}
		if (Date.now() > deadline) {
			throw new OperationError(
				t('upgrade.notBack', {
					router: target.name,
					seconds: options.waitSeconds,
					message: lastError instanceof Error ? lastError.message : String(lastError),
				}),
			);
		}
		if (Date.now() - lastNote > 5000) {
			lastNote = Date.now();
			onEvent({ step: 'waiting', seconds: Math.round((Date.now() - rebootAt) / 1000) });
		}
	}
	onEvent({ step: 'checking' });
	const after = parseShowSystem(await back.command('show system'));
	const afterConfig = await back.command('show running-config');
	const backup = parseDir(await back.command('dir default_backup.cfg')).find(
		(entry) => entry.name === 'default_backup.cfg',
	);
	const bootedAt = new Date(Date.now() - (after.uptimeSeconds ?? 0) * 1000);
	const failSafe = configResetDetected({
		bootedAt,
		...(backup ? { backup } : {}),
		runningConfig: afterConfig,
		expected: {
			tunnelDestinations: tunnelDestinations(beforeConfig),
			hadTunnels: tunnelInterfaces(beforeConfig).length > 0,
		},
	});
	return { version: after.version, failSafe };
}

export async function upgradeCommand(options: UpgradeCommandOptions, io: CommandIo): Promise<number> {
	const { t } = io;
	if (!options.iso) throw new UsageError(t('upgrade.isoRequired'));
	const inspection = await inspectReleaseFile(resolve(io.cwd, options.iso));
	if (!inspection.ok) {
		throw new UsageError(
			inspection.reason === 'missing'
				? t('upgrade.isoMissing', { file: options.iso })
				: t(`upgrade.isoBad.${inspection.reason}`, { file: options.iso }),
		);
	}
	const { file } = inspection;
	const waitSeconds = options.timeout === undefined ? 900 : Number(options.timeout);
	if (!Number.isFinite(waitSeconds) || waitSeconds <= 0)
		throw new UsageError(t('cli.positiveNumber', { flag: '--timeout', value: String(options.timeout) }));

	const state = options.host ? undefined : await loadState(options.state);
	const backend = await openBackend(
		{ ...options, endpointUrl: options.endpointUrl ?? state?.endpoint },
		{ region: state?.region },
	);
	const interactive = !options.json && !options.yes;
	const policy = applianceHostKeyPolicy(options, io, interactive);
	let prepared: PreparedUpgrade | undefined;
	try {
		const { record } = await upgradeTarget(options, io);
		const [target] = resolveTargets([record], await backend.sandboxRouters()) as [RouterTarget];
		io.stderr.write(
			`${t('upgrade.connecting', { router: target.name, host: `${target.host}:${target.port}` })}\n`,
		);
		prepared = await prepareUpgrade(t, target, policy, inspection);
		const before = prepared.previousVersion;
		io.stderr.write(`${t('upgrade.current', { router: target.name, version: before ?? '?', file })}\n`);
		if (inspection.expectedVersion && before === inspection.expectedVersion)
			io.stderr.write(`${t('upgrade.sameVersion', { version: inspection.expectedVersion })}\n`);
		const progress: Partial<Record<'copy' | 'verify', (done: number) => void>> = {};
		const result = await prepared.run({
			waitSeconds,
			ask: async (question) => {
				if (options.yes) return true;
				if (!interactive) return false;
				return confirm(
					io,
					question === 'save'
						? t('upgrade.unsavedQuestion')
						: t('upgrade.confirm', { router: target.name, file }),
				);
			},
			onEvent: (event) => {
				if (event.step === 'copy' || event.step === 'verify') {
					progress[event.step] ??= byteProgress(
						io,
						event.step === 'copy' ? t('upgrade.copying', { file }) : t('upgrade.verifying'),
						event.total,
					);
					progress[event.step]?.(event.done);
					if (event.step === 'verify' && event.done >= event.total) delete progress.verify;
					return;
				}
				const line =
					event.step === 'already-there'
						? t('upgrade.alreadyThere', { file })
						: event.step === 'verified'
							? t('upgrade.verified', { file, digest: event.digest })
							: event.step === 'saved'
								? t('upgrade.saved')
								: event.step === 'unsaved-kept'
									? t('upgrade.unsavedKept')
									: event.step === 'installed'
										? t('upgrade.installed', { file })
										: event.step === 'rebooting'
											? t('upgrade.rebooting', { router: target.name })
											: event.step === 'waiting'
												? t('upgrade.waiting', { router: target.name, seconds: event.seconds })
												: undefined;
				if (line) io.stderr.write(`${line}\n`);
			},
		});
		if (result.failSafe) {
			io.stderr.write(
				`✗ ${t('finding.appliance.failsafe.message')}\n  ${t('finding.appliance.failsafe.hint')}\n`,
			);
		}
		const { expectedVersion, versionOk, ...json } = result;
		if (options.json) printJson(io, json);
		else if (versionOk)
			io.stdout.write(
				`${t('upgrade.done', { router: target.name, from: before ?? '?', to: result.version ?? '?' })}\n`,
			);
		if (!versionOk) {
			throw new OperationError(
				t('upgrade.versionMismatch', {
					router: target.name,
					version: result.version ?? '?',
					expected: expectedVersion ?? '?',
					file,
				}),
			);
		}
		return result.failSafe ? 1 : 0;
	} finally {
		prepared?.cancel();
		await backend.close();
	}
}

/** A typed path: `~` and `~/…` are the home directory, a relative path is from `cwd`. */
export function expandReleasePath(input: string, cwd: string, home: string): string {
	const path = input === '~' ? home : input.startsWith('~/') ? `${home}${input.slice(1)}` : input;
	return resolve(cwd, path);
}

/**
 * The live panel's `u`: the same steps as the command, for the panel's router `index`. `targetOf`
 * gives the router as the panel reached it (with the host key its session verified).
 */
export function panelUpgradeService(
	t: Translate,
	policy: HostKeyPolicy,
	targetOf: (index: number) => RouterTarget | undefined,
	cwd: string,
	waitSeconds = 900,
) {
	return {
		waitSeconds,
		inspect: (path: string) => inspectReleaseFile(expandReleasePath(path, cwd, homedir())),
		prepare: (index: number, release: ReleaseFile) => {
			const target = targetOf(index);
			if (!target) return Promise.reject(new OperationError(t('panel.upgradeUnavailable')));
			return prepareUpgrade(t, target, policy, release);
		},
	};
}
