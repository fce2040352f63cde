import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { panelUpgradeService } from '../../source/commands/upgrade.js';
import { createTranslator } from '../../source/i18n/index.js';
import { openRouterSession, resolveTargets } from '../../source/monitor/connect.js';
import { RouterPoller } from '../../source/monitor/poller.js';
import { RouterMonitor } from '../../source/monitor/router-monitor.js';
import { driverFor } from '../../source/router/drivers/index.js';
import { SANDBOX_SITE_PUBLIC_IP, type Sandbox, startSandbox } from '../../source/sandbox/index.js';
import { I18nProvider } from '../../source/ui/i18n-context.js';
import { MonitorApp } from '../../source/ui/monitor-app.js';
import { eventually } from '../ui/panel-fakes.js';

const ESC = '\u001b';
const ENTER = '\r';
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

/** A crafted release: ISO 9660's `CD001` at 0x8001, the rest filler. */
function iso(size = 1024 * 1024): Buffer {
	const data = Buffer.alloc(size);
	data[0x8000] = 1;
	data.write('CD001', 0x8001, 'latin1');
	for (let index = 0x9000; index < size; index += 7) data[index] = index % 253;
	return data;
}

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const step of cleanup.reverse()) await step();
	cleanup = [];
});

async function panelOnSandbox(lang: 'en' | 'ja', prepare?: (sandbox: Sandbox) => void) {
	const dir = await mkdtemp(join(tmpdir(), 'kakehashi-panel-upgrade-'));
	cleanup.push(() => rm(dir, { recursive: true, force: true }));
	const sandbox = await startSandbox({ dir: join(dir, 'sandbox'), systemTimings: { rebootDownMs: 300 } });
	cleanup.push(() => sandbox.close());
	prepare?.(sandbox);
	await writeFile(join(dir, 'vaa-5.4.9-2.7.iso'), iso());

	const driver = driverFor('awplus');
	if (!driver) throw new Error('awplus driver missing');
	const [target] = resolveTargets(
		[{ name: 'site', host: SANDBOX_SITE_PUBLIC_IP, port: 22, user: 'manager', vendor: 'awplus' }],
		sandbox.routers(),
	);
	if (!target) throw new Error('site router not resolved');
	const policy = { knownHostsFile: join(dir, 'known_hosts') };
	const session = await openRouterSession(target, driver, policy);
	cleanup.push(() => session.close());
	session.connect().catch(() => {});
	const poller = new RouterPoller(
		session,
		driver,
		{ name: 'site', vendor: 'awplus', host: target.address, port: target.port },
		{ intervalMs: 300, commandTimeoutMs: 3000 },
	);
	const monitor = new RouterMonitor(poller);
	cleanup.push(() => monitor.stop());
	poller.start();
	const upgrade = panelUpgradeService(createTranslator(lang), policy, () => target, dir, 60);
	const app = render(
		<I18nProvider lang={lang}>
			<MonitorApp monitors={[monitor]} upgrade={upgrade} />
		</I18nProvider>,
	);
	cleanup.push(() => app.unmount());
	const frame = () => app.lastFrame() ?? '';
	await eventually(() => expect(monitor.view.polls).toBeGreaterThan(0), 30_000);
	await eventually(() => expect(frame()).toContain('u:'));
	await settle();
	return { sandbox, monitor, app, frame };
}

/** `u`, the path, enter: resolves once the confirmation is on screen. */
async function openConfirmation(app: ReturnType<typeof render>, frame: () => string, question: string) {
	app.stdin.write('u');
	await eventually(() => expect(frame()).toMatch(/Release ISO:|リリース ISO:/));
	await settle();
	app.stdin.write('vaa-5.4.9-2.7.iso');
	await settle();
	app.stdin.write(ENTER);
	await eventually(() => expect(frame()).toContain(question), 30_000);
	await settle();
}

describe('u in the live panel against the sandbox appliance', () => {
	it('types the release path, confirms, follows the steps and shows the new version', async () => {
		const { sandbox, monitor, app, frame } = await panelOnSandbox('en');
		await openConfirmation(app, frame, 'Upgrade and reboot now? (y/N)');
		// the confirmation names the router, its running version, the file and its size, and the reboot
		expect(frame()).toMatch(/Router:\s+site/);
		expect(frame()).toMatch(/Running:\s+5\.4\.9-2\.6/);
		expect(frame()).toMatch(/File:\s+vaa-5\.4\.9-2\.7\.iso \(1\.0 MiB\)/);
		expect(frame()).toContain('site reboots after the install');
		expect(sandbox.system('site')?.version).toBe('5.4.9-2.6');

		let pausedSeen = false;
		monitor.on('update', (view) => {
			if (view.paused) pausedSeen = true;
		});
		app.stdin.write('y');
		await eventually(() => expect(frame()).toContain('Upgrading site to vaa-5.4.9-2.7.iso'), 10_000);
		expect(monitor.view.paused).toBe(true);
		await eventually(() => expect(frame()).toContain('site upgraded: 5.4.9-2.6 → 5.4.9-2.7'), 90_000);
		expect(frame()).not.toContain('default configuration');
		expect(sandbox.system('site')?.version).toBe('5.4.9-2.7');
		expect(sandbox.system('site')?.flash.stat('vaa-5.4.9-2.7.iso')?.size).toBe(1024 * 1024);
		expect(pausedSeen).toBe(true);
		// polling resumed once the run ended
		expect(monitor.view.paused).toBe(false);

		// back to the panel, which keeps polling the upgraded router
		await settle();
		app.stdin.write(ESC);
		await eventually(() => expect(frame()).toContain('u:upgrade'));
		expect(frame()).not.toContain('Upgrade site');
		const polls = monitor.view.polls;
		await eventually(() => expect(monitor.view.polls).toBeGreaterThan(polls + 1), 30_000);
		await eventually(() => expect(monitor.view.stale).toBe(false), 30_000);
	}, 180_000);

	it('n at the confirmation installs nothing and returns to the panel', async () => {
		const { sandbox, monitor, app, frame } = await panelOnSandbox('en');
		await openConfirmation(app, frame, 'Upgrade and reboot now? (y/N)');
		app.stdin.write('n');
		await eventually(() => expect(frame()).toContain('u:upgrade'));
		expect(frame()).not.toContain('Upgrade and reboot now');
		expect(sandbox.system('site')?.version).toBe('5.4.9-2.6');
		expect(sandbox.system('site')?.flash.stat('vaa-5.4.9-2.7.iso')).toBeUndefined();
		expect(monitor.view.paused).toBe(false);
	}, 120_000);

	it('says in plain words (ja) when the appliance came back in fail-safe', async () => {
		const { sandbox, app, frame } = await panelOnSandbox('ja', (box) => {
			box.world.removeRouter('site');
			box.world.addRouter({
				name: 'site',
				publicIp: SANDBOX_SITE_PUBLIC_IP,
				config: [
					'hostname AR4050S',
					'crypto isakmp key abcdefgh12345678 address 203.0.113.20',
					'interface tunnel0',
					' tunnel destination 203.0.113.20',
					' tunnel mode ipsec ipv4',
					' tunnel protection ipsec',
				],
			});
			box.system('site')?.armFailSafe();
		});
		await openConfirmation(app, frame, '今すぐアップグレードして再起動しますか? (y/N)');
		app.stdin.write('y');
		await eventually(
			() => expect(frame()).toContain('フェイルセーフによって設定がリセットされました'),
			90_000,
		);
		expect(frame()).toContain('default_backup.cfg');
		expect(frame()).toContain('5.4.9-2.6 → 5.4.9-2.7');
		expect(sandbox.system('site')?.version).toBe('5.4.9-2.7');
	}, 180_000);
});
