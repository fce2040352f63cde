import { join } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import type { GlobalOptions } from '../../source/cli.js';
import { openBackend } from '../../source/commands/backend.js';
import { monitorContextsFromState } from '../../source/commands/monitor.js';
import { loadState } from '../../source/flow/state.js';
import { openRouterSession, type RouterTarget, resolveTargets } from '../../source/monitor/connect.js';
import type { MonitorContext } from '../../source/monitor/router-monitor.js';
import type { RouterDriver } from '../../source/router/driver.js';
import { driverFor } from '../../source/router/drivers/index.js';
import type { RouterSession } from '../../source/router/session.js';
import { type Sandbox, startSandbox } from '../../source/sandbox/index.js';
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
