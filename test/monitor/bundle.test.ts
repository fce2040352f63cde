import { describe, expect, it } from 'vitest';
import { buildTroubleshootingBundle, redactSecrets } from '../../source/monitor/bundle.js';
import type { MonitorEvent } from '../../source/monitor/events.js';
import type { Finding, StatusSnapshot } from '../../source/router/model.js';
import { applianceDesign, awsDesign, healthyAwsSnapshot } from './fixtures.js';

/** Known to the caller: passed in `secrets`. */
const listed = ['Tunnel1Secret.key', 'Tunnel2Secret.key', 'abcdefghijklmnopqrstuvwxyz1234', 'we"ird\\pass'];
/** Not passed in: must go by shape alone. */
const unlisted = {
	awplus: 'UnlistedAwPlusKey77',
	ciscoType: 'CiscoType6Key',
	keyring: 'KeyringPsk123',
	ikev2: 'Ikev2LocalKey',
	juniper: '$9$JuniperCipher',
	yamaha: 'YamahaTextKey',
	nec: 'NecIxPeerKey',
	strongswan: 'StrongSwanPsk',
	swanctl: 'SwanctlSecret',
	frr: 'FrrNeighborPw',
	enable: '$1$EnableHash',
	xml: 'AwsXmlPsk',
	pemBody: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
	opensshBody: 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB',
	truncatedBody: 'MHcCAQEEIBkTruncatedEcKeyBody',
};

const pem = `-----BEGIN PRIVATE KEY-----\n${unlisted.pemBody}\n${listed[0]}\n-----END PRIVATE KEY-----`;
const rawConfig = [
	`crypto isakmp key ${listed[0]} address 34.217.232.61`,
	`crypto isakmp key ${unlisted.awplus} hostname vaa0`,
	`crypto isakmp key 6 ${unlisted.ciscoType} address 52.10.20.30`,
	` pre-shared-key address 34.217.232.61 key ${unlisted.keyring}`,
	` pre-shared-key local ${unlisted.ikev2}`,
	`  pre-shared-key ascii-text "${unlisted.juniper}"; ## SECRET-DATA`,
	`ipsec ike pre-shared-key 1 text ${unlisted.yamaha}`,
	`ike policy pol peer 34.217.232.61 key ${unlisted.nec} prop`,
	`198.51.100.10 34.217.232.61 : PSK "${unlisted.strongswan}"`,
	`    secret = ${unlisted.swanctl}`,
	` neighbor 169.254.123.133 password ${unlisted.frr}`,
	`enable secret 5 ${unlisted.enable}`,
	`<pre_shared_key>${unlisted.xml}</pre_shared_key>`,
	pem,
	`-----BEGIN OPENSSH PRIVATE KEY-----\n${unlisted.opensshBody}\n-----END OPENSSH PRIVATE KEY-----`,
	'show running-config ends here',
].join('\n');
const truncated = `login banner\n-----BEGIN EC PRIVATE KEY-----\n${unlisted.truncatedBody}`;

function plantedInput() {
	const snapshot: StatusSnapshot = {
		...healthyAwsSnapshot(),
		unparsed: [`crypto isakmp key ${listed[1]} address 52.10.20.30`, `debug: psk=${listed[2]}`],
		router: {
			name: `site-${listed[3]}`,
			vendor: 'awplus',
			host: '198.51.100.10',
			reachable: true,
			polledAt: 'x',
		},
	};
	const events: MonitorEvent[] = [
		{
			at: 'x',
			code: 'tunnel.down',
			severity: 'error',
			peer: '34.217.232.61',
			vars: { peer: listed[0] ?? '', note: rawConfig },
		},
	];
	const findings: Finding[] = [
		{
			severity: 'error',
			code: 'ike.negotiating',
			message: `key ${listed[1]} rejected`,
			hint: `secret = ${unlisted.swanctl}`,
		},
	];
	return {
		snapshots: [snapshot],
		events,
		raw: <Record<string, Record<string, string>>>{
			site: { 'show running-config': rawConfig, [`show ${listed[2]}`]: truncated },
			[`router-${listed[0]}`]: { 'show isakmp sa': `peer ${listed[1]}` },
		},
		findings,
		design: awsDesign(),
		secrets: listed,
	};
}

describe('buildTroubleshootingBundle', () => {
	it('leaves no planted secret anywhere, listed or found by shape', () => {
		const bundle = buildTroubleshootingBundle(plantedInput());
		for (const secret of [...listed, ...Object.values(unlisted)]) {
			expect(bundle, secret).not.toContain(secret);
			expect(bundle, secret).not.toContain(JSON.stringify(secret).slice(1, -1));
		}
		expect(bundle).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----\\n(?!\[REDACTED\])/);
	});

	it('is JSON that still reads: addresses, commands and structure kept', () => {
		const parsed = JSON.parse(
			buildTroubleshootingBundle({ ...plantedInput(), createdAt: new Date(0), version: '0.1.0' }),
		);
		expect(parsed).toMatchObject({
			kind: 'kakehashi-troubleshooting-bundle',
			formatVersion: 1,
			createdAt: '1970-01-01T00:00:00.000Z',
			kakehashiVersion: '0.1.0',
		});
		expect(parsed.design.tunnels[0]).toMatchObject({ awsOutsideIp: '34.217.232.61', psk: '[REDACTED]' });
		expect(parsed.snapshots[0].ike).toHaveLength(2);
		const config: string = parsed.raw.site['show running-config'];
		expect(config).toContain('crypto isakmp key [REDACTED] address 34.217.232.61');
		expect(config).toContain('crypto isakmp key 6 [REDACTED] address 52.10.20.30');
		expect(config).toContain('pre-shared-key address 34.217.232.61 key [REDACTED]');
		expect(config).toContain('ipsec ike pre-shared-key 1 text [REDACTED]');
		expect(config).toContain('-----BEGIN PRIVATE KEY-----\n[REDACTED]\n-----END PRIVATE KEY-----');
		expect(config).toContain('show running-config ends here');
		expect(Object.keys(parsed.raw)).toContain('router-[REDACTED]');
	});

	it('blanks secret fields of any design', () => {
		const bundle = buildTroubleshootingBundle({
			snapshots: [],
			events: [],
			raw: {},
			findings: [],
			design: applianceDesign({ psk: 'SomethingUnlisted99' }),
			secrets: [],
		});
		expect(bundle).not.toContain('SomethingUnlisted99');
		expect(JSON.parse(bundle).design.psk).toBe('[REDACTED]');
	});
});

describe('redactSecrets', () => {
	it.each([
		['crypto isakmp key s3cr3tKey! address 1.2.3.4', 'crypto isakmp key [REDACTED] address 1.2.3.4'],
		['CRYPTO ISAKMP KEY 0 s3cr3tKey hostname vaa0', 'CRYPTO ISAKMP KEY 0 [REDACTED] hostname vaa0'],
		['pre-shared-key s3cr3t', 'pre-shared-key [REDACTED]'],
		['secret: "a b c"', 'secret: [REDACTED]'],
		['nothing to hide here: 10.0.0.1', 'nothing to hide here: 10.0.0.1'],
	])('%s', (input, expected) => {
		expect(redactSecrets(input)).toBe(expected);
	});

	it('ignores secrets too short to redact without destroying the text', () => {
		expect(redactSecrets('a b c', ['a'])).toBe('a b c');
	});
});
