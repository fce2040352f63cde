import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpgradeEvent } from '../../source/commands/upgrade.js';
import { expandReleasePath, panelUpgradeService } from '../../source/commands/upgrade.js';
import { createTranslator } from '../../source/i18n/index.js';
import { RouterMonitor } from '../../source/monitor/router-monitor.js';
import { type RunView, upgradeRunStep } from '../../source/ui/components/upgrade-dialog.js';
import { initialPanelUi, panelKey } from '../../source/ui/hooks/use-panel-keys.js';
import { I18nProvider } from '../../source/ui/i18n-context.js';
import { MonitorApp } from '../../source/ui/monitor-app.js';
import { eventually, FakePoller, upSnapshot } from './panel-fakes.js';

const ESC = '\u001b';
const ENTER = '\r';
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
	for (const step of cleanup.reverse()) await step();
	cleanup = [];
});

describe('u: the upgrade key', () => {
	const counts = { routers: 2, tunnels: 3 };
	it.each([
		['router', initialPanelUi(1)],
		['list', initialPanelUi(2)],
		['tunnel', { ...initialPanelUi(1), screen: 'tunnel' as const, base: 'tunnel' as const }],
	])('on the %s screen asks for the upgrade and leaves the screen as it is', (_name, ui) => {
		const result = panelKey(ui, 'u', {}, counts);
		expect(result.command).toBe('upgrade');
		expect(result.ui).toBe(ui);
	});

	it('is a letter of the filter while the filter is edited', () => {
		const editing = { ...initialPanelUi(1), editingFilter: true };
		const result = panelKey(editing, 'u', {}, counts);
		expect(result.command).toBeUndefined();
		expect(result.ui.filter).toBe('u');
	});

	it('no other key asks for the upgrade', () => {
		for (const key of '?/rplseqjk')
			expect(panelKey(initialPanelUi(1), key, {}, counts).command).not.toBe('upgrade');
	});
});

describe('the upgrade dialog, pure parts', () => {
	const t = createTranslator('en');
	const start: RunView = { step: 'copy', notes: [] };
	it.each<[UpgradeEvent, Partial<RunView>]>([
		[
			{ step: 'copy', done: 10, total: 20, startedAt: 1 },
			{ step: 'copy', copy: { done: 10, total: 20, startedAt: 1 } },
		],
		[{ step: 'verify', done: 20, total: 20, startedAt: 2 }, { step: 'verify' }],
		[{ step: 'already-there' }, { step: 'install' }],
		[{ step: 'verified', digest: 'ab' }, { step: 'install' }],
		[{ step: 'saved' }, { step: 'copy', notes: [t('upgrade.saved')] }],
		[{ step: 'installed' }, { step: 'reboot' }],
		[
			{ step: 'waiting', seconds: 12 },
			{ step: 'wait', waited: 12 },
		],
		[{ step: 'checking' }, { step: 'check' }],
	])('%o moves the run to %o', (event, expected) => {
		expect(upgradeRunStep(start, event, t)).toMatchObject(expected);
	});

	it('expands ~ to the home directory and resolves relative paths', () => {
		expect(expandReleasePath('~/dl/vaa.iso', '/work', '/home/me')).toBe('/home/me/dl/vaa.iso');
		expect(expandReleasePath('~', '/work', '/home/me')).toBe('/home/me');
		expect(expandReleasePath('vaa.iso', '/work', '/home/me')).toBe('/work/vaa.iso');
		expect(expandReleasePath('~other/vaa.iso', '/work', '/home/me')).toBe('/work/~other/vaa.iso');
		expect(expandReleasePath('/abs/vaa.iso', '/work', '/home/me')).toBe('/abs/vaa.iso');
	});
});

function panel(vendor: string, withUpgrade: boolean, dir = '/nonexistent') {
	const poller = new FakePoller();
	poller.state = { ...poller.state, target: { ...poller.state.target, vendor } };
	const monitor = new RouterMonitor(poller);
	let prepared = 0;
	const service = panelUpgradeService(
		createTranslator('en'),
		{},
		() => {
			prepared++;
			return undefined;
		},
		dir,
	);
	const app = render(
		<I18nProvider lang="en">
			<MonitorApp monitors={[monitor]} {...(withUpgrade ? { upgrade: service } : {})} />
		</I18nProvider>,
	);
	cleanup.push(() => app.unmount());
	poller.poll(upSnapshot());
	return { app, frame: () => app.lastFrame() ?? '', prepared: () => prepared };
}

describe('the upgrade dialog in the panel', () => {
	it('footer and help name the key, within 80 columns', async () => {
		const { app, frame } = panel('awplus', true);
		await eventually(() => expect(frame()).toContain('u:upgrade'));
		for (const line of frame().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
		await settle();
		app.stdin.write('?');
		await eventually(() => expect(frame()).toMatch(/u\s+upgrade this AW\+ appliance/));
	});

	it('on a router that is not AW+, says upgrade is for AW+ appliances', async () => {
		const { app, frame } = panel('nec-ix', true);
		await eventually(() => expect(frame()).toContain('u:upgrade'));
		await settle();
		app.stdin.write('u');
		await eventually(() => expect(frame()).toContain('upgrade is for AW+ appliances'));
		expect(frame()).not.toContain('Release ISO');
	});

	it('without the upgrade steps, says it is unavailable', async () => {
		const { app, frame } = panel('awplus', false);
		await eventually(() => expect(frame()).toContain('u:upgrade'));
		await settle();
		app.stdin.write('u');
		await eventually(() => expect(frame()).toContain('Upgrading is not available'));
	});

	it('refuses a VHD inline, naming what it is, and esc returns to the panel', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'kakehashi-panel-upgrade-'));
		cleanup.push(() => rm(dir, { recursive: true, force: true }));
		// a real VHD, as `image import` takes it
		execFileSync('qemu-img', ['create', '-q', '-f', 'vpc', join(dir, 'amf.vhd'), '64M']);
		await writeFile(join(dir, 'notes.txt'), 'not a release');
		const { app, frame, prepared } = panel('awplus', true, dir);
		await eventually(() => expect(frame()).toContain('u:upgrade'));
		await settle();
		app.stdin.write('u');
		await eventually(() => expect(frame()).toContain('Release ISO:'));
		await settle();
		app.stdin.write('amf.vhd');
		await settle();
		app.stdin.write(ENTER);
		await eventually(() => expect(frame()).toContain('amf.vhd is a VHD disk image, not a release'));
		expect(frame()).toContain('Release ISO: amf.vhd');
		expect(prepared()).toBe(0);
		app.stdin.write(ESC);
		await eventually(() => expect(frame()).toContain('u:upgrade'));
		expect(frame()).not.toContain('Release ISO');
		// the dialog starts afresh; another wrong file gets its own reason
		await settle();
		app.stdin.write('u');
		await eventually(() => expect(frame()).toContain('Release ISO:'));
		await settle();
		app.stdin.write('notes.txt');
		await settle();
		app.stdin.write(ENTER);
		await eventually(() => expect(frame()).toContain('notes.txt is not an ISO 9660 image'));
		await settle();
		app.stdin.write('x');
		await eventually(() => expect(frame()).not.toContain('not an ISO 9660'));
		expect(prepared()).toBe(0);
	});
});
