import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { RouterPoller } from '../../source/monitor/poller.js';
import { RouterMonitor } from '../../source/monitor/router-monitor.js';
import { SANDBOX_SITE_PUBLIC_IP, type Sandbox } from '../../source/sandbox/index.js';
import { I18nProvider } from '../../source/ui/i18n-context.js';
import { MonitorApp } from '../../source/ui/monitor-app.js';
import { eventually } from '../ui/panel-fakes.js';
import { FAR_IP, openSiteSession, startSiteFarSandbox } from './sandbox-journey.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const step of cleanup.reverse()) await step().catch(() => {});
	cleanup = [];
});

async function watchSite(): Promise<{ sandbox: Sandbox; app: ReturnType<typeof render> }> {
	const dir = await mkdtemp(join(tmpdir(), 'kakehashi-panel-'));
	cleanup.push(() => rm(dir, { recursive: true, force: true }));
	// install-guide 5a between the sandbox's site router and a far end living only in the simulated world
	const sandbox = await startSiteFarSandbox(dir, cleanup, { bgp: true });
	const { driver, target, session } = await openSiteSession(sandbox, dir, cleanup);
	const poller = new RouterPoller(
		session,
		driver,
		{ name: 'site', vendor: 'awplus', host: target.address, port: target.port },
		{ intervalMs: 300, commandTimeoutMs: 2000 },
	);
	const monitor = new RouterMonitor(poller, {
		context: { tunnels: { tunnels: [{ name: 'far', peerOutsideIp: FAR_IP, bgpNeighbor: '172.16.0.1' }] } },
	});
	cleanup.push(async () => monitor.stop());
	poller.start();
	const app = render(
		<I18nProvider lang="en">
			<MonitorApp monitors={[monitor]} />
		</I18nProvider>,
	);
	cleanup.push(async () => app.unmount());
	return { sandbox, app };
}

const frame = (app: ReturnType<typeof render>) => app.lastFrame() ?? '';
const upRow = /10\.0\.0\.5\s+up\s+up\s+estab/;

describe('the live panel against the sandbox routers', () => {
	it('a tunnel dropped in the simulator shows down with its finding, then recovers', async () => {
		const { sandbox, app } = await watchSite();
		await eventually(() => expect(frame(app)).toMatch(upRow), 30_000);
		expect(frame(app)).toContain(`site (awplus) ${SANDBOX_SITE_PUBLIC_IP}`);

		sandbox.world.dropTunnel('site');
		await eventually(() => {
			const text = frame(app);
			expect(text).not.toMatch(upRow);
			expect(text).toContain('the tunnel to 10.0.0.5 is down');
			expect(text).not.toContain('No problems found.');
			expect(text).toMatch(/[✖▲].*10\.0\.0\.5/);
		}, 15_000);

		sandbox.world.restoreTunnel('site');
		await eventually(() => {
			expect(frame(app)).toMatch(upRow);
			expect(frame(app)).toContain('the tunnel to 10.0.0.5 is up');
		}, 30_000);
	});

	it('the SSH server restarted mid-poll: STALE with the last data, then reconnects', async () => {
		const { sandbox, app } = await watchSite();
		await eventually(() => expect(frame(app)).toMatch(upRow), 30_000);
		const restarted = sandbox.restartRouter('site', { downMs: 3000 });
		await eventually(() => {
			expect(frame(app)).toMatch(/STALE \d+s/);
			expect(frame(app)).toMatch(/10\.0\.0\.5\s+up/);
		}, 15_000);
		await restarted;
		await eventually(() => {
			expect(frame(app)).not.toMatch(/STALE/);
			expect(frame(app)).toContain('reachable again');
		}, 30_000);
	});

	it('drill-down and help render with live data', async () => {
		const { app } = await watchSite();
		await eventually(() => expect(frame(app)).toMatch(upRow), 30_000);
		await new Promise((resolve) => setTimeout(resolve, 100));
		app.stdin.write('\r');
		await eventually(() => {
			expect(frame(app)).toContain('Tunnel far — site');
			expect(frame(app)).toMatch(/SPI in 0x[0-9a-f]+ out 0x[0-9a-f]+/);
		});
		app.stdin.write('?');
		await eventually(() => expect(frame(app)).toContain('interactive SSH shell'));
	});
});
