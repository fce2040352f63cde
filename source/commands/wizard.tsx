import { render } from 'ink';
import { listOwnImages } from '../aws/own-images.js';
import { findPublicAddress } from '../aws/public-address.js';
import { defaultBucketName } from '../aws/s3-bucket.js';
import type { GlobalOptions } from '../cli.js';
import { type Answers, AnswersError, type FlowName, flowNames } from '../flow/answers.js';
import { checkVhdFile, importImage, VhdCheckError } from '../flow/image-import.js';
import { runJourney } from '../flow/journey.js';
import { planFlow } from '../flow/plan.js';
import { loadState } from '../flow/state.js';
import { NoImageNamedError, renderMessage, resolveImageAnswer } from '../flow/steps.js';
import { type Draft, loadWizardFlow } from '../flow/wizard-flow.js';
import type { Translate } from '../i18n/index.js';
import { type HostKeyPolicy, openRouterSession, resolveTargets } from '../monitor/connect.js';
import { RouterPoller } from '../monitor/poller.js';
import { adoptMonitor, RouterMonitor } from '../monitor/router-monitor.js';
import { driverFor } from '../router/drivers/index.js';
import type { RouterSession } from '../router/session.js';
import { SANDBOX_SITE_PUBLIC_IP, type SandboxRouterInfo } from '../sandbox/index.js';
import { App } from '../ui/app.js';
import { I18nProvider } from '../ui/i18n-context.js';
import type { ApplyEvent, WizardServices } from '../ui/services.js';
import { accountServices, type Backend, checkAnswersAgainstRegion, openBackend } from './backend.js';
import { formatIssues, UsageError } from './errors.js';
import { importErrorOf, notVhdMessage } from './image.js';
import type { CommandIo } from './io.js';
import { monitorContextsFromState } from './monitor.js';

/**
 * What the sandbox's simulated routers suggest: the site router for the single modes, and any other
 * router with a public address (other than the appliance) as a tenant for multi-tenant mode.
 */
export function sandboxDefaults(routers: readonly SandboxRouterInfo[]): Draft {
	const tenants = routers
		.filter((router) => router.identity && router.publicIp && router.publicIp !== SANDBOX_SITE_PUBLIC_IP)
		.map((router) => ({ name: router.name, publicIp: router.publicIp, router: { vendor: router.vendor } }));
	return {
		peers: [
			{ name: 'site', publicIp: SANDBOX_SITE_PUBLIC_IP, router: { vendor: 'awplus', wanInterface: 'ppp0' } },
		],
		...(tenants.length > 0 ? { tenants } : {}),
	};
}

/** The core behind the wizard's screens: plan/apply over the runner, pollers over SSH sessions. */
export function createWizardServices(
	backend: Backend,
	options: {
		statePath: string;
		hostKeys: HostKeyPolicy;
		t: Translate;
		intervalMs?: number;
		/** The image import's polling (tests against a fast sandbox). */
		importTimings?: { intervalMs?: number; timeoutMs?: number; roleRetryMs?: number };
	},
): WizardServices & { close(): Promise<void> } {
	const sessions: RouterSession[] = [];
	const timers: NodeJS.Timeout[] = [];
	// imports still running when the wizard ends stop where a kill would: the state file lets a re-run resume
	const imports = new Set<AbortController>();
	const inRegion = (region: string) => {
		if (region && region !== backend.region) backend.select({ region });
	};
	const account = async () => {
		const identity = await backend.verify();
		if (!identity.ok) throw new Error(`${identity.error.code}: ${identity.error.message}`);
		return identity.identity.account;
	};
	return {
		sandbox: backend.sandbox !== undefined,
		defaults: backend.sandbox ? sandboxDefaults(backend.sandbox.routers()) : {},
		describeCredentials: async () => {
			if (backend.sandbox) return { source: 'sandbox' };
			const credentials = await backend.ec2.config.credentials();
			// the access key id's prefix tells a user which key is in use; the secret is never shown
			return {
				source: `${backend.endpoint ?? 'AWS'} (${credentials.accessKeyId.slice(0, 8)}…)`,
			};
		},
		plan: async (answers) => {
			// instance.ami may name an own image: resolved now, so a missing one is said before anything is made
			try {
				await resolveImageAnswer(backend.ec2, answers);
			} catch (error) {
				if (error instanceof NoImageNamedError) throw new Error(renderMessage(options.t, error.text));
				throw error;
			}
			const plan = await planFlow({ ec2: backend.ec2, answers, state: await loadState(options.statePath) });
			return plan.changes.map(({ action, kind, name, id }) => ({
				action,
				kind,
				name,
				...(id ? { id } : {}),
			}));
		},
		apply: async (answers, onEvent: (event: ApplyEvent) => void) => {
			await runJourney({
				ec2: backend.ec2,
				answers,
				statePath: options.statePath,
				endpoint: backend.sandbox ? undefined : backend.endpoint,
				sandboxRouters: backend.sandboxRouters,
				hostKeys: options.hostKeys,
				t: options.t,
				onEvent: (event) =>
					onEvent({
						...event,
						type: event.type === 'note' ? 'notice' : event.type,
						error:
							event.type === 'error' && event.error ? { ...event.error, code: event.error.code } : undefined,
					} as ApplyEvent),
			});
		},
		ownImages: async (region) => {
			inRegion(region);
			return listOwnImages(backend.ec2);
		},
		checkVhd: async (path) => {
			try {
				const footer = await checkVhdFile(path);
				return { ok: true, size: footer.currentSize };
			} catch (error) {
				if (error instanceof VhdCheckError)
					return {
						ok: false,
						message: notVhdMessage(options.t, error.path, error.reason),
						unreadable: error.reason.what === 'unreadable',
					};
				throw error;
			}
		},
		defaultBucket: async (region) => defaultBucketName(await account(), region),
		importImage: async (request, onEvent, signal) => {
			const controller = new AbortController();
			const stop = () => controller.abort(signal?.reason);
			signal?.addEventListener('abort', stop, { once: true });
			imports.add(controller);
			try {
				inRegion(request.region);
				const state = await loadState(options.statePath);
				const { s3, iam } = await backend.services();
				return await importImage({
					clients: { ec2: backend.ec2, s3, iam },
					vhdPath: request.vhdPath,
					name: request.name,
					...(request.bucket ? { bucket: request.bucket } : {}),
					region: backend.region,
					account: await account(),
					statePath: options.statePath,
					stack: state?.stack ?? request.stack,
					...(backend.endpoint && !backend.sandbox ? { endpoint: backend.endpoint } : {}),
					signal: controller.signal,
					onEvent,
					...(options.importTimings ? { timings: options.importTimings } : {}),
				});
			} catch (error) {
				const known = importErrorOf(options.t, error);
				if (known) throw new Error(known.message);
				throw error;
			} finally {
				signal?.removeEventListener('abort', stop);
				imports.delete(controller);
			}
		},
		openMonitor: async () => {
			const state = await loadState(options.statePath);
			const targets = resolveTargets(state?.routers ?? [], await backend.sandboxRouters());
			// the tunnels each router should have (design, AWS VPN tunnels) and AWS's telemetry, as `monitor` has them
			const contextOf = await monitorContextsFromState(state, backend.ec2).catch(() => undefined);
			const monitors: { monitor: RouterMonitor; target: (typeof targets)[number] }[] = [];
			const pollers: RouterPoller[] = [];
			for (const target of targets) {
				const driver = driverFor(target.vendor);
				if (!driver) continue;
				const session = await openRouterSession(target, driver, options.hostKeys);
				sessions.push(session);
				session.connect().catch(() => {});
				const poller = new RouterPoller(
					session,
					driver,
					{ name: target.name, vendor: target.vendor, host: target.address, port: target.port },
					{ intervalMs: options.intervalMs ?? 5000 },
				);
				const monitor = adoptMonitor(
					new RouterMonitor(poller, { t: options.t, ...(contextOf ? { context: contextOf(target) } : {}) }),
				);
				monitors.push({ monitor, target });
				poller.start();
				pollers.push(poller);
			}
			// AWS's side changes slowly and costs API calls: refreshed on its own, slower interval
			const refreshAws = async () => {
				const latest = await monitorContextsFromState(await loadState(options.statePath), backend.ec2).catch(
					() => undefined,
				);
				if (latest) for (const { monitor, target } of monitors) monitor.setContext(latest(target));
			};
			const timer = setInterval(() => void refreshAws(), Math.max(30_000, (options.intervalMs ?? 5000) * 6));
			timer.unref();
			timers.push(timer);
			return pollers;
		},
		close: async () => {
			for (const timer of timers) clearInterval(timer);
			for (const controller of imports) controller.abort();
			await Promise.all(sessions.map((session) => session.close().catch(() => {})));
		},
	};
}

/** `kakehashi` / `kakehashi --sandbox`: the interactive wizard. */
export async function wizardCommand(
	options: GlobalOptions & { flow?: string },
	io: CommandIo,
): Promise<number> {
	if (options.flow !== undefined && !(flowNames as readonly string[]).includes(options.flow)) {
		throw new UsageError(io.t('cli.flowUnknown', { value: options.flow, allowed: flowNames.join(', ') }));
	}
	const backend = await openBackend(options, {});
	const base = createWizardServices(backend, {
		statePath: options.state,
		hostKeys: { knownHostsFile: options.knownHosts, acceptNew: options.acceptNewHostKey },
		t: io.t,
	});
	const services = {
		...base,
		account: accountServices(backend, io.lang),
		// against AWS itself only, as plan/apply's offerSshAddress: a sandbox or other endpoint has no use for it
		...(backend.endpoint ? {} : { adminAddress: () => findPublicAddress() }),
		// the region's offer (zone, instance type) is checked before the plan, as the plan command does
		plan: (answers: Answers) =>
			checkAnswersAgainstRegion(backend, answers, 'wizard', { t: io.t }).then(
				() => base.plan(answers),
				(error: unknown) => {
					throw error instanceof AnswersError ? new Error(formatIssues(io.t, 'wizard', error.issues)) : error;
				},
			),
	};
	try {
		const app = render(
			<I18nProvider lang={io.lang}>
				<App
					services={services}
					loadFlow={loadWizardFlow}
					initialFlow={options.flow as FlowName | undefined}
				/>
			</I18nProvider>,
		);
		await app.waitUntilExit();
		return 0;
	} finally {
		await services.close();
		await backend.close();
	}
}
