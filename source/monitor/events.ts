import type { MessageKey, MessageVars, Translate } from '../i18n/index.js';
import type { StatusSnapshot } from '../router/model.js';
import { RingBuffer } from './history.js';
import { joinTunnels, listOf, normalizePeer, type TunnelContext, type TunnelRow } from './tunnels.js';

/**
 * What changed between two polls of one router, as events for the panel's log. An event carries a
 * code and variables; the words come from the catalogs (`event.<code>` in en/ja), not from here.
 */

export type MonitorEventCode =
	| 'router.unreachable'
	| 'router.reconnected'
	| 'tunnel.up'
	| 'tunnel.down'
	| 'ike.changed'
	| 'ipsec.changed'
	| 'bgp.changed'
	| 'sa.rekey'
	| 'aws.changed';

export type MonitorEvent = {
	/** ISO 8601. */
	at: string;
	code: MonitorEventCode;
	severity: 'error' | 'warning' | 'info';
	router?: string;
	/** The tunnel's peer outside address, when the event is about a tunnel. */
	peer?: string;
	vars: MessageVars;
};

const notUp = (row: TunnelRow | undefined) => !row || row.state === 'down';

export function diffSnapshots(
	previous: StatusSnapshot | undefined,
	next: StatusSnapshot,
	at: Date | string,
	context: TunnelContext = {},
): MonitorEvent[] {
	const time = typeof at === 'string' ? at : at.toISOString();
	const router = next.router?.name ?? previous?.router?.name;
	const events: MonitorEvent[] = [];
	const emit = (
		code: MonitorEventCode,
		severity: MonitorEvent['severity'],
		vars: MessageVars,
		peer?: string,
	) => {
		events.push({
			at: time,
			code,
			severity,
			...(router !== undefined ? { router } : {}),
			...(peer !== undefined ? { peer } : {}),
			vars: { router: router ?? '', ...vars },
		});
	};
	if (!previous) return events;

	const wasReachable = previous.router?.reachable !== false;
	const isReachable = next.router?.reachable !== false;
	if (wasReachable && !isReachable) {
		emit('router.unreachable', 'error', { host: next.router?.host ?? '' });
		// the data is the last good poll's: comparing it would invent changes
		return events;
	}
	if (!isReachable) return events;
	if (!wasReachable) emit('router.reconnected', 'info', { host: next.router?.host ?? '' });

	const before = new Map(joinTunnels(previous, context).map((row) => [row.peer, row]));
	const after = joinTunnels(next, context);
	const peers = new Set(after.map((row) => row.peer));
	const rows: [TunnelRow | undefined, TunnelRow | undefined][] = [
		...after.map((row): [TunnelRow | undefined, TunnelRow] => [before.get(row.peer), row]),
		...[...before.values()]
			.filter((row) => !peers.has(row.peer))
			.map((row): [TunnelRow, undefined] => [row, undefined]),
	];

	for (const [old, now] of rows) {
		const peer = (now ?? old)?.peer ?? '';
		const phase1 = { old: old?.phase1 ?? 'missing', now: now?.phase1 ?? 'missing' };
		const phase2 = { old: old?.phase2 ?? 'missing', now: now?.phase2 ?? 'missing' };
		if (notUp(old) && !notUp(now)) emit('tunnel.up', 'info', { peer }, peer);
		if (!notUp(old) && notUp(now)) emit('tunnel.down', 'error', { peer }, peer);
		if (phase1.old !== phase1.now)
			emit(
				'ike.changed',
				phase1.now === 'established' ? 'info' : 'warning',
				{ peer, from: phase1.old, to: phase1.now },
				peer,
			);
		if (phase2.old !== phase2.now)
			emit(
				'ipsec.changed',
				phase2.now === 'up' ? 'info' : 'warning',
				{ peer, from: phase2.old, to: phase2.now },
				peer,
			);
		if (
			old?.phase2 === 'up' &&
			now?.phase2 === 'up' &&
			old.spiIn !== undefined &&
			now.spiIn !== undefined &&
			old.spiIn !== now.spiIn
		)
			emit('sa.rekey', 'info', { peer, from: old.spiIn, to: now.spiIn }, peer);
		if (old?.aws && now?.aws && old.aws.status !== now.aws.status)
			emit(
				'aws.changed',
				now.aws.status === 'UP' ? 'info' : 'warning',
				{ peer, from: old.aws.status, to: now.aws.status, message: now.aws.statusMessage ?? '' },
				peer,
			);
	}

	// BGP by neighbour address: every neighbour, whether or not a tunnel claims it
	const tunnelOf = new Map(after.flatMap((row) => (row.bgp ? [[row.bgp.neighbor, row.peer] as const] : [])));
	const neighbors = (snapshot: StatusSnapshot) =>
		new Map(
			listOf(snapshot.bgp).map((neighbor) => [normalizePeer(neighbor.neighbor), neighbor.state as string]),
		);
	const oldBgp = neighbors(previous);
	const newBgp = neighbors(next);
	for (const neighbor of new Set([...newBgp.keys(), ...oldBgp.keys()])) {
		const from = oldBgp.get(neighbor) ?? 'missing';
		const to = newBgp.get(neighbor) ?? 'missing';
		if (from === to) continue;
		const peer = tunnelOf.get(neighbor);
		emit(
			'bgp.changed',
			to === 'established' ? 'info' : from === 'established' ? 'error' : 'warning',
			{ neighbor, from, to },
			peer,
		);
	}
	return events;
}

/** A bounded log, newest last: the oldest events drop off beyond `capacity`. */
export class EventLog {
	readonly #events: RingBuffer<MonitorEvent>;

	constructor(capacity = 500) {
		this.#events = new RingBuffer(capacity);
	}

	add(...events: MonitorEvent[]): void {
		for (const event of events) this.#events.push(event);
	}

	list(): MonitorEvent[] {
		return this.#events.toArray();
	}

	get size(): number {
		return this.#events.size;
	}

	clear(): void {
		this.#events.clear();
	}
}

const eventMessages: Record<MonitorEventCode, MessageKey> = {
	'router.unreachable': 'event.router.unreachable',
	'router.reconnected': 'event.router.reconnected',
	'tunnel.up': 'event.tunnel.up',
	'tunnel.down': 'event.tunnel.down',
	'ike.changed': 'event.ike.changed',
	'ipsec.changed': 'event.ipsec.changed',
	'bgp.changed': 'event.bgp.changed',
	'sa.rekey': 'event.sa.rekey',
	'aws.changed': 'event.aws.changed',
};

/** The event in the user's language (`event.<code>` in the catalogs). */
export function describeEvent(event: MonitorEvent, t: Translate): string {
	return t(eventMessages[event.code], event.vars);
}
