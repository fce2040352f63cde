import type { AwsVpnDesign, AwsVpnTunnel } from '../../../design/model.js';

/**
 * NEC UNIVERGE IX configuration for AWS's two tunnels (pure). AWS offers no IX sample; this is the
 * install guide's section 7 recipe, reproduced line for line for its parameters: one IKE proposal,
 * one IKE policy and one IPsec map per tunnel (each with that tunnel's AWS address and key),
 * Tunnel0.0 / Tunnel1.0, then BGP or static routes.
 */

export type NecIxOptions = {
	/** Static routing: the administrative distance of the second tunnel's route (the backup). */
	backupDistance?: number;
};

const ikeEncryption: Record<string, string> = { aes128: 'aes', aes192: 'aes-192', aes256: 'aes-256' };
const ikeHash: Record<string, string> = {
	sha1: 'sha',
	sha256: 'sha2-256',
	sha384: 'sha2-384',
	sha512: 'sha2-512',
};
const espEncryption: Record<string, string> = {
	aes128: 'esp-aes',
	aes192: 'esp-aes-192',
	aes256: 'esp-aes-256',
};
const espIntegrity: Record<string, string> = {
	sha1: 'esp-sha',
	sha256: 'esp-sha2-256',
	sha384: 'esp-sha2-384',
	sha512: 'esp-sha2-512',
};
const groups: Record<number, string> = { 1: '768-bit', 2: '1024-bit', 5: '1536-bit', 14: '2048-bit' };

function lookup<K extends string | number>(table: Record<K, string>, value: K, what: string): string {
	const found = table[value];
	if (found === undefined) throw new Error(`nec-ix: no ${what} keyword for "${value}"`);
	return found;
}

function check(tunnel: AwsVpnTunnel): void {
	if (tunnel.ikeVersion !== 1) {
		throw new Error(
			`nec-ix: the tunnel to ${tunnel.awsOutsideIp} allows IKEv2 only; this recipe is IKEv1 (allow ikev1 on it)`,
		);
	}
}

export function necIxAwsVpnConfig(design: AwsVpnDesign, options: NecIxOptions = {}): string[] {
	design.tunnels.forEach(check);
	const [first] = design.tunnels;
	const lines = [
		`ike proposal ike-prop encryption ${lookup(ikeEncryption, first.phase1.encryption, 'IKE encryption')} hash ${lookup(ikeHash, first.phase1.integrity, 'IKE hash')} group ${lookup(groups, first.phase1.dhGroup, 'DH group')}`,
		...design.tunnels.map(
			(tunnel, index) =>
				`ike policy ike-policy${index + 1} peer ${tunnel.awsOutsideIp} key ${tunnel.psk} ike-prop`,
		),
		'ip access-list sec-list permit ip src any dest any',
		`ipsec autokey-proposal ipsec-prop ${lookup(espEncryption, first.phase2.encryption, 'ESP encryption')} ${lookup(espIntegrity, first.phase2.integrity, 'ESP integrity')} lifetime time ${first.phase2.lifetimeSeconds}`,
		...design.tunnels.map(
			(tunnel, index) =>
				`ipsec autokey-map ipsec-map${index + 1} sec-list peer ${tunnel.awsOutsideIp} ipsec-prop pfs ${lookup(groups, tunnel.phase2.pfsGroup, 'PFS group')}`,
		),
		...design.tunnels.flatMap((tunnel, index) => [
			`interface Tunnel${index}.0`,
			' tunnel mode ipsec',
			` ip address ${tunnel.customerInsideIp}/${tunnel.insideCidr.split('/')[1]}`,
			' ip tcp adjust-mss auto',
			` ipsec policy tunnel ipsec-map${index + 1} df-bit ignore pre-fragment out`,
			' no shutdown',
		]),
	];
	if (design.routing === 'bgp') {
		lines.push(`router bgp ${design.customer.asn}`);
		for (const tunnel of design.tunnels) {
			lines.push(` neighbor ${tunnel.awsInsideIp} remote-as ${design.awsAsn}`);
			lines.push(
				` neighbor ${tunnel.awsInsideIp} timers ${design.bgpKeepaliveSeconds} ${design.bgpHoldSeconds}`,
			);
		}
		lines.push(' address-family ipv4 unicast');
		for (const prefix of design.customer.lan) lines.push(`  network ${prefix}`);
	} else {
		for (const prefix of design.awsNetworks ?? [design.vpcCidr]) {
			lines.push(`ip route ${prefix} Tunnel0.0`);
			lines.push(`ip route ${prefix} Tunnel1.0 distance ${options.backupDistance ?? 10}`);
		}
	}
	return lines;
}
