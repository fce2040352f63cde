/**
 * `show crypto ikev2 sa` on Cisco IOS / IOS-XE → `ike` (version 2).
 *
 * Layout (genieparser ShowCryptoIkev2Sa golden outputs, Cisco configuration guides):
 *   `IPv4 Crypto IKEv2 SA`
 *   `Tunnel-id Local                 Remote                fvrf/ivrf            Status`
 *   `1         66.66.66.1/500        66.66.66.2/500        none/none            READY`
 *   `      Encr: AES-CBC, keysize: 128, PRF: SHA1, Hash: SHA96, DH Grp:16, Auth sign: PSK, Auth verify: PSK`
 *   `      Life/Active Time: 86400/735 sec`
 * IPv6 SAs print `Tunnel-id fvrf/ivrf Status` rows with `Local addr/port` and `Remote addr/port` on lines
 * of their own. `detail` adds `Local spi: … Remote spi: …`, `NAT-T is (not) detected …` and more.
 * Status: READY = established, IN-NEG = negotiating, DELETE = down. The time left of an established SA
 * is lifetime minus active time; `Unknown - 0` algorithms (while negotiating) are left out; port 4500 at either end means NAT traversal (IOS only floats to 4500 behind NAT).
 */
import type { IkeSa, IkeState, ParseResult } from '../../model.js';
import { tokensOf, visibleLines } from '../shared/clean-output.js';
import {
	dhGroupNumber,
	isIpAddress,
	memoised,
	normaliseIntegrity,
	parseInteger,
} from '../shared/field-values.js';
import { knownLines } from '../shared/known-lines.js';
import { ikeEncryptionOf } from './algorithms.js';

// Hoisted: a regular expression literal makes a new RegExp object every time it is evaluated.
const ADDRESS_SLASH_PORT = /^([0-9a-f:.]+)\/(\d{1,5})$/i;
const ALGORITHM_FIELD = /^\s*([A-Za-z][\w /-]*?)\s*:\s*(\S.*?)\s*$/;
const NONE_WORD = /^none$/i;
const LOCAL_REMOTE_END = /^(Local|Remote)\s+(\S+)$/i;
const ENCR_LINE = /^Encr:/i;
const LIFE_ACTIVE_TIME = /^Life\/Active Time:\s*(\d+)\/(\d+)\s*sec$/i;
const LOCAL_REMOTE_SPI = /^Local spi:\s*[0-9a-f]+\s+Remote spi:\s*[0-9a-f]+$/i;
const NAT_T_DETECTED = /^NAT-T is (not )?detected/i;

const SECTION = /^(?:IPv4|IPv6) Crypto IKEv2\s+SA$/i;
const HEADER = /^Tunnel-id\s+(?:Local\s+Remote\s+)?fvrf\/ivrf\s+Status$/i;
/** Lines of `detail` read elsewhere or of no use to the status model. */
const isKnownDetail = knownLines([
	/^PQC Key Exchange:/i,
	/^CE id:/i,
	/^Status Description:/i,
	/^Local id:/i,
	/^Remote id:/i,
	/^Local req msg id:/i,
	/^Remote req msg id:/i,
	/^Local next msg id:/i,
	/^Remote next msg id:/i,
	/^Local req queued:/i,
	/^Remote req queued:/i,
	/^Local window:/i,
	/^Remote window:/i,
	/^DPD configured for/i,
	/^Fragmentation not configured\.?$/i,
	/^Dynamic Route Update:/i,
	/^Extended Authentication/i,
	/^Cisco Trust Security SGT/i,
	/^Initiator of SA\s*:/i,
	/^Remote subnets?:/i,
	/^Assigned host addr:/i,
	/^Quantum-safe Encryption/i,
	/^Post-quantum/i,
	/^IPv6 Crypto IKEv2\b/i,
]);

function stateOf(status: string): IkeState | undefined {
	const word = status.toUpperCase();
	if (word === 'READY') return 'established';
	if (word === 'IN-NEG' || word === 'IN-NEGOTIATION') return 'negotiating';
	if (word === 'DELETE' || word === 'DELETED') return 'down';
	return undefined;
}

/** `66.66.66.1/500`, `2001:DB8::1/4500` → address and port. */
function addressSlashPort(text: string): { address: string; port?: number } | undefined {
	const match = ADDRESS_SLASH_PORT.exec(text);
	if (!match || !isIpAddress(match[1]!)) return undefined;
	const port = parseInteger(match[2]);
	const result: { address: string; port?: number } = { address: match[1]! };
	if (port !== undefined) result.port = port;
	return result;
}

type Pending = { sa: Partial<IkeSa> & { state: IkeState }; ports: number[]; lines: string[] };

function finish(pending: Pending): IkeSa | undefined {
	const { sa } = pending;
	if (sa.peer === undefined) return undefined;
	const result: IkeSa = { peer: sa.peer, state: sa.state, version: 2 };
	if (sa.local !== undefined) result.local = sa.local;
	if (sa.encryption !== undefined) result.encryption = sa.encryption;
	if (sa.integrity !== undefined) result.integrity = sa.integrity;
	if (sa.dhGroup !== undefined) result.dhGroup = sa.dhGroup;
	if (sa.expiresInSeconds !== undefined) result.expiresInSeconds = sa.expiresInSeconds;
	if (sa.natTraversal !== undefined) result.natTraversal = sa.natTraversal;
	else if (pending.ports.length > 0) result.natTraversal = pending.ports.includes(4500);
	return result;
}

type Algorithms = Pick<IkeSa, 'encryption' | 'integrity' | 'dhGroup'>;

/**
 * `Encr: AES-CBC, keysize: 128, PRF: SHA1, Hash: SHA96, DH Grp:16, …` → the SA's algorithms, or
 * undefined without `Encr`. Every SA of a router usually prints the same line: answers are remembered.
 */
const algorithmsOf = memoised(readAlgorithmsLine);
function readAlgorithmsLine(text: string): Algorithms | undefined {
	const fields = new Map<string, string>();
	for (const part of text.split(',')) {
		const match = ALGORITHM_FIELD.exec(part);
		if (match) fields.set(match[1]!.toLowerCase(), match[2]!);
	}
	if (!fields.has('encr')) return undefined;
	const algorithms: Algorithms = {};
	const encryption = ikeEncryptionOf(fields.get('encr'), fields.get('keysize'));
	if (encryption !== undefined) algorithms.encryption = encryption;
	const hash = fields.get('hash');
	const integrity = hash === undefined || NONE_WORD.test(hash) ? undefined : normaliseIntegrity(hash);
	if (integrity !== undefined) algorithms.integrity = integrity;
	const dhGroup = dhGroupNumber(fields.get('dh grp'));
	if (dhGroup !== undefined) algorithms.dhGroup = dhGroup;
	return algorithms;
}

function readAlgorithms(text: string, sa: Partial<IkeSa>): boolean {
	const algorithms = algorithmsOf(text);
	if (algorithms === undefined) return false;
	if (algorithms.encryption !== undefined) sa.encryption = algorithms.encryption;
	if (algorithms.integrity !== undefined) sa.integrity = algorithms.integrity;
	if (algorithms.dhGroup !== undefined) sa.dhGroup = algorithms.dhGroup;
	return true;
}

export function parseIkev2Sa(output: string): ParseResult {
	const lines = visibleLines(output);
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

	for (const line of lines) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		if (SECTION.test(trimmed) || HEADER.test(trimmed)) {
			close();
			continue;
		}
		// Only a row starts with a digit (its Tunnel-id): other lines are not split into tokens.
		const first = trimmed.charCodeAt(0);
		const tokens = first >= 48 && first <= 57 ? tokensOf(trimmed) : [];
		const status = stateOf(tokens.at(-1) ?? '');
		if (
			parseInteger(tokens[0]) !== undefined &&
			status !== undefined &&
			(tokens.length === 3 || tokens.length === 5)
		) {
			close();
			pending = { sa: { state: status }, ports: [], lines: [line] };
			if (tokens.length === 5) {
				const local = addressSlashPort(tokens[1]!);
				const remote = addressSlashPort(tokens[2]!);
				if (!local || !remote) {
					pending.lines = [];
					pending = undefined;
					unparsed.push(line);
					continue;
				}
				pending.sa.local = local.address;
				pending.sa.peer = remote.address;
				for (const end of [local, remote]) if (end.port !== undefined) pending.ports.push(end.port);
			}
			continue;
		}
		if (pending) {
			pending.lines.push(line);
			const end = LOCAL_REMOTE_END.exec(trimmed);
			const address = end ? addressSlashPort(end[2]!) : undefined;
			if (end && address) {
				if (end[1]!.toLowerCase() === 'local') pending.sa.local = address.address;
				else pending.sa.peer = address.address;
				if (address.port !== undefined) pending.ports.push(address.port);
				continue;
			}
			if (ENCR_LINE.test(trimmed) && readAlgorithms(trimmed, pending.sa)) continue;
			const life = LIFE_ACTIVE_TIME.exec(trimmed);
			if (life) {
				const lifetime = Number(life[1]);
				const active = Number(life[2]);
				if (lifetime >= active && pending.sa.state === 'established')
					pending.sa.expiresInSeconds = lifetime - active;
				continue;
			}
			if (LOCAL_REMOTE_SPI.test(trimmed)) continue;
			const nat = NAT_T_DETECTED.exec(trimmed);
			if (nat) {
				pending.sa.natTraversal = nat[1] === undefined;
				continue;
			}
			if (isKnownDetail(trimmed)) continue;
			pending.lines.pop();
		}
		unparsed.push(line);
	}
	close();
	return { ike, unparsed };
}
