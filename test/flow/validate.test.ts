import { describe, expect, it } from 'vitest';
import type { AnswerIssue } from '../../source/flow/answers.js';
import { parseAnswers } from '../../source/flow/answers.js';
import {
	checkCidr,
	validateAnswers,
	validateInterfaceAddress,
	validateKeyPairName,
	validatePskReference,
	validateSshSources,
	validateStackName,
	validateSubnetCidr,
	validateVpcCidr,
} from '../../source/flow/validate.js';
import { createTranslator, type MessageKey } from '../../source/i18n/index.js';

const en = createTranslator('en');
const ja = createTranslator('ja');
const rules = (issues: AnswerIssue[]) => issues.map((issue) => `${issue.severity}:${issue.rule}`);

function messages(issue: AnswerIssue) {
	const key = `rule.${issue.rule}` as MessageKey;
	return {
		en: en(key, { path: issue.path, ...issue.vars }),
		ja: ja(key, { path: issue.path, ...issue.vars }),
	};
}

describe('CIDR syntax and host bits', () => {
	it.each([
		['172.30.0.0/16', []],
		['172.30.0.1/16', ['error:cidr.hostBits']],
		['172.30.0.0', ['error:cidr.syntax']],
		['300.1.0.0/16', ['error:cidr.syntax']],
		['10.0.0.0/33', ['error:cidr.syntax']],
		['abc', ['error:cidr.syntax']],
		['', ['error:cidr.syntax']],
	])('%s', (value, expected) => {
		const checked = checkCidr(value, 'vpc.cidr');
		expect(checked.ok ? [] : rules([checked.issue])).toEqual(expected);
	});

	it('suggests the network address for host bits', () => {
		const checked = checkCidr('172.30.5.9/16', 'vpc.cidr');
		expect(checked.ok).toBe(false);
		if (!checked.ok) expect(messages(checked.issue).en).toContain('172.30.0.0/16');
	});
});

describe('VPC block', () => {
	it.each([
		['172.30.0.0/16', []],
		['10.0.0.0/28', []],
		['10.0.0.0/15', ['error:vpc.prefix']],
		['10.0.0.0/29', ['error:vpc.prefix']],
		['8.8.0.0/16', ['warning:vpc.notPrivate']],
		['172.31.0.0/16', ['warning:vpc.amfManagementRange']],
		['172.31.16.0/20', ['warning:vpc.amfManagementRange']],
		['172.16.0.0/12', ['error:vpc.prefix', 'warning:vpc.amfManagementRange']],
	])('%s', (value, expected) => {
		expect(rules(validateVpcCidr(value))).toEqual(expected);
	});

	it('explains the AMF reason for 172.31.0.0/16 in both languages', () => {
		const [found] = validateVpcCidr('172.31.0.0/16');
		expect(messages(found!).en).toMatch(/AMF.*management subnet.*10\.255\.0\.0\/16/);
		expect(messages(found!).ja).toMatch(/AMF.*管理サブネット.*10\.255\.0\.0\/16/);
	});
});

describe('subnet inside its VPC', () => {
	it.each([
		['172.30.0.0/24', '172.30.0.0/16', []],
		['172.30.0.0/16', '172.30.0.0/16', []],
		['172.29.0.0/24', '172.30.0.0/16', ['error:subnet.outsideVpc']],
		['172.30.0.0/29', '172.30.0.0/16', ['error:subnet.prefix']],
		['172.30.0.1/24', '172.30.0.0/16', ['error:cidr.hostBits']],
	])('%s in %s', (subnet, vpc, expected) => {
		expect(rules(validateSubnetCidr(subnet, vpc))).toEqual(expected);
	});
});

describe('other field rules', () => {
	it.each([
		[['203.0.113.7/32'], []],
		[['0.0.0.0/0'], ['warning:sg.sshFromAnywhere']],
		[['203.0.113.7'], ['error:cidr.syntax']],
	])('ssh sources %j', (value, expected) => {
		expect(rules(validateSshSources(value))).toEqual(expected);
	});
	it.each([
		['amf-cloud-key', []],
		[' key', ['error:keyPair.name']],
		['鍵', ['error:keyPair.name']],
		['k'.repeat(256), ['error:keyPair.name']],
	])('key pair name %j', (value, expected) => {
		expect(rules(validateKeyPairName(value))).toEqual(expected);
	});
	it.each([
		['amf-cloud', []],
		['-x', ['error:stack.name']],
		['a b', ['error:stack.name']],
	])('stack name %j', (value, expected) => {
		expect(rules(validateStackName(value))).toEqual(expected);
	});
	it.each([
		[undefined, []],
		['env:SITE_PSK', []],
		['file:./psk.txt', []],
		['abcdefghij', ['error:psk.reference']],
	])('psk reference %j', (value, expected) => {
		expect(rules(validatePskReference(value, 'peers[0].psk'))).toEqual(expected);
	});
	it.each([
		['172.16.0.1/30', []],
		['172.16.0.0/30', ['error:address.notHost']],
		['172.16.0.3/30', ['error:address.notHost']],
		['172.16.0.1', ['error:address.syntax']],
	])('interface address %j', (value, expected) => {
		expect(rules(validateInterfaceAddress(value, 'appliance.tunnelAddress'))).toEqual(expected);
	});
});

const base = {
	flow: 'single-appliance',
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
	peers: [{ name: 'site', publicIp: '198.51.100.10', lan: ['192.168.1.0/24'] }],
};

describe('whole answers', () => {
	it('the base example is clean', () => {
		expect(validateAnswers(parseAnswers(base))).toEqual([]);
	});
	it('user network overlapping the VPC is an error naming the field', () => {
		const answers = parseAnswers({
			...base,
			securityGroup: { ...base.securityGroup, userNetworks: ['172.30.1.0/24'] },
		});
		const issues = validateAnswers(answers);
		expect(issues.map((issue) => issue.path)).toEqual(['securityGroup.userNetworks[0]']);
		expect(messages(issues[0]!).en).toContain('overlaps the VPC block 172.30.0.0/16');
		expect(messages(issues[0]!).ja).toContain('重なっています');
	});
	it('peer count per flow', () => {
		const issues = validateAnswers(parseAnswers({ ...base, peers: [] }));
		expect(rules(issues)).toEqual(['error:peers.count']);
	});
	it('every rule has a message in both languages', () => {
		const answers = parseAnswers({
			...base,
			name: '-bad',
			region: 'tokyo',
			vpc: { cidr: '172.31.0.0/16' },
			subnet: { cidr: '10.0.0.0/24' },
			securityGroup: { name: 'x', sshFrom: ['0.0.0.0/0'], userNetworks: ['172.31.5.0/24'] },
			keyPair: { name: ' bad' },
			instance: { type: 'big', name: 'x', ami: 'ami-xyz' },
			peers: [
				{ name: 'a', publicIp: '1.2.3', lan: ['10.1.0.0/16'], psk: 'plain', tunnelAddress: '172.16.0.0/30' },
				{ name: 'a', publicIp: '1.2.3.4', lan: ['10.2.0.0/16'] },
			],
		});
		const issues = validateAnswers(answers);
		expect(issues.length).toBeGreaterThan(10);
		for (const issue of issues) {
			const text = messages(issue);
			expect(text.en).not.toMatch(/\{\w+\}/);
			expect(text.ja).not.toMatch(/\{\w+\}/);
			expect(text.en).toContain(issue.path);
			expect(text.ja).toContain(issue.path);
		}
	});
});
