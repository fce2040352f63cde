import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect, onTestFinished } from 'vitest';
import type { GlobalOptions } from '../../source/cli.js';
import { openBackend } from '../../source/commands/backend.js';
import type { CommandIo } from '../../source/commands/io.js';
import { monitorContextsFromState } from '../../source/commands/monitor.js';
import { loadState } from '../../source/flow/state.js';
import { createTranslator } from '../../source/i18n/index.js';
import { openRouterSession, type RouterTarget, resolveTargets } from '../../source/monitor/connect.js';
import type { MonitorContext } from '../../source/monitor/router-monitor.js';
import type { RouterDriver } from '../../source/router/driver.js';
import { driverFor } from '../../source/router/drivers/index.js';
import type { RouterSession } from '../../source/router/session.js';
import {
	SANDBOX_SITE_PUBLIC_IP,
	type Sandbox,
	type SandboxOptions,
	startSandbox,
} from '../../source/sandbox/index.js';
import { kakehashi, tempDir } from './cli-helpers.js';

export type AppliedRouter = {
	sandbox: Sandbox;
	target: RouterTarget;
	/** The monitor context exactly as `kakehashi monitor` builds it: the state file, then AWS's answer. */
	context: MonitorContext;
	driver: RouterDriver;
	/** Opened over real SSH and connecting (not awaited); closed when the test finishes. */
	session: RouterSession;
};

/**
 * `kakehashi apply --answers <answers>` (dist/cli.js) against a fresh sandbox, then one router of the
 * resulting state resolved, given its monitor context and an SSH session: the start of every journey
 * that watches a deployed design. Everything started is closed when the test finishes.
 */
export async function applyAndOpenRouter(answers: string, routerName: string): Promise<AppliedRouter> {
	const cwd = await tempDir();
	const sandbox = await startSandbox({
		dir: join(cwd, 'sb'),
		timings: { instanceRunningMs: 300 },
		negotiationMs: 200,
	});
	onTestFinished(() => sandbox.close());
	const apply = await kakehashi(
		['apply', '--answers', answers, '--endpoint-url', sandbox.endpoint, '--yes', '--json'],
		{ cwd },
	);
	expect(apply.exitCode, apply.stderr).toBe(0);

	const statePath = join(cwd, 'kakehashi.state.json');
	const state = await loadState(statePath);
	if (!state) throw new Error('no state file');
	const backend = await openBackend({ endpointUrl: sandbox.endpoint, state: statePath } as GlobalOptions, {
		region: state.region,
	});
	onTestFinished(() => backend.close());
	const [target] = resolveTargets(
		state.routers.filter((router) => router.name === routerName),
		sandbox.routers(),
	);
	if (!target) throw new Error(`router ${routerName} not resolved`);
	const context = (await monitorContextsFromState(state, backend.ec2))(target);

	const driver = driverFor('awplus');
	if (!driver) throw new Error('awplus driver missing');
	const session = await openRouterSession(target, driver, { knownHostsFile: join(cwd, 'known_hosts') });
	onTestFinished(() => session.close());
	session.connect().catch(() => {});
	return { sandbox, target, context, driver, session };
}

/** The far end of install-guide 5a: a router living only in the simulated world. */
export const FAR_IP = '10.0.0.5';
const PSK = 'abcdefghijklmnopqrstuvwxyz1234';

/** install-guide 5a between the sandbox's site router and the far end; with `bgp`, a BGP session over it. */
function siteFarConfigs(bgp: boolean): { site: string[]; far: string[] } {
	const tunnel = (ends: string[], address: string) => [
		...ends,
		' tunnel mode ipsec ipv4',
		' tunnel protection ipsec',
		` ip address ${address}`,
	];
	const site = tunnel(
		[
			`crypto isakmp key ${PSK} hostname vaa0`,
			'interface tunnel0',
			' tunnel source ppp0',
			` tunnel destination ${FAR_IP}`,
			' tunnel remote name vaa0',
		],
		'172.16.0.2/30',
	);
	const far = tunnel(
		[
			`crypto isakmp key ${PSK} address ${SANDBOX_SITE_PUBLIC_IP}`,
			'interface tunnel0',
			' tunnel source eth0',
			` tunnel destination ${SANDBOX_SITE_PUBLIC_IP}`,
			' tunnel local name vaa0',
		],
		'172.16.0.1/30',
	);
	if (!bgp) return { site, far };
	return {
		site: [...site, 'router bgp 65001', ' neighbor 172.16.0.1 remote-as 65000', ' network 192.168.1.0/24'],
		far: [...far, 'router bgp 65000', ' neighbor 172.16.0.2 remote-as 65001', ' network 172.30.0.0/24'],
	};
}

/**
 * A sandbox in `dir`/sandbox whose site router has a tunnel to the far end ({@link FAR_IP}). The sandbox
 * is closed by the step pushed on `cleanup`.
 */
export async function startSiteFarSandbox(
	dir: string,
	cleanup: (() => Promise<void>)[],
	options: { bgp: boolean; systemTimings?: SandboxOptions['systemTimings'] },
): Promise<Sandbox> {
	const sandbox = await startSandbox({
		dir: join(dir, 'sandbox'),
		negotiationMs: 200,
		...(options.systemTimings ? { systemTimings: options.systemTimings } : {}),
	});
	cleanup.push(() => sandbox.close());
	const configs = siteFarConfigs(options.bgp);
	sandbox.world.removeRouter('site');
	sandbox.world.addRouter({ name: 'site', publicIp: SANDBOX_SITE_PUBLIC_IP, config: configs.site });
	sandbox.world.addRouter({ name: 'far', publicIp: FAR_IP, privateIp: '172.30.0.5', config: configs.far });
	return sandbox;
}

/** An SSH session (connecting, not awaited) to the sandbox's site router; closed by a step on `cleanup`. */
export async function openSiteSession(
	sandbox: Sandbox,
	dir: string,
	cleanup: (() => Promise<void>)[],
): Promise<{ driver: RouterDriver; target: RouterTarget; session: RouterSession }> {
	const driver = driverFor('awplus');
	if (!driver) throw new Error('awplus driver missing');
	const [target] = resolveTargets(
		[{ name: 'site', host: SANDBOX_SITE_PUBLIC_IP, port: 22, user: 'manager', vendor: 'awplus' }],
		sandbox.routers(),
	);
	if (!target) throw new Error('site router not resolved');
	const session = await openRouterSession(target, driver, { knownHostsFile: join(dir, 'known_hosts') });
	cleanup.push(() => session.close());
	session.connect().catch(() => {});
	return { driver, target, session };
}

/** A CommandIo writing to buffers (stdin empty and closed), for calling a command function in-process. */
export function captureIo(
	cwd: string,
	lang: 'en' | 'ja' = 'en',
): { io: CommandIo; out: () => string; err: () => string } {
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	let out = '';
	let err = '';
	stdout.on('data', (chunk) => {
		out += chunk.toString();
	});
	stderr.on('data', (chunk) => {
		err += chunk.toString();
	});
	const stdin = new PassThrough();
	stdin.end();
	return {
		io: { stdout, stderr, stdin, t: createTranslator(lang), lang, env: {}, cwd },
		out: () => out,
		err: () => err,
	};
}
