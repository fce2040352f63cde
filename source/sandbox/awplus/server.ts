/**
 * A simulated AW+ router reachable over real SSH on 127.0.0.1: key authentication against public keys
 * the caller supplies at login time (so the sandbox can add a launched instance's EC2 key pair), optional
 * password / keyboard-interactive authentication, interactive shells (with or without a pty) running the
 * AW+ CLI of ./cli-session.ts, and exec requests (`ssh host 'show ipsec sa'`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { AuthContext, Connection, ServerChannel } from 'ssh2';
import ssh2 from 'ssh2';
import { CliSession } from './cli-session.js';
import { serveSftp } from './sftp.js';
import type { RouterSystem } from './system.js';
import type { SandboxWorld } from './world.js';

// ssh2 is CommonJS: Node's ESM loader only offers its default export.
const { Server, utils } = ssh2;

export type AwplusUser = {
	/** OpenSSH public key lines (`ssh-ed25519 AAAA… comment`), read at each login. */
	authorizedKeys: () => readonly string[];
	password?: string;
};

export type StartAwplusRouterOptions = {
	world: SandboxWorld;
	/** The router's name in the world (added beforehand with `world.addRouter`). */
	name: string;
	/** Private host key, PEM or OpenSSH format. */
	hostKey: string | Buffer;
	/** Default: a free port. */
	port?: number;
	host?: '127.0.0.1';
	users: (username: string) => AwplusUser | undefined;
	/** When set, `enable` asks `Password:`. */
	enablePassword?: string;
	/** Flash, releases, reboot and fail-safe (./system.ts); without it `dir`, SFTP and `reboot` are refused. */
	system?: RouterSystem;
};

export type AwplusRouterServer = {
	port: number;
	/** `SHA256:…` as OpenSSH prints it. */
	hostKeyFingerprint: string;
	/** Stops listening and drops every connection. */
	close(): Promise<void>;
	/**
	 * Drops every connection, stops listening, waits `downMs` (default 0), calls `beforeListen`, listens on
	 * the same port again.
	 */
	restart(options?: { downMs?: number; beforeListen?: () => void }): Promise<void>;
	/** How many SSH connections are open. */
	connectionCount(): number;
};

/** OpenSSH's `SHA256:` fingerprint of a public key blob. */
export function sshFingerprint(publicKeyBlob: Buffer): string {
	return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
	return a.length === b.length && timingSafeEqual(a, b);
}

function samePassword(given: string, expected: string): boolean {
	const digest = (text: string) => createHash('sha256').update(text).digest();
	return timingSafeEqual(digest(given), digest(expected));
}

function keyMatches(context: AuthContext & { method: 'publickey' }, line: string): boolean {
	const parsed = utils.parseKey(line);
	const key = Array.isArray(parsed) ? parsed[0] : parsed;
	if (!key || key instanceof Error) return false;
	if (!sameBytes(context.key.data, key.getPublicSSH())) return false;
	if (!context.signature || !context.blob) return true;
	return key.verify(context.blob, context.signature, context.hashAlgo) === true;
}

export async function startAwplusRouter(options: StartAwplusRouterOptions): Promise<AwplusRouterServer> {
	const { world, name } = options;
	// The router may join the world later (an appliance whose instance is still pending): until then
	// logins are refused by the users callback and shells end at once.
	const absent = (channel: ServerChannel): boolean => {
		if (world.getRouter(name)) return false;
		channel.write('% This router is not running.\r\n');
		channel.exit(1);
		channel.end();
		return true;
	};
	const parsedHostKey = utils.parseKey(options.hostKey);
	const hostKey = Array.isArray(parsedHostKey) ? parsedHostKey[0] : parsedHostKey;
	if (!hostKey || hostKey instanceof Error) {
		throw new Error(
			`The host key for "${name}" cannot be read${hostKey instanceof Error ? `: ${hostKey.message}` : ''}.`,
		);
	}
	const hostKeyFingerprint = sshFingerprint(hostKey.getPublicSSH());
	const host = options.host ?? '127.0.0.1';
	const sockets = new Set<Socket>();
	const clients = new Set<Connection>();

	const ssh = new Server({ hostKeys: [options.hostKey] }, (client) => {
		clients.add(client);
		client.on('close', () => clients.delete(client));
		client.on('error', () => client.end());
		client.on('authentication', (context) => authenticate(context, options.users));
		client.on('ready', () => {
			client.on('session', (acceptSession) => {
				const session = acceptSession();
				session.on('pty', (accept) => accept?.());
				session.on('window-change', (accept) => accept?.());
				session.on('env', (accept) => accept?.());
				session.on('auth-agent', (_accept, reject) => reject?.());
				session.on('x11', (_accept, reject) => reject?.());
				session.on('subsystem', (_accept, reject) => reject?.());
				session.on('sftp', (accept, reject) => {
					if (!options.system || !world.getRouter(name)) {
						reject?.();
						return;
					}
					serveSftp(accept(), options.system.flash);
				});
				session.on('shell', (accept) => {
					const channel = accept();
					if (!absent(channel)) runShell(channel, client);
				});
				session.on('exec', (accept, _reject, info) => {
					const channel = accept();
					if (!absent(channel)) runExec(channel, info.command);
				});
			});
		});
	});

	const newCli = (channel: ServerChannel, close: () => void) =>
		new CliSession({
			world,
			routerName: name,
			...(options.system ? { system: options.system } : {}),
			...(options.enablePassword === undefined ? {} : { enablePassword: options.enablePassword }),
			write: (text) => {
				if (channel.writable) channel.write(text);
			},
			close,
		});

	function runShell(channel: ServerChannel, client: Connection): void {
		const decoder = new StringDecoder('utf8');
		const cli = newCli(channel, () => {
			channel.exit(0);
			channel.end();
			setImmediate(() => client.end());
		});
		channel.on('error', () => channel.destroy());
		channel.on('data', (chunk: Buffer) => {
			try {
				cli.input(decoder.write(chunk));
			} catch (error) {
				channel.write(`\r\n% ${error instanceof Error ? error.message : String(error)}\r\n`);
				channel.exit(1);
				channel.end();
			}
		});
		try {
			cli.start();
		} catch {
			channel.exit(1);
			channel.end();
		}
	}

	function runExec(channel: ServerChannel, command: string): void {
		channel.on('error', () => channel.destroy());
		const cli = newCli(channel, () => {});
		let result: { output: string; ok: boolean };
		try {
			result = cli.runNonInteractive(command);
		} catch (error) {
			result = { output: `% ${error instanceof Error ? error.message : String(error)}\r\n`, ok: false };
		}
		channel.write(result.output);
		channel.exit(result.ok ? 0 : 1);
		channel.end();
	}

	let tcp: NetServer | undefined;
	const listen = (port: number) =>
		new Promise<number>((resolve, reject) => {
			const server = createServer((socket) => {
				sockets.add(socket);
				socket.on('close', () => sockets.delete(socket));
				socket.on('error', () => socket.destroy());
				ssh.injectSocket(socket);
			});
			server.once('error', reject);
			server.listen({ port, host }, () => {
				server.off('error', reject);
				tcp = server;
				const address = server.address();
				resolve(typeof address === 'object' && address ? address.port : port);
			});
		});

	const stop = async () => {
		const server = tcp;
		tcp = undefined;
		for (const client of clients) client.end();
		for (const socket of sockets) socket.destroy();
		sockets.clear();
		if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
	};

	const port = await listen(options.port ?? 0);
	const server: AwplusRouterServer = {
		port,
		hostKeyFingerprint,
		close: stop,
		async restart(restartOptions = {}) {
			await stop();
			if (restartOptions.downMs) await new Promise((resolve) => setTimeout(resolve, restartOptions.downMs));
			restartOptions.beforeListen?.();
			await listen(port);
		},
		connectionCount: () => sockets.size,
	};
	options.system?.attach(server);
	return server;
}

function authenticate(context: AuthContext, users: StartAwplusRouterOptions['users']): void {
	const user = users(context.username);
	const methods: ('publickey' | 'password' | 'keyboard-interactive')[] = ['publickey'];
	if (user?.password !== undefined) methods.push('password', 'keyboard-interactive');
	if (!user) {
		context.reject(methods);
		return;
	}
	switch (context.method) {
		case 'publickey':
			if (user.authorizedKeys().some((line) => keyMatches(context, line))) context.accept();
			else context.reject(methods);
			return;
		case 'password':
			if (user.password !== undefined && samePassword(context.password, user.password)) context.accept();
			else context.reject(methods);
			return;
		case 'keyboard-interactive': {
			const expected = user.password;
			if (expected === undefined) {
				context.reject(methods);
				return;
			}
			context.prompt([{ prompt: 'Password: ', echo: false }], (answers) => {
				if (answers.length === 1 && samePassword(answers[0] ?? '', expected)) context.accept();
				else context.reject(methods);
			});
			return;
		}
		default:
			context.reject(methods);
	}
}
