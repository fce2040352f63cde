import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type CommandRunner, RouterPoller } from '../../source/monitor/poller.js';
import { driverFor } from '../../source/router/drivers/index.js';

function runner(outputs: (command: string) => string | Error): CommandRunner & { calls: number } {
	const events = new EventEmitter();
	const result = {
		state: 'ready',
		calls: 0,
		run: async (command: string) => {
			result.calls++;
			const output = outputs(command);
			if (output instanceof Error) throw output;
			return output;
		},
		on: (event: 'state', listener: (state: string) => void) => events.on(event, listener),
		off: (event: 'state', listener: (state: string) => void) => events.off(event, listener),
	};
	return result;
}

const driver = driverFor('awplus');
if (!driver) throw new Error('awplus driver missing');
const target = { name: 'site', vendor: 'awplus', host: '198.51.100.10', port: 22 };

describe('RouterPoller', () => {
	it('a first poll that fails yields an unreachable snapshot, not nothing', async () => {
		const poller = new RouterPoller(
			runner(() => new Error('connect ECONNREFUSED')),
			driver,
			target,
			{
				intervalMs: 1000,
			},
		);
		const state = await poller.pollOnce();
		expect(state.snapshot?.router).toMatchObject({ name: 'site', host: '198.51.100.10', reachable: false });
		expect(state.stale).toBe(false);
		expect(state.error).toContain('ECONNREFUSED');
		expect(state.lastPollDurationMs).toBeGreaterThanOrEqual(0);
		poller.stop();
	});

	it('keeps the last good data, marked stale and unreachable, when a later poll fails', async () => {
		let fail = false;
		const poller = new RouterPoller(
			runner(() => (fail ? new Error('reset') : 'garbage that no parser knows')),
			driver,
			target,
			{ intervalMs: 1000 },
		);
		const good = await poller.pollOnce();
		expect(good.snapshot?.unparsed?.length).toBeGreaterThan(0);
		expect(good.raw.ike).toBe('garbage that no parser knows');
		fail = true;
		const bad = await poller.pollOnce();
		expect(bad.stale).toBe(true);
		expect(bad.snapshot?.router?.reachable).toBe(false);
		expect(bad.snapshot?.router?.polledAt).toBe(good.snapshot?.router?.polledAt);
		expect(bad.raw).toEqual(good.raw);
		poller.stop();
	});

	it('r polls even while paused', async () => {
		const commands = runner(() => '');
		const poller = new RouterPoller(commands, driver, target, { intervalMs: 60_000 });
		poller.setPaused(true);
		poller.pollNow();
		const deadline = Date.now() + 5000;
		while (commands.calls === 0 && Date.now() < deadline)
			await new Promise((resolve) => setTimeout(resolve, 10));
		expect(commands.calls).toBeGreaterThan(0);
		poller.stop();
	});
});
