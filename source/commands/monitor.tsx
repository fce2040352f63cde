import { render } from 'ink';
import type { GlobalOptions } from '../cli.js';
import { loadState, type RouterRecord, saveState } from '../flow/state.js';
import {
	describeSessionError,
	type HostKeyPolicy,
	openRouterSession,
	type RouterTarget,
	resolveTargets,
} from '../monitor/connect.js';
import { RouterPoller } from '../monitor/poller.js';
import { unreachableSnapshot } from '../monitor/snapshot.js';
import { driverFor, drivers } from '../router/drivers/index.js';
import type { StatusSnapshot } from '../router/model.js';
import type { RouterSession } from '../router/session.js';
import type { SandboxRouterInfo } from '../sandbox/index.js';
import { I18nProvider } from '../ui/i18n-context.js';
import { MonitorApp } from '../ui/monitor-app.js';
import { openBackend } from './backend.js';
import { confirm } from './confirm.js';
import { OperationError, UsageError } from './errors.js';
import { type CommandIo, printJson } from './io.js';

export type MonitorCommandOptions = GlobalOptions & {
	host?: string;
	port?: string;
	user?: string;
	identity?: string;
	vendor?: string;
	interval?: string;
	once?: boolean;
	json?: boolean;
	router?: string;
};

function positiveNumber(value: string | undefined, flag: string, fallback: number): number {
	if (value === undefined) return fallback;
	const number = Number(value);
	if (!Number.isFinite(number) || number <= 0)
		throw new UsageError(`${flag}: "${value}" must be a positive number.`);
	return number;
}

/** The routers to poll: the flags, or those the state file records (resolved through a sandbox). */
async function targetsFor(
	options: MonitorCommandOptions,
	io: CommandIo,
	sandboxRouters: () => Promise<SandboxRouterInfo[] | undefined>,
): Promise<RouterTarget[]> {
	if (options.host) {
		if (!options.user) throw new UsageError('--user is required with --host.');
		const port = positiveNumber(options.port, '--port', 22);
		const record: RouterRecord = {
			name: options.host,
			host: options.host,
			port,
			user: options.user,
			vendor: options.vendor ?? 'awplus',
			...(options.identity ? { identity: options.identity } : {}),
		};
		return resolveTargets([record], await sandboxRouters());
	}
	const state = await loadState(options.state);
	if (!state || state.routers.length === 0) throw new UsageError(io.t('cli.monitorNeedsRouter'));
	const records = options.router
		? state.routers.filter((router) => router.name === options.router)
		: state.routers;
	if (records.length === 0) throw new UsageError(io.t('cli.monitorNeedsRouter'));
	return resolveTargets(records, await sandboxRouters());
}

async function pinInState(statePath: string, name: string, key: { type: string; fingerprint: string }) {
	const state = await loadState(statePath);
	if (!state) return;
	state.routers = state.routers.map((router) =>
		router.name === name && !router.hostKey ? { ...router, hostKey: key } : router,
	);
	await saveState(statePath, state);
}

/** `kakehashi monitor`: the live panel, or one poll as JSON with `--once --json`. */
export async function monitorCommand(options: MonitorCommandOptions, io: CommandIo): Promise<number> {
	const vendor = options.vendor ?? 'awplus';
	if (options.host && !driverFor(vendor)) {
		throw new UsageError(
			io.t('cli.vendorNotReady', { value: vendor, allowed: Object.keys(drivers).join(', ') }),
		);
	}
	const intervalMs = positiveNumber(options.interval, '--interval', 5) * 1000;
	const state = options.host ? undefined : await loadState(options.state);
	const backend = await openBackend(
		{ ...options, endpointUrl: options.endpointUrl ?? state?.endpoint },
		{ region: state?.region },
	);
	const interactive = !options.once && !options.json;
	const policy: HostKeyPolicy = {
		knownHostsFile: options.knownHosts,
		acceptNew: options.acceptNewHostKey,
		confirmUnknown: interactive
			? (key, target) =>
					confirm(io, `${target.host}:${target.port} ${key.type} ${key.fingerprint} — trust this host key?`)
			: undefined,
		onPinned: (target, key) => {
			if (!options.host) void pinInState(options.state, target.name, key);
		},
	};
	const sessions: RouterSession[] = [];
	try {
		const targets = await targetsFor(options, io, backend.sandboxRouters);
		if (!interactive) {
			const snapshots: StatusSnapshot[] = [];
			let failed = false;
			for (const target of targets) {
				const driver = driverFor(target.vendor);
				if (!driver)
					throw new UsageError(
						io.t('cli.vendorNotReady', { value: target.vendor, allowed: Object.keys(drivers).join(', ') }),
					);
				const identity = {
					name: target.name,
					vendor: target.vendor,
					host: target.address,
					reachable: false,
					polledAt: new Date().toISOString(),
				};
				const session = await openRouterSession(target, driver, policy, { reconnect: false });
				sessions.push(session);
				try {
					await session.connect();
				} catch (error) {
					const message = describeSessionError(io.t, target, error);
					io.stderr.write(`${message}\n`);
					if ((error as { code?: string }).code === 'host-key-rejected') throw new OperationError(message);
					snapshots.push({
						...unreachableSnapshot(identity),
						findings: [{ severity: 'error', code: 'router.unreachable', message }],
					});
					failed = true;
					continue;
				}
				const poller = new RouterPoller(
					session,
					driver,
					{ name: target.name, vendor: target.vendor, host: target.address, port: target.port },
					{ intervalMs },
				);
				const result = await poller.pollOnce();
				poller.stop();
				if (result.snapshot) snapshots.push(result.snapshot);
				else {
					failed = true;
					snapshots.push({
						...unreachableSnapshot(identity),
						findings: [{ severity: 'error', code: 'router.poll-failed', message: result.error ?? '' }],
					});
				}
			}
			const output = snapshots.length === 1 ? snapshots[0] : snapshots;
			if (options.json) printJson(io, output);
			else io.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
			return failed ? 1 : 0;
		}
		const pollers: RouterPoller[] = [];
		for (const target of targets) {
			const driver = driverFor(target.vendor);
			if (!driver) continue;
			const session = await openRouterSession(target, driver, policy);
			sessions.push(session);
			// connect in the background: the panel shows "connecting", then data; reconnects itself
			session.connect().catch((error) => io.stderr.write(`${describeSessionError(io.t, target, error)}\n`));
			const poller = new RouterPoller(
				session,
				driver,
				{ name: target.name, vendor: target.vendor, host: target.address, port: target.port },
				{ intervalMs },
			);
			pollers.push(poller);
		}
		if (pollers.length === 0) throw new UsageError(io.t('cli.monitorNeedsRouter'));
		for (const poller of pollers) poller.start();
		const app = render(
			<I18nProvider lang={io.lang}>
				<MonitorApp pollers={pollers} />
			</I18nProvider>,
		);
		await app.waitUntilExit();
		for (const poller of pollers) poller.stop();
		return 0;
	} finally {
		await Promise.all(sessions.map((session) => session.close().catch(() => {})));
		await backend.close();
	}
}
