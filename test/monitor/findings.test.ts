import { describe, expect, it } from 'vitest';
import { createTranslator } from '../../source/i18n/index.js';
import {
	type DiagnoseInput,
	diagnose,
	type FindingCode,
	findingCodes,
} from '../../source/monitor/findings.js';
import type { RekeyHistory } from '../../source/monitor/history.js';
import type { StatusSnapshot } from '../../source/router/model.js';
import {
	applianceDesign,
	awsDesign,
	edit,
	healthyAwsSnapshot,
	polledAt,
	tunnel1,
	tunnel2,
} from './fixtures.js';

const healthy = healthyAwsSnapshot();
const design = awsDesign();
const now = Date.parse(polledAt);
const minutes = (count: number) => count * 60_000;

/** The appliance polled from its own side: its one peer is the site router's public address. */
const appliance = applianceDesign();
const applianceSnapshot = (change: (copy: StatusSnapshot) => void = () => {}): StatusSnapshot =>
	edit(
		{
			router: { name: 'amf-cloud', vendor: 'awplus', host: '54.1.2.3', reachable: true, polledAt },
			ike: [],
			ipsec: [],
			bgp: [],
		},
		change,
	);
const applianceInput = (extra: Partial<DiagnoseInput> = {}): DiagnoseInput => ({
	snapshot: applianceSnapshot(),
	design: appliance,
	side: 'appliance',
	...extra,
});

const without2 = edit(healthy, (copy) => {
	copy.ike = copy.ike?.filter((sa) => sa.peer !== tunnel2.outside);
	copy.ipsec = copy.ipsec?.filter((sa) => sa.peer !== tunnel2.outside);
	copy.bgp = copy.bgp?.filter((neighbor) => neighbor.neighbor !== tunnel2.aws);
});
const history = (times: number[]): RekeyHistory => ({
	rekeysFor: (peer) => (peer === tunnel1.outside ? times : []),
});

type Case = {
	name: string;
	input: DiagnoseInput;
	present: boolean;
	severity?: 'error' | 'warning' | 'info';
	peer?: string;
	/** Text the message or hint must contain, per language. */
	says?: { en?: string[]; ja?: string[] };
};

const rules: Record<FindingCode, Case[]> = {
	'ike.no-sa.security-group': [
		{
			name: 'no UDP 500/4500 rule at all',
			input: applianceInput({
				securityGroupRules: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '203.0.113.7/32' }],
			}),
			present: true,
			severity: 'error',
			peer: '203.0.113.7',
			says: {
				en: ['UDP 500, UDP 4500', '203.0.113.7/32'],
				ja: ['UDP 500, UDP 4500', 'セキュリティグループ'],
			},
		},
		{
			name: 'UDP 4500 missing, 500 allowed',
			input: applianceInput({
				securityGroupRules: [{ protocol: 'udp', fromPort: 500, toPort: 500, cidr: '203.0.113.7/32' }],
			}),
			present: true,
			says: { en: ['does not allow UDP 4500 from'], ja: ['UDP 4500 を許可していません'] },
		},
		{
			name: 'the rules allow another address only',
			input: applianceInput({
				securityGroupRules: [
					{ protocol: 'udp', fromPort: 500, toPort: 500, cidr: '198.51.100.0/24' },
					{ protocol: 'udp', fromPort: 4500, toPort: 4500, cidr: '198.51.100.0/24' },
				],
			}),
			present: true,
		},
		{
			name: 'both ports allowed from a covering block',
			input: applianceInput({
				securityGroupRules: [
					{ protocol: 'udp', fromPort: 500, toPort: 500, cidr: '203.0.113.0/24' },
					{ protocol: 'udp', fromPort: 4500, toPort: 4500, cidr: '203.0.113.0/24' },
				],
			}),
			present: false,
		},
		{
			name: 'all traffic allowed',
			input: applianceInput({ securityGroupRules: [{ protocol: '-1', cidr: '0.0.0.0/0' }] }),
			present: false,
		},
		{ name: 'no security group known', input: applianceInput(), present: false },
		{
			name: 'IKE is established',
			input: applianceInput({
				snapshot: applianceSnapshot((copy) => {
					copy.ike = [{ peer: '203.0.113.7', state: 'established' }];
				}),
				securityGroupRules: [],
			}),
			present: false,
		},
		{
			name: 'AWS VPN endpoints have no security group',
			input: { snapshot: without2, design, securityGroupRules: [] },
			present: false,
		},
	],
	'ike.no-sa': [
		{
			name: 'one AWS tunnel absent from the router',
			input: { snapshot: without2, design },
			present: true,
			severity: 'error',
			peer: tunnel2.outside,
			says: { en: ['startup action', 'UDP 500'], ja: ['起動アクション', 'UDP 500'] },
		},
		{
			name: 'the router lists the SA as down',
			input: {
				snapshot: edit(healthy, (copy) => {
					if (copy.ike?.[0]) copy.ike[0].state = 'down';
				}),
			},
			present: true,
			peer: tunnel1.outside,
		},
		{
			name: 'appliance tunnel, security group fine',
			input: applianceInput({
				securityGroupRules: [{ protocol: 'udp', fromPort: 0, toPort: 65535, cidr: '203.0.113.7/32' }],
			}),
			present: true,
			peer: '203.0.113.7',
		},
		{ name: 'healthy', input: { snapshot: healthy, design }, present: false },
		{
			name: 'tunnel down for AWS maintenance while the other holds',
			input: {
				snapshot: edit(without2, (copy) => {
					if (copy.aws?.[1])
						Object.assign(copy.aws[1], {
							status: 'DOWN',
							statusMessage: 'Tunnel endpoint replacement in progress (maintenance)',
						});
				}),
				design,
			},
			present: false,
		},
		{
			name: 'router unreachable: no verdict on stale data',
			input: {
				snapshot: edit(without2, (copy) => {
					if (copy.router) copy.router.reachable = false;
				}),
				design,
			},
			present: false,
		},
	],
	'ike.negotiating': [
		{
			name: 'router proposal beside the design’s, no PSK shown',
			input: {
				snapshot: edit(healthy, (copy) => {
					copy.ike = [
						{
							peer: tunnel1.outside,
							state: 'negotiating',
							version: 1,
							encryption: 'aes256',
							integrity: 'sha256',
							dhGroup: 14,
						},
					];
				}),
				design,
			},
			present: true,
			severity: 'error',
			peer: tunnel1.outside,
			says: {
				en: ['aes256/sha256/DH 14/IKEv1', 'aes128/sha1/DH 2/IKEv1', `outside address ${tunnel1.outside}`],
				ja: ['aes256/sha256/DH 14/IKEv1', 'aes128/sha1/DH 2/IKEv1', '事前共有鍵'],
			},
		},
		{
			name: 'AWS tunnel without a design: AWS’s allowed lists',
			input: {
				snapshot: edit(healthy, (copy) => {
					if (copy.ike?.[1]) copy.ike[1] = { peer: tunnel2.outside, state: 'negotiating' };
				}),
			},
			present: true,
			peer: tunnel2.outside,
			says: { en: ['unknown', 'DH 2,14-24'], ja: ['不明', 'DH 2,14-24'] },
		},
		{ name: 'established', input: { snapshot: healthy, design }, present: false },
	],
	'ipsec.missing': [
		{
			name: 'IKE up, no IPsec SA',
			input: {
				snapshot: edit(healthy, (copy) => {
					copy.ipsec = copy.ipsec?.filter((sa) => sa.peer !== tunnel1.outside);
				}),
				design,
			},
			present: true,
			severity: 'error',
			peer: tunnel1.outside,
			says: { en: ['PFS', 'aes128/sha1/PFS DH 2/3600 s'], ja: ['PFS', 'aes128/sha1/PFS DH 2/3600 s'] },
		},
		{
			name: 'IPsec SA down',
			input: {
				snapshot: edit(healthy, (copy) => {
					if (copy.ipsec?.[0]) copy.ipsec[0].state = 'down';
				}),
			},
			present: true,
			peer: tunnel1.outside,
		},
		{ name: 'IPsec up', input: { snapshot: healthy }, present: false },
		{
			name: 'IKE still negotiating: the phase-1 finding says it',
			input: {
				snapshot: edit(healthy, (copy) => {
					if (copy.ike?.[0]) copy.ike[0].state = 'negotiating';
					copy.ipsec = copy.ipsec?.filter((sa) => sa.peer !== tunnel1.outside);
				}),
			},
			present: false,
		},
	],
	'bgp.down': [
		{
			name: 'neighbour active: configured vs expected',
			input: {
				snapshot: edit(healthy, (copy) => {
					if (copy.bgp?.[0]) Object.assign(copy.bgp[0], { state: 'active', remoteAs: 65001 });
				}),
				design,
			},
			present: true,
			severity: 'error',
			peer: tunnel1.outside,
			says: {
				en: [
					'not established (state: active)',
					`Router: ${tunnel1.aws} AS 65001`,
					`neighbour ${tunnel1.aws} AS 64512`,
					`${tunnel1.customer} AS 65000`,
				],
				ja: ['active', `${tunnel1.aws} AS 65001`, `ネイバー ${tunnel1.aws}（AS 64512）`],
			},
		},
		{
			name: 'neighbour configured on the wrong inside address',
			input: {
				snapshot: edit(healthy, (copy) => {
					if (copy.bgp?.[0]) Object.assign(copy.bgp[0], { neighbor: '169.254.99.1', state: 'connect' });
				}),
				design,
			},
			present: true,
			peer: tunnel1.outside,
			says: {
				en: ['not configured', 'Router: 169.254.99.1 AS 64512'],
				ja: ['未設定', '169.254.99.1 AS 64512'],
			},
		},
		{
			name: 'no design: any neighbour down while IPsec is up',
			input: {
				snapshot: edit(healthy, (copy) => {
					if (copy.bgp?.[1]) copy.bgp[1].state = 'idle';
				}),
			},
			present: true,
			says: {
				en: [`BGP with ${tunnel2.aws} is not established (state: idle)`],
				ja: [`${tunnel2.aws} との BGP が確立していません（状態: idle）`],
			},
		},
		{ name: 'established', input: { snapshot: healthy, design }, present: false },
		{
			name: 'static routing: no BGP expected',
			input: {
				snapshot: edit(healthy, (copy) => {
					copy.bgp = [];
				}),
				design: awsDesign({ routing: 'static' }),
			},
			present: false,
		},
		{
			name: 'IPsec down: the phase-2 finding says it',
			input: {
				snapshot: edit(healthy, (copy) => {
					copy.ipsec = copy.ipsec?.filter((sa) => sa.peer !== tunnel1.outside);
					if (copy.bgp?.[0]) copy.bgp[0].state = 'active';
				}),
				design,
			},
			present: false,
		},
	],
	'bgp.no-prefixes': [
		{
			name: 'established with 0 prefixes',
			input: {
				snapshot: edit(healthy, (copy) => {
					if (copy.bgp?.[0]) copy.bgp[0].prefixesReceived = 0;
				}),
				design,
			},
			present: true,
			severity: 'warning',
			peer: tunnel1.outside,
			says: { en: ['172.30.0.0/16', 'attached'], ja: ['172.30.0.0/16', 'アタッチ'] },
		},
		{ name: 'one prefix', input: { snapshot: healthy, design }, present: false },
		{
			name: 'the device does not print a count',
			input: {
				snapshot: edit(healthy, (copy) => {
					if (copy.bgp?.[0]) delete copy.bgp[0].prefixesReceived;
				}),
			},
			present: false,
		},
	],
	'aws.down-router-up': [
		{
			name: 'AWS says DOWN, the router is up to the same address',
			input: {
				snapshot: edit(healthy, (copy) => {
					if (copy.aws?.[0]) copy.aws[0].status = 'DOWN';
				}),
				design,
			},
			present: true,
			severity: 'error',
			peer: tunnel1.outside,
			says: {
				en: [`tunnel ${tunnel1.outside} DOWN`, 'vpn-0123456789abcdef0'],
				ja: [tunnel1.outside, '外部アドレス'],
			},
		},
		{
			name: 'wrong outside address on the router (telemetry given apart)',
			input: {
				snapshot: edit(healthy, (copy) => {
					copy.aws = [];
					copy.ike = [{ peer: '34.0.0.99', state: 'established' }];
					copy.ipsec = [{ peer: '34.0.0.99', state: 'up', spiIn: '0x1' }];
					copy.bgp = [];
				}),
				awsTelemetry: [
					{ vpnConnectionId: 'vpn-1', outsideIp: tunnel1.outside, status: 'DOWN' },
					{ vpnConnectionId: 'vpn-1', outsideIp: tunnel2.outside, status: 'DOWN' },
				],
			},
			present: true,
			says: { en: ['up to 34.0.0.99', `Point the router’s tunnel at ${tunnel1.outside}`], ja: ['34.0.0.99'] },
		},
		{
			name: 'AWS and the router agree it is down',
			input: {
				snapshot: edit(without2, (copy) => {
					if (copy.aws?.[1]) copy.aws[1].status = 'DOWN';
				}),
				design,
			},
			present: false,
		},
		{ name: 'AWS says UP', input: { snapshot: healthy, design }, present: false },
	],
	'aws.no-redundancy': [
		{
			name: 'one tunnel DOWN in the telemetry',
			input: {
				snapshot: edit(without2, (copy) => {
					if (copy.aws?.[1]) copy.aws[1].status = 'DOWN';
				}),
				design,
			},
			present: true,
			severity: 'warning',
			peer: tunnel2.outside,
			says: { en: [`${tunnel2.outside} is down`, tunnel1.outside], ja: ['冗長性', tunnel1.outside] },
		},
		{
			name: 'AWS maintenance: informational',
			input: {
				snapshot: edit(without2, (copy) => {
					if (copy.aws?.[1])
						Object.assign(copy.aws[1], {
							status: 'DOWN',
							statusMessage: 'Endpoint replacement for maintenance',
						});
				}),
				design,
			},
			present: true,
			severity: 'info',
			says: { en: ['Endpoint replacement for maintenance', 'no action'], ja: ['メンテナンス', '対応は不要'] },
		},
		{
			name: 'no telemetry: from the router’s view of the design',
			input: {
				snapshot: edit(without2, (copy) => {
					copy.aws = [];
				}),
				design,
			},
			present: true,
			severity: 'warning',
			peer: tunnel2.outside,
		},
		{ name: 'both up', input: { snapshot: healthy, design }, present: false },
		{
			name: 'both down: not a redundancy problem',
			input: {
				snapshot: edit(healthy, (copy) => {
					copy.ike = [];
					copy.ipsec = [];
					for (const aws of copy.aws ?? []) aws.status = 'DOWN';
				}),
				design,
			},
			present: false,
		},
	],
	'vpc.route-missing': [
		{
			name: 'propagation off, site prefix missing',
			input: {
				snapshot: healthy,
				design,
				routeTable: { propagation: false, routes: ['172.30.0.0/16', '0.0.0.0/0'] },
			},
			present: true,
			severity: 'error',
			says: { en: ['192.168.10.0/24', 'propagation off'], ja: ['192.168.10.0/24', 'ルート伝達: 無効'] },
		},
		{
			name: 'no design: propagation off',
			input: { snapshot: healthy, routeTable: { propagation: false, routes: [] } },
			present: true,
			says: { en: ['the site’s prefixes'], ja: ['拠点のプレフィックス'] },
		},
		{
			name: 'appliance: no route to the user LAN',
			input: applianceInput({ routeTable: { propagation: false, routes: ['172.30.0.0/16'] } }),
			present: true,
			says: {
				en: ['192.168.1.0/24', 'source/destination check'],
				ja: ['192.168.1.0/24', '送信元/送信先チェック'],
			},
		},
		{
			name: 'propagated route present',
			input: {
				snapshot: healthy,
				design,
				routeTable: { propagation: true, routes: ['172.30.0.0/16', '192.168.10.0/24'] },
			},
			present: false,
		},
		{
			name: 'covered by a broader route',
			input: { snapshot: healthy, design, routeTable: { propagation: false, routes: ['192.168.0.0/16'] } },
			present: false,
		},
		{ name: 'route table unknown', input: { snapshot: healthy, design }, present: false },
	],
	'clock.skew': [
		{
			name: 'beyond 5 minutes',
			input: { snapshot: healthy, clockSkewSeconds: 301 },
			present: true,
			severity: 'warning',
			says: { en: ['301 s', 'NTP'], ja: ['301 秒', 'NTP'] },
		},
		{
			name: '15 minutes behind: AWS rejects',
			input: { snapshot: healthy, clockSkewSeconds: -900 },
			present: true,
			severity: 'error',
			says: { en: ['900 s'], ja: ['900 秒'] },
		},
		{ name: 'within 5 minutes', input: { snapshot: healthy, clockSkewSeconds: 300 }, present: false },
		{ name: 'unknown', input: { snapshot: healthy }, present: false },
		{ name: 'not a number', input: { snapshot: healthy, clockSkewSeconds: Number.NaN }, present: false },
	],
	'appliance.failsafe': [
		{
			name: 'configuration reset seen',
			input: { snapshot: applianceSnapshot(), configResetDetected: true },
			present: true,
			severity: 'error',
			says: { en: ['default_backup.cfg', 'fail-safe'], ja: ['default_backup.cfg', 'フェイルセーフ'] },
		},
		{
			name: 'no reset',
			input: { snapshot: applianceSnapshot(), configResetDetected: false },
			present: false,
		},
	],
	'mtu.advice': [
		{
			name: 'the AW+ sample’s MTU 1434',
			input: { snapshot: healthy, design: awsDesign({ mtu: 1434 }) },
			present: true,
			severity: 'warning',
			says: { en: ['MTU 1434', '1387'], ja: ['MTU 1434', '1387'] },
		},
		{ name: 'MSS too large', input: { snapshot: healthy, design: awsDesign({ mss: 1400 }) }, present: true },
		{ name: 'AWS’s limits exactly', input: { snapshot: healthy, design }, present: false },
		{
			name: 'not an AWS VPN',
			input: { snapshot: applianceSnapshot(), design: applianceDesign({ mtu: 1500, mss: 1460 }) },
			present: false,
		},
	],
	'ipsec.rekey-churn': [
		{
			name: 'three re-establishments within the hour',
			input: {
				snapshot: healthy,
				design,
				history: history([now - minutes(50), now - minutes(30), now - minutes(5)]),
			},
			present: true,
			severity: 'warning',
			peer: tunnel1.outside,
			says: { en: ['3 times within 60 minutes', '3600 s'], ja: ['60 分間に 3 回', '3600 秒'] },
		},
		{
			name: 'three over three hours: normal',
			input: {
				snapshot: healthy,
				design,
				history: history([now - minutes(170), now - minutes(110), now - minutes(50)]),
			},
			present: false,
		},
		{
			name: 'two: one rekey may overlap',
			input: { snapshot: healthy, history: history([now - minutes(10), now - minutes(5)]) },
			present: false,
		},
		{
			name: 'the design’s shorter lifetime sets the window',
			input: {
				snapshot: healthy,
				design: awsDesign({
					tunnels: [
						{ ...design.tunnels[0], phase2: { ...design.tunnels[0].phase2, lifetimeSeconds: 900 } },
						design.tunnels[1],
					],
				}),
				history: history([now - minutes(40), now - minutes(25), now - minutes(10)]),
			},
			present: false,
		},
	],
};

const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;

describe('diagnose', () => {
	it('has table cases, positive and negative, for every rule', () => {
		expect(Object.keys(rules).sort()).toEqual([...findingCodes].sort());
		for (const [code, cases] of Object.entries(rules)) {
			expect(
				cases.some((c) => c.present),
				code,
			).toBe(true);
			expect(
				cases.some((c) => !c.present),
				code,
			).toBe(true);
		}
	});

	describe.each(Object.entries(rules))('%s', (code, cases) => {
		it.each(cases.flatMap((c) => (['en', 'ja'] as const).map((lang) => ({ ...c, lang }))))(
			'$name ($lang)',
			({ input, present, severity, peer, says, lang }) => {
				const found = diagnose(input, createTranslator(lang)).filter((finding) => finding.code === code);
				if (!present) {
					expect(found).toEqual([]);
					return;
				}
				expect(found.length).toBeGreaterThan(0);
				const finding = found.find((candidate) => peer === undefined || candidate.peer === peer);
				expect(finding, `a finding for ${peer}`).toBeDefined();
				if (!finding) return;
				if (severity) expect(finding.severity).toBe(severity);
				for (const text of [finding.message, finding.hint ?? '']) {
					expect(text.trim()).not.toBe('');
					expect(text).not.toMatch(/\{\w+\}|finding\./);
					if (lang === 'ja') expect(text).toMatch(japanese);
					else expect(text).not.toMatch(japanese);
				}
				for (const expected of says?.[lang] ?? [])
					expect(`${finding.message} ${finding.hint}`).toContain(expected);
			},
		);
	});

	it('reports a neighbour on the wrong inside address once, under its tunnel', () => {
		const findings = diagnose({
			snapshot: edit(healthy, (copy) => {
				if (copy.bgp?.[0]) Object.assign(copy.bgp[0], { neighbor: '169.254.99.1', state: 'active' });
			}),
			design,
		}).filter((finding) => finding.code === 'bgp.down');
		expect(findings.map((finding) => finding.peer)).toEqual([tunnel1.outside]);
	});

	it('never shows a pre-shared key', () => {
		const input: DiagnoseInput = {
			snapshot: edit(healthy, (copy) => {
				copy.ike = copy.ike?.map((sa) => ({ ...sa, state: 'negotiating' as const }));
			}),
			design,
		};
		for (const lang of ['en', 'ja'] as const) {
			const text = JSON.stringify(diagnose(input, createTranslator(lang)));
			expect(text).not.toContain('Tunnel1Secret.key');
			expect(text).not.toContain('Tunnel2Secret.key');
		}
	});

	it('puts errors before warnings before information', () => {
		const findings = diagnose({
			snapshot: edit(without2, (copy) => {
				if (copy.aws?.[1]) Object.assign(copy.aws[1], { status: 'DOWN', statusMessage: 'maintenance' });
			}),
			design: awsDesign({ mtu: 1434 }),
			configResetDetected: true,
		});
		const order = { error: 0, warning: 1, info: 2 };
		const ranks = findings.map((finding) => order[finding.severity]);
		expect(ranks).toEqual([...ranks].sort());
		expect(findings.map((finding) => finding.code)).toEqual([
			'appliance.failsafe',
			'mtu.advice',
			'aws.no-redundancy',
		]);
	});

	it('says nothing about a healthy AWS VPN', () => {
		expect(
			diagnose({
				snapshot: healthy,
				design,
				routeTable: { propagation: true, routes: ['192.168.10.0/24'] },
				clockSkewSeconds: 2,
			}),
		).toEqual([]);
	});
});
