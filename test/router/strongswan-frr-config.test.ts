import { describe, expect, it } from 'vitest';
import type { AwsVpnDesign, AwsVpnTunnel } from '../../source/design/model.js';
import { strongswanFrrConfig, tunnelName } from '../../source/router/drivers/strongswan-frr/config.js';

// Two tunnels as AWS hands them out (inside CIDRs as in install-guide 7's NEC IX example).
function tunnel(index: 0 | 1, overrides: Partial<AwsVpnTunnel> = {}): AwsVpnTunnel {
	return {
		awsOutsideIp: ['203.0.113.11', '203.0.113.12'][index] as string,
		psk: ['Tunnel1.PSK_a1b2c3d4', 'Tunnel2.PSK_e5f6g7h8'][index] as string,
		insideCidr: ['169.254.123.132/30', '169.254.30.56/30'][index] as string,
		awsInsideIp: ['169.254.123.133', '169.254.30.57'][index] as string,
		customerInsideIp: ['169.254.123.134', '169.254.30.58'][index] as string,
		ikeVersion: 1,
		phase1: { encryption: 'aes128', integrity: 'sha1', dhGroup: 2, lifetimeSeconds: 28800 },
		phase2: { encryption: 'aes128', integrity: 'sha1', pfsGroup: 2, lifetimeSeconds: 3600 },
		dpdIntervalSeconds: 10,
		dpdRetries: 3,
		...overrides,
	};
}

function design(overrides: Partial<AwsVpnDesign> = {}): AwsVpnDesign {
	return {
		kind: 'aws-vpn',
		vpnConnectionId: 'vpn-0a1b2c3d4e5f60718',
		customer: { publicIp: '198.51.100.7', wanInterface: 'eth0', asn: 65000, lan: ['192.168.2.0/24'] },
		awsAsn: 64512,
		vpcCidr: '172.30.0.0/16',
		routing: 'bgp',
		tunnels: [tunnel(0), tunnel(1)],
		mtu: 1399,
		mss: 1387,
		bgpHoldSeconds: 30,
		bgpKeepaliveSeconds: 10,
		...overrides,
	};
}

/** The body of one `name { … }` section (nested sections included), by its name. */
function section(text: string, name: string): string {
	const lines = text.split('\n');
	const start = lines.findIndex((line) => line.trim() === `${name} {`);
	if (start < 0) throw new Error(`no section ${name}`);
	let depth = 0;
	for (let index = start; index < lines.length; index++) {
		const line = lines[index] as string;
		depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
		if (depth === 0) return lines.slice(start + 1, index).join('\n');
	}
	throw new Error(`section ${name} is not closed`);
}

/** `key = value` settings directly inside a section body, nested sections left out. */
function settings(body: string): Record<string, string> {
	const result: Record<string, string> = {};
	let depth = 0;
	for (const line of body.split('\n')) {
		const trimmed = line.trim();
		if (trimmed.endsWith('{')) depth++;
		else if (trimmed === '}') depth--;
		else if (depth === 0) {
			const match = /^([\w-]+) = (.*)$/.exec(trimmed);
			if (match) result[match[1] as string] = match[2] as string;
		}
	}
	return result;
}

const child = (swanctl: string, outsideIp: string) =>
	settings(section(section(section(swanctl, tunnelName(outsideIp)), 'children'), tunnelName(outsideIp)));
const connection = (swanctl: string, outsideIp: string) => settings(section(swanctl, tunnelName(outsideIp)));

describe('strongswan-frr config: customer gateway (install-guide 5b)', () => {
	it('reproduces the reference swanctl.conf for the guide-style parameters with kernel-libipsec', () => {
		const swanctl = strongswanFrrConfig(design(), { libipsec: true })['swanctl.conf'];
		expect(section(swanctl, 'aws-203-0-113-11')).toBe(
			[
				'\t\tversion = 1',
				'\t\taggressive = no',
				'\t\tlocal_addrs = 198.51.100.7',
				'\t\tremote_addrs = 203.0.113.11',
				'\t\tproposals = aes128-sha1-modp1024',
				'\t\trekey_time = 25920s',
				'\t\tover_time = 2880s',
				'\t\tdpd_delay = 10s',
				'\t\tdpd_timeout = 30s',
				'\t\tencap = yes',
				'\t\tkeyingtries = 0',
				'\t\tunique = replace',
				'\t\tlocal {',
				'\t\t\tauth = psk',
				'\t\t\tid = 198.51.100.7',
				'\t\t}',
				'\t\tremote {',
				'\t\t\tauth = psk',
				'\t\t\tid = 203.0.113.11',
				'\t\t}',
				'\t\tchildren {',
				'\t\t\taws-203-0-113-11 {',
				'\t\t\t\tmode = tunnel',
				'\t\t\t\tlocal_ts = 169.254.123.134/32',
				'\t\t\t\tremote_ts = 169.254.123.133/32',
				'\t\t\t\tesp_proposals = aes128-sha1-modp1024',
				'\t\t\t\trekey_time = 3240s',
				'\t\t\t\tlife_time = 3600s',
				'\t\t\t\treqid = 1',
				'\t\t\t\tstart_action = start',
				'\t\t\t\tdpd_action = restart',
				'\t\t\t\tclose_action = start',
				'\t\t\t}',
				'\t\t}',
			].join('\n'),
		);
		expect(section(swanctl, 'secrets')).toBe(
			[
				'\tike-aws-203-0-113-11 {',
				'\t\tid-local = 198.51.100.7',
				'\t\tid-remote = 203.0.113.11',
				'\t\tsecret = "Tunnel1.PSK_a1b2c3d4"',
				'\t}',
				'\tike-aws-203-0-113-12 {',
				'\t\tid-local = 198.51.100.7',
				'\t\tid-remote = 203.0.113.12',
				'\t\tsecret = "Tunnel2.PSK_e5f6g7h8"',
				'\t}',
			].join('\n'),
		);
	});

	it('reproduces the reference frr.conf: BGP to both AWS inside addresses, timers 10 30, the LAN announced', () => {
		expect(strongswanFrrConfig(design())['frr.conf']).toBe(
			[
				'frr defaults traditional',
				'log syslog informational',
				'no ipv6 forwarding',
				'!',
				'router bgp 65000',
				' bgp router-id 198.51.100.7',
				' no bgp ebgp-requires-policy',
				' no bgp default ipv4-unicast',
				' neighbor 169.254.123.133 remote-as 64512',
				' neighbor 169.254.123.133 description aws-203.0.113.11',
				' neighbor 169.254.123.133 timers 10 30',
				' neighbor 169.254.123.133 timers connect 10',
				' neighbor 169.254.30.57 remote-as 64512',
				' neighbor 169.254.30.57 description aws-203.0.113.12',
				' neighbor 169.254.30.57 timers 10 30',
				' neighbor 169.254.30.57 timers connect 10',
				' !',
				' address-family ipv4 unicast',
				'  network 192.168.2.0/24',
				'  neighbor 169.254.123.133 activate',
				'  neighbor 169.254.30.57 activate',
				' exit-address-family',
				'exit',
				'!',
				'',
			].join('\n'),
		);
	});

	it('keys both tunnels by AWS outside address: connection, child, secret and identities', () => {
		const swanctl = strongswanFrrConfig(design())['swanctl.conf'];
		for (const each of design().tunnels) {
			const name = tunnelName(each.awsOutsideIp);
			expect(name).not.toContain('.');
			expect(connection(swanctl, each.awsOutsideIp)).toMatchObject({ remote_addrs: each.awsOutsideIp });
			expect(settings(section(section(swanctl, name), 'remote'))).toEqual({
				auth: 'psk',
				id: each.awsOutsideIp,
			});
			expect(settings(section(swanctl, `ike-${name}`))).toEqual({
				'id-local': '198.51.100.7',
				'id-remote': each.awsOutsideIp,
				secret: `"${each.psk}"`,
			});
		}
	});

	it('puts each PSK in swanctl.conf exactly once, in its secret, and nowhere else', () => {
		const files = strongswanFrrConfig(design(), { libipsec: true });
		for (const each of design().tunnels) {
			expect(files['swanctl.conf'].split(each.psk)).toHaveLength(2);
			expect(section(files['swanctl.conf'], `ike-${tunnelName(each.awsOutsideIp)}`)).toContain(each.psk);
			for (const file of ['strongswan.conf', 'frr.conf', 'setup.sh'] as const) {
				expect(files[file]).not.toContain(each.psk);
			}
		}
	});

	it.each([
		{
			name: 'AWS defaults (aes128/sha1/group 2, PFS group 2)',
			phase1: { encryption: 'aes128', integrity: 'sha1', dhGroup: 2, lifetimeSeconds: 28800 },
			phase2: { encryption: 'aes128', integrity: 'sha1', pfsGroup: 2, lifetimeSeconds: 3600 },
			ike: 'aes128-sha1-modp1024',
			esp: 'aes128-sha1-modp1024',
		},
		{
			name: 'aes256/SHA2-256/group 14',
			phase1: { encryption: 'AES256', integrity: 'SHA2-256', dhGroup: 14, lifetimeSeconds: 28800 },
			phase2: { encryption: 'AES256', integrity: 'SHA2-256', pfsGroup: 14, lifetimeSeconds: 3600 },
			ike: 'aes256-sha256-modp2048',
			esp: 'aes256-sha256-modp2048',
		},
		{
			name: 'AES128-GCM-16 with ECP group 19, no PFS',
			phase1: { encryption: 'AES128-GCM-16', integrity: 'SHA2-256', dhGroup: 19, lifetimeSeconds: 28800 },
			phase2: { encryption: 'aes128gcm16', integrity: 'sha256', pfsGroup: 0, lifetimeSeconds: 3600 },
			ike: 'aes128gcm16-prfsha256-ecp256',
			esp: 'aes128gcm16',
		},
	])('proposals for $name', ({ phase1, phase2, ike, esp }) => {
		const swanctl = strongswanFrrConfig(design({ tunnels: [tunnel(0, { phase1, phase2 }), tunnel(1)] }))[
			'swanctl.conf'
		];
		expect(connection(swanctl, '203.0.113.11').proposals).toBe(ike);
		expect(child(swanctl, '203.0.113.11').esp_proposals).toBe(esp);
		expect(connection(swanctl, '203.0.113.12').proposals).toBe('aes128-sha1-modp1024');
	});

	it.each([
		[900, 3600, { rekey_time: '810s', over_time: '90s' }, { rekey_time: '3240s', life_time: '3600s' }],
		[28800, 900, { rekey_time: '25920s', over_time: '2880s' }, { rekey_time: '810s', life_time: '900s' }],
	])(
		'IKE lifetime %i s and CHILD lifetime %i s never outlive AWS',
		(ike, esp, ikeSettings, childSettings) => {
			const each = tunnel(0, {
				phase1: { ...tunnel(0).phase1, lifetimeSeconds: ike },
				phase2: { ...tunnel(0).phase2, lifetimeSeconds: esp },
			});
			const swanctl = strongswanFrrConfig(design({ tunnels: [each, tunnel(1)] }))['swanctl.conf'];
			expect(connection(swanctl, '203.0.113.11')).toMatchObject(ikeSettings);
			expect(child(swanctl, '203.0.113.11')).toMatchObject(childSettings);
		},
	);

	it('writes IKEv2 tunnels without IKEv1-only settings', () => {
		const swanctl = strongswanFrrConfig(design({ tunnels: [tunnel(0), tunnel(1, { ikeVersion: 2 })] }))[
			'swanctl.conf'
		];
		const v1 = connection(swanctl, '203.0.113.11');
		const v2 = connection(swanctl, '203.0.113.12');
		expect(v1).toMatchObject({ version: '1', aggressive: 'no', dpd_timeout: '30s' });
		expect(v2).toMatchObject({ version: '2', mobike: 'no', dpd_delay: '10s' });
		expect(v2).not.toHaveProperty('aggressive');
		expect(v2).not.toHaveProperty('dpd_timeout');
	});

	it('uses the private WAN address behind NAT while identifying with the public one', () => {
		const natted = design({
			customer: { ...design().customer, publicIp: '198.51.100.7', privateIp: '192.0.2.2' },
		});
		const swanctl = strongswanFrrConfig(natted)['swanctl.conf'];
		expect(connection(swanctl, '203.0.113.11').local_addrs).toBe('192.0.2.2');
		expect(settings(section(section(swanctl, 'aws-203-0-113-11'), 'local')).id).toBe('198.51.100.7');
		expect(settings(section(swanctl, 'ike-aws-203-0-113-11'))['id-local']).toBe('198.51.100.7');
	});

	describe('data planes', () => {
		it('kernel: route-based XFRM interfaces, 0.0.0.0/0 selectors, if_id per tunnel', () => {
			const files = strongswanFrrConfig(design());
			for (const [index, each] of design().tunnels.entries()) {
				const settingsOfChild = child(files['swanctl.conf'], each.awsOutsideIp);
				expect(settingsOfChild).toMatchObject({
					local_ts: '0.0.0.0/0',
					remote_ts: '0.0.0.0/0',
					if_id_in: String(index + 1),
					if_id_out: String(index + 1),
				});
				expect(settingsOfChild).not.toHaveProperty('reqid');
				expect(files['setup.sh']).toContain(
					`ip link add aws-tun${index + 1} type xfrm dev eth0 if_id ${index + 1}`,
				);
				expect(files['setup.sh']).toContain(
					`ip addr replace ${each.customerInsideIp}/30 dev aws-tun${index + 1}`,
				);
			}
			expect(files['swanctl.conf']).not.toContain('encap');
			expect(files['strongswan.conf']).not.toContain('kernel-libipsec');
			expect(files['strongswan.conf']).toContain('install_routes = no');
		});

		it('libipsec: encap, /32 selectors on the inside addresses, static reqid, both /30s on ipsec0', () => {
			const files = strongswanFrrConfig(design(), { libipsec: true });
			for (const [index, each] of design().tunnels.entries()) {
				expect(connection(files['swanctl.conf'], each.awsOutsideIp).encap).toBe('yes');
				expect(child(files['swanctl.conf'], each.awsOutsideIp)).toMatchObject({
					local_ts: `${each.customerInsideIp}/32`,
					remote_ts: `${each.awsInsideIp}/32`,
					reqid: String(index + 1),
				});
				expect(files['setup.sh']).toContain(`ip addr replace ${each.customerInsideIp}/30 dev ipsec0`);
			}
			const load = /^\tload = (.*)$/m.exec(files['strongswan.conf'])?.[1]?.split(' ') ?? [];
			expect(files['strongswan.conf']).toContain('load_modular = no');
			expect(load.indexOf('kernel-libipsec')).toBeGreaterThanOrEqual(0);
			expect(load.indexOf('kernel-libipsec')).toBeLessThan(load.indexOf('kernel-netlink'));
			expect(files['setup.sh']).toContain('ip route replace unreachable 169.254.0.0/16');
			expect(files['setup.sh']).toContain('--set-mss 1387');
		});
	});

	it('static routing: no BGP, the VPC routed over tunnel 1 with tunnel 2 as a floating backup', () => {
		const frr = strongswanFrrConfig(design({ routing: 'static' }))['frr.conf'];
		expect(frr).not.toContain('router bgp');
		expect(frr).toContain('ip route 172.30.0.0/16 169.254.123.133\n');
		expect(frr).toContain('ip route 172.30.0.0/16 169.254.30.57 10\n');
	});

	it('refuses a Diffie-Hellman group it has no keyword for, naming it', () => {
		const odd = tunnel(0, { phase1: { ...tunnel(0).phase1, dhGroup: 99 } });
		expect(() => strongswanFrrConfig(design({ tunnels: [odd, tunnel(1)] }))).toThrow(/group 99/);
	});
});

describe("strongswan-frr config: the lab's AWS side (side: 'aws')", () => {
	const files = strongswanFrrConfig(design(), { side: 'aws', libipsec: true });

	it('answers on both outside addresses as AWS, waiting for the customer to initiate', () => {
		for (const each of design().tunnels) {
			expect(connection(files['swanctl.conf'], each.awsOutsideIp)).toMatchObject({
				local_addrs: each.awsOutsideIp,
				remote_addrs: '198.51.100.7',
			});
			expect(child(files['swanctl.conf'], each.awsOutsideIp)).toMatchObject({
				local_ts: `${each.awsInsideIp}/32`,
				remote_ts: `${each.customerInsideIp}/32`,
				start_action: 'none',
			});
			expect(settings(section(files['swanctl.conf'], `ike-${tunnelName(each.awsOutsideIp)}`))).toEqual({
				'id-local': each.awsOutsideIp,
				'id-remote': '198.51.100.7',
				secret: `"${each.psk}"`,
			});
			expect(files['setup.sh']).toContain(`ip addr replace ${each.awsInsideIp}/30 dev ipsec0`);
		}
	});

	it('runs BGP as AS 64512 toward the customer inside addresses and announces the VPC', () => {
		const frr = files['frr.conf'];
		expect(frr).toContain('router bgp 64512\n');
		expect(frr).toContain(' neighbor 169.254.123.134 remote-as 65000\n');
		expect(frr).toContain(' neighbor 169.254.30.58 remote-as 65000\n');
		expect(frr).toContain('  network 172.30.0.0/16\n');
		expect(frr).not.toContain('192.168.2.0/24');
		expect(files['setup.sh']).toContain('ip route replace blackhole 172.30.0.0/16');
	});
});
