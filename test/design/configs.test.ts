import { describe, expect, it } from 'vitest';
import {
	awsVpnConnectionData,
	customerGatewayRequest,
	vpnConnectionRequest,
	vpnGatewayRequest,
	vpnRoutes,
} from '../../source/design/aws-requests.js';
import { buildApplianceTunnelDesign } from '../../source/design/build.js';
import {
	ConfigUnavailableError,
	configLines,
	configSides,
	configVendors,
} from '../../source/design/configs.js';
import { parseAnswers } from '../../source/flow/answers.js';
import { fixtureXml, guideAwsVpnAnswers, guideAwsVpnDesign, guideMultiTenantDesign } from './guide.js';

describe('configLines', () => {
	it('AWS VPN: every vendor, the router side, each key beside its own AWS address', () => {
		const design = guideAwsVpnDesign('bgp');
		expect(configVendors('aws-vpn')).toEqual(['awplus', 'cisco-ios', 'nec-ix', 'yamaha-rtx', 'juniper-srx']);
		expect(configSides(design)).toEqual(['router']);
		for (const vendor of configVendors('aws-vpn')) {
			const text = configLines(design, vendor, 'router').join('\n');
			for (const tunnel of design.tunnels) {
				expect(text, vendor).toContain(tunnel.psk);
				expect(text, vendor).toContain(tunnel.awsOutsideIp);
				expect(text, vendor).toContain(tunnel.customerInsideIp);
			}
		}
		expect(() => configLines(design, 'awplus', 'appliance')).toThrow(ConfigUnavailableError);
		expect(() => configLines(design, 'strongswan-frr', 'router')).toThrow(/allowed: awplus/);
	});

	it('multi-tenant: the appliance and each tenant, awplus only', () => {
		const design = guideMultiTenantDesign();
		expect(configSides(design)).toEqual(['appliance', 'tenant-a', 'tenant-b']);
		expect(configLines(design, 'awplus', 'tenant-b')[0]).toBe(
			'crypto isakmp key ijklmnopqrstuvwxyz1234abcdefgh hostname vaa2',
		);
		expect(() => configLines(design, 'cisco-ios', 'appliance')).toThrow(ConfigUnavailableError);
		expect(() => configLines(design, 'awplus', 'tenant-z')).toThrow(/tenant-z/);
	});

	it('single appliance: both ends', () => {
		const answers = parseAnswers({
			...guideAwsVpnAnswers('bgp'),
			flow: 'single-appliance',
			vpn: undefined,
		});
		const peer = answers.peers[0];
		if (!peer) throw new Error('no peer');
		const design = buildApplianceTunnelDesign(
			answers,
			peer,
			{ publicIp: '10.0.0.5', privateIp: '172.30.0.5' },
			'k'.repeat(30),
		);
		expect(configLines(design, 'awplus', 'appliance')[1]).toBe('interface tunnel0');
		expect(configLines(design, 'awplus', 'router')[0]).toBe(
			`crypto isakmp key ${'k'.repeat(30)} hostname vaa0`,
		);
	});
});

describe('AWS requests for single-aws-vpn', () => {
	const answers = parseAnswers({
		...guideAwsVpnAnswers('static'),
		vpn: {
			amazonSideAsn: 64513,
			routing: 'static',
			linkLocalRoute: '169.254.0.0/16',
			tunnels: [
				{
					insideCidr: '169.254.10.0/30',
					psk: 'env:T1',
					ikeVersions: ['ikev2'],
					phase1: { encryption: ['AES256'], dhGroups: [14] },
				},
				{ insideCidr: '169.254.11.0/30', dpdTimeoutSeconds: 40, startupAction: 'start' },
			],
		},
	});

	it('gateways and connection', () => {
		expect(vpnGatewayRequest(answers)).toEqual({ Type: 'ipsec.1', AmazonSideAsn: 64513 });
		expect(customerGatewayRequest(answers)).toEqual({
			Type: 'ipsec.1',
			IpAddress: '10.1.1.1',
			BgpAsn: 65000,
		});
		expect(
			vpnConnectionRequest(answers, { customerGatewayId: 'cgw-1', vpnGatewayId: 'vgw-1' }, [
				'resolved.key_1',
			]),
		).toEqual({
			Type: 'ipsec.1',
			CustomerGatewayId: 'cgw-1',
			VpnGatewayId: 'vgw-1',
			Options: {
				StaticRoutesOnly: true,
				TunnelOptions: [
					{
						TunnelInsideCidr: '169.254.10.0/30',
						PreSharedKey: 'resolved.key_1',
						IKEVersions: [{ Value: 'ikev2' }],
						Phase1EncryptionAlgorithms: [{ Value: 'AES256' }],
						Phase1DHGroupNumbers: [{ Value: 14 }],
					},
					{ TunnelInsideCidr: '169.254.11.0/30', DPDTimeoutSeconds: 40, StartupAction: 'start' },
				],
			},
		});
	});

	it('routes: static adds the site and the link-local range to the connection; BGP puts the range in the route table', () => {
		expect(vpnRoutes(answers)).toEqual({
			connectionRoutes: ['192.168.1.0/24', '169.254.0.0/16'],
			routeTableRoutes: [],
		});
		const bgp = parseAnswers({ ...answers, vpn: { ...answers.vpn, routing: 'bgp' } });
		expect(vpnRoutes(bgp)).toEqual({ connectionRoutes: [], routeTableRoutes: ['169.254.0.0/16'] });
	});

	it('DescribeVpnConnections → design data', () => {
		const data = awsVpnConnectionData({
			VpnConnectionId: 'vpn-0123456789abcdef0',
			State: 'available',
			CustomerGatewayConfiguration: fixtureXml('vpn-bgp'),
			Options: {
				StaticRoutesOnly: false,
				TunnelOptions: [{ OutsideIpAddress: '198.18.2.20', IkeVersions: [{ Value: 'ikev2' }] }],
			},
		});
		expect(data.staticRoutesOnly).toBe(false);
		expect(data.tunnelOptions).toEqual([{ outsideIpAddress: '198.18.2.20', ikeVersions: ['ikev2'] }]);
		expect(data.configuration.tunnels).toHaveLength(2);
		expect(() => awsVpnConnectionData({ VpnConnectionId: 'vpn-1', State: 'deleted' })).toThrow(
			/vpn-1.*deleted/,
		);
	});
});
