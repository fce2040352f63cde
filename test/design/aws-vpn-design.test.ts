import { describe, expect, it } from 'vitest';
import { buildAwsVpnDesign } from '../../source/design/build.js';
import {
	CustomerGatewayConfigurationError,
	normaliseEncryption,
	normaliseIntegrity,
	parseCustomerGatewayConfiguration,
} from '../../source/design/customer-gateway-configuration.js';
import { parseAnswers } from '../../source/flow/answers.js';
import { fixtureXml, guideAwsVpnAnswers, guideAwsVpnDesign, guideMultiTenantDesign } from './guide.js';

describe('parseCustomerGatewayConfiguration', () => {
	it('reads each tunnel whole from its own element', () => {
		const parsed = parseCustomerGatewayConfiguration(fixtureXml('vpn-bgp'));
		expect(parsed.vpnConnectionId).toBe('vpn-0123456789abcdef0');
		expect(parsed.customerGatewayId).toBe('cgw-0123456789abcdef0');
		expect(parsed.vpnGatewayId).toBe('vgw-0123456789abcdef0');
		expect(parsed.tunnels[0]).toEqual({
			awsOutsideIp: '198.18.2.20',
			customerOutsideIp: '10.1.1.1',
			awsInsideIp: '169.254.30.57',
			customerInsideIp: '169.254.30.58',
			insideCidr: '169.254.30.56/30',
			awsAsn: 64512,
			customerAsn: 65000,
			bgpHoldSeconds: 30,
			psk: 'tunnel2.Key_from_the_second_element',
			ike: { encryption: 'aes128', integrity: 'sha1', dhGroup: 2, lifetimeSeconds: 28800, mode: 'main' },
			ipsec: {
				encryption: 'aes128',
				integrity: 'sha1',
				pfsGroup: 2,
				lifetimeSeconds: 3600,
				tcpMss: 1387,
				dpdIntervalSeconds: 10,
				dpdRetries: 3,
			},
		});
	});

	it('static connections carry no BGP', () => {
		const parsed = parseCustomerGatewayConfiguration(fixtureXml('vpn-static'));
		expect(parsed.attributes).toBe('NoBGPVPNConnection');
		expect(parsed.tunnels.map((tunnel) => tunnel.awsAsn)).toEqual([undefined, undefined]);
	});

	it.each([
		['<nope/>', /no <vpn_connection>/],
		['<vpn_connection id="vpn-1"></vpn_connection>', /no <ipsec_tunnel>/],
		[
			'<vpn_connection id="vpn-1"><ipsec_tunnel><vpn_gateway/></ipsec_tunnel></vpn_connection>',
			/tunnel_outside_address/,
		],
		['<vpn_connection', /not well-formed|no <vpn_connection>/],
	])('refuses %s', (xml, message) => {
		expect(() => parseCustomerGatewayConfiguration(xml)).toThrow(CustomerGatewayConfigurationError);
		expect(() => parseCustomerGatewayConfiguration(xml)).toThrow(message);
	});

	it('names a missing key without printing any key', () => {
		const xml = fixtureXml('vpn-bgp').replace(/<pre_shared_key>tunnel1[^<]*<\/pre_shared_key>/, '');
		expect(() => parseCustomerGatewayConfiguration(xml)).toThrow(/198\.18\.1\.10.*pre_shared_key/);
		try {
			parseCustomerGatewayConfiguration(xml);
		} catch (error) {
			expect(String(error)).not.toContain('tunnel2.Key');
		}
	});

	it('refuses two tunnels with one outside address', () => {
		const xml = fixtureXml('vpn-bgp').replace('198.18.2.20', '198.18.1.10');
		expect(() => parseCustomerGatewayConfiguration(xml)).toThrow(/share an AWS outside address/);
	});

	it.each([
		['aes-128-cbc', 'aes128'],
		['aes-256-cbc', 'aes256'],
		['AES128', 'aes128'],
		['AES256-GCM-16', 'aes256gcm16'],
		['aes-128-gcm-16', 'aes128gcm16'],
	])('encryption %s → %s', (value, expected) => expect(normaliseEncryption(value)).toBe(expected));

	it.each([
		['sha1', 'sha1'],
		['hmac-sha1-96', 'sha1'],
		['SHA2-256', 'sha256'],
		['hmac-sha2-256-128', 'sha256'],
		['sha2-512', 'sha512'],
	])('integrity %s → %s', (value, expected) => expect(normaliseIntegrity(value)).toBe(expected));
});

describe('buildAwsVpnDesign', () => {
	it('orders tunnels by outside address, keeping each key with its address', () => {
		const design = guideAwsVpnDesign('bgp');
		expect(
			design.tunnels.map((tunnel) => [tunnel.awsOutsideIp, tunnel.psk, tunnel.customerInsideIp]),
		).toEqual([
			['198.18.1.10', 'tunnel1.Key_from_the_first_element', '169.254.123.134'],
			['198.18.2.20', 'tunnel2.Key_from_the_second_element', '169.254.30.58'],
		]);
		expect(design).toMatchObject({
			kind: 'aws-vpn',
			vpnConnectionId: 'vpn-0123456789abcdef0',
			customer: { publicIp: '10.1.1.1', wanInterface: 'ppp0', asn: 65000, lan: ['192.168.1.0/24'] },
			awsAsn: 64512,
			vpcCidr: '172.30.0.0/16',
			awsNetworks: ['172.30.0.0/24'],
			routing: 'bgp',
			mtu: 1399,
			mss: 1387,
			bgpHoldSeconds: 30,
			bgpKeepaliveSeconds: 10,
		});
	});

	it('is the same design whatever order AWS writes its tunnels in', () => {
		const xml = fixtureXml('vpn-bgp');
		const tunnels = xml.match(/<ipsec_tunnel>[\s\S]*?<\/ipsec_tunnel>/g) ?? [];
		const [first = '', second = ''] = tunnels;
		const swapped = xml.replace(first, '\u0000').replace(second, first).replace('\u0000', second);
		expect(swapped).not.toBe(xml);
		const answers = guideAwsVpnAnswers('bgp');
		expect(buildAwsVpnDesign(answers, { configuration: parseCustomerGatewayConfiguration(swapped) })).toEqual(
			guideAwsVpnDesign('bgp'),
		);
	});

	it('routing follows the answers, else StaticRoutesOnly, else the XML', () => {
		const configuration = parseCustomerGatewayConfiguration(fixtureXml('vpn-static'));
		const answers = parseAnswers({ ...guideAwsVpnAnswers('static'), vpn: {} });
		expect(buildAwsVpnDesign(answers, { configuration }).routing).toBe('static');
		const bgp = parseCustomerGatewayConfiguration(fixtureXml('vpn-bgp'));
		expect(buildAwsVpnDesign(answers, { configuration: bgp }).routing).toBe('bgp');
		expect(buildAwsVpnDesign(answers, { configuration: bgp, staticRoutesOnly: true }).routing).toBe('static');
	});

	it('IKE version comes from the tunnel options keyed by outside address', () => {
		const configuration = parseCustomerGatewayConfiguration(fixtureXml('vpn-bgp'));
		const design = buildAwsVpnDesign(guideAwsVpnAnswers('bgp'), {
			configuration,
			tunnelOptions: [
				{ outsideIpAddress: '198.18.2.20', ikeVersions: ['ikev2'] },
				{ outsideIpAddress: '198.18.1.10', ikeVersions: ['ikev1', 'ikev2'] },
			],
		});
		expect(design.tunnels.map((tunnel) => tunnel.ikeVersion)).toEqual([1, 2]);
	});

	it('answers match their tunnel by inside CIDR', () => {
		const answers = parseAnswers({
			...guideAwsVpnAnswers('bgp'),
			vpn: {
				tunnels: [
					{ insideCidr: '169.254.30.56/30', ikeVersions: ['ikev2'] },
					{ insideCidr: '169.254.123.132/30' },
				],
			},
		});
		const design = buildAwsVpnDesign(answers, {
			configuration: parseCustomerGatewayConfiguration(fixtureXml('vpn-bgp')),
		});
		expect(design.tunnels.map((tunnel) => tunnel.ikeVersion)).toEqual([1, 2]);
	});

	it("behind NAT the router's own WAN address travels in the design", () => {
		const answers = parseAnswers({
			...guideAwsVpnAnswers('bgp'),
			peers: [
				{ name: 'ar4050s', publicIp: '198.51.100.10', privateIp: '192.168.0.2', lan: ['192.168.1.0/24'] },
			],
		});
		const design = buildAwsVpnDesign(answers, {
			configuration: parseCustomerGatewayConfiguration(fixtureXml('vpn-bgp')),
		});
		expect(design.customer).toMatchObject({ publicIp: '198.51.100.10', privateIp: '192.168.0.2' });
	});

	it('needs exactly two tunnels', () => {
		const xml = fixtureXml('vpn-bgp').replace(/<ipsec_tunnel>[\s\S]*?<\/ipsec_tunnel>/, '');
		expect(() =>
			buildAwsVpnDesign(guideAwsVpnAnswers('bgp'), { configuration: parseCustomerGatewayConfiguration(xml) }),
		).toThrow(/two tunnels/);
	});
});

describe('buildMultiTenantDesign', () => {
	it('fills the guide defaults per tenant', () => {
		const design = guideMultiTenantDesign();
		expect(design.appliance).toEqual({ wanInterface: 'eth0', publicIp: '10.0.0.5', privateIp: '172.30.0.5' });
		expect(design.tenants[1]).toEqual({
			tenantName: 'tenant-b',
			psk: 'ijklmnopqrstuvwxyz1234abcdefgh',
			isakmpName: 'vaa2',
			l2tpv3: { applianceLocalId: 21, applianceRemoteId: 22 },
			applianceTunnelInterface: 'tunnel2',
			router: {
				publicIp: '10.20.20.1',
				wanInterface: 'ppp0',
				tunnelInterface: 'tunnel0',
				tunnelAddress: '172.16.0.2/24',
				lan: ['192.168.10.0/24'],
			},
			container: { name: 'ConB', bridge: 'br2', address: '172.16.0.1/24' },
		});
	});
});
