import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FlowName, flowNames, parseAnswers } from '../../source/flow/answers.js';
import { validateAnswers } from '../../source/flow/validate.js';
import {
	assembleAnswers,
	type Draft,
	loadWizardFlow,
	setAnswer,
	tenantQuestion,
	validateQuestion,
	type WizardQuestion,
} from '../../source/flow/wizard-flow.js';
import { en } from '../../source/i18n/en.js';
import { ja } from '../../source/i18n/ja.js';
import { initialDraft } from '../../source/ui/app.js';
import { tempDir } from '../e2e/cli-helpers.js';

/** The wizard's flow files as data: every key worded in both languages, every default valid, the answers they assemble. */

const keysOf = (question: WizardQuestion) => [
	question.label,
	...(question.hint ? [question.hint] : []),
	...(question.choices ?? []).map((choice) => choice.label),
];

/** Answer every question with its default, tenants `count` times, as a user pressing enter would. */
function answerDefaults(flow: FlowName, tenants = 2): Draft {
	let draft = initialDraft(flow);
	for (const step of loadWizardFlow(flow).steps) {
		for (const question of step.questions) {
			const value = question.default ?? '';
			expect(validateQuestion(question, value, draft), question.field).toEqual([]);
			draft = setAnswer(draft, question, value);
		}
		for (let index = 0; step.tenants && index < tenants; index += 1) {
			for (const relative of step.tenants.questions) {
				const question = tenantQuestion(relative, index);
				const value = question.default ?? '';
				expect(validateQuestion(question, value, draft), question.field).toEqual([]);
				draft = setAnswer(draft, question, value);
			}
		}
	}
	return draft;
}

describe('flow files', () => {
	it.each(flowNames)('%s: every title, help, label, hint and choice is in both catalogs', (flow) => {
		const wizard = loadWizardFlow(flow);
		const keys = wizard.steps.flatMap((step) => [
			step.title,
			step.help,
			...step.questions.flatMap(keysOf),
			...(step.tenants?.questions ?? []).flatMap(keysOf),
		]);
		for (const key of keys) {
			expect(en[key], key).toBeTruthy();
			expect(ja[key], key).toBeTruthy();
		}
	});

	it.each(flowNames)(
		'%s: the defaults assemble answers that pass parseAnswers and validateAnswers',
		(flow) => {
			const answers = parseAnswers(assembleAnswers(answerDefaults(flow)), 'wizard');
			expect(answers.flow).toBe(flow);
			expect(validateAnswers(answers).filter((issue) => issue.severity === 'error')).toEqual([]);
		},
	);

	it('single-aws-vpn: ASNs as numbers, empty optional tunnel options left to AWS, routing and vendor chosen', () => {
		const answers = parseAnswers(assembleAnswers(answerDefaults('single-aws-vpn')), 'wizard');
		expect(answers.vpn).toEqual({ amazonSideAsn: 64512, routing: 'bgp', linkLocalRoute: '169.254.0.0/16' });
		expect(answers.peers).toEqual([
			{
				name: 'site',
				publicIp: '198.51.100.10',
				asn: 65000,
				lan: ['192.168.1.0/24'],
				router: { vendor: 'awplus', wanInterface: 'ppp0' },
			},
		]);
	});

	it('single-aws-vpn: a second tunnel’s options alone keep the first tunnel as AWS’s defaults', () => {
		const wizard = loadWizardFlow('single-aws-vpn');
		const question = wizard.steps
			.flatMap((step) => step.questions)
			.find((candidate) => candidate.field === 'vpn.tunnels.1.insideCidr');
		if (!question) throw new Error('no tunnel 2 question');
		const draft = setAnswer(answerDefaults('single-aws-vpn'), question, '169.254.20.0/30');
		expect(assembleAnswers(draft).vpn).toMatchObject({ tunnels: [{}, { insideCidr: '169.254.20.0/30' }] });
	});

	it('multi-tenant: tenants from position — names, addresses, LANs — and none at the start', () => {
		expect(initialDraft('multi-tenant', { peers: [{ name: 'site' }], tenants: [] }).peers).toEqual([]);
		const answers = parseAnswers(assembleAnswers(answerDefaults('multi-tenant', 3)), 'wizard');
		expect(answers.peers.map((peer) => [peer.name, peer.publicIp, peer.lan[0], peer.tunnelAddress])).toEqual([
			['tenant-a', '198.51.100.21', '192.168.10.0/24', '172.16.0.2/24'],
			['tenant-b', '198.51.100.22', '192.168.11.0/24', '172.16.0.2/24'],
			['tenant-c', '198.51.100.23', '192.168.12.0/24', '172.16.0.2/24'],
		]);
		const none = parseAnswers(assembleAnswers(answerDefaults('multi-tenant', 0)), 'wizard');
		expect(validateAnswers(none).map((issue) => issue.rule)).toContain('peers.count');
	});
});

describe('question rules', () => {
	const vpn = loadWizardFlow('single-aws-vpn');
	const tenants = loadWizardFlow('multi-tenant');
	const ask = (field: string) => {
		const found = vpn.steps.flatMap((step) => step.questions).find((question) => question.field === field);
		if (!found) throw new Error(field);
		return found;
	};
	const tenantAsk = (field: string, index: number) => {
		const found = tenants.steps
			.flatMap((step) => step.tenants?.questions ?? [])
			.find((q) => q.field === field);
		if (!found) throw new Error(field);
		return tenantQuestion(found, index);
	};
	const rules = (question: WizardQuestion, value: string, draft: Draft, env: NodeJS.ProcessEnv = {}) =>
		validateQuestion(question, value, draft, { env }).map((issue) => issue.rule);

	it.each([
		['peers.0.asn', '65000', []],
		['peers.0.asn', '7224', ['vpn.asn.reserved']],
		['peers.0.asn', '10124', ['vpn.asn.reserved']],
		['peers.0.asn', '64513', ['vpn.asn.sameAsAmazon']],
		['peers.0.asn', 'abc', ['type']],
		['vpn.amazonSideAsn', '65000', []],
		['vpn.amazonSideAsn', '100', ['vpn.amazonAsn.range']],
		['vpn.routing', 'ospf', ['oneOf']],
		['vpn.tunnels.0.insideCidr', '', []],
		['vpn.tunnels.0.insideCidr', '169.254.1.0/30', ['vpn.insideCidr.reserved']],
		['vpn.tunnels.0.insideCidr', '169.254.20.0/29', ['vpn.insideCidr.prefix']],
		['vpn.tunnels.0.insideCidr', '10.0.0.0/30', ['vpn.insideCidr.linkLocal']],
		['vpn.tunnels.0.insideCidr', '169.254.10.0/30', ['vpn.insideCidr.duplicate']],
		['vpn.tunnels.0.psk', '', []],
		['vpn.tunnels.0.psk', 'plainkey123', ['psk.reference']],
		['vpn.tunnels.0.psk', 'env:UNSET_VARIABLE', ['psk.unresolved']],
		['vpn.tunnels.0.psk', 'env:SHORT_KEY', ['vpn.psk.length']],
		['vpn.tunnels.0.psk', 'env:ZERO_KEY', ['vpn.psk.leadingZero']],
		['vpn.tunnels.0.psk', 'env:GOOD_KEY', []],
		['vpn.linkLocalRoute', '169.254.0.0/16', []],
		['vpn.linkLocalRoute', '10.0.0.0/16', ['vpn.insideCidr.linkLocal']],
	])('%s = %j', (field, value, expected) => {
		const draft = { vpn: { amazonSideAsn: 64513, tunnels: [{}, { insideCidr: '169.254.10.0/30' }] } };
		const env = { SHORT_KEY: 'short', ZERO_KEY: '0abcdefghij', GOOD_KEY: 'abcdefgh_1.2' };
		expect(rules(ask(field), value, draft, env)).toEqual(expected);
	});

	it('a key file is read to check it as AWS will, never shown', async () => {
		const dir = await tempDir('kakehashi-wizard-psk-');
		await writeFile(join(dir, 'bad'), 'has-dash-key\n');
		const issues = validateQuestion(ask('vpn.tunnels.1.psk'), `file:${join(dir, 'bad')}`, {});
		expect(issues.map((issue) => issue.rule)).toEqual(['vpn.psk.characters']);
		expect(JSON.stringify(issues)).not.toContain('has-dash-key');
	});

	it.each([
		['name', 'tenant-b', ['tenant.nameTaken']],
		['name', 'bad name', ['tenant.nameSyntax']],
		['publicIp', '198.51.100.21', ['peers.duplicateAddress']],
		['lan', '192.168.10.0/24', []],
		['lan', '172.30.1.0/24', ['network.overlapsVpc']],
		['tunnelAddress', '172.16.0.2/24', []],
		['tunnelAddress', '192.168.99.1/24', ['network.overlapsTunnel']],
		['tunnelAddress', '172.30.9.1/24', ['network.overlapsTunnel']],
		['tunnelAddress', '172.16.0.0/24', ['address.notHost']],
		['psk', 'env:TENANT_A_PSK', ['tenant.duplicatePsk']],
		['psk', 'env:TENANT_C_PSK', []],
		['router.vendor', 'mikrotik', ['oneOf']],
	])('tenant 3 %s = %j', (field, value, expected) => {
		const draft = {
			vpc: { cidr: '172.30.0.0/16' },
			peers: [
				{ name: 'tenant-a', publicIp: '198.51.100.21', lan: ['192.168.10.0/24'], psk: 'env:TENANT_A_PSK' },
				{ name: 'tenant-b', publicIp: '198.51.100.22', lan: ['192.168.10.0/24'] },
				{ name: 'tenant-c', publicIp: '198.51.100.23', lan: ['192.168.99.0/24'] },
			],
		};
		expect(rules(tenantAsk(field, 2), value, draft)).toEqual(expected);
	});

	it('offers this machine’s address as a /32 when SSH is open to the internet', () => {
		const question = vpn.steps.flatMap((step) => step.questions).find((q) => q.validate === 'sshSources');
		if (!question) throw new Error('no ssh question');
		expect(validateQuestion(question, '0.0.0.0/0', {}, { adminAddress: '192.0.2.44' })).toEqual([
			{
				path: `${question.field}[0]`,
				rule: 'sg.sshFromAnywhereOffer',
				severity: 'warning',
				vars: { suggestion: '192.0.2.44/32' },
			},
		]);
	});
});
