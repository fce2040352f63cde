import { EventEmitter } from 'node:events';
import type { Registry } from 'prom-client';
import type { ApplianceTunnelDesign, AwsVpnDesign } from '../design/model.js';
import { createTranslator, type Translate } from '../i18n/index.js';
import type { AwsTunnelTelemetry, BgpNeighbor, StatusSnapshot } from '../router/model.js';
import { diffSnapshots, EventLog, type MonitorEvent } from './events.js';
import { FailSafeWatch, type FailSafeWatchOptions } from './fail-safe.js';
import { type DiagnosedFinding, diagnose, type SecurityGroupRuleInput } from './findings.js';
import { TunnelHistory, type TunnelHistoryOptions } from './history.js';
import { updateMetrics } from './metrics.js';
import type { CommandRunner, PollerState } from './poller.js';
import {
	type ApplianceSide,
	joinTunnels,
	type TunnelContext,
	type TunnelRow,
	tunnelContextFromDesign,
	unmatchedBgpNeighbors,
} from './tunnels.js';

/**
 * The per-router monitor model: on every poller update it joins the snapshot into tunnel rows,
 * records counter history, diffs against the previous poll into events, runs the diagnosis rules and
 * updates the metrics registry. The UI renders `view`; it never computes any of this itself.
 */

/** What the monitor knows beyond the router's own output; every part optional. */
export type MonitorContext = {
	design?: ApplianceTunnelDesign | AwsVpnDesign;
	side?: ApplianceSide;
	/** Used when there is no design: the tunnels the router should have. */
	tunnels?: TunnelContext;
	securityGroupRules?: readonly SecurityGroupRuleInput[];
	awsTelemetry?: readonly AwsTunnelTelemetry[];
	clockSkewSeconds?: number;
	routeTable?: { propagation: boolean; routes: readonly string[] };
	configResetDetected?: boolean;
};

export type RouterView = PollerState & {
	rows: TunnelRow[];
	/** BGP neighbours no tunnel row claims. */
	otherBgp: BgpNeighbor[];
	/** Oldest first. */
	events: MonitorEvent[];
	findings: DiagnosedFinding[];
	history: TunnelHistory;
};

export type RouterMonitorOptions = {
	t?: Translate;
	context?: MonitorContext;
	history?: TunnelHistoryOptions;
	eventCapacity?: number;
	/** Prometheus registry to update on every poll (`--metrics`). */
	registry?: Registry;
	/**
	 * AW+ appliances: watch for a fail-safe reset (fail-safe.ts) over this session — `show system` at
	 * each (re)connect only, more only after a reboot.
	 */
	failSafe?: Omit<FailSafeWatchOptions, 'report'> & { runner: CommandRunner };
};

/** The smallest part of PollerState a monitor needs from its poller. */
export type PollerLike = {
	readonly state: PollerState;
	on(event: 'update', listener: (state: PollerState) => void): unknown;
	off(event: 'update', listener: (state: PollerState) => void): unknown;
	start(): void;
	pollNow(): void;
	setPaused(paused: boolean): void;
	stop(): void;
};

export class RouterMonitor extends EventEmitter<{ update: [RouterView] }> {
	readonly history: TunnelHistory;
	readonly log: EventLog;
	#t: Translate;
	#context: MonitorContext;
	#registry: Registry | undefined;
	#processed: StatusSnapshot | undefined;
	#previous: StatusSnapshot | undefined;
	#rows: TunnelRow[] = [];
	#otherBgp: BgpNeighbor[] = [];
	#findings: DiagnosedFinding[] = [];
	#view: RouterView;
	#failSafe: FailSafeWatch | undefined;
	readonly #onUpdate = (state: PollerState) => this.#apply(state);

	constructor(
		readonly poller: PollerLike,
		options: RouterMonitorOptions = {},
	) {
		super();
		this.#t = options.t ?? createTranslator('en');
		this.#context = options.context ?? {};
		this.#registry = options.registry;
		this.history = new TunnelHistory(options.history);
		this.log = new EventLog(options.eventCapacity ?? 500);
		this.#view = this.#build(poller.state);
		this.#apply(poller.state);
		poller.on('update', this.#onUpdate);
		if (options.failSafe) {
			const { runner, ...watchOptions } = options.failSafe;
			this.#failSafe = new FailSafeWatch(runner, {
				...watchOptions,
				report: (patch) => this.setContext(patch),
			});
			this.#failSafe.start();
		}
	}

	/** Runs the fail-safe check now (`--once`: before the snapshot is printed). */
	checkFailSafe(): Promise<void> {
		return this.#failSafe?.check() ?? Promise.resolve();
	}

	get view(): RouterView {
		return this.#view;
	}

	/** The design, security group or AWS telemetry changed (fetched on their own, slower interval). */
	setContext(patch: Partial<MonitorContext>): void {
		this.#context = { ...this.#context, ...patch };
		const processed = this.#processed;
		if (processed) {
			const snapshot = this.#withTelemetry(processed);
			if (snapshot.router?.reachable !== false) this.#join(snapshot);
			this.#diagnose(processed);
		}
		this.#publish(this.poller.state);
	}

	#join(snapshot: StatusSnapshot): void {
		this.#rows = joinTunnels(snapshot, this.#tunnelContext());
		this.#otherBgp = unmatchedBgpNeighbors(snapshot, this.#rows);
	}

	#tunnelContext(): TunnelContext {
		const { design, side, tunnels } = this.#context;
		return design ? tunnelContextFromDesign(design, side ?? 'router') : (tunnels ?? {});
	}

	#withTelemetry(snapshot: StatusSnapshot): StatusSnapshot {
		const { awsTelemetry } = this.#context;
		return awsTelemetry && !snapshot.aws ? { ...snapshot, aws: [...awsTelemetry] } : snapshot;
	}

	#apply(state: PollerState): void {
		const raw = state.snapshot;
		if (raw && raw !== this.#processed) {
			this.#processed = raw;
			const snapshot = this.#withTelemetry(raw);
			const context = this.#tunnelContext();
			const reachable = snapshot.router?.reachable !== false;
			const at = reachable ? (snapshot.router?.polledAt ?? new Date()) : (state.lastAttemptAt ?? new Date());
			// the first poll failing is news too: compare with a reachable nothing
			const previous =
				this.#previous ??
				(reachable ? undefined : { router: { ...(snapshot.router ?? emptyIdentity), reachable: true } });
			this.log.add(...diffSnapshots(previous, snapshot, at, context));
			if (reachable) {
				this.#join(snapshot);
				this.history.record(new Date(at), this.#rows);
			}
			this.#diagnose(snapshot);
			if (this.#registry)
				updateMetrics(this.#registry, state.target.name, snapshot, this.#rows, {
					...(state.lastPollDurationMs !== undefined
						? { pollDurationSeconds: state.lastPollDurationMs / 1000 }
						: {}),
				});
			this.#previous = snapshot;
		}
		this.#publish(state);
	}

	#diagnose(raw: StatusSnapshot): void {
		const snapshot = this.#withTelemetry(raw);
		const {
			design,
			side,
			securityGroupRules,
			awsTelemetry,
			clockSkewSeconds,
			routeTable,
			configResetDetected,
		} = this.#context;
		this.#findings = diagnose(
			{
				snapshot,
				rows: this.#rows,
				history: this.history,
				...(design ? { design } : {}),
				...(side ? { side } : {}),
				...(securityGroupRules ? { securityGroupRules } : {}),
				...(awsTelemetry ? { awsTelemetry } : {}),
				...(clockSkewSeconds !== undefined ? { clockSkewSeconds } : {}),
				...(routeTable ? { routeTable } : {}),
				...(configResetDetected !== undefined ? { configResetDetected } : {}),
			},
			this.#t,
		);
	}

	#build(state: PollerState): RouterView {
		return {
			...state,
			rows: this.#rows,
			otherBgp: this.#otherBgp,
			events: this.log.list(),
			findings: this.#findings,
			history: this.history,
		};
	}

	#publish(state: PollerState): void {
		this.#view = this.#build(state);
		this.emit('update', this.#view);
	}

	/** The snapshot with its findings, as `monitor --once --json` prints it (contract.md). */
	snapshotWithFindings(): StatusSnapshot | undefined {
		const snapshot = this.#processed;
		if (!snapshot) return undefined;
		const findings = this.#findings.map(({ severity, code, message, hint }) => ({
			severity,
			code,
			message,
			...(hint !== undefined ? { hint } : {}),
		}));
		return { ...this.#withTelemetry(snapshot), findings };
	}

	stop(): void {
		this.#failSafe?.stop();
		this.poller.off('update', this.#onUpdate);
		this.poller.stop();
	}
}

const emptyIdentity = { name: '', vendor: '', host: '', reachable: true, polledAt: '' };

const shared = new WeakMap<PollerLike, RouterMonitor>();

/** The one monitor of a poller (created on first use, without context): for callers that hold only pollers. */
export function monitorFor(poller: PollerLike, options?: RouterMonitorOptions): RouterMonitor {
	let monitor = shared.get(poller);
	if (!monitor) {
		monitor = new RouterMonitor(poller, options);
		shared.set(poller, monitor);
	}
	return monitor;
}

/** Register a monitor built with context, so `monitorFor` returns it. */
export function adoptMonitor(monitor: RouterMonitor): RouterMonitor {
	shared.set(monitor.poller, monitor);
	return monitor;
}
