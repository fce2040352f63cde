import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandIo } from '../../source/commands/io.js';
import { monitorCommand } from '../../source/commands/monitor.js';
import { createTranslator } from '../../source/i18n/index.js';
import { RouterPoller } from '../../source/monitor/poller.js';
import { RouterMonitor } from '../../source/monitor/router-monitor.js';
import type { StatusSnapshot } from '../../source/router/model.js';
import type { Sandbox } from '../../source/sandbox/index.js';
import { I18nProvider } from '../../source/ui/i18n-context.js';
import { MonitorApp } from '../../source/ui/monitor-app.js';
import { eventually } from '../ui/panel-fakes.js';
import { FAR_IP, openSiteSession, startSiteFarSandbox } from './sandbox-journey.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const step of cleanup.reverse()) await step().catch(() => {});
	cleanup = [];
});

async function sandboxWithTunnel(): Promise<{ dir: string; sandbox: Sandbox }> {
	const dir = await mkdtemp(join(tmpdir(), 'kakehashi-failsafe-'));
	cleanup.push(() => rm(dir, { recursive: true, force: true }));
	const sandbox = await startSiteFarSandbox(dir, cleanup, {
		bgp: false,
		systemTimings: { rebootDownMs: 300 },
	});
	return { dir, sandbox };
}

async function monitorOnce(
	dir: string,
	sandbox: Sandbox,
): Promise<{ code: number; snapshot: StatusSnapshot }> {
	const site = sandbox.routers().find((router) => router.name === 'site');
	const stdout = new PassThrough();
	let out = '';
	stdout.on('data', (chunk) => {
		out += chunk.toString();
	});
	const stdin = new PassThrough();
	stdin.end();
	const io: CommandIo = {
		stdout,
		stderr: new PassThrough(),
		stdin,
		t: createTranslator('en'),
		lang: 'en',
		env: {},
		cwd: dir,
	};
	const code = await monitorCommand(
		{
			host: '127.0.0.1',
			port: String(site?.port),
			user: 'manager',
			identity: site?.identity,
			vendor: 'awplus',
			once: true,
			json: true,
			endpointUrl: sandbox.endpoint,
			state: join(dir, 'kakehashi.state.json'),
			knownHosts: join(dir, 'known_hosts'),
		},
		io,
	);
	return { code, snapshot: JSON.parse(out) as StatusSnapshot };
}

describe('fail-safe detection against the sandbox appliance (install-guide 8)', () => {
	it('monitor --once --json: no finding before, the fail-safe finding after a reset', async () => {
		const { dir, sandbox } = await sandboxWithTunnel();
		const before = await monitorOnce(dir, sandbox);
		expect(before.snapshot.findings?.map((finding) => finding.code)).not.toContain('appliance.failsafe');

		await sandbox.system('site')?.failSafe();
		const after = await monitorOnce(dir, sandbox);
		const finding = after.snapshot.findings?.find((item) => item.code === 'appliance.failsafe');
		expect(finding?.severity).toBe('error');
		expect(finding?.hint).toContain('copy default_backup.cfg startup-config');
	});

	it('the live panel notices the reboot and shows the finding', async () => {
		const { dir, sandbox } = await sandboxWithTunnel();
		const { driver, target, session } = await openSiteSession(sandbox, dir, cleanup);
		const poller = new RouterPoller(
			session,
			driver,
			{ name: 'site', vendor: 'awplus', host: target.address, port: target.port },
			{ intervalMs: 300, commandTimeoutMs: 3000 },
		);
		const monitor = new RouterMonitor(poller, {
			context: { tunnels: { tunnels: [{ name: 'far', peerOutsideIp: FAR_IP }] } },
			failSafe: { runner: session, expectedTunnelDestinations: [FAR_IP] },
		});
		cleanup.push(async () => monitor.stop());
		poller.start();
		const app = render(
			<I18nProvider lang="en">
				<MonitorApp monitors={[monitor]} />
			</I18nProvider>,
		);
		cleanup.push(async () => app.unmount());
		const frame = () => app.lastFrame() ?? '';
		await eventually(() => expect(frame()).toMatch(/10\.0\.0\.5\s+up\s+up/), 30_000);
		expect(frame()).not.toContain('default configuration');

		// a reboot is told apart from reading noise (1 s uptime steps) once the router has been up a few seconds
		await new Promise((resolve) => setTimeout(resolve, 3500));
		await sandbox.system('site')?.failSafe();
		await eventually(() => expect(frame()).toContain('came back with a default configuration'), 30_000);
		expect(monitor.view.findings.map((finding) => finding.code)).toContain('appliance.failsafe');
	});
});
