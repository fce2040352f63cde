import type { AwsVpnDesign, AwsVpnTunnel } from '../../../design/model.js';

/**
 * Yamaha RTX configuration for AWS's two tunnels (pure): what an RTX's own "cloud vpn" mode generates
 * from the EC2 API (install-guide 7), so an RTX configured by hand and one configured by itself look
 * the same: per tunnel an IPsec SA policy, IKE settings with DPD and PFS, the key, the AWS address and
 * the inside addresses; then BGP neighbours on the inside addresses, or static routes.
 */

export type YamahaRtxOptions = {
	/** First tunnel / IPsec tunnel / SA policy number; default 1. */
	firstTunnel?: number;
	/** The address IKE is sent from (the router's WAN address); default the customer gateway's private, else public, address. */
	localAddress?: string;
	/**
	 * Behind NAT or with a secure filter on the WAN: filters passing IKE, NAT-T and ESP to the router and
	 * static masquerade entries for them, as the RTX's own generator adds. Numbers must be free on the router.
	 */
	nat?: { descriptor: number; firstFilter: number };
};

const ikeEncryption: Record<string, string> = { aes128: 'aes-cbc', aes256: 'aes256-cbc' };
const ikeHash: Record<string, string> = { sha1: 'sha', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };
const espEncryption: Record<string, string> = {
	aes128: 'aes-cbc',
	aes256: 'aes256-cbc',
	aes128gcm16: 'aes-gcm',
	aes256gcm16: 'aes256-gcm',
};
const espIntegrity: Record<string, string> = {
	sha1: 'sha-hmac',
	sha256: 'sha256-hmac',
	sha384: 'sha384-hmac',
	sha512: 'sha512-hmac',
};
const groups: Record<number, string> = { 2: 'modp1024', 5: 'modp1536', 14: 'modp2048' };

function lookup<K extends string | number>(table: Record<K, string>, value: K, what: string): string {
	const found = table[value];
	if (found === undefined) throw new Error(`yamaha-rtx: no ${what} keyword for "${value}"`);
	return found;
}

function tunnelLines(design: AwsVpnDesign, tunnel: AwsVpnTunnel, n: number, local: string): string[] {
	const gcm = tunnel.phase2.encryption.includes('gcm');
	const sa = gcm
		? `esp ${lookup(espEncryption, tunnel.phase2.encryption, 'ESP encryption')}`
		: `esp ${lookup(espEncryption, tunnel.phase2.encryption, 'ESP encryption')} ${lookup(espIntegrity, tunnel.phase2.integrity, 'ESP integrity')}`;
	return [
		`tunnel select ${n}`,
		` description tunnel AWS ${design.vpnConnectionId ?? 'vpn'} ${tunnel.awsOutsideIp}`,
		` ipsec tunnel ${n}`,
		`  ipsec sa policy ${n} ${n} ${sa}`,
		`  ipsec ike version ${n} ${tunnel.ikeVersion}`,
		`  ipsec ike duration ipsec-sa ${n} ${tunnel.phase2.lifetimeSeconds}`,
		`  ipsec ike duration isakmp-sa ${n} ${tunnel.phase1.lifetimeSeconds}`,
		`  ipsec ike encryption ${n} ${lookup(ikeEncryption, tunnel.phase1.encryption, 'IKE encryption')}`,
		`  ipsec ike group ${n} ${lookup(groups, tunnel.phase1.dhGroup, 'DH group')}`,
		`  ipsec ike hash ${n} ${lookup(ikeHash, tunnel.phase1.integrity, 'IKE hash')}`,
		`  ipsec ike keepalive use ${n} on dpd ${tunnel.dpdIntervalSeconds} ${tunnel.dpdRetries}`,
		`  ipsec ike local address ${n} ${local}`,
		`  ipsec ike nat-traversal ${n} on`,
		`  ipsec ike pfs ${n} on`,
		`  ipsec ike pre-shared-key ${n} text ${tunnel.psk}`,
		`  ipsec ike remote address ${n} ${tunnel.awsOutsideIp}`,
		` ip tunnel address ${tunnel.customerInsideIp}/${tunnel.insideCidr.split('/')[1]}`,
		` ip tunnel remote address ${tunnel.awsInsideIp}`,
		` ip tunnel tcp mss limit ${design.mss}`,
		` tunnel enable ${n}`,
	];
}

export function yamahaRtxAwsVpnConfig(design: AwsVpnDesign, options: YamahaRtxOptions = {}): string[] {
	const first = options.firstTunnel ?? 1;
	const local = options.localAddress ?? design.customer.privateIp ?? design.customer.publicIp;
	const lines = design.tunnels.flatMap((tunnel, index) => tunnelLines(design, tunnel, first + index, local));
	if (design.routing === 'bgp') {
		lines.push('bgp use on', `bgp autonomous-system ${design.customer.asn}`);
		design.tunnels.forEach((tunnel, index) => {
			lines.push(
				`bgp neighbor ${index + 1} ${design.awsAsn} ${tunnel.awsInsideIp} hold-time=${design.bgpHoldSeconds} local-address=${tunnel.customerInsideIp}`,
			);
		});
		design.customer.lan.forEach((prefix, index) => {
			lines.push(`bgp import filter ${index + 1} include ${prefix}`);
		});
		lines.push(
			`bgp import ${design.awsAsn} static filter ${design.customer.lan.map((_, index) => index + 1).join(' ')}`,
		);
	} else {
		for (const prefix of design.awsNetworks ?? [design.vpcCidr]) {
			lines.push(`ip route ${prefix} gateway tunnel ${first} hide gateway tunnel ${first + 1} weight 0`);
		}
	}
	if (options.nat) {
		const { descriptor, firstFilter } = options.nat;
		lines.push(
			`ip filter ${firstFilter} pass * ${local} udp * 500`,
			`ip filter ${firstFilter + 1} pass * ${local} udp * 4500`,
			`ip filter ${firstFilter + 2} pass * ${local} esp * *`,
			`nat descriptor masquerade static ${descriptor} ${firstFilter} ${local} udp 500`,
			`nat descriptor masquerade static ${descriptor} ${firstFilter + 1} ${local} udp 4500`,
			`nat descriptor masquerade static ${descriptor} ${firstFilter + 2} ${local} esp`,
		);
	}
	return lines;
}
