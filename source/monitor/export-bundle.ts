import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplianceTunnelDesign, AwsVpnDesign } from '../design/model.js';
import type { StatusSnapshot } from '../router/model.js';
import { buildTroubleshootingBundle } from './bundle.js';
import type { RouterMonitor } from './router-monitor.js';

/** A file name that sorts by time and names the router: `kakehashi-bundle-site-20261123T140000Z.json`. */
export function bundleFileName(router: string, at: Date): string {
	const stamp = at
		.toISOString()
		.replace(/[-:]/g, '')
		.replace(/\.\d+Z$/, 'Z');
	const safe = router.replace(/[^A-Za-z0-9._-]+/g, '_') || 'router';
	return `kakehashi-bundle-${safe}-${stamp}.json`;
}

/**
 * `e` in the panel: every router's last snapshot (with findings), events and raw outputs, secrets
 * redacted, written 0600 into `dir`. Returns the path written.
 */
export async function writeTroubleshootingBundle(
	monitors: readonly RouterMonitor[],
	options: {
		dir: string;
		/** The router the user was looking at: names the file. */
		focus?: number;
		secrets?: readonly string[];
		design?: ApplianceTunnelDesign | AwsVpnDesign;
		version?: string;
		now?: Date;
	},
): Promise<string> {
	const now = options.now ?? new Date();
	const snapshots = monitors
		.map((monitor) => monitor.snapshotWithFindings())
		.filter((snapshot): snapshot is StatusSnapshot => snapshot !== undefined);
	const raw: Record<string, Record<string, string>> = {};
	for (const monitor of monitors) raw[monitor.view.target.name] = monitor.view.raw;
	const text = buildTroubleshootingBundle({
		snapshots,
		events: monitors.flatMap((monitor) => monitor.view.events),
		raw,
		findings: monitors.flatMap((monitor) =>
			monitor.view.findings.map((finding) => ({ ...finding, router: monitor.view.target.name })),
		),
		secrets: options.secrets ?? [],
		createdAt: now,
		...(options.design ? { design: options.design } : {}),
		...(options.version ? { version: options.version } : {}),
	});
	const focus = monitors[options.focus ?? 0]?.view.target.name ?? 'all';
	const path = join(options.dir, bundleFileName(focus, now));
	await writeFile(path, text, { mode: 0o600, flag: 'wx' });
	return path;
}
