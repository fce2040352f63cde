import { describe, expect, it } from 'vitest';
import {
	awsVpnRouterConfig,
	awsVpnTunnelConfig,
	multiTenantApplianceConfig,
	tenantRouterConfig,
} from '../../source/router/drivers/awplus/config.js';
import { SandboxWorld } from '../../source/sandbox/awplus/index.js';
import { guideAwsVpnDesign, guideMultiTenantDesign } from '../design/guide.js';

const tunnel1Psk = 'tunnel1.Key_from_the_first_element';
const tunnel2Psk = 'tunnel2.Key_from_the_second_element';

describe('awplus AR4050S to AWS VPN (install-guide 5b)', () => {
	it('tunnel1 matches the guide line for line', () => {
		expect(awsVpnTunnelConfig(guideAwsVpnDesign('static'), 0)).toEqual([
			'crypto isakmp profile AWS-ISAKMP-Phase-1',
			' transform 1 integrity sha1 encryption aes128 group 2',
			' lifetime 28800',
			' dpd-interval 10',
			' version 1 mode main',
			`crypto isakmp key ${tunnel1Psk} address 198.18.1.10`,
			'crypto isakmp peer address 198.18.1.10 profile AWS-ISAKMP-Phase-1',
			'crypto ipsec profile AWS-IPSEC-Phase-2',
			' transform 1 protocol esp integrity sha1 encryption aes128',
			' pfs 2',
			' lifetime seconds 3600',
			'interface tunnel1',
			' mtu 1434',
			' ip address 169.254.123.134/30',
			' tunnel source 10.1.1.1',
			' tunnel destination 198.18.1.10',
			' tunnel mode ipsec ipv4',
			' tunnel protection ipsec profile AWS-IPSEC-Phase-2',
			' ip tcp adjust-mss 1387',
			'ip route 0.0.0.0/0 ppp0',
			'ip route 172.30.0.0/24 169.254.123.133',
		]);
	});

	it('both tunnels with BGP: one profile pair, keys by outside address, two neighbours', () => {
		expect(awsVpnRouterConfig(guideAwsVpnDesign('bgp'))).toEqual([
			'crypto isakmp profile AWS-ISAKMP-Phase-1',
			' transform 1 integrity sha1 encryption aes128 group 2',
			' lifetime 28800',
			' dpd-interval 10',
			' version 1 mode main',
			`crypto isakmp key ${tunnel1Psk} address 198.18.1.10`,
			'crypto isakmp peer address 198.18.1.10 profile AWS-ISAKMP-Phase-1',
			`crypto isakmp key ${tunnel2Psk} address 198.18.2.20`,
			'crypto isakmp peer address 198.18.2.20 profile AWS-ISAKMP-Phase-1',
			'crypto ipsec profile AWS-IPSEC-Phase-2',
			' transform 1 protocol esp integrity sha1 encryption aes128',
			' pfs 2',
			' lifetime seconds 3600',
			'interface tunnel1',
			' mtu 1434',
			' ip address 169.254.123.134/30',
			' tunnel source 10.1.1.1',
			' tunnel destination 198.18.1.10',
			' tunnel mode ipsec ipv4',
			' tunnel protection ipsec profile AWS-IPSEC-Phase-2',
			' ip tcp adjust-mss 1387',
			'interface tunnel2',
			' mtu 1434',
			' ip address 169.254.30.58/30',
			' tunnel source 10.1.1.1',
			' tunnel destination 198.18.2.20',
			' tunnel mode ipsec ipv4',
			' tunnel protection ipsec profile AWS-IPSEC-Phase-2',
			' ip tcp adjust-mss 1387',
			'ip route 0.0.0.0/0 ppp0',
			'router bgp 65000',
			' neighbor 169.254.123.133 remote-as 64512',
			' neighbor 169.254.123.133 timers 10 30',
			' neighbor 169.254.30.57 remote-as 64512',
			' neighbor 169.254.30.57 timers 10 30',
			' network 192.168.1.0/24',
		]);
	});

	it('static routing: tunnel 2 as the backup and the null safety route', () => {
		expect(awsVpnRouterConfig(guideAwsVpnDesign('static')).slice(-4)).toEqual([
			'ip route 0.0.0.0/0 ppp0',
			'ip route 172.30.0.0/24 169.254.123.133',
			'ip route 172.30.0.0/24 169.254.30.57 2',
			'ip route 172.30.0.0/24 null 254',
		]);
	});

	it('tunnels that propose differently get a profile pair each', () => {
		const design = guideAwsVpnDesign('bgp');
		design.tunnels[1] = { ...design.tunnels[1], ikeVersion: 2 };
		const lines = awsVpnRouterConfig(design);
		expect(lines).toContain('crypto isakmp peer address 198.18.2.20 profile AWS-ISAKMP-Phase-1-T2');
		expect(lines).toContain(' version 2');
		expect(lines).toContain(' tunnel protection ipsec profile AWS-IPSEC-Phase-2-T2');
	});
});

describe('awplus multi-tenant (install-guide 6, tables 4 and 5)', () => {
	const design = guideMultiTenantDesign();

	it('appliance matches the guide line for line', () => {
		expect(multiTenantApplianceConfig(design).join('\n')).toBe(
			[
				'crypto isakmp key efghijklmnopqrstuvwxyz1234abcd address 10.10.10.1',
				'crypto isakmp key ijklmnopqrstuvwxyz1234abcdefgh address 10.20.20.1',
				'interface tunnel1',
				' tunnel source eth0',
				' tunnel destination 10.10.10.1',
				' tunnel local name vaa1',
				' tunnel local id 11',
				' tunnel remote id 12',
				' tunnel mode l2tp v3',
				' tunnel protection ipsec',
				'interface tunnel2',
				' tunnel source eth0',
				' tunnel destination 10.20.20.1',
				' tunnel local name vaa2',
				' tunnel local id 21',
				' tunnel remote id 22',
				' tunnel mode l2tp v3',
				' tunnel protection ipsec',
			].join('\n'),
		);
	});

	it('tenant A router matches the guide line for line', () => {
		expect(tenantRouterConfig(design, 'tenant-a').join('\n')).toBe(
			[
				'crypto isakmp key efghijklmnopqrstuvwxyz1234abcd hostname vaa1',
				'interface tunnel0',
				' tunnel source ppp0',
				' tunnel destination 10.0.0.5',
				' tunnel remote name vaa1',
				' tunnel local id 12',
				' tunnel remote id 11',
				' tunnel mode l2tp v3',
				' tunnel protection ipsec',
				' ip address 172.16.0.2/24',
			].join('\n'),
		);
	});

	it('tenant B router: key …abcdefgh, name vaa2, ids 22/21 (as the guide says)', () => {
		expect(tenantRouterConfig(design, 'tenant-b').join('\n')).toBe(
			[
				'crypto isakmp key ijklmnopqrstuvwxyz1234abcdefgh hostname vaa2',
				'interface tunnel0',
				' tunnel source ppp0',
				' tunnel destination 10.0.0.5',
				' tunnel remote name vaa2',
				' tunnel local id 22',
				' tunnel remote id 21',
				' tunnel mode l2tp v3',
				' tunnel protection ipsec',
				' ip address 172.16.0.2/24',
			].join('\n'),
		);
	});

	it('an unknown tenant is an error naming it', () => {
		expect(() => tenantRouterConfig(design, 'tenant-z')).toThrow(/tenant-z/);
	});
});

describe('multi-tenant configs on the simulated AW+ routers', () => {
	it('both tenants’ L2TPv3-over-IPsec tunnels come up from the generated lines alone', () => {
		const clock = { ms: 1_000_000 };
		const world = new SandboxWorld({ negotiationMs: 1000, now: () => clock.ms });
		try {
			const design = guideMultiTenantDesign();
			world.addRouter({
				name: 'amf',
				publicIp: '10.0.0.5',
				privateIp: '172.30.0.5',
				config: multiTenantApplianceConfig(design),
			});
			world.addRouter({
				name: 'tenant-a',
				publicIp: '10.10.10.1',
				config: tenantRouterConfig(design, 'tenant-a'),
			});
			world.addRouter({
				name: 'tenant-b',
				publicIp: '10.20.20.1',
				config: tenantRouterConfig(design, 'tenant-b'),
			});
			clock.ms += 5000;
			for (const [router, tunnel] of [
				['amf', 'tunnel1'],
				['amf', 'tunnel2'],
				['tenant-a', 'tunnel0'],
				['tenant-b', 'tunnel0'],
			] as const) {
				expect(world.tunnel(router, tunnel), `${router} ${tunnel}`).toMatchObject({
					state: 'up',
					l2tpv3: 'up',
				});
			}
		} finally {
			world.close();
		}
	});
});
