import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAnswers, kakehashi, tempDir } from '../e2e/cli-helpers.js';

/** plan / apply / destroy as contract.md has them, run as a user would (the built CLI, --sandbox). */

let dir: string;
let example: string;

beforeAll(async () => {
	dir = await tempDir('kakehashi-cli-aws-');
	example = await readFile(exampleAnswers, 'utf8');
	await writeFile(join(dir, 'answers.yaml'), example.replace('./amf-cloud-key.pem', join(dir, 'key.pem')));
});

afterAll(async () => {
	await kakehashi(['destroy', '--sandbox', '--yes'], { cwd: dir });
});

async function answersWith(name: string, edit: (text: string) => string): Promise<string> {
	const file = join(dir, name);
	await writeFile(file, edit(await readFile(join(dir, 'answers.yaml'), 'utf8')));
	return file;
}

describe('plan, apply and destroy from the command line', () => {
	it('refuses, before touching anything, an instance type the zone does not offer (exit 2, field named, Japanese)', async () => {
		const file = await answersWith('c5.yaml', (text) =>
			text
				.replace('t3.small', 'c5.xlarge')
				.replace(
					'subnet: { cidr: 172.30.0.0/24 }',
					'subnet: { cidr: 172.30.0.0/24, availabilityZone: ap-northeast-1a }',
				),
		);
		const run = await kakehashi(['plan', '--answers', file, '--sandbox', '--state', 'c5.state.json'], {
			cwd: dir,
			env: { LANG: 'ja_JP.UTF-8' },
		});
		expect(run.exitCode).toBe(2);
		expect(run.stderr).toContain('instance.type');
		expect(run.stderr).toContain('ap-northeast-1a では提供されていません');
	});

	it('refuses a --region that contradicts the answers (exit 2)', async () => {
		const run = await kakehashi(['plan', '--answers', 'answers.yaml', '--sandbox', '--region', 'us-east-1'], {
			cwd: dir,
		});
		expect(run.exitCode).toBe(2);
		expect(run.stderr).toContain('--region us-east-1 differs from region: ap-northeast-1');
	});

	it('applies, then plans a replacement with its reason in --json, and refuses another stack on the same state file', async () => {
		const applied = await kakehashi(['apply', '--answers', 'answers.yaml', '--sandbox', '--yes', '--json'], {
			cwd: dir,
		});
		expect(applied.exitCode, applied.stderr).toBe(0);
		expect(JSON.parse(applied.stdout).resources).toHaveLength(7);
		expect(applied.stderr).toMatch(/system log: |The system log \(GetConsoleOutput\) is still empty/);

		const moved = await answersWith('moved.yaml', (text) => text.replaceAll('172.30.', '10.70.'));
		const plan = await kakehashi(['plan', '--answers', moved, '--sandbox', '--json'], { cwd: dir });
		expect(plan.exitCode, plan.stderr).toBe(0);
		const { changes } = JSON.parse(plan.stdout) as {
			changes: { action: string; kind: string; reason?: string; id?: string }[];
		};
		expect(changes.map((change) => change.action)).toEqual([
			'replace',
			'replace',
			'replace',
			'replace',
			'replace',
			'keep',
			'replace',
		]);
		expect(changes[0]).toMatchObject({ kind: 'vpc', reason: 'CIDR 172.30.0.0/16 → 10.70.0.0/16' });
		expect(changes.every((change) => change.id)).toBe(true);

		const other = await answersWith('other.yaml', (text) =>
			text.replace('name: amf-cloud', 'name: other-stack'),
		);
		const refused = await kakehashi(['apply', '--answers', other, '--sandbox', '--yes'], {
			cwd: dir,
			env: { LANG: 'ja_JP.UTF-8' },
		});
		expect(refused.exitCode).toBe(1);
		expect(refused.stderr).toContain('スタック「amf-cloud」が記録されています');
	});

	it('destroys in reverse and reports the key file left on disk (--json)', async () => {
		const run = await kakehashi(['destroy', '--sandbox', '--yes', '--json'], { cwd: dir });
		expect(run.exitCode, run.stderr).toBe(0);
		const result = JSON.parse(run.stdout) as {
			deleted: { kind: string }[];
			failed: unknown[];
			notes: string[];
		};
		expect(result.failed).toEqual([]);
		expect(result.deleted.map((item) => item.kind)).toEqual([
			'instance',
			'key-pair',
			'security-group',
			'route-table',
			'internet-gateway',
			'subnet',
			'vpc',
		]);
		expect(result.notes.join('\n')).toContain('key.pem');
	});
});
