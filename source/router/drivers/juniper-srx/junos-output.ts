/**
 * What Junos adds around every show output: the `[edit]` line in configuration mode, `{master:0}` /
 * `{primary:node0}` banners on chassis clusters and virtual chassis, and the `node0:` + dashes header
 * before each cluster member's part of the output. Those lines carry no status: they are dropped here.
 */
import { cleanOutputLines, isRule } from '../shared/clean-output.js';

const NOISE = [/^\[edit(?:\s[^\]]*)?\]$/, /^\{[\w:-]+\}$/, /^node\d+:$/i];

export function junosLines(output: string): string[] {
	return cleanOutputLines(output).filter((line) => {
		const trimmed = line.trim();
		return !(isRule(trimmed) || NOISE.some((pattern) => pattern.test(trimmed)));
	});
}

/** Junos durations: `56`, `1:22`, `19:29`, `5:23:37`, `2d 3:52:13`, `9w2d 5:23:37` → seconds. */
export function junosDuration(text: string | undefined): number | undefined {
	if (text === undefined) return undefined;
	const match = /^(?:(?:(\d{1,5})w)?(?:(\d{1,5})d)?\s+)?(?:(?:(\d{1,6}):)?(\d{1,2}):)?(\d{1,6})$/.exec(
		text.trim(),
	);
	if (!match) return undefined;
	const [, weeks = '0', days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
	const total =
		Number(weeks) * 604_800 +
		Number(days) * 86_400 +
		Number(hours) * 3600 +
		Number(minutes) * 60 +
		Number(seconds);
	return Number.isSafeInteger(total) ? total : undefined;
}
