import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BgpState, StatusSnapshot } from '../router/model.js';
import { counterIncrease } from './history.js';
import { listOf, normalizePeer, type Phase1State, type Phase2State, type TunnelRow } from './tunnels.js';

/**
 * Prometheus exposition of what the monitor sees, on a registry of the caller's (never the global
 * one), served over node:http on an address the caller names (loopback by default).
 *
 * States are numbers with fixed meanings (see the HELP lines):
 *   kakehashi_ike_state    0 no SA or down, 1 negotiating, 2 established
 *   kakehashi_ipsec_state  0 no SA or down, 1 up
 *   kakehashi_bgp_state    0 not configured, then RFC 4273's bgpPeerState:
 *                          1 idle, 2 connect, 3 active, 4 opensent, 5 openconfirm, 6 established
 * Router byte/packet counters restart at each rekey; the exported counters are made monotonic
 * (a drop adds the new reading), so PromQL's rate() works across rekeys.
 * Where the SAs print no counters (AW+), a row's are its tunnel interface's (interface-counters.ts):
 * they restart when the interface goes down or the router reboots, and are exported the same way.
 */

export const ikeStateValue: Record<Phase1State, number> = {
	missing: 0,
	down: 0,
	negotiating: 1,
	established: 2,
};
export const ipsecStateValue: Record<Phase2State, number> = { missing: 0, down: 0, up: 1 };
export const bgpStateValue: Record<BgpState | 'missing', number> = {
	missing: 0,
	idle: 1,
	connect: 2,
	active: 3,
	opensent: 4,
	openconfirm: 5,
	established: 6,
};

type TunnelLabels = 'router' | 'peer' | 'tunnel';

type MonitorMetrics = {
	reachable: Gauge<'router'>;
	lastPoll: Gauge<'router'>;
	pollDuration: Gauge<'router'>;
	tunnelUp: Gauge<TunnelLabels>;
	ikeState: Gauge<TunnelLabels>;
	ipsecState: Gauge<TunnelLabels>;
	bgpState: Gauge<'router' | 'neighbor' | 'peer'>;
	prefixes: Gauge<'router' | 'neighbor' | 'peer'>;
	awsUp: Gauge<'router' | 'vpn_connection' | 'outside_ip'>;
	awsRoutes: Gauge<'router' | 'vpn_connection' | 'outside_ip'>;
	bytes: Counter<TunnelLabels | 'direction'>;
	packets: Counter<TunnelLabels | 'direction'>;
	/** Last raw router reading per counter series, to turn resets into increases. */
	readings: Map<string, number>;
	/** Label sets written per router in the last update, per metric: what disappears gets removed. */
	series: Map<string, Map<string, Map<string, Record<string, string>>>>;
};

const perRegistry = new WeakMap<Registry, MonitorMetrics>();

function metricsFor(registry: Registry): MonitorMetrics {
	const existing = perRegistry.get(registry);
	if (existing) return existing;
	const registers = [registry];
	const tunnelLabels = ['router', 'peer', 'tunnel'] as const;
	const bgpLabels = ['router', 'neighbor', 'peer'] as const;
	const awsLabels = ['router', 'vpn_connection', 'outside_ip'] as const;
	const metrics: MonitorMetrics = {
		reachable: new Gauge({
			name: 'kakehashi_router_reachable',
			help: '1 when the last poll of the router succeeded, 0 when it could not be reached.',
			labelNames: ['router'],
			registers,
		}),
		lastPoll: new Gauge({
			name: 'kakehashi_router_last_poll_timestamp_seconds',
			help: 'Unix time of the last successful poll of the router.',
			labelNames: ['router'],
			registers,
		}),
		pollDuration: new Gauge({
			name: 'kakehashi_router_poll_duration_seconds',
			help: 'How long the last poll of the router took.',
			labelNames: ['router'],
			registers,
		}),
		tunnelUp: new Gauge({
			name: 'kakehashi_tunnel_up',
			help: '1 when IKE is established and an IPsec SA is up for the peer, else 0.',
			labelNames: tunnelLabels,
			registers,
		}),
		ikeState: new Gauge({
			name: 'kakehashi_ike_state',
			help: 'IKE (phase 1) state: 0 no SA or down, 1 negotiating, 2 established.',
			labelNames: tunnelLabels,
			registers,
		}),
		ipsecState: new Gauge({
			name: 'kakehashi_ipsec_state',
			help: 'IPsec (phase 2) state: 0 no SA or down, 1 up.',
			labelNames: tunnelLabels,
			registers,
		}),
		bgpState: new Gauge({
			name: 'kakehashi_bgp_state',
			help: 'BGP state: 0 not configured, 1 idle, 2 connect, 3 active, 4 opensent, 5 openconfirm, 6 established (RFC 4273).',
			labelNames: bgpLabels,
			registers,
		}),
		prefixes: new Gauge({
			name: 'kakehashi_bgp_prefixes_received',
			help: 'Prefixes received from the BGP neighbour.',
			labelNames: bgpLabels,
			registers,
		}),
		awsUp: new Gauge({
			name: 'kakehashi_aws_tunnel_up',
			help: "AWS's telemetry for the VPN tunnel: 1 UP, 0 DOWN.",
			labelNames: awsLabels,
			registers,
		}),
		awsRoutes: new Gauge({
			name: 'kakehashi_aws_accepted_routes',
			help: 'Routes AWS accepted over the VPN tunnel.',
			labelNames: awsLabels,
			registers,
		}),
		bytes: new Counter({
			name: 'kakehashi_ipsec_bytes_total',
			help: 'Bytes through the IPsec SAs of the peer, made monotonic across rekeys.',
			labelNames: [...tunnelLabels, 'direction'],
			registers,
		}),
		packets: new Counter({
			name: 'kakehashi_ipsec_packets_total',
			help: 'Packets through the IPsec SAs of the peer, made monotonic across rekeys.',
			labelNames: [...tunnelLabels, 'direction'],
			registers,
		}),
		readings: new Map(),
		series: new Map(),
	};
	perRegistry.set(registry, metrics);
	return metrics;
}

type Writable = {
	remove(labels: Record<string, string>): void;
};

/** Records what this update writes, then removes the router's series the update no longer has. */
class SeriesTracker {
	readonly #written = new Map<string, Map<string, Record<string, string>>>();
	readonly #metrics = new Map<string, Writable>();

	constructor(
		private readonly state: MonitorMetrics,
		private readonly router: string,
	) {}

	touch(name: string, metric: Writable, labels: Record<string, string>): void {
		this.#metrics.set(name, metric);
		let written = this.#written.get(name);
		if (!written) {
			written = new Map();
			this.#written.set(name, written);
		}
		written.set(JSON.stringify(labels), labels);
	}

	/** `names`: the metrics this update owns; their series not written now are removed. */
	finish(names: Record<string, Writable>): void {
		const previous = this.state.series.get(this.router) ?? new Map();
		for (const [name, metric] of Object.entries(names)) {
			const now = this.#written.get(name) ?? new Map<string, Record<string, string>>();
			for (const [key, labels] of previous.get(name) ?? []) {
				if (now.has(key)) continue;
				metric.remove(labels);
				this.state.readings.delete(`${name}|${key}`);
			}
			previous.set(name, now);
		}
		this.state.series.set(this.router, previous);
	}
}

export type UpdateMetricsOptions = { pollDurationSeconds?: number };

/**
 * Write one router's poll into the registry. An unreachable router updates only its reachability
 * (and poll duration): its tunnel series keep their last values rather than invent new ones.
 */
export function updateMetrics(
	registry: Registry,
	routerName: string,
	snapshot: StatusSnapshot,
	rows: readonly TunnelRow[],
	options: UpdateMetricsOptions = {},
): void {
	const metrics = metricsFor(registry);
	const router = routerName;
	const reachable = snapshot.router?.reachable !== false;
	metrics.reachable.set({ router }, reachable ? 1 : 0);
	if (options.pollDurationSeconds !== undefined && Number.isFinite(options.pollDurationSeconds))
		metrics.pollDuration.set({ router }, options.pollDurationSeconds);
	if (!reachable) return;
	const polledAt = Date.parse(snapshot.router?.polledAt ?? '');
	if (Number.isFinite(polledAt)) metrics.lastPoll.set({ router }, polledAt / 1000);

	const tracker = new SeriesTracker(metrics, router);
	const setGauge = <T extends string>(
		name: string,
		gauge: Gauge<T>,
		labels: Record<T, string>,
		value: number,
	) => {
		gauge.set(labels, value);
		tracker.touch(name, gauge as unknown as Writable, labels);
	};
	const addCounter = (
		name: string,
		counter: Counter<TunnelLabels | 'direction'>,
		labels: Record<TunnelLabels | 'direction', string>,
		reading: number | undefined,
	) => {
		if (typeof reading !== 'number' || !Number.isFinite(reading) || reading < 0) return;
		const key = `${name}|${JSON.stringify(labels)}`;
		const previous = metrics.readings.get(key);
		// first sight: start from the router's value; a drop (rekey): the new reading is what came since
		const increase = previous === undefined ? reading : (counterIncrease(previous, reading) ?? reading);
		counter.inc(labels, increase);
		metrics.readings.set(key, reading);
		tracker.touch(name, counter as unknown as Writable, labels);
	};

	for (const row of rows) {
		const labels = { router, peer: row.peer, tunnel: row.name ?? row.tunnelInterface ?? '' };
		setGauge(
			'tunnelUp',
			metrics.tunnelUp,
			labels,
			row.phase1 === 'established' && row.phase2 === 'up' ? 1 : 0,
		);
		setGauge('ikeState', metrics.ikeState, labels, ikeStateValue[row.phase1] ?? 0);
		setGauge('ipsecState', metrics.ipsecState, labels, ipsecStateValue[row.phase2] ?? 0);
		addCounter('bytes', metrics.bytes, { ...labels, direction: 'in' }, row.counters.bytesIn);
		addCounter('bytes', metrics.bytes, { ...labels, direction: 'out' }, row.counters.bytesOut);
		addCounter('packets', metrics.packets, { ...labels, direction: 'in' }, row.counters.packetsIn);
		addCounter('packets', metrics.packets, { ...labels, direction: 'out' }, row.counters.packetsOut);
		if (row.aws) {
			const awsLabels = { router, vpn_connection: row.aws.vpnConnectionId, outside_ip: row.peer };
			setGauge('awsUp', metrics.awsUp, awsLabels, row.aws.status === 'UP' ? 1 : 0);
			if (row.aws.acceptedRouteCount !== undefined)
				setGauge('awsRoutes', metrics.awsRoutes, awsLabels, row.aws.acceptedRouteCount);
		}
	}
	const tunnelOf = new Map(rows.flatMap((row) => (row.bgp ? [[row.bgp.neighbor, row.peer] as const] : [])));
	const neighbors = new Map<string, { state: BgpState | 'missing'; prefixes?: number }>();
	for (const row of rows)
		if (row.bgp)
			neighbors.set(row.bgp.neighbor, { state: row.bgp.state, prefixes: row.bgp.prefixesReceived });
	for (const neighbor of listOf(snapshot.bgp))
		neighbors.set(normalizePeer(neighbor.neighbor), {
			state: neighbor.state,
			prefixes: neighbor.prefixesReceived,
		});
	for (const [neighbor, { state, prefixes }] of neighbors) {
		const labels = { router, neighbor, peer: tunnelOf.get(neighbor) ?? '' };
		setGauge('bgpState', metrics.bgpState, labels, bgpStateValue[state] ?? 0);
		if (typeof prefixes === 'number' && Number.isFinite(prefixes))
			setGauge('prefixes', metrics.prefixes, labels, prefixes);
	}
	tracker.finish({
		tunnelUp: metrics.tunnelUp,
		ikeState: metrics.ikeState,
		ipsecState: metrics.ipsecState,
		bgpState: metrics.bgpState,
		prefixes: metrics.prefixes,
		awsUp: metrics.awsUp,
		awsRoutes: metrics.awsRoutes,
		bytes: metrics.bytes,
		packets: metrics.packets,
	} as unknown as Record<string, Writable>);
}

export type MetricsServer = {
	/** `http://host:port/metrics` */
	url: string;
	host: string;
	port: number;
	close(): Promise<void>;
};

export type MetricsServerOptions = {
	/** The address to listen on; loopback unless the user names another. */
	host?: string;
	/** 0 picks a free port. */
	port?: number;
	registry: Registry;
};

/** Serve `GET /metrics` from the registry; anything else is 404. */
export function startMetricsServer({
	host = '127.0.0.1',
	port = 0,
	registry,
}: MetricsServerOptions): Promise<MetricsServer> {
	const server: Server = createServer((request, response) => {
		const path = (request.url ?? '').split('?')[0];
		if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
			response
				.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
				.end('Not found. Try /metrics.\n');
			return;
		}
		registry.metrics().then(
			(text) => {
				response.writeHead(200, { 'content-type': registry.contentType });
				response.end(request.method === 'HEAD' ? undefined : text);
			},
			(error: unknown) => {
				response
					.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
					.end(`${error instanceof Error ? error.message : String(error)}\n`);
			},
		);
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			const address = server.address() as AddressInfo;
			const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
			resolve({
				url: `http://${shown}:${address.port}/metrics`,
				host: address.address,
				port: address.port,
				close: () =>
					new Promise<void>((done, fail) => {
						server.close((error) => (error ? fail(error) : done()));
						server.closeAllConnections();
					}),
			});
		});
	});
}
