import type { EC2Client } from '@aws-sdk/client-ec2';
import { buildApplianceTunnelDesign } from '../design/build.js';
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
import type { Answers } from './answers.js';
import { applianceIpsecConfigs, configuredIsakmpKey, type PushResult, pushConfig } from './configure.js';
import { type ApplyResult, applyFlow, type FlowEvent } from './runner.js';
import { resolveSecret, secretFingerprint } from './secrets.js';
import { loadState, type RouterRecord, saveState } from './state.js';

/**
 * The whole apply of a flow: the AWS resources (runner.ts), then the routers' configurations for
 * the chosen mode, then the routers recorded (with pinned host keys) for `monitor`. Shared by the
 * `apply` command and the wizard.
 */

export type JourneyEvent =
	| FlowEvent
	| { type: 'step-start' | 'step-done'; kind: 'router-config'; name: string; action?: string }
	| { type: 'error'; kind: 'router-config'; name: string; error: { code: string; message: string } }
	| { type: 'notice'; kind: 'router-config'; name: string; message: string };

export type JourneyOptions = {
	ec2: EC2Client;
	answers: Answers;
	statePath: string;
	endpoint?: string;
	sandboxRouters: () => Promise<SandboxRouterInfo[] | undefined>;
	hostKeys: HostKeyPolicy;
	t: Translate;
	onEvent?: (event: JourneyEvent) => void;
	signal?: AbortSignal;
	/** How long to wait for a freshly launched appliance to accept SSH. Default 10 minutes. */
	applianceBootTimeoutMs?: number;
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

export async function runJourney(options: JourneyOptions): Promise<JourneyResult> {
	const { answers, t } = options;
	const emit = (event: JourneyEvent) => options.onEvent?.(event);
	const applied = await applyFlow({
		ec2: options.ec2,
		answers,
		statePath: options.statePath,
		endpoint: options.endpoint,
		signal: options.signal,
		onEvent: options.onEvent,
		t,
	});
	const sandboxRouters = await options.sandboxRouters();
	const targets = resolveTargets(applied.routers, sandboxRouters);
	const configured: Record<string, PushResult> = {};
	const pins = new Map<string, { type: string; fingerprint: string }>();
	const hostKeys: HostKeyPolicy = {
		...options.hostKeys,
		onPinned: (target, key) => {
			pins.set(target.name, key);
			options.hostKeys.onPinned?.(target, key);
		},
	};
	for (const target of targets) if (target.pinned) pins.set(target.name, target.pinned);

	if (answers.flow === 'single-appliance') {
		const peer = answers.peers[0];
		const appliance = targets.find((target) => target.name === answers.instance.name);
		const { publicIp, privateIp } = applied.instance;
		if (peer && appliance && publicIp && privateIp) {
			const deadline = Date.now() + (options.applianceBootTimeoutMs ?? 600_000);
			emit({ type: 'step-start', kind: 'router-config', name: appliance.name });
			const applianceSession = await connectWithRetry(appliance, hostKeys, deadline, options.signal);
			const sessions: RouterSession[] = [applianceSession];
			try {
				const state = (await loadState(options.statePath)) as (StateWithSecrets & object) | undefined;
				const secretKey = `peers.${peer.name}.psk`;
				let psk: string;
				if (peer.psk) psk = (await resolveSecret(peer.psk)).value;
				else {
					// a generated key is never stored: recover it from the appliance it was pushed to,
					// if its fingerprint matches the one recorded
					const running = await applianceSession.run('show running-config');
					const existing = configuredIsakmpKey(running, { address: peer.publicIp });
					const recorded = state?.secrets?.[secretKey];
					if (existing && recorded === `generated:${secretFingerprint(existing)}`) psk = existing;
					else {
						const generated = await resolveSecret(undefined);
						psk = generated.value;
						emit({
							type: 'notice',
							kind: 'router-config',
							name: peer.name,
							message: t('apply.pskGenerated', { peer: peer.name, psk }),
						});
					}
				}
				const design = buildApplianceTunnelDesign(answers, peer, { publicIp, privateIp }, psk);
				const configs = applianceIpsecConfigs(design);
				const pushes: { target: RouterTarget; session: RouterSession; lines: string[] }[] = [
					{ target: appliance, session: applianceSession, lines: configs.appliance },
				];
				const site = targets.find((target) => target.name === peer.name);
				if (site) {
					emit({ type: 'step-start', kind: 'router-config', name: site.name });
					const siteSession = await connectWithRetry(site, hostKeys, Date.now() + 60_000, options.signal);
					sessions.push(siteSession);
					pushes.push({ target: site, session: siteSession, lines: configs.router });
				}
				for (const push of pushes) {
					const result = await pushConfig(push.session, push.lines);
					configured[push.target.name] = result;
					if (result.status === 'rejected') {
						const message = t('apply.configureFailed', {
							router: push.target.name,
							line: result.line.replace(psk, '********'),
							error: result.error,
						});
						emit({
							type: 'error',
							kind: 'router-config',
							name: push.target.name,
							error: { code: 'RouterRejectedLine', message },
						});
						throw new RouterConfigError(push.target.name, result.line, result.error, message);
					}
					emit({
						type: 'step-done',
						kind: 'router-config',
						name: push.target.name,
						action: result.status === 'unchanged' ? 'keep' : 'create',
					});
				}
				const latest = (await loadState(options.statePath)) as (StateWithSecrets & object) | undefined;
				if (latest) {
					const reference = peer.psk ?? `generated:${secretFingerprint(psk)}`;
					(latest as StateWithSecrets).secrets = {
						...(latest as StateWithSecrets).secrets,
						[secretKey]: reference,
					};
					await saveState(options.statePath, latest as Parameters<typeof saveState>[1]);
				}
			} finally {
				await Promise.all(sessions.map((session) => session.close().catch(() => {})));
			}
		}
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
	return { ...applied, routers, targets: resolveTargets(routers, sandboxRouters), configured };
}
