import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cli, exampleAnswers, kakehashi, tempDir } from './cli-helpers.js';

type Snapshot = {
	router: { name: string; reachable: boolean };
	findings: { code: string; severity: string; message: string }[];
	lastPollDurationMs?: number;
};

async function waitFor<T>(check: () => T | undefined, timeoutMs: number): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = check();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error('timed out');
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

describe('kakehashi monitor on the built-in sandbox', () => {
	it('--once --json carries findings and the poll duration; --metrics serves Prometheus metrics', async () => {
		const cwd = await tempDir();
		const apply = await kakehashi(['apply', '--answers', exampleAnswers, '--sandbox', '--yes', '--json'], {
			cwd,
		});
		expect(apply.exitCode, apply.stderr).toBe(0);

		const once = await kakehashi(['monitor', '--sandbox', '--once', '--json'], { cwd });
		expect(once.exitCode, once.stderr).toBe(0);
		const snapshots = JSON.parse(once.stdout) as Snapshot[];
		for (const snapshot of snapshots) {
			expect(Array.isArray(snapshot.findings)).toBe(true);
			expect(snapshot.lastPollDurationMs).toBeGreaterThanOrEqual(0);
		}

		const bad = await kakehashi(['monitor', '--sandbox', '--metrics', 'nowhere'], { cwd });
		expect(bad.exitCode).toBe(2);
		expect(bad.stderr).toContain('HOST:PORT');

		// stdin is not a terminal: the exporter runs headless until a signal
		const child = execa(
			process.execPath,
			[cli, 'monitor', '--sandbox', '--interval', '1', '--metrics', '127.0.0.1:0'],
			{
				cwd,
				reject: false,
				env: { LANG: 'en_US.UTF-8', HOME: cwd },
			},
		);
		let stderr = '';
		child.stderr?.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		try {
			const url = await waitFor(() => /Prometheus metrics at (\S+)/.exec(stderr)?.[1], 60_000);
			let body = '';
			const deadline = Date.now() + 30_000;
			while (!/kakehashi_tunnel_up\{[^}]*router="site"[^}]*\} 1/.test(body)) {
				if (Date.now() > deadline) throw new Error(`no tunnel metric in:\n${body}`);
				body = await (await fetch(url)).text();
				await new Promise((resolve) => setTimeout(resolve, 200));
			}
			expect(body).toMatch(/kakehashi_router_reachable\{router="AMF-VAA"\} 1/);
			expect(body).toMatch(/kakehashi_router_poll_duration_seconds\{router="site"\}/);
		} finally {
			child.kill('SIGTERM');
		}
		const result = await child;
		expect(result.exitCode, stderr).toBe(0);
	});
});
