import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
	DescribeCustomerGatewaysCommand,
	DescribeVpnConnectionsCommand,
	type EC2Client,
	type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { render } from 'ink';
import { Registry } from 'prom-client';
import { findSecurityGroupById } from '../aws/security-group.js';
import type { GlobalOptions } from '../cli.js';
import { findResource, loadState, type RouterRecord, type State } from '../flow/state.js';
import {
	type AwsTunnelFacts,
	awsTunnelFactsByCustomerAddress,
	awsTunnelFactsFromState,
	expectedAwsTunnels,
	telemetryByCustomerAddress,
} from '../monitor/aws-telemetry.js';
import {
	describeSessionError,
	openRouterSession,
	type RouterTarget,
	resolveTargets,
	verifiedHostKey,
} from '../monitor/connect.js';
import { writeTroubleshootingBundle } from '../monitor/export-bundle.js';
import type { SecurityGroupRuleInput } from '../monitor/findings.js';
import { startMetricsServer } from '../monitor/metrics.js';
import { RouterPoller } from '../monitor/poller.js';
import { adoptMonitor, type MonitorContext, RouterMonitor } from '../monitor/router-monitor.js';
import { unreachableSnapshot } from '../monitor/snapshot.js';
import { runSshShell } from '../monitor/ssh-shell.js';
import { normalizePeer, summarizeTunnels, type TunnelSummary } from '../monitor/tunnels.js';
import { driverFor, drivers } from '../router/drivers/index.js';
import { fingerprintSha256 } from '../router/host-keys.js';
import type { AwsTunnelTelemetry, StatusSnapshot } from '../router/model.js';
import type { RouterSession } from '../router/session.js';
import { resolveSshHost } from '../router/ssh-config.js';
import type { SandboxRouterInfo } from '../sandbox/index.js';
import type { PanelUiState } from '../ui/hooks/use-panel-keys.js';
import { I18nProvider } from '../ui/i18n-context.js';
import { MonitorApp } from '../ui/monitor-app.js';
import { openBackend } from './backend.js';
import { OperationError, UsageError } from './errors.js';
import { applianceHostKeyPolicy } from './host-key-policy.js';
import { type CommandIo, printJson } from './io.js';
import { panelUpgradeService } from './upgrade.js';

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
	metrics?: string;
};

/** `--metrics HOST:PORT` (`[::1]:9464` for IPv6; `:9464` for loopback). */
export function parseListenAddress(value: string): { host: string; port: number } | undefined {
	const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
	if (!match) return undefined;
	const port = Number(match[3]);
	if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
	return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}

/**
 * The tunnels each recorded router should have: in the appliance flows, appliance ↔ every other router
 * (multi-tenant: the appliance has one per tenant, keyed by the tenant router's address; each tenant
 * router has the appliance); with AWS's VPN, the customer gateway's router has the connection's
 * tunnels, keyed by AWS's outside addresses, each with its BGP neighbour (AWS's inside address) and
 * ASNs — from AWS's answer (`awsFacts`) when there is one, else from the state file.
 */
export function expectedTunnels(
	state: State | undefined,
	record: Pick<RouterTarget, 'name' | 'address'>,
	awsFacts?: ReadonlyMap<string, readonly AwsTunnelFacts[]>,
): MonitorContext['tunnels'] {
	if (!state) return undefined;
	const facts = (awsFacts ?? awsTunnelFactsFromState(state)).get(normalizePeer(record.address)) ?? [];
	const aws = expectedAwsTunnels(facts);
	const appliance = applianceFlowTunnels(state, record)?.tunnels ?? [];
	const tunnels = [
		...appliance,
		...aws.filter((tunnel) => !appliance.some((a) => a.peerOutsideIp === tunnel.peerOutsideIp)),
	];
	return tunnels.length > 0 ? { tunnels } : undefined;
}

/** The appliance flows' tunnels only: appliance ↔ every other router recorded in the state file. */
export function applianceFlowTunnels(
	state: State | undefined,
	record: Pick<RouterTarget, 'name'>,
): MonitorContext['tunnels'] {
	if (!state || state.flow === 'single-aws-vpn') return undefined;
	const appliance = state.routers.find((router) => typeof router.instanceId === 'string');
	if (!appliance) return undefined;
	const isAppliance = appliance.name === record.name;
	const far = isAppliance ? state.routers.filter((router) => router !== appliance) : [appliance];
	if (far.length === 0) return undefined;
	return { tunnels: far.map((router) => ({ name: router.name, peerOutsideIp: router.host })) };
}

/** AWS's side, per customer gateway address: VgwTelemetry, and the tunnels' facts (state file as fallback). */
export type AwsView = { telemetry: Map<string, AwsTunnelTelemetry[]>; facts: Map<string, AwsTunnelFacts[]> };

/** DescribeVpnConnections (+ DescribeCustomerGateways) shaped per customer address; undefined when AWS fails. */
export async function fetchAwsView(
	ec2: EC2Client,
	vpnIds: readonly string[],
	stateFacts: ReadonlyMap<string, readonly AwsTunnelFacts[]> = new Map(),
): Promise<AwsView | undefined> {
	if (vpnIds.length === 0) return undefined;
	try {
		const { VpnConnections: connections = [] } = await ec2.send(
			new DescribeVpnConnectionsCommand({ VpnConnectionIds: [...vpnIds] }),
		);
		const gatewayIds = [...new Set(connections.flatMap((connection) => connection.CustomerGatewayId ?? []))];
		const { CustomerGateways: gateways = [] } =
			gatewayIds.length > 0
				? await ec2.send(new DescribeCustomerGatewaysCommand({ CustomerGatewayIds: gatewayIds }))
				: {};
		return {
			telemetry: telemetryByCustomerAddress(connections, gateways),
			facts: awsTunnelFactsByCustomerAddress(connections, gateways, stateFacts),
		};
	} catch {
		return undefined;
	}
}

/**
 * The context `kakehashi monitor` gives each router the state file records — its expected tunnels (per
 * flow; AWS's tunnels with their BGP neighbours and ASNs) and AWS's telemetry — fetched once. For any
 * panel built from the state file (the wizard's too: `adoptMonitor(new RouterMonitor(poller, { context }))`).
 */
export async function monitorContextsFromState(
	state: State | undefined,
	ec2: EC2Client | undefined,
): Promise<(target: Pick<RouterTarget, 'name' | 'address'>) => MonitorContext> {
	const stateFacts = state ? awsTunnelFactsFromState(state) : new Map<string, AwsTunnelFacts[]>();
	const vpnIds =
		state?.resources.filter((resource) => resource.kind === 'vpn-connection').map((r) => r.id) ?? [];
	const aws = ec2 ? await fetchAwsView(ec2, vpnIds, stateFacts) : undefined;
	return (target) => {
		const tunnels = expectedTunnels(state, target, aws?.facts);
		const awsTelemetry = aws?.telemetry.get(normalizePeer(target.address));
		return { ...(tunnels ? { tunnels } : {}), ...(awsTelemetry ? { awsTelemetry } : {}) };
	};
}

/** Inbound rules of a security group, in the shape the diagnosis rules read. */
export function securityGroupRules(group: SecurityGroup): SecurityGroupRuleInput[] {
	return (group.IpPermissions ?? []).flatMap((permission) =>
		(permission.IpRanges ?? []).flatMap((range) =>
			range.CidrIp
				? [
						{
							protocol: permission.IpProtocol ?? '-1',
							...(permission.FromPort !== undefined ? { fromPort: permission.FromPort } : {}),
							...(permission.ToPort !== undefined ? { toPort: permission.ToPort } : {}),
							cidr: range.CidrIp,
						},
					]
				: [],
		),
	);
}

function positiveNumber(value: string | undefined, flag: string, fallback: number, io: CommandIo): number {
	if (value === undefined) return fallback;
	const number = Number(value);
	if (!Number.isFinite(number) || number <= 0)
		throw new UsageError(io.t('cli.positiveNumber', { flag, value }));
	return number;
}

/** The routers to poll: the flags, or those the state file records (resolved through a sandbox). */
async function targetsFor(
	options: MonitorCommandOptions,
	io: CommandIo,
	sandboxRouters: () => Promise<SandboxRouterInfo[] | undefined>,
): Promise<RouterTarget[]> {
	if (options.host) {
		// ~/.ssh/config Host aliases: HostName, User, Port, IdentityFile, ProxyJump (flags win)
		const alias = resolveSshHost(options.host);
		const user = options.user ?? alias.user;
		if (!user) throw new UsageError(io.t('cli.monitorNeedsUser', { host: options.host }));
		const port =
			options.port === undefined ? (alias.port ?? 22) : positiveNumber(options.port, '--port', 22, io);
		const identity = options.identity ?? alias.identityFiles.find((file) => existsSync(file));
		const record: RouterRecord = {
			name: options.host,
			host: alias.hostName,
			port,
			user,
			vendor: options.vendor ?? 'awplus',
			...(identity ? { identity } : {}),
		};
		return resolveTargets([record], await sandboxRouters()).map((target) =>
			alias.proxyJump ? { ...target, proxyJump: alias.proxyJump } : target,
		);
	}
	const state = await loadState(options.state);
	if (!state || state.routers.length === 0) throw new UsageError(io.t('cli.monitorNeedsRouter'));
	const records = options.router
		? state.routers.filter((router) => router.name === options.router)
		: state.routers;
	if (records.length === 0) throw new UsageError(io.t('cli.monitorNeedsRouter'));
	return resolveTargets(records, await sandboxRouters());
}

/** `kakehashi monitor`: the live panel, or one poll as JSON with `--once --json`. */
export async function monitorCommand(options: MonitorCommandOptions, io: CommandIo): Promise<number> {
	const vendor = options.vendor ?? 'awplus';
	if (options.host && !driverFor(vendor)) {
		throw new UsageError(
			io.t('cli.vendorNotReady', { value: vendor, allowed: Object.keys(drivers).join(', ') }),
		);
	}
	const intervalMs = positiveNumber(options.interval, '--interval', 5, io) * 1000;
	const listen = options.metrics === undefined ? undefined : parseListenAddress(options.metrics);
	if (options.metrics !== undefined && !listen)
		throw new UsageError(io.t('cli.monitorMetricsBad', { value: options.metrics }));
	const state = options.host ? undefined : await loadState(options.state);
	const backend = await openBackend(
		{ ...options, endpointUrl: options.endpointUrl ?? state?.endpoint },
		{ region: state?.region },
	);
	const interactive = !options.once && !options.json;
	const policy = applianceHostKeyPolicy(options, io, interactive);
	// the appliance's security group, for "no IKE SA and UDP 500/4500 not allowed from that peer"
	const groupId = state ? findResource(state, 'security-group')?.id : undefined;
	const fetchRules = async (): Promise<SecurityGroupRuleInput[] | undefined> => {
		if (!groupId) return undefined;
		try {
			const group = await findSecurityGroupById(backend.ec2, groupId);
			return group ? securityGroupRules(group) : undefined;
		} catch {
			return undefined;
		}
	};
	// AWS's view of its VPN tunnels (VgwTelemetry), for the router that is their customer gateway
	const vpnIds =
		state?.resources.filter((resource) => resource.kind === 'vpn-connection').map((r) => r.id) ?? [];
	// what the state file knows about the AWS tunnels (outside addresses, inside /30s, ASNs): the fallback
	const stateFacts = state ? awsTunnelFactsFromState(state) : new Map<string, AwsTunnelFacts[]>();
	const fetchTelemetry = (): Promise<AwsView | undefined> => fetchAwsView(backend.ec2, vpnIds, stateFacts);
	const telemetryFor = (aws: AwsView | undefined, target: RouterTarget) =>
		aws?.telemetry.get(normalizePeer(target.address));
	const isAppliance = (target: RouterTarget) =>
		state?.routers.some((router) => router.name === target.name && typeof router.instanceId === 'string') ??
		false;
	const contextFor = (
		target: RouterTarget,
		rules: SecurityGroupRuleInput[] | undefined,
		aws: AwsView | undefined,
	): MonitorContext => {
		const tunnels = expectedTunnels(state, target, aws?.facts);
		const awsTelemetry = telemetryFor(aws, target);
		return {
			...(tunnels ? { tunnels } : {}),
			...(rules && isAppliance(target) ? { securityGroupRules: rules } : {}),
			...(awsTelemetry ? { awsTelemetry } : {}),
		};
	};
	// AW+ appliances: fail-safe detection over the same session (cheap: only at each (re)connect)
	const failSafeFor = (target: RouterTarget, session: RouterSession) =>
		target.vendor === 'awplus'
			? {
					failSafe: {
						runner: session,
						expectedTunnelDestinations: (applianceFlowTunnels(state, target)?.tunnels ?? []).flatMap(
							(tunnel) => (tunnel.peerOutsideIp ? [tunnel.peerOutsideIp] : []),
						),
					},
				}
			: {};
	const sessions: RouterSession[] = [];
	const monitors: RouterMonitor[] = [];
	let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
	let refresh: NodeJS.Timeout | undefined;
	try {
		const targets = await targetsFor(options, io, backend.sandboxRouters);
		if (!interactive) {
			const [rules, telemetry] = await Promise.all([fetchRules(), fetchTelemetry()]);
			const snapshots: (StatusSnapshot & { lastPollDurationMs?: number; tunnels?: TunnelSummary[] })[] = [];
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
				const monitor = new RouterMonitor(poller, {
					t: io.t,
					context: contextFor(target, rules, telemetry),
					...failSafeFor(target, session),
				});
				const result = await poller.pollOnce();
				await monitor.checkFailSafe();
				monitor.stop();
				const snapshot = monitor.snapshotWithFindings();
				if (snapshot && snapshot.router?.reachable !== false)
					snapshots.push({
						...snapshot,
						// extension: the joined rows the panel shows (IKE, IPsec, BGP and AWS per tunnel)
						tunnels: summarizeTunnels(monitor.view.rows),
						...(result.lastPollDurationMs !== undefined
							? { lastPollDurationMs: result.lastPollDurationMs }
							: {}),
					});
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
		const registry = listen ? new Registry() : undefined;
		if (listen && registry) {
			metricsServer = await startMetricsServer({ host: listen.host, port: listen.port, registry });
			io.stderr.write(`${io.t('cli.monitorMetrics', { url: metricsServer.url })}\n`);
		}
		const sessionOf = new Map<RouterMonitor, { session: RouterSession; target: RouterTarget }>();
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
			const monitor = adoptMonitor(
				new RouterMonitor(poller, {
					t: io.t,
					context: contextFor(target, undefined, undefined),
					...(registry ? { registry } : {}),
					...failSafeFor(target, session),
				}),
			);
			monitors.push(monitor);
			sessionOf.set(monitor, { session, target });
		}
		if (monitors.length === 0) throw new UsageError(io.t('cli.monitorNeedsRouter'));
		const refreshAws = async () => {
			const [rules, telemetry] = await Promise.all([fetchRules(), fetchTelemetry()]);
			for (const monitor of monitors) {
				const target = sessionOf.get(monitor)?.target;
				if (!target) continue;
				const awsTelemetry = telemetryFor(telemetry, target);
				// AWS's answer refines the state file's tunnel facts (inside addresses, ASNs)
				const tunnels = telemetry ? expectedTunnels(state, target, telemetry.facts) : undefined;
				monitor.setContext({
					...(rules && isAppliance(target) ? { securityGroupRules: rules } : {}),
					...(awsTelemetry ? { awsTelemetry } : {}),
					...(tunnels ? { tunnels } : {}),
				});
			}
		};
		void refreshAws();
		// AWS's side changes slowly and costs API calls: its own, slower interval than the routers'
		refresh = setInterval(() => void refreshAws(), Math.max(30_000, intervalMs * 6));
		refresh.unref();
		for (const monitor of monitors) monitor.poller.start();

		const stdin = io.stdin as NodeJS.ReadStream;
		if (listen && !stdin.isTTY) {
			// headless exporter (a service, or a CI job): events go to stderr until a signal
			for (const monitor of monitors) {
				let seen = monitor.view.events.length;
				monitor.on('update', (view) => {
					for (const event of view.events.slice(seen))
						io.stderr.write(`${event.at} ${event.router ?? ''} ${event.code}\n`);
					seen = view.events.length;
				});
			}
			await new Promise<void>((done) => {
				process.once('SIGINT', () => done());
				process.once('SIGTERM', () => done());
			});
			return 0;
		}

		const exportBundle = (index: number) =>
			writeTroubleshootingBundle(monitors, {
				dir: options.host ? io.cwd : dirname(resolve(io.cwd, options.state)),
				focus: index,
				version: '0.1.0',
			});
		// `u`: upgrade over the key the router's session verified (no question asked under the panel)
		const upgrade = panelUpgradeService(
			io.t,
			{ ...policy, confirmUnknown: undefined },
			(index) => {
				const entry = monitors[index] ? sessionOf.get(monitors[index]) : undefined;
				if (!entry) return undefined;
				const key = verifiedHostKey(entry.session);
				return key
					? { ...entry.target, pinned: { type: key.type, fingerprint: fingerprintSha256(key.raw) } }
					: entry.target;
			},
			io.cwd,
		);
		let ui: PanelUiState | undefined;
		let notice: string | undefined;
		for (;;) {
			let shell: { index: number; ui: PanelUiState } | undefined;
			const app = render(
				<I18nProvider lang={io.lang}>
					<MonitorApp
						monitors={monitors}
						onShell={(index, next) => {
							shell = { index, ui: next };
							app.unmount();
						}}
						onExport={exportBundle}
						upgrade={upgrade}
						{...(ui ? { initialUi: ui } : {})}
						{...(notice ? { initialNotice: notice } : {})}
					/>
				</I18nProvider>,
			);
			await app.waitUntilExit();
			if (!shell) break;
			ui = shell.ui;
			notice = await openShell(monitors[shell.index], sessionOf, io);
		}
		return 0;
	} finally {
		clearInterval(refresh);
		for (const monitor of monitors) monitor.stop();
		await metricsServer?.close().catch(() => {});
		await Promise.all(sessions.map((session) => session.close().catch(() => {})));
		await backend.close();
	}
}

/** `s`: the terminal belongs to ssh until the user leaves the shell; a sentence for the panel when it failed. */
async function openShell(
	monitor: RouterMonitor | undefined,
	sessionOf: Map<RouterMonitor, { session: RouterSession; target: RouterTarget }>,
	io: CommandIo,
): Promise<string | undefined> {
	const entry = monitor ? sessionOf.get(monitor) : undefined;
	if (!monitor || !entry) return undefined;
	const router = entry.target.name;
	const key = verifiedHostKey(entry.session);
	if (!key) return io.t('panel.shellNotConnected', { router });
	const stdin = io.stdin as NodeJS.ReadStream;
	stdin.setRawMode?.(false);
	stdin.pause();
	try {
		const code = await runSshShell(
			{
				host: entry.target.host,
				port: entry.target.port,
				user: entry.target.user,
				...(entry.target.identity ? { identity: entry.target.identity } : {}),
			},
			key,
		);
		return code === 0 || code === 130
			? undefined
			: io.t('panel.shellFailed', { router, message: `exit ${code}` });
	} catch (error) {
		return io.t('panel.shellFailed', {
			router,
			message: error instanceof Error ? error.message : String(error),
		});
	}
}
