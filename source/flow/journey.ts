import { DescribeVpnConnectionsCommand, type EC2Client, type VpnConnection } from '@aws-sdk/client-ec2';
import { awsVpnConnectionData } from '../design/aws-requests.js';
import { buildApplianceTunnelDesign, buildAwsVpnDesign, buildMultiTenantDesign } from '../design/build.js';
import { configLines } from '../design/configs.js';
import type { Translate } from '../i18n/index.js';
import {
	type HostKeyPolicy,
	openRouterSession,
	type RouterTarget,
	resolveTargets,
} from '../monitor/connect.js';
import { driverFor } from '../router/drivers/index.js';
import type { RouterSession } from '../router/session.js';
import type { SandboxRouterInfo } from '../sandbox/index.js';
import type { Answers, Peer } from './answers.js';
import {
	applianceIpsecConfigs,
	configuredIsakmpKey,
	type PushResult,
	pushConfig,
	saveConfig,
	startupMatches,
} from './configure.js';
import { type ApplyResult, applyFlow, type FlowEvent } from './runner.js';
import { redact, resolveSecret, secretFingerprint } from './secrets.js';
import { findResource, loadState, type RouterRecord, saveState } from './state.js';

/**
 * The whole apply of a flow: the AWS resources (runner.ts), then the routers' configurations for
 * the chosen mode, then the routers recorded (with pinned host keys) for `monitor`. Shared by the
 * `apply` command and the wizard.
 *
 * - single-appliance: the appliance's own IPsec tunnel (install-guide 5a), both ends pushed;
 * - multi-tenant: one L2TPv3-over-IPsec tunnel per tenant (install-guide 6), all tenants on the
 *   appliance in one design, then each tenant router that the answers give access to;
 * - single-aws-vpn: the customer router's two tunnels to AWS (install-guide 5b), built from what
 *   DescribeVpnConnections returns (AWS's keys, keyed by outside address).
 * A key the tool generates is shown once and never stored: on a re-apply it is recovered from the
 * appliance that holds it when its fingerprint matches the one recorded. AWS's keys stay AWS's:
 * nothing of them is recorded. Every error that could quote a config line has the keys masked.
 */

/** Events of the router part of the journey. `message` is already in the user's language. */
export type RouterConfigEvent =
	| { type: 'step-start'; kind: 'router-config'; name: string; message?: string }
	| { type: 'step-done'; kind: 'router-config'; name: string; action?: string; message?: string }
	| { type: 'error'; kind: 'router-config'; name: string; error: { code: string; message: string } }
	| { type: 'notice'; kind: 'router-config'; name: string; message: string };

export type JourneyEvent = FlowEvent | RouterConfigEvent;

export type JourneyOptions = {
	ec2: EC2Client;
	answers: Answers;
	statePath: string;
	endpoint?: string;
	/** The sandbox's routers, the given user-side addresses started first (undefined: not a sandbox). */
	sandboxRouters: (ensure?: readonly string[]) => Promise<SandboxRouterInfo[] | undefined>;
	hostKeys: HostKeyPolicy;
	t: Translate;
	onEvent?: (event: JourneyEvent) => void;
	signal?: AbortSignal;
	/** How long to wait for a freshly launched appliance to accept SSH. Default 10 minutes. */
	applianceBootTimeoutMs?: number;
	/** Save each pushed configuration to the startup configuration (`write memory`). */
	saveConfig?: boolean;
	/**
	 * Asked per router before its configuration changes, with the lines it lacks (`+ line`, keys masked);
	 * false leaves that router as it is. Absent: push without asking (`apply --yes`).
	 */
	confirmPush?: (router: string, diff: readonly string[]) => Promise<boolean>;
	/** How long to wait for the VPN connection to be `available` (the AWS steps normally did). Default 10 minutes. */
	vpnAvailableTimeoutMs?: number;
};

export type JourneyResult = ApplyResult & { targets: RouterTarget[]; configured: Record<string, PushResult> };

export class RouterConfigError extends Error {
	constructor(
		readonly router: string,
		readonly line: string,
		readonly reason: string,
		message: string,
	) {
		super(message);
		this.name = 'RouterConfigError';
	}
}

type StateWithSecrets = { secrets?: Record<string, string> };

/** Vendors whose CLI pushConfig speaks (configure terminal, `%` errors, sub-modes left with exit). */
const pushableVendors = new Set(['awplus']);

async function connectWithRetry(
	target: RouterTarget,
	hostKeys: HostKeyPolicy,
	deadline: number,
	signal?: AbortSignal,
): Promise<RouterSession> {
	const driver = driverFor(target.vendor);
	if (!driver) throw new Error(`${target.name}: no driver for vendor ${target.vendor}`);
	let delay = 500;
	for (;;) {
		const session = await openRouterSession(target, driver, hostKeys, { reconnect: false });
		try {
			await session.connect();
			return session;
		} catch (error) {
			await session.close().catch(() => {});
			const code = (error as { code?: string }).code;
			// a booting appliance refuses connections, or has not installed the key pair yet
			const retryable = code === 'connect-failed' || code === 'auth-failed' || code === 'prompt-timeout';
			if (!retryable || Date.now() + delay > deadline || signal?.aborted) throw error;
			await new Promise((resolve) => setTimeout(resolve, delay));
			delay = Math.min(delay * 2, 10_000);
		}
	}
}

/** The router part of one journey: sessions opened, pushes made, keys to mask, references to record. */
class RouterConfigurator {
	readonly configured: Record<string, PushResult> = {};
	readonly #sessions: RouterSession[] = [];
	/** Every key in play, masked out of any text that reaches the user. */
	readonly #secrets: string[] = [];
	/** `peers.<name>.psk` → reference (`env:…`, `file:…`, `generated:<fingerprint>`). */
	readonly #references: Record<string, string> = {};

	constructor(
		private readonly options: JourneyOptions,
		private readonly targets: RouterTarget[],
		private readonly hostKeys: HostKeyPolicy,
	) {}

	emit(event: RouterConfigEvent): void {
		this.options.onEvent?.(event);
	}

	target(name: string): RouterTarget | undefined {
		return this.targets.find((target) => target.name === name);
	}

	/** A session to the router, after a step-start; a booting appliance is waited for until the deadline. */
	async open(target: RouterTarget, waitMs: number): Promise<RouterSession> {
		this.emit({
			type: 'step-start',
			kind: 'router-config',
			name: target.name,
			message: this.options.t('apply.configuring', { router: target.name }),
		});
		const session = await connectWithRetry(target, this.hostKeys, Date.now() + waitMs, this.options.signal);
		this.#sessions.push(session);
		return session;
	}

	mask(...secrets: string[]): void {
		for (const secret of secrets) if (!this.#secrets.includes(secret)) this.#secrets.push(secret);
	}

	/**
	 * A peer's pre-shared key: its reference in the answers, else the one generated on an earlier run
	 * (recovered from the appliance's running config when its fingerprint is the one recorded), else a
	 * new one, shown once.
	 */
	async peerPsk(
		peer: Peer,
		recorded: Record<string, string> | undefined,
		heldByAppliance: string | undefined,
	): Promise<string> {
		const key = `peers.${peer.name}.psk`;
		let psk: string;
		if (peer.psk) psk = (await resolveSecret(peer.psk)).value;
		else if (heldByAppliance && recorded?.[key] === `generated:${secretFingerprint(heldByAppliance)}`)
			psk = heldByAppliance;
		else {
			psk = (await resolveSecret(undefined)).value;
			this.emit({
				type: 'notice',
				kind: 'router-config',
				name: peer.name,
				message: this.options.t('apply.pskGenerated', { peer: peer.name, psk }),
			});
		}
		this.mask(psk);
		this.#references[key] = peer.psk ?? `generated:${secretFingerprint(psk)}`;
		return psk;
	}

	/** Push and report: "already matches — nothing to do", or applied; the first rejected line stops the journey. */
	async push(target: RouterTarget, session: RouterSession, lines: readonly string[]): Promise<void> {
		const { t, confirmPush } = this.options;
		const confirm = confirmPush
			? (missing: readonly string[]) =>
					confirmPush(
						target.name,
						missing.map((line) => redact(line, this.#secrets)),
					)
			: undefined;
		const result = await pushConfig(session, lines, confirm);
		this.configured[target.name] = result;
		if (result.status === 'declined') {
			this.emit({
				type: 'step-done',
				kind: 'router-config',
				name: target.name,
				action: 'keep',
				message: t('apply.configDeclined', { router: target.name }),
			});
			return;
		}
		if (result.status === 'rejected') {
			const message = t('apply.configureFailed', {
				router: target.name,
				line: redact(result.line, this.#secrets),
				error: redact(result.error, this.#secrets),
			});
			this.emit({
				type: 'error',
				kind: 'router-config',
				name: target.name,
				error: { code: 'RouterRejectedLine', message },
			});
			throw new RouterConfigError(
				target.name,
				redact(result.line, this.#secrets),
				redact(result.error, this.#secrets),
				message,
			);
		}
		await this.#saveOrSay(target, session, lines);
		this.emit({
			type: 'step-done',
			kind: 'router-config',
			name: target.name,
			action: result.status === 'unchanged' ? 'keep' : 'create',
			message:
				result.status === 'unchanged'
					? t('apply.configMatches', { router: target.name })
					: t('apply.configured', { router: target.name, lines: result.lines }),
		});
	}

	/**
	 * With saveConfig, `write memory` (only when the startup configuration lacks the lines); without,
	 * a notice when the startup configuration lacks them: a reboot would come back without the tunnels.
	 */
	async #saveOrSay(target: RouterTarget, session: RouterSession, lines: readonly string[]): Promise<void> {
		const { t } = this.options;
		if (!this.options.saveConfig) {
			if (!(await startupMatches(session, lines))) {
				this.emit({
					type: 'notice',
					kind: 'router-config',
					name: target.name,
					message: t('apply.configNotSaved', { router: target.name }),
				});
			}
			return;
		}
		const saved = await saveConfig(session, lines);
		if (saved.status === 'rejected') {
			const message = t('apply.configSaveFailed', {
				router: target.name,
				error: redact(saved.error, this.#secrets),
			});
			this.emit({
				type: 'error',
				kind: 'router-config',
				name: target.name,
				error: { code: 'SaveFailed', message },
			});
			throw new RouterConfigError(target.name, 'write memory', redact(saved.error, this.#secrets), message);
		}
		if (saved.status === 'saved') {
			this.emit({
				type: 'notice',
				kind: 'router-config',
				name: target.name,
				message: t('apply.configSaved', { router: target.name }),
			});
		}
	}

	/** Whether this tool can push to the router; says so (with what to do instead) when it cannot. */
	canPush(target: RouterTarget): boolean {
		if (pushableVendors.has(target.vendor)) return true;
		this.emit({
			type: 'notice',
			kind: 'router-config',
			name: target.name,
			message: this.options.t('apply.configPushUnsupported', { router: target.name, vendor: target.vendor }),
		});
		return false;
	}

	/** Record the keys' references (never the keys) beside the other state. */
	async saveReferences(): Promise<void> {
		if (Object.keys(this.#references).length === 0) return;
		const latest = (await loadState(this.options.statePath)) as (StateWithSecrets & object) | undefined;
		if (!latest) return;
		(latest as StateWithSecrets).secrets = { ...(latest as StateWithSecrets).secrets, ...this.#references };
		await saveState(this.options.statePath, latest as Parameters<typeof saveState>[1]);
	}

	/** Any error leaving the journey has the keys masked. */
	masked(error: unknown): unknown {
		if (!(error instanceof Error) || this.#secrets.length === 0) return error;
		const message = redact(error.message, this.#secrets);
		if (message !== error.message) error.message = message;
		return error;
	}

	async close(): Promise<void> {
		await Promise.all(this.#sessions.map((session) => session.close().catch(() => {})));
	}
}

async function recordedSecrets(statePath: string): Promise<Record<string, string> | undefined> {
	const state = (await loadState(statePath)) as (StateWithSecrets & object) | undefined;
	return state?.secrets;
}

/** Install-guide 5a: the appliance's own tunnel to the one peer. */
async function configureApplianceVpn(
	configurator: RouterConfigurator,
	options: JourneyOptions,
	applied: ApplyResult,
): Promise<void> {
	const { answers } = options;
	const peer = answers.peers[0];
	const appliance = configurator.target(answers.instance.name);
	const { publicIp, privateIp } = applied.instance;
	if (!peer || !appliance || !publicIp || !privateIp) return;
	const applianceSession = await configurator.open(appliance, options.applianceBootTimeoutMs ?? 600_000);
	const running = peer.psk ? undefined : await applianceSession.run('show running-config');
	const held = running ? configuredIsakmpKey(running, { address: peer.publicIp }) : undefined;
	const psk = await configurator.peerPsk(peer, await recordedSecrets(options.statePath), held);
	const configs = applianceIpsecConfigs(
		buildApplianceTunnelDesign(answers, peer, { publicIp, privateIp }, psk),
	);
	await configurator.push(appliance, applianceSession, configs.appliance);
	// the key is on the appliance now: record its reference before the site (a re-apply recovers it)
	await configurator.saveReferences();
	const site = configurator.target(peer.name);
	if (!site || !configurator.canPush(site)) return;
	const siteSession = await configurator.open(site, 60_000);
	await configurator.push(site, siteSession, configs.router);
}

/** Install-guide 6: every tenant on the appliance in one design, then each tenant's router. */
async function configureMultiTenant(
	configurator: RouterConfigurator,
	options: JourneyOptions,
	applied: ApplyResult,
): Promise<void> {
	const { answers } = options;
	const appliance = configurator.target(answers.instance.name);
	const { publicIp, privateIp } = applied.instance;
	if (answers.peers.length === 0 || !appliance || !publicIp || !privateIp) return;
	const applianceSession = await configurator.open(appliance, options.applianceBootTimeoutMs ?? 600_000);
	const running = answers.peers.some((peer) => !peer.psk)
		? await applianceSession.run('show running-config')
		: undefined;
	const recorded = await recordedSecrets(options.statePath);
	const psks: Record<string, string> = {};
	for (const peer of answers.peers) {
		const held = running ? configuredIsakmpKey(running, { address: peer.publicIp }) : undefined;
		psks[peer.name] = await configurator.peerPsk(peer, recorded, held);
	}
	const design = buildMultiTenantDesign(answers, { publicIp, privateIp }, psks);
	await configurator.push(appliance, applianceSession, configLines(design, 'awplus', 'appliance'));
	// the generated keys are on the appliance now: record their fingerprints before the tenants
	await configurator.saveReferences();
	for (const peer of answers.peers) {
		const tenant = configurator.target(peer.name);
		if (!tenant || !configurator.canPush(tenant)) continue;
		const session = await configurator.open(tenant, 60_000);
		await configurator.push(tenant, session, configLines(design, 'awplus', peer.name));
	}
}

/** The stack's VPN connection once `available` (AWS's steps normally waited already). */
async function availableVpnConnection(
	options: JourneyOptions,
	vpnConnectionId: string,
): Promise<VpnConnection> {
	const deadline = Date.now() + (options.vpnAvailableTimeoutMs ?? 600_000);
	let delay = 1000;
	for (;;) {
		const { VpnConnections: connections = [] } = await options.ec2.send(
			new DescribeVpnConnectionsCommand({ VpnConnectionIds: [vpnConnectionId] }),
			options.signal ? { abortSignal: options.signal } : {},
		);
		const connection = connections[0];
		if (connection?.State === 'available' && connection.CustomerGatewayConfiguration) return connection;
		if (
			!connection ||
			connection.State === 'deleting' ||
			connection.State === 'deleted' ||
			Date.now() + delay > deadline
		) {
			throw new Error(
				options.t('apply.vpnNotAvailable', { id: vpnConnectionId, state: connection?.State ?? 'missing' }),
			);
		}
		await new Promise((resolve) => setTimeout(resolve, delay));
		delay = Math.min(delay * 2, 10_000);
	}
}

/** Install-guide 5b: the customer router's two tunnels to AWS, from AWS's own description of them. */
async function configureAwsVpn(configurator: RouterConfigurator, options: JourneyOptions): Promise<void> {
	const { answers } = options;
	const peer = answers.peers[0];
	const router = peer ? configurator.target(peer.name) : undefined;
	if (!peer || !router) return;
	const state = await loadState(options.statePath);
	const vpnConnectionId = state ? findResource(state, 'vpn-connection')?.id : undefined;
	if (!vpnConnectionId) {
		configurator.emit({
			type: 'notice',
			kind: 'router-config',
			name: peer.name,
			message: options.t('apply.vpnConnectionMissing', { router: peer.name }),
		});
		return;
	}
	if (!configurator.canPush(router)) return;
	const connection = await availableVpnConnection(options, vpnConnectionId);
	const design = buildAwsVpnDesign(answers, awsVpnConnectionData(connection));
	// AWS's keys: used for this push only, never recorded, masked from every message
	configurator.mask(...design.tunnels.map((tunnel) => tunnel.psk));
	const lines = configLines(design, router.vendor as Parameters<typeof configLines>[1], 'router');
	const session = await configurator.open(router, 60_000);
	await configurator.push(router, session, lines);
}

export async function runJourney(options: JourneyOptions): Promise<JourneyResult> {
	const { answers } = options;
	const applied = await applyFlow({
		ec2: options.ec2,
		answers,
		statePath: options.statePath,
		endpoint: options.endpoint,
		signal: options.signal,
		onEvent: options.onEvent,
		t: options.t,
	});
	// a sandbox starts a simulated router at every user-side address the answers give access to
	const userAddresses = answers.peers
		.filter((peer) => peer.router && !peer.router.host)
		.map((peer) => peer.publicIp);
	const sandboxRouters = await options.sandboxRouters(userAddresses);
	const targets = resolveTargets(applied.routers, sandboxRouters);
	const pins = new Map<string, { type: string; fingerprint: string }>();
	const hostKeys: HostKeyPolicy = {
		...options.hostKeys,
		onPinned: (target, key) => {
			pins.set(target.name, key);
			options.hostKeys.onPinned?.(target, key);
		},
	};
	for (const target of targets) if (target.pinned) pins.set(target.name, target.pinned);

	const configurator = new RouterConfigurator(options, targets, hostKeys);
	try {
		if (answers.flow === 'single-appliance') await configureApplianceVpn(configurator, options, applied);
		else if (answers.flow === 'multi-tenant') await configureMultiTenant(configurator, options, applied);
		else await configureAwsVpn(configurator, options);
	} catch (error) {
		throw configurator.masked(error);
	} finally {
		await configurator.close();
	}

	// pin every host key met, so monitor verifies routers the tool configured
	const state = await loadState(options.statePath);
	if (state) {
		state.routers = state.routers.map((router: RouterRecord) => {
			const pin = pins.get(router.name);
			return pin && !router.hostKey ? { ...router, hostKey: pin } : router;
		});
		await saveState(options.statePath, state);
	}
	const routers = state?.routers ?? applied.routers;
	return {
		...applied,
		routers,
		targets: resolveTargets(routers, sandboxRouters),
		configured: configurator.configured,
	};
}
