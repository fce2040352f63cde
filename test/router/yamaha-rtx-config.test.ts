import { describe, expect, it } from 'vitest';
import { yamahaRtxAwsVpnConfig } from '../../source/router/drivers/yamaha-rtx/config.js';
import { guideAwsVpnDesign } from '../design/guide.js';

/** The guide's RTX example: tunnel 1 inside 169.254.0.32/30 (AWS .33, router .34). */
function guideDesign(routing: 'bgp' | 'static') {
	const design = guideAwsVpnDesign(routing);
	design.tunnels[0] = {
		...design.tunnels[0],
		insideCidr: '169.254.0.32/30',
		awsInsideIp: '169.254.0.33',
		customerInsideIp: '169.254.0.34',
	};
	return design;
}

describe('yamaha-rtx AWS VPN (install-guide 7)', () => {
	it('tunnel 1 as the RTX cloud-vpn mode writes it', () => {
		const lines = yamahaRtxAwsVpnConfig(guideDesign('bgp'));
		expect(lines.slice(0, lines.indexOf('tunnel select 2'))).toEqual([
			'tunnel select 1',
			' description tunnel AWS vpn-0123456789abcdef0 198.18.1.10',
			' ipsec tunnel 1',
			'  ipsec sa policy 1 1 esp aes-cbc sha-hmac',
			'  ipsec ike version 1 1',
			'  ipsec ike duration ipsec-sa 1 3600',
			'  ipsec ike duration isakmp-sa 1 28800',
			'  ipsec ike encryption 1 aes-cbc',
			'  ipsec ike group 1 modp1024',
			'  ipsec ike hash 1 sha',
			'  ipsec ike keepalive use 1 on dpd 10 3',
			'  ipsec ike local address 1 10.1.1.1',
			'  ipsec ike nat-traversal 1 on',
			'  ipsec ike pfs 1 on',
			'  ipsec ike pre-shared-key 1 text tunnel1.Key_from_the_first_element',
			'  ipsec ike remote address 1 198.18.1.10',
			' ip tunnel address 169.254.0.34/30',
			' ip tunnel remote address 169.254.0.33',
			' ip tunnel tcp mss limit 1387',
			' tunnel enable 1',
		]);
	});

	it('BGP neighbours on the inside addresses, as the guide shows', () => {
		expect(yamahaRtxAwsVpnConfig(guideDesign('bgp')).slice(-6)).toEqual([
			'bgp use on',
			'bgp autonomous-system 65000',
			'bgp neighbor 1 64512 169.254.0.33 hold-time=30 local-address=169.254.0.34',
			'bgp neighbor 2 64512 169.254.30.57 hold-time=30 local-address=169.254.30.58',
			'bgp import filter 1 include 192.168.1.0/24',
			'bgp import 64512 static filter 1',
		]);
	});

	it('static: tunnel 2 only while tunnel 1 is down', () => {
		expect(yamahaRtxAwsVpnConfig(guideDesign('static')).at(-1)).toBe(
			'ip route 172.30.0.0/24 gateway tunnel 1 hide gateway tunnel 2 weight 0',
		);
	});

	it('behind NAT: filters and static masquerade for IKE, NAT-T and ESP', () => {
		const design = guideDesign('bgp');
		design.customer.privateIp = '192.168.100.1';
		expect(
			yamahaRtxAwsVpnConfig(design, { nat: { descriptor: 1000, firstFilter: 200100 } }).slice(-6),
		).toEqual([
			'ip filter 200100 pass * 192.168.100.1 udp * 500',
			'ip filter 200101 pass * 192.168.100.1 udp * 4500',
			'ip filter 200102 pass * 192.168.100.1 esp * *',
			'nat descriptor masquerade static 1000 200100 192.168.100.1 udp 500',
			'nat descriptor masquerade static 1000 200101 192.168.100.1 udp 4500',
			'nat descriptor masquerade static 1000 200102 192.168.100.1 esp',
		]);
	});
});
