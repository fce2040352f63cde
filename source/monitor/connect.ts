import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RouterRecord } from '../flow/state.js';
import type { Translate } from '../i18n/index.js';
import type { RouterDriver } from '../router/driver.js';
import {
	createKnownHostsVerifier,
	HostKeyMismatchError,
	type OfferedHostKey,
	type PinnedHostKey,
} from '../router/host-keys.js';
import { HostKeyRejectedError, RouterSession, RouterSessionError } from '../router/session.js';
import { parseProxyJump } from '../router/ssh-config.js';
import type { SandboxRouterInfo } from '../sandbox/index.js';

/**
 * From a recorded router to an SSH session: resolve where to connect (a sandbox maps simulated
 * public addresses to 127.0.0.1 ports), decide which host keys to trust (the key pinned in the state
 * file, the sandbox's announced key, then known_hosts), and translate refusals for the user.
 */

export type RouterTarget = {
	name: string;
	vendor: string;
	/** Where SSH goes. */
	host: string;
	port: number;
	user: string;
	identity?: string;
	/** The router's own address (its public IP) when `host` is a sandbox mapping. */
	address: string;
	pinned?: PinnedHostKey;
	/** `ProxyJump` from ~/.ssh/config: `[user@]host[:port][,…]`. */
	proxyJump?: string;
};

export function resolveTargets(
	records: RouterRecord[],
	sandboxRouters: SandboxRouterInfo[] | undefined,
): RouterTarget[] {
	return records.map((record) => {
		const simulated = sandboxRouters?.find(
			(router) =>
				router.publicIp === record.host || (router.host === record.host && router.port === record.port),
		);
		if (simulated) {
			return {
				name: record.name,
				vendor: record.vendor,
				host: simulated.host,
				port: simulated.port,
				user: record.user,
				identity: record.identity ?? simulated.identity,
				address: record.host,
				// the sandbox told us its key over its own endpoint: pin it as for a router we created
				pinned: record.hostKey ?? simulated.hostKey,
			};
		}
		return {
			name: record.name,
			vendor: record.vendor,
			host: record.host,
			port: record.port,
			user: record.user,
			identity: record.identity,
			address: record.host,
			pinned: record.hostKey,
		};
	});
}

export type HostKeyPolicy = {
	knownHostsFile?: string;
	acceptNew?: boolean;
	/** Interactive: show the fingerprint and ask. */
	confirmUnknown?: (key: OfferedHostKey, target: RouterTarget) => Promise<boolean>;
	/** The passphrase of an encrypted private key, asked once (undefined when the key is not encrypted). */
	passphrase?: (target: RouterTarget, privateKey: Buffer) => Promise<string | undefined>;
	/** A key was accepted for the first time: pin it (state file). */
	onPinned?: (target: RouterTarget, key: PinnedHostKey) => void;
};

const verifiedKeys = new WeakMap<RouterSession, { type: string; raw: Buffer }>();

/** The host key this session verified when it last connected (for the `s` shell's known_hosts). */
export function verifiedHostKey(session: RouterSession): { type: string; raw: Buffer } | undefined {
	return verifiedKeys.get(session);
}

export function defaultKnownHosts(): string {
	return join(homedir(), '.ssh', 'known_hosts');
}

export async function openRouterSession(
	target: RouterTarget,
	driver: RouterDriver,
	policy: HostKeyPolicy,
	options: { commandTimeoutMs?: number; reconnect?: boolean } = {},
): Promise<RouterSession> {
	const knownHostsFile = policy.knownHostsFile ?? defaultKnownHosts();
	const verifier = createKnownHostsVerifier({
		knownHostsFiles: [knownHostsFile],
		pinned: target.pinned ? [target.pinned] : [],
		acceptNew: policy.acceptNew,
		confirmUnknown: policy.confirmUnknown
			? (key) => policy.confirmUnknown?.(key, target) ?? false
			: undefined,
		recordTo: policy.acceptNew ? knownHostsFile : undefined,
		onAccepted: (key) => policy.onPinned?.(target, { type: key.type, fingerprint: key.fingerprint }),
	});
	const privateKey = target.identity ? await readFile(target.identity) : undefined;
	const passphrase =
		privateKey && policy.passphrase ? await policy.passphrase(target, privateKey) : undefined;
	// ProxyJump hops (from ~/.ssh/config): each hop as the user's own ssh would reach it
	const proxyJump = target.proxyJump
		? parseProxyJump(target.proxyJump).map((hop) => ({
				host: hop.host,
				port: hop.port ?? 22,
				username: hop.user ?? target.user,
				...(privateKey ? { privateKey, ...(passphrase ? { passphrase } : {}) } : {}),
			}))
		: undefined;
	const session: RouterSession = new RouterSession({
		host: target.host,
		port: target.port,
		username: target.user,
		privateKey,
		...(passphrase ? { passphrase } : {}),
		...(proxyJump ? { proxyJump } : {}),
		driver,
		hostKeyVerifier: async (key, where) => {
			const accepted = await verifier(key, where);
			if (accepted) verifiedKeys.set(session, { type: key.type, raw: key.raw });
			if (accepted && !target.pinned)
				policy.onPinned?.(target, { type: key.type, fingerprint: key.fingerprint });
			return accepted;
		},
		commandTimeoutMs: options.commandTimeoutMs,
		reconnect: options.reconnect === false ? false : undefined,
	});
	return session;
}

/** A sentence for the user, in their language, for why a router could not be used. */
export function describeSessionError(t: Translate, target: RouterTarget, error: unknown): string {
	const where = target.port === 22 ? target.host : `${target.host}:${target.port}`;
	const mismatch =
		error instanceof HostKeyRejectedError && error.cause instanceof HostKeyMismatchError
			? error.cause
			: error instanceof HostKeyMismatchError
				? error
				: undefined;
	if (mismatch) {
		if (mismatch.status === 'unknown') {
			return t('monitor.hostKeyUnknown', { host: where, fingerprint: mismatch.fingerprint });
		}
		if (mismatch.status === 'revoked') return t('monitor.hostKeyRevoked', { host: where });
		return t('monitor.hostKeyChanged', {
			host: where,
			expected: mismatch.expectedFingerprints.join(', '),
			fingerprint: mismatch.fingerprint,
		});
	}
	const message =
		error instanceof RouterSessionError || error instanceof Error ? error.message : String(error);
	return t('monitor.unreachable', { router: target.name, host: target.host, port: target.port, message });
}
