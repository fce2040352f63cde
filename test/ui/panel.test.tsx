import fc from 'fast-check';
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import { RouterMonitor } from '../../source/monitor/router-monitor.js';
import { buildSnapshot } from '../../source/monitor/snapshot.js';
import { parseBgpSummary, parseIpsecSa, parseIsakmpSa } from '../../source/router/drivers/awplus/index.js';
import { Panel } from '../../source/ui/components/panel.js';
import { displayWidth } from '../../source/ui/components/panel-format.js';
import { I18nProvider } from '../../source/ui/i18n-context.js';
import { MonitorApp } from '../../source/ui/monitor-app.js';
import { downSnapshot, eventually, FakePoller, peer, rawOutput, upSnapshot } from './panel-fakes.js';

const context = {
	tunnels: { tunnels: [{ name: 'appliance', peerOutsideIp: peer, bgpNeighbor: '172.16.0.1' }] },
};
const ENTER = '\r';
const ESC = '\u001b';

function setup(count = 1, lang: 'en' | 'ja' = 'en') {
	const pollers = Array.from({ length: count }, (_, index) =>
		index === 0 ? new FakePoller() : new FakePoller(`router${index}`, `192.0.2.${index}`),
	);
	const monitors = pollers.map((poller) => new RouterMonitor(poller, { context }));
	const onExport = vi.fn(async () => '/tmp/kakehashi-bundle.json');
	const onShell = vi.fn();
	const app = render(
		<I18nProvider lang={lang}>
			<MonitorApp monitors={monitors} onExport={onExport} onShell={onShell} />
		</I18nProvider>,
	);
	return { pollers, monitors, app, onExport, onShell };
}

const frame = (app: ReturnType<typeof render>) => app.lastFrame() ?? '';
/** Ink subscribes to stdin in an effect after the first frames: let it, before the first key. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('Panel', () => {
	it('shows one row per tunnel with phases, BGP, prefixes and rates; the header names the router’s own address', async () => {
		const { pollers, app } = setup();
		pollers[0]?.poll(upSnapshot(1000), rawOutput);
		pollers[0]?.poll(upSnapshot(11000), rawOutput);
		await eventually(() => {
			const text = frame(app);
			expect(text).toContain('site (awplus) 198.51.100.10');
			expect(text).toMatch(/203\.0\.113\.188\s+up\s+up\s+estab 6m37s\s+2/);
			expect(text).toContain('2.0k');
			expect(text).toContain('No problems found.');
			expect(text).toContain('?:help');
		});
		app.unmount();
	});

	it('a dropped tunnel shows down with its finding and event, then recovers', async () => {
		const { pollers, app } = setup();
		pollers[0]?.poll(upSnapshot());
		pollers[0]?.poll(downSnapshot());
		await eventually(() => {
			expect(frame(app)).toMatch(/203\.0\.113\.188\s+—\s+—/);
			expect(frame(app)).toContain('No IKE SA');
			expect(frame(app)).toContain('the tunnel to 203.0.113.188 is down');
		});
		pollers[0]?.poll(upSnapshot());
		await eventually(() => expect(frame(app)).toContain('the tunnel to 203.0.113.188 is up'));
		app.unmount();
	});

	it('shows AWS’s status in its own column when there is telemetry', async () => {
		const { pollers, monitors, app } = setup();
		pollers[0]?.poll(upSnapshot());
		monitors[0]?.setContext({
			awsTelemetry: [{ vpnConnectionId: 'vpn-1', outsideIp: peer, status: 'DOWN', statusMessage: '' }],
		});
		await eventually(() => {
			expect(frame(app)).toMatch(/AWS/);
			expect(frame(app)).toMatch(/203\.0\.113\.188\s+up\s+up\s+estab 6m37s\s+2\s+DOWN/);
		});
		app.unmount();
	});

	it('marks the data STALE with its age when the router stops answering, keeping the rows', async () => {
		const { pollers, app } = setup();
		pollers[0]?.poll(upSnapshot());
		pollers[0]?.fail('connection reset');
		await eventually(() => {
			expect(frame(app)).toMatch(/STALE \d+s/);
			expect(frame(app)).toContain('connection reset');
			expect(frame(app)).toMatch(/203\.0\.113\.188\s+up/);
		});
		app.unmount();
	});

	it('drills into a tunnel (SPIs, lifetimes, counters, raw lines) and esc comes back', async () => {
		const { pollers, app } = setup();
		pollers[0]?.poll(upSnapshot(), rawOutput);
		await eventually(() => expect(frame(app)).toContain('203.0.113.188'));
		await settle();
		app.stdin.write(ENTER);
		await eventually(() => {
			const text = frame(app);
			expect(text).toContain('Tunnel appliance — site');
			expect(text).toContain('SPI in 0xcf74f55b out 0x8fbb211b');
			expect(text).toContain('bytes in 1000 out 2000');
			expect(text).toContain('expires in 00:50:00');
			expect(text).toContain('cf74f55b:8fbb211b');
		});
		app.stdin.write(ESC);
		await eventually(() => expect(frame(app)).not.toContain('Tunnel appliance — site'));
		app.unmount();
	});

	it('? shows every key; l shows the raw output; both return with esc', async () => {
		const { pollers, app } = setup();
		pollers[0]?.poll(upSnapshot(), rawOutput);
		await eventually(() => expect(frame(app)).toContain('203.0.113.188'));
		await settle();
		app.stdin.write('?');
		await eventually(() => {
			expect(frame(app)).toContain('Keys');
			expect(frame(app)).toContain('interactive SSH shell');
		});
		app.stdin.write(ESC);
		await eventually(() => expect(frame(app)).not.toContain('interactive SSH shell'));
		app.stdin.write('l');
		await eventually(() => {
			expect(frame(app)).toContain('Raw output of the last poll — site');
			expect(frame(app)).toContain('ec5a027d3194b1a4');
		});
		app.unmount();
	});

	it('lists several routers with their health; enter opens one; / filters', async () => {
		const { pollers, app } = setup(2);
		pollers[0]?.poll(upSnapshot());
		pollers[1]?.poll(downSnapshot());
		await eventually(() => {
			expect(frame(app)).toContain('Routers');
			expect(frame(app)).toMatch(/site\s+198\.51\.100\.10\s+connected\s+1\/1 up/);
			expect(frame(app)).toMatch(/router1\s+192\.0\.2\.1\s+connected\s+0\/1 up\s+1 err/);
		});
		await settle();
		app.stdin.write('/');
		for (const ch of 'router1') app.stdin.write(ch);
		await eventually(() => expect(frame(app)).not.toMatch(/site\s+198\.51/));
		app.stdin.write(ENTER);
		app.stdin.write(ESC);
		await eventually(() => expect(frame(app)).toMatch(/site\s+198\.51/));
		app.stdin.write(ENTER);
		await eventually(() => expect(frame(app)).toContain('site (awplus) 198.51.100.10'));
		app.unmount();
	});

	it('r, p, s and e reach the core; export says where the bundle went', async () => {
		const { pollers, app, onExport, onShell } = setup();
		pollers[0]?.poll(upSnapshot());
		await eventually(() => expect(frame(app)).toContain('203.0.113.188'));
		await settle();
		app.stdin.write('r');
		await eventually(() => expect(pollers[0]?.polledNow).toBe(1));
		app.stdin.write('p');
		await eventually(() => expect(frame(app)).toContain('PAUSED'));
		app.stdin.write('s');
		await eventually(() =>
			expect(onShell).toHaveBeenCalledWith(0, expect.objectContaining({ screen: 'router' })),
		);
		app.stdin.write('e');
		await eventually(() => {
			expect(onExport).toHaveBeenCalledWith(0);
			expect(frame(app)).toContain('/tmp/kakehashi-bundle.json');
		});
		app.unmount();
	});

	it.each(['en', 'ja'] as const)(
		'fits 80 columns in %s: no line is wider than the terminal',
		async (lang) => {
			const { pollers, app } = setup(1, lang);
			Object.defineProperty(app.stdout, 'columns', { value: 80, configurable: true });
			app.stdout.emit('resize');
			pollers[0]?.poll(upSnapshot(1000), rawOutput);
			pollers[0]?.poll(upSnapshot(900000), rawOutput);
			pollers[0]?.poll(downSnapshot());
			await eventually(() => expect(frame(app)).toContain('203.0.113.188'));
			await eventually(() => expect(frame(app)).toMatch(/✖/));
			for (const line of frame(app).split('\n')) expect(displayWidth(line), line).toBeLessThanOrEqual(80);
			app.unmount();
		},
	);

	it('adapts to a wide terminal: the tunnel’s name and longer sparklines', async () => {
		const { pollers, app } = setup();
		Object.defineProperty(app.stdout, 'columns', { value: 160, configurable: true });
		app.stdout.emit('resize');
		for (let i = 1; i <= 12; i++) pollers[0]?.poll(upSnapshot(i * i * 1000));
		await eventually(() => {
			const row = frame(app)
				.split('\n')
				.find((line) => line.includes('203.0.113.188'));
			expect(row).toMatch(/appliance\s+203\.0\.113\.188/);
			expect(row?.match(/[▁▂▃▄▅▆▇█]/g)?.length ?? 0).toBeGreaterThanOrEqual(20);
		});
		app.unmount();
	});

	it('renders in Japanese', async () => {
		const { pollers, app } = setup(1, 'ja');
		pollers[0]?.poll(upSnapshot());
		await eventually(() => expect(frame(app)).toContain('ライブパネル'));
		app.unmount();
	});

	it('the wizard’s contract still works: Panel with routers, onPollNow, onPause, onQuit', async () => {
		const poller = new FakePoller();
		const monitor = new RouterMonitor(poller);
		const onQuit = vi.fn();
		const app = render(
			<Panel routers={[monitor.view]} onPollNow={() => {}} onPause={() => {}} onQuit={onQuit} />,
		);
		await settle();
		app.stdin.write('q');
		await eventually(() => expect(onQuit).toHaveBeenCalled());
		app.stdin.write('s');
		await eventually(() => expect(frame(app)).toContain('not available'));
		app.unmount();
	});

	it('property: garbage router output never crashes the panel', () => {
		fc.assert(
			fc.property(
				fc.array(fc.string({ unit: 'binary' }), { minLength: 3, maxLength: 3 }),
				([ike = '', ipsec = '', bgp = '']) => {
					const poller = new FakePoller();
					const monitor = new RouterMonitor(poller, { context });
					const snapshot = buildSnapshot(
						{ name: 'site', vendor: 'awplus', host: '198.51.100.10', reachable: true, polledAt: '' },
						[parseIsakmpSa(ike), parseIpsecSa(ipsec), parseBgpSummary(bgp)],
					);
					poller.poll(snapshot, { ike, ipsec, bgp });
					const app = render(
						<Panel routers={[monitor.view]} onPollNow={() => {}} onPause={() => {}} onQuit={() => {}} />,
					);
					app.stdin.write('l');
					app.stdin.write(ENTER);
					expect(typeof app.lastFrame()).toBe('string');
					app.unmount();
				},
			),
			{ numRuns: 60 },
		);
	});
});
