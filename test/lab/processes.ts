import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Process facts from /proc. PID 1 on these machines reaps orphans lazily, so a killed daemon can
 * linger as a zombie: liveness is the state letter in /proc/PID/stat, not the directory's existence.
 */

type ProcStat = { pid: number; state: string; ppid: number };

function readStat(pid: number): ProcStat | undefined {
	try {
		const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The command name (field 2) is parenthesised and may contain spaces or parentheses.
		const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
		return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]) };
	} catch {
		return undefined;
	}
}

export function isAlive(pid: number): boolean {
	const stat = readStat(pid);
	return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** All living descendants of `pid` (children, grandchildren, …). */
export function descendantsOf(pid: number): number[] {
	const byParent = new Map<number, number[]>();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		const stat = readStat(Number(entry));
		if (!stat || stat.state === 'Z') continue;
		byParent.set(stat.ppid, [...(byParent.get(stat.ppid) ?? []), stat.pid]);
	}
	const found: number[] = [];
	const queue = [pid];
	while (queue.length > 0) {
		const children = byParent.get(queue.shift() as number) ?? [];
		found.push(...children);
		queue.push(...children);
	}
	return found;
}

/** The command line of a process, arguments joined by spaces ('' when it is gone). */
export function commandLineOf(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
	} catch {
		return '';
	}
}

function signal(pid: number, name: NodeJS.Signals): void {
	try {
		process.kill(pid, name);
	} catch {
		// already gone
	}
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined/false, or the deadline passes. */
export async function waitUntil<T>(
	what: string,
	check: () => T | undefined | false | Promise<T | undefined | false>,
	options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
	const deadline = Date.now() + options.timeoutMs;
	let lastError: unknown;
	for (;;) {
		try {
			const result = await check();
			if (result !== undefined && result !== false) {
				return result;
			}
		} catch (error) {
			lastError = error;
		}
		if (Date.now() >= deadline) {
			const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
			throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${what}${detail}.`);
		}
		await sleep(options.intervalMs ?? 100);
	}
}

/** SIGTERM, then SIGKILL for whatever still lives after `graceMs`; resolves when all are dead or zombies. */
export async function terminate(pids: number[], graceMs = 2000): Promise<void> {
	const living = pids.filter(isAlive);
	for (const pid of living) signal(pid, 'SIGTERM');
	const deadline = Date.now() + graceMs;
	while (living.some(isAlive) && Date.now() < deadline) {
		await sleep(25);
	}
	const stubborn = living.filter(isAlive);
	for (const pid of stubborn) signal(pid, 'SIGKILL');
	await waitUntil('killed processes to exit', () => !stubborn.some(isAlive), {
		timeoutMs: 5000,
		intervalMs: 25,
	});
}
