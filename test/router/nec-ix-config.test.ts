import { describe, expect, it } from 'vitest';
import { necIxAwsVpnConfig } from '../../source/router/drivers/nec-ix/config.js';
import { guideAwsVpnDesign } from '../design/guide.js';

/** Install-guide 7's NEC IX sample uses the LAN 192.168.2.0/24 and the inside addresses of the fixture. */
function guideDesign(routing: 'bgp' | 'static') {
	const design = guideAwsVpnDesign(routing);
	design.customer.lan = ['192.168.2.0/24'];
	return design;
}

describe('nec-ix AWS VPN (install-guide 7)', () => {
	it('matches the guide line for line', () => {
		expect(necIxAwsVpnConfig(guideDesign('bgp'))).toEqual([
			'ike proposal ike-prop encryption aes hash sha group 1024-bit',
			'ike policy ike-policy1 peer 198.18.1.10 key tunnel1.Key_from_the_first_element ike-prop',
			'ike policy ike-policy2 peer 198.18.2.20 key tunnel2.Key_from_the_second_element ike-prop',
			'ip access-list sec-list permit ip src any dest any',
			'ipsec autokey-proposal ipsec-prop esp-aes esp-sha lifetime time 3600',
			'ipsec autokey-map ipsec-map1 sec-list peer 198.18.1.10 ipsec-prop pfs 1024-bit',
			'ipsec autokey-map ipsec-map2 sec-list peer 198.18.2.20 ipsec-prop pfs 1024-bit',
			'interface Tunnel0.0',
			' tunnel mode ipsec',
			' ip address 169.254.123.134/30',
			' ip tcp adjust-mss auto',
			' ipsec policy tunnel ipsec-map1 df-bit ignore pre-fragment out',
			' no shutdown',
			'interface Tunnel1.0',
			' tunnel mode ipsec',
			' ip address 169.254.30.58/30',
			' ip tcp adjust-mss auto',
			' ipsec policy tunnel ipsec-map2 df-bit ignore pre-fragment out',
			' no shutdown',
			'router bgp 65000',
			' neighbor 169.254.123.133 remote-as 64512',
			' neighbor 169.254.123.133 timers 10 30',
			' neighbor 169.254.30.57 remote-as 64512',
			' neighbor 169.254.30.57 timers 10 30',
			' address-family ipv4 unicast',
			'  network 192.168.2.0/24',
		]);
	});

	it('static routing: tunnel 0 first, tunnel 1 as the backup', () => {
		expect(necIxAwsVpnConfig(guideDesign('static')).slice(-2)).toEqual([
			'ip route 172.30.0.0/24 Tunnel0.0',
			'ip route 172.30.0.0/24 Tunnel1.0 distance 10',
		]);
	});

	it('stronger proposals use the IX keywords', () => {
		const design = guideDesign('bgp');
		for (const tunnel of design.tunnels) {
			tunnel.phase1 = { ...tunnel.phase1, encryption: 'aes256', integrity: 'sha256', dhGroup: 14 };
			tunnel.phase2 = { ...tunnel.phase2, encryption: 'aes256', integrity: 'sha256', pfsGroup: 14 };
		}
		const lines = necIxAwsVpnConfig(design);
		expect(lines[0]).toBe('ike proposal ike-prop encryption aes-256 hash sha2-256 group 2048-bit');
		expect(lines).toContain('ipsec autokey-proposal ipsec-prop esp-aes-256 esp-sha2-256 lifetime time 3600');
		expect(lines).toContain('ipsec autokey-map ipsec-map2 sec-list peer 198.18.2.20 ipsec-prop pfs 2048-bit');
	});

	it('refuses an IKEv2-only tunnel and names it', () => {
		const design = guideDesign('bgp');
		design.tunnels[1] = { ...design.tunnels[1], ikeVersion: 2 };
		expect(() => necIxAwsVpnConfig(design)).toThrow(/198\.18\.2\.20.*IKEv2/);
	});
});
