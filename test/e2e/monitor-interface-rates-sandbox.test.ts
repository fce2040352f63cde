import { describe, expect, it, onTestFinished } from 'vitest';
import { RouterPoller } from '../../source/monitor/poller.js';
import { RouterMonitor } from '../../source/monitor/router-monitor.js';
import { exampleAnswers } from './cli-helpers.js';
import { applyAndOpenRouter } from './sandbox-journey.js';

/** Poll until `check` passes (the tunnel negotiates in the simulated world meanwhile). */
async function pollUntil(poll: () => Promise<unknown>, check: () => void, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		await poll();
		try {
			check();
			return;
		} catch (error) {
			if (Date.now() > deadline) throw error;
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
	}
}

/**
 * AW+ `show ipsec sa` prints no traffic counters: the appliance's tunnel row takes them from its tunnel
 * interface (`show interface`), so two polls a moment apart give it an in/out rate — end to end, from
 * `apply` of the shipped single-appliance example to the monitor's history, over real SSH.
 */
describe('the appliance tunnel row has traffic rates (counters from show interface)', () => {
	it('single-appliance on the sandbox: two polls give a non-empty in/out rate on the appliance row', async () => {
		const { target, context, driver, session } = await applyAndOpenRouter(exampleAnswers, 'AMF-VAA');
		// polled by hand (no interval): each pollOnce is one poll
		const poller = new RouterPoller(
			session,
			driver,
			{ name: 'AMF-VAA', vendor: 'awplus', host: target.address, port: target.port },
			{ intervalMs: 3_600_000, commandTimeoutMs: 5000 },
		);
		const monitor = new RouterMonitor(poller, { context });
		onTestFinished(() => monitor.stop());

		// the site's tunnel up, as the appliance sees it
		await pollUntil(
			() => poller.pollOnce(),
			() =>
				expect(monitor.view.rows.map((row) => [row.name, row.peer, row.phase2])).toEqual([
					['site', '198.51.100.10', 'up'],
				]),
			60_000,
		);
		const [row] = monitor.view.rows;
		if (!row) throw new Error('no row');
		// the SAs carry no counters; the row's come from the interface whose destination is the site
		expect(row.ipsec.every((sa) => sa.bytesIn === undefined && sa.bytesOut === undefined)).toBe(true);
		const tunnel = monitor
			.snapshotWithFindings()
			?.interfaces?.find((entry) => entry.destination === row.peer);
		expect(tunnel).toMatchObject({ hardware: 'Tunnel', linkUp: true, adminUp: true });
		expect(row.tunnelInterface).toBe(tunnel?.name);
		expect(row.counters.bytesIn).toBe(tunnel?.bytesIn);
		expect(row.counters.bytesOut).toBe(tunnel?.bytesOut);

		// a moment later, the next poll: the counters grew and the history has a rate each way
		await new Promise((resolve) => setTimeout(resolve, 1500));
		await poller.pollOnce();
		const latest = monitor.history.for(row.peer)?.latest();
		expect(latest?.reset).toBe(false);
		expect(latest?.bytesInPerSecond).toBeGreaterThan(0);
		expect(latest?.bytesOutPerSecond).toBeGreaterThan(0);
		const sparklines = monitor.history.sparklines(row.peer, 8);
		expect(sparklines.in.trim()).not.toBe('');
		expect(sparklines.out.trim()).not.toBe('');
	}, 300_000);
});
