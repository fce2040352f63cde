import { readFileSync } from 'node:fs';
import { buildAwsVpnDesign, buildMultiTenantDesign } from '../../source/design/build.js';
import { parseCustomerGatewayConfiguration } from '../../source/design/customer-gateway-configuration.js';
import { parseAnswers } from '../../source/flow/answers.js';

/** The install guide's parameters for sections 5b and 6, shared by the design and generator tests. */

const base = {
	region: 'ap-northeast-1',
	name: 'amf-cloud',
	vpc: { cidr: '172.30.0.0/16' },
	subnet: { cidr: '172.30.0.0/24' },
	securityGroup: { name: 'Permitted-IP-Hosts', sshFrom: ['203.0.113.7/32'] },
	keyPair: { name: 'amf-cloud-key', privateKeyFile: './amf-cloud-key.pem' },
	instance: { type: 't3.small', name: 'AMF-VAA' },
};

export const fixtureXml = (name: 'vpn-bgp' | 'vpn-static') =>
	readFileSync(new URL(`./fixtures/${name}.xml`, import.meta.url), 'utf8');

/** Section 5b: the AR4050S (public 10.1.1.1, LAN 192.168.1.0/24) to AWS; the guide routes the subnet 172.30.0.0/24. */
export function guideAwsVpnAnswers(routing: 'bgp' | 'static') {
	return parseAnswers({
		...base,
		flow: 'single-aws-vpn',
		peers: [{ name: 'ar4050s', publicIp: '10.1.1.1', lan: ['192.168.1.0/24'], asn: 65000 }],
		vpn: { routing, awsNetworks: ['172.30.0.0/24'] },
	});
}

export function guideAwsVpnDesign(routing: 'bgp' | 'static' = 'bgp') {
	const configuration = parseCustomerGatewayConfiguration(
		fixtureXml(routing === 'bgp' ? 'vpn-bgp' : 'vpn-static'),
	);
	return buildAwsVpnDesign(guideAwsVpnAnswers(routing), { configuration });
}

/** Section 6, tables 4 and 5: tenants A and B. */
export const guideTenantPsks = {
	'tenant-a': 'efghijklmnopqrstuvwxyz1234abcd',
	'tenant-b': 'ijklmnopqrstuvwxyz1234abcdefgh',
};

export const guideMultiTenantAnswers = parseAnswers({
	...base,
	flow: 'multi-tenant',
	peers: [
		{
			name: 'tenant-a',
			publicIp: '10.10.10.1',
			lan: ['192.168.10.0/24'],
			psk: 'env:TENANT_A_PSK',
			tunnelAddress: '172.16.0.2/24',
			tenant: { container: 'ConA', bridge: 'br1' },
		},
		{
			name: 'tenant-b',
			publicIp: '10.20.20.1',
			lan: ['192.168.10.0/24'],
			psk: 'env:TENANT_B_PSK',
			tunnelAddress: '172.16.0.2/24',
			tenant: { container: 'ConB', bridge: 'br2' },
		},
	],
});

export const guideMultiTenantDesign = () =>
	buildMultiTenantDesign(
		guideMultiTenantAnswers,
		{ publicIp: '10.0.0.5', privateIp: '172.30.0.5' },
		guideTenantPsks,
	);
