/**
 * The router lab, end to end: AWS's two tunnels between a strongSwan + FRR "site" router and a
 * strongSwan + FRR stand-in for AWS, each in its own network namespace, both configured by
 * `strongswanFrrConfig`; every observation is made over real SSH (OpenSSH server, ssh2 client).
 *
 * Skipped, with the reason, where the lab cannot run (not root, no namespaces, packages missing);
 * with CI=true it must run: missing packages are installed with .ci/lab-packages.sh, and a lab that
 * cannot start fails the run. KKH_LAB_CAPTURE=1 copies the show outputs it saw to test/lab/captures/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterDriver } from '../../source/router/driver.js';
import { tunnelName } from '../../source/router/drivers/strongswan-frr/config.js';
import { createKnownHostsVerifier } from '../../source/router/host-keys.js';
import { RouterSession, type SessionState } from '../../source/router/session.js';
import { type Lab, labUnavailableReason, startLab } from './lab.js';
import { waitUntil } from './processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const inCi = process.env.CI === 'true';
const unavailable = labUnavailableReason();
const skip = unavailable !== undefined && !inCi;
if (skip) {
	console.warn(`[router lab] skipped: ${unavailable}`);
}

/** The site's login shell, as a driver: a bash prompt, no paging, no enable. */
const shellDriver: RouterDriver = {
	vendor: 'lab-shell',
	prompt: /kkh-site\$\s*$/,
	pagingOff: [],
	commands: [],
};

const listSas = 'sudo swanctl --list-sas';
const bgpSummaryJson = "sudo vtysh -c 'show bgp summary json'";
const ipBgpJson = "sudo vtysh -c 'show ip bgp json'";

type TunnelView = { ike: string; children: string[] };

/** `swanctl --list-sas` keyed by the peer's outside address (the order of SAs is not the configuration's). */
function tunnelsByPeer(text: string): Map<string, TunnelView> {
	const tunnels = new Map<string, TunnelView>();
	let current: TunnelView | undefined;
	for (const line of text.split('\n')) {
		const ike = /^\S+: #\d+, (\w+), IKEv\d/.exec(line);
		if (ike) {
			current = { ike: ike[1] as string, children: [] };
			continue;
		}
		const remote = /^ {2}remote '[^']*' @ ([\d.]+)\[/.exec(line);
		if (remote && current) {
			// A tunnel being renegotiated can show twice; keep the better view.
			const known = tunnels.get(remote[1] as string);
			if (known?.ike !== 'ESTABLISHED') tunnels.set(remote[1] as string, current);
			continue;
		}
		const child = /^ {2}\S+: #\d+, reqid \d+, (\w+),/.exec(line);
		if (child && current) current.children.push(child[1] as string);
	}
	return tunnels;
}

const isUp = (view: TunnelView | undefined) =>
	view?.ike === 'ESTABLISHED' && view.children.includes('INSTALLED');

type BgpPeer = { state: string; pfxRcd?: number };
function bgpPeers(json: string): Record<string, BgpPeer> {
	const summary = JSON.parse(json) as { ipv4Unicast?: { peers?: Record<string, BgpPeer> } };
	return summary.ipv4Unicast?.peers ?? {};
}

const captured = new Map<string, string>();
function capture(name: string, text: string): void {
	captured.set(name, text.endsWith('\n') ? text : `${text}\n`);
}

describe.skipIf(skip)(
	`router lab: strongSwan + FRR + OpenSSH in network namespaces${skip ? ` (skipped: ${unavailable})` : ''}`,
	() => {
		let lab: Lab | undefined;
		let session: RouterSession | undefined;
		const states: SessionState[] = [];
		const show = (command: string) => {
			if (!session) throw new Error('no SSH session to the lab router');
			return session.run(command, { timeoutMs: 20_000 });
		};

		beforeAll(async () => {
			if (unavailable && inCi) {
				execFileSync('bash', [join(here, '../../.ci/lab-packages.sh')], { stdio: 'inherit' });
				const still = labUnavailableReason();
				if (still) throw new Error(`CI=true but the router lab cannot run: ${still}`);
			}
			lab = await startLab({ log: (line) => console.info(`[router lab] ${line}`) });
			session = new RouterSession({
				host: lab.ssh.host,
				port: lab.ssh.port,
				username: lab.ssh.user,
				privateKey: readFileSync(lab.ssh.identityFile),
				agent: 'none',
				driver: shellDriver,
				hostKeyVerifier: createKnownHostsVerifier({ knownHostsFiles: [lab.ssh.knownHostsFile] }),
				reconnect: { initialMs: 200, maxMs: 2000 },
				commandTimeoutMs: 20_000,
			});
			session.on('state', (state) => states.push(state));
			await session.connect();
		}, 180_000);

		afterAll(async () => {
			await session?.close();
			await lab?.teardown();
			if (process.env.KKH_LAB_CAPTURE === '1') {
				const directory = join(here, 'captures');
				mkdirSync(directory, { recursive: true });
				for (const [name, text] of captured) writeFileSync(join(directory, name), text);
			}
		}, 60_000);

		const awsOutside = () => lab?.design.tunnels.map((tunnel) => tunnel.awsOutsideIp) ?? [];
		const awsInside = () => lab?.design.tunnels.map((tunnel) => tunnel.awsInsideIp) ?? [];

		const waitForTunnels = async (want: (byPeer: Map<string, TunnelView>) => boolean, what: string) =>
			waitUntil(
				what,
				async () => {
					const text = await show(listSas);
					return want(tunnelsByPeer(text)) ? text : undefined;
				},
				{ timeoutMs: 60_000, intervalMs: 500 },
			);
		const waitForBgp = async (want: (peers: Record<string, BgpPeer>) => boolean, what: string) =>
			waitUntil(
				what,
				async () => {
					const text = await show(bgpSummaryJson);
					return want(bgpPeers(text)) ? text : undefined;
				},
				// BGP notices a dead tunnel only when its 30 s hold timer expires.
				{ timeoutMs: 60_000, intervalMs: 1000 },
			);
		const allUp = () =>
			waitForTunnels(
				(byPeer) => awsOutside().every((ip) => isUp(byPeer.get(ip))),
				'both tunnels up (IKE SA established, CHILD_SA installed)',
			);
		const bgpAllUp = () =>
			waitForBgp(
				(peers) =>
					awsInside().every((ip) => peers[ip]?.state === 'Established' && (peers[ip]?.pfxRcd ?? 0) > 0),
				'both BGP sessions Established with the VPC prefix received',
			);

		it('brings up both tunnels: IKE SAs established and CHILD_SAs installed, keyed by AWS outside address', async () => {
			const text = await allUp();
			capture('swanctl-list-sas-up.txt', text);
			const byPeer = tunnelsByPeer(text);
			expect([...byPeer.keys()].sort()).toEqual([...awsOutside()].sort());
			expect(text).toMatch(/IKEv1/);
			expect(text).toMatch(/IKEv2/);
			// libipsec always encapsulates; behind the lab NAT the router's local address is its private one.
			expect(text).toMatch(/TUNNEL-in-UDP/);
			expect(text).toContain(
				`local  '${lab?.design.customer.publicIp}' @ ${lab?.design.customer.privateIp}[4500]`,
			);
			capture('swanctl-list-conns.txt', await show('sudo swanctl --list-conns'));
		});

		it('establishes both BGP sessions and learns the VPC prefix from AWS', async () => {
			const summary = await bgpAllUp();
			capture('bgp-summary-json-up.txt', summary);
			const peers = bgpPeers(summary);
			for (const ip of awsInside()) {
				expect(peers[ip]).toMatchObject({ state: 'Established', remoteAs: 64512 });
			}
			const routes = await show(ipBgpJson);
			capture('ip-bgp-json-up.txt', routes);
			const table = JSON.parse(routes) as { routes: Record<string, unknown[]> };
			expect(Object.keys(table.routes)).toContain(lab?.design.vpcCidr);
			capture('bgp-summary-up.txt', await show("sudo vtysh -c 'show bgp summary'"));
		});

		it('answers the same show commands to the OpenSSH client with the lab coordinates', async () => {
			const ssh = lab?.ssh;
			if (!ssh) throw new Error('no lab');
			const result = await execa('ssh', [
				...['-i', ssh.identityFile, '-p', String(ssh.port)],
				...['-o', `UserKnownHostsFile=${ssh.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes'],
				...['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-F', 'none'],
				`${ssh.user}@${ssh.host}`,
				bgpSummaryJson,
			]);
			expect(Object.keys(bgpPeers(result.stdout)).sort()).toEqual([...awsInside()].sort());
			// The login user may run only the listed show commands as root.
			const refused = await execa(
				'ssh',
				[
					...['-i', ssh.identityFile, '-p', String(ssh.port)],
					...['-o', `UserKnownHostsFile=${ssh.knownHostsFile}`, '-o', 'BatchMode=yes', '-F', 'none'],
					`${ssh.user}@${ssh.host}`,
					`sudo -n swanctl --terminate --ike ${tunnelName(awsOutside()[0] ?? '')}`,
				],
				{ reject: false },
			);
			expect(refused.exitCode).not.toBe(0);
		});

		it('loses one tunnel when its AWS endpoint stops answering while the other holds', async () => {
			const [first, second] = awsOutside() as [string, string];
			const [firstInside, secondInside] = awsInside() as [string, string];
			await lab?.blockAwsEndpoint(second);
			try {
				const text = await waitForTunnels(
					(byPeer) => isUp(byPeer.get(first)) && !isUp(byPeer.get(second)),
					`tunnel ${second} down (DPD) while ${first} stays up`,
				);
				capture('swanctl-list-sas-one-down.txt', text);
				const summary = await waitForBgp(
					(peers) =>
						peers[firstInside]?.state === 'Established' && peers[secondInside]?.state !== 'Established',
					`BGP over ${second} down (hold timer) while ${first} stays Established`,
				);
				capture('bgp-summary-json-one-down.txt', summary);
				capture('swanctl-list-sas-one-down-later.txt', await show(listSas));
			} finally {
				await lab?.unblockAwsEndpoint(second);
			}
			await allUp();
			await bgpAllUp();
		});

		it('drops both tunnels when the AWS side IKE daemon stops, and recovers when it starts again', async () => {
			await lab?.stopAwsIke();
			const down = await waitForTunnels(
				(byPeer) => awsOutside().every((ip) => !isUp(byPeer.get(ip))),
				'both tunnels down after the AWS side stopped',
			);
			capture('swanctl-list-sas-all-down.txt', down);
			const summary = await waitForBgp(
				(peers) => awsInside().every((ip) => peers[ip]?.state !== 'Established'),
				'both BGP sessions down',
			);
			capture('bgp-summary-json-all-down.txt', summary);
			capture('swanctl-list-sas-all-down-later.txt', await show(listSas));

			await lab?.startAwsIke();
			await allUp();
			await bgpAllUp();
		});

		it('reconnects the SSH session after sshd restarts', async () => {
			states.length = 0;
			await lab?.restartSshd();
			const text = await show(listSas);
			expect(states).toContain('reconnecting');
			expect(session?.state).toBe('ready');
			expect(tunnelsByPeer(text).size).toBe(2);
		});
	},
);
