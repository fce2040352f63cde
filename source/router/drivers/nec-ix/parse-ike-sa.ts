/**
 * `show ike sa` on NEC UNIVERGE IX (IKEv1; IKEv2 tunnels are `show ikev2 sa`) → `ike`.
 *
 * Layout (CONBU "IX 設定" notes via shared/fixtures/samples/nec_ix; NOTES.md):
 *   `ISAKMP SA - 1 configured, 1 created`
 *   `Local address is 192.168.3.106, port is 4500`
 *   `Remote address is 160.16.67.124, port is 4500`
 *   then indented `Key is value` lines: IKE policy name, Direction, Initiator's / Responder's cookie,
 *   `Exchange type is aggressive mode`, `NAT-Traversal RFC3947`, `NAT detected at local side`,
 *   `State is established`, `Encryption algorithm is aes-256`, `Hash algorithm is sha2-512`,
 *   `DH group is modp2048, lifetime is 2889 seconds`, `#ph1 …` / `#ph2 …` counters.
 * NAT traversal: `NAT detected …` / `NAT not detected` when printed, else port 4500 at either end.
 */
import type { IkeSa, IkeState, ParseResult } from '../../model.js';
import { visibleLineReader } from '../shared/clean-output.js';
import {
	dhGroupNumber,
	isIpAddress,
	isZeroHex,
	normaliseEncryption,
	normaliseIntegrity,
	parseInteger,
} from '../shared/field-values.js';
import { knownLines } from '../shared/known-lines.js';

// Hoisted: a regular expression literal makes a new RegExp object every time it is evaluated.
const NEGOTIATING_WORDS = /negotiat|wait|sent|init|larval|connecting/;
const DOWN_WORDS = /^(?:deleted|deleting|expired|dead|down)$/;
const ISAKMP_SA_CONFIGURED = /^ISAKMP SA - \d+ configured, \d+ created$/i;
const LOCAL_REMOTE_ADDRESS = /^(Local|Remote) address is (\S+), port is (\d{1,5})$/i;
const KEY_IS_VALUE = /^(.+?) is (.+)$/i;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
const DH_GROUP_LIFETIME = /^([\w-]+)(?:, lifetime is (\d+) seconds)?$/i;
const LIFETIME_SECONDS = /^(\d+) seconds$/i;
const NAT_DETECTED = /^NAT (not )?detected\b/i;

const isKnownLine = knownLines([
	/^IKE policy name is\b/i,
	/^Direction is (?:initiator|responder)$/i,
	/^Initiator's cookie is\b/i,
	/^Authentication method is\b/i,
	/^#ph[12]\b/i,
	/^NAT-Traversal\b/i,
	/^Local ID is\b/i,
	/^Remote ID is\b/i,
	/^Keepalive\b/i,
	/^DPD\b/i,
]);

/**
 * KEY_IS_VALUE's match as key and value: the key runs to the first ` is ` (any case) after the line's
 * first character with something after it. Found by a scan: the lazy expression, and lower-casing every
 * key, were the slowest steps on big outputs. A line holding a line terminator (which `.` does not
 * match) is left to the expression.
 */
function keyIsValue(trimmed: string): { key: string; value: string } | undefined {
	if (LINE_TERMINATOR.test(trimmed)) {
		const match = KEY_IS_VALUE.exec(trimmed);
		return match ? { key: match[1]!, value: match[2]! } : undefined;
	}
	const length = trimmed.length;
	let space = trimmed.indexOf(' ', 1);
	while (space >= 0 && space + 4 < length) {
		if (
			(trimmed.charCodeAt(space + 1) | 32) === 105 &&
			(trimmed.charCodeAt(space + 2) | 32) === 115 &&
			trimmed.charCodeAt(space + 3) === 32
		)
			return { key: trimmed.slice(0, space), value: trimmed.slice(space + 4) };
		space = trimmed.indexOf(' ', space + 1);
	}
	return undefined;
}

/**
 * `key?.toLowerCase() === wanted` for a lower-case ASCII `wanted`, without making the lower-case string:
 * ASCII letters in either case, and the Kelvin sign (U+212A), which lower-cases to `k`.
 */
function isKey(key: string | undefined, wanted: string): boolean {
	if (key === undefined || key.length !== wanted.length) return false;
	for (let index = 0; index < wanted.length; index += 1) {
		const want = wanted.charCodeAt(index);
		const code = key.charCodeAt(index);
		if (code === want) continue;
		if (want >= 97 && want <= 122 && code === want - 32) continue;
		if (want === 107 && code === 0x212a) continue;
		return false;
	}
	return true;
}

function stateOf(text: string): IkeState | undefined {
	const word = text.trim().toLowerCase();
	if (word === 'established' || word === 'mature') return 'established';
	if (NEGOTIATING_WORDS.test(word)) return 'negotiating';
	if (DOWN_WORDS.test(word)) return 'down';
	return undefined;
}

type Pending = {
	sa: Partial<IkeSa>;
	ports: number[];
	zeroResponderCookie?: boolean;
	natDetected?: boolean;
	lines: string[];
	understood: boolean;
};

function finish(pending: Pending): IkeSa | undefined {
	const { sa } = pending;
	if (sa.peer === undefined || sa.state === undefined) return undefined;
	const state: IkeState =
		sa.state === 'established' && pending.zeroResponderCookie ? 'negotiating' : sa.state;
	const result: IkeSa = { peer: sa.peer, state, version: 1 };
	if (sa.local !== undefined) result.local = sa.local;
	if (sa.encryption !== undefined) result.encryption = sa.encryption;
	if (sa.integrity !== undefined) result.integrity = sa.integrity;
	if (sa.dhGroup !== undefined) result.dhGroup = sa.dhGroup;
	if (sa.expiresInSeconds !== undefined) result.expiresInSeconds = sa.expiresInSeconds;
	if (pending.natDetected !== undefined) result.natTraversal = pending.natDetected;
	else if (pending.ports.length > 0) result.natTraversal = pending.ports.includes(4500);
	return result;
}

export function parseIkeSa(output: string): ParseResult {
	const lines = visibleLineReader(output);
	const ike: IkeSa[] = [];
	const unparsed: string[] = [];
	let pending: Pending | undefined;

	const close = () => {
		if (!pending) return;
		const sa = finish(pending);
		if (sa) ike.push(sa);
		else unparsed.push(...pending.lines);
		pending = undefined;
	};

	for (let line = lines.nextLine(); line !== undefined; line = lines.nextLine()) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		// The first letter (lower-cased) picks the patterns that can apply: IX prints ~19 lines an SA.
		const first = trimmed.charCodeAt(0) | 32;
		if (first === 105 && ISAKMP_SA_CONFIGURED.test(trimmed)) {
			close();
			continue;
		}
		const address = first === 108 || first === 114 ? LOCAL_REMOTE_ADDRESS.exec(trimmed) : null;
		if (address && isIpAddress(address[2]!)) {
			const isLocal = address[1]!.toLowerCase() === 'local';
			if (!pending || (isLocal ? pending.sa.local : pending.sa.peer) !== undefined) {
				close();
				pending = { sa: {}, ports: [], lines: [], understood: true };
			}
			pending.lines.push(line);
			if (isLocal) pending.sa.local = address[2]!;
			else pending.sa.peer = address[2]!;
			const port = parseInteger(address[3]);
			if (port !== undefined) pending.ports.push(port);
			continue;
		}
		if (!pending) {
			unparsed.push(line);
			continue;
		}
		pending.lines.push(line);
		const keyValue = trimmed.includes(' is ') ? keyIsValue(trimmed) : undefined;
		const key = keyValue?.key;
		const value = keyValue?.value ?? '';
		if (isKey(key, 'state')) {
			const state = stateOf(value);
			if (state) {
				pending.sa.state = state;
				continue;
			}
		} else if (isKey(key, "responder's cookie")) {
			pending.zeroResponderCookie = isZeroHex(value);
			continue;
		} else if (isKey(key, 'exchange type')) {
			continue;
		} else if (isKey(key, 'encryption algorithm')) {
			const encryption = normaliseEncryption(value);
			if (encryption !== undefined) pending.sa.encryption = encryption;
			continue;
		} else if (isKey(key, 'hash algorithm')) {
			const integrity = normaliseIntegrity(value);
			if (integrity !== undefined) pending.sa.integrity = integrity;
			continue;
		} else if (isKey(key, 'dh group')) {
			const dh = DH_GROUP_LIFETIME.exec(value);
			if (dh) {
				const dhGroup = dhGroupNumber(dh[1]);
				if (dhGroup !== undefined) pending.sa.dhGroup = dhGroup;
				const lifetime = parseInteger(dh[2]);
				if (lifetime !== undefined) pending.sa.expiresInSeconds = lifetime;
				continue;
			}
		} else if (isKey(key, 'lifetime')) {
			const lifetime = LIFETIME_SECONDS.exec(value);
			if (lifetime) {
				pending.sa.expiresInSeconds = Number(lifetime[1]);
				continue;
			}
		}
		const nat = NAT_DETECTED.exec(trimmed);
		if (nat) {
			pending.natDetected = nat[1] === undefined;
			continue;
		}
		if (isKnownLine(trimmed)) continue;
		pending.lines.pop();
		unparsed.push(line);
	}
	close();
	return { ike, unparsed };
}
