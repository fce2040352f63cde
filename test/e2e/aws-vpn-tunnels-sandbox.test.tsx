import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RouterPoller } from '../../source/monitor/poller.js';
import { RouterMonitor } from '../../source/monitor/router-monitor.js';
import { I18nProvider } from '../../source/ui/i18n-context.js';
import { MonitorApp } from '../../source/ui/monitor-app.js';
import { eventually } from '../ui/panel-fakes.js';
import { kakehashi, root, tempDir } from './cli-helpers.js';
import { applyAndOpenRouter } from './sandbox-journey.js';

/**
 * The joined tunnel rows of the two non-appliance-only modes, end to end: each AWS tunnel one row keyed
 * by its outside address with its own BGP neighbour (AWS's inside address) and AWS's telemetry, no
 * BGP neighbour left over; the multi-tenant appliance one row per tenant, each tenant router one row.
 */

const awsVpn = join(root, 'flows', 'examples', 'single-aws-vpn.yaml');
const multiTenant = join(root, 'flows', 'examples', 'multi-tenant.yaml');

type Row = {
	name?: string;
	peer: string;
	expected: boolean;
	state: string;
	phase1: string;
	phase2: string;
	bgp?: { neighbor: string; state: string; remoteAs?: number; prefixesReceived?: number };
	aws?: { vpnConnectionId: string; status: string; acceptedRouteCount?: number };
	expect?: { bgpNeighbor?: string; remoteAs?: number; localAs?: number; customerInsideIp?: string };
};
type Snapshot = {
	router: { name: string };
	ike: { peer: string }[];
	bgp?: { neighbor: string }[];
	aws?: { outsideIp: string }[];
	findings: { severity: string; code: string }[];
	tunnels?: Row[];
};
type Recorded = { kind: string; id: string; tunnels?: { outsideIp: string; insideCidr: string }[] };

const firstHost = (cidr: string) => {
	const [network = ''] = cidr.split('/');
	const octets = network.split('.');
	return `${octets.slice(0, 3).join('.')}.${Number(octets[3]) + 1}`;
};

describe('monitor --once --json: tunnel rows per mode on the built-in sandbox', () => {
	it('single-aws-vpn: two rows keyed by AWS’s outside addresses, each with its BGP neighbour and AWS telemetry', async () => {
		const cwd = await tempDir();
		const apply = await kakehashi(['apply', '--answers', awsVpn, '--sandbox', '--yes', '--json'], { cwd });
		expect(apply.exitCode, apply.stderr).toBe(0);
		const resources = (JSON.parse(apply.stdout) as { resources: Recorded[] }).resources;
		const connection = resources.find((resource) => resource.kind === 'vpn-connection') as Recorded;
		const recorded = connection.tunnels ?? [];
		expect(recorded.map((tunnel) => tunnel.insideCidr).sort()).toEqual([
			'169.254.10.0/30',
			'169.254.11.0/30',
		]);

		const monitor = await kakehashi(['monitor', '--sandbox', '--once', '--json'], { cwd });
		expect(monitor.exitCode, monitor.stderr).toBe(0);
		const snapshots = JSON.parse(monitor.stdout) as Snapshot[];
		const site = snapshots.find((snapshot) => snapshot.router.name === 'site') as Snapshot;
		const rows = site.tunnels ?? [];
		expect(rows.map((row) => row.peer).sort()).toEqual(recorded.map((tunnel) => tunnel.outsideIp).sort());
		for (const tunnel of recorded) {
			// AWS's inside address of that very tunnel, whatever order AWS listed the tunnels in
			const neighbor = firstHost(tunnel.insideCidr);
			const row = rows.find((candidate) => candidate.peer === tunnel.outsideIp);
			expect(row, tunnel.outsideIp).toMatchObject({
				name: tunnel.insideCidr,
				expected: true,
				state: 'up',
				phase1: 'established',
				phase2: 'up',
				bgp: { neighbor, state: 'established', remoteAs: 64512, prefixesReceived: 1 },
				aws: { vpnConnectionId: connection.id, status: 'UP', acceptedRouteCount: 1 },
				expect: { bgpNeighbor: neighbor, remoteAs: 64512, localAs: 65000 },
			});
		}
		// no BGP neighbour of no tunnel: every neighbour the router lists sits on a row
		const claimed = rows.flatMap((row) => (row.bgp ? [row.bgp.neighbor] : []));
		expect((site.bgp ?? []).map((neighbor) => neighbor.neighbor).sort()).toEqual(claimed.sort());
		expect(site.findings.filter((finding) => finding.severity !== 'info')).toEqual([]);
		// the contract's sections stay as they were
		expect(site.ike).toHaveLength(2);
		expect(site.aws).toHaveLength(2);
		// the appliance terminates no tunnel in this mode
		expect(snapshots.find((snapshot) => snapshot.router.name === 'AMF-VAA')?.tunnels).toEqual([]);
	}, 300_000);

	it('multi-tenant: the appliance one row per tenant router, each tenant router one row to the appliance', async () => {
		const cwd = await tempDir();
		const apply = await kakehashi(['apply', '--answers', multiTenant, '--sandbox', '--yes', '--json'], {
			cwd,
		});
		expect(apply.exitCode, apply.stderr).toBe(0);
		const monitor = await kakehashi(['monitor', '--sandbox', '--once', '--json'], { cwd });
		expect(monitor.exitCode, monitor.stderr).toBe(0);
		const snapshots = JSON.parse(monitor.stdout) as Snapshot[];
		const byName = (name: string) => snapshots.find((snapshot) => snapshot.router.name === name) as Snapshot;
		const applianceIp = byName('tenant-a').ike[0]?.peer ?? '';
		expect(applianceIp).toMatch(/^203\.0\.113\./);
		expect(byName('AMF-VAA').tunnels?.map((row) => [row.name, row.peer, row.expected, row.state])).toEqual([
			['tenant-a', '198.51.100.21', true, 'up'],
			['tenant-b', '198.51.100.22', true, 'up'],
		]);
		for (const name of ['tenant-a', 'tenant-b'])
			expect(byName(name).tunnels?.map((row) => [row.name, row.peer, row.expected, row.state])).toEqual([
				['AMF-VAA', applianceIp, true, 'up'],
			]);
	}, 300_000);
});

describe('the live panel on single-aws-vpn', () => {
	it('shows both AWS tunnels as rows with BGP established and AWS UP, no neighbour left over', async () => {
		const { target, context, driver, session } = await applyAndOpenRouter(awsVpn, 'site');
		const tunnels = context.tunnels;
		expect(tunnels?.tunnels?.map((tunnel) => tunnel.name)).toEqual(['169.254.10.0/30', '169.254.11.0/30']);
		expect(context.awsTelemetry?.map((tunnel) => tunnel.status)).toEqual(['UP', 'UP']);

		const poller = new RouterPoller(
			session,
			driver,
			{ name: 'site', vendor: 'awplus', host: target.address, port: target.port },
			{ intervalMs: 500, commandTimeoutMs: 5000 },
		);
		const monitor = new RouterMonitor(poller, { context });
		onTestFinished(() => monitor.stop());
		poller.start();
		const app = render(
			<I18nProvider lang="en">
				<MonitorApp monitors={[monitor]} />
			</I18nProvider>,
		);
		onTestFinished(() => app.unmount());

		const outside = (tunnels?.tunnels ?? []).map((tunnel) => tunnel.peerOutsideIp);
		expect(outside).toHaveLength(2);
		await eventually(() => {
			const frame = app.lastFrame() ?? '';
			for (const ip of outside)
				expect(frame).toMatch(new RegExp(`${ip.replaceAll('.', '\\.')}\\s+up\\s+up\\s+estab.*\\s1\\s+UP`));
			expect(frame).not.toContain('BGP neighbours of no tunnel');
			expect(frame).toContain('No problems found.');
		}, 60_000);
		// the two rows carry their own neighbours (the joined model the panel renders)
		expect(monitor.view.rows.map((row) => [row.peer, row.bgp?.neighbor, row.aws?.status]).sort()).toEqual(
			(tunnels?.tunnels ?? []).map((tunnel) => [tunnel.peerOutsideIp, tunnel.bgpNeighbor, 'UP']).sort(),
		);
		expect(monitor.view.otherBgp).toEqual([]);
	}, 300_000);
});
