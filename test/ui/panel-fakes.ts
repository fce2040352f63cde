import { EventEmitter } from 'node:events';
import type { PollerState } from '../../source/monitor/poller.js';
import type { StatusSnapshot } from '../../source/router/model.js';

/** A poller the test drives by hand: `poll(snapshot)` is one successful poll, `fail()` one that failed. */
export class FakePoller extends EventEmitter<{ update: [PollerState] }> {
	state: PollerState;
	started = 0;
	polledNow = 0;
	stopped = false;
	#clock: number;

	constructor(name = 'site', host = '198.51.100.10', start = Date.parse('2026-11-22T14:00:00Z')) {
		super();
		this.#clock = start;
		this.state = {
			target: { name, vendor: 'awplus', host, port: 22 },
			connection: 'ready',
			raw: {},
			stale: false,
			paused: false,
			polls: 0,
		};
	}

	#set(patch: Partial<PollerState>) {
		this.state = { ...this.state, ...patch };
		this.emit('update', this.state);
	}

	poll(snapshot: StatusSnapshot, raw: Record<string, string> = {}, stepMs = 5000): void {
		this.#clock += stepMs;
		const at = new Date(this.#clock);
		this.#set({
			snapshot: {
				...snapshot,
				router: { ...(snapshot.router ?? identity(this.state)), polledAt: at.toISOString(), reachable: true },
			},
			raw,
			lastPolledAt: at,
			lastAttemptAt: at,
			lastPollDurationMs: 12,
			error: undefined,
			stale: false,
			polls: this.state.polls + 1,
		});
	}

	fail(message = 'connection reset', stepMs = 5000): void {
		this.#clock += stepMs;
		const at = new Date(this.#clock);
		const previous = this.state.snapshot;
		this.#set({
			lastAttemptAt: at,
			error: message,
			connection: 'reconnecting',
			stale: this.state.lastPolledAt !== undefined,
			snapshot:
				previous && this.state.lastPolledAt
					? { ...previous, router: { ...(previous.router ?? identity(this.state)), reachable: false } }
					: {
							router: { ...identity(this.state), reachable: false, polledAt: at.toISOString() },
							ike: [],
							ipsec: [],
							bgp: [],
							routes: [],
							unparsed: [],
						},
		});
	}

	setConnection(connection: string): void {
		this.#set({ connection });
	}

	start(): void {
		this.started++;
	}
	pollNow(): void {
		this.polledNow++;
	}
	setPaused(paused: boolean): void {
		this.#set({ paused });
	}
	stop(): void {
		this.stopped = true;
	}
}

function identity(state: PollerState) {
	return {
		name: state.target.name,
		vendor: state.target.vendor,
		host: state.target.host,
		reachable: true,
		polledAt: '',
	};
}

export const peer = '203.0.113.188';

/** The site router's view of a healthy tunnel to the appliance, with counters. */
export function upSnapshot(bytes = 1000): StatusSnapshot {
	return {
		ike: [
			{
				peer,
				state: 'established',
				version: 2,
				encryption: 'aes256',
				integrity: 'sha256',
				dhGroup: 14,
				expiresInSeconds: 28000,
			},
		],
		ipsec: [
			{
				peer,
				tunnel: 'tunnel0',
				state: 'up',
				spiIn: '0xcf74f55b',
				spiOut: '0x8fbb211b',
				expiresInSeconds: 3000,
				bytesIn: bytes,
				bytesOut: bytes * 2,
				packetsIn: 10,
				packetsOut: 20,
			},
		],
		bgp: [
			{
				neighbor: '172.16.0.1',
				remoteAs: 65000,
				state: 'established',
				uptimeSeconds: 397,
				prefixesReceived: 2,
			},
		],
		routes: [],
		unparsed: [],
	};
}

export function downSnapshot(): StatusSnapshot {
	return { ike: [], ipsec: [], bgp: [], routes: [], unparsed: [] };
}

export const rawOutput = {
	ike: `Peer                 Cookies (initiator:responder)       Auth Ver  Expires\n${peer}        ec5a027d3194b1a4:0bba12c1a0861376    PSK  2   28792s`,
	ipsec: `Peer                 SPI (In:Out)          Mode    Proto Expires\n${peer}        cf74f55b:8fbb211b     tunnel  ESP   3593s`,
};

/** Poll until `check` passes or the deadline: for assertions on what a component shows. */
export async function eventually(check: () => void, timeoutMs = 10_000, stepMs = 20): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			check();
			return;
		} catch (error) {
			if (Date.now() > deadline) throw error;
			await new Promise((resolve) => setTimeout(resolve, stepMs));
		}
	}
}
