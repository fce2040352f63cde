/**
 * `show ipsec sa` (also `show ipsec sa gateway N [detail]`) on Yamaha RTX → `ike` + `ipsec`.
 *
 * Layouts (shared/fixtures/samples{,-b}/yamaha_rtx, two GitHub write-ups; NOTES.md):
 * - current firmware: `Total: isakmp:3 send:3 recv:3`, header `sa sgw isakmp connection dir life[s]
 *   remote-id`, dashes, rows `1 1 - isakmp - 21398 203.0.113.1` (`ike` on some releases) and
 *   `2 1 1 tun[0001]esp send 21399 203.0.113.1` (tunnel 1's ESP SA, send or recv).
 * - `gateway N` on older firmware: `sgw flags local-id remote-id # of sa`, rows `1 U K <local> <remote>
 *   i:2 s:1 r:1` (counts of ISAKMP, send and receive SAs, no SPIs).
 * - `detail` (and old firmware's plain `show ipsec sa`): blocks `SA[n] Duration: Ns`, `Local ID:`,
 *   `Remote ID:`, [`Direction: send|receive`], `Protocol: IKE|ESP (Mode: tunnel)`, `Algorithm:`,
 *   `SPI: a6 67 47 47` (hex bytes; 16 for IKE = the cookie pair), `Key: …`, dashes — in English, or with
 *   the Japanese console: `SA[5] 寿命: 126秒`, `相手ホスト: A, 送受信方向: 送信|受信|送受信`, `プロトコル:`,
 *   `アルゴリズム: DES-CBC (認証: none)`, `鍵 :`.
 * Duration / 寿命 / life[s] are the SA's remaining lifetime. The peer is the remote ID as printed (an
 * address in the usual configurations). ESP SAs are paired send with receive per peer (and tunnel).
 */
import type { IkeSa, IpsecSa, ParseResult } from '../../model.js';
import { isRule, tokensOf, visibleLines } from '../shared/clean-output.js';
import { isIpAddress, ownValue, parseInteger, spiFromHexBytes } from '../shared/field-values.js';
import { knownLines } from '../shared/known-lines.js';
import { type DirectionalSa, pairSas } from '../shared/sa-pairs.js';
import { yamahaAlgorithms } from './algorithms.js';

type Group = { peer: string; tunnel?: string; inbound: DirectionalSa[]; outbound: DirectionalSa[] };

/** Gathers IKE SAs, ESP SAs per peer and tunnel (paired at the end), and pairs already summarised. */
class Collector {
	readonly ike: IkeSa[] = [];
	readonly #groups = new Map<string, Group>();
	readonly #summarised: IpsecSa[] = [];

	addEsp(peer: string, tunnel: string | undefined, direction: 'in' | 'out', sa: DirectionalSa): void {
		const key = `${peer}\u0000${tunnel ?? ''}`;
		const group = this.#groups.get(key) ?? { peer, tunnel, inbound: [], outbound: [] };
		this.#groups.set(key, group);
		(direction === 'in' ? group.inbound : group.outbound).push(sa);
	}

	addSummarised(entry: IpsecSa): void {
		this.#summarised.push(entry);
	}

	ipsec(): IpsecSa[] {
		const entries = [...this.#summarised];
		for (const group of this.#groups.values()) {
			for (const sa of pairSas(group, group.inbound, group.outbound)) entries.push(sa);
		}
		return entries;
	}
}

type Block = {
	lines: string[];
	seconds?: number;
	local?: string;
	remote?: string;
	direction?: 'in' | 'out' | 'both';
	protocol?: 'ike' | 'esp';
	algorithm?: string;
	spi?: string;
};

const DETAIL_KEYS: Record<string, keyof Block | 'ignored'> = {
	'local id': 'local',
	'remote id': 'remote',
	相手ホスト: 'remote',
	direction: 'direction',
	送受信方向: 'direction',
	protocol: 'protocol',
	プロトコル: 'protocol',
	algorithm: 'algorithm',
	アルゴリズム: 'algorithm',
	spi: 'spi',
	key: 'ignored',
	鍵: 'ignored',
};

function directionOf(text: string): Block['direction'] {
	const word = text.trim().toLowerCase();
	if (word === 'send' || word === '送信') return 'out';
	if (word === 'receive' || word === 'recv' || word === '受信') return 'in';
	if (word === 'both' || word === '送受信') return 'both';
	return undefined;
}

/** `相手ホスト: 192.0.2.1, 送受信方向: 送信` holds two fields on one line. */
function fieldsOf(line: string): [string, string][] | undefined {
	const fields: [string, string][] = [];
	for (const part of line.trim().split(/,\s+(?=\S+\s*:)/)) {
		const match = /^([^:]+?)\s*:\s*(.*)$/.exec(part);
		if (!match) return undefined;
		fields.push([match[1]!.trim().toLowerCase(), match[2]!.trim()]);
	}
	return fields;
}

function readBlockLine(block: Block, line: string): boolean {
	const fields = fieldsOf(line);
	if (!fields) return false;
	for (const [key, value] of fields) {
		const target = ownValue(DETAIL_KEYS, key);
		if (target === undefined) return false;
		if (target === 'ignored') continue;
		if (target === 'direction') block.direction = directionOf(value);
		else if (target === 'protocol') {
			const protocol = /^(IKE|ESP)\b/i.exec(value)?.[1]?.toLowerCase();
			if (protocol !== 'ike' && protocol !== 'esp') return false;
			block.protocol = protocol;
		} else if (target === 'local' || target === 'remote' || target === 'algorithm' || target === 'spi') {
			block[target] = target === 'remote' ? tokensOf(value)[0] : value;
		}
	}
	return true;
}

function finishBlock(block: Block, collector: Collector): boolean {
	if (block.remote === undefined || block.protocol === undefined) return false;
	const algorithms = block.algorithm === undefined ? {} : yamahaAlgorithms(block.algorithm);
	if (block.protocol === 'ike') {
		const sa: IkeSa = { peer: block.remote, state: 'established' };
		if (block.local !== undefined && isIpAddress(block.local)) sa.local = block.local;
		if (algorithms.encryption !== undefined) sa.encryption = algorithms.encryption;
		if (algorithms.integrity !== undefined) sa.integrity = algorithms.integrity;
		if (algorithms.dhGroup !== undefined) sa.dhGroup = algorithms.dhGroup;
		if (block.seconds !== undefined) sa.expiresInSeconds = block.seconds;
		collector.ike.push(sa);
		return true;
	}
	const spi = spiFromHexBytes(block.spi);
	if (block.direction !== 'in' && block.direction !== 'out') return false;
	const sa: DirectionalSa = {};
	if (spi !== undefined) sa.spi = spi;
	if (algorithms.encryption !== undefined) sa.encryption = algorithms.encryption;
	if (algorithms.integrity !== undefined) sa.integrity = algorithms.integrity;
	if (block.seconds !== undefined) sa.expiresInSeconds = block.seconds;
	collector.addEsp(block.remote, undefined, block.direction, sa);
	return true;
}

/** `1 1 - isakmp - 21398 203.0.113.1`, `2 1 1 tun[0001]esp send 21399 203.0.113.1`. */
function currentRow(tokens: string[], collector: Collector): boolean {
	if (tokens.length !== 7) return false;
	const [sa, sgw, , connection, direction, life, remote] = tokens as [
		string,
		string,
		string,
		string,
		string,
		string,
		string,
	];
	if (parseInteger(sa) === undefined || parseInteger(sgw) === undefined) return false;
	const seconds = parseInteger(life);
	if (/^(?:isakmp|ike)$/i.test(connection)) {
		const entry: IkeSa = { peer: remote, state: 'established' };
		if (seconds !== undefined) entry.expiresInSeconds = seconds;
		collector.ike.push(entry);
		return true;
	}
	const esp = /^(?:tun\[(\d+)\])?esp$/i.exec(connection);
	const dir = directionOf(direction);
	if (!esp || (dir !== 'in' && dir !== 'out')) return false;
	const tunnel = esp[1] === undefined ? undefined : `TUNNEL[${Number(esp[1])}]`;
	collector.addEsp(remote, tunnel, dir, seconds === undefined ? {} : { expiresInSeconds: seconds });
	return true;
}

/** `1    U K   <local-id>   <remote-id>   i:2 s:1 r:1`. */
function gatewayRow(tokens: string[], collector: Collector): boolean {
	const counts = tokens.slice(-3).map((token) => /^([isr]):(\d+)$/.exec(token));
	if (tokens.length < 6 || parseInteger(tokens[0]) === undefined || counts.some((count) => count === null))
		return false;
	const [isakmp, send, receive] = counts.map((count) => Number(count![2]));
	const remote = tokens[tokens.length - 4]!;
	collector.ike.push({ peer: remote, state: isakmp! > 0 ? 'established' : 'down' });
	collector.addSummarised({ peer: remote, state: send! > 0 && receive! > 0 ? 'up' : 'down' });
	return true;
}

const isSummaryLine = knownLines([
	/^Total:\s*isakmp:\d+\s+send:\d+\s+recv:\d+$/i,
	/^sa\s+sgw\s+isakmp\s+connection\s+dir\s+life\[s\]\s+remote-id$/i,
	/^sgw\s+flags\s+local-id\s+remote-id\s+# of sa$/i,
]);

export function parseIpsecSa(output: string): ParseResult {
	const lines = visibleLines(output);
	const collector = new Collector();
	const unparsed: string[] = [];
	let block: Block | undefined;

	const close = () => {
		if (block && !finishBlock(block, collector)) unparsed.push(...block.lines);
		block = undefined;
	};

	for (const line of lines) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		if (isRule(trimmed)) {
			close();
			continue;
		}
		const start = /^SA\[\d+\]\s+(?:Duration|寿命)\s*:\s*(\d+)\s*(?:s|秒)$/i.exec(trimmed);
		if (start) {
			close();
			block = { lines: [line] };
			const seconds = parseInteger(start[1]);
			if (seconds !== undefined) block.seconds = seconds;
			continue;
		}
		if (block) {
			block.lines.push(line);
			if (readBlockLine(block, trimmed)) continue;
			block.lines.pop();
			unparsed.push(line);
			continue;
		}
		if (isSummaryLine(trimmed)) continue;
		const tokens = tokensOf(trimmed);
		if (currentRow(tokens, collector) || gatewayRow(tokens, collector)) continue;
		unparsed.push(line);
	}
	close();
	return { ike: collector.ike, ipsec: collector.ipsec(), unparsed };
}
