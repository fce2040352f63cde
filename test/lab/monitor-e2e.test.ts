/**
 * `kakehashi monitor --vendor strongswan-frr` against the router lab, end to end: the built CLI
 * (`node dist/cli.js`, so run `npm run build` first) over real SSH to the lab's site router, the host
 * key checked against the lab's known_hosts file; then the library's persistent session and poller
 * riding out an sshd restart.
 *
 * Same rules as lab.test.ts: skipped, with the reason, where the lab cannot run; with CI=true it must
 * run (missing packages are installed with .ci/lab-packages.sh, a lab that cannot start fails the run).
 * One lab for the whole file; the lab files take turns (one lab per machine), see `startLabInTurn`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRouterSession, resolveTargets } from '../../source/monitor/connect.js';
import { type PollerState, RouterPoller } from '../../source/monitor/poller.js';
import { driverFor } from '../../source/router/drivers/index.js';
import type { StatusSnapshot } from '../../source/router/model.js';
import type { RouterSession } from '../../source/router/session.js';
import type { Lab } from './lab.js';
import { labUnavailableReason } from './lab.js';
import { endTurn, startLabInTurn } from './lab-turn.js';
import { waitUntil } from './processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const cliPath = join(root, 'dist/cli.js');
const inCi = process.env.CI === 'true';
const unavailable = labUnavailableReason();
const skip = unavailable !== undefined && !inCi;
if (skip) {
	console.warn(`[monitor e2e] skipped: ${unavailable}`);
}

type Snapshot = StatusSnapshot & { lastPollDurationMs?: number };

/** Both tunnels up: IKE established and an IPsec SA up for each AWS outside address. */
function tunnelsUp(snapshot: Snapshot, peers: string[]): boolean {
	return peers.every(
		(peer) =>
			(snapshot.ike ?? []).some((sa) => sa.peer === peer && sa.state === 'established') &&
			(snapshot.ipsec ?? []).some((sa) => sa.peer === peer && sa.state === 'up'),
	);
}
/** Both tunnels down: no IKE SA established and no IPsec SA up for any AWS outside address. */
function tunnelsDown(snapshot: Snapshot, peers: string[]): boolean {
	return peers.every(
		(peer) =>
			!(snapshot.ike ?? []).some((sa) => sa.peer === peer && sa.state === 'established') &&
			!(snapshot.ipsec ?? []).some((sa) => sa.peer === peer && sa.state === 'up'),
	);
}
function bgpUp(snapshot: Snapshot, neighbors: string[]): boolean {
	return neighbors.every((neighbor) =>
		(snapshot.bgp ?? []).some(
			(peer) =>
				peer.neighbor === neighbor && peer.state === 'established' && (peer.prefixesReceived ?? 0) >= 1,
		),
	);
}

describe.skipIf(skip)(
	`kakehashi monitor --vendor strongswan-frr over SSH to the router lab${skip ? ` (skipped: ${unavailable})` : ''}`,
	() => {
		let lab: Lab | undefined;
		const peers = () => lab?.design.tunnels.map((tunnel) => tunnel.awsOutsideIp) ?? [];
		const neighbors = () => lab?.design.tunnels.map((tunnel) => tunnel.awsInsideIp) ?? [];
		const snapshots: Snapshot[] = [];

		/** `kakehashi monitor --once --json` as a user types it; the host key checked against the lab's known_hosts. */
		const monitorOnce = async (knownHosts = lab?.ssh.knownHostsFile) => {
			const ssh = lab?.ssh;
			if (!ssh || !knownHosts) throw new Error('no lab');
			const result = await execa(
				'node',
				[
					cliPath,
					...['--known-hosts', knownHosts, '--lang', 'en'],
					'monitor',
					...['--host', ssh.host, '--port', String(ssh.port), '--user', ssh.user],
					...['--identity', ssh.identityFile, '--vendor', 'strongswan-frr', '--once', '--json'],
				],
				{ cwd: root, reject: false, timeout: 60_000 },
			);
			return result;
		};
		const poll = async (): Promise<Snapshot> => {
			const result = await monitorOnce();
			if (result.exitCode !== 0)
				throw new Error(`monitor exited ${result.exitCode}: ${result.stderr}\n${result.stdout}`);
			const snapshot = JSON.parse(String(result.stdout)) as Snapshot;
			snapshots.push(snapshot);
			return snapshot;
		};
		/** Polls every 2 s until `want` holds, at most `polls` times. */
		const pollUntil = async (what: string, want: (snapshot: Snapshot) => boolean, polls: number) => {
			let last: Snapshot | undefined;
			for (let attempt = 1; attempt <= polls; attempt++) {
				const started = Date.now();
				last = await poll();
				if (want(last)) return { snapshot: last, polls: attempt };
				await sleep(Math.max(0, 2000 - (Date.now() - started)));
			}
			throw new Error(`${what}: not after ${polls} polls; last snapshot ${JSON.stringify(last, null, 2)}`);
		};

		beforeAll(async () => {
			if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
			if (unavailable && inCi) {
				execFileSync('bash', [join(root, '.ci/lab-packages.sh')], { stdio: 'inherit' });
				const still = labUnavailableReason();
				if (still) throw new Error(`CI=true but the router lab cannot run: ${still}`);
			}
			lab = await startLabInTurn((line) => console.info(`[monitor e2e lab] ${line}`));
		}, 660_000);

		afterAll(async () => {
			try {
				await lab?.teardown();
			} finally {
				endTurn();
			}
		}, 60_000);

		it('refuses a router whose host key is not in the known_hosts file', async () => {
			const empty = join(lab?.directory ?? '/tmp', 'empty_known_hosts');
			writeFileSync(empty, '');
			const result = await monitorOnce(empty);
			expect(result.exitCode).not.toBe(0);
			expect(String(result.stderr)).toContain(lab?.ssh.hostKeyFingerprint);
		});

		it('shows both tunnels (IKE established, IPsec up) and both BGP sessions with the VPC prefix learned', async () => {
			// the lab returns as soon as its daemons run: BGP needs a few seconds more
			const { snapshot } = await pollUntil(
				'both tunnels and both BGP sessions up',
				(s) => tunnelsUp(s, peers()) && bgpUp(s, neighbors()),
				30,
			);
			expect(snapshot.router).toMatchObject({ vendor: 'strongswan-frr', reachable: true });
			expect((snapshot.ike ?? []).map((sa) => sa.peer).sort()).toEqual([...peers()].sort());
			for (const peer of peers()) {
				expect((snapshot.ike ?? []).find((sa) => sa.peer === peer)).toMatchObject({
					state: 'established',
					encryption: 'aes128',
					integrity: 'sha1',
					dhGroup: 2,
				});
			}
			for (const neighbor of neighbors()) {
				const peer = (snapshot.bgp ?? []).find((entry) => entry.neighbor === neighbor);
				expect(peer).toMatchObject({ state: 'established', remoteAs: 64512 });
				expect(peer?.prefixesReceived).toBeGreaterThanOrEqual(1);
			}
			expect(snapshot.unparsed).toEqual([]);
			expect((snapshot.findings ?? []).filter((finding) => finding.severity === 'error')).toEqual([]);
		});

		it('shows the tunnels down with a finding within a few polls of the AWS IKE daemon stopping, then recovers', async () => {
			await lab?.stopAwsIke();
			let stoppedAfter: number | undefined;
			try {
				const { snapshot, polls } = await pollUntil(
					'both tunnels down with a finding',
					(s) => tunnelsDown(s, peers()) && (s.findings ?? []).length > 0,
					5,
				);
				stoppedAfter = polls;
				const named = (snapshot.findings ?? []).filter((finding) =>
					peers().some((peer) => finding.message.includes(peer)),
				);
				expect(named.length).toBeGreaterThanOrEqual(1);
				expect((snapshot.findings ?? []).some((finding) => finding.severity === 'error')).toBe(true);
			} finally {
				await lab?.startAwsIke();
			}
			expect(stoppedAfter).toBeLessThanOrEqual(5);
			// BGP over a dead tunnel lasts until its 30 s hold timer: recovery may mean BGP re-establishing
			await pollUntil(
				'both tunnels and both BGP sessions up again',
				(s) => tunnelsUp(s, peers()) && bgpUp(s, neighbors()),
				45,
			);
		}, 180_000);

		it('the persistent session and poller reconnect after sshd restarts mid-poll, without crashing', async () => {
			const ssh = lab?.ssh;
			const driver = driverFor('strongswan-frr');
			if (!ssh || !driver) throw new Error('no lab or no strongswan-frr driver');
			const [target] = resolveTargets(
				[
					{
						name: 'lab-site',
						host: ssh.host,
						port: ssh.port,
						user: ssh.user,
						vendor: 'strongswan-frr',
						identity: ssh.identityFile,
					},
				],
				undefined,
			);
			if (!target) throw new Error('no target');
			const session: RouterSession = await openRouterSession(target, driver, {
				knownHostsFile: ssh.knownHostsFile,
			});
			const states: string[] = [];
			session.on('state', (state) => states.push(state));
			const poller = new RouterPoller(
				session,
				driver,
				{ name: target.name, vendor: target.vendor, host: target.address, port: target.port },
				{ intervalMs: 1000, commandTimeoutMs: 15_000 },
			);
			const updates: PollerState[] = [];
			poller.on('update', (state) => updates.push(state));
			try {
				await session.connect();
				poller.start();
				await waitUntil('a first successful poll', () => poller.state.polls >= 1, { timeoutMs: 20_000 });
				expect(tunnelsUp(poller.state.snapshot as Snapshot, peers())).toBe(true);

				// restart sshd while a poll is on the wire
				const pollsBefore = poller.state.polls;
				const inFlight = poller.pollOnce();
				await lab?.restartSshd();
				await inFlight;

				await waitUntil('a poll after the reconnect', () => poller.state.polls >= pollsBefore + 2, {
					timeoutMs: 60_000,
					intervalMs: 250,
				});
				expect(states).toContain('reconnecting');
				expect(session.state).toBe('ready');
				const after = poller.state;
				expect(after.error).toBeUndefined();
				expect(after.stale).toBe(false);
				expect(after.snapshot?.router?.reachable).toBe(true);
				expect(tunnelsUp(after.snapshot as Snapshot, peers())).toBe(true);
				// the loop went on: the failed poll (if any) was recorded, not thrown
				expect(updates.some((state) => state.connection === 'reconnecting')).toBe(true);
			} finally {
				poller.stop();
				await session.close();
			}
		}, 120_000);
	},
);
