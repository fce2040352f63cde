import type { AwsVpnDesign, AwsVpnTunnel } from '../../../design/model.js';

/**
 * Juniper SRX (Junos) configuration for AWS's two tunnels (pure), as `set` commands in the shape of
 * AWS's SRX sample: per tunnel an IKE proposal, policy (with that tunnel's key) and gateway (that
 * tunnel's AWS address, DPD), an IPsec proposal, policy and route-based VPN bound to st0.N, the st0.N
 * address in the trust zone; then a BGP group with the two AWS inside addresses, or static routes.
 */

export type JuniperSrxOptions = {
	/** The internet-facing interface IKE uses; default the design's, else ge-0/0/0.0. */
	externalInterface?: string;
	/** First st0 unit; default 1 (st0.1, st0.2). */
	firstUnit?: number;
	/** Zone for the st0 units; default trust. */
	tunnelZone?: string;
	/** Zone of the external interface; default untrust. */
	externalZone?: string;
};

const ikeEncryption: Record<string, string> = {
	aes128: 'aes-128-cbc',
	aes256: 'aes-256-cbc',
	aes128gcm16: 'aes-128-gcm',
	aes256gcm16: 'aes-256-gcm',
};
const ikeIntegrity: Record<string, string> = {
	sha1: 'sha1',
	sha256: 'sha-256',
	sha384: 'sha-384',
	sha512: 'sha-512',
};
const espIntegrity: Record<string, string> = {
	sha1: 'hmac-sha1-96',
	sha256: 'hmac-sha-256-128',
	sha384: 'hmac-sha-384',
	sha512: 'hmac-sha-512',
};

function lookup(table: Record<string, string>, value: string, what: string): string {
	const found = table[value];
	if (found === undefined) throw new Error(`juniper-srx: no ${what} keyword for "${value}"`);
	return found;
}

/** Junos interface names contain a slash (ge-0/0/0.0); anything else (ppp0 from the AW+ default) is not one. */
function externalInterface(design: AwsVpnDesign, options: JuniperSrxOptions): string {
	if (options.externalInterface) return options.externalInterface;
	return design.customer.wanInterface.includes('/') ? design.customer.wanInterface : 'ge-0/0/0.0';
}

function tunnelLines(
	design: AwsVpnDesign,
	tunnel: AwsVpnTunnel,
	index: number,
	options: JuniperSrxOptions,
): string[] {
	const n = index + 1;
	const unit = (options.firstUnit ?? 1) + index;
	const suffix = `${design.vpnConnectionId ?? 'vpn-aws'}-${n}`;
	const p1 = `set security ike proposal ike-prop-${suffix}`;
	const pol = `set security ike policy ike-pol-${suffix}`;
	const gw = `set security ike gateway gw-${suffix}`;
	const p2 = `set security ipsec proposal ipsec-prop-${suffix}`;
	const ipol = `set security ipsec policy ipsec-pol-${suffix}`;
	const vpn = `set security ipsec vpn ${suffix}`;
	const p1Gcm = tunnel.phase1.encryption.includes('gcm');
	const p2Gcm = tunnel.phase2.encryption.includes('gcm');
	return [
		`${p1} authentication-method pre-shared-keys`,
		...(p1Gcm
			? []
			: [`${p1} authentication-algorithm ${lookup(ikeIntegrity, tunnel.phase1.integrity, 'IKE integrity')}`]),
		`${p1} encryption-algorithm ${lookup(ikeEncryption, tunnel.phase1.encryption, 'IKE encryption')}`,
		`${p1} lifetime-seconds ${tunnel.phase1.lifetimeSeconds}`,
		`${p1} dh-group group${tunnel.phase1.dhGroup}`,
		...(tunnel.ikeVersion === 1 ? [`${pol} mode main`] : []),
		`${pol} proposals ike-prop-${suffix}`,
		`${pol} pre-shared-key ascii-text "${tunnel.psk}"`,
		`${gw} ike-policy ike-pol-${suffix}`,
		`${gw} external-interface ${externalInterface(design, options)}`,
		`${gw} address ${tunnel.awsOutsideIp}`,
		...(design.customer.privateIp
			? [`${gw} local-identity inet ${design.customer.publicIp}`]
			: [`${gw} no-nat-traversal`]),
		`${gw} dead-peer-detection interval ${tunnel.dpdIntervalSeconds} threshold ${tunnel.dpdRetries}`,
		`${gw} version ${tunnel.ikeVersion === 2 ? 'v2-only' : 'v1-only'}`,
		`${p2} protocol esp`,
		...(p2Gcm
			? []
			: [`${p2} authentication-algorithm ${lookup(espIntegrity, tunnel.phase2.integrity, 'ESP integrity')}`]),
		`${p2} encryption-algorithm ${lookup(ikeEncryption, tunnel.phase2.encryption, 'ESP encryption')}`,
		`${p2} lifetime-seconds ${tunnel.phase2.lifetimeSeconds}`,
		`${ipol} perfect-forward-secrecy keys group${tunnel.phase2.pfsGroup}`,
		`${ipol} proposals ipsec-prop-${suffix}`,
		`${vpn} bind-interface st0.${unit}`,
		`${vpn} ike gateway gw-${suffix}`,
		`${vpn} ike ipsec-policy ipsec-pol-${suffix}`,
		`${vpn} df-bit clear`,
		`${vpn} establish-tunnels immediately`,
		`set interfaces st0 unit ${unit} family inet address ${tunnel.customerInsideIp}/${tunnel.insideCidr.split('/')[1]}`,
		`set interfaces st0 unit ${unit} family inet mtu ${design.mtu}`,
		`set security zones security-zone ${options.tunnelZone ?? 'trust'} interfaces st0.${unit}`,
	];
}

export function juniperSrxAwsVpnConfig(design: AwsVpnDesign, options: JuniperSrxOptions = {}): string[] {
	const external = externalInterface(design, options);
	const lines = [
		`set security zones security-zone ${options.externalZone ?? 'untrust'} interfaces ${external} host-inbound-traffic system-services ike`,
		...design.tunnels.flatMap((tunnel, index) => tunnelLines(design, tunnel, index, options)),
		`set security flow tcp-mss ipsec-vpn mss ${design.mss}`,
	];
	const firstUnit = options.firstUnit ?? 1;
	if (design.routing === 'bgp') {
		const group = 'set protocols bgp group aws';
		lines.push(
			`set policy-options policy-statement EXPORT-TO-AWS term lan from route-filter ${design.customer.lan[0]} exact`,
			...design.customer.lan
				.slice(1)
				.map(
					(prefix) =>
						`set policy-options policy-statement EXPORT-TO-AWS term lan from route-filter ${prefix} exact`,
				),
			'set policy-options policy-statement EXPORT-TO-AWS term lan then accept',
			'set policy-options policy-statement EXPORT-TO-AWS term rest then reject',
			`set routing-options autonomous-system ${design.customer.asn}`,
			`${group} type external`,
			`${group} hold-time ${design.bgpHoldSeconds}`,
			`${group} peer-as ${design.awsAsn}`,
			`${group} export EXPORT-TO-AWS`,
			...design.tunnels.map((tunnel) => `${group} neighbor ${tunnel.awsInsideIp}`),
			`set security zones security-zone ${options.tunnelZone ?? 'trust'} host-inbound-traffic protocols bgp`,
		);
	} else {
		for (const prefix of design.awsNetworks ?? [design.vpcCidr]) {
			lines.push(`set routing-options static route ${prefix} next-hop st0.${firstUnit}`);
			lines.push(
				`set routing-options static route ${prefix} qualified-next-hop st0.${firstUnit + 1} preference 10`,
			);
		}
	}
	return lines;
}
