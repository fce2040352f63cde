/**
 * One SSH connection to an AW+ appliance for its upkeep (`upgrade`): an interactive shell that can
 * answer the CLI's `(y/n)` questions (software-upgrade, reboot), and SFTP on the same connection.
 * Host keys are verified exactly as `monitor` does (known_hosts, the key pinned in the state file).
 */
import { readFile } from 'node:fs/promises';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import ssh2 from 'ssh2';
import { defaultKnownHosts, type HostKeyPolicy, type RouterTarget } from '../monitor/connect.js';
import { awplusDriver } from '../router/drivers/awplus/index.js';
import { createKnownHostsVerifier, fingerprintSha256, keyTypeOf } from '../router/host-keys.js';
import { HostKeyRejectedError } from '../router/session.js';

const { Client } = ssh2;

const QUESTION = /\(y\/n\)\s*:?\s*$/i;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Raised when the router's answer to a command starts with `%` (AW+'s error marker). */
export class RouterCommandError extends Error {
	constructor(
		readonly command: string,
		readonly output: string,
	) {
		super(`${command}: ${output.trim()}`);
	}
}

export class ApplianceConnection {
	private buffer = '';
	private waiter: (() => void) | undefined;
	private closedFlag = false;
	private readonly closeListeners = new Set<() => void>();

	private constructor(
		private readonly client: InstanceType<typeof Client>,
		private readonly shell: ClientChannel,
	) {
		shell.on('data', (chunk: Buffer) => {
			this.buffer += chunk.toString('utf8');
			this.waiter?.();
		});
		const closed = () => {
			if (this.closedFlag) return;
			this.closedFlag = true;
			this.waiter?.();
			for (const listener of this.closeListeners) listener();
		};
		shell.on('close', closed);
		client.on('close', closed);
		client.on('error', closed);
	}

	get closed(): boolean {
		return this.closedFlag;
	}

	onClose(listener: () => void): void {
		this.closeListeners.add(listener);
	}

	static async open(
		target: RouterTarget,
		policy: HostKeyPolicy,
		options: { readyTimeoutMs?: number } = {},
	): Promise<ApplianceConnection> {
		const knownHostsFile = policy.knownHostsFile ?? defaultKnownHosts();
		const verifier = createKnownHostsVerifier({
			knownHostsFiles: [knownHostsFile],
			pinned: target.pinned ? [target.pinned] : [],
			...(policy.acceptNew ? { acceptNew: true, recordTo: knownHostsFile } : {}),
			...(policy.confirmUnknown
				? { confirmUnknown: (key) => policy.confirmUnknown?.(key, target) ?? false }
				: {}),
			onAccepted: (key) => policy.onPinned?.(target, { type: key.type, fingerprint: key.fingerprint }),
		});
		const privateKey = target.identity ? await readFile(target.identity) : undefined;
		const passphrase =
			privateKey && policy.passphrase ? await policy.passphrase(target, privateKey) : undefined;
		const client = new Client();
		let refused: unknown;
		await new Promise<void>((resolve, reject) => {
			client
				.once('ready', () => resolve())
				.once('error', (error) => {
					if (refused) {
						const rawKey = (refused as { key?: { type: string; fingerprint: string } }).key;
						reject(
							new HostKeyRejectedError(
								target.host,
								target.port,
								rawKey?.type ?? 'unknown',
								rawKey?.fingerprint ?? '',
								{ cause: refused },
							),
						);
					} else reject(error);
				})
				.connect({
					host: target.host,
					port: target.port,
					username: target.user,
					...(privateKey ? { privateKey } : {}),
					...(passphrase ? { passphrase } : {}),
					readyTimeout: options.readyTimeoutMs ?? 20_000,
					keepaliveInterval: 5000,
					keepaliveCountMax: 3,
					hostVerifier: (raw: Buffer, verify: (valid: boolean) => void) => {
						const key = { type: keyTypeOf(raw) ?? 'unknown', fingerprint: fingerprintSha256(raw), raw };
						Promise.resolve()
							.then(() => verifier(key, { host: target.host, port: target.port }))
							.then(
								(accepted) => {
									if (!accepted) refused = Object.assign(new Error('host key refused'), { key });
									verify(accepted);
								},
								(error: unknown) => {
									refused = error;
									verify(false);
								},
							);
					},
				});
		});
		const shell = await new Promise<ClientChannel>((resolve, reject) =>
			client.shell({ term: 'vt100', cols: 511, rows: 1000 }, (error, channel) =>
				error ? reject(error) : resolve(channel),
			),
		);
		const connection = new ApplianceConnection(client, shell);
		try {
			const first = await connection.waitFor(awplusDriver.prompt, 20_000);
			if (/>\s*$/.test(first)) await connection.command('enable');
			await connection.command('terminal length 0');
		} catch (error) {
			connection.close();
			throw error;
		}
		return connection;
	}

	/** Waits until the output so far matches `pattern`; returns it and clears the buffer. */
	private waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiter = undefined;
				reject(new Error(`no answer from the router within ${Math.round(timeoutMs / 1000)} s`));
			}, timeoutMs);
			const check = () => {
				const text = this.buffer.replace(ANSI, '').replace(/\r/g, '');
				if (pattern.test(text)) {
					clearTimeout(timer);
					this.waiter = undefined;
					this.buffer = '';
					resolve(text);
				} else if (this.closedFlag) {
					clearTimeout(timer);
					this.waiter = undefined;
					reject(new Error('the connection was closed'));
				}
			};
			this.waiter = check;
			check();
		});
	}

	/**
	 * Runs one command and returns its output (without the echo and the prompt). A `(y/n)` question
	 * is answered with `answer`, or refused (`n`) when none is given.
	 */
	async command(command: string, options: { answer?: 'y' | 'n'; timeoutMs?: number } = {}): Promise<string> {
		const timeoutMs = options.timeoutMs ?? 60_000;
		this.buffer = '';
		this.shell.write(`${command}\r`);
		const either = new RegExp(`(?:${awplusDriver.prompt.source})|(?:${QUESTION.source})`, 'i');
		let text = await this.waitFor(either, timeoutMs);
		let output = text;
		while (QUESTION.test(text)) {
			this.shell.write(`${options.answer ?? 'n'}\r`);
			text = await this.waitFor(either, timeoutMs);
			output += `\n${text}`;
		}
		const lines = output.split('\n');
		// drop the echoed command and the final prompt
		if (lines[0]?.includes(command)) lines.shift();
		if (lines.length > 0 && awplusDriver.prompt.test(`\n${lines[lines.length - 1]}`)) lines.pop();
		return lines.join('\n');
	}

	/** Sends a command whose answer ends the connection (`reboot`): resolves once it is closed. */
	async commandThatDisconnects(command: string, timeoutMs = 60_000): Promise<void> {
		this.buffer = '';
		this.shell.write(`${command}\r`);
		await this.waitFor(QUESTION, timeoutMs);
		const closed = new Promise<void>((resolve) => {
			if (this.closedFlag) resolve();
			else this.onClose(resolve);
		});
		this.shell.write('y\r');
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([
			closed,
			new Promise<void>((_, reject) => {
				timer = setTimeout(
					() => reject(new Error(`the router did not go down within ${timeoutMs / 1000} s`)),
					timeoutMs,
				);
			}),
		]).finally(() => clearTimeout(timer));
		this.close();
	}

	sftp(): Promise<SFTPWrapper> {
		return new Promise((resolve, reject) =>
			this.client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))),
		);
	}

	close(): void {
		this.closedFlag = true;
		this.client.end();
	}
}
