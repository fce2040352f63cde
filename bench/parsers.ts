/**
 * Parser speed: for every vendor and command, an output of 1,000 and of 10,000 tunnels in that vendor's
 * format (modelled on the fixtures in test/fixtures/<vendor>/), parsed several times; prints the median
 * time and the 10k/1k ratio (10 = linear). Target: a vendor's 1,000-tunnel outputs parsed in ≤ 20 ms in
 * total, and 10,000 in ≤ 10× that. Writes nothing but the table.
 * Run: `node --import tsx bench/parsers.ts` (or `npm run bench -- parsers`).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { commandSlug, drivers, parsableCommands } from '../source/router/drivers/index.js';

type Generator = (tunnels: number) => string;

/** Distinct addresses for tunnel i: the peer's outside address and the BGP neighbour inside a /30. */
function peerOf(index: number): string {
	return `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
}
function insideOf(index: number): string {
	const base = index * 4 + 1;
	return `169.254.${(base >> 8) & 255}.${base & 255}`.replace(
		/^169\.254/,
		`169.${254 - ((base >> 16) & 127)}`,
	);
}
const hex = (value: number, digits: number) =>
	(value >>> 0).toString(16).padStart(digits, '0').slice(-digits);
const cookie = (index: number, salt: number) =>
	hex(index * 2654435761 + salt, 8) + hex(index * 40503 + salt, 8);
const spi = (index: number, salt: number) => hex(0xc0000000 + index * 7919 + salt, 8);

function lines(
	count: number,
	line: (index: number) => string,
	header: string[] = [],
	footer: string[] = [],
): string {
	const out = [...header];
	for (let index = 0; index < count; index += 1) out.push(line(index));
	out.push(...footer);
	return out.join('\n');
}

const ciscoBgp = (tunnels: number) =>
	lines(
		tunnels,
		(i) => `${insideOf(i).padEnd(15)} 4        64512     812     790       14    0    0 4d12h            1`,
		[
			'BGP router identifier 192.168.1.10, local AS number 65000',
			'BGP table version is 14, main routing table version 14',
			'',
			'Neighbor        V           AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd',
		],
	);

const ciscoIpsecBlock = (i: number) =>
	`interface: Tunnel${i}
    Crypto map tag: Tunnel${i}-head-0, local addr 192.168.1.10

   protected vrf: (none)
   local  ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)
   remote ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)
   current_peer ${peerOf(i)} port 4500
     PERMIT, flags={origin_is_acl,}
    #pkts encaps: 149, #pkts encrypt: 149, #pkts digest: 149
    #pkts decaps: 146, #pkts decrypt: 146, #pkts verify: 146
    #pkts compressed: 0, #pkts decompressed: 0
    #pkts not compressed: 0, #pkts compr. failed: 0
    #pkts not decompressed: 0, #pkts decompress failed: 0
    #send errors 0, #recv errors 0

     local crypto endpt.: 192.168.1.10, remote crypto endpt.: ${peerOf(i)}
     plaintext mtu 1438, path mtu 1500, ip mtu 1500, ip mtu idb GigabitEthernet1
     current outbound spi: 0x${spi(i, 2)}(1)
     PFS (Y/N): N, DH group: none

     inbound esp sas:
      spi: 0x${spi(i, 1)}(2)
        transform: esp-256-aes esp-sha256-hmac ,
        in use settings ={Tunnel UDP-Encaps, }
        conn id: 1, flow_id: CSR:1, sibling_flags FFFFFFFF80000048, crypto map: Tunnel${i}-head-0
        sa timing: remaining key lifetime (k/sec): (4607999/3189)
        IV size: 16 bytes
        replay detection support: Y  replay window size: 64
        Status: ACTIVE(ACTIVE)

     inbound ah sas:

     inbound pcp sas:

     outbound esp sas:
      spi: 0x${spi(i, 2)}(1)
        transform: esp-256-aes esp-sha256-hmac ,
        in use settings ={Tunnel UDP-Encaps, }
        conn id: 2, flow_id: CSR:2, sibling_flags FFFFFFFF80000048, crypto map: Tunnel${i}-head-0
        sa timing: remaining key lifetime (k/sec): (4607999/3189)
        IV size: 16 bytes
        replay detection support: Y  replay window size: 64
        Status: ACTIVE(ACTIVE)

     outbound ah sas:

     outbound pcp sas:
`;

const ciscoIkev2Block = (i: number) =>
	`Tunnel-id Local                 Remote                fvrf/ivrf            Status
${String(i + 1).padEnd(9)} 192.168.1.10/4500     ${`${peerOf(i)}/4500`.padEnd(21)} none/none            READY
      Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, DH Grp:14, Auth sign: PSK, Auth verify: PSK
      Life/Active Time: 28800/418 sec
`;

const ciscoSessionBlock = (i: number) =>
	`Interface: Tunnel${i}
Uptime: 11:12:24
Session status: UP-ACTIVE
Peer: ${peerOf(i)} port 4500 fvrf: (none) ivrf: (none)
      Phase1_id: ${peerOf(i)}
      Desc: (none)
  Session ID: ${i}
  IKEv2 SA: local 192.168.1.10/4500 remote ${peerOf(i)}/4500 Active
          Capabilities:DN connid:${i} lifetime:12:47:36
  IPSEC FLOW: permit ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0
        Active SAs: 2, origin: crypto map
        Inbound:  #pkts dec'ed 4033 drop 0 life (KB/Sec) 4607363/2513
        Outbound: #pkts enc'ed 1326 drop 0 life (KB/Sec) 4606628/2513
`;

const necIkeBlock = (i: number) =>
	`Local address is 198.51.100.10, port is 500
Remote address is ${peerOf(i)}, port is 500
  IKE policy name is tunnel${i}
  Direction is initiator
  Initiator's cookie is 0x${cookie(i, 1)}
  Responder's cookie is 0x${cookie(i, 2)}
  Exchange type is main mode
  NAT-Traversal RFC3947
  NAT not detected
  State is established
  Authentication method is pre-shared
  Encryption algorithm is aes-256
  Hash algorithm is sha2-256
  DH group is modp2048, lifetime is 27981 seconds
  #ph1 success: 1, #ph1 failure: 0
  #ph1 hash err: 0, #ph1 timeout: 0, #ph1 resend: 0
  #ph2 success: 3, #ph2 failure: 0
  #ph2 hash err: 0, #ph2 timeout: 0, #ph2 resend: 0`;

const necIpsecBlock = (i: number) =>
	`Interface is Tunnel${i}.0
  Key policy map name is tunnel${i}
    Tunnel mode, 4-over-4, autokey-map
    Local address is 198.51.100.10, port is 500
    Remote address is ${peerOf(i)}, port is 500
    Outgoing interface is GigaEthernet0.1
    Interface MTU is 1438, path MTU is 1500
    Inbound:
      ESP, SPI is 0x${spi(i, 1)}(1)
        Transform is ESP-AES-256-HMAC-SHA2-256-128
        Remaining lifetime is 3177 seconds
      Replay detection support is on
    Outbound:
      ESP, SPI is 0x${spi(i, 2)}(2)
        Transform is ESP-AES-256-HMAC-SHA2-256-128
        Remaining lifetime is 3177 seconds
      Replay detection support is on
    Perfect forward secrecy is 2048-bit`;

const yamahaTunnelBlock = (i: number) =>
	`TUNNEL[${i + 1}]:
Description: tunnel ${i + 1}
  Interface type: IPsec
  Current status is Online.
  from 2026/11/22 13:50:02.
  1 day 3 hours 2 minutes 1 second  connection.
  Received:    (IPv4) 120 packets [14400 octets]
               (IPv6) 0 packet [0 octet]
  Transmitted: (IPv4) 118 packets [15104 octets]
               (IPv6) 0 packet [0 octet]
`;

const yamahaBgpBlock = (i: number) =>
	`BGP neighbor is ${insideOf(i)}, remote AS 64512, local AS 65000, external link
  BGP version 4, remote router ID ${insideOf(i)}
  BGP state = Established, up for 01:02:03
  Last read 00:00:04, hold time is 30, keepalive interval is 10 seconds
  Received 420 messages, 0 notifications, 0 in queue
  Sent 431 messages, 0 notifications, 0 in queue
  Connection established 1; dropped 0
  Last reset never
Local host: 169.254.255.2, Local port: 49152
Foreign host: ${insideOf(i)}, Foreign port: 179
`;

const swanctlBlock = (i: number) =>
	`tunnel${i}: #${i + 1}, ESTABLISHED, IKEv2, ${cookie(i, 1)}_i* ${cookie(i, 2)}_r
  local  '198.51.100.10' @ 198.51.100.10[4500]
  remote '${peerOf(i)}' @ ${peerOf(i)}[4500]
  AES_CBC-128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024
  established 35s ago, rekeying in 27842s
  tunnel${i}: #${i + 1}, reqid ${i + 1}, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA1_96
    installed 35s ago, rekeying in 2766s, expires in 3565s
    in  ${spi(i, 1)},   1520 bytes,    19 packets,     2s ago
    out ${spi(i, 2)},   1672 bytes,    20 packets,     2s ago
    local  169.254.44.22/32
    remote 169.254.44.21/32`;

function frrJson(tunnels: number): string {
	const peers: Record<string, unknown> = {};
	for (let i = 0; i < tunnels; i += 1) {
		peers[insideOf(i)] = {
			remoteAs: 64512,
			localAs: 65000,
			version: 4,
			msgRcvd: 120,
			msgSent: 118,
			peerUptime: '00:19:40',
			peerUptimeMsec: 1_180_000,
			pfxRcd: 1,
			pfxSnt: 2,
			state: 'Established',
			peerState: 'OK',
			idType: 'ipv4',
		};
	}
	return JSON.stringify({ ipv4Unicast: { routerId: '198.51.100.10', as: 65000, peers } }, null, 2);
}

/** One AW+ `show interface` tunnel block (test/fixtures/awplus/show_interface/several-tunnels.txt). */
const awplusTunnelInterfaceBlock = (i: number) =>
	`Interface tunnel${i}
  Scope: both
  Link is UP, administrative state is UP
  Hardware is Tunnel
  IPv4 address ${insideOf(i)}/30 point-to-point
  index ${14 + i} metric 1 mtu 1438
  <UP,POINT-TO-POINT,RUNNING,MULTICAST>
  SNMP link-status traps: Disabled
  Tunnel source 203.0.113.1, destination ${peerOf(i)}
  Tunnel protocol/transport ipsec v4
  Tunnel protection via IPsec (profile "default")
    input packets ${1234 + i}, bytes ${98765 + i * 97}, dropped 0, multicast packets 0
    output packets ${1200 + i}, bytes ${101112 + i * 89}, multicast packets 0, broadcast packets 0
  Time since last state change: ${i % 40} days ${String(i % 24).padStart(2, '0')}:12:44`;

export const GENERATORS: Record<string, Record<string, Generator>> = {
	awplus: {
		show_isakmp_sa: (n) =>
			lines(n, (i) => `${peerOf(i).padEnd(20)} ${cookie(i, 1)}:${cookie(i, 2)}    PSK  2   28112s`, [
				'Peer                 Cookies (initiator:responder)        Auth Ver Expires',
			]),
		show_ipsec_sa: (n) =>
			lines(n, (i) => `${peerOf(i).padEnd(20)} ${spi(i, 1)}:${spi(i, 2)}     tunnel  ESP   3312s`, [
				'Peer                 SPI (in:out)          Mode    Proto Expires',
			]),
		show_ip_bgp_summary: ciscoBgp,
		show_interface: (n) => lines(n, awplusTunnelInterfaceBlock),
	},
	'cisco-ios': {
		show_crypto_isakmp_sa: (n) =>
			lines(n, (i) => `${peerOf(i).padEnd(15)} 192.168.1.10    QM_IDLE           ${1000 + i} ACTIVE`, [
				'IPv4 Crypto ISAKMP SA',
				'dst             src             state          conn-id status',
			]),
		show_crypto_ikev2_sa: (n) => lines(n, ciscoIkev2Block, [' IPv4 Crypto IKEv2  SA', '']),
		show_crypto_ipsec_sa: (n) => lines(n, ciscoIpsecBlock),
		show_ip_bgp_summary: ciscoBgp,
		show_crypto_session_detail: (n) => lines(n, ciscoSessionBlock, ['Crypto session current status', '']),
	},
	'nec-ix': {
		show_ike_sa: (n) => lines(n, necIkeBlock, [`ISAKMP SA - ${n} configured, ${n} created`]),
		show_ipsec_sa: (n) => lines(n, necIpsecBlock, [`IPsec SA - ${n} configured, ${n * 2} created`]),
		show_ip_bgp_summary: (n) =>
			lines(
				n,
				(i) => ` ${insideOf(i).padEnd(15)} 4    64512   52      60    00:12:41      ESTABLISHED`,
				[
					'BGP router ID 198.51.100.10, local AS number 65000',
					'',
					'Neighbor         V    AS    MsgRcvd MsgSent Up/DownTime   State',
				],
				['', `Total number of neighbors ${n}`],
			),
	},
	'yamaha-rtx': {
		show_ipsec_sa: (n) => {
			const rows: string[] = [
				`Total: isakmp:${n} send:${n} recv:${n}`,
				'',
				'sa    sgw isakmp connection    dir  life[s] remote-id',
				'-'.repeat(76),
			];
			for (let i = 0; i < n; i += 1) {
				const sa = i * 3 + 1;
				const tunnel = `tun[${String(i + 1).padStart(4, '0')}]esp`;
				rows.push(`${sa}     ${i + 1}    -     isakmp        -    28012   ${peerOf(i)}`);
				rows.push(`${sa + 1}     ${i + 1}    ${sa}     ${tunnel}  send 3177    ${peerOf(i)}`);
				rows.push(`${sa + 2}     ${i + 1}    ${sa}     ${tunnel}  recv 3177    ${peerOf(i)}`);
			}
			return rows.join('\n');
		},
		show_status_tunnel: (n) => lines(n, yamahaTunnelBlock),
		show_status_bgp_neighbor: (n) => lines(n, yamahaBgpBlock),
	},
	'juniper-srx': {
		show_security_ike_security_associations: (n) =>
			lines(
				n,
				(i) =>
					`${String(4_455_313 + i).padEnd(7)} UP     ${cookie(i, 1)}  ${cookie(i, 2)}  IKEv2          ${peerOf(i)}`,
				['Index   State  Initiator cookie  Responder cookie  Mode           Remote Address'],
			),
		show_security_ipsec_security_associations: (n) => {
			const rows = [
				`  Total active tunnels: ${n}     Total IPsec sas: ${n}`,
				'  ID      Algorithm       SPI      Life:sec/kb  Mon lsys Port  Gateway',
			];
			for (let i = 0; i < n; i += 1) {
				rows.push(
					`  <${131_073 + i} ESP:aes-cbc-256/sha256 0x${spi(i, 1)} 3429/ unlim - root 500 ${peerOf(i)}`,
				);
				rows.push(
					`  >${131_073 + i} ESP:aes-cbc-256/sha256 0x${spi(i, 2)} 3429/ unlim - root 500 ${peerOf(i)}`,
				);
			}
			return rows.join('\n');
		},
		show_bgp_summary: (n) => {
			const rows = [
				`Groups: 1 Peers: ${n} Down peers: 0`,
				'Peer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn State|#Active/Received/Accepted/Damped...',
			];
			for (let i = 0; i < n; i += 1) {
				rows.push(
					`${insideOf(i).padEnd(20)}  64512    1165670    1238837       0       1 9w2d 5:23:37 Establ`,
				);
				rows.push('  inet.0: 23/224/224/0');
			}
			return rows.join('\n');
		},
	},
	'strongswan-frr': {
		swanctl_list_sas: (n) => lines(n, swanctlBlock),
		vtysh_c_show_bgp_summary_json: frrJson,
	},
};

const WARM_UP_RUNS = 10;
const RUNS = 15;
const SIZES = [1000, 10_000] as const;

/** Medians of wall-clock and CPU time, and the fastest CPU time (what the parse costs with no one else running). */
type Timing = { wall: number; cpu: number; cpuMin: number };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Median wall-clock and CPU time of one parse. CPU time (this process's user + system time) is what the
 * budget is checked on: on a shared machine the wall clock also counts the time other processes ran.
 * The minimum is shown beside it: a loaded machine slows even CPU time (shared caches and cores), so
 * the gap between the two tells how noisy a measurement was. The budget stays on the median, which
 * counts the garbage collections a parse causes; the minimum can miss them.
 */
function timeParse(parse: (text: string) => unknown, text: string): Timing {
	for (let run = 0; run < WARM_UP_RUNS; run += 1) parse(text);
	const wall: number[] = [];
	const cpu: number[] = [];
	for (let run = 0; run < RUNS; run += 1) {
		const startCpu = process.cpuUsage();
		const start = performance.now();
		parse(text);
		wall.push(performance.now() - start);
		const used = process.cpuUsage(startCpu);
		cpu.push((used.user + used.system) / 1000);
	}
	return { wall: median(wall), cpu: median(cpu), cpuMin: Math.min(...cpu) };
}

function main(): void {
	type Row = { vendor: string; command: string; polled: boolean; timings: Timing[]; parsed: number };
	const rows: Row[] = [];
	const notes: string[] = [];
	for (const vendor of Object.keys(drivers)) {
		for (const command of parsableCommands(vendor)) {
			const generate = GENERATORS[vendor]?.[commandSlug(command.command)];
			if (!generate) {
				notes.push(`no generator for ${vendor} ${command.command}`);
				continue;
			}
			const timings: Timing[] = [];
			let parsed = 0;
			for (const size of SIZES) {
				const text = generate(size);
				timings.push(timeParse(command.parse, text));
				if (size !== SIZES[0]) continue;
				const result = command.parse(text) as {
					ike?: unknown[];
					ipsec?: unknown[];
					bgp?: unknown[];
					interfaces?: unknown[];
					unparsed: unknown[];
				};
				parsed = Math.max(
					result.ike?.length ?? 0,
					result.ipsec?.length ?? 0,
					result.bgp?.length ?? 0,
					result.interfaces?.length ?? 0,
				);
				if (result.unparsed.length > 0)
					notes.push(`${vendor} ${command.command}: ${result.unparsed.length} unparsed lines`);
			}
			rows.push({
				vendor,
				command: command.command,
				polled: drivers[vendor as keyof typeof drivers]?.commands.includes(command) ?? false,
				timings,
				parsed,
			});
		}
	}

	const cell = (value: number, width = 8) => value.toFixed(1).padStart(width);
	const header = `${'vendor'.padEnd(15)} ${'command'.padEnd(42)} ${'entries'.padStart(7)} ${'1k cpu'.padStart(8)} ${'(min)'.padStart(7)} ${'1k wall'.padStart(8)} ${'10k cpu'.padStart(8)} ${'(min)'.padStart(7)} ${'10k wall'.padStart(8)} ${'10k/1k'.padStart(7)}`;
	const rule = '-'.repeat(header.length);
	const [load] = os.loadavg();
	process.stdout.write(
		`Median (and minimum) of ${RUNS} parses after ${WARM_UP_RUNS} warm-up runs, in ms; budget on the median CPU time; 10k/1k from it (10 = linear). Load average ${load?.toFixed(1)} on ${os.availableParallelism()} CPUs.\n`,
	);
	process.stdout.write(`${header}\n${rule}\n`);
	for (const row of rows) {
		const [small, large] = row.timings as [Timing, Timing];
		process.stdout.write(
			`${row.vendor.padEnd(15)} ${`${row.polled ? '' : '(extra) '}${row.command}`.slice(0, 42).padEnd(42)} ${String(row.parsed).padStart(7)} ${cell(small.cpu)} ${cell(small.cpuMin, 7)} ${cell(small.wall)} ${cell(large.cpu)} ${cell(large.cpuMin, 7)} ${cell(large.wall)} ${cell(large.cpu / small.cpu, 7)}\n`,
		);
	}
	process.stdout.write(`${rule}\n`);
	for (const vendor of Object.keys(drivers)) {
		// The budget covers what the monitor polls; parse-only extra commands are listed above it.
		const own = rows.filter((row) => row.vendor === vendor && row.polled);
		const total = (size: 0 | 1, clock: keyof Timing) =>
			own.reduce((sum, row) => sum + row.timings[size]![clock], 0);
		const [small, large] = [total(0, 'cpu'), total(1, 'cpu')];
		const ok = small <= 20 && large <= 200;
		process.stdout.write(
			`${vendor.padEnd(15)} ${'polled commands (budget 20 / 200 ms cpu)'.padEnd(42)} ${''.padStart(7)} ${cell(small)} ${cell(total(0, 'cpuMin'), 7)} ${cell(total(0, 'wall'))} ${cell(large)} ${cell(total(1, 'cpuMin'), 7)} ${cell(total(1, 'wall'))} ${cell(large / small, 7)}  ${ok ? 'ok' : 'OVER BUDGET'}\n`,
		);
	}
	for (const note of notes) process.stdout.write(`note: ${note}\n`);
}

// Run when executed, not when imported (a profiling script may import the generators).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
