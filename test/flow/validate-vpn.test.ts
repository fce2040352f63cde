import { describe, expect, it } from 'vitest';
import { type AnswerIssue, parseAnswers } from '../../source/flow/answers.js';
import {
	tenantIdentity,
	validateAmazonSideAsn,
	validateAwsVpnAnswers,
	validateCustomerGatewayAsn,
	validateDistinctPsks,
	validateDpdTimeout,
	validateIkeVersions,
	validateInsideCidrsUnique,
	validateLifetimes,
	validateProposals,
	validateTenants,
	validateTunnelInsideCidr,
	validateTunnelPsk,
} from '../../source/flow/validate-vpn.js';
import { createTranslator, type MessageKey } from '../../source/i18n/index.js';

const en = createTranslator('en');
const ja = createTranslator('ja');
const rules = (issues: AnswerIssue[]) => issues.map((found) => found.rule);

/** Every issue must read as a full sentence in both languages, with every placeholder filled. */
function expectMessages(issues: AnswerIssue[]) {
	for (const found of issues) {
		const key = `rule.${found.rule}` as MessageKey;
		for (const translate of [en, ja]) {
			const text = translate(key, { path: found.path, ...found.vars });
			expect(text, found.rule).not.toBe(key);
			expect(text, found.rule).not.toMatch(/\{\w+\}/);
			expect(text).toContain(found.path);
		}
	}
}

describe('customer gateway ASN', () => {
	it.each([
		[65000, 64512, []],
		[1, 64512, []],
		[4294967294, 64512, []],
		[0, 64512, ['vpn.asn.range']],
		[4294967295, 64512, ['vpn.asn.range']],
		[7224, 64512, ['vpn.asn.reserved']],
		[9059, 64512, ['vpn.asn.reserved']],
		[10124, 64512, ['vpn.asn.reserved']],
		[17943, 64512, ['vpn.asn.reserved']],
		[64512, 64512, ['vpn.asn.sameAsAmazon']],
		[65001, 65001, ['vpn.asn.sameAsAmazon']],
	])('%d with Amazon side %d', (asn, amazon, expected) => {
		const issues = validateCustomerGatewayAsn(asn, amazon, 'peers[0].asn');
		expect(rules(issues)).toEqual(expected);
		expectMessages(issues);
	});
});

describe('Amazon-side ASN', () => {
	it.each([
		[64512, []],
		[65534, []],
		[4200000000, []],
		[4294967294, []],
		[65535, ['vpn.amazonAsn.range']],
		[64511, ['vpn.amazonAsn.range']],
		[7224, ['vpn.amazonAsn.range']],
	])('%d', (asn, expected) => {
		const issues = validateAmazonSideAsn(asn);
		expect(rules(issues)).toEqual(expected);
		expectMessages(issues);
	});
});

describe('tunnel PSK (AWS rules)', () => {
	it.each([
		['abcdefgh', []],
		['Ab3._xyz', []],
		['x'.repeat(64), []],
		['abcdefg', ['vpn.psk.length']],
		['x'.repeat(65), ['vpn.psk.length']],
		['abc-defgh', ['vpn.psk.characters']],
		['abc defgh', ['vpn.psk.characters']],
		['0abcdefgh', ['vpn.psk.leadingZero']],
		['a0bcdefgh', []],
	])('%s', (psk, expected) => {
		const issues = validateTunnelPsk(psk, 'vpn.tunnels[0].psk');
		expect(rules(issues)).toEqual(expected);
		expectMessages(issues);
		for (const found of issues) expect(JSON.stringify(found)).not.toContain(psk);
	});
});

describe('tunnel inside CIDR', () => {
	it.each([
		['169.254.10.0/30', []],
		['169.254.169.248/30', []],
		['169.254.6.0/30', []],
		['169.254.10.0/29', ['vpn.insideCidr.prefix']],
		['169.254.10.1/30', ['cidr.hostBits']],
		['10.0.0.0/30', ['vpn.insideCidr.linkLocal']],
		['169.254.0.0/30', ['vpn.insideCidr.reserved']],
		['169.254.3.0/30', ['vpn.insideCidr.reserved']],
		['169.254.5.0/30', ['vpn.insideCidr.reserved']],
		['169.254.169.252/30', ['vpn.insideCidr.reserved']],
		['nonsense', ['cidr.syntax']],
	])('%s', (cidr, expected) => {
		const issues = validateTunnelInsideCidr(cidr, 'vpn.tunnels[0].insideCidr');
		expect(rules(issues)).toEqual(expected);
		expectMessages(issues);
	});

	it('is unique per gateway', () => {
		const issues = validateInsideCidrsUnique([
			{ path: 'a', value: '169.254.10.0/30' },
			{ path: 'b', value: '169.254.11.0/30' },
			{ path: 'c', value: '169.254.10.0/30' },
		]);
		expect(issues).toEqual([
			{
				path: 'c',
				rule: 'vpn.insideCidr.duplicate',
				severity: 'error',
				vars: { value: '169.254.10.0/30', other: 'a' },
			},
		]);
		expectMessages(issues);
	});
});

describe('IKE versions, proposals, lifetimes, DPD', () => {
	it('IKE versions', () => {
		expect(rules(validateIkeVersions(['ikev1', 'ikev2'], 'x'))).toEqual([]);
		const issues = validateIkeVersions(['ikev3'], 'x');
		expect(rules(issues)).toEqual(['vpn.ikeVersion']);
		expectMessages(issues);
	});

	it.each([
		[{ encryption: ['AES128', 'AES256-GCM-16'], integrity: ['SHA1', 'SHA2-512'], dhGroups: [2, 14, 24] }, []],
		[{ encryption: ['3DES'] }, ['vpn.proposal']],
		[{ integrity: ['MD5'] }, ['vpn.proposal']],
		[{ dhGroups: [1, 5, 25] }, ['vpn.proposal', 'vpn.proposal', 'vpn.proposal']],
	])('proposal %j', (proposal, expected) => {
		const issues = validateProposals(proposal, 'vpn.tunnels[0].phase1');
		expect(rules(issues)).toEqual(expected);
		expectMessages(issues);
	});

	it.each([
		[undefined, undefined, []],
		[28800, 3600, []],
		[900, undefined, ['vpn.lifetime.order']],
		[899, undefined, ['vpn.lifetime.range', 'vpn.lifetime.order']],
		[28801, undefined, ['vpn.lifetime.range']],
		[undefined, 3601, ['vpn.lifetime.range']],
		[undefined, 899, ['vpn.lifetime.range']],
		[1800, 1800, ['vpn.lifetime.order']],
		[1800, 900, []],
	])('lifetimes %s / %s', (p1, p2, expected) => {
		const issues = validateLifetimes(p1, p2, 'vpn.tunnels[0]');
		expect(rules(issues)).toEqual(expected);
		expectMessages(issues);
	});

	it.each([
		[30, []],
		[40, []],
		[29, ['vpn.dpdTimeout']],
	])('DPD timeout %d', (seconds, expected) => {
		const issues = validateDpdTimeout(seconds, 'vpn.tunnels[0].dpdTimeoutSeconds');
		expect(rules(issues)).toEqual(expected);
		expectMessages(issues);
	});
});

const base = {
	region: 'ap-northeast-1',
	name: 'amf-cloud',
	vpc: { cidr: '172.30.0.0/16' },
	subnet: { cidr: '172.30.0.0/24' },
	securityGroup: { name: 'Permitted-IP-Hosts' },
	keyPair: { name: 'amf-cloud-key', privateKeyFile: './k.pem' },
	instance: {},
};

describe('the single-aws-vpn answers', () => {
	it('accepts the defaults and reports every broken option with its path', () => {
		const good = parseAnswers({
			...base,
			flow: 'single-aws-vpn',
			peers: [{ name: 'ar4050s', publicIp: '198.51.100.10', lan: ['192.168.1.0/24'], asn: 65000 }],
		});
		expect(validateAwsVpnAnswers(good)).toEqual([]);
		const bad = parseAnswers({
			...base,
			flow: 'single-aws-vpn',
			peers: [{ name: 'ar4050s', publicIp: '198.51.100.10', lan: ['192.168.1.0/24'], asn: 65001 }],
			vpn: {
				amazonSideAsn: 65001,
				tunnels: [
					{ insideCidr: '169.254.10.0/30', phase2: { lifetimeSeconds: 4000 }, dpdTimeoutSeconds: 10 },
					{ insideCidr: '169.254.10.0/30', psk: 'literal-key', ikeVersions: ['ikev2'] },
				],
			},
		});
		const issues = validateAwsVpnAnswers(bad);
		expect(issues.map((found) => `${found.path} ${found.rule}`)).toEqual([
			'peers[0].asn vpn.asn.sameAsAmazon',
			'vpn.tunnels[0].phase2.lifetimeSeconds vpn.lifetime.range',
			'vpn.tunnels[0].dpdTimeoutSeconds vpn.dpdTimeout',
			'vpn.tunnels[1].psk psk.reference',
			'vpn.tunnels[1].insideCidr vpn.insideCidr.duplicate',
		]);
		expectMessages(issues);
	});
});

describe('single-aws-vpn warnings', () => {
	it.each([
		['10.1.1.1', ['vpn.customerIpPrivate']],
		['192.168.0.2', ['vpn.customerIpPrivate']],
		['100.64.1.1', ['vpn.customerIpPrivate']],
		['198.51.100.10', []],
	])('customer gateway address %s', (publicIp, expected) => {
		const answers = parseAnswers({
			...base,
			flow: 'single-aws-vpn',
			peers: [{ name: 'site', publicIp, lan: ['192.168.1.0/24'] }],
		});
		const issues = validateAwsVpnAnswers(answers);
		expect(issues.map((found) => `${found.severity}:${found.rule}`)).toEqual(
			expected.map((rule) => `warning:${rule}`),
		);
		expectMessages(issues);
	});

	it('static routes with BGP are pointless', () => {
		const answers = parseAnswers({
			...base,
			flow: 'single-aws-vpn',
			peers: [{ name: 'site', publicIp: '198.51.100.10', lan: ['192.168.1.0/24'] }],
			vpn: { staticRoutes: ['192.168.1.0/24'] },
		});
		const issues = validateAwsVpnAnswers(answers);
		expect(rules(issues)).toEqual(['vpn.staticRoutesUnused']);
		expectMessages(issues);
	});
});

describe('multi-tenant answers', () => {
	const tenants = (peers: unknown[]) => parseAnswers({ ...base, flow: 'multi-tenant', peers });

	it('defaults follow the guide (vaa1/tunnel1/11-12, vaa2/tunnel2/21-22)', () => {
		const answers = tenants([
			{ name: 'tenant-a', publicIp: '10.10.10.1', lan: ['192.168.10.0/24'], psk: 'env:A' },
			{ name: 'tenant-b', publicIp: '10.20.20.1', lan: ['192.168.10.0/24'], psk: 'env:B' },
		]);
		expect(validateTenants(answers)).toEqual([]);
		expect(answers.peers.map((peer, index) => tenantIdentity(peer, index + 1))).toEqual([
			{ isakmpName: 'vaa1', applianceTunnel: 'tunnel1', l2tpv3: { local: 11, remote: 12 } },
			{ isakmpName: 'vaa2', applianceTunnel: 'tunnel2', l2tpv3: { local: 21, remote: 22 } },
		]);
	});

	it('refuses shared names, tunnels, ids and keys', () => {
		const answers = tenants([
			{ name: 'a', publicIp: '10.10.10.1', lan: ['192.168.10.0/24'], psk: 'env:SAME' },
			{
				name: 'b',
				publicIp: '10.20.20.1',
				lan: ['192.168.10.0/24'],
				psk: 'env:SAME',
				tenant: { isakmpName: 'vaa1', applianceTunnel: 'tunnel1', l2tpv3: { local: 12, remote: 12 } },
			},
			{
				name: 'c',
				publicIp: '10.30.30.1',
				lan: ['192.168.10.0/24'],
				tenant: { isakmpName: 'vaa0', applianceTunnel: 'tunnel0' },
			},
		]);
		const issues = validateTenants(answers);
		expect(issues.map((found) => `${found.path} ${found.rule}`)).toEqual([
			'peers[1].tenant.isakmpName tenant.duplicateName',
			'peers[1].tenant.applianceTunnel tenant.duplicateTunnel',
			'peers[1].tenant.l2tpv3 tenant.l2tpv3Same',
			'peers[1].tenant.l2tpv3.local tenant.duplicateL2tpv3',
			'peers[1].tenant.l2tpv3.remote tenant.duplicateL2tpv3',
			'peers[1].psk tenant.duplicatePsk',
			'peers[2].tenant.isakmpName tenant.duplicateName',
			'peers[2].tenant.applianceTunnel tenant.duplicateTunnel',
		]);
		expectMessages(issues);
	});

	it('resolved keys must differ, and the key never appears in the issue', () => {
		const issues = validateDistinctPsks([
			{ path: 'peers[0].psk', value: 'efghijklmnop' },
			{ path: 'peers[1].psk', value: 'efghijklmnop' },
		]);
		expect(rules(issues)).toEqual(['tenant.duplicatePsk']);
		expect(JSON.stringify(issues)).not.toContain('efghijklmnop');
		expectMessages(issues);
	});
});
