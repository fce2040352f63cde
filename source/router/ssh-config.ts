/**
 * Host aliases from ~/.ssh/config, resolved as `ssh -G` would for the options a router session needs.
 * The `ssh-config` package tokenises the file (quoting, `key=value`, comments); the evaluation —
 * `Host`/`Match` matching, first value wins, `Include`, `%` tokens and `~` — follows ssh_config(5).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';
import SSHConfig, { type Line, LineType } from 'ssh-config';
import { matchesWildcard, matchPatternList } from './host-keys.js';

export type SshHostConfig = {
	/** The name or address to connect to (`HostName`, else the alias itself), lower-cased as ssh does. */
	hostName: string;
	user?: string;
	port?: number;
	/** `IdentityFile`s in the order given, `~` and `%` tokens expanded. Empty when none is configured. */
	identityFiles: string[];
	/** `ProxyJump` as written (`[user@]host[:port][,…]`); absent when unset or `none`. See `parseProxyJump`. */
	proxyJump?: string;
	/** `IdentityAgent`, expanded; `SSH_AUTH_SOCK` is replaced by that variable's value, `none` is kept. */
	identityAgent?: string;
	identitiesOnly?: boolean;
	/** `UserKnownHostsFile`s, expanded. */
	userKnownHostsFiles?: string[];
	/** Directives that were present but not honoured (e.g. `Match exec`, `ProxyCommand`). */
	notes: string[];
};

export type ResolveSshHostOptions = {
	/** Default `~/.ssh/config`. A missing file resolves every alias to itself. */
	configFile?: string;
	/** Default `os.homedir()`; used for `~` and `%d`. */
	homeDirectory?: string;
	/** Default the current user; used for `%u`, `Match localuser` and as the default remote user. */
	localUser?: string;
};

export type JumpHostSpec = { host: string; port?: number; user?: string };

const MAX_INCLUDE_DEPTH = 16;

type Context = {
	alias: string;
	home: string;
	localUser: string;
	values: Map<string, string[]>;
	identityFiles: string[];
	notes: string[];
};

function tokensOf(value: string | { val: string }[]): string[] {
	if (typeof value === 'string') {
		return value === '' ? [] : [value];
	}
	return value.map((token) => token.val);
}

function expandTilde(path: string, home: string): string {
	if (path === '~') {
		return home;
	}
	return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

function currentHostName(context: Context): string {
	const configured = context.values.get('hostname')?.[0];
	return configured === undefined
		? context.alias
		: configured.replaceAll('%h', context.alias).replaceAll('%%', '%');
}

function remoteUser(context: Context): string {
	return context.values.get('user')?.[0] ?? context.localUser;
}

/** `%` tokens of ssh_config(5) TOKENS that make sense before connecting. Unknown tokens stay as written. */
function expandTokens(text: string, context: Context): string {
	const localHost = hostname();
	const replacements: Record<string, string> = {
		'%': '%',
		d: context.home,
		h: currentHostName(context),
		n: context.alias,
		p: context.values.get('port')?.[0] ?? '22',
		r: remoteUser(context),
		u: context.localUser,
		l: localHost.split('.')[0] ?? localHost,
		L: localHost,
	};
	return text.replace(/%(.)/g, (whole, token: string) => replacements[token] ?? whole);
}

/** Expands `*`/`?` in the path's components, as glob(3) does for `Include`. */
function expandGlob(path: string): string[] {
	const parts = path.split('/');
	let candidates = [path.startsWith('/') ? '/' : '.'];
	for (const part of parts) {
		if (part === '') {
			continue;
		}
		if (!/[*?]/.test(part)) {
			candidates = candidates.map((base) => join(base, part));
			continue;
		}
		candidates = candidates.flatMap((base) => {
			try {
				return readdirSync(base)
					.filter((name) => !name.startsWith('.') && matchesWildcard(name, part))
					.sort()
					.map((name) => join(base, name));
			} catch {
				return [];
			}
		});
	}
	return candidates;
}

function readConfig(file: string): Line[] | undefined {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		if (
			(error as NodeJS.ErrnoException).code === 'ENOENT' ||
			(error as NodeJS.ErrnoException).code === 'EISDIR'
		) {
			return undefined;
		}
		throw error;
	}
	return SSHConfig.parse(text);
}

function matchCriteria(criteria: Record<string, string | { val: string }[]>, context: Context): boolean {
	for (const [rawKey, rawValue] of Object.entries(criteria)) {
		const negated = rawKey.startsWith('!');
		const key = (negated ? rawKey.slice(1) : rawKey).toLowerCase();
		const patterns = (typeof rawValue === 'string' ? [rawValue] : rawValue.map((token) => token.val))
			.flatMap((value) => value.split(','))
			.filter((value) => value !== '');
		let matched: boolean;
		switch (key) {
			case 'all':
			// We evaluate the final pass directly: there is no hostname canonicalisation here.
			case 'canonical':
			case 'final':
				matched = true;
				break;
			case 'host':
				matched = matchPatternList(currentHostName(context), patterns) === 1;
				break;
			case 'originalhost':
				matched = matchPatternList(context.alias, patterns) === 1;
				break;
			case 'user':
				matched = matchPatternList(remoteUser(context), patterns, false) === 1;
				break;
			case 'localuser':
				matched = matchPatternList(context.localUser, patterns, false) === 1;
				break;
			default:
				context.notes.push(`Match ${key} is not evaluated; that Match block is skipped`);
				matched = false;
		}
		if (matched === negated) {
			return false;
		}
	}
	return true;
}

/** `Host` patterns are matched case-sensitively against the alias as typed (OpenSSH `match_pattern`). */
function hostLineMatches(patterns: string[], alias: string): boolean {
	let positive = false;
	for (const pattern of patterns) {
		const negated = pattern.startsWith('!');
		if (matchesWildcard(alias, negated ? pattern.slice(1) : pattern)) {
			if (negated) {
				return false;
			}
			positive = true;
		}
	}
	return positive;
}

function processLines(
	lines: readonly Line[],
	active: boolean,
	context: Context,
	baseDir: string,
	depth: number,
) {
	for (const line of lines) {
		if (line.type !== LineType.DIRECTIVE) {
			continue;
		}
		const keyword = line.param.toLowerCase();
		if ('config' in line && (keyword === 'host' || keyword === 'match')) {
			const sectionActive =
				keyword === 'host'
					? hostLineMatches(tokensOf(line.value), context.alias)
					: 'criteria' in line && matchCriteria(line.criteria, context);
			processLines(line.config, sectionActive, context, baseDir, depth);
			continue;
		}
		if (!active) {
			continue;
		}
		const tokens = tokensOf(line.value);
		if (keyword === 'include') {
			if (depth >= MAX_INCLUDE_DEPTH) {
				context.notes.push(`Include nested deeper than ${MAX_INCLUDE_DEPTH} levels was ignored`);
				continue;
			}
			for (const token of tokens) {
				const expanded = expandTilde(token, context.home);
				const path = isAbsolute(expanded) ? expanded : join(baseDir, expanded);
				for (const file of expandGlob(path)) {
					const included = readConfig(file);
					if (included) {
						processLines(included, true, context, baseDir, depth + 1);
					}
				}
			}
		} else if (keyword === 'identityfile') {
			context.identityFiles.push(...tokens);
		} else if (!context.values.has(keyword)) {
			context.values.set(keyword, tokens);
			if (keyword === 'proxycommand') {
				context.notes.push('ProxyCommand is not supported; use ProxyJump');
			}
		}
	}
}

/** Resolves a Host alias through an ssh_config file (default `~/.ssh/config`), like `ssh -G alias`. */
export function resolveSshHost(alias: string, options: ResolveSshHostOptions = {}): SshHostConfig {
	const home = options.homeDirectory ?? homedir();
	const configFile = options.configFile ?? join(home, '.ssh', 'config');
	const context: Context = {
		alias,
		home,
		localUser: options.localUser ?? safeLocalUser(),
		values: new Map(),
		identityFiles: [],
		notes: [],
	};
	const lines = readConfig(configFile);
	if (lines) {
		// Relative Include paths are relative to ~/.ssh for a user's file (also one given with -F), as in OpenSSH.
		processLines(lines, true, context, join(home, '.ssh'), 0);
	}
	const first = (keyword: string) => context.values.get(keyword)?.[0];
	const result: SshHostConfig = {
		// ssh lower-cases the name it finally connects to.
		hostName: currentHostName(context).toLowerCase(),
		identityFiles: context.identityFiles.map((file) => expandTilde(expandTokens(file, context), home)),
		notes: context.notes,
	};
	const user = first('user');
	if (user !== undefined) {
		result.user = expandTokens(user, context);
	}
	const port = first('port');
	if (port !== undefined) {
		const parsed = Number(port);
		if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65_535) {
			throw new Error(`${configFile}: Port "${port}" for host ${alias} is not a port number (1-65535)`);
		}
		result.port = parsed;
	}
	const proxyJump = context.values.get('proxyjump')?.join(' ');
	if (proxyJump !== undefined && proxyJump.toLowerCase() !== 'none') {
		result.proxyJump = proxyJump;
	}
	const agent = first('identityagent');
	if (agent !== undefined) {
		result.identityAgent =
			agent === 'SSH_AUTH_SOCK'
				? (process.env.SSH_AUTH_SOCK ?? 'none')
				: agent.startsWith('$')
					? (process.env[agent.slice(1)] ?? 'none')
					: expandTilde(expandTokens(agent, context), home);
	}
	const identitiesOnly = first('identitiesonly');
	if (identitiesOnly !== undefined) {
		result.identitiesOnly = identitiesOnly.toLowerCase() === 'yes';
	}
	const knownHosts = context.values.get('userknownhostsfile');
	if (knownHosts !== undefined && knownHosts.length > 0) {
		result.userKnownHostsFiles = knownHosts.map((file) => expandTilde(expandTokens(file, context), home));
	}
	return result;
}

function safeLocalUser(): string {
	try {
		return userInfo().username;
	} catch {
		return process.env.USER ?? process.env.USERNAME ?? '';
	}
}

/** Splits a `ProxyJump` value (`[user@]host[:port]`, comma-separated, IPv6 as `[addr]:port`) into hops. */
export function parseProxyJump(spec: string): JumpHostSpec[] {
	return spec
		.split(',')
		.map((part) => part.trim())
		.filter((part) => part !== '')
		.map((part) => {
			const withoutScheme = part.replace(/^ssh:\/\//, '');
			const at = withoutScheme.lastIndexOf('@');
			const user = at === -1 ? undefined : withoutScheme.slice(0, at);
			const hostPort = at === -1 ? withoutScheme : withoutScheme.slice(at + 1);
			const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
			const plain = /^([^:]+)(?::(\d+))?$/.exec(hostPort);
			const match = bracketed ?? plain;
			if (!match?.[1]) {
				throw new Error(`ProxyJump "${spec}": "${part}" is not [user@]host[:port]`);
			}
			const hop: JumpHostSpec = { host: match[1] };
			if (match[2] !== undefined) {
				const port = Number(match[2]);
				if (port < 1 || port > 65_535) {
					throw new Error(`ProxyJump "${spec}": port ${match[2]} is not a port number (1-65535)`);
				}
				hop.port = port;
			}
			if (user) {
				hop.user = user;
			}
			return hop;
		});
}
