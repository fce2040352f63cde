/**
 * SSH host key verification as OpenSSH does it: known_hosts files (plain, `[host]:port`, hashed,
 * wildcard and negated patterns, `@revoked`) plus keys pinned in the state file.
 * Everything but `verifyHostKey` (reads files) and `appendKnownHost` (writes one) is pure.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
	closeSync,
	fsyncSync,
	mkdirSync,
	openSync,
	readFileSync,
	readSync,
	statSync,
	writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** Which host names an entry covers: a hashed name, or a comma-separated pattern list. */
export type KnownHostNames =
	| { kind: 'hashed'; salt: Buffer; hash: Buffer }
	| { kind: 'patterns'; patterns: string[] };

export type KnownHostEntry = {
	file?: string;
	/** 1-based line number in its file. */
	line: number;
	marker?: 'revoked' | 'cert-authority';
	names: KnownHostNames;
	/** The key type as written on the line, e.g. `ssh-ed25519`. */
	keyType: string;
	key: Buffer;
};

export type KnownHostsParseResult = {
	entries: KnownHostEntry[];
	/** Lines skipped, and why (malformed lines, `@cert-authority` lines we do not use). */
	notes: string[];
};

export type HostKeyQuery = {
	host: string;
	port?: number;
	key: { type: string; raw: Buffer };
};

export type PinnedHostKey = { type: string; fingerprint: string };

export type HostKeyStatus =
	| { status: 'known' }
	| { status: 'unknown'; fingerprint: string }
	| { status: 'changed'; fingerprint: string; expectedFingerprints: string[] }
	| { status: 'revoked' };

/** `SHA256:` and the unpadded base64 digest of the key blob: what `ssh-keygen -lf` prints. */
export function fingerprintSha256(rawKey: Buffer): string {
	return `SHA256:${createHash('sha256').update(rawKey).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (its first string), or `undefined` if malformed. */
export function keyTypeOf(rawKey: Buffer): string | undefined {
	if (rawKey.length < 4) {
		return undefined;
	}
	const length = rawKey.readUInt32BE(0);
	if (length === 0 || length > 64 || 4 + length > rawKey.length) {
		return undefined;
	}
	const type = rawKey.subarray(4, 4 + length).toString('latin1');
	return /^[\w@.-]+$/.test(type) ? type : undefined;
}

/** The name OpenSSH looks up in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port = 22): string {
	const name = host.toLowerCase();
	return port === 22 ? name : `[${name}]:${port}`;
}

/** A hashed known_hosts name, `|1|salt|hash` (HMAC-SHA1 of the name keyed by the salt). */
export function hashKnownHostName(name: string, salt: Buffer = randomBytes(20)): string {
	const hash = createHmac('sha1', salt).update(name).digest();
	return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

function parseNames(field: string): KnownHostNames | undefined {
	if (field.startsWith('|1|')) {
		const [salt, hash] = field.slice(3).split('|');
		if (!salt || !hash) {
			return undefined;
		}
		return { kind: 'hashed', salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
	}
	if (field.startsWith('|')) {
		return undefined; // an unknown hash scheme
	}
	return { kind: 'patterns', patterns: field.split(',').filter((pattern) => pattern !== '') };
}

/** Parses known_hosts text. Malformed lines are skipped with a note, as OpenSSH skips them. */
export function parseKnownHosts(text: string, file?: string): KnownHostsParseResult {
	const entries: KnownHostEntry[] = [];
	const notes: string[] = [];
	const where = (line: number) => `${file ?? 'known_hosts'}:${line}`;
	text.split(/\r?\n/).forEach((content, index) => {
		const lineNumber = index + 1;
		const trimmed = content.trim();
		if (trimmed === '' || trimmed.startsWith('#')) {
			return;
		}
		const fields = trimmed.split(/[ \t]+/);
		let marker: KnownHostEntry['marker'];
		if (fields[0]?.startsWith('@')) {
			const name = fields.shift();
			if (name === '@revoked') {
				marker = 'revoked';
			} else if (name === '@cert-authority') {
				marker = 'cert-authority';
			} else {
				notes.push(`${where(lineNumber)}: unknown marker ${name}; line ignored`);
				return;
			}
		}
		const [namesField, keyType, keyBase64] = fields;
		const names = namesField === undefined ? undefined : parseNames(namesField);
		if (!names || !keyType || !keyBase64) {
			notes.push(`${where(lineNumber)}: not a known_hosts entry; line ignored`);
			return;
		}
		const key = Buffer.from(keyBase64, 'base64');
		const blobType = keyTypeOf(key);
		if (
			blobType === undefined ||
			key.toString('base64').replace(/=+$/, '') !== keyBase64.replace(/=+$/, '')
		) {
			notes.push(
				`${where(lineNumber)}: not a known_hosts entry (no valid ${keyType} key data); line ignored`,
			);
			return;
		}
		if (marker === 'cert-authority') {
			notes.push(
				`${where(lineNumber)}: @cert-authority entries are not used (host certificates are not supported); line ignored`,
			);
		}
		entries.push({ ...(file === undefined ? {} : { file }), line: lineNumber, marker, names, keyType, key });
	});
	return { entries, notes };
}

/** OpenSSH `match_pattern`: `*` any run of characters, `?` exactly one; everything else literal. */
export function matchesWildcard(text: string, pattern: string): boolean {
	let regex = '^';
	for (const char of pattern) {
		regex += char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
	}
	return new RegExp(`${regex}$`, 's').test(text);
}

/**
 * OpenSSH `match_pattern_list`: 1 if a positive pattern matches and no negated one does,
 * -1 if a negated pattern matches, 0 otherwise. Case-insensitive (as for host names) unless told.
 */
export function matchPatternList(text: string, patterns: string[], ignoreCase = true): -1 | 0 | 1 {
	const subject = ignoreCase ? text.toLowerCase() : text;
	let positive = false;
	for (const raw of patterns) {
		const negated = raw.startsWith('!');
		const bare = negated ? raw.slice(1) : raw;
		const pattern = ignoreCase ? bare.toLowerCase() : bare;
		if (matchesWildcard(subject, pattern)) {
			if (negated) {
				return -1;
			}
			positive = true;
		}
	}
	return positive ? 1 : 0;
}

/** Whether an entry's names cover the lookup name (`host` or `[host]:port`, see `knownHostName`). */
export function entryMatchesHost(entry: Pick<KnownHostEntry, 'names'>, lookupName: string): boolean {
	if (entry.names.kind === 'hashed') {
		const hash = createHmac('sha1', entry.names.salt).update(lookupName).digest();
		return hash.equals(entry.names.hash);
	}
	return matchPatternList(lookupName, entry.names.patterns) === 1;
}

/** Decides a host key's status from parsed entries and pinned keys. Pure. */
export function checkHostKey(
	query: HostKeyQuery,
	entries: readonly KnownHostEntry[],
	pinned: readonly PinnedHostKey[] = [],
): HostKeyStatus {
	const lookupName = knownHostName(query.host, query.port);
	const type = keyTypeOf(query.key.raw) ?? query.key.type;
	const fingerprint = fingerprintSha256(query.key.raw);
	const matching = entries.filter(
		(entry) => entry.marker !== 'cert-authority' && entryMatchesHost(entry, lookupName),
	);
	if (matching.some((entry) => entry.marker === 'revoked' && entry.key.equals(query.key.raw))) {
		return { status: 'revoked' };
	}
	const plain = matching.filter((entry) => entry.marker === undefined);
	const pinnedOfType = pinned.filter((pin) => pin.type === type);
	if (
		plain.some((entry) => entry.key.equals(query.key.raw)) ||
		pinnedOfType.some((pin) => pin.fingerprint === fingerprint)
	) {
		return { status: 'known' };
	}
	// A host known only under other key types is "unknown" for this type, as in OpenSSH.
	const expected = [
		...plain
			.filter((entry) => (keyTypeOf(entry.key) ?? entry.keyType) === type)
			.map((entry) => fingerprintSha256(entry.key)),
		...pinnedOfType.map((pin) => pin.fingerprint),
	];
	if (expected.length > 0) {
		return { status: 'changed', fingerprint, expectedFingerprints: [...new Set(expected)] };
	}
	return { status: 'unknown', fingerprint };
}

/** Reads a known_hosts file; a missing one is simply empty. */
export function readKnownHostsFile(file: string): KnownHostsParseResult {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return { entries: [], notes: [] };
		}
		throw error;
	}
	return parseKnownHosts(text, file);
}

/**
 * Verifies a host key against known_hosts files (missing files count as empty) and pinned keys.
 * Synchronous: the files are small and callers often run inside an SSH handshake callback.
 */
export function verifyHostKey(
	query: HostKeyQuery,
	options: { knownHostsFiles: string[]; pinned?: PinnedHostKey[] },
): HostKeyStatus {
	const entries = options.knownHostsFiles.flatMap((file) => readKnownHostsFile(file).entries);
	return checkHostKey(query, entries, options.pinned);
}

/** The known_hosts line for a key, e.g. `[10.0.0.1]:2222 ssh-ed25519 AAAA…`. */
export function knownHostLine(
	host: string,
	port: number,
	type: string,
	base64: string,
	options: { hash?: boolean } = {},
): string {
	const name = knownHostName(host, port);
	return `${options.hash ? hashKnownHostName(name) : name} ${type} ${base64}`;
}

/**
 * Appends a host key to a known_hosts file, creating its directory (0700) and the file (0600) if
 * missing. The line goes out in one `O_APPEND` write, so concurrent appenders never interleave.
 */
export function appendKnownHost(
	file: string,
	host: string,
	port: number,
	type: string,
	base64: string,
	options: { hash?: boolean } = {},
): void {
	if (!/^[\w@.-]+$/.test(type) || !/^[A-Za-z0-9+/]+=*$/.test(base64)) {
		throw new Error(`refusing to write a malformed host key for ${host} to ${file}`);
	}
	mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
	let needsNewline = false;
	try {
		const size = statSync(file).size;
		if (size > 0) {
			const last = Buffer.alloc(1);
			const descriptor = openSync(file, 'r');
			try {
				readSync(descriptor, last, 0, 1, size - 1);
			} finally {
				closeSync(descriptor);
			}
			needsNewline = last[0] !== 0x0a;
		}
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
			throw error;
		}
	}
	const line = `${needsNewline ? '\n' : ''}${knownHostLine(host, port, type, base64, options)}\n`;
	const descriptor = openSync(file, 'a', 0o600);
	try {
		writeSync(descriptor, line);
		fsyncSync(descriptor);
	} finally {
		closeSync(descriptor);
	}
}

/** What a session's host key verifier receives: the offered key and the host it is meant to belong to. */
export type OfferedHostKey = { type: string; fingerprint: string; raw: Buffer };
export type HostKeyTarget = { host: string; port: number };
/** Accepts (true) or refuses (false, or throws an Error that explains why) a host key. May prompt the user. */
export type HostKeyVerifier = (key: OfferedHostKey, target: HostKeyTarget) => boolean | Promise<boolean>;

/** Why `createKnownHostsVerifier` refused a key; the message names the host and the fingerprints. */
export class HostKeyMismatchError extends Error {
	override readonly name = 'HostKeyMismatchError';
	constructor(
		readonly status: 'unknown' | 'changed' | 'revoked',
		readonly host: string,
		readonly port: number,
		readonly fingerprint: string,
		readonly expectedFingerprints: string[],
		message: string,
	) {
		super(message);
	}
}

function describeTarget({ host, port }: HostKeyTarget): string {
	return port === 22 ? host : `${host} port ${port}`;
}

/**
 * A verifier for `RouterSession`: known_hosts files and pinned keys decide; an unknown key is
 * accepted only with `acceptNew` (OpenSSH `accept-new`) or when `confirmUnknown` says yes, and is then
 * recorded in `recordTo` (and reported to `onAccepted`, e.g. to pin it in the state file).
 * A changed or revoked key is always refused.
 */
export function createKnownHostsVerifier(options: {
	knownHostsFiles: string[];
	pinned?: PinnedHostKey[];
	acceptNew?: boolean;
	confirmUnknown?: (key: OfferedHostKey, target: HostKeyTarget) => boolean | Promise<boolean>;
	recordTo?: string;
	onAccepted?: (key: OfferedHostKey, target: HostKeyTarget) => void;
}): HostKeyVerifier {
	return async (key, target) => {
		const result = verifyHostKey(
			{ host: target.host, port: target.port, key },
			{ knownHostsFiles: options.knownHostsFiles, pinned: options.pinned ?? [] },
		);
		const where = describeTarget(target);
		switch (result.status) {
			case 'known':
				return true;
			case 'revoked':
				throw new HostKeyMismatchError(
					'revoked',
					target.host,
					target.port,
					key.fingerprint,
					[],
					`The host key of ${where} (${key.fingerprint}) is marked @revoked in known_hosts: refusing to connect.`,
				);
			case 'changed':
				throw new HostKeyMismatchError(
					'changed',
					target.host,
					target.port,
					key.fingerprint,
					result.expectedFingerprints,
					`WARNING: the host key of ${where} has changed. It offered ${key.fingerprint} but ${result.expectedFingerprints.join(', ')} was expected. ` +
						`Someone may be intercepting the connection, or the router was reinstalled. If you are sure the change is legitimate, remove the old key (ssh-keygen -R '${knownHostName(target.host, target.port)}') and connect again.`,
				);
			case 'unknown': {
				const accepted =
					options.acceptNew === true ||
					(options.confirmUnknown ? await options.confirmUnknown(key, target) : false);
				if (!accepted) {
					throw new HostKeyMismatchError(
						'unknown',
						target.host,
						target.port,
						key.fingerprint,
						[],
						`The host key of ${where} is not known (${key.type} ${key.fingerprint}). ` +
							'Check the fingerprint with the router administrator, then confirm it interactively or pass --accept-new-host-key.',
					);
				}
				if (options.recordTo) {
					appendKnownHost(options.recordTo, target.host, target.port, key.type, key.raw.toString('base64'));
				}
				options.onAccepted?.(key, target);
				return true;
			}
		}
	};
}
