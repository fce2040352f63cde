/**
 * The interactive monitor panel over the router lab: `MonitorApp` rendered with ink-testing-library,
 * its session, poller and monitor built as `kakehashi monitor --host … --vendor strongswan-frr` builds
 * them (openRouterSession with the lab's known_hosts file, RouterPoller, RouterMonitor), polling the
 * lab's site router over real SSH.
 *
 * Same rules as lab.test.ts: skipped, with the reason, where the lab cannot run; with CI=true it must
 * run. One lab for the whole file; the lab files take turns (one lab per machine).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTranslator } from '../../source/i18n/index.js';
import { openRouterSession, resolveTargets } from '../../source/monitor/connect.js';
import { RouterPoller } from '../../source/monitor/poller.js';
import { adoptMonitor, RouterMonitor } from '../../source/monitor/router-monitor.js';
import { driverFor } from '../../source/router/drivers/index.js';
import type { RouterSession } from '../../source/router/session.js';
import { I18nProvider } from '../../source/ui/i18n-context.js';
import { MonitorApp } from '../../source/ui/monitor-app.js';
import { eventually } from '../ui/panel-fakes.js';
import { type Lab, labUnavailableReason } from './lab.js';
import { endTurn, startLabInTurn } from './lab-turn.js';

const here = dirname(fileURLToPath(import.meta.url));
const inCi = process.env.CI === 'true';
const unavailable = labUnavailableReason();
const skip = unavailable !== undefined && !inCi;
if (skip) {
	console.warn(`[monitor panel lab] skipped: ${unavailable}`);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.skipIf(skip)(
	`the monitor panel over the router lab${skip ? ` (skipped: ${unavailable})` : ''}`,
	() => {
		let lab: Lab | undefined;
		let session: RouterSession | undefined;
		let monitor: RouterMonitor | undefined;
		let app: ReturnType<typeof render> | undefined;
		const frame = () => app?.lastFrame() ?? '';

		beforeAll(async () => {
			if (unavailable && inCi) {
				execFileSync('bash', [join(here, '../../.ci/lab-packages.sh')], { stdio: 'inherit' });
				const still = labUnavailableReason();
				if (still) throw new Error(`CI=true but the router lab cannot run: ${still}`);
			}
			lab = await startLabInTurn((line) => console.info(`[monitor panel lab] ${line}`));
			const driver = driverFor('strongswan-frr');
			if (!driver) throw new Error('the strongswan-frr driver is not registered');
			// as monitorCommand does for --host: a record, no state file, the host key from --known-hosts
			const [target] = resolveTargets(
				[
					{
						name: lab.ssh.host,
						host: lab.ssh.host,
						port: lab.ssh.port,
						user: lab.ssh.user,
						vendor: 'strongswan-frr',
						identity: lab.ssh.identityFile,
					},
				],
				undefined,
			);
			if (!target) throw new Error('no target');
			session = await openRouterSession(target, driver, { knownHostsFile: lab.ssh.knownHostsFile });
			session.connect().catch((error) => console.error(`[monitor panel lab] ${String(error)}`));
			const poller = new RouterPoller(
				session,
				driver,
				{ name: target.name, vendor: target.vendor, host: target.address, port: target.port },
				{ intervalMs: 2000 },
			);
			monitor = adoptMonitor(new RouterMonitor(poller, { t: createTranslator('en'), context: {} }));
			poller.start();
			app = render(
				<I18nProvider lang="en">
					<MonitorApp monitors={[monitor]} />
				</I18nProvider>,
			);
		}, 660_000);

		afterAll(async () => {
			try {
				app?.unmount();
				monitor?.stop();
				await session?.close();
				await lab?.teardown();
			} finally {
				endTurn();
			}
		}, 60_000);

		const peers = () => lab?.design.tunnels.map((tunnel) => tunnel.awsOutsideIp) ?? [];
		const neighbors = () => lab?.design.tunnels.map((tunnel) => tunnel.awsInsideIp) ?? [];
		/** A tunnel row: peer, P1, P2 (`203.0.113.1     up    up    —  …`). */
		const upRow = (peer: string) => new RegExp(`${escapeRegExp(peer)}\\s+up\\s+up\\s`);
		const expectAllUp = () => {
			const text = frame();
			for (const peer of peers()) expect(text).toMatch(upRow(peer));
			// with --host there is no design to tie a neighbour to a tunnel: the panel lists them apart
			for (const neighbor of neighbors())
				expect(text).toMatch(new RegExp(`${escapeRegExp(neighbor)} established`));
			expect(text).toContain('No problems found.');
		};

		it('shows both tunnels up (P1 and P2) and both BGP sessions established', async () => {
			await eventually(expectAllUp, 60_000, 200);
			expect(frame()).toContain(`${lab?.ssh.host} (strongswan-frr)`);
			expect(frame()).toMatch(/connected/);
		}, 90_000);

		it('shows both tunnels down with a finding for each after the AWS IKE daemon stops, then up again', async () => {
			await lab?.stopAwsIke();
			try {
				// two intervals (2 s each) and the poll itself
				await eventually(
					() => {
						const text = frame();
						for (const peer of peers()) {
							expect(text).not.toMatch(upRow(peer));
							expect(text).toMatch(new RegExp(`✖ .*${escapeRegExp(peer)}`));
						}
						expect(text).not.toContain('No problems found.');
					},
					6_000,
					100,
				);
			} finally {
				await lab?.startAwsIke();
			}
			await eventually(expectAllUp, 60_000, 200);
		}, 90_000);
	},
);
