/**
 * The text the simulated AW+ router prints for its show commands. These are exactly the layouts the
 * awplus parsers (source/router/drivers/awplus/parse-*.ts) read — see the sources listed there; the
 * `detail` variants and `show interface tunnelN`'s tunnel lines are this project's reconstructions.
 */
import type { SimBgpSummary, SimIkeSa, SimIpsecSa, SimTunnelInterface } from './world.js';

const pad = (text: string | number, width: number) => String(text).padEnd(width);
const padStart = (text: string | number, width: number) => String(text).padStart(width);

/** A first cell too wide for its column goes on its own line; the row continues underneath, as CLIs wrap. */
function withFirstCell(first: string, width: number, rest: string): string[] {
	return first.length < width ? [`${pad(first, width)}${rest}`] : [first, `${' '.repeat(width)}${rest}`];
}

export function formatIsakmpSa(sas: readonly SimIkeSa[]): string[] {
	const lines = ['Peer                 Cookies (initiator:responder)        Auth Ver Expires'];
	for (const sa of sas) {
		const expires =
			sa.state === 'established' && sa.expiresInSeconds !== undefined ? `${sa.expiresInSeconds}s` : '-';
		const rest = `${pad(`${sa.initiatorCookie}:${sa.responderCookie}`, 37)}${pad('PSK', 5)}${pad(sa.version, 4)}${expires}`;
		lines.push(...withFirstCell(sa.peer, 21, rest));
	}
	return lines;
}

export function formatIsakmpSaDetail(sas: readonly SimIkeSa[]): string[] {
	return sas.flatMap((sa) => [
		`Peer: ${sa.peer}`,
		`  Local: ${sa.local}`,
		`  Local ID: ${sa.localId}`,
		`  Remote ID: ${sa.remoteId}`,
		`  Cookies (initiator:responder): ${sa.initiatorCookie}:${sa.responderCookie}`,
		`  Version: IKEv${sa.version}`,
		`  State: ${sa.state === 'established' ? 'Established' : 'Negotiating'}`,
		'  Auth: PSK',
		`  Encryption: ${sa.encryption}`,
		`  Integrity: ${sa.integrity}`,
		`  DH Group: ${sa.dhGroup}`,
		`  NAT-T: ${sa.natTraversal ? 'Yes (UDP 4500)' : 'No'}`,
		`  Expires: ${sa.state === 'established' && sa.expiresInSeconds !== undefined ? `${sa.expiresInSeconds}s` : '-'}`,
	]);
}

export function formatIpsecSa(sas: readonly SimIpsecSa[]): string[] {
	const lines = ['Peer                 SPI (in:out)          Mode    Proto Expires'];
	for (const sa of sas) {
		const rest = `${pad(`${sa.spiIn}:${sa.spiOut}`, 22)}${pad(sa.mode, Math.max(8, sa.mode.length + 1))}${pad('ESP', 6)}${sa.expiresInSeconds}s`;
		lines.push(...withFirstCell(sa.peer, 21, rest));
	}
	return lines;
}

export function formatIpsecSaDetail(sas: readonly SimIpsecSa[]): string[] {
	return sas.flatMap((sa) => [
		`Peer: ${sa.peer}`,
		`  Interface: ${sa.tunnel}`,
		`  SPI (in:out): ${sa.spiIn}:${sa.spiOut}`,
		`  Mode: ${sa.mode}`,
		'  Proto: ESP',
		`  Encryption: ${sa.encryption}`,
		`  Integrity: ${sa.integrity}`,
		`  NAT-T: ${sa.natTraversal ? 'Yes (UDP 4500)' : 'No'}`,
		`  Expires: ${sa.expiresInSeconds}s`,
		`  Input: packets ${sa.packetsIn}, bytes ${sa.bytesIn}`,
		`  Output: packets ${sa.packetsOut}, bytes ${sa.bytesOut}`,
	]);
}

/** ZebOS Up/Down: `never`, `00:11:33` under a day, `1d02h` under a week, then `03w6d21h`. */
export function formatUpDown(seconds: number | undefined): string {
	if (seconds === undefined) return 'never';
	const two = (value: number) => String(value).padStart(2, '0');
	const days = Math.floor(seconds / 86_400);
	const hours = Math.floor((seconds % 86_400) / 3600);
	if (days === 0) return `${two(hours)}:${two(Math.floor((seconds % 3600) / 60))}:${two(seconds % 60)}`;
	if (days < 7) return `${days}d${two(hours)}h`;
	return `${two(Math.floor(days / 7))}w${days % 7}d${two(hours)}h`;
}

export function formatBgpSummary(bgp: SimBgpSummary | undefined): string[] {
	if (!bgp) return [];
	const lines = [
		`BGP router identifier ${bgp.routerId}, local AS number ${bgp.asn}`,
		`BGP table version is ${bgp.tableVersion}`,
		`${bgp.neighbors.length > 0 ? 1 : 0} BGP AS-PATH entries`,
		'0 BGP community entries',
		'',
	];
	if (bgp.neighbors.length > 0) {
		lines.push('Neighbor        V    AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd');
		for (const entry of bgp.neighbors) {
			const state =
				entry.state === 'established'
					? padStart(entry.prefixesReceived ?? 0, 8)
					: entry.adminDown
						? 'Idle (Admin)'
						: {
								idle: 'Idle',
								connect: 'Connect',
								active: 'Active',
								opensent: 'OpenSent',
								openconfirm: 'OpenConfirm',
							}[entry.state];
			const rest = ` 4 ${padStart(entry.remoteAs, 5)} ${padStart(entry.messagesReceived, 7)} ${padStart(entry.messagesSent, 7)} ${padStart(entry.tableVersion, 8)} ${padStart(0, 4)} ${padStart(0, 4)} ${pad(formatUpDown(entry.upDownSeconds), 8)} ${state}`;
			lines.push(...withFirstCell(entry.neighbor, 15, rest));
		}
		lines.push('');
	}
	const established = bgp.neighbors.filter((entry) => entry.state === 'established').length;
	lines.push(
		`Total number of neighbors ${bgp.neighbors.length}`,
		'',
		`Total number of Established sessions ${established}`,
	);
	return lines;
}

/**
 * `show interface tunnelN`: the generic AW+ interface block is verbatim-known (ntc-templates,
 * ansible_awplus fixtures); the Tunnel lines follow shared/fixtures/samples/alliedtelesis_awplus/
 * show_interface_tunnel__RECONSTRUCTED-from-verbatim-port-layout.txt.
 */
export function formatInterfaceTunnel(tunnel: SimTunnelInterface, index: number): string[] {
	const up = tunnel.linkUp && tunnel.adminUp;
	const days = Math.floor(tunnel.secondsSinceChange / 86_400);
	const clock = formatUpDown(tunnel.secondsSinceChange % 86_400);
	const protocol = tunnel.mode?.replace('ipsec-', 'ipsec ').replace('l2tpv3', 'l2tp v3');
	return [
		`Interface ${tunnel.tunnel}`,
		'  Scope: both',
		`  Link is ${up ? 'UP' : 'DOWN'}, administrative state is ${tunnel.adminUp ? 'UP' : 'DOWN'}`,
		'  Hardware is Tunnel',
		...(tunnel.address ? [`  IPv4 address ${tunnel.address} point-to-point`] : []),
		`  index ${index} metric 1 mtu 1438`,
		`  <${up ? 'UP,POINT-TO-POINT,RUNNING,MULTICAST' : 'POINT-TO-POINT,MULTICAST'}>`,
		'  SNMP link-status traps: Disabled',
		`  Tunnel source ${tunnel.source ?? 'none'}, destination ${tunnel.destination ?? 'none'}`,
		...(protocol ? [`  Tunnel protocol/transport ${protocol}`] : []),
		...(tunnel.protectionProfile
			? [`  Tunnel protection via IPsec (profile "${tunnel.protectionProfile}")`]
			: []),
		`    input packets ${tunnel.packetsIn}, bytes ${tunnel.bytesIn}, dropped 0, multicast packets 0`,
		`    output packets ${tunnel.packetsOut}, bytes ${tunnel.bytesOut}, multicast packets 0, broadcast packets 0`,
		`  Time since last state change: ${days} days ${clock}`,
	];
}

export const AWPLUS_VERSION = '5.4.9-2.6';

/** The release a router runs: its file in flash and the version it carries. */
export type RunningRelease = { file: string; version: string };

const DEFAULT_RELEASE: RunningRelease = { file: `vaa-${AWPLUS_VERSION}.iso`, version: AWPLUS_VERSION };

export function formatShowVersion(release: RunningRelease = DEFAULT_RELEASE): string[] {
	return [
		`AlliedWare Plus (TM) ${release.version} 01/08/24 10:31:20`,
		'',
		`Build name : ${release.file}`,
		'Build date : Mon Jan  8 10:31:20 UTC 2024',
		'Build type : RELEASE',
		'',
		"NOTICE This product is a simulation run by kakehashi's sandbox; no AlliedWare Plus code runs here.",
	];
}

/** `show system`, after the verbatim ntc-templates AW+ sample (SH210), for a cloud appliance. */
export function formatShowSystem(
	hostname: string,
	uptimeSeconds: number,
	now: Date,
	release: RunningRelease = DEFAULT_RELEASE,
	bootConfig = 'flash:/default.cfg (file exists)',
): string[] {
	const days = Math.floor(uptimeSeconds / 86_400);
	const clock = formatUpDown(uptimeSeconds % 86_400);
	const stamp = now.toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (\S+) GMT$/, '$1 $3 $2 $5 $4');
	return [
		`System Status                                   ${stamp}`,
		'',
		'Board       ID  Bay   Board Name                         Rev   Serial number',
		'--------------------------------------------------------------------------------',
		'Base       466        AMF Cloud                          -     SIMULATED0001',
		'--------------------------------------------------------------------------------',
		'RAM:  Total: 2015180 kB Free: 1498312 kB',
		'Flash: 7.8GB Used: 512.0MB Available: 7.3GB',
		'--------------------------------------------------------------------------------',
		'Environment Status : Normal',
		`Uptime             : ${days} days ${clock}`,
		'Bootloader version : -',
		'',
		'',
		`Current software   : ${release.file}`,
		`Software version   : ${release.version}`,
		'Build date         : Mon Jan  8 10:31:20 UTC 2024',
		'',
		`Current boot config: ${bootConfig}`,
		'',
		'System Name',
		` ${hostname}`,
		'System Contact',
		'',
		'System Location',
		'',
	];
}
