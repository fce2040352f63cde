import { describe, expect, it } from 'vitest';
import { ciscoIosAwsVpnConfig } from '../../source/router/drivers/cisco-ios/config.js';
import { guideAwsVpnDesign } from '../design/guide.js';

const id = 'vpn-0123456789abcdef0';

function tunnelBlock(index: 0 | 1, address: string, psk: string): string[] {
	return [
		`crypto isakmp policy ${200 + index}`,
		' encr aes',
		' hash sha',
		' authentication pre-share',
		' group 2',
		' lifetime 28800',
		`crypto keyring keyring-${id}-${index}`,
		' local-address 10.1.1.1',
		` pre-shared-key address ${address} key ${psk}`,
		`crypto isakmp profile isakmp-${id}-${index}`,
		` keyring keyring-${id}-${index}`,
		` match identity address ${address} 255.255.255.255`,
		' local-address 10.1.1.1',
		`crypto ipsec transform-set ipsec-prop-${id}-${index} esp-aes 128 esp-sha-hmac`,
		' mode tunnel',
		`crypto ipsec profile ipsec-${id}-${index}`,
		` set transform-set ipsec-prop-${id}-${index}`,
		' set pfs group2',
		' set security-association lifetime seconds 3600',
	];
}

function tunnelInterface(number: number, address: string, inside: string): string[] {
	return [
		`interface Tunnel${number}`,
		` ip address ${inside} 255.255.255.252`,
		' ip virtual-reassembly',
		' ip tcp adjust-mss 1387',
		' tunnel source 10.1.1.1',
		` tunnel destination ${address}`,
		' tunnel mode ipsec ipv4',
		` tunnel protection ipsec profile ipsec-${id}-${number - 1}`,
		' no shutdown',
	];
}

describe('cisco-ios AWS VPN (AWS sample shape, install-guide 7)', () => {
	it('BGP: two tunnels, each with its own key for its own address', () => {
		expect(ciscoIosAwsVpnConfig(guideAwsVpnDesign('bgp'))).toEqual([
			...tunnelBlock(0, '198.18.1.10', 'tunnel1.Key_from_the_first_element'),
			...tunnelBlock(1, '198.18.2.20', 'tunnel2.Key_from_the_second_element'),
			'crypto ipsec df-bit clear',
			'crypto isakmp keepalive 10 10 on-demand',
			'crypto ipsec security-association replay window-size 128',
			'crypto ipsec fragmentation before-encryption',
			...tunnelInterface(1, '198.18.1.10', '169.254.123.134'),
			...tunnelInterface(2, '198.18.2.20', '169.254.30.58'),
			'router bgp 65000',
			' neighbor 169.254.123.133 remote-as 64512',
			' neighbor 169.254.123.133 timers 10 30 30',
			' neighbor 169.254.30.57 remote-as 64512',
			' neighbor 169.254.30.57 timers 10 30 30',
			' address-family ipv4 unicast',
			'  network 192.168.1.0 mask 255.255.255.0',
			'  neighbor 169.254.123.133 activate',
			'  neighbor 169.254.123.133 soft-reconfiguration inbound',
			'  neighbor 169.254.30.57 activate',
			'  neighbor 169.254.30.57 soft-reconfiguration inbound',
			' exit-address-family',
		]);
	});

	it('static: routes tracked by an IP SLA ping of each AWS inside address', () => {
		const lines = ciscoIosAwsVpnConfig(guideAwsVpnDesign('static'));
		expect(lines.slice(lines.indexOf('ip route 172.30.0.0 255.255.255.0 Tunnel1 track 100'))).toEqual([
			'ip route 172.30.0.0 255.255.255.0 Tunnel1 track 100',
			'ip sla 100',
			' icmp-echo 169.254.123.133 source-interface Tunnel1',
			' timeout 1000',
			' frequency 5',
			'ip sla schedule 100 life forever start-time now',
			'track 100 ip sla 100 reachability',
			'ip route 172.30.0.0 255.255.255.0 Tunnel2 track 101 10',
			'ip sla 101',
			' icmp-echo 169.254.30.57 source-interface Tunnel2',
			' timeout 1000',
			' frequency 5',
			'ip sla schedule 101 life forever start-time now',
			'track 101 ip sla 101 reachability',
		]);
		expect(lines.some((line) => line.startsWith('router bgp'))).toBe(false);
	});

	it('IKEv2 tunnels get the IKEv2 objects, GCM drops the separate integrity', () => {
		const design = guideAwsVpnDesign('bgp');
		design.tunnels[1] = {
			...design.tunnels[1],
			ikeVersion: 2,
			phase1: { ...design.tunnels[1].phase1, encryption: 'aes256gcm16', integrity: 'sha256', dhGroup: 20 },
			phase2: { ...design.tunnels[1].phase2, encryption: 'aes256gcm16', integrity: 'sha256', pfsGroup: 20 },
		};
		const lines = ciscoIosAwsVpnConfig(design);
		expect(lines).toContain(`crypto ikev2 proposal ike-prop-${id}-1`);
		expect(lines).toContain(' encryption aes-gcm-256');
		expect(lines).toContain(' prf sha256');
		expect(lines).toContain('  pre-shared-key tunnel2.Key_from_the_second_element');
		expect(lines).toContain(`crypto ipsec transform-set ipsec-prop-${id}-1 esp-gcm 256`);
		expect(lines).toContain(` set ikev2-profile ikev2-${id}-1`);
		expect(lines).not.toContain('crypto isakmp policy 201');
	});

	it('behind NAT the keyring and tunnel use the private address', () => {
		const design = guideAwsVpnDesign('bgp');
		design.customer.privateIp = '192.168.0.2';
		const lines = ciscoIosAwsVpnConfig(design);
		expect(lines).toContain(' local-address 192.168.0.2');
		expect(lines).toContain(' tunnel source 192.168.0.2');
	});
});
