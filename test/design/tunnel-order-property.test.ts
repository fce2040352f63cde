import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAwsVpnDesign } from '../../source/design/build.js';
import { configLines, configVendors } from '../../source/design/configs.js';
import { parseCustomerGatewayConfiguration } from '../../source/design/customer-gateway-configuration.js';
import { customerGatewayConfiguration } from '../../source/sandbox/ec2/actions/vpn.js';
import type {
	CustomerGatewayRecord,
	VpnConnectionRecord,
	VpnGatewayRecord,
} from '../../source/sandbox/ec2/state.js';
import { guideAwsVpnAnswers } from './guide.js';

/**
 * Whatever order AWS lists its tunnels in, and whatever keys and addresses it picks, each tunnel's key
 * stays with its own outside address in every vendor's configuration (troubleshooting.md: swapped
 * keys are the "MAC mismatched" failure).
 */

const psk = fc
	.tuple(
		fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
		fc.string({
			unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._'),
			minLength: 7,
			maxLength: 63,
		}),
	)
	.map(([first, rest]) => first + rest);
const outside = fc.tuple(
	fc.integer({ min: 18, max: 19 }),
	fc.integer({ min: 0, max: 255 }),
	fc.integer({ min: 1, max: 254 }),
);
const inside = fc.tuple(fc.integer({ min: 6, max: 255 }), fc.integer({ min: 0, max: 63 }));

const customer: CustomerGatewayRecord = {
	id: 'cgw-0123456789abcdef0',
	type: 'ipsec.1',
	ipAddress: '10.1.1.1',
	bgpAsn: 65000,
	tags: [],
};
const gateway: VpnGatewayRecord = {
	id: 'vgw-0123456789abcdef0',
	type: 'ipsec.1',
	amazonSideAsn: 64512,
	tags: [],
};

function record(
	tunnels: { psk: string; outside: number[]; inside: number[] }[],
	staticRoutesOnly: boolean,
): VpnConnectionRecord {
	return {
		id: 'vpn-0123456789abcdef0',
		type: 'ipsec.1',
		customerGatewayId: customer.id,
		vpnGatewayId: gateway.id,
		staticRoutesOnly,
		createdAt: 0,
		availableAt: 0,
		routes: [],
		tags: [],
		tunnels: tunnels.map((tunnel) => ({
			outsideIpAddress: `198.${tunnel.outside.join('.')}`,
			insideCidr: `169.254.${tunnel.inside[0]}.${(tunnel.inside[1] ?? 0) * 4}/30`,
			preSharedKey: tunnel.psk,
			telemetry: { status: 'DOWN', statusMessage: '', acceptedRouteCount: 0, lastStatusChange: 0 },
		})),
	};
}

describe('tunnels are keyed by outside address', () => {
	it('order-independent configs with each key beside its own address', () => {
		const tunnel = fc.record({ psk, outside, inside });
		fc.assert(
			fc.property(
				fc.uniqueArray(tunnel, {
					minLength: 2,
					maxLength: 2,
					selector: (t) => [t.psk, t.outside.join('.'), t.inside.join('.')].join('|'),
					comparator: (a, b) => a.split('|').some((part, index) => part === b.split('|')[index]),
				}),
				fc.boolean(),
				(tunnels, staticRoutesOnly) => {
					const routing = staticRoutesOnly ? 'static' : 'bgp';
					const answers = guideAwsVpnAnswers(routing);
					const design = (order: typeof tunnels) =>
						buildAwsVpnDesign(answers, {
							configuration: parseCustomerGatewayConfiguration(
								customerGatewayConfiguration(record(order, staticRoutesOnly), customer, gateway),
							),
						});
					const forward = design(tunnels);
					const backward = design([...tunnels].reverse());
					expect(backward).toEqual(forward);
					for (const given of tunnels) {
						const found = forward.tunnels.find(
							(candidate) => candidate.awsOutsideIp === `198.${given.outside.join('.')}`,
						);
						expect(found?.psk).toBe(given.psk);
					}
					for (const vendor of configVendors('aws-vpn')) {
						const lines = configLines(forward, vendor, 'router');
						expect(configLines(backward, vendor, 'router')).toEqual(lines);
						if (vendor === 'awplus' || vendor === 'cisco-ios' || vendor === 'nec-ix') {
							// These put the key and the address on one line.
							for (const t of forward.tunnels) {
								const keyLines = lines.filter((line) => line.split(/\s+/).includes(t.psk));
								expect(keyLines.length, vendor).toBeGreaterThan(0);
								for (const line of keyLines) expect(line, vendor).toContain(t.awsOutsideIp);
							}
						}
					}
				},
			),
			{ numRuns: 60 },
		);
	});
});
