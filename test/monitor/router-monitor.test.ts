import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createTranslator } from '../../source/i18n/index.js';
import { monitorFor, RouterMonitor } from '../../source/monitor/router-monitor.js';
import { downSnapshot, FakePoller, peer, upSnapshot } from '../ui/panel-fakes.js';

const context = { tunnels: { tunnels: [{ name: 'appliance', peerOutsideIp: peer }] } };

describe('RouterMonitor: the per-router model behind the panel', () => {
	it('joins rows, records rates, and logs a tunnel going down and up again with its finding', () => {
		const poller = new FakePoller();
		const monitor = new RouterMonitor(poller, { context });
		poller.poll(upSnapshot(1000));
		poller.poll(upSnapshot(6000));
		expect(monitor.view.rows).toHaveLength(1);
		expect(monitor.view.rows[0]).toMatchObject({ peer, state: 'up', name: 'appliance' });
		expect(monitor.history.for(peer)?.latest()?.bytesInPerSecond).toBe(1000);
		expect(monitor.view.findings).toEqual([]);

		poller.poll(downSnapshot());
		expect(monitor.view.rows[0]).toMatchObject({ peer, state: 'down', phase1: 'missing' });
		expect(monitor.view.events.map((event) => event.code)).toContain('tunnel.down');
		expect(monitor.view.findings.map((finding) => finding.code)).toContain('ike.no-sa');

		poller.poll(upSnapshot(100));
		expect(monitor.view.events.at(-1)?.code).toBeDefined();
		expect(monitor.view.events.map((event) => event.code)).toContain('tunnel.up');
		expect(monitor.view.findings).toEqual([]);
	});

	it('a first poll that fails is an unreachable router, with its event', () => {
		const poller = new FakePoller();
		const monitor = new RouterMonitor(poller);
		poller.fail();
		expect(monitor.view.snapshot?.router?.reachable).toBe(false);
		expect(monitor.view.events.map((event) => event.code)).toEqual(['router.unreachable']);
	});

	it('keeps the last rows while the router is unreachable, then logs the reconnection', () => {
		const poller = new FakePoller();
		const monitor = new RouterMonitor(poller, { context });
		poller.poll(upSnapshot());
		poller.fail();
		poller.fail();
		expect(monitor.view.stale).toBe(true);
		expect(monitor.view.rows[0]?.state).toBe('up');
		poller.poll(upSnapshot(2000));
		expect(monitor.view.events.map((event) => event.code)).toEqual([
			'router.unreachable',
			'router.reconnected',
		]);
	});

	it('speaks the user’s language and checks the security group when it is given', () => {
		const poller = new FakePoller('appliance', '203.0.113.188');
		const monitor = new RouterMonitor(poller, {
			t: createTranslator('ja'),
			context: {
				tunnels: { tunnels: [{ name: 'site', peerOutsideIp: '198.51.100.10' }] },
				securityGroupRules: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' }],
			},
		});
		poller.poll(downSnapshot());
		const finding = monitor.view.findings.find((f) => f.code === 'ike.no-sa.security-group');
		expect(finding?.message).toMatch(/[ぁ-んァ-ン一-龥]/);
		expect(monitor.snapshotWithFindings()?.findings?.map((f) => f.code)).toContain(
			'ike.no-sa.security-group',
		);
	});

	it('updates the Prometheus registry on every poll', async () => {
		const registry = new Registry();
		const poller = new FakePoller();
		new RouterMonitor(poller, { context, registry });
		poller.poll(upSnapshot());
		const text = await registry.metrics();
		expect(text).toMatch(/router="site"/);
		expect(text).toMatch(/poll_duration/);
	});

	it('puts AWS’s telemetry beside the router’s rows, fetched on its own interval', () => {
		const poller = new FakePoller();
		const monitor = new RouterMonitor(poller, { context });
		poller.poll(upSnapshot());
		monitor.setContext({
			awsTelemetry: [{ vpnConnectionId: 'vpn-1', outsideIp: peer, status: 'DOWN', statusMessage: '' }],
		});
		expect(monitor.view.rows[0]?.aws).toMatchObject({ vpnConnectionId: 'vpn-1', status: 'DOWN' });
		expect(monitor.view.findings.map((finding) => finding.code)).toContain('aws.down-router-up');
		expect(monitor.snapshotWithFindings()?.aws).toHaveLength(1);
	});

	it('monitorFor gives one model per poller, and stop unsubscribes and stops the poller', () => {
		const poller = new FakePoller();
		const monitor = monitorFor(poller);
		expect(monitorFor(poller)).toBe(monitor);
		monitor.stop();
		expect(poller.stopped).toBe(true);
		expect(poller.listenerCount('update')).toBe(0);
	});
});
