import { describe, expect, it } from 'vitest';
import { juniperSrxAwsVpnConfig } from '../../source/router/drivers/juniper-srx/config.js';
import { guideAwsVpnDesign } from '../design/guide.js';

const id = 'vpn-0123456789abcdef0';

describe('juniper-srx AWS VPN (AWS sample shape)', () => {
	it('tunnel 2: its own proposal, policy with its key, gateway with its address, st0.2', () => {
		const lines = juniperSrxAwsVpnConfig(guideAwsVpnDesign('bgp'));
		const tunnel2 = lines.filter(
			(line) => line.includes(`${id}-2`) || line.includes('st0 unit 2') || line.endsWith('st0.2'),
		);
		expect(tunnel2).toEqual([
			`set security ike proposal ike-prop-${id}-2 authentication-method pre-shared-keys`,
			`set security ike proposal ike-prop-${id}-2 authentication-algorithm sha1`,
			`set security ike proposal ike-prop-${id}-2 encryption-algorithm aes-128-cbc`,
			`set security ike proposal ike-prop-${id}-2 lifetime-seconds 28800`,
			`set security ike proposal ike-prop-${id}-2 dh-group group2`,
			`set security ike policy ike-pol-${id}-2 mode main`,
			`set security ike policy ike-pol-${id}-2 proposals ike-prop-${id}-2`,
			`set security ike policy ike-pol-${id}-2 pre-shared-key ascii-text "tunnel2.Key_from_the_second_element"`,
			`set security ike gateway gw-${id}-2 ike-policy ike-pol-${id}-2`,
			`set security ike gateway gw-${id}-2 external-interface ge-0/0/0.0`,
			`set security ike gateway gw-${id}-2 address 198.18.2.20`,
			`set security ike gateway gw-${id}-2 no-nat-traversal`,
			`set security ike gateway gw-${id}-2 dead-peer-detection interval 10 threshold 3`,
			`set security ike gateway gw-${id}-2 version v1-only`,
			`set security ipsec proposal ipsec-prop-${id}-2 protocol esp`,
			`set security ipsec proposal ipsec-prop-${id}-2 authentication-algorithm hmac-sha1-96`,
			`set security ipsec proposal ipsec-prop-${id}-2 encryption-algorithm aes-128-cbc`,
			`set security ipsec proposal ipsec-prop-${id}-2 lifetime-seconds 3600`,
			`set security ipsec policy ipsec-pol-${id}-2 perfect-forward-secrecy keys group2`,
			`set security ipsec policy ipsec-pol-${id}-2 proposals ipsec-prop-${id}-2`,
			`set security ipsec vpn ${id}-2 bind-interface st0.2`,
			`set security ipsec vpn ${id}-2 ike gateway gw-${id}-2`,
			`set security ipsec vpn ${id}-2 ike ipsec-policy ipsec-pol-${id}-2`,
			`set security ipsec vpn ${id}-2 df-bit clear`,
			`set security ipsec vpn ${id}-2 establish-tunnels immediately`,
			'set interfaces st0 unit 2 family inet address 169.254.30.58/30',
			'set interfaces st0 unit 2 family inet mtu 1399',
			'set security zones security-zone trust interfaces st0.2',
		]);
	});

	it('BGP group toward both AWS inside addresses, exporting only the LAN', () => {
		expect(juniperSrxAwsVpnConfig(guideAwsVpnDesign('bgp')).slice(-12)).toEqual([
			'set security flow tcp-mss ipsec-vpn mss 1387',
			'set policy-options policy-statement EXPORT-TO-AWS term lan from route-filter 192.168.1.0/24 exact',
			'set policy-options policy-statement EXPORT-TO-AWS term lan then accept',
			'set policy-options policy-statement EXPORT-TO-AWS term rest then reject',
			'set routing-options autonomous-system 65000',
			'set protocols bgp group aws type external',
			'set protocols bgp group aws hold-time 30',
			'set protocols bgp group aws peer-as 64512',
			'set protocols bgp group aws export EXPORT-TO-AWS',
			'set protocols bgp group aws neighbor 169.254.123.133',
			'set protocols bgp group aws neighbor 169.254.30.57',
			'set security zones security-zone trust host-inbound-traffic protocols bgp',
		]);
	});

	it('static routing and NAT', () => {
		const design = guideAwsVpnDesign('static');
		design.customer.privateIp = '192.168.0.2';
		design.customer.wanInterface = 'ge-0/0/1.0';
		const lines = juniperSrxAwsVpnConfig(design);
		expect(lines[0]).toBe(
			'set security zones security-zone untrust interfaces ge-0/0/1.0 host-inbound-traffic system-services ike',
		);
		expect(lines).toContain(`set security ike gateway gw-${id}-1 local-identity inet 10.1.1.1`);
		expect(lines).not.toContain(`set security ike gateway gw-${id}-1 no-nat-traversal`);
		expect(lines.slice(-2)).toEqual([
			'set routing-options static route 172.30.0.0/24 next-hop st0.1',
			'set routing-options static route 172.30.0.0/24 qualified-next-hop st0.2 preference 10',
		]);
	});
});
