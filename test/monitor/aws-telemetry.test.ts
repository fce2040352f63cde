import { describe, expect, it } from 'vitest';
import { telemetryByCustomerAddress } from '../../source/monitor/aws-telemetry.js';

describe('AWS telemetry for the panel', () => {
	it('gives each customer gateway address its connections’ tunnels, keyed by outside address', () => {
		const telemetry = telemetryByCustomerAddress(
			[
				{
					VpnConnectionId: 'vpn-1',
					CustomerGatewayId: 'cgw-1',
					State: 'available',
					VgwTelemetry: [
						{
							OutsideIpAddress: '34.217.232.61',
							Status: 'UP',
							StatusMessage: '1 BGP ROUTES',
							AcceptedRouteCount: 1,
							LastStatusChange: new Date('2026-11-22T14:00:00Z'),
						},
						{ OutsideIpAddress: '52.10.20.30', Status: 'DOWN', StatusMessage: '' },
					],
				},
				{ VpnConnectionId: 'vpn-2', CustomerGatewayId: 'cgw-1', State: 'deleted', VgwTelemetry: [] },
				{ VpnConnectionId: 'vpn-3', CustomerGatewayId: 'cgw-unknown', State: 'available' },
			],
			[{ CustomerGatewayId: 'cgw-1', IpAddress: '198.51.100.10' }],
		);
		expect([...telemetry.keys()]).toEqual(['198.51.100.10']);
		expect(telemetry.get('198.51.100.10')).toEqual([
			{
				vpnConnectionId: 'vpn-1',
				outsideIp: '34.217.232.61',
				status: 'UP',
				statusMessage: '1 BGP ROUTES',
				acceptedRouteCount: 1,
				lastStatusChange: '2026-11-22T14:00:00.000Z',
			},
			{ vpnConnectionId: 'vpn-1', outsideIp: '52.10.20.30', status: 'DOWN', statusMessage: '' },
		]);
	});
});
