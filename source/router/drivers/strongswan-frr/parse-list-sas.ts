/**
 * `swanctl --list-sas` (strongSwan 5.x–6.x) → `ike` + `ipsec`.
 *
 * Layout: the printf formats of strongswan/strongswan src/swanctl/commands/list_sas.c, checked against
 * docs.strongswan.org examples, VyOS and rancher issue captures, RA-server and SRX write-ups
 * (shared/fixtures/samples/linux_strongswan_frr, samples-b/strongswan; NOTES.md, lab-notes.md):
 *   `name: #1, ESTABLISHED, IKEv2, 6fd55d95f66b4a67_i* cea64d4a303e0ca2_r` (old: `spi_i:spi_r`)
 *   `  local  'id' @ 192.168.0.100[4500] [virtual IPs]` / `  remote 'id' @ 192.168.0.1[4500] [EAP: …]`
 *   `  AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519`
 *   `  established 1s ago, rekeying in 14043s[, reauth in Ns][, expires in Ns]`
 *   `  queued:` / `active:` / `passive:` task lines, then per CHILD_SA
 *   `  net: #1, reqid 1, INSTALLED, TUNNEL[-in-UDP], ESP:AES_GCM_16-128[/…/MODP_2048]`
 *   `    installed 1s ago, rekeying in 3397s, expires in 3959s`
 *   `    in  c8931e89[/cpi][ (marks)],     84 bytes,     1 packets[,     0s ago]` / `    out …`
 *   `    local  10.0.0.0/16` / `    remote 10.1.0.0/16` (traffic selectors).
 * IKE state: ESTABLISHED / REKEYING / REKEYED / PASSIVE = established, CREATED / CONNECTING =
 * negotiating, DELETING / DESTROYING = down. CHILD state: INSTALLED / REKEYING / REKEYED / UPDATING = up,
 * others down. `expiresInSeconds` = `expires in` when printed, else the time until the SA is replaced
 * (`rekeying in` / `reauth in`). NAT traversal = some CHILD_SA is UDP-encapsulated (`-in-UDP`): ports
 * prove nothing (MOBIKE moves to 4500 without NAT; the lab's libipsec always encapsulates). The order of
 * SAs is not the configuration order: key tunnels by peer address.
 */
import type { IkeSa, IkeState, IpsecSa, ParseResult } from '../../model.js';
import { visibleLines } from '../shared/clean-output.js';
import {
	dhGroupNumber,
	isIpAddress,
	memoised,
	normaliseEncryption,
	normaliseIntegrity,
	normaliseSpi,
	ownValue,
	parseInteger,
} from '../shared/field-values.js';
import { knownLines } from '../shared/known-lines.js';

// Hoisted: a regular expression literal makes a new RegExp object every time it is evaluated.
const ALGORITHM_LIST = /^[A-Z0-9_-]+(?:\/[A-Z0-9_-]+)*$/;
const NOT_ENCRYPTION = /^(?:PRF_|KE\d_|ESN|NO_EXT_SEQ)/;
const INTEGRITY_ALGORITHM = /^(?:HMAC_|AES_XCBC|AES_CMAC|AES_\d+_GMAC)/;
const SECONDS_PREFIX = /^(\d+)s/;

const IKE_HEADER = /^(\S+): #(\d+), ([A-Z_]+), IKEv([12]), (?:\S+_i\*? \S+_r\*?|[0-9a-f]+:[0-9a-f]+)$/;
const CHILD_HEADER =
	/^(\S+): #(\d+), reqid (\d+), ([A-Z_]+), (TUNNEL|TRANSPORT|BEET|PASS|DROP)(-in-UDP)?, (?:(ESP|AH|IPCOMP):(\S*))?$/;
const ENDPOINT = /^(local|remote)\s+'(.*)'\s+@\s+(\S+?)(?:\[(\d{1,5})\])?(?:\s+.*)?$/;
const TIMES = /^(established|installed) (\d+)s ago((?:, (?:rekeying|reauth|expires) in -?\d+s)*)$/;
const TRAFFIC =
	/^(in|out)\s+([0-9a-f]{1,8})(?:\/[0-9a-f]+)?(?:\s+\([^)]*\))?,\s*(\d+) bytes,\s*(\d+) packets(?:,\s*\d+s ago)?$/;
const isKnownLine = knownLines([
	/^IKE_SAs: \d+ total, \d+ half-open$/,
	/^(?:queued|active|passive):\s/,
	/^(?:local|remote)\s+[^']+$/,
]);

const IKE_STATES: Record<string, IkeState> = {
	ESTABLISHED: 'established',
	REKEYING: 'established',
	REKEYED: 'established',
	PASSIVE: 'established',
	CREATED: 'negotiating',
	CONNECTING: 'negotiating',
	DELETING: 'down',
	DESTROYING: 'down',
};
const CHILD_UP = new Set(['INSTALLED', 'REKEYING', 'REKEYED', 'UPDATING']);

type Algorithms = { encryption?: string; integrity?: string; dhGroup?: number };

/** `AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519`, `AES_GCM_16-256/…/KE1_KYBER_L3`. */
/** Proposals repeat on every SA: remembered. */
const algorithmsOf = memoised(readAlgorithms);

function readAlgorithms(proposal: string): Algorithms | undefined {
	if (!ALGORITHM_LIST.test(proposal)) return undefined;
	const result: Algorithms = {};
	for (const part of proposal.split('/')) {
		if (NOT_ENCRYPTION.test(part)) continue;
		if (INTEGRITY_ALGORITHM.test(part)) {
			result.integrity ??= normaliseIntegrity(part);
			continue;
		}
		const group = dhGroupNumber(part);
		if (group !== undefined) {
			result.dhGroup ??= group;
			continue;
		}
		result.encryption ??= normaliseEncryption(part);
	}
	return result;
}

function secondsAfter(text: string, word: string): number | undefined {
	const at = text.indexOf(`${word} in `);
	if (at < 0) return undefined;
	const match = SECONDS_PREFIX.exec(text.slice(at + word.length + 4));
	return match ? parseInteger(match[1]) : undefined;
}

function timesOf(text: string): { rekey?: number; reauth?: number; expires?: number } {
	const times: { rekey?: number; reauth?: number; expires?: number } = {};
	const rekey = secondsAfter(text, 'rekeying');
	if (rekey !== undefined) times.rekey = rekey;
	const reauth = secondsAfter(text, 'reauth');
	if (reauth !== undefined) times.reauth = reauth;
	const expires = secondsAfter(text, 'expires');
	if (expires !== undefined) times.expires = expires;
	return times;
}

function timeLeft(times: { rekey?: number; reauth?: number; expires?: number }): number | undefined {
	if (times.expires !== undefined) return times.expires;
	const replaced = [times.rekey, times.reauth].filter((value): value is number => value !== undefined);
	return replaced.length === 0 ? undefined : Math.min(...replaced);
}

type Child = { sa: IpsecSa; encapsulated: boolean };
type Ike = {
	state: IkeState;
	version: 1 | 2;
	local?: string;
	peer?: string;
	algorithms?: Algorithms;
	expires?: number;
	children: Child[];
	lines: string[];
};

function finishIke(ike: Ike, out: { ike: IkeSa[]; ipsec: IpsecSa[] }): boolean {
	if (ike.peer === undefined) return false;
	const sa: IkeSa = { peer: ike.peer, state: ike.state, version: ike.version };
	if (ike.local !== undefined) sa.local = ike.local;
	if (ike.algorithms?.encryption !== undefined) sa.encryption = ike.algorithms.encryption;
	if (ike.algorithms?.integrity !== undefined) sa.integrity = ike.algorithms.integrity;
	if (ike.algorithms?.dhGroup !== undefined) sa.dhGroup = ike.algorithms.dhGroup;
	if (ike.expires !== undefined) sa.expiresInSeconds = ike.expires;
	if (ike.children.length > 0) sa.natTraversal = ike.children.some((child) => child.encapsulated);
	out.ike.push(sa);
	for (const child of ike.children) {
		child.sa.peer = ike.peer;
		out.ipsec.push(child.sa);
	}
	return true;
}

type Context = { ike: Ike; child: Child | undefined };

/** One line inside an IKE_SA block, dispatched on its first word; false when not understood. */
function readSaLine(context: Context, trimmed: string, head: string): boolean {
	const { ike } = context;
	switch (head) {
		case 'local':
		case 'remote': {
			if (!trimmed.includes("'")) return true; // a CHILD_SA's traffic selectors
			const endpoint = context.child ? undefined : ENDPOINT.exec(trimmed);
			if (!endpoint || !isIpAddress(endpoint[3]!)) return false;
			if (endpoint[1] === 'local') ike.local = endpoint[3]!;
			else ike.peer = endpoint[3]!;
			return true;
		}
		case 'established':
		case 'installed': {
			const times = TIMES.exec(trimmed);
			if (!times || (head === 'installed') !== (context.child !== undefined)) return false;
			const left = timeLeft(timesOf(times[3]!));
			if (left !== undefined) {
				if (context.child) context.child.sa.expiresInSeconds = left;
				else ike.expires = left;
			}
			return true;
		}
		case 'in':
		case 'out': {
			const traffic = context.child ? TRAFFIC.exec(trimmed) : undefined;
			if (!traffic || !context.child) return false;
			const { sa } = context.child;
			const spi = normaliseSpi(traffic[2]);
			const bytes = parseInteger(traffic[3]);
			const packets = parseInteger(traffic[4]);
			if (head === 'in') {
				if (spi !== undefined) sa.spiIn = spi;
				if (bytes !== undefined) sa.bytesIn = bytes;
				if (packets !== undefined) sa.packetsIn = packets;
			} else {
				if (spi !== undefined) sa.spiOut = spi;
				if (bytes !== undefined) sa.bytesOut = bytes;
				if (packets !== undefined) sa.packetsOut = packets;
			}
			return true;
		}
		default:
			break;
	}
	if (head.endsWith(':') && trimmed.includes(', reqid ')) {
		const childHeader = CHILD_HEADER.exec(trimmed);
		if (!childHeader) return false;
		const sa: IpsecSa = {
			peer: '',
			tunnel: childHeader[1]!,
			state: CHILD_UP.has(childHeader[4]!) ? 'up' : 'down',
		};
		const algorithms = childHeader[8] ? algorithmsOf(childHeader[8]) : undefined;
		if (algorithms?.encryption !== undefined) sa.encryption = algorithms.encryption;
		if (algorithms?.integrity !== undefined) sa.integrity = algorithms.integrity;
		context.child = { sa, encapsulated: childHeader[6] !== undefined };
		ike.children.push(context.child);
		return true;
	}
	const algorithms = context.child || head !== trimmed ? undefined : algorithmsOf(trimmed);
	if (algorithms) {
		ike.algorithms = algorithms;
		return true;
	}
	return isKnownLine(trimmed);
}

export function parseListSas(output: string): ParseResult {
	const lines = visibleLines(output);
	const out = { ike: [] as IkeSa[], ipsec: [] as IpsecSa[] };
	const unparsed: string[] = [];
	let context: Context | undefined;

	const close = () => {
		if (context && !finishIke(context.ike, out)) for (const line of context.ike.lines) unparsed.push(line);
		context = undefined;
	};

	for (const line of lines) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		const space = trimmed.indexOf(' ');
		const head = space < 0 ? trimmed : trimmed.slice(0, space);
		if (head.endsWith(':') && trimmed.includes(', IKEv')) {
			const header = IKE_HEADER.exec(trimmed);
			const state = header ? ownValue(IKE_STATES, header[3]!) : undefined;
			if (header && state) {
				close();
				context = {
					ike: { state, version: header[4] === '1' ? 1 : 2, children: [], lines: [line] },
					child: undefined,
				};
				continue;
			}
		}
		if (!context) {
			if (!isKnownLine(trimmed)) unparsed.push(line);
			continue;
		}
		if (readSaLine(context, trimmed, head)) context.ike.lines.push(line);
		else unparsed.push(line);
	}
	close();
	return { ike: out.ike, ipsec: out.ipsec, unparsed };
}
