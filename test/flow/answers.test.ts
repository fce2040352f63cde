import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnswersError, loadAnswersFile } from '../../source/flow/answers.js';

async function load(text: string) {
	const dir = await mkdtemp(join(tmpdir(), 'kakehashi-answers-'));
	const file = join(dir, 'answers.yaml');
	await writeFile(file, text);
	try {
		await loadAnswersFile(file);
		return [];
	} catch (error) {
		if (error instanceof AnswersError) return error.issues.map((issue) => `${issue.path} ${issue.rule}`);
		throw error;
	}
}

const valid = `flow: single-appliance
region: ap-northeast-1
name: amf-cloud
vpc: { cidr: 172.30.0.0/16 }
subnet: { cidr: 172.30.0.0/24 }
securityGroup: { name: Permitted-IP-Hosts, sshFrom: [203.0.113.7/32], userNetworks: [192.168.1.0/24] }
keyPair: { name: amf-cloud-key, privateKeyFile: ./amf-cloud-key.pem }
instance: { type: t3.small, name: AMF-VAA }
peers:
  - { name: site, publicIp: 198.51.100.10, lan: [192.168.1.0/24] }
`;

describe('answers file shape', () => {
	it('accepts the minimum keys', async () => {
		expect(await load(valid)).toEqual([]);
	});
	it('names unknown keys with their path', async () => {
		expect(await load(`${valid}colour: blue\n`)).toEqual(['colour unknownKey']);
		expect(
			await load(valid.replace('{ cidr: 172.30.0.0/16 }', '{ cidr: 172.30.0.0/16, size: big }')),
		).toEqual(['vpc.size unknownKey']);
		expect(await load(valid.replace('lan: [', 'lans: [10.0.0.0/8], lan: ['))).toEqual([
			'peers[0].lans unknownKey',
		]);
	});
	it('names a wrong flow and a missing section', async () => {
		expect(await load(valid.replace('single-appliance', 'double'))).toEqual(['flow oneOf']);
		expect(await load(valid.replace(/^vpc:.*\n/m, ''))).toEqual(['vpc required']);
	});
	it('reports YAML syntax and unreadable files', async () => {
		expect(await load('flow: [unclosed')).toEqual(['(yaml) yamlSyntax']);
		await expect(loadAnswersFile('/nonexistent/answers.yaml')).rejects.toBeInstanceOf(AnswersError);
	});
});
