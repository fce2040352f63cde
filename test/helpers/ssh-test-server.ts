/**
 * Small SSH servers on 127.0.0.1 for tests: a router-like interactive shell, and a jump host.
 *
 * The router shell behaves like a Cisco-style CLI: it echoes what is typed, prints a prompt built
 * from its hostname and mode, answers configured commands, pages long output with `--More--` until
 * `terminal length 0`, and can be told to misbehave (ANSI colours, odd line ends, hang, drop).
 */
import { createServer, type Server as NetServer, connect as netConnect, type Socket } from 'node:net';
import type { AuthContext, Connection, ParsedKey, PublicKeyAuthContext, ServerChannel } from 'ssh2';
import ssh2 from 'ssh2';
import { fingerprintSha256 } from '../../source/router/host-keys.js';

export type TestUser = {
	username: string;
	password?: string;
	/** Accepted public keys: OpenSSH `authorized_keys` lines or private keys (their public half is used). */
	publicKeys?: (string | Buffer)[];
	/** Offer keyboard-interactive (one `Password:` prompt answered with `password`). */
	keyboardInteractive?: boolean;
	/** Refuse the `password` method (so that only keyboard-interactive can use the password). */
	noPasswordMethod?: boolean;
};

export type TestRouterOptions = {
	users: TestUser[];
	/** Private host key; default a fresh ed25519 key. */
	hostKey?: string | Buffer;
	hostname?: string;
	startPrivileged?: boolean;
	/** When set, `enable` asks `Password:` and wants this. */
	enablePassword?: string;
	/** Command → output (lines separated by `\n`; sent with `newline`). */
	commands?: Record<string, string>;
	/** Lines per page while paging is on; 0 (default) never pages. */
	pageSize?: number;
	/** Commands that switch paging off. Default `terminal length 0`. */
	pagingOffCommands?: string[];
	/** Accept the paging-off command but keep paging (devices that ignore it). */
	ignorePagingOff?: boolean;
	/** The pager prompt. Default ` --More-- `. */
	more?: string;
	/** How the pager prompt is erased after a key: backspaces (Cisco), CR + spaces + CR, or a plain newline. */
	moreErase?: 'backspace' | 'carriage-return' | 'newline';
	/** Line end for output. Default CRLF. */
	newline?: string;
	/** Colour the prompt and output lines and end lines with `ESC [ K`. */
	ansi?: boolean;
	/** Printed before the first prompt. */
	banner?: string;
	/** Do not print a prompt until a key is pressed. */
	promptOnKeyPress?: boolean;
};

export type ServerHostKey = {
	type: string;
	raw: Buffer;
	base64: string;
	fingerprint: string;
	privateKey: string;
};

function publicBlob(key: string | Buffer): Buffer {
	const parsed = ssh2.utils.parseKey(key);
	if (parsed instanceof Error) {
		throw parsed;
	}
	const one = Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
	return one.getPublicSSH();
}

/**
 * A fresh key pair in OpenSSH format. ssh2's ed25519 generator yields a key that neither ssh2 nor
 * ssh-keygen can load about once in 150 tries, so each key is checked and regenerated if needed.
 */
export function generateKey(
	type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519',
	passphrase?: string,
): { privateKey: string; publicKey: string } {
	const encryption: ssh2.utils.KeyPairOptions = passphrase
		? { passphrase, cipher: 'aes256-ctr', rounds: 4 }
		: {};
	for (;;) {
		const pair =
			type === 'rsa'
				? ssh2.utils.generateKeyPairSync('rsa', { bits: 2048, ...encryption })
				: type === 'ecdsa'
					? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 as const, ...encryption })
					: ssh2.utils.generateKeyPairSync('ed25519', encryption);
		if (!(ssh2.utils.parseKey(pair.private, passphrase) instanceof Error)) {
			return { privateKey: pair.private, publicKey: pair.public };
		}
	}
}

function describeHostKey(privateKey: string): ServerHostKey {
	const raw = publicBlob(privateKey);
	const type = raw.subarray(4, 4 + raw.readUInt32BE(0)).toString();
	return { type, raw, base64: raw.toString('base64'), fingerprint: fingerprintSha256(raw), privateKey };
}

/** Authentication shared by the router and the jump host. */
function authenticate(users: TestUser[], context: AuthContext): void {
	try {
		checkCredentials(users, context);
	} catch {
		context.reject();
	}
}

function checkCredentials(users: TestUser[], context: AuthContext): void {
	const user = users.find((candidate) => candidate.username === context.username);
	const methods = new Set<'password' | 'publickey' | 'keyboard-interactive'>();
	for (const each of users) {
		if (each.password !== undefined && !each.noPasswordMethod) methods.add('password');
		if (each.publicKeys?.length) methods.add('publickey');
		if (each.keyboardInteractive) methods.add('keyboard-interactive');
	}
	const left = [...methods];
	if (!user) {
		context.reject(left);
		return;
	}
	switch (context.method) {
		case 'password':
			if (!user.noPasswordMethod && user.password !== undefined && context.password === user.password) {
				context.accept();
			} else {
				context.reject(left);
			}
			return;
		case 'publickey': {
			const pk = context as PublicKeyAuthContext;
			const allowed = (user.publicKeys ?? []).map(publicBlob).find((blob) => blob.equals(pk.key.data));
			if (!allowed) {
				context.reject(left);
				return;
			}
			if (!pk.signature || !pk.blob) {
				context.accept(); // the client only asks whether this key would do
				return;
			}
			const verifier = ssh2.utils.parseKey(allowed);
			const key = Array.isArray(verifier) ? verifier[0] : verifier;
			if (key && !(key instanceof Error) && key.verify(pk.blob, pk.signature, pk.hashAlgo)) {
				context.accept();
			} else {
				context.reject(left);
			}
			return;
		}
		case 'keyboard-interactive':
			if (!user.keyboardInteractive) {
				context.reject(left);
				return;
			}
			context.prompt([{ prompt: 'Password: ', echo: false }], 'Login', (answers) => {
				if (answers[0] === user.password) {
					context.accept();
				} else {
					context.reject(left);
				}
			});
			return;
		default:
			context.reject(left);
	}
}

/** Listens with our own net.Server so that tests can cut TCP connections abruptly. */
abstract class TestSshServer {
	readonly hostKey: ServerHostKey;
	port = 0;
	protected readonly sockets = new Set<Socket>();
	private net: NetServer | undefined;
	private readonly ssh: InstanceType<typeof ssh2.Server>;

	constructor(hostKey: string | Buffer | undefined, users: TestUser[]) {
		this.hostKey = describeHostKey(hostKey ? hostKey.toString() : generateKey().privateKey);
		this.ssh = new ssh2.Server({ hostKeys: [this.hostKey.privateKey] }, (client) => {
			client.on('error', () => undefined);
			client.on('authentication', (context) => authenticate(users, context));
			client.on('ready', () => this.onReady(client));
		});
		this.ssh.on('error', () => undefined);
	}

	protected abstract onReady(client: Connection): void;

	/** Starts listening on 127.0.0.1 (on `port`, or the previous port after `stop`, or a free one). */
	async start(port = this.port): Promise<this> {
		const server = createServer((socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
			socket.on('error', () => undefined);
			this.ssh.injectSocket(socket);
		});
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(port, '127.0.0.1', () => resolve());
		});
		this.net = server;
		const address = server.address();
		this.port = typeof address === 'object' && address ? address.port : port;
		return this;
	}

	/** Cuts every connection at the TCP level, like a router that lost power. */
	dropConnections(): void {
		for (const socket of this.sockets) {
			socket.destroy();
		}
	}

	/** Stops listening and cuts every connection; `start()` again reuses the port. */
	async stop(): Promise<void> {
		const server = this.net;
		this.net = undefined;
		this.dropConnections();
		if (server) {
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	}

	get connectionCount(): number {
		return this.sockets.size;
	}
}

type Mode = { privileged: boolean; config: boolean };

/** The router shell, one per SSH session. */
class RouterShell {
	private line = '';
	private lastWasCarriageReturn = false;
	private state: 'ready' | 'enable-password' | 'paging' | 'hanging' | 'waiting-for-key' = 'ready';
	private pendingPages: string[] = [];
	private pagingOn = true;
	private enableTries = 0;
	private readonly mode: Mode;

	constructor(
		private readonly router: TestRouter,
		private readonly stream: ServerChannel,
		private readonly drop: () => void,
	) {
		this.mode = { privileged: router.options.startPrivileged ?? false, config: false };
		stream.on('data', (data: Buffer) => this.input(data.toString('utf8')));
		stream.on('error', () => undefined);
		if (router.options.banner) {
			this.write(`${router.options.banner.split('\n').join(this.newline)}${this.newline}`);
		}
		if (router.options.promptOnKeyPress) {
			this.state = 'waiting-for-key';
		} else {
			this.prompt();
		}
	}

	private get newline(): string {
		return this.router.options.newline ?? '\r\n';
	}

	private write(text: string): void {
		if (this.stream.writable) {
			this.stream.write(text);
		}
	}

	private prompt(): void {
		const { hostname } = this.router;
		const text = `${hostname}${this.mode.config ? '(config)' : ''}${this.mode.privileged ? '#' : '>'}`;
		this.write(this.router.options.ansi ? `\u001b[1;32m${text}\u001b[0m ` : `${text} `);
	}

	private input(data: string): void {
		for (const char of data) {
			this.key(char);
		}
	}

	private key(char: string): void {
		if (this.state === 'waiting-for-key') {
			this.state = 'ready';
			this.write(this.newline);
			this.prompt();
			return;
		}
		if (this.state === 'hanging') {
			if (char === '\u0003') {
				this.state = 'ready';
				this.write(`^C${this.newline}`);
				this.prompt();
			}
			return;
		}
		if (this.state === 'paging') {
			this.pagerKey(char);
			return;
		}
		if (char === '\u0003') {
			this.line = '';
			this.state = 'ready';
			this.write(`^C${this.newline}`);
			this.prompt();
			return;
		}
		if (char === '\n' && this.lastWasCarriageReturn) {
			this.lastWasCarriageReturn = false;
			return;
		}
		this.lastWasCarriageReturn = char === '\r';
		if (char === '\r' || char === '\n') {
			const line = this.line;
			this.line = '';
			this.write(this.newline);
			if (this.state === 'enable-password') {
				// Like IOS: three tries, then `% Bad secrets`.
				if (line === this.router.options.enablePassword) {
					this.mode.privileged = true;
				} else if (++this.enableTries < 3) {
					this.write('Password: ');
					return;
				} else {
					this.write(`% Bad secrets${this.newline}`);
				}
				this.state = 'ready';
				this.prompt();
				return;
			}
			this.command(line.trim());
			return;
		}
		if (char === '\u007f' || char === '\b') {
			if (this.line.length > 0) {
				this.line = this.line.slice(0, -1);
				if (this.state !== 'enable-password') this.write('\b \b');
			}
			return;
		}
		this.line += char;
		if (this.state !== 'enable-password') {
			this.write(char);
		}
	}

	private command(command: string): void {
		this.router.received.push(command);
		const { options } = this.router;
		if (command === '') {
			this.prompt();
			return;
		}
		if ((options.pagingOffCommands ?? ['terminal length 0']).includes(command)) {
			if (!options.ignorePagingOff) {
				this.router.pagingOffSessions++;
				this.pagingOn = false;
			}
			this.prompt();
			return;
		}
		if (command === 'enable') {
			if (this.mode.privileged) {
				this.prompt();
			} else if (options.enablePassword !== undefined) {
				this.state = 'enable-password';
				this.enableTries = 0;
				this.write('Password: ');
			} else {
				this.mode.privileged = true;
				this.prompt();
			}
			return;
		}
		if (command === 'disable') {
			this.mode.privileged = false;
			this.mode.config = false;
			this.prompt();
			return;
		}
		if (command === 'configure terminal' && this.mode.privileged) {
			this.mode.config = true;
			this.output('Enter configuration commands, one per line.  End with CNTL/Z.');
			return;
		}
		if ((command === 'end' || command === 'exit') && this.mode.config) {
			this.mode.config = false;
			this.prompt();
			return;
		}
		const hostname = /^hostname (\S+)$/.exec(command);
		if (hostname?.[1] && this.mode.config) {
			this.router.hostname = hostname[1];
			this.prompt();
			return;
		}
		if (command === 'hang') {
			this.state = 'hanging';
			return;
		}
		if (command === 'drop') {
			this.write(`dropping${this.newline}`);
			setImmediate(this.drop);
			return;
		}
		const lines = /^lines (\d+)$/.exec(command);
		if (lines?.[1]) {
			const count = Number(lines[1]);
			this.output(
				Array.from({ length: count }, (_, index) => `line ${String(index + 1).padStart(3, '0')}`).join('\n'),
			);
			return;
		}
		const reply = options.commands?.[command];
		if (reply !== undefined) {
			this.output(reply);
			return;
		}
		this.output(`% Invalid input detected: ${command}`);
	}

	private formatLine(line: string): string {
		return this.router.options.ansi ? `\u001b[33m${line}\u001b[0m\u001b[K` : line;
	}

	/** Prints output lines (paging if on), then the prompt. */
	private output(text: string): void {
		const lines = text === '' ? [] : text.split('\n').map((line) => this.formatLine(line));
		const pageSize = this.router.options.pageSize ?? 0;
		if (!this.pagingOn || pageSize <= 0 || lines.length <= pageSize) {
			for (const line of lines) {
				this.write(`${line}${this.newline}`);
			}
			this.prompt();
			return;
		}
		this.pendingPages = lines;
		this.nextPage();
	}

	private nextPage(): void {
		const pageSize = this.router.options.pageSize ?? 0;
		const page = this.pendingPages.splice(0, pageSize);
		for (const line of page) {
			this.write(`${line}${this.newline}`);
		}
		if (this.pendingPages.length === 0) {
			this.state = 'ready';
			this.prompt();
			return;
		}
		this.state = 'paging';
		this.router.pagerPrompts++;
		this.write(this.router.options.more ?? ' --More-- ');
	}

	private pagerKey(char: string): void {
		const more = this.router.options.more ?? ' --More-- ';
		switch (this.router.options.moreErase ?? 'backspace') {
			case 'backspace':
				this.write(`${'\b'.repeat(more.length)}${' '.repeat(more.length)}${'\b'.repeat(more.length)}`);
				break;
			case 'carriage-return':
				this.write(`\r${' '.repeat(more.length)}\r`);
				break;
			case 'newline':
				this.write(this.newline);
				break;
		}
		if (char === 'q') {
			this.pendingPages = [];
			this.state = 'ready';
			this.prompt();
			return;
		}
		this.nextPage();
	}
}

/** A router-like SSH server. */
export class TestRouter extends TestSshServer {
	hostname: string;
	/** Every command line received, in order, across sessions. */
	readonly received: string[] = [];
	pagerPrompts = 0;
	pagingOffSessions = 0;
	shellSessions = 0;

	constructor(readonly options: TestRouterOptions) {
		super(options.hostKey, options.users);
		this.hostname = options.hostname ?? 'router';
	}

	static start(options: TestRouterOptions, port?: number): Promise<TestRouter> {
		return new TestRouter(options).start(port);
	}

	protected onReady(client: Connection): void {
		client.on('session', (accept) => {
			const session = accept();
			session.on('pty', (acceptPty) => acceptPty?.());
			session.on('window-change', (acceptChange) => acceptChange?.());
			session.on('shell', (acceptShell) => {
				this.shellSessions++;
				const stream = acceptShell();
				new RouterShell(this, stream, () => this.dropConnections());
			});
		});
	}
}

/** A jump host that forwards `direct-tcpip` to 127.0.0.1 only, and refuses anything else. */
export class TestJumpHost extends TestSshServer {
	/** `host:port` of every forward asked for, allowed or not. */
	readonly forwards: string[] = [];

	static start(
		options: { users: TestUser[]; hostKey?: string | Buffer },
		port?: number,
	): Promise<TestJumpHost> {
		return new TestJumpHost(options.hostKey, options.users).start(port);
	}

	protected onReady(client: Connection): void {
		client.on('tcpip', (accept, reject, info) => {
			this.forwards.push(`${info.destIP}:${info.destPort}`);
			if (info.destIP !== '127.0.0.1') {
				reject();
				return;
			}
			const upstream = netConnect(info.destPort, '127.0.0.1');
			upstream.once('error', () => reject());
			upstream.once('connect', () => {
				const channel = accept();
				upstream.removeAllListeners('error');
				upstream.on('error', () => channel.destroy());
				channel.on('error', () => upstream.destroy());
				channel.pipe(upstream).pipe(channel);
				channel.on('close', () => upstream.destroy());
				upstream.on('close', () => channel.end());
			});
		});
		client.on('session', (_accept, reject) => reject());
	}
}

/** Polls `condition` until it holds or the deadline passes (then throws, naming what was awaited). */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) {
			throw new Error(`timed out waiting for ${what}`);
		}
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}
