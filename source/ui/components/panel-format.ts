import type { Phase1State, Phase2State, TunnelRow } from '../../monitor/tunnels.js';

/** Pure formatting for the panel's narrow columns. */

/** Bytes per second, in at most 6 characters: `0`, `512B`, `12.3k`, `1.2M`, `3.4G`; `-` when unknown. */
export function formatRate(bytesPerSecond: number | null | undefined): string {
	if (typeof bytesPerSecond !== 'number' || !Number.isFinite(bytesPerSecond) || bytesPerSecond < 0)
		return '-';
	if (bytesPerSecond < 1) return '0';
	if (bytesPerSecond < 1000) return `${Math.round(bytesPerSecond)}B`;
	for (const [unit, size] of [
		['k', 1e3],
		['M', 1e6],
		['G', 1e9],
	] as const) {
		const value = bytesPerSecond / size;
		if (value < 999.5) return value < 9.95 ? `${value.toFixed(1)}${unit}` : `${Math.round(value)}${unit}`;
	}
	return `${Math.round(bytesPerSecond / 1e12)}T`;
}

/** A compact duration: `42s`, `6m37s`, `3h05m`, `2d04h`. */
export function formatSpan(seconds: number | undefined): string {
	if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '-';
	const s = Math.floor(seconds);
	if (s < 60) return `${s}s`;
	if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
	if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
	return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

/** Terminal columns a character takes: 2 for East Asian wide and fullwidth forms (Japanese), else 1. */
function charWidth(codePoint: number): number {
	return (codePoint >= 0x1100 && codePoint <= 0x115f) ||
		(codePoint >= 0x2e80 && codePoint <= 0xa4cf && codePoint !== 0x303f) ||
		(codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
		(codePoint >= 0xf900 && codePoint <= 0xfaff) ||
		(codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
		(codePoint >= 0xff00 && codePoint <= 0xff60) ||
		(codePoint >= 0xffe0 && codePoint <= 0xffe6)
		? 2
		: 1;
}

export function displayWidth(text: string): number {
	let width = 0;
	for (const char of text) width += charWidth(char.codePointAt(0) ?? 0);
	return width;
}

/** Fit text into exactly `width` terminal columns (cut with an ellipsis, or padded); Japanese counts double. */
export function padCell(text: string | number | undefined, width: number): string {
	const value = text === undefined ? '-' : String(text);
	if (width <= 0) return '';
	const used = displayWidth(value);
	if (used <= width) return value + ' '.repeat(width - used);
	let cut = '';
	let cutWidth = 0;
	for (const char of value) {
		const next = charWidth(char.codePointAt(0) ?? 0);
		if (cutWidth + next > width - 1) break;
		cut += char;
		cutWidth += next;
	}
	return `${cut}…${' '.repeat(Math.max(0, width - 1 - cutWidth))}`;
}

export const phase1Label: Record<Phase1State, string> = {
	established: 'up',
	negotiating: 'nego',
	down: 'down',
	missing: '—',
};
export const phase2Label: Record<Phase2State, string> = { up: 'up', down: 'down', missing: '—' };

export function stateColor(state: string | undefined): 'green' | 'yellow' | 'red' | 'gray' {
	if (state === 'established' || state === 'up' || state === 'UP' || state === 'ready') return 'green';
	if (state === 'negotiating' || state === 'partial' || state === 'opensent' || state === 'openconfirm')
		return 'yellow';
	if (state === 'connecting' || state === 'reconnecting' || state === 'idle') return 'yellow';
	if (state === undefined || state === '—') return 'gray';
	return 'red';
}

export const bgpLabel = (state: string | undefined) =>
	state === undefined ? '—' : state === 'established' ? 'estab' : state === 'missing' ? 'missing' : state;

/** Does a tunnel row match the filter text (name, peer, interface or any state, case-insensitive)? */
export function rowMatches(row: TunnelRow, filter: string): boolean {
	const needle = filter.trim().toLowerCase();
	if (needle === '') return true;
	return [
		row.name,
		row.peer,
		row.tunnelInterface,
		row.state,
		row.phase1,
		row.phase2,
		row.bgp?.neighbor,
		row.bgp?.state,
	]
		.filter((value): value is string => typeof value === 'string')
		.some((value) => value.toLowerCase().includes(needle));
}

/** `14:03:07` in local time, from an ISO string. */
export function clockTime(iso: string): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return '--:--:--';
	return [date.getHours(), date.getMinutes(), date.getSeconds()]
		.map((n) => String(n).padStart(2, '0'))
		.join(':');
}
