import { describe, expect, it } from 'vitest';
import type { AnswerIssue } from '../../source/flow/answers.js';
import { parseAnswers } from '../../source/flow/answers.js';
import {
	validateAnswers,
	validateNetworkOverlaps,
	validateSecurityGroupName,
	validateSshSources,
	validateTagValue,
} from '../../source/flow/validate.js';
import { createTranslator, type MessageKey } from '../../source/i18n/index.js';

/** The rules issue 3 adds, each in a table, each message checked in English and Japanese. */

const en = createTranslator('en');
const ja = createTranslator('ja');
const rules = (issues: AnswerIssue[]) => issues.map((issue) => `${issue.severity}:${issue.rule}`);

function expectWorded(issues: AnswerIssue[]) {
	for (const issue of issues) {
		const key = `rule.${issue.rule}` as MessageKey;
		const vars = { path: issue.path, ...issue.vars };
		const texts = { en: en(key, vars), ja: ja(key, vars) };
		expect(texts.en).not.toBe(key);
		for (const text of [texts.en, texts.ja]) {
			expect(text).not.toMatch(/\{\w+\}/);
			expect(text).toContain(issue.path);
		}
		expect(texts.ja).toMatch(/[\u3040-\u30ff\u4e00-\u9faf]/);
	}
}

describe('SSH from anywhere: offer a /32', () => {
	it.each([
		[['0.0.0.0/0'], undefined, ['warning:sg.sshFromAnywhere']],
		[['0.0.0.0/0'], '203.0.113.50', ['warning:sg.sshFromAnywhereOffer']],
		[['0.0.0.0/0'], 'not-an-ip', ['warning:sg.sshFromAnywhere']],
		[['203.0.113.7/32'], '203.0.113.50', []],
	])('%j with this machine at %s', (values, adminAddress, expected) => {
		const issues = validateSshSources(values, 'securityGroup.sshFrom', adminAddress ? { adminAddress } : {});
		expect(rules(issues)).toEqual(expected);
		expectWorded(issues);
	});

	it('names the /32 in both languages', () => {
		const [found] = validateSshSources(['0.0.0.0/0'], 'securityGroup.sshFrom', {
			adminAddress: '203.0.113.50',
		});
		const vars = { path: found!.path, ...found!.vars };
		expect(en('rule.sg.sshFromAnywhereOffer', vars)).toContain('203.0.113.50/32');
		expect(ja('rule.sg.sshFromAnywhereOffer', vars)).toContain('203.0.113.50/32');
	});
});

describe('security group name', () => {
	it.each([
		['Permitted-IP-Hosts', []],
		['Allow SSH (admins) #1', []],
		['', ['error:sg.name']],
		['sg-mine', ['error:sg.name']],
		['SG-mine', ['error:sg.name']],
		['許可', ['error:sg.name']],
		['a'.repeat(256), ['error:sg.name']],
		['tab\there', ['error:sg.name']],
	])('%j', (value, expected) => {
		const issues = validateSecurityGroupName(value);
		expect(rules(issues)).toEqual(expected);
		expectWorded(issues);
	});
});

describe('tag values', () => {
	it.each([
		['AMF-VAA', []],
		['アプライアンス', []],
		['', ['error:tag.value']],
		['x'.repeat(257), ['error:tag.value']],
		['line\nbreak', ['error:tag.characters']],
		['aws:mine', ['error:tag.reserved']],
		['AWS:mine', ['error:tag.reserved']],
	])('%j', (value, expected) => {
		const issues = validateTagValue(value, 'instance.name');
		expect(rules(issues)).toEqual(expected);
		expectWorded(issues);
	});
});

const base = {
	flow: 'multi-tenant',
	region: 'ap-northeast-1',
	name: 'amf-cloud',
	vpc: { cidr: '172.30.0.0/16' },
	subnet: { cidr: '172.30.0.0/24' },
	securityGroup: {
		name: 'Permitted-IP-Hosts',
		sshFrom: ['203.0.113.7/32'],
		userNetworks: ['192.168.1.0/24'],
	},
	keyPair: { name: 'amf-cloud-key', privateKeyFile: './amf-cloud-key.pem' },
	instance: { type: 't3.small', name: 'AMF-VAA' },
};

const tenantA = { name: 'a', publicIp: '198.51.100.10', lan: ['192.168.10.0/24'] };
const tenantB = { name: 'b', publicIp: '198.51.100.11', lan: ['192.168.20.0/24'] };

describe('network overlaps: one routing table in single mode, one container per tenant in multi-tenant mode', () => {
	it.each([
		['multi-tenant', 'distinct tenants', [tenantA, tenantB], {}, []],
		[
			'single-aws-vpn',
			'two sites with one LAN: the appliance could not tell them apart',
			[tenantA, { ...tenantB, lan: ['192.168.10.128/25'] }],
			{},
			['peers[1].lan[0]:network.overlapsNetwork'],
		],
		[
			'multi-tenant',
			'two tenants with one LAN (install-guide 6: each is bridged into its own container)',
			[tenantA, { ...tenantB, lan: ['192.168.10.0/24'] }],
			{},
			[],
		],
		[
			'multi-tenant',
			'two tenants with the guide’s same tunnel address 172.16.0.2/24',
			[
				{ ...tenantA, tunnelAddress: '172.16.0.2/24' },
				{ ...tenantB, tunnelAddress: '172.16.0.2/24' },
			],
			{},
			[],
		],
		[
			'multi-tenant',
			'a tenant’s tunnel address inside another tenant’s LAN',
			[tenantA, { ...tenantB, tunnelAddress: '192.168.10.2/24' }],
			{},
			[],
		],
		[
			'multi-tenant',
			'a tenant’s tunnel address inside its own LAN',
			[{ ...tenantA, tunnelAddress: '192.168.10.2/24' }],
			{},
			['peers[0].lan[0]:network.overlapsTunnel'],
		],
		[
			'multi-tenant',
			'a tenant tunnel address inside the VPC',
			[tenantA, { ...tenantB, tunnelAddress: '172.30.200.2/24' }],
			{},
			['vpc.cidr:network.overlapsTunnel'],
		],
		[
			'single-appliance',
			'one site listed twice (user network = its LAN) is fine',
			[{ ...tenantA, lan: ['192.168.1.0/24'] }],
			{},
			[],
		],
		[
			'single-appliance',
			'tunnel range inside a LAN',
			[{ ...tenantA, lan: ['172.16.0.0/24'] }],
			{},
			['peers[0].lan[0]:network.overlapsTunnel'],
		],
		[
			'single-appliance',
			'tunnel range inside the VPC',
			[tenantA],
			{ appliance: { tunnelAddress: '172.30.255.1/30' } },
			['vpc.cidr:network.overlapsTunnel'],
		],
	])('%s: %s', (flow, _name, peers, extra, expected) => {
		const answers = parseAnswers({ ...base, flow, peers, ...extra });
		const issues = validateNetworkOverlaps(answers);
		expect(issues.map((issue) => `${issue.path}:${issue.rule}`)).toEqual(expected);
		expectWorded(issues);
		for (const found of issues) expect(validateAnswers(answers)).toContainEqual(found);
	});

	it('multi-tenant: a tenant LAN inside the VPC is still an error (validateAnswers)', () => {
		const answers = parseAnswers({ ...base, peers: [tenantA, { ...tenantB, lan: ['172.30.5.0/24'] }] });
		const issues = validateAnswers(answers);
		expect(issues.map((issue) => `${issue.path}:${issue.rule}`)).toEqual([
			'peers[1].lan[0]:network.overlapsVpc',
		]);
	});

	it('multi-tenant: identities stay distinct and two tenants cannot share a router address', () => {
		const answers = parseAnswers({
			...base,
			peers: [
				{ ...tenantA, psk: 'env:SAME', tenant: { isakmpName: 'vaa1', l2tpv3: { local: 11, remote: 12 } } },
				{
					...tenantB,
					publicIp: tenantA.publicIp,
					lan: tenantA.lan,
					psk: 'env:SAME',
					tenant: { isakmpName: 'vaa1', l2tpv3: { local: 12, remote: 13 } },
				},
			],
		});
		const issues = validateAnswers(answers);
		expect(issues.map((issue) => `${issue.path}:${issue.rule}`)).toEqual([
			'peers[1].publicIp:peers.duplicateAddress',
			'peers[1].tenant.isakmpName:tenant.duplicateName',
			'peers[1].tenant.l2tpv3.local:tenant.duplicateL2tpv3',
			'peers[1].psk:tenant.duplicatePsk',
		]);
		expectWorded(issues);
	});
});

describe('instance type offered in the region (checked against the endpoint at plan/apply)', () => {
	it('has its message in both languages', () => {
		const issue: AnswerIssue = {
			path: 'instance.type',
			rule: 'instance.typeNotOffered',
			severity: 'error',
			vars: { value: 't2.micro', location: 'ap-northeast-3', examples: 't3.micro, t3.small' },
		};
		expectWorded([issue]);
		expect(en('rule.instance.typeNotOffered', { path: issue.path, ...issue.vars })).toContain(
			'ap-northeast-3',
		);
	});
	it('zone unknown has its message in both languages', () => {
		expectWorded([
			{
				path: 'subnet.availabilityZone',
				rule: 'subnet.zoneUnknown',
				severity: 'error',
				vars: {
					value: 'ap-northeast-1b',
					region: 'ap-northeast-1',
					zones: 'ap-northeast-1a, ap-northeast-1c',
				},
			},
		]);
	});
});
