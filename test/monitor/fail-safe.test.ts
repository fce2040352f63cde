import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createTranslator } from '../../source/i18n/index.js';
import { FailSafeWatch } from '../../source/monitor/fail-safe.js';
import { diagnose } from '../../source/monitor/findings.js';
import type { MonitorContext } from '../../source/monitor/router-monitor.js';
import {
	configResetDetected,
	parseDir,
	parseShowSystem,
	parseUptime,
} from '../../source/router/drivers/awplus/system-info.js';

const BOOT = new Date('2026-11-23T10:00:00Z');
const minutes = (count: number) => new Date(BOOT.getTime() + count * 60_000);
const TUNNEL_CONFIG = [
	'!',
	'hostname vaa',
	'!',
	'interface tunnel0',
	' tunnel destination 198.51.100.10',
	'!',
].join('\n');
const DEFAULT_CONFIG = ['!', 'hostname ip-172-30-0-10', '!', 'interface eth0', ' ip address dhcp', '!'].join(
	'\n',
);

describe('configResetDetected (install-guide 8)', () => {
	const cases: {
		name: string;
		backupAt?: Date;
		running: string;
		expected?: { tunnelDestinations?: string[]; hadTunnels?: boolean };
		reset: boolean;
	}[] = [
		{ name: 'no backup file: no reset', running: DEFAULT_CONFIG, reset: false },
		{ name: 'fresh backup, tunnels gone', backupAt: minutes(-1), running: DEFAULT_CONFIG, reset: true },
		{
			name: 'fresh backup, expected tunnel gone',
			backupAt: minutes(0),
			running: TUNNEL_CONFIG.replace('198.51.100.10', '198.51.100.99'),
			expected: { tunnelDestinations: ['198.51.100.10'] },
			reset: true,
		},
		{
			name: 'fresh backup but the expected tunnel is there (restored by hand)',
			backupAt: minutes(-1),
			running: TUNNEL_CONFIG,
			expected: { tunnelDestinations: ['198.51.100.10'] },
			reset: false,
		},
		{
			name: 'an old backup (dealt with, rebooted since)',
			backupAt: minutes(-90),
			running: DEFAULT_CONFIG,
			reset: false,
		},
		{
			name: 'fresh backup, nothing known, a router that never had tunnels',
			backupAt: minutes(-1),
			running: DEFAULT_CONFIG,
			expected: { hadTunnels: false },
			reset: false,
		},
	];
	it.each(cases)('$name', ({ backupAt, running, expected, reset }) => {
		expect(
			configResetDetected({
				bootedAt: BOOT,
				...(backupAt ? { backup: { name: 'default_backup.cfg', size: 300, modified: backupAt } } : {}),
				runningConfig: running,
				...(expected ? { expected } : {}),
			}),
		).toBe(reset);
	});

	it('reads AW+ uptime, show system and dir', () => {
		expect(parseUptime('0 days 00:11:33')).toBe(693);
		expect(parseUptime('2 days 01:00:00')).toBe(2 * 86_400 + 3600);
		expect(parseUptime('soon')).toBeUndefined();
		expect(
			parseShowSystem(
				'Uptime             : 1 days 00:00:05\nSoftware version   : 5.4.9-2.7\nCurrent software   : vaa-5.4.9-2.7.iso',
			),
		).toEqual({ uptimeSeconds: 86_405, version: '5.4.9-2.7', release: 'vaa-5.4.9-2.7.iso' });
		expect(parseDir('     630 -rw- Oct  4 2026 03:06:09  flash:/default_backup.cfg\n% junk')).toEqual([
			{ name: 'default_backup.cfg', size: 630, modified: new Date('2026-10-04T03:06:09Z') },
		]);
	});

	it('the finding says what happened and how to restore, in en and ja', () => {
		for (const lang of ['en', 'ja'] as const) {
			const [finding] = diagnose(
				{
					snapshot: { router: { name: 'vaa', vendor: 'awplus', host: 'x', reachable: true, polledAt: '' } },
					configResetDetected: true,
				},
				createTranslator(lang),
			);
			expect(finding?.code).toBe('appliance.failsafe');
			expect(finding?.hint).toContain('copy default_backup.cfg startup-config');
		}
	});
});

/** A session that answers from a table and reports connection states like RouterSession. */
class FakeRunner extends EventEmitter {
	state = 'ready';
	commands: string[] = [];
	uptime = 600;
	backupAt: Date | undefined;
	running = TUNNEL_CONFIG;
	async run(command: string): Promise<string> {
		this.commands.push(command);
		if (command === 'show system')
			return `Uptime             : 0 days ${new Date(this.uptime * 1000).toISOString().slice(11, 19)}`;
		if (command === 'dir default_backup.cfg') {
			if (!this.backupAt) return '% default_backup.cfg: No such file or directory';
			const at = this.backupAt;
			const month = at.toUTCString().slice(8, 11);
			return `     630 -rw- ${month} ${String(at.getUTCDate()).padStart(2)} ${at.getUTCFullYear()} ${at.toISOString().slice(11, 19)}  flash:/default_backup.cfg`;
		}
		if (command === 'show running-config') return this.running;
		return '';
	}
	setState(state: string) {
		this.state = state;
		this.emit('state', state);
	}
}

describe('FailSafeWatch: cheap, and only after a reboot', () => {
	it('checks at connect, stays quiet while the boot is the same, and finds a reset after a reboot', async () => {
		let now = minutes(10);
		const runner = new FakeRunner();
		const verdicts: MonitorContext['configResetDetected'][] = [];
		const watch = new FailSafeWatch(runner, {
			report: (patch) => verdicts.push(patch.configResetDetected),
			expectedTunnelDestinations: ['198.51.100.10'],
			now: () => now,
		});
		watch.start();
		await watch.check();
		expect(runner.commands).toEqual(['show system', 'dir default_backup.cfg']);
		expect(verdicts).toEqual([false]);

		// a reconnect without a reboot: one show system, nothing else
		now = minutes(20);
		runner.uptime = 1200;
		runner.commands = [];
		runner.setState('reconnecting');
		runner.setState('ready');
		await watch.check();
		expect(runner.commands).toEqual(['show system']);

		// the appliance rebooted in fail-safe: uptime went back, a fresh backup, the tunnel gone
		now = minutes(40);
		runner.uptime = 30;
		runner.backupAt = new Date(now.getTime() - 60_000);
		runner.running = DEFAULT_CONFIG;
		runner.commands = [];
		runner.setState('reconnecting');
		runner.setState('ready');
		await watch.check();
		expect(runner.commands).toEqual(['show system', 'dir default_backup.cfg', 'show running-config']);
		expect(verdicts.at(-1)).toBe(true);
		watch.stop();
	});
});
