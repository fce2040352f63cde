/**
 * One persistent interactive SSH shell per router.
 *
 * Commands are framed by the driver's prompt pattern (never by a remembered prompt string, so a
 * hostname change or a config mode does not break framing), pager prompts are answered and cut
 * out, a command that hangs is interrupted with Ctrl-C while the queue carries on, and a lost
 * connection is re-established with capped exponential backoff and full jitter.
 */
import { createPrivateKey } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { AnyAuthMethod, Client, ClientChannel, ConnectConfig, ParsedKey } from 'ssh2';
import ssh2 from 'ssh2';
import type { RouterDriver } from './driver.js';
import {
	fingerprintSha256,
	type HostKeyTarget,
	type HostKeyVerifier,
	keyTypeOf,
	type OfferedHostKey,
} from './host-keys.js';
import { extractCommandOutput, lastLine, matchAtEnd, renderTerminalText } from './terminal-text.js';

export type { HostKeyTarget, HostKeyVerifier, OfferedHostKey } from './host-keys.js';

export type SessionState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

/** How to log in to one SSH server (a router or a jump host). */
export type SshCredentials = {
	username: string;
	/** PEM (PKCS#1, SEC1, PKCS#8) or OpenSSH private key contents. */
	privateKey?: string | Buffer;
	passphrase?: string;
	password?: string;
	/** ssh-agent socket path; defaults to `SSH_AUTH_SOCK` when no private key is given. `none` disables. */
	agent?: string;
	/** Answer keyboard-interactive prompts with `password` (default: true when a password is given). */
	tryKeyboardInteractive?: boolean;
};

export type JumpHostOptions = SshCredentials & {
	host: string;
	port?: number;
	/** Defaults to the session's verifier (which is told which host it is verifying). */
	hostKeyVerifier?: HostKeyVerifier;
};

export type ReconnectPolicy = { initialMs?: number; maxMs?: number; jitter?: number };

export type RouterSessionOptions = SshCredentials & {
	host: string;
	port?: number;
	driver: RouterDriver;
	hostKeyVerifier: HostKeyVerifier;
	/** Answer to a `Password:` prompt after `driver.enable`. */
	enablePassword?: string;
	/** Default 30 s. */
	commandTimeoutMs?: number;
	/** TCP + SSH handshake + login + first prompt, per attempt (not counting time spent in the host key verifier). Default 20 s. */
	connectTimeoutMs?: number;
	/** SSH keepalive interval; three unanswered keepalives drop the connection. Default 15 s, 0 disables. */
	keepaliveIntervalMs?: number;
	/** Default `{ initialMs: 1000, maxMs: 60000, jitter: 1 }` (full jitter); `false` closes the session on connection loss. */
	reconnect?: ReconnectPolicy | false;
	/** ProxyJump: hops in order, the last one forwards to the router. */
	proxyJump?: JumpHostOptions | JumpHostOptions[];
	/** Quiet time required after a prompt before a command counts as finished. Default 50 ms. */
	promptSettleMs?: number;
	/** What Enter sends. Default `\r`, as a terminal does. */
	newline?: string;
	/** The pseudo-terminal size asked for: wide, so that devices do not wrap lines. Default 511 × 1000. */
	terminal?: { cols: number; rows: number };
	/** Receives a line per protocol step, for troubleshooting. */
	debug?: (message: string) => void;
};

export type RouterSessionEvents = {
	state: [state: SessionState];
	reconnecting: [attempt: number, delayMs: number];
	error: [error: Error];
};

export type RouterSessionErrorCode =
	| 'connect-failed'
	| 'auth-failed'
	| 'host-key-rejected'
	| 'private-key'
	| 'prompt-timeout'
	| 'enable-failed'
	| 'command-timeout'
	| 'session-closed';

function describeHost(host: string, port: number): string {
	return port === 22 ? host : `${host} port ${port}`;
}

/** Every error a RouterSession produces: `code` for programs, `message` for people (names the host). */
export class RouterSessionError extends Error {
	constructor(
		readonly code: RouterSessionErrorCode,
		readonly host: string,
		readonly port: number,
		message: string,
		options?: { cause?: unknown },
	) {
		super(message, options);
	}
}

const connectReasons: Record<string, string> = {
	ECONNREFUSED: 'connection refused (is SSH enabled on that port?)',
	ETIMEDOUT: 'no answer in time',
	ENOTFOUND: 'host name not found',
	EAI_AGAIN: 'host name lookup failed',
	EHOSTUNREACH: 'host unreachable',
	ENETUNREACH: 'network unreachable',
	ECONNRESET: 'connection reset by the router',
	EPIPE: 'connection closed by the router',
};

export class ConnectError extends RouterSessionError {
	override readonly name = 'ConnectError';
	/** The errno code (`ECONNREFUSED`, `ETIMEDOUT`, …) when the failure had one. */
	readonly errno: string | undefined;
	constructor(
		host: string,
		port: number,
		errno: string | undefined,
		detail: string,
		options?: { cause?: unknown },
	) {
		const reason = errno ? (connectReasons[errno] ?? detail) : detail;
		super(
			'connect-failed',
			host,
			port,
			`Could not connect to ${describeHost(host, port)}: ${reason}${errno ? ` (${errno})` : ''}. Check the address, the port and the network path to the router.`,
			options,
		);
		this.errno = errno;
	}
}

export class AuthenticationError extends RouterSessionError {
	override readonly name = 'AuthenticationError';
	constructor(
		host: string,
		port: number,
		readonly username: string,
		readonly methods: string[],
		detail?: string,
	) {
		super(
			'auth-failed',
			host,
			port,
			`${describeHost(host, port)} refused the login of "${username}" (tried: ${methods.join(', ') || 'nothing'})${detail ? `; ${detail}` : ''}. Check the user name, the key or the password.`,
		);
	}
}

export class HostKeyRejectedError extends RouterSessionError {
	override readonly name = 'HostKeyRejectedError';
	constructor(
		host: string,
		port: number,
		readonly keyType: string,
		readonly fingerprint: string,
		options?: { cause?: unknown },
	) {
		const reason = options?.cause instanceof Error ? options.cause.message : undefined;
		super(
			'host-key-rejected',
			host,
			port,
			reason ??
				`The host key of ${describeHost(host, port)} (${keyType} ${fingerprint}) was not accepted; the connection was closed.`,
			options,
		);
	}
}

export class PrivateKeyError extends RouterSessionError {
	override readonly name = 'PrivateKeyError';
	constructor(
		host: string,
		port: number,
		readonly reason: 'passphrase-missing' | 'passphrase-wrong' | 'unreadable',
		detail: string,
	) {
		const text = {
			'passphrase-missing': 'is encrypted and no passphrase was given: give the passphrase, or use ssh-agent',
			'passphrase-wrong': 'could not be decrypted: the passphrase is wrong',
			unreadable: `could not be read (${detail}): give a PEM or OpenSSH private key`,
		}[reason];
		super('private-key', host, port, `The private key for ${describeHost(host, port)} ${text}.`);
	}
}

export class PromptTimeoutError extends RouterSessionError {
	override readonly name = 'PromptTimeoutError';
	constructor(host: string, port: number, prompt: RegExp, timeoutMs: number, lastOutput: string) {
		super(
			'prompt-timeout',
			host,
			port,
			`Logged in to ${describeHost(host, port)} but no prompt matching ${prompt} appeared within ${timeoutMs} ms (last output: ${JSON.stringify(lastOutput.slice(-120))}). Check the router vendor.`,
		);
	}
}

export class EnableError extends RouterSessionError {
	override readonly name = 'EnableError';
	constructor(host: string, port: number, detail: string) {
		super(
			'enable-failed',
			host,
			port,
			`Could not enter privileged mode on ${describeHost(host, port)}: ${detail}.`,
		);
	}
}

export class CommandTimeoutError extends RouterSessionError {
	override readonly name = 'CommandTimeoutError';
	constructor(
		host: string,
		port: number,
		readonly command: string,
		readonly timeoutMs: number,
		waitingFor: 'prompt' | 'connection',
	) {
		super(
			'command-timeout',
			host,
			port,
			waitingFor === 'prompt'
				? `"${command}" on ${describeHost(host, port)} did not finish within ${timeoutMs} ms and was interrupted. Raise the timeout if the command is slow.`
				: `"${command}" was not sent: no connection to ${describeHost(host, port)} within ${timeoutMs} ms (reconnecting).`,
		);
	}
}

export class SessionClosedError extends RouterSessionError {
	override readonly name = 'SessionClosedError';
	constructor(host: string, port: number, reason: string, options?: { cause?: unknown }) {
		super('session-closed', host, port, `The SSH session to ${describeHost(host, port)} ${reason}.`, options);
	}
}

/** Capped exponential backoff with (by default full) jitter: attempt 1 waits up to `initialMs`. */
export function reconnectDelay(
	attempt: number,
	policy: ReconnectPolicy = {},
	random: () => number = Math.random,
) {
	const initial = policy.initialMs ?? 1000;
	const max = policy.maxMs ?? 60_000;
	const jitter = Math.min(1, Math.max(0, policy.jitter ?? 1));
	const cap = Math.min(max, initial * 2 ** Math.min(Math.max(0, attempt - 1), 30));
	return Math.round(cap * (1 - jitter * random()));
}

const PASSWORD_PROMPT = /(?:password|passcode)\s*:\s*$/i;

/** The output of one exchange so far, with pager prompts cut out as they are answered. */
class ShellTranscript {
	private committed = '';
	private raw = '';
	private dropLeadingNewline = false;

	reset(): void {
		this.committed = '';
		this.raw = '';
		this.dropLeadingNewline = false;
	}

	append(chunk: string): void {
		this.raw += chunk;
	}

	private live(): string {
		const rendered = renderTerminalText(this.raw);
		return this.dropLeadingNewline && rendered.startsWith('\n') ? rendered.slice(1) : rendered;
	}

	text(): string {
		return this.committed + this.live();
	}

	/** If the output ends with a pager prompt, removes it and returns true (the caller answers it). */
	cutPager(more: RegExp): boolean {
		const live = this.live();
		const line = lastLine(live);
		const match = matchAtEnd(line, more);
		if (!match) {
			return false;
		}
		const lineStart = live.length - line.length;
		const onItsOwnLine = line.slice(0, match.index).trim() === '';
		this.committed += live.slice(0, onItsOwnLine ? lineStart : lineStart + match.index);
		this.raw = '';
		// A pager that had a line to itself may be followed by the newline that ended it.
		this.dropLeadingNewline = onItsOwnLine;
		return true;
	}
}

type Connection = {
	client: Client;
	hops: Client[];
	shell: ClientChannel;
	lost: boolean;
};

type Waiter = {
	connection: Connection;
	acceptPassword: boolean;
	resolve: (result: { kind: 'prompt' | 'password'; text: string }) => void;
	reject: (error: Error) => void;
	timer: NodeJS.Timeout;
	settleTimer?: NodeJS.Timeout | undefined;
};

type Hop = SshCredentials & { host: string; port: number; hostKeyVerifier: HostKeyVerifier };

const FATAL_CODES: ReadonlySet<RouterSessionErrorCode> = new Set([
	'auth-failed',
	'host-key-rejected',
	'private-key',
	'enable-failed',
]);

export class RouterSession extends EventEmitter<RouterSessionEvents> {
	readonly host: string;
	readonly port: number;
	private currentState: SessionState = 'idle';
	private readonly options: RouterSessionOptions;
	private readonly driver: RouterDriver;
	private readonly commandTimeoutMs: number;
	private readonly connectTimeoutMs: number;
	private readonly settleMs: number;
	private readonly newline: string;
	private readonly transcript = new ShellTranscript();
	private connection: Connection | undefined;
	private waiter: Waiter | undefined;
	private queue: Promise<unknown> = Promise.resolve();
	private recovery: Promise<void> = Promise.resolve();
	private connecting: Promise<void> | undefined;
	private reconnectAttempt = 0;
	private reconnectTimer: NodeJS.Timeout | undefined;
	private readonly openClients = new Set<Client>();

	constructor(options: RouterSessionOptions) {
		super();
		this.options = options;
		this.driver = options.driver;
		this.host = options.host;
		this.port = options.port ?? 22;
		this.commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
		this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
		this.settleMs = options.promptSettleMs ?? 50;
		this.newline = options.newline ?? '\r';
	}

	get state(): SessionState {
		return this.currentState;
	}

	/** Connects, logs in, waits for the prompt, enters privileged mode and switches paging off. */
	connect(): Promise<void> {
		if (this.currentState === 'closed') {
			return Promise.reject(this.closedError('is closed; create a new session'));
		}
		if (this.currentState !== 'idle') {
			return this.connecting ?? Promise.resolve();
		}
		this.setState('connecting');
		this.connecting = (async () => {
			try {
				await this.establish();
			} catch (error) {
				if (this.currentState === 'closed') {
					throw this.closedError('was closed while connecting', error);
				}
				this.setState('idle');
				throw error;
			} finally {
				this.connecting = undefined;
			}
			if (this.currentState === 'closed') {
				throw this.closedError('was closed while connecting');
			}
			this.setState('ready');
		})();
		return this.connecting;
	}

	/**
	 * Runs one command (queued behind earlier ones) and returns its output: no echo, no prompt, no
	 * pager prompts, LF line ends, no escape sequences. While reconnecting it waits for the new
	 * connection, within the same timeout.
	 */
	run(command: string, options: { timeoutMs?: number } = {}): Promise<string> {
		if (/[\r\n]/.test(command)) {
			return Promise.reject(new TypeError(`a command must be one line: ${JSON.stringify(command)}`));
		}
		if (this.currentState === 'closed') {
			return Promise.reject(this.closedError('is closed'));
		}
		if (this.currentState === 'idle') {
			return Promise.reject(this.closedError('is not connected: call connect() first'));
		}
		const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
		const result = this.queue.then(() => this.execute(command, timeoutMs));
		this.queue = result.catch(() => undefined);
		return result;
	}

	/** Closes the connection for good; pending commands fail with SessionClosedError. */
	async close(): Promise<void> {
		if (this.currentState === 'closed') {
			return;
		}
		clearTimeout(this.reconnectTimer);
		this.reconnectTimer = undefined;
		this.setState('closed');
		this.failWaiter(this.closedError('was closed'));
		const clients = [...this.openClients];
		this.connection = undefined;
		await Promise.all(clients.map((client) => endClient(client)));
	}

	private setState(state: SessionState): void {
		if (this.currentState === state) {
			return;
		}
		this.currentState = state;
		this.options.debug?.(`state ${state}`);
		this.emit('state', state);
	}

	private emitError(error: Error): void {
		// An 'error' event nobody listens to would crash the process: the session reports, never throws.
		if (this.listenerCount('error') > 0) {
			this.emit('error', error);
		}
	}

	private closedError(reason: string, cause?: unknown): SessionClosedError {
		return new SessionClosedError(this.host, this.port, reason, cause === undefined ? undefined : { cause });
	}

	private async execute(command: string, timeoutMs: number): Promise<string> {
		const deadline = Date.now() + timeoutMs;
		await this.recovery;
		const connection = await this.readyConnection(deadline, command, timeoutMs);
		this.transcript.reset();
		connection.shell.write(`${command}${this.newline}`);
		try {
			const { text } = await this.waitFor(connection, {
				timeoutMs: Math.max(1, deadline - Date.now()),
				onTimeout: () => new CommandTimeoutError(this.host, this.port, command, timeoutMs, 'prompt'),
			});
			return extractCommandOutput(text, command, this.driver.prompt);
		} catch (error) {
			if (error instanceof CommandTimeoutError && !connection.lost) {
				this.recovery = this.recover(connection);
			}
			throw error;
		}
	}

	private readyConnection(deadline: number, command: string, timeoutMs: number): Promise<Connection> {
		if (this.currentState === 'ready' && this.connection && !this.connection.lost) {
			return Promise.resolve(this.connection);
		}
		return new Promise((resolve, reject) => {
			const check = () => {
				if (this.currentState === 'ready' && this.connection && !this.connection.lost) {
					finish();
					resolve(this.connection);
				} else if (this.currentState === 'closed' || this.currentState === 'idle') {
					finish();
					reject(this.closedError(this.currentState === 'closed' ? 'is closed' : 'is not connected'));
				}
			};
			const timer = setTimeout(
				() => {
					finish();
					reject(new CommandTimeoutError(this.host, this.port, command, timeoutMs, 'connection'));
				},
				Math.max(0, deadline - Date.now()),
			);
			const finish = () => {
				clearTimeout(timer);
				this.off('state', check);
			};
			this.on('state', check);
			check();
		});
	}

	/** After a timeout: interrupt with Ctrl-C and resynchronise on the prompt, else drop the connection. */
	private async recover(connection: Connection): Promise<void> {
		const timeoutMs = Math.min(this.commandTimeoutMs, 10_000);
		for (const nudge of ['\u0003', this.newline]) {
			if (connection.lost) {
				return;
			}
			this.transcript.reset();
			connection.shell.write(nudge);
			try {
				await this.waitFor(connection, {
					timeoutMs,
					onTimeout: () => new Error('no prompt'),
				});
				this.options.debug?.('resynchronised on the prompt after a timeout');
				return;
			} catch {
				// try the next nudge
			}
		}
		this.options.debug?.('no prompt after Ctrl-C: dropping the connection to start afresh');
		this.onConnectionLost(connection, new Error('the router stopped answering after an interrupted command'));
	}

	private waitFor(
		connection: Connection,
		options: { timeoutMs: number; acceptPassword?: boolean; onTimeout: () => Error },
	): Promise<{ kind: 'prompt' | 'password'; text: string }> {
		if (connection.lost) {
			return Promise.reject(this.closedError('lost its connection'));
		}
		this.failWaiter(new Error('superseded'));
		return new Promise((resolve, reject) => {
			const waiter: Waiter = {
				connection,
				acceptPassword: options.acceptPassword ?? false,
				resolve: (result) => {
					this.clearWaiter(waiter);
					resolve(result);
				},
				reject: (error) => {
					this.clearWaiter(waiter);
					reject(error);
				},
				timer: setTimeout(() => waiter.reject(options.onTimeout()), options.timeoutMs),
			};
			this.waiter = waiter;
			this.evaluate();
		});
	}

	private clearWaiter(waiter: Waiter): void {
		clearTimeout(waiter.timer);
		clearTimeout(waiter.settleTimer);
		if (this.waiter === waiter) {
			this.waiter = undefined;
		}
	}

	private failWaiter(error: Error): void {
		this.waiter?.reject(error);
	}

	private onOutput(connection: Connection, chunk: string): void {
		if (connection !== this.connection) {
			return;
		}
		this.options.debug?.(`< ${JSON.stringify(chunk)}`);
		this.transcript.append(chunk);
		this.evaluate();
	}

	private evaluate(): void {
		const waiter = this.waiter;
		if (!waiter) {
			return;
		}
		clearTimeout(waiter.settleTimer);
		waiter.settleTimer = undefined;
		if (this.driver.more && this.transcript.cutPager(this.driver.more)) {
			waiter.connection.shell.write(' ');
			return;
		}
		const text = this.transcript.text();
		const line = lastLine(text);
		const kind = matchAtEnd(line, this.driver.prompt)
			? 'prompt'
			: waiter.acceptPassword && PASSWORD_PROMPT.test(line)
				? 'password'
				: undefined;
		if (kind) {
			// Output may merely pause on a line that looks like a prompt: require a moment of quiet.
			waiter.settleTimer = setTimeout(() => waiter.resolve({ kind, text }), this.settleMs);
		}
	}

	private onConnectionLost(connection: Connection, cause?: Error): void {
		if (connection.lost) {
			return;
		}
		connection.lost = true;
		this.options.debug?.(`connection lost${cause ? `: ${cause.message}` : ''}`);
		for (const client of [connection.client, ...connection.hops]) {
			void endClient(client);
		}
		if (this.connection !== connection) {
			return;
		}
		this.connection = undefined;
		this.failWaiter(this.closedError(`lost its connection${cause ? ` (${cause.message})` : ''}`, cause));
		if (this.currentState === 'ready') {
			this.scheduleReconnect();
		}
	}

	private scheduleReconnect(): void {
		if (this.currentState === 'closed') {
			return;
		}
		const policy = this.options.reconnect;
		if (policy === false) {
			this.setState('closed');
			return;
		}
		this.reconnectAttempt += 1;
		const delayMs = reconnectDelay(this.reconnectAttempt, policy);
		this.setState('reconnecting');
		this.emit('reconnecting', this.reconnectAttempt, delayMs);
		this.reconnectTimer = setTimeout(() => void this.attemptReconnect(), delayMs);
	}

	private async attemptReconnect(): Promise<void> {
		this.reconnectTimer = undefined;
		if (this.currentState !== 'reconnecting') {
			return;
		}
		try {
			await this.establish();
			if (this.currentState !== 'reconnecting') {
				return;
			}
			this.reconnectAttempt = 0;
			this.setState('ready');
		} catch (error) {
			if (this.currentState !== 'reconnecting') {
				return;
			}
			const failure = error instanceof Error ? error : new Error(String(error));
			this.emitError(failure);
			if (failure instanceof RouterSessionError && FATAL_CODES.has(failure.code)) {
				// Retrying cannot fix a refused key or credentials: stop, and let pending commands fail.
				this.setState('closed');
			} else {
				this.scheduleReconnect();
			}
		}
	}

	private hops(): { jumps: Hop[]; target: Hop } {
		const verifier = this.options.hostKeyVerifier;
		const jumps = [this.options.proxyJump ?? []].flat().map((jump) => ({
			...jump,
			port: jump.port ?? 22,
			hostKeyVerifier: jump.hostKeyVerifier ?? verifier,
		}));
		const { host, port, username, privateKey, passphrase, password, agent, tryKeyboardInteractive } =
			this.options;
		const target: Hop = {
			host,
			port: port ?? 22,
			username,
			hostKeyVerifier: verifier,
			...(privateKey === undefined ? {} : { privateKey }),
			...(passphrase === undefined ? {} : { passphrase }),
			...(password === undefined ? {} : { password }),
			...(agent === undefined ? {} : { agent }),
			...(tryKeyboardInteractive === undefined ? {} : { tryKeyboardInteractive }),
		};
		return { jumps, target };
	}

	/** Opens (through any jump hosts) a logged-in shell at the prompt, privileged, paging off. */
	private async establish(): Promise<void> {
		const { jumps, target } = this.hops();
		const hops: Client[] = [];
		let connection: Connection | undefined;
		try {
			let sock: Duplex | undefined;
			for (const [index, jump] of jumps.entries()) {
				const client = await this.openClient(jump, sock);
				hops.push(client);
				const next = jumps[index + 1] ?? target;
				sock = await forwardOut(client, jump, next);
			}
			const client = await this.openClient(target, sock);
			const shell = await openShell(client, this.options.terminal ?? { cols: 511, rows: 1000 }, target);
			connection = { client, hops, shell, lost: false };
			this.attach(connection);
			await this.login(connection);
		} catch (error) {
			if (connection) {
				this.onConnectionLost(connection);
			}
			for (const client of hops) {
				void endClient(client);
			}
			throw error;
		}
	}

	private attach(connection: Connection): void {
		this.transcript.reset();
		this.connection = connection;
		const { client, shell, hops } = connection;
		shell.setEncoding('utf8');
		shell.stderr.setEncoding('utf8');
		shell.on('data', (chunk: string) => this.onOutput(connection, chunk));
		shell.stderr.on('data', (chunk: string) => this.onOutput(connection, chunk));
		shell.on('close', () => this.onConnectionLost(connection, new Error('the router closed the shell')));
		shell.on('error', (error: Error) => this.onConnectionLost(connection, error));
		shell.stderr.on('error', () => undefined);
		for (const each of [client, ...hops]) {
			each.on('close', () => this.onConnectionLost(connection, new Error('connection closed')));
			each.on('error', (error: Error) => this.onConnectionLost(connection, error));
		}
	}

	private async login(connection: Connection): Promise<void> {
		const { prompt } = this.driver;
		const promptTimeout = () =>
			new PromptTimeoutError(this.host, this.port, prompt, this.connectTimeoutMs, this.transcript.text());
		// Some devices print their prompt only after a key press: nudge once, half way through.
		const nudgeAfter = Math.min(5000, Math.floor(this.connectTimeoutMs / 2));
		let first: { text: string };
		try {
			first = await this.waitFor(connection, { timeoutMs: nudgeAfter, onTimeout: promptTimeout });
		} catch (error) {
			if (!(error instanceof PromptTimeoutError)) {
				throw error;
			}
			connection.shell.write(this.newline);
			first = await this.waitFor(connection, {
				timeoutMs: this.connectTimeoutMs - nudgeAfter,
				onTimeout: promptTimeout,
			});
		}
		const { enable, privilegedPrompt } = this.driver;
		if (enable && !(privilegedPrompt && matchAtEnd(lastLine(first.text), privilegedPrompt))) {
			await this.enterPrivileged(connection, enable);
		}
		for (const command of this.driver.pagingOff) {
			this.transcript.reset();
			connection.shell.write(`${command}${this.newline}`);
			await this.waitFor(connection, {
				timeoutMs: this.connectTimeoutMs,
				onTimeout: () =>
					new PromptTimeoutError(this.host, this.port, prompt, this.connectTimeoutMs, this.transcript.text()),
			});
		}
	}

	private async enterPrivileged(connection: Connection, enable: string): Promise<void> {
		const answer = async (input: string) => {
			this.transcript.reset();
			connection.shell.write(`${input}${this.newline}`);
			return this.waitFor(connection, {
				timeoutMs: this.connectTimeoutMs,
				acceptPassword: true,
				onTimeout: () =>
					new EnableError(
						this.host,
						this.port,
						`no prompt after "${input === enable ? enable : '(password)'}"`,
					),
			});
		};
		let reply = await answer(enable);
		if (reply.kind === 'password') {
			if (this.options.enablePassword === undefined) {
				connection.shell.write('\u0003');
				throw new EnableError(
					this.host,
					this.port,
					`"${enable}" asks for a password: set the enable password`,
				);
			}
			reply = await answer(this.options.enablePassword);
			if (reply.kind === 'password') {
				connection.shell.write('\u0003');
				throw new EnableError(this.host, this.port, 'the enable password was refused');
			}
		}
		const { privilegedPrompt } = this.driver;
		if (privilegedPrompt && !matchAtEnd(lastLine(reply.text), privilegedPrompt)) {
			const said = extractCommandOutput(reply.text, enable, this.driver.prompt).trim();
			throw new EnableError(
				this.host,
				this.port,
				`"${enable}" did not reach privileged mode${said ? `: ${said}` : ''}`,
			);
		}
	}

	private privateKeyFor(hop: Hop): ParsedKey | undefined {
		if (hop.privateKey === undefined) {
			return undefined;
		}
		const parsed = parsePrivateKey(hop.privateKey, hop.passphrase);
		if (parsed instanceof Error) {
			const message = parsed.message;
			const reason = /no passphrase given/i.test(message)
				? 'passphrase-missing'
				: /bad passphrase|bad decrypt|decrypt/i.test(message)
					? 'passphrase-wrong'
					: 'unreadable';
			throw new PrivateKeyError(hop.host, hop.port, reason, message);
		}
		return parsed;
	}

	private authMethods(hop: Hop): AnyAuthMethod[] {
		const { username, password } = hop;
		const methods: AnyAuthMethod[] = [{ type: 'none', username }];
		const key = this.privateKeyFor(hop);
		if (key) {
			methods.push({ type: 'publickey', username, key });
		}
		const agent = hop.agent ?? (hop.privateKey === undefined ? process.env.SSH_AUTH_SOCK : undefined);
		if (agent && agent !== 'none') {
			methods.push({ type: 'agent', username, agent });
		}
		if (password !== undefined) {
			methods.push({ type: 'password', username, password });
			if (hop.tryKeyboardInteractive !== false) {
				methods.push({
					type: 'keyboard-interactive',
					username,
					prompt: (_name, _instructions, _language, prompts, finish) => finish(prompts.map(() => password)),
				});
			}
		}
		return methods;
	}

	/** One SSH connection (directly, or over `sock` from a jump host), authenticated. */
	private openClient(hop: Hop, sock: Duplex | undefined): Promise<Client> {
		const methods = this.authMethods(hop);
		return new Promise((resolve, reject) => {
			const client = new ssh2.Client();
			this.openClients.add(client);
			client.on('close', () => this.openClients.delete(client));
			let settled = false;
			let refusedKey: { key: OfferedHostKey; cause?: unknown } | undefined;
			let agentProblem: string | undefined;
			let timer: NodeJS.Timeout | undefined;
			const fail = (error: Error) => {
				if (settled) {
					return;
				}
				settled = true;
				clearTimeout(timer);
				void endClient(client);
				reject(error);
			};
			const arm = () => {
				clearTimeout(timer);
				timer = setTimeout(
					() => fail(new ConnectError(hop.host, hop.port, 'ETIMEDOUT', 'no answer in time')),
					this.connectTimeoutMs,
				);
			};
			client.on('ready', () => {
				if (settled) {
					return;
				}
				settled = true;
				clearTimeout(timer);
				resolve(client);
			});
			client.on('error', (error: Error & { level?: string; code?: string }) => {
				if (error.level === 'agent') {
					agentProblem = `ssh-agent: ${error.message}`;
					return; // ssh2 goes on with the next method
				}
				if (refusedKey) {
					fail(
						new HostKeyRejectedError(hop.host, hop.port, refusedKey.key.type, refusedKey.key.fingerprint, {
							cause: refusedKey.cause,
						}),
					);
				} else if (error.level === 'client-authentication') {
					fail(
						new AuthenticationError(
							hop.host,
							hop.port,
							hop.username,
							methods.map((method) => method.type).filter((type) => type !== 'none'),
							agentProblem,
						),
					);
				} else {
					fail(new ConnectError(hop.host, hop.port, error.code, error.message, { cause: error }));
				}
			});
			client.on('close', () => {
				if (refusedKey) {
					fail(
						new HostKeyRejectedError(hop.host, hop.port, refusedKey.key.type, refusedKey.key.fingerprint, {
							cause: refusedKey.cause,
						}),
					);
				}
				fail(new ConnectError(hop.host, hop.port, 'ECONNRESET', 'connection closed during login'));
			});
			const target: HostKeyTarget = { host: hop.host, port: hop.port };
			const config: ConnectConfig = {
				host: hop.host,
				port: hop.port,
				username: hop.username,
				authHandler: methods,
				// Our own timer replaces readyTimeout: it must pause while the user looks at a fingerprint.
				readyTimeout: 0,
				keepaliveInterval: this.options.keepaliveIntervalMs ?? 15_000,
				keepaliveCountMax: 3,
				hostVerifier: (raw: Buffer, verify: (valid: boolean) => void) => {
					clearTimeout(timer);
					const key: OfferedHostKey = {
						type: keyTypeOf(raw) ?? 'unknown',
						fingerprint: fingerprintSha256(raw),
						raw,
					};
					Promise.resolve()
						.then(() => hop.hostKeyVerifier(key, target))
						.then(
							(accepted) => {
								if (accepted !== true) {
									refusedKey = { key };
								}
								return accepted === true;
							},
							(cause: unknown) => {
								refusedKey = { key, cause };
								return false;
							},
						)
						.then((accepted) => {
							if (settled) {
								return;
							}
							arm();
							verify(accepted);
						})
						.catch((error: unknown) => fail(new ConnectError(hop.host, hop.port, undefined, String(error))));
				},
				...(sock ? { sock: sock as unknown as NonNullable<ConnectConfig['sock']> } : {}),
				...(this.options.debug
					? { debug: (message: string) => this.options.debug?.(`[${hop.host}] ${message}`) }
					: {}),
			};
			arm();
			try {
				client.connect(config);
			} catch (error) {
				fail(new ConnectError(hop.host, hop.port, undefined, (error as Error).message, { cause: error }));
			}
		});
	}
}

function endClient(client: Client): Promise<void> {
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			resolve();
		};
		const timer = setTimeout(() => {
			// The peer did not acknowledge: cut the socket.
			client.destroy();
			resolve();
		}, 1000);
		client.once('close', done);
		client.on('error', () => undefined);
		try {
			client.end();
		} catch {
			done();
		}
	});
}

function openShell(client: Client, size: { cols: number; rows: number }, hop: Hop): Promise<ClientChannel> {
	return new Promise((resolve, reject) => {
		client.shell({ term: 'vt100', cols: size.cols, rows: size.rows }, (error, stream) => {
			if (error) {
				reject(
					new ConnectError(
						hop.host,
						hop.port,
						undefined,
						`the router refused an interactive shell (${error.message})`,
					),
				);
			} else {
				resolve(stream);
			}
		});
	});
}

function forwardOut(client: Client, via: Hop, to: Hop): Promise<ClientChannel> {
	return new Promise((resolve, reject) => {
		client.forwardOut('127.0.0.1', 0, to.host, to.port, (error, stream) => {
			if (error) {
				reject(
					new ConnectError(
						to.host,
						to.port,
						undefined,
						`the jump host ${describeHost(via.host, via.port)} could not open a connection to it (${error.message})`,
					),
				);
			} else {
				resolve(stream);
			}
		});
	});
}

/**
 * ssh2 reads PEM (PKCS#1/SEC1) and OpenSSH keys; PKCS#8 (`BEGIN [ENCRYPTED] PRIVATE KEY`) RSA and EC
 * keys are converted with node:crypto first.
 */
function parsePrivateKey(data: string | Buffer, passphrase: string | undefined): ParsedKey | Error {
	const parsed = ssh2.utils.parseKey(data, passphrase);
	if (!(parsed instanceof Error)) {
		return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
	}
	const text = data.toString();
	if (!/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
		return parsed;
	}
	if (text.includes('ENCRYPTED') && passphrase === undefined) {
		return new Error('Encrypted PKCS#8 key detected, but no passphrase given');
	}
	try {
		const key = createPrivateKey(passphrase === undefined ? text : { key: text, passphrase });
		const type = key.asymmetricKeyType;
		const pem =
			type === 'rsa'
				? key.export({ type: 'pkcs1', format: 'pem' })
				: type === 'ec'
					? key.export({ type: 'sec1', format: 'pem' })
					: undefined;
		if (pem === undefined) {
			return new Error(`PKCS#8 ${type} keys are not supported; convert it with ssh-keygen -p`);
		}
		const converted = ssh2.utils.parseKey(pem);
		return Array.isArray(converted) ? (converted[0] as ParsedKey) : converted;
	} catch (error) {
		return new Error(
			/bad decrypt|decrypt/i.test((error as Error).message) ? 'bad passphrase' : (error as Error).message,
		);
	}
}
