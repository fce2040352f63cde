import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/**
 * `s` in the panel: the system's `ssh` to the router in the same terminal, with the same host, port,
 * user and key the monitor uses, and host-key checking against the key the monitor verified — pinned
 * in a temporary known_hosts file, so the shell can never land on a different machine.
 */

export type ShellTarget = { host: string; port: number; user: string; identity?: string };
/** The host key as verified by the monitor's own session: its type and the public key blob. */
export type VerifiedHostKey = { type: string; raw: Buffer };

/** A known_hosts line for the key, in OpenSSH's `[host]:port` form when the port is not 22. */
export function knownHostsLine(target: Pick<ShellTarget, 'host' | 'port'>, key: VerifiedHostKey): string {
	const where = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
	return `${where} ${key.type} ${key.raw.toString('base64')}\n`;
}

export function sshShellArgs(target: ShellTarget, knownHostsFile: string): string[] {
	return [
		'-p',
		String(target.port),
		'-o',
		'StrictHostKeyChecking=yes',
		'-o',
		`UserKnownHostsFile=${knownHostsFile}`,
		'-o',
		'GlobalKnownHostsFile=/dev/null',
		'-o',
		'UpdateHostKeys=no',
		...(target.identity ? ['-i', target.identity, '-o', 'IdentitiesOnly=yes'] : []),
		'-l',
		target.user,
		target.host,
	];
}

/** Runs ssh attached to this terminal until the user leaves the shell; resolves to ssh's exit code. */
export async function runSshShell(
	target: ShellTarget,
	key: VerifiedHostKey,
	options: { ssh?: string } = {},
): Promise<number> {
	const dir = await mkdtemp(join(tmpdir(), 'kakehashi-ssh-'));
	const knownHosts = join(dir, 'known_hosts');
	try {
		await writeFile(knownHosts, knownHostsLine(target, key), { mode: 0o600 });
		const result = await execa(options.ssh ?? 'ssh', sshShellArgs(target, knownHosts), {
			stdio: 'inherit',
			reject: false,
		});
		if (result.failed && result.exitCode === undefined) throw new Error(result.shortMessage);
		return result.exitCode ?? 0;
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}
