/**
 * One poll cycle over kakehashi's persistent SSH session against the same commands as separate
 * OpenSSH runs (issue 6, "Speed"), on the router lab (test/lab/lab.ts: strongSwan + FRR + OpenSSH in
 * network namespaces). A cycle is every command of the `strongswan-frr` driver:
 * - persistent: `RouterPoller.pollOnce()` over one `RouterSession` (one shell, commands one after the
 *   other, outputs parsed), as `kakehashi monitor` polls;
 * - OpenSSH: each command as its own `ssh -i KEY -p PORT -o UserKnownHostsFile=… kkh@127.0.0.1 'sudo …'`
 *   (a new connection, key exchange, authentication and session each time).
 * Host keys are checked on both sides against the lab's known_hosts file. Target: persistent ≤ 0.3×.
 *
 * Run: `node --import tsx bench/poll-cycle.ts [cycles]` (default 10; or `npm run bench -- poll-cycle`).
 * Needs what the lab needs (root, namespaces, the Debian packages); without it, prints why and exits 0.
 * Exits 1 when the target is missed.
 */

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { openRouterSession, resolveTargets } from '../source/monitor/connect.js';
import { RouterPoller } from '../source/monitor/poller.js';
import { driverFor } from '../source/router/drivers/index.js';
import { createKnownHostsVerifier } from '../source/router/host-keys.js';
import { RouterSession } from '../source/router/session.js';
import { type Lab, labUnavailableReason, startLab } from '../test/lab/lab.js';
import { waitUntil } from '../test/lab/processes.js';

const target = 0.3;
const cycles = Number(process.argv[2] ?? process.env.KKH_BENCH_CYCLES ?? 10);
if (!Number.isInteger(cycles) || cycles < 1) {
	console.error(`cycles: "${process.argv[2]}" must be a positive integer`);
	process.exit(2);
}

const unavailable = labUnavailableReason();
if (unavailable) {
	console.log(`poll-cycle: skipped, the router lab cannot run here: ${unavailable}`);
	process.exit(0);
}
const driver = driverFor('strongswan-frr');
if (!driver) {
	console.log('poll-cycle: skipped, the strongswan-frr driver is not registered');
	process.exit(0);
}

type Stats = { median: number; min: number; max: number };
function stats(samples: number[]): Stats {
	const sorted = [...samples].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	const median =
		sorted.length % 2 === 1
			? (sorted[middle] as number)
			: ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
	return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}
const ms = (value: number) => `${value.toFixed(1).padStart(8)} ms`;
const row = (label: string, s: Stats) =>
	`${label.padEnd(52)} median ${ms(s.median)}   min ${ms(s.min)}   max ${ms(s.max)}`;

let lab: Lab | undefined;
let session: RouterSession | undefined;
let quickSession: RouterSession | undefined;
let poller: RouterPoller | undefined;
let quickPoller: RouterPoller | undefined;
const cleanUp = async () => {
	poller?.stop();
	quickPoller?.stop();
	await session?.close().catch(() => {});
	await quickSession?.close().catch(() => {});
	await lab?.teardown();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		void cleanUp().finally(() => process.exit(130));
	});
}

try {
	try {
		lab = await startLab();
	} catch (error) {
		if (String(error).includes('Another router lab is running')) {
			console.log(`poll-cycle: skipped, ${error instanceof Error ? error.message : String(error)}`);
			process.exit(0);
		}
		throw error;
	}
	const ssh = lab.ssh;
	const [routerTarget] = resolveTargets(
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
	if (!routerTarget) throw new Error('no target');
	session = await openRouterSession(routerTarget, driver, { knownHostsFile: ssh.knownHostsFile });
	const activeSession = session;
	await activeSession.connect();
	const activePoller = new RouterPoller(
		session,
		driver,
		{ name: 'lab-site', vendor: 'strongswan-frr', host: ssh.host, port: ssh.port },
		{ intervalMs: 60_000, commandTimeoutMs: 20_000 },
	);
	poller = activePoller;
	const peers = lab.design.tunnels.map((tunnel) => tunnel.awsOutsideIp);
	const neighbors = lab.design.tunnels.map((tunnel) => tunnel.awsInsideIp);
	// measure the outputs a real router shows: both tunnels and both BGP sessions up
	await waitUntil(
		'both tunnels and both BGP sessions up',
		async () => {
			const { snapshot, error } = await activePoller.pollOnce();
			if (error) throw new Error(error);
			return (
				peers.every((peer) => (snapshot?.ipsec ?? []).some((sa) => sa.peer === peer && sa.state === 'up')) &&
				neighbors.every((neighbor) =>
					(snapshot?.bgp ?? []).some((peer) => peer.neighbor === neighbor && peer.state === 'established'),
				)
			);
		},
		{ timeoutMs: 60_000, intervalMs: 500 },
	);

	const openSsh = (command: string) =>
		execa(
			'ssh',
			[
				...['-i', ssh.identityFile, '-p', String(ssh.port)],
				...['-o', `UserKnownHostsFile=${ssh.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes'],
				...['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-F', 'none'],
				`${ssh.user}@${ssh.host}`,
				command,
			],
			{ timeout: 30_000 },
		);
	// one of each, unmeasured: warms the page cache, sshd, sudo and the JIT on both sides
	await activePoller.pollOnce();
	for (const command of driver.commands) {
		const { stdout } = await openSsh(command.command);
		if (stdout.trim() === '') throw new Error(`OpenSSH: "${command.command}" printed nothing`);
	}

	// for comparison only: the same session with a 10 ms prompt settle instead of the default 50 ms
	const quick = new RouterSession({
		host: ssh.host,
		port: ssh.port,
		username: ssh.user,
		privateKey: readFileSync(ssh.identityFile),
		agent: 'none',
		driver,
		hostKeyVerifier: createKnownHostsVerifier({ knownHostsFiles: [ssh.knownHostsFile] }),
		promptSettleMs: 10,
	});
	quickSession = quick;
	await quick.connect();
	const activeQuickPoller = new RouterPoller(
		quick,
		driver,
		{ name: 'lab-site', vendor: 'strongswan-frr', host: ssh.host, port: ssh.port },
		{ intervalMs: 60_000, commandTimeoutMs: 20_000 },
	);
	quickPoller = activeQuickPoller;
	await activeQuickPoller.pollOnce();

	/** What the router itself spends on a command (bash `time` in the same shell): the floor for both. */
	const onRouter = async (command: string) => {
		const text = await activeSession.run(`TIMEFORMAT=%3R; time { ${command} >/dev/null 2>&1; }`);
		const seconds = Number(/(\d+\.\d+)\s*$/.exec(text.trim())?.[1]);
		return Number.isFinite(seconds) ? seconds * 1000 : undefined;
	};

	const persistent: number[] = [];
	const separate: number[] = [];
	const floor: number[] = [];
	const quickCycles: number[] = [];
	const perCommand = new Map<string, number[]>(driver.commands.map((command) => [command.command, []]));
	// interleaved, so that a noisy moment on the machine touches both sides alike
	for (let cycle = 0; cycle < cycles; cycle++) {
		let started = performance.now();
		const state = await activePoller.pollOnce();
		persistent.push(performance.now() - started);
		if (state.error) throw new Error(`persistent poll failed: ${state.error}`);

		started = performance.now();
		for (const command of driver.commands) {
			const commandStarted = performance.now();
			await openSsh(command.command);
			perCommand.get(command.command)?.push(performance.now() - commandStarted);
		}
		separate.push(performance.now() - started);

		started = performance.now();
		const quickState = await activeQuickPoller.pollOnce();
		quickCycles.push(performance.now() - started);
		if (quickState.error) throw new Error(`persistent poll (10 ms settle) failed: ${quickState.error}`);

		let spent = 0;
		for (const command of driver.commands) spent += (await onRouter(command.command)) ?? Number.NaN;
		if (!Number.isNaN(spent)) floor.push(spent);
	}

	const ours = stats(persistent);
	const theirs = stats(separate);
	const ratio = ours.median / theirs.median;
	console.log(
		`poll cycle on the router lab (${lab.dataPlane}${lab.nat ? ', behind NAT' : ''}): ${driver.commands.length} commands, ${cycles} cycles`,
	);
	for (const command of driver.commands) console.log(`  ${command.command}`);
	console.log(row('persistent session (RouterPoller)', ours));
	console.log(row(`OpenSSH, ${driver.commands.length} separate ssh runs`, theirs));
	for (const [command, samples] of perCommand) console.log(row(`  ssh '${command}'`, stats(samples)));
	console.log(row('persistent, promptSettleMs 10 (not the default)', stats(quickCycles)));
	if (floor.length > 0) console.log(row('the commands alone, on the router', stats(floor)));
	console.log(
		`ratio (median persistent / median OpenSSH): ${ratio.toFixed(3)}× — target ≤ ${target}× ${ratio <= target ? 'met' : 'MISSED'}`,
	);
	if (ratio > target) process.exitCode = 1;
} finally {
	await cleanUp();
}
