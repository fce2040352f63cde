import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { awsEndpointName } from '../../source/sandbox/aws-endpoints.js';
import { startSandbox } from '../../source/sandbox/index.js';
import { kakehashi, root, tempDir } from './cli-helpers.js';

/**
 * The two modes beyond single-appliance, end to end through the built CLI: apply (AWS resources, then
 * the routers' configurations pushed over SSH to the simulated routers), monitor --once --json, a
 * re-apply that changes nothing, destroy.
 */

const multiTenant = join(root, 'flows', 'examples', 'multi-tenant.yaml');
const awsVpn = join(root, 'flows', 'examples', 'single-aws-vpn.yaml');

type Snapshot = {
	router: { name: string; reachable: boolean };
	ike: { peer: string; state: string; version?: number }[];
	ipsec: { peer: string; state: string }[];
	bgp?: { neighbor: string; remoteAs?: number; state: string; prefixesReceived?: number }[];
	aws?: {
		vpnConnectionId: string;
		outsideIp: string;
		status: string;
		statusMessage?: string;
		acceptedRouteCount?: number;
	}[];
	findings: { severity: string; code: string; message: string }[];
	unparsed: string[];
};

type Applied = {
	flow: string;
	resources: { kind: string; id: string; created: boolean }[];
	routers: { name: string; host: string; port: number; user: string; vendor: string }[];
};

const serious = (snapshot: Snapshot) => snapshot.findings.filter((finding) => finding.severity !== 'info');

describe('multi-tenant on the built-in sandbox', () => {
	it('applies, pushes the appliance and both tenant routers, monitors every tunnel up, re-applies unchanged, destroys', async () => {
		const cwd = await tempDir();
		const apply = await kakehashi(['apply', '--answers', multiTenant, '--sandbox', '--yes', '--json'], {
			cwd,
		});
		expect(apply.stderr).not.toMatch(/at .*\.js:\d+/);
		expect(apply.exitCode, apply.stderr).toBe(0);
		const applied = JSON.parse(apply.stdout) as Applied;
		expect(applied.flow).toBe('multi-tenant');
		expect(applied.routers.map((router) => router.name).sort()).toEqual(['AMF-VAA', 'tenant-a', 'tenant-b']);
		// one generated key per tenant, shown once, never in the state file
		const keys = [...apply.stderr.matchAll(/pre-shared key for (tenant-[ab])[^:]*: (\S+)/g)].map((m) => m[2]);
		expect(keys).toHaveLength(2);
		expect(new Set(keys).size).toBe(2);
		const stateText = await readFile(join(cwd, 'kakehashi.state.json'), 'utf8');
		for (const key of keys) expect(stateText).not.toContain(key);
		expect(apply.stderr.match(/configured \(\d+ lines\)/g)).toHaveLength(3);

		const monitor = await kakehashi(['monitor', '--sandbox', '--once', '--json'], { cwd });
		expect(monitor.exitCode, monitor.stderr).toBe(0);
		const snapshots = JSON.parse(monitor.stdout) as Snapshot[];
		expect(snapshots.map((snapshot) => snapshot.router.name).sort()).toEqual([
			'AMF-VAA',
			'tenant-a',
			'tenant-b',
		]);
		const appliance = snapshots.find((snapshot) => snapshot.router.name === 'AMF-VAA') as Snapshot;
		expect(appliance.ike.map((sa) => [sa.peer, sa.state]).sort()).toEqual([
			['198.51.100.21', 'established'],
			['198.51.100.22', 'established'],
		]);
		expect(appliance.ipsec.map((sa) => [sa.peer, sa.state]).sort()).toEqual([
			['198.51.100.21', 'up'],
			['198.51.100.22', 'up'],
		]);
		for (const name of ['tenant-a', 'tenant-b']) {
			const tenant = snapshots.find((snapshot) => snapshot.router.name === name) as Snapshot;
			expect(tenant.router.reachable).toBe(true);
			expect(tenant.ike.map((sa) => sa.state)).toEqual(['established']);
			expect(tenant.ipsec.map((sa) => sa.state)).toEqual(['up']);
			expect(tenant.ike[0]?.peer).toMatch(/^203\.0\.113\./); // the appliance's public address
		}
		for (const snapshot of snapshots) {
			expect(serious(snapshot), snapshot.router.name).toEqual([]);
			expect(snapshot.unparsed).toEqual([]);
		}

		const reapply = await kakehashi(['apply', '--answers', multiTenant, '--sandbox', '--yes', '--json'], {
			cwd,
		});
		expect(reapply.exitCode, reapply.stderr).toBe(0);
		expect(reapply.stderr).not.toMatch(/pre-shared key for/); // recovered from the appliance
		expect(reapply.stderr.match(/already matches — nothing to do/g)).toHaveLength(3);
		expect((JSON.parse(reapply.stdout) as Applied).resources.map((r) => r.id)).toEqual(
			applied.resources.map((r) => r.id),
		);

		const destroy = await kakehashi(['destroy', '--sandbox', '--yes', '--json'], { cwd });
		expect(destroy.exitCode, destroy.stderr).toBe(0);
		const state = JSON.parse(await readFile(join(cwd, 'kakehashi.state.json'), 'utf8')) as {
			resources: unknown[];
		};
		expect(state.resources).toEqual([]);
	}, 300_000);
});

/** The site router's view of both AWS tunnels and AWS's telemetry, keyed by outside address. */
function expectAwsTunnelsUp(site: Snapshot, vpnConnectionId: string): string[] {
	const peers = site.ike.map((sa) => sa.peer).sort();
	expect(peers).toHaveLength(2);
	expect(site.ike.every((sa) => sa.state === 'established')).toBe(true);
	expect(site.ipsec.map((sa) => [sa.peer, sa.state]).sort()).toEqual(peers.map((peer) => [peer, 'up']));
	expect(site.bgp?.map((neighbor) => [neighbor.state, neighbor.remoteAs])).toEqual([
		['established', 64512],
		['established', 64512],
	]);
	for (const neighbor of site.bgp ?? []) expect(neighbor.prefixesReceived).toBe(1); // the VPC block
	expect(site.aws?.map((tunnel) => tunnel.outsideIp).sort()).toEqual(peers);
	for (const tunnel of site.aws ?? []) {
		expect(tunnel).toMatchObject({
			vpnConnectionId,
			status: 'UP',
			statusMessage: '1 BGP ROUTES',
			acceptedRouteCount: 1, // the site's LAN
		});
	}
	return peers;
}

describe('single-aws-vpn on the built-in sandbox', () => {
	it('applies, pushes the customer router from AWS’s tunnel data, monitors both tunnels with BGP and AWS telemetry, re-applies unchanged, destroys', async () => {
		const cwd = await tempDir();
		const apply = await kakehashi(['apply', '--answers', awsVpn, '--sandbox', '--yes', '--json'], { cwd });
		expect(apply.stderr).not.toMatch(/at .*\.js:\d+/);
		expect(apply.exitCode, apply.stderr).toBe(0);
		const applied = JSON.parse(apply.stdout) as Applied;
		expect(applied.flow).toBe('single-aws-vpn');
		const kinds = applied.resources.map((resource) => resource.kind);
		expect(kinds).toEqual(expect.arrayContaining(['vpn-gateway', 'customer-gateway', 'vpn-connection']));
		const vpnConnectionId =
			applied.resources.find((resource) => resource.kind === 'vpn-connection')?.id ?? '';
		expect(applied.routers.map((router) => router.name).sort()).toEqual(['AMF-VAA', 'site']);
		expect(apply.stderr).toMatch(/Router site configured \(\d+ lines\)/);

		// AWS's keys: never in the state file nor in the output
		const sandboxState = JSON.parse(
			await readFile(join(cwd, '.kakehashi', 'sandbox', 'ec2.json'), 'utf8'),
		) as {
			regions: Record<string, { vpnConnections?: Record<string, { tunnels: { preSharedKey: string }[] }> }>;
		};
		const awsKeys = Object.values(sandboxState.regions).flatMap((region) =>
			Object.values(region.vpnConnections ?? {}).flatMap((connection) =>
				connection.tunnels.map((tunnel) => tunnel.preSharedKey),
			),
		);
		expect(awsKeys).toHaveLength(2);
		const stateText = await readFile(join(cwd, 'kakehashi.state.json'), 'utf8');
		for (const key of awsKeys) {
			expect(stateText).not.toContain(key);
			expect(apply.stderr + apply.stdout).not.toContain(key);
		}

		const monitor = await kakehashi(['monitor', '--sandbox', '--once', '--json'], { cwd });
		expect(monitor.exitCode, monitor.stderr).toBe(0);
		const snapshots = JSON.parse(monitor.stdout) as Snapshot[];
		const site = snapshots.find((snapshot) => snapshot.router.name === 'site') as Snapshot;
		expectAwsTunnelsUp(site, vpnConnectionId);
		for (const snapshot of snapshots) {
			expect(serious(snapshot), snapshot.router.name).toEqual([]);
			expect(snapshot.unparsed).toEqual([]);
		}

		const reapply = await kakehashi(['apply', '--answers', awsVpn, '--sandbox', '--yes', '--json'], { cwd });
		expect(reapply.exitCode, reapply.stderr).toBe(0);
		expect(reapply.stderr).toMatch(/Router site: already matches — nothing to do/);

		const destroy = await kakehashi(['destroy', '--sandbox', '--yes', '--json'], { cwd });
		expect(destroy.exitCode, destroy.stderr).toBe(0);
		const state = JSON.parse(await readFile(join(cwd, 'kakehashi.state.json'), 'utf8')) as {
			resources: unknown[];
		};
		expect(state.resources).toEqual([]);
	}, 300_000);

	it('one AWS endpoint down: its telemetry goes DOWN and the monitor says only one of two tunnels is up', async () => {
		const cwd = await tempDir();
		// the sandbox lives in this process so that the test can drop a tunnel in its world
		const sandbox = await startSandbox({
			dir: join(cwd, 'sb'),
			timings: { instanceRunningMs: 300 },
			negotiationMs: 200,
		});
		onTestFinished(() => sandbox.close());
		const endpoint = ['--endpoint-url', sandbox.endpoint];
		const apply = await kakehashi(['apply', '--answers', awsVpn, ...endpoint, '--yes', '--json'], { cwd });
		expect(apply.exitCode, apply.stderr).toBe(0);
		const applied = JSON.parse(apply.stdout) as Applied;
		const vpnConnectionId =
			applied.resources.find((resource) => resource.kind === 'vpn-connection')?.id ?? '';
		expect(sandbox.awsEndpoints()).toHaveLength(2);
		// the customer router answers at its public address through the sandbox's discovery document
		expect(sandbox.resolve('198.51.100.10')?.name).toBe('site');

		const pollSite = async (): Promise<Snapshot> => {
			const monitor = await kakehashi(['monitor', '--once', '--json', '--router', 'site'], { cwd });
			expect(monitor.exitCode, monitor.stderr).toBe(0);
			return JSON.parse(monitor.stdout) as Snapshot;
		};
		const waitForSite = async (done: (snapshot: Snapshot) => boolean): Promise<Snapshot> => {
			const deadline = Date.now() + 60_000;
			for (;;) {
				const snapshot = await pollSite();
				if (done(snapshot)) return snapshot;
				if (Date.now() > deadline) throw new Error(JSON.stringify(snapshot, null, 2));
				await new Promise((resolve) => setTimeout(resolve, 300));
			}
		};
		const healthy = await waitForSite((snapshot) => snapshot.aws?.every((t) => t.status === 'UP') === true);
		const [first, second] = expectAwsTunnelsUp(healthy, vpnConnectionId);
		expect(serious(healthy)).toEqual([]);

		sandbox.world.dropTunnel(awsEndpointName(first as string));
		const degraded = await waitForSite(
			(snapshot) => snapshot.aws?.find((t) => t.outsideIp === first)?.status === 'DOWN',
		);
		expect(degraded.aws?.find((tunnel) => tunnel.outsideIp === first)).toMatchObject({
			status: 'DOWN',
			statusMessage: 'IPSEC IS DOWN',
			acceptedRouteCount: 0,
		});
		expect(degraded.aws?.find((tunnel) => tunnel.outsideIp === second)?.status).toBe('UP');
		const redundancy = degraded.findings.find((finding) => finding.code === 'aws.no-redundancy');
		expect(redundancy?.message).toContain(first as string);
		expect(redundancy?.message).toContain(second as string);
		// the router's side says the same: that tunnel has no established SA any more
		expect(degraded.ike.find((sa) => sa.peer === first)?.state).not.toBe('established');

		sandbox.world.restoreTunnel(awsEndpointName(first as string));
		const restored = await waitForSite((snapshot) => snapshot.aws?.every((t) => t.status === 'UP') === true);
		expect(serious(restored)).toEqual([]);
	}, 300_000);
});
