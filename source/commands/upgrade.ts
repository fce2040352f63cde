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
import { basename, resolve } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { GlobalOptions } from '../cli.js';
import { loadState, type RouterRecord, saveState } from '../flow/state.js';
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
import { type CommandIo, printJson } from './io.js';
import { passphraseAsker } from './passphrase.js';

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

async function pinInState(statePath: string, name: string, key: { type: string; fingerprint: string }) {
	const state = await loadState(statePath);
	if (!state) return;
	state.routers = state.routers.map((router) =>
		router.name === name && !router.hostKey ? { ...router, hostKey: key } : router,
	);
	await saveState(statePath, state);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function upgradeCommand(options: UpgradeCommandOptions, io: CommandIo): Promise<number> {
	const { t } = io;
	if (!options.iso) throw new UsageError(t('upgrade.isoRequired'));
	const isoPath = resolve(io.cwd, options.iso);
	const fileStat = await stat(isoPath).catch(() => undefined);
	if (!fileStat?.isFile()) throw new UsageError(t('upgrade.isoMissing', { file: options.iso }));
	const file = basename(isoPath);
	const ends = await readEnds(isoPath, fileStat.size);
	const check = checkReleaseFile(file, fileStat.size, ends.head, ends.tail);
	if (!check.ok) throw new UsageError(t(`upgrade.isoBad.${check.reason}`, { file: options.iso }));
	const expectedVersion = releaseVersionOf(file);
	const waitSeconds = options.timeout === undefined ? 900 : Number(options.timeout);
	if (!Number.isFinite(waitSeconds) || waitSeconds <= 0)
		throw new UsageError(t('cli.positiveNumber', { flag: '--timeout', value: String(options.timeout) }));

	const state = options.host ? undefined : await loadState(options.state);
	const backend = await openBackend(
		{ ...options, endpointUrl: options.endpointUrl ?? state?.endpoint },
		{ region: state?.region },
	);
	const interactive = !options.json && !options.yes;
	const askPassphrase = passphraseAsker(io);
	const policy: HostKeyPolicy = {
		knownHostsFile: options.knownHosts,
		acceptNew: options.acceptNewHostKey,
		passphrase: (target, privateKey) => askPassphrase(target.identity ?? target.name, privateKey),
		confirmUnknown: interactive
			? (key, target) =>
					confirm(
						io,
						t('monitor.trustHostKey', {
							host: `${target.host}:${target.port}`,
							type: key.type,
							fingerprint: key.fingerprint,
						}),
					)
			: undefined,
		onPinned: (target, key) => {
			if (!options.host) void pinInState(options.state, target.name, key);
		},
	};
	let connection: ApplianceConnection | undefined;
	try {
		const { record } = await upgradeTarget(options, io);
		const [target] = resolveTargets([record], await backend.sandboxRouters()) as [RouterTarget];
		const connectTo = async (readyTimeoutMs?: number) => {
			try {
				return await ApplianceConnection.open(target, policy, readyTimeoutMs ? { readyTimeoutMs } : {});
			} catch (error) {
				const message = describeSessionError(t, target, error);
				throw Object.assign(new OperationError(message), {
					hostKey: (error as { code?: string }).code === 'host-key-rejected',
				});
			}
		};
		io.stderr.write(
			`${t('upgrade.connecting', { router: target.name, host: `${target.host}:${target.port}` })}\n`,
		);
		connection = await connectTo();
		const before = parseShowSystem(await connection.command('show system'));
		const beforeConfig = await connection.command('show running-config');
		const startupConfig = await connection.command('show startup-config');
		const existing = parseDir(await connection.command(`dir ${file}`)).find((entry) => entry.name === file);
		const free = parseFlashFree(await connection.command('show file systems'));
		io.stderr.write(
			`${t('upgrade.current', { router: target.name, version: before.version ?? '?', file })}\n`,
		);
		if (expectedVersion && before.version === expectedVersion)
			io.stderr.write(`${t('upgrade.sameVersion', { version: expectedVersion })}\n`);
		const needed = fileStat.size - (existing?.size ?? 0);
		if (free !== undefined && needed > free) {
			throw new OperationError(
				t('upgrade.noSpace', {
					need: formatBytes(fileStat.size),
					free: formatBytes(free),
					router: target.name,
				}),
			);
		}

		// copy, unless the same file is already there (same size and digest)
		const localDigest = await sha256File(isoPath);
		const sftp = await connection.sftp();
		const remoteDigest = async (): Promise<{ size: number; digest: string }> => {
			const remote = await new Promise<{ size: number }>((done, fail) =>
				sftp.stat(file, (error, stats) => (error ? fail(error) : done(stats))),
			);
			if (remote.size !== fileStat.size) return { size: remote.size, digest: '' };
			const progress = byteProgress(io, t('upgrade.verifying'), remote.size);
			const digest = await sftpDigest(sftp, file, remote.size, progress);
			progress(remote.size);
			return { size: remote.size, digest };
		};
		if (existing?.size === fileStat.size && (await remoteDigest()).digest === localDigest) {
			io.stderr.write(`${t('upgrade.alreadyThere', { file })}\n`);
		} else {
			const progress = byteProgress(io, t('upgrade.copying', { file }), fileStat.size);
			await new Promise<void>((done, fail) =>
				sftp.fastPut(isoPath, file, { step: (transferred) => progress(transferred) }, (error) =>
					error ? fail(error) : done(),
				),
			).catch((error: unknown) => {
				throw new OperationError(
					t('upgrade.copyFailed', { file, message: error instanceof Error ? error.message : String(error) }),
				);
			});
			progress(fileStat.size);
			const remote = await remoteDigest();
			if (remote.size !== fileStat.size || remote.digest !== localDigest) {
				throw new OperationError(
					t('upgrade.verifyFailed', {
						file,
						localSize: fileStat.size,
						remoteSize: remote.size,
						local: localDigest.slice(0, 16),
						remote: remote.digest.slice(0, 16) || '-',
					}),
				);
			}
			io.stderr.write(`${t('upgrade.verified', { file, digest: localDigest.slice(0, 16) })}\n`);
		}
		sftp.end();

		// unsaved changes would be lost by the reboot
		if (normalisedConfig(beforeConfig) !== normalisedConfig(startupConfig)) {
			const save = options.yes === true || (interactive && (await confirm(io, t('upgrade.unsavedQuestion'))));
			if (save) {
				const output = await connection.command('write memory');
				if (/^\s*%/m.test(output))
					throw new OperationError(t('upgrade.saveFailed', { output: output.trim() }));
				io.stderr.write(`${t('upgrade.saved')}\n`);
			} else io.stderr.write(`${t('upgrade.unsavedKept')}\n`);
		}

		if (!options.yes) {
			const go = interactive && (await confirm(io, t('upgrade.confirm', { router: target.name, file })));
			if (!go) throw new OperationError(t('upgrade.cancelled', { file }));
		}
		const installed = await connection.command(`software-upgrade ${file}`, {
			answer: 'y',
			timeoutMs: 600_000,
		});
		if (/^\s*%/m.test(installed))
			throw new OperationError(t('upgrade.installFailed', { file, output: installed.trim() }));
		io.stderr.write(`${t('upgrade.installed', { file })}\n`);
		io.stderr.write(`${t('upgrade.rebooting', { router: target.name })}\n`);
		const rebootAt = Date.now();
		await connection.commandThatDisconnects('reboot');
		connection = undefined;

		// wait for SSH to come back
		const deadline = Date.now() + waitSeconds * 1000;
		let lastError: unknown;
		let lastNote = 0;
		for (;;) {
			await sleep(1000);
			try {
				connection = await connectTo(15_000);
				break;
			} catch (error) {
				if ((error as { hostKey?: boolean }).hostKey) throw error;
				lastError = error;
			}
			if (Date.now() > deadline) {
				throw new OperationError(
					t('upgrade.notBack', {
						router: target.name,
						seconds: waitSeconds,
						message: lastError instanceof Error ? lastError.message : String(lastError),
					}),
				);
			}
			if (Date.now() - lastNote > 5000) {
				lastNote = Date.now();
				io.stderr.write(
					`${t('upgrade.waiting', { router: target.name, seconds: Math.round((Date.now() - rebootAt) / 1000) })}\n`,
				);
			}
		}
		const after = parseShowSystem(await connection.command('show system'));
		const afterConfig = await connection.command('show running-config');
		const backup = parseDir(await connection.command('dir default_backup.cfg')).find(
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
		const result: UpgradeResult = {
			router: target.name,
			previousVersion: before.version,
			version: after.version,
			file,
			failSafe,
		};
		if (failSafe) {
			io.stderr.write(
				`✗ ${t('finding.appliance.failsafe.message')}\n  ${t('finding.appliance.failsafe.hint')}\n`,
			);
		}
		const versionOk = expectedVersion === undefined || after.version === expectedVersion;
		if (options.json) printJson(io, result);
		else if (versionOk)
			io.stdout.write(
				`${t('upgrade.done', { router: target.name, from: before.version ?? '?', to: after.version ?? '?' })}\n`,
			);
		if (!versionOk) {
			throw new OperationError(
				t('upgrade.versionMismatch', {
					router: target.name,
					version: after.version ?? '?',
					expected: expectedVersion ?? '?',
					file,
				}),
			);
		}
		return failSafe ? 1 : 0;
	} finally {
		connection?.close();
		await backend.close();
	}
}
