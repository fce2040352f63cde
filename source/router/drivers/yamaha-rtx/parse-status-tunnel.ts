/**
 * `show status tunnel [N]` on Yamaha RTX → `ipsec` (state and traffic counters per tunnel interface).
 *
 * Layout (AWS VPN guide via shared/fixtures/samples/yamaha_rtx, GitHub write-ups in English and Japanese):
 *   `TUNNEL[1]:` / `Description:` / `  Interface type: IPsec` / `  Current status is Online.` /
 *   `  from 2011/08/15 18:19:45.` / `  5 hours 7 minutes 58 seconds  connection.` /
 *   `  Received:    (IPv4) 3933 packets [244941 octets]` / `(IPv6) 0 packet [0 octet]` / `Transmitted: …`,
 *   newer firmware adds MTU lines and an `IKE keepalive:` section; the Japanese console prints
 *   `説明:`, `インタフェースの種類: IPsec`, `トンネルインタフェースは接続されています` (or `…されていません`),
 *   `開始:`, `通信時間:`, `受信: (IPv4) 391 パケット [23172 オクテット]`, `送信: …`.
 * The output never names the peer: entries carry `tunnel` (`TUNNEL[1]`, as `show ipsec sa` names the
 * tunnel of each ESP SA on current firmware) and an empty `peer`; joining them to a peer is the
 * monitor's job. Counters add IPv4 and IPv6. Tunnels that are not IPsec are left out.
 */
import type { IpsecSa, ParseResult } from '../../model.js';
import { visibleLines } from '../shared/clean-output.js';
import { parseInteger } from '../shared/field-values.js';
import { knownLines } from '../shared/known-lines.js';

const isKnownLine = knownLines([
	/^(?:Description|説明)\s*:/i,
	/^from \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.$/i,
	/^(?:開始|終了)\s*:/,
	/^(?:(?:\d+ (?:days?|hours?|minutes?|seconds?)\s*)+)\s*connection\.$/i,
	/^通信時間\s*:/,
	/^Maximum Transmission Unit\(MTU\):$/i,
	/^IPv[46]:\s*\d+ octets$/i,
	/^IKE keepalive:$/i,
	/^\[(?:Type|Status|Next send)\]:/i,
	/^Tunnel is not (?:connected|used)\.?$/i,
]);

type Tunnel = {
	name: string;
	ipsec?: boolean;
	up?: boolean;
	counters: Partial<Record<Counter, number>>;
	lines: string[];
};
type Counter = 'bytesIn' | 'bytesOut' | 'packetsIn' | 'packetsOut';

function add(tunnel: Tunnel, field: Counter, value: number | undefined): void {
	if (value !== undefined) tunnel.counters[field] = (tunnel.counters[field] ?? 0) + value;
}

export function parseStatusTunnel(output: string): ParseResult {
	const lines = visibleLines(output);
	const ipsec: IpsecSa[] = [];
	const unparsed: string[] = [];
	let tunnel: Tunnel | undefined;
	let direction: 'in' | 'out' | undefined;

	const close = () => {
		if (!tunnel) return;
		if (tunnel.ipsec === undefined || tunnel.up === undefined) {
			if (tunnel.ipsec !== false) unparsed.push(...tunnel.lines);
		} else if (tunnel.ipsec) {
			ipsec.push({ peer: '', tunnel: tunnel.name, state: tunnel.up ? 'up' : 'down', ...tunnel.counters });
		}
		tunnel = undefined;
		direction = undefined;
	};

	for (const line of lines) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		const start = trimmed.endsWith(']:') ? /^TUNNEL\[(\d+)\]:$/i.exec(trimmed) : null;
		if (start) {
			close();
			tunnel = { name: `TUNNEL[${Number(start[1])}]`, counters: {}, lines: [line] };
			continue;
		}
		if (!tunnel) {
			unparsed.push(line);
			continue;
		}
		tunnel.lines.push(line);
		const type = trimmed.includes(':')
			? /^(?:Interface type|インタフェースの種類)\s*:\s*(.+)$/i.exec(trimmed)
			: null;
		if (type) {
			tunnel.ipsec = /^IPsec$/i.test(type[1]!.trim());
			continue;
		}
		const status = trimmed.startsWith('Current') ? /^Current status is (\w+)\.?$/i.exec(trimmed) : null;
		if (status) {
			tunnel.up = /^online$/i.test(status[1]!);
			continue;
		}
		const japaneseStatus = trimmed.startsWith('トンネル')
			? /^トンネルインタフェースは接続されて(います|いません)/.exec(trimmed)
			: null;
		if (japaneseStatus) {
			tunnel.up = japaneseStatus[1] === 'います';
			continue;
		}
		const counter = !trimmed.includes('(IPv')
			? null
			: /^(?:(Received|Transmitted|受信|送信)\s*:\s*)?\(IPv[46]\)\s*(\d+)\s*(?:packets?|パケット)\s*\[(\d+)\s*(?:octets?|オクテット)\]$/i.exec(
					trimmed,
				);
		if (counter) {
			if (counter[1] !== undefined) direction = /^(?:Received|受信)$/i.test(counter[1]) ? 'in' : 'out';
			if (direction) {
				add(tunnel, direction === 'in' ? 'packetsIn' : 'packetsOut', parseInteger(counter[2]));
				add(tunnel, direction === 'in' ? 'bytesIn' : 'bytesOut', parseInteger(counter[3]));
				continue;
			}
		}
		if (isKnownLine(trimmed)) continue;
		tunnel.lines.pop();
		unparsed.push(line);
	}
	close();
	return { ipsec, unparsed };
}
