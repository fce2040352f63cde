import { netmask, networkAndMask, prefixLength } from '../../../design/addresses.js';
import type { AwsVpnDesign, AwsVpnTunnel } from '../../../design/model.js';

/**
 * Cisco IOS / IOS XE configuration for AWS's two tunnels (pure), in the shape of AWS's own
 * "Download configuration" sample for Cisco ISR (install-guide 7): per tunnel an ISAKMP policy, a
 * keyring with that tunnel's key for that tunnel's AWS address, an ISAKMP profile, a transform set,
 * an IPsec profile and a Tunnel interface; then BGP, or static routes tracked by an IP SLA probe of
 * the AWS inside address. IKEv2 tunnels get the IKEv2 proposal/policy/keyring/profile instead.
 * Written in running-config form (one-space indentation, no `exit`), so a push can diff it.
 */

export type CiscoIosOptions = {
	/** First ISAKMP policy priority (AWS's sample uses 200, 201). */
	firstPolicy?: number;
	/** First Tunnel interface number; default 1 (Tunnel1, Tunnel2). */
	firstTunnel?: number;
	/** First IP SLA / track number for static routing; default 100. */
	firstSla?: number;
};

const ikeEncryption: Record<string, string> = {
	aes128: 'aes',
	aes192: 'aes 192',
	aes256: 'aes 256',
};
const ikeHash: Record<string, string> = { sha1: 'sha', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };
const ikev2Encryption: Record<string, string> = {
	aes128: 'aes-cbc-128',
	aes256: 'aes-cbc-256',
	aes128gcm16: 'aes-gcm-128',
	aes256gcm16: 'aes-gcm-256',
};
const espEncryption: Record<string, string> = {
	aes128: 'esp-aes 128',
	aes192: 'esp-aes 192',
	aes256: 'esp-aes 256',
	aes128gcm16: 'esp-gcm 128',
	aes256gcm16: 'esp-gcm 256',
};
const espIntegrity: Record<string, string> = {
	sha1: 'esp-sha-hmac',
	sha256: 'esp-sha256-hmac',
	sha384: 'esp-sha384-hmac',
	sha512: 'esp-sha512-hmac',
};

function lookup(table: Record<string, string>, value: string, what: string): string {
	const found = table[value];
	if (found === undefined) throw new Error(`cisco-ios: no ${what} keyword for "${value}"`);
	return found;
}

/** AWS names the sample's objects after the connection and the tunnel's index from 0. */
function objectSuffix(design: AwsVpnDesign, index: number): string {
	return `${design.vpnConnectionId ?? 'vpn-aws'}-${index}`;
}

function localAddress(design: AwsVpnDesign): string {
	return design.customer.privateIp ?? design.customer.publicIp;
}

function ikev1Lines(design: AwsVpnDesign, tunnel: AwsVpnTunnel, index: number, policy: number): string[] {
	const suffix = objectSuffix(design, index);
	return [
		`crypto isakmp policy ${policy}`,
		` encr ${lookup(ikeEncryption, tunnel.phase1.encryption, 'IKEv1 encryption')}`,
		` hash ${lookup(ikeHash, tunnel.phase1.integrity, 'IKEv1 hash')}`,
		' authentication pre-share',
		` group ${tunnel.phase1.dhGroup}`,
		` lifetime ${tunnel.phase1.lifetimeSeconds}`,
		`crypto keyring keyring-${suffix}`,
		` local-address ${localAddress(design)}`,
		` pre-shared-key address ${tunnel.awsOutsideIp} key ${tunnel.psk}`,
		`crypto isakmp profile isakmp-${suffix}`,
		` keyring keyring-${suffix}`,
		` match identity address ${tunnel.awsOutsideIp} 255.255.255.255`,
		` local-address ${localAddress(design)}`,
	];
}

function ikev2Lines(design: AwsVpnDesign, tunnel: AwsVpnTunnel, index: number): string[] {
	const suffix = objectSuffix(design, index);
	const gcm = tunnel.phase1.encryption.includes('gcm');
	return [
		`crypto ikev2 proposal ike-prop-${suffix}`,
		` encryption ${lookup(ikev2Encryption, tunnel.phase1.encryption, 'IKEv2 encryption')}`,
		// GCM carries its own integrity; IKEv2 then takes a PRF instead.
		gcm ? ` prf ${tunnel.phase1.integrity}` : ` integrity ${tunnel.phase1.integrity}`,
		` group ${tunnel.phase1.dhGroup}`,
		`crypto ikev2 policy ike-policy-${suffix}`,
		` match address local ${localAddress(design)}`,
		` proposal ike-prop-${suffix}`,
		`crypto ikev2 keyring keyring-${suffix}`,
		` peer ${tunnel.awsOutsideIp}`,
		`  address ${tunnel.awsOutsideIp}`,
		`  pre-shared-key ${tunnel.psk}`,
		`crypto ikev2 profile ikev2-${suffix}`,
		` match identity remote address ${tunnel.awsOutsideIp} 255.255.255.255`,
		` identity local address ${design.customer.publicIp}`,
		' authentication remote pre-share',
		' authentication local pre-share',
		` keyring local keyring-${suffix}`,
		` lifetime ${tunnel.phase1.lifetimeSeconds}`,
		` dpd ${tunnel.dpdIntervalSeconds} ${tunnel.dpdIntervalSeconds} on-demand`,
	];
}

function ipsecLines(design: AwsVpnDesign, tunnel: AwsVpnTunnel, index: number): string[] {
	const suffix = objectSuffix(design, index);
	const gcm = tunnel.phase2.encryption.includes('gcm');
	const transforms = [lookup(espEncryption, tunnel.phase2.encryption, 'ESP encryption')];
	if (!gcm) transforms.push(lookup(espIntegrity, tunnel.phase2.integrity, 'ESP integrity'));
	return [
		`crypto ipsec transform-set ipsec-prop-${suffix} ${transforms.join(' ')}`,
		' mode tunnel',
		`crypto ipsec profile ipsec-${suffix}`,
		` set transform-set ipsec-prop-${suffix}`,
		` set pfs group${tunnel.phase2.pfsGroup}`,
		` set security-association lifetime seconds ${tunnel.phase2.lifetimeSeconds}`,
		...(tunnel.ikeVersion === 2 ? [` set ikev2-profile ikev2-${suffix}`] : []),
	];
}

function tunnelInterface(
	design: AwsVpnDesign,
	tunnel: AwsVpnTunnel,
	index: number,
	number: number,
): string[] {
	return [
		`interface Tunnel${number}`,
		` ip address ${tunnel.customerInsideIp} ${netmask(prefixLength(tunnel.insideCidr))}`,
		' ip virtual-reassembly',
		` ip tcp adjust-mss ${design.mss}`,
		` tunnel source ${localAddress(design)}`,
		` tunnel destination ${tunnel.awsOutsideIp}`,
		' tunnel mode ipsec ipv4',
		` tunnel protection ipsec profile ipsec-${objectSuffix(design, index)}`,
		' no shutdown',
	];
}

/** The whole router configuration for one AWS VPN connection. */
export function ciscoIosAwsVpnConfig(design: AwsVpnDesign, options: CiscoIosOptions = {}): string[] {
	const firstPolicy = options.firstPolicy ?? 200;
	const firstTunnel = options.firstTunnel ?? 1;
	const firstSla = options.firstSla ?? 100;
	const lines: string[] = [];
	design.tunnels.forEach((tunnel, index) => {
		lines.push(
			...(tunnel.ikeVersion === 2
				? ikev2Lines(design, tunnel, index)
				: ikev1Lines(design, tunnel, index, firstPolicy + index)),
			...ipsecLines(design, tunnel, index),
		);
	});
	const dpd = design.tunnels[0].dpdIntervalSeconds;
	lines.push(
		'crypto ipsec df-bit clear',
		`crypto isakmp keepalive ${dpd} ${dpd} on-demand`,
		'crypto ipsec security-association replay window-size 128',
		'crypto ipsec fragmentation before-encryption',
	);
	design.tunnels.forEach((tunnel, index) => {
		lines.push(...tunnelInterface(design, tunnel, index, firstTunnel + index));
	});
	if (design.routing === 'bgp') {
		lines.push(`router bgp ${design.customer.asn}`);
		for (const tunnel of design.tunnels) {
			lines.push(` neighbor ${tunnel.awsInsideIp} remote-as ${design.awsAsn}`);
			lines.push(
				` neighbor ${tunnel.awsInsideIp} timers ${design.bgpKeepaliveSeconds} ${design.bgpHoldSeconds} ${design.bgpHoldSeconds}`,
			);
		}
		lines.push(' address-family ipv4 unicast');
		for (const prefix of design.customer.lan) {
			const [network, mask] = networkAndMask(prefix);
			lines.push(`  network ${network} mask ${mask}`);
		}
		for (const tunnel of design.tunnels) {
			lines.push(`  neighbor ${tunnel.awsInsideIp} activate`);
			lines.push(`  neighbor ${tunnel.awsInsideIp} soft-reconfiguration inbound`);
		}
		lines.push(' exit-address-family');
	} else {
		// A route follows its tunnel only while AWS's inside address answers (AWS's static sample).
		design.tunnels.forEach((tunnel, index) => {
			const sla = firstSla + index;
			for (const prefix of design.awsNetworks ?? [design.vpcCidr]) {
				const [network, mask] = networkAndMask(prefix);
				lines.push(
					`ip route ${network} ${mask} Tunnel${firstTunnel + index} track ${sla}${index === 0 ? '' : ' 10'}`,
				);
			}
			lines.push(
				`ip sla ${sla}`,
				` icmp-echo ${tunnel.awsInsideIp} source-interface Tunnel${firstTunnel + index}`,
				' timeout 1000',
				' frequency 5',
				`ip sla schedule ${sla} life forever start-time now`,
				`track ${sla} ip sla ${sla} reachability`,
			);
		});
	}
	return lines;
}
