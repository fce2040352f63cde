import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleFileName, writeTroubleshootingBundle } from '../../source/monitor/export-bundle.js';
import { RouterMonitor } from '../../source/monitor/router-monitor.js';
import { downSnapshot, FakePoller, upSnapshot } from '../ui/panel-fakes.js';

describe('the e key: a troubleshooting bundle on disk', () => {
	it('names the file after the router and the time', () => {
		expect(bundleFileName('AMF VAA', new Date('2026-11-23T14:00:00.123Z'))).toBe(
			'kakehashi-bundle-AMF_VAA-20261123T140000Z.json',
		);
	});

	it('holds every router’s snapshot, findings, events and raw output, secrets redacted, mode 0600', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'kakehashi-bundle-test-'));
		try {
			const poller = new FakePoller();
			const monitor = new RouterMonitor(poller);
			poller.poll(upSnapshot(), { config: 'crypto isakmp key Sup3rSecretKey hostname vaa0\n' });
			poller.poll(downSnapshot(), { ike: 'garbage' });
			const path = await writeTroubleshootingBundle([monitor], {
				dir,
				secrets: ['Sup3rSecretKey'],
				now: new Date('2026-11-23T14:00:00Z'),
			});
			expect(path).toBe(join(dir, 'kakehashi-bundle-site-20261123T140000Z.json'));
			expect((await stat(path)).mode & 0o777).toBe(0o600);
			const bundle = JSON.parse(await readFile(path, 'utf8'));
			expect(bundle.snapshots).toHaveLength(1);
			expect(bundle.events.map((event: { code: string }) => event.code)).toContain('tunnel.down');
			expect(bundle.raw.site.ike).toBe('garbage');
			expect(JSON.stringify(bundle)).not.toContain('Sup3rSecretKey');
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});
