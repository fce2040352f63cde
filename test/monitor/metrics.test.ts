import { request } from 'node:http';
import { register as globalRegistry, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsServer, startMetricsServer, updateMetrics } from '../../source/monitor/metrics.js';
import { joinTunnels, tunnelContextFromDesign } from '../../source/monitor/tunnels.js';
import type { StatusSnapshot } from '../../source/router/model.js';
import { awsDesign, edit, healthyAwsSnapshot, tunnel1, tunnel2 } from './fixtures.js';

const context = tunnelContextFromDesign(awsDesign());
const update = (registry: Registry, snapshot: StatusSnapshot, pollDurationSeconds?: number) =>
	updateMetrics(registry, 'site', snapshot, joinTunnels(snapshot, context), { pollDurationSeconds });

function get(url: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
	return new Promise((resolve, reject) => {
		const call = request(url, { method }, (response) => {
			let body = '';
			response.setEncoding('utf8');
			response.on('data', (chunk: string) => {
				body += chunk;
			});
			response.on('end', () =>
				resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body }),
			);
		});
		call.on('error', reject);
		call.end();
	});
}

/** `name{labels} value` lines of the exposition, label order as prom-client prints it. */
const sample = (body: string, name: string, labels: string) =>
	body
		.split('\n')
		.find((line) => line.startsWith(`${name}{${labels}}`))
		?.split(' ')[1];

let server: MetricsServer | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

describe('metrics exporter', () => {
	it('serves the tunnel states over HTTP on 127.0.0.1', async () => {
		const registry = new Registry();
		update(
			registry,
			edit(healthyAwsSnapshot(), (copy) => {
				if (copy.bgp?.[1]) Object.assign(copy.bgp[1], { state: 'active', prefixesReceived: 0 });
				if (copy.aws?.[1]) copy.aws[1].status = 'DOWN';
			}),
			0.25,
		);
		server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry });
		expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
		const { status, type, body } = await get(server.url);
		expect(status).toBe(200);
		expect(type).toContain('text/plain');
		const t1 = `router="site",peer="${tunnel1.outside}",tunnel="tunnel1"`;
		expect(sample(body, 'kakehashi_router_reachable', 'router="site"')).toBe('1');
		expect(sample(body, 'kakehashi_router_last_poll_timestamp_seconds', 'router="site"')).toBe(
			String(Date.parse('2026-11-22T14:00:00Z') / 1000),
		);
		expect(sample(body, 'kakehashi_router_poll_duration_seconds', 'router="site"')).toBe('0.25');
		expect(sample(body, 'kakehashi_tunnel_up', t1)).toBe('1');
		expect(sample(body, 'kakehashi_ike_state', t1)).toBe('2');
		expect(sample(body, 'kakehashi_ipsec_state', t1)).toBe('1');
		expect(sample(body, 'kakehashi_ipsec_bytes_total', `${t1},direction="in"`)).toBe('1000');
		expect(sample(body, 'kakehashi_ipsec_packets_total', `${t1},direction="out"`)).toBe('20');
		expect(
			sample(
				body,
				'kakehashi_bgp_state',
				`router="site",neighbor="${tunnel1.aws}",peer="${tunnel1.outside}"`,
			),
		).toBe('6');
		expect(
			sample(
				body,
				'kakehashi_bgp_state',
				`router="site",neighbor="${tunnel2.aws}",peer="${tunnel2.outside}"`,
			),
		).toBe('3');
		expect(
			sample(
				body,
				'kakehashi_bgp_prefixes_received',
				`router="site",neighbor="${tunnel2.aws}",peer="${tunnel2.outside}"`,
			),
		).toBe('0');
		expect(
			sample(
				body,
				'kakehashi_aws_tunnel_up',
				`router="site",vpn_connection="vpn-0123456789abcdef0",outside_ip="${tunnel2.outside}"`,
			),
		).toBe('0');
		expect(body).toContain('# HELP kakehashi_bgp_state BGP state: 0 not configured, 1 idle');
		expect(body).toContain('# TYPE kakehashi_ipsec_bytes_total counter');
		expect((await get(server.url.replace('/metrics', '/other'))).status).toBe(404);
		expect((await get(server.url, 'POST')).status).toBe(404);
	});

	it('keeps byte counters monotonic across a rekey, and drops tunnels that vanish', async () => {
		const registry = new Registry();
		update(registry, healthyAwsSnapshot());
		update(
			registry,
			edit(healthyAwsSnapshot(), (copy) => {
				if (copy.ipsec?.[0]) copy.ipsec[0].bytesIn = 1500;
			}),
		);
		// rekey: the router's counter restarts
		update(
			registry,
			edit(healthyAwsSnapshot(), (copy) => {
				if (copy.ipsec?.[0]) copy.ipsec[0].bytesIn = 200;
				copy.ike = copy.ike?.filter((sa) => sa.peer !== tunnel2.outside);
				copy.ipsec = copy.ipsec?.filter((sa) => sa.peer !== tunnel2.outside);
				copy.aws = copy.aws?.filter((aws) => aws.outsideIp !== tunnel2.outside);
			}),
		);
		server = await startMetricsServer({ registry });
		const { body } = await get(server.url);
		const t1 = `router="site",peer="${tunnel1.outside}",tunnel="tunnel1"`;
		expect(sample(body, 'kakehashi_ipsec_bytes_total', `${t1},direction="in"`)).toBe('1700');
		// tunnel2 is in the design: still a row (down), but its counters and AWS series are gone
		expect(
			sample(body, 'kakehashi_tunnel_up', `router="site",peer="${tunnel2.outside}",tunnel="tunnel2"`),
		).toBe('0');
		expect(
			sample(body, 'kakehashi_ike_state', `router="site",peer="${tunnel2.outside}",tunnel="tunnel2"`),
		).toBe('0');
		expect(body).not.toMatch(new RegExp(`kakehashi_ipsec_bytes_total\\{[^}]*peer="${tunnel2.outside}"`));
		expect(body).not.toContain(`outside_ip="${tunnel2.outside}"`);
	});

	it('marks an unreachable router without inventing tunnel data', async () => {
		const registry = new Registry();
		update(registry, healthyAwsSnapshot());
		update(
			registry,
			edit(healthyAwsSnapshot(), (copy) => {
				if (copy.router) copy.router.reachable = false;
				copy.ike = [];
			}),
		);
		const body = await registry.metrics();
		expect(sample(body, 'kakehashi_router_reachable', 'router="site"')).toBe('0');
		expect(
			sample(body, 'kakehashi_ike_state', `router="site",peer="${tunnel1.outside}",tunnel="tunnel1"`),
		).toBe('2');
	});

	it('stays off the global registry, and keeps routers apart', async () => {
		const registry = new Registry();
		update(registry, healthyAwsSnapshot());
		updateMetrics(
			registry,
			'other',
			{ router: { name: 'other', vendor: 'awplus', host: 'h', reachable: true, polledAt: '' } },
			[],
		);
		expect(await globalRegistry.metrics()).not.toContain('kakehashi_');
		const body = await registry.metrics();
		expect(sample(body, 'kakehashi_router_reachable', 'router="other"')).toBe('1');
		expect(
			sample(body, 'kakehashi_tunnel_up', `router="site",peer="${tunnel1.outside}",tunnel="tunnel1"`),
		).toBe('1');
	});

	it('closes cleanly, even with a keep-alive connection open', async () => {
		const registry = new Registry();
		const started = await startMetricsServer({ host: '127.0.0.1', port: 0, registry });
		await get(started.url);
		await started.close();
		await expect(get(started.url)).rejects.toThrow();
	});
});
