import type { AwsVpnDesign, AwsVpnTunnel } from '../../../design/model.js';

/**
 * strongSwan (swanctl) + FRR configuration generator (pure) for a Linux router joined to AWS's two
 * tunnels (install-guide 5b), and — with `side: 'aws'` — the mirror configuration that plays the
 * virtual private gateway's two endpoints in the router lab (test/lab).
 *
 * Two data planes:
 * - kernel (default): route-based XFRM interfaces, one per tunnel (`if_id`), 0.0.0.0/0 selectors,
 *   strongSwan installs no routes, FRR routes over the interfaces.
 * - `libipsec: true`: strongSwan's userspace ESP on its TUN device `ipsec0`, for kernels without
 *   XFRM. libipsec always UDP-encapsulates (`encap = yes`), selects SAs by traffic selector (so each
 *   tunnel gets /32 selectors on its inside addresses) and, in strongSwan 5.9.8, needs a static
 *   `reqid` per CHILD_SA. Both inside /30s sit on `ipsec0` so BGP next hops are connected.
 *
 * Tunnels are keyed by AWS's outside address everywhere: connection, child and secret names are
 * `aws-<outside address with dashes>`, so a parser can map `swanctl --list-sas` back to a tunnel.
 */

export type StrongswanFrrOptions = {
	/** Userspace ESP (kernel-libipsec) instead of kernel XFRM interfaces. Default false. */
	libipsec?: boolean;
	/** `customer` (default): the customer gateway; `aws`: the lab's stand-in for AWS's endpoints. */
	side?: 'customer' | 'aws';
};

export type StrongswanFrrConfig = {
	/** `/etc/swanctl/swanctl.conf`: connections and PSKs (the only file that holds secrets). */
	'swanctl.conf': string;
	/** `/etc/strongswan.conf`: the charon plugin list and data-plane settings. */
	'strongswan.conf': string;
	/** `/etc/frr/frr.conf` (integrated configuration; apply with `vtysh -f`, or let frr's init read it). */
	'frr.conf': string;
	/** Interface addresses and routes for the tunnels: run after charon starts (it creates `ipsec0`), before loading the connections. */
	'setup.sh': string;
};

type Side = 'customer' | 'aws';

/** IANA Diffie-Hellman group numbers → strongSwan proposal keywords. */
const dhKeywords: Record<number, string> = {
	1: 'modp768',
	2: 'modp1024',
	5: 'modp1536',
	14: 'modp2048',
	15: 'modp3072',
	16: 'modp4096',
	17: 'modp6144',
	18: 'modp8192',
	19: 'ecp256',
	20: 'ecp384',
	21: 'ecp521',
	22: 'modp1024s160',
	23: 'modp2048s224',
	24: 'modp2048s256',
	31: 'curve25519',
};

/** The libipsec TUN device (strongSwan's default name). */
export const libipsecDevice = 'ipsec0';

/** The plugins charon loads: explicit (`load_modular = no`), kernel-libipsec before kernel-netlink. */
const charonPlugins = (libipsec: boolean) =>
	[
		'random nonce openssl aes sha1 sha2 hmac gmp kdf pem pkcs1 pkcs8 x509 pubkey revocation constraints',
		libipsec ? 'kernel-libipsec' : '',
		'kernel-netlink socket-default vici updown',
	]
		.filter(Boolean)
		.join(' ');

const swanctlPlugins = 'random nonce openssl aes sha1 sha2 hmac gmp pem pkcs1 pkcs8 x509 pubkey';

/** `203.0.113.1` → `aws-203-0-113-1`: swanctl section names cannot contain dots. */
export function tunnelName(awsOutsideIp: string): string {
	return `aws-${awsOutsideIp.replace(/[.:]/g, '-')}`;
}

/** The XFRM interface of tunnel 1 or 2 (kernel data plane). */
export function xfrmInterfaceName(index: number): string {
	return `aws-tun${index + 1}`;
}

function dhKeyword(group: number): string {
	const keyword = dhKeywords[group];
	if (!keyword) {
		throw new RangeError(
			`Diffie-Hellman group ${group} has no strongSwan keyword here; use one of ${Object.keys(dhKeywords).join(', ')}.`,
		);
	}
	return keyword;
}

/** `AES128-GCM-16` / `aes128gcm16` → `aes128gcm16`; `SHA2-256` → `sha256`. */
function algorithm(name: string): string {
	return name
		.toLowerCase()
		.replace(/^sha2-/, 'sha')
		.replace(/[^a-z0-9]/g, '');
}

const isAead = (encryption: string) => /gcm|ccm|chacha/.test(encryption);

function ikeProposal(tunnel: AwsVpnTunnel): string {
	const encryption = algorithm(tunnel.phase1.encryption);
	const integrity = algorithm(tunnel.phase1.integrity);
	// An AEAD cipher brings its own integrity; IKE still needs a PRF.
	const middle = isAead(encryption) ? `prf${integrity}` : integrity;
	return [encryption, middle, dhKeyword(tunnel.phase1.dhGroup)].join('-');
}

function espProposal(tunnel: AwsVpnTunnel): string {
	const encryption = algorithm(tunnel.phase2.encryption);
	const parts = [encryption];
	if (!isAead(encryption)) {
		parts.push(algorithm(tunnel.phase2.integrity));
	}
	if (tunnel.phase2.pfsGroup > 0) {
		parts.push(dhKeyword(tunnel.phase2.pfsGroup));
	}
	return parts.join('-');
}

/** Rekey at 90 % and expire at the lifetime: the router never outlives what AWS allows. */
function lifetimes(seconds: number): { rekey: number; over: number } {
	const rekey = Math.floor(seconds * 0.9);
	return { rekey, over: seconds - rekey };
}

function prefixOf(cidr: string): string {
	return cidr.split('/')[1] ?? '32';
}

/** This side's and the far side's view of one tunnel. */
function ends(design: AwsVpnDesign, tunnel: AwsVpnTunnel, side: Side) {
	const customerAddress = design.customer.privateIp ?? design.customer.publicIp;
	return side === 'customer'
		? {
				localAddress: customerAddress,
				remoteAddress: tunnel.awsOutsideIp,
				localId: design.customer.publicIp,
				remoteId: tunnel.awsOutsideIp,
				localInside: tunnel.customerInsideIp,
				remoteInside: tunnel.awsInsideIp,
				localAsn: design.customer.asn,
				remoteAsn: design.awsAsn,
			}
		: {
				localAddress: tunnel.awsOutsideIp,
				remoteAddress: design.customer.publicIp,
				localId: tunnel.awsOutsideIp,
				remoteId: design.customer.publicIp,
				localInside: tunnel.awsInsideIp,
				remoteInside: tunnel.customerInsideIp,
				localAsn: design.awsAsn,
				remoteAsn: design.customer.asn,
			};
}

function swanctlConnection(
	design: AwsVpnDesign,
	tunnel: AwsVpnTunnel,
	index: number,
	side: Side,
	libipsec: boolean,
): string[] {
	const name = tunnelName(tunnel.awsOutsideIp);
	const end = ends(design, tunnel, side);
	const ike = lifetimes(tunnel.phase1.lifetimeSeconds);
	const child = lifetimes(tunnel.phase2.lifetimeSeconds);
	const id = index + 1;
	// AWS's default startup action `add`: the customer gateway initiates, AWS only responds.
	const initiator = side === 'customer';
	const selectors = libipsec
		? [`\t\t\t\tlocal_ts = ${end.localInside}/32`, `\t\t\t\tremote_ts = ${end.remoteInside}/32`]
		: ['\t\t\t\tlocal_ts = 0.0.0.0/0', '\t\t\t\tremote_ts = 0.0.0.0/0'];
	return [
		`\t# tunnel ${id}: AWS outside ${tunnel.awsOutsideIp}, inside ${tunnel.insideCidr}`,
		`\t${name} {`,
		`\t\tversion = ${tunnel.ikeVersion}`,
		...(tunnel.ikeVersion === 1 ? ['\t\taggressive = no'] : ['\t\tmobike = no']),
		`\t\tlocal_addrs = ${end.localAddress}`,
		`\t\tremote_addrs = ${end.remoteAddress}`,
		`\t\tproposals = ${ikeProposal(tunnel)}`,
		`\t\trekey_time = ${ike.rekey}s`,
		`\t\tover_time = ${ike.over}s`,
		`\t\tdpd_delay = ${tunnel.dpdIntervalSeconds}s`,
		// IKEv1 declares a peer dead after dpd_timeout; IKEv2 uses the retransmission timeouts.
		...(tunnel.ikeVersion === 1
			? [`\t\tdpd_timeout = ${tunnel.dpdIntervalSeconds * tunnel.dpdRetries}s`]
			: []),
		...(libipsec ? ['\t\tencap = yes'] : []),
		'\t\tkeyingtries = 0',
		'\t\tunique = replace',
		'\t\tlocal {',
		'\t\t\tauth = psk',
		`\t\t\tid = ${end.localId}`,
		'\t\t}',
		'\t\tremote {',
		'\t\t\tauth = psk',
		`\t\t\tid = ${end.remoteId}`,
		'\t\t}',
		'\t\tchildren {',
		`\t\t\t${name} {`,
		'\t\t\t\tmode = tunnel',
		...selectors,
		`\t\t\t\tesp_proposals = ${espProposal(tunnel)}`,
		`\t\t\t\trekey_time = ${child.rekey}s`,
		`\t\t\t\tlife_time = ${tunnel.phase2.lifetimeSeconds}s`,
		...(libipsec ? [`\t\t\t\treqid = ${id}`] : [`\t\t\t\tif_id_in = ${id}`, `\t\t\t\tif_id_out = ${id}`]),
		`\t\t\t\tstart_action = ${initiator ? 'start' : 'none'}`,
		`\t\t\t\tdpd_action = ${initiator ? 'restart' : 'clear'}`,
		`\t\t\t\tclose_action = ${initiator ? 'start' : 'none'}`,
		'\t\t\t}',
		'\t\t}',
		'\t}',
	];
}

function swanctlSecret(design: AwsVpnDesign, tunnel: AwsVpnTunnel, side: Side): string[] {
	const end = ends(design, tunnel, side);
	// Both tunnels face the same customer address: without both identities the wrong PSK is picked.
	return [
		`\tike-${tunnelName(tunnel.awsOutsideIp)} {`,
		`\t\tid-local = ${end.localId}`,
		`\t\tid-remote = ${end.remoteId}`,
		`\t\tsecret = "${tunnel.psk}"`,
		'\t}',
	];
}

function swanctlConf(design: AwsVpnDesign, side: Side, libipsec: boolean): string {
	return [
		`# swanctl.conf — ${side === 'customer' ? 'customer gateway' : 'AWS endpoints (lab)'} for ${design.vpnConnectionId ?? 'the AWS VPN connection'}`,
		`# data plane: ${libipsec ? `kernel-libipsec (${libipsecDevice})` : 'kernel XFRM interfaces'}`,
		'connections {',
		...design.tunnels.flatMap((tunnel, index) => swanctlConnection(design, tunnel, index, side, libipsec)),
		'}',
		'',
		'secrets {',
		...design.tunnels.flatMap((tunnel) => swanctlSecret(design, tunnel, side)),
		'}',
		'',
	].join('\n');
}

function strongswanConf(libipsec: boolean): string {
	return [
		'# strongswan.conf — charon for the AWS tunnels (kakehashi strongswan-frr)',
		'charon {',
		'\tload_modular = no',
		`\tload = ${charonPlugins(libipsec)}`,
		// Route-based: FRR owns the routing table; strongSwan installs no routes of its own.
		'\tinstall_routes = no',
		'\tinstall_virtual_ip = no',
		'}',
		'swanctl {',
		`\tload = ${swanctlPlugins}`,
		'}',
		'',
	].join('\n');
}

function frrConf(design: AwsVpnDesign, side: Side): string {
	const lines = ['frr defaults traditional', 'log syslog informational', 'no ipv6 forwarding', '!'];
	const peers = design.tunnels.map((tunnel) => ({ tunnel, end: ends(design, tunnel, side) }));
	const announced = side === 'customer' ? design.customer.lan : [design.vpcCidr];
	if (design.routing === 'static') {
		// The second tunnel as a floating backup; the interface goes down with its tunnel.
		if (side === 'customer') {
			for (const [index, { end }] of peers.entries()) {
				lines.push(`ip route ${design.vpcCidr} ${end.remoteInside}${index === 0 ? '' : ' 10'}`);
			}
		} else {
			for (const prefix of design.customer.lan) {
				for (const [index, { end }] of peers.entries()) {
					lines.push(`ip route ${prefix} ${end.remoteInside}${index === 0 ? '' : ' 10'}`);
				}
			}
		}
		lines.push('!', '');
		return lines.join('\n');
	}
	const localAsn = side === 'customer' ? design.customer.asn : design.awsAsn;
	const routerId = side === 'customer' ? design.customer.publicIp : design.tunnels[0].awsInsideIp;
	lines.push(
		`router bgp ${localAsn}`,
		` bgp router-id ${routerId}`,
		' no bgp ebgp-requires-policy',
		' no bgp default ipv4-unicast',
	);
	for (const { tunnel, end } of peers) {
		lines.push(
			` neighbor ${end.remoteInside} remote-as ${end.remoteAsn}`,
			` neighbor ${end.remoteInside} description ${side === 'customer' ? 'aws' : 'cgw'}-${tunnel.awsOutsideIp}`,
			` neighbor ${end.remoteInside} timers ${design.bgpKeepaliveSeconds} ${design.bgpHoldSeconds}`,
			// FRR's default connect retry (120 s) would hold BGP down long after a tunnel came back.
			` neighbor ${end.remoteInside} timers connect ${design.bgpKeepaliveSeconds}`,
		);
	}
	lines.push(' !', ' address-family ipv4 unicast');
	for (const prefix of announced) {
		lines.push(`  network ${prefix}`);
	}
	for (const { end } of peers) {
		lines.push(`  neighbor ${end.remoteInside} activate`);
	}
	lines.push(' exit-address-family', 'exit', '!', '');
	return lines.join('\n');
}

function setupScript(design: AwsVpnDesign, side: Side, libipsec: boolean): string {
	const lines = [
		'#!/bin/sh',
		`# Tunnel interfaces for ${side === 'customer' ? 'the customer gateway' : 'the AWS endpoints (lab)'}.`,
		libipsec
			? `# Run after charon has started (kernel-libipsec creates ${libipsecDevice} when it loads) and before\n# \`swanctl --load-all\`: libipsec cannot install a CHILD_SA whose inside address is missing.`
			: '# Run before or after charon: the XFRM interfaces carry the SAs with the matching if_id.',
		'set -e',
	];
	if (libipsec) {
		lines.push(
			`while ! ip link show ${libipsecDevice} >/dev/null 2>&1; do sleep 0.1; done`,
			`ip link set ${libipsecDevice} mtu ${design.mtu} up`,
		);
	}
	for (const [index, tunnel] of design.tunnels.entries()) {
		const end = ends(design, tunnel, side);
		const device = libipsec ? libipsecDevice : xfrmInterfaceName(index);
		lines.push(`# tunnel ${index + 1}: AWS outside ${tunnel.awsOutsideIp}`);
		if (!libipsec) {
			const underlying = side === 'customer' ? ` dev ${design.customer.wanInterface}` : '';
			lines.push(
				`ip link show ${device} >/dev/null 2>&1 || ip link add ${device} type xfrm${underlying} if_id ${index + 1}`,
				`ip link set ${device} mtu ${design.mtu} up`,
			);
		}
		lines.push(`ip addr replace ${end.localInside}/${prefixOf(tunnel.insideCidr)} dev ${device}`);
	}
	lines.push(
		'# keeps tunnel inside traffic off the WAN while a tunnel is down',
		'ip route replace unreachable 169.254.0.0/16',
	);
	if (side === 'customer') {
		lines.push(
			`# AWS: inner MTU ${design.mtu}, no path-MTU discovery through the tunnel: clamp TCP MSS`,
			...(libipsec ? [libipsecDevice] : design.tunnels.map((_, index) => xfrmInterfaceName(index))).map(
				(device) =>
					`iptables -t mangle -C FORWARD -o ${device} -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss ${design.mss} 2>/dev/null || iptables -t mangle -A FORWARD -o ${device} -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss ${design.mss}`,
			),
		);
	} else {
		lines.push(`# the VPC as AWS announces it`, `ip route replace blackhole ${design.vpcCidr}`);
	}
	lines.push('');
	return lines.join('\n');
}

/** The router configuration for both of AWS's tunnels (customer side) or their lab mirror (`side: 'aws'`). */
export function strongswanFrrConfig(
	design: AwsVpnDesign,
	options: StrongswanFrrOptions = {},
): StrongswanFrrConfig {
	const libipsec = options.libipsec ?? false;
	const side = options.side ?? 'customer';
	return {
		'swanctl.conf': swanctlConf(design, side, libipsec),
		'strongswan.conf': strongswanConf(libipsec),
		'frr.conf': frrConf(design, side),
		'setup.sh': setupScript(design, side, libipsec),
	};
}
