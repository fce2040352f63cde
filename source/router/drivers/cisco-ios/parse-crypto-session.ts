/**
 * `show crypto session detail` (and `show crypto session`) on Cisco IOS / IOS-XE → `ike` + `ipsec`.
 * Not polled (its data overlaps the isakmp/ikev2/ipsec commands); `kakehashi parse` and tests use it.
 *
 * Layout (ntc-templates cisco_ios show_crypto_session_detail, genieparser ShowCryptoSession):
 *   `Interface: Tunnel1101` / `Uptime: 7w0d` / `Session status: UP-ACTIVE`
 *   `Peer: 192.168.0.1 port 4500 fvrf: (none) ivrf: (none)`
 *   `  IKEv1 SA: local 169.0.1.1/4500 remote 192.168.0.1/4500 Active`
 *   `          Capabilities:DN connid:2913 lifetime:09:03:41`
 *   `  IPSEC FLOW: permit 47 host 169.0.1.1 host 192.168.0.1`
 *   `        Active SAs: 2, origin: crypto map`
 *   `        Inbound:  #pkts dec'ed 15344097 drop 0 life (KB/Sec) 4236992/615`
 *   `        Outbound: #pkts enc'ed 18074395 drop 0 life (KB/Sec) 4236962/615`
 * An IPv6 `IKEv2 SA:` line wraps its `remote … Active` part onto the next line.
 * IKE SA `Active` = established; `Inactive` = negotiating while the session is DOWN-NEGOTIATING, else
 * down. Capability `N` (or port 4500) = NAT traversal. A flow is up when it has active SAs.
 */
import type { IkeSa, IpsecSa, ParseResult } from '../../model.js';
import { visibleLines } from '../shared/clean-output.js';
import { isIpAddress, parseDuration, parseInteger } from '../shared/field-values.js';
import { knownLines } from '../shared/known-lines.js';
import { LEGEND } from './parse-isakmp-sa.js';

// Hoisted: a regular expression literal makes a new RegExp object every time it is evaluated.
const ADDRESS_SLASH_PORT = /^([0-9a-f:.]+)\/(\d{1,5})$/i;
const ACTIVE_WORD = /^active$/i;
const NEGOTIATING_WORD = /NEGOTIATING/i;
const INTERFACE = /^Interface:\s*(\S+)$/i;
const SESSION_STATUS = /^Session status:\s*(\S+)$/i;
const PEER_PORT = /^Peer:\s*(\S+)(?:\s+port\s+\d+)?/i;
const IKEV_SA_LOCAL = /^IKEv([12]) SA:\s*local\s+(\S+)(?:\s+remote\s+(\S+)\s+(Active|Inactive))?$/i;
const REMOTE_ACTIVE_INACTIVE = /^remote\s+(\S+)\s+(Active|Inactive)$/i;
const CAPABILITIES_CONNID_LIFETIME = /^Capabilities:(\S+)\s+connid:\d+\s+lifetime:(\S+)$/i;
const IPSEC_FLOW = /^IPSEC FLOW:/i;
const ACTIVE_SAS = /^Active SAs:\s*(\d+)/i;
const INBOUND_OUTBOUND_PKTS =
	/^(Inbound|Outbound):\s*#pkts (?:dec|enc)'ed\s+(\d+)\s+drop\s+\d+\s+life \(KB\/Sec\)\s+\d+\/(\d+)$/i;

const isKnownLine = knownLines([
	/^Crypto session current status$/i,
	/^Profile:/i,
	/^Uptime:/i,
	/^Desc:/i,
	/^Phase1_id:/i,
	/^Session ID:/i,
	/^System IP:/i,
	/^Code:/i,
]);

type Session = { interface?: string; status?: string; peer?: string };

function addressPort(text: string): { address: string; port?: number } | undefined {
	const match = ADDRESS_SLASH_PORT.exec(text);
	if (!match || !isIpAddress(match[1]!)) return undefined;
	const port = parseInteger(match[2]);
	const result: { address: string; port?: number } = { address: match[1]! };
	if (port !== undefined) result.port = port;
	return result;
}

export function parseCryptoSession(output: string): ParseResult {
	const lines = visibleLines(output);
	const ike: IkeSa[] = [];
	const ipsec: IpsecSa[] = [];
	const unparsed: string[] = [];
	let session: Session = {};
	let lastIke: { sa: IkeSa; ports: number[] } | undefined;
	let pendingIke: { version: 1 | 2; local: string; localPort?: number; line: string } | undefined;
	let flow: IpsecSa | undefined;

	const addIke = (version: 1 | 2, local: string, remote: string, ports: number[], activity: string) => {
		const active = ACTIVE_WORD.test(activity);
		const sa: IkeSa = {
			peer: remote,
			local,
			state: active ? 'established' : NEGOTIATING_WORD.test(session.status ?? '') ? 'negotiating' : 'down',
			version,
		};
		if (ports.length > 0) sa.natTraversal = ports.includes(4500);
		ike.push(sa);
		lastIke = { sa, ports };
	};

	for (const line of lines) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		const iface = INTERFACE.exec(trimmed);
		if (iface) {
			session = { interface: iface[1]! };
			lastIke = undefined;
			pendingIke = undefined;
			flow = undefined;
			continue;
		}
		const status = SESSION_STATUS.exec(trimmed);
		if (status) {
			session.status = status[1]!;
			continue;
		}
		const peer = PEER_PORT.exec(trimmed);
		if (peer && isIpAddress(peer[1]!)) {
			session.peer = peer[1]!;
			continue;
		}
		const ikeLine = IKEV_SA_LOCAL.exec(trimmed);
		if (ikeLine) {
			const version = ikeLine[1] === '1' ? 1 : 2;
			const local = addressPort(ikeLine[2]!);
			if (local && ikeLine[3] === undefined) {
				pendingIke = { version, local: local.address, line };
				if (local.port !== undefined) pendingIke.localPort = local.port;
				continue;
			}
			const remote = ikeLine[3] === undefined ? undefined : addressPort(ikeLine[3]);
			if (local && remote) {
				const ports = [local.port, remote.port].filter((port): port is number => port !== undefined);
				addIke(version, local.address, remote.address, ports, ikeLine[4]!);
				continue;
			}
		}
		const remoteLine = REMOTE_ACTIVE_INACTIVE.exec(trimmed);
		if (remoteLine && pendingIke) {
			const remote = addressPort(remoteLine[1]!);
			if (remote) {
				const ports = [pendingIke.localPort, remote.port].filter(
					(port): port is number => port !== undefined,
				);
				addIke(pendingIke.version, pendingIke.local, remote.address, ports, remoteLine[2]!);
				pendingIke = undefined;
				continue;
			}
		}
		if (pendingIke) {
			unparsed.push(pendingIke.line);
			pendingIke = undefined;
		}
		const capabilities = CAPABILITIES_CONNID_LIFETIME.exec(trimmed);
		if (capabilities && lastIke) {
			const caps = capabilities[1]!;
			if (caps.includes('N')) lastIke.sa.natTraversal = true;
			else if (caps !== '(none)' && lastIke.sa.natTraversal === undefined) lastIke.sa.natTraversal = false;
			const lifetime = parseDuration(capabilities[2]);
			if (lifetime !== undefined && lifetime > 0) lastIke.sa.expiresInSeconds = lifetime;
			continue;
		}
		if (IPSEC_FLOW.test(trimmed) && session.peer !== undefined) {
			flow = { peer: session.peer, state: 'down' };
			if (session.interface !== undefined) flow.tunnel = session.interface;
			ipsec.push(flow);
			continue;
		}
		const activeSas = ACTIVE_SAS.exec(trimmed);
		if (activeSas && flow) {
			flow.state = Number(activeSas[1]) > 0 ? 'up' : 'down';
			continue;
		}
		const counters = INBOUND_OUTBOUND_PKTS.exec(trimmed);
		if (counters && flow) {
			const packets = parseInteger(counters[2]);
			if (packets !== undefined) {
				if (counters[1]!.toLowerCase() === 'inbound') flow.packetsIn = packets;
				else flow.packetsOut = packets;
			}
			const seconds = parseInteger(counters[3]);
			if (seconds !== undefined && seconds > 0 && flow.state === 'up') {
				flow.expiresInSeconds = Math.min(flow.expiresInSeconds ?? seconds, seconds);
			}
			continue;
		}
		if (isKnownLine(trimmed) || LEGEND.test(trimmed)) continue;
		unparsed.push(line);
	}
	if (pendingIke) unparsed.push(pendingIke.line);
	return { ike, ipsec, unparsed };
}
