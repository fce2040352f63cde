import type { ApplianceTunnelDesign } from '../design/model.js';
import { applianceTunnelConfig, routerTunnelConfig } from '../router/drivers/awplus/config.js';

/**
 * Pushing a generated AW+ configuration over an interactive session: compare with the running
 * configuration first (no rewrite when it already matches), enter config mode, send each line
 * leaving sub-modes explicitly, stop at the first line the router rejects, and say which.
 */

/** What configure needs from an SSH session. */
export type ConfigSession = { run(command: string, options?: { timeoutMs?: number }): Promise<string> };

export type PushResult =
	| { status: 'unchanged'; lines: number }
	| { status: 'applied'; lines: number }
	| { status: 'declined'; missing: string[] }
	| { status: 'rejected'; line: string; error: string };

/** Asked before anything changes on the router: the generated lines the running config lacks. */
export type PushConfirmation = (missing: readonly string[]) => Promise<boolean>;

/** AW+ (like IOS) marks a rejected line with `%` at the start of a message line. */
const errorLine = /^\s*%\s*(.+)$/m;

/** Indented lines belong to the block opened by the last unindented line. */
export function configBlocks(lines: readonly string[]): { head: string; children: string[] }[] {
	const blocks: { head: string; children: string[] }[] = [];
	for (const line of lines) {
		if (/^\s/.test(line) && blocks.length > 0) blocks[blocks.length - 1]?.children.push(line.trim());
		else blocks.push({ head: line.trim(), children: [] });
	}
	return blocks;
}

/**
 * Pure: the generated lines the running configuration lacks, as a diff to show (`+ line`); a block head
 * is listed (without `+`) above its missing children for context, or with `+` when the block is new.
 */
export function missingConfigLines(generated: readonly string[], running: string): string[] {
	const have = configBlocks(
		running.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.trim().startsWith('!')),
	);
	const diff: string[] = [];
	for (const block of configBlocks(generated)) {
		const found = have.find((candidate) => candidate.head === block.head);
		const children = block.children.filter((child) => !found?.children.includes(child));
		if (!found) diff.push(`+ ${block.head}`);
		else if (children.length > 0) diff.push(`  ${block.head}`);
		for (const child of children) diff.push(`+  ${child}`);
	}
	return diff;
}

/** Pure: is every generated line already in the running configuration, inside the right block? */
export function configMatches(generated: readonly string[], running: string): boolean {
	const have = configBlocks(
		running.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.trim().startsWith('!')),
	);
	return configBlocks(generated).every((block) => {
		const found = have.find((candidate) => candidate.head === block.head);
		return found !== undefined && block.children.every((child) => found.children.includes(child));
	});
}

/** Pure: the keystrokes for config mode — sub-mode lines indented, `exit` when a block ends. */
export function cliScript(lines: readonly string[]): string[] {
	const script: string[] = [];
	let inBlock = false;
	for (const line of lines) {
		const child = /^\s/.test(line);
		if (!child && inBlock) script.push('exit');
		script.push(line.trim());
		inBlock = child || /^(interface|router|crypto isakmp profile|crypto ipsec profile)\b/.test(line.trim());
	}
	if (inBlock) script.push('exit');
	return script;
}

export async function pushConfig(
	session: ConfigSession,
	lines: readonly string[],
	confirm?: PushConfirmation,
): Promise<PushResult> {
	const running = await session.run('show running-config');
	if (configMatches(lines, running)) return { status: 'unchanged', lines: lines.length };
	if (confirm) {
		const missing = missingConfigLines(lines, running);
		if (!(await confirm(missing))) return { status: 'declined', missing };
	}
	const entered = await session.run('configure terminal');
	const refused = errorLine.exec(entered);
	if (refused) return { status: 'rejected', line: 'configure terminal', error: refused[1] ?? entered };
	try {
		for (const line of cliScript(lines)) {
			const output = await session.run(line);
			const error = errorLine.exec(output);
			if (error) return { status: 'rejected', line, error: error[1] ?? output };
		}
	} finally {
		await session.run('end');
	}
	return { status: 'applied', lines: lines.length };
}

export type SaveResult = { status: 'saved' | 'unchanged' } | { status: 'rejected'; error: string };

/** Pure question, one command: does the startup configuration already hold every generated line? */
export async function startupMatches(session: ConfigSession, lines: readonly string[]): Promise<boolean> {
	return configMatches(lines, await session.run('show startup-config'));
}

/**
 * Save the running configuration to the startup configuration (AW+ `write memory`) unless the startup
 * configuration already holds the generated lines. Without it a reboot — a firmware upgrade, AWS
 * maintenance, the appliance's fail-safe — comes back without the tunnels.
 */
export async function saveConfig(session: ConfigSession, lines: readonly string[]): Promise<SaveResult> {
	if (await startupMatches(session, lines)) return { status: 'unchanged' };
	const output = await session.run('write memory', { timeoutMs: 60_000 });
	const error = errorLine.exec(output);
	if (error) return { status: 'rejected', error: error[1] ?? output };
	return { status: 'saved' };
}

/** The PSK a router already holds for a peer (AW+ `crypto isakmp key K address A|hostname H`). */
export function configuredIsakmpKey(
	running: string,
	peer: { address?: string; hostname?: string },
): string | undefined {
	for (const line of running.split(/\r?\n/)) {
		const match = /^\s*crypto isakmp key (\S+) (address|hostname) (\S+)/.exec(line);
		if (!match) continue;
		if (match[2] === 'address' && match[3] === peer.address) return match[1];
		if (match[2] === 'hostname' && match[3] === peer.hostname) return match[1];
	}
	return undefined;
}

export function applianceIpsecConfigs(design: ApplianceTunnelDesign): {
	appliance: string[];
	router: string[];
} {
	return { appliance: applianceTunnelConfig(design), router: routerTunnelConfig(design) };
}
