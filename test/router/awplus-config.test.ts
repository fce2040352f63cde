import { describe, expect, it } from 'vitest';
import { buildApplianceTunnelDesign, partnerAddress } from '../../source/design/build.js';
import { parseAnswers } from '../../source/flow/answers.js';
import { applianceTunnelConfig, routerTunnelConfig } from '../../source/router/drivers/awplus/config.js';

// The install guide's own parameters (table 2) must reproduce the guide's configurations line for line.
const guidePsk = 'abcdefghijklmnopqrstuvwxyz1234';
const answers = parseAnswers({
	flow: 'single-appliance',
	region: 'ap-northeast-1',
	name: 'amf-cloud',
	vpc: { cidr: '172.30.0.0/16' },
	subnet: { cidr: '172.30.0.0/24' },
	securityGroup: { name: 'Permitted-IP-Hosts', sshFrom: ['0.0.0.0/0'], userNetworks: ['192.168.1.0/24'] },
	keyPair: { name: 'amf-cloud-key', privateKeyFile: './amf-cloud-key.pem' },
	instance: { type: 't2.micro', name: 'AMF-VAA' },
	peers: [{ name: 'ar4050s', publicIp: '10.1.1.1', lan: ['192.168.1.0/24'] }],
});
const peer = answers.peers[0]!;
const design = buildApplianceTunnelDesign(
	answers,
	peer,
	{ publicIp: '10.0.0.5', privateIp: '172.30.0.5' },
	guidePsk,
);

describe('awplus single-appliance configs (install-guide 5a)', () => {
	it('appliance side matches the guide', () => {
		expect(applianceTunnelConfig(design).join('\n')).toBe(
			[
				'crypto isakmp key abcdefghijklmnopqrstuvwxyz1234 address 10.1.1.1',
				'interface tunnel0',
				' tunnel source eth0',
				' tunnel destination 10.1.1.1',
				' tunnel local name vaa0',
				' tunnel mode ipsec ipv4',
				' tunnel protection ipsec',
				' ip address 172.16.0.1/30',
				' mtu 1300',
				'ip route 192.168.1.0/24 tunnel0',
				'ip route 192.168.1.0/24 null 254',
			].join('\n'),
		);
	});

	it('AR router side matches the guide', () => {
		expect(routerTunnelConfig(design).join('\n')).toBe(
			[
				'crypto isakmp key abcdefghijklmnopqrstuvwxyz1234 hostname vaa0',
				'interface tunnel0',
				' tunnel source ppp0',
				' tunnel destination 10.0.0.5',
				' tunnel remote name vaa0',
				' tunnel mode ipsec ipv4',
				' tunnel protection ipsec',
				' ip address 172.16.0.2/30',
				' ip tcp adjust-mss 1260',
				' mtu 1300',
				'ip route 172.30.0.5/32 tunnel0',
				'ip route 172.30.0.5/32 null 254',
			].join('\n'),
		);
	});

	it.each([
		['172.16.0.1/30', '172.16.0.2/30'],
		['172.16.0.2/30', '172.16.0.1/30'],
		['169.254.10.5/30', '169.254.10.6/30'],
		['10.0.0.0/31', '10.0.0.1/31'],
	])('partner of %s is %s', (address, partner) => {
		expect(partnerAddress(address)).toBe(partner);
	});
});
