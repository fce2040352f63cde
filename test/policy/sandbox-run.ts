import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { iamActionFor, noPermissionNeeded, s3Actions } from '../../scripts/policy/iam-actions.js';
import { applyCommand } from '../../source/commands/apply.js';
import { backupCommand } from '../../source/commands/backup.js';
import { destroyCommand } from '../../source/commands/destroy.js';
import { imageImportCommand } from '../../source/commands/image.js';
import type { CommandIo } from '../../source/commands/io.js';
import { monitorCommand } from '../../source/commands/monitor.js';
import { planCommand } from '../../source/commands/plan.js';
import { createTranslator } from '../../source/i18n/index.js';
import { startSandbox } from '../../source/sandbox/index.js';

/**
 * One flow's whole life as a user runs it (the commands themselves, in process), against a sandbox
 * this test owns, so that its record of every action it served can be read afterwards.
 */

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

type Captured = { io: CommandIo; stdout: () => string; stderr: () => string };

function captureIo(cwd: string): Captured {
	const out: Buffer[] = [];
	const err: Buffer[] = [];
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	stdout.on('data', (chunk: Buffer) => out.push(chunk));
	stderr.on('data', (chunk: Buffer) => err.push(chunk));
	return {
		io: {
			stdout,
			stderr,
			stdin: Readable.from([]),
			t: createTranslator('en'),
			lang: 'en',
			env: { ...process.env, LANG: 'en_US.UTF-8' },
			cwd,
		},
		stdout: () => Buffer.concat(out).toString('utf8'),
		stderr: () => Buffer.concat(err).toString('utf8'),
	};
}

/** IAM action names for what the sandbox saw: EC2 records bare names, S3/IAM/STS `service:Name`. */
export function normaliseSeen(seen: readonly string[]): string[] {
	const actions = new Set<string>();
	for (const name of seen) {
		const [service, operation] = name.includes(':') ? (name.split(':') as [string, string]) : ['ec2', name];
		if (noPermissionNeeded.includes(`${service}:${operation}`)) continue;
		// S3 may be recorded by operation (CreateMultipartUpload) or by IAM action (s3:PutObject)
		const action =
			service === 's3' && !Object.hasOwn(s3Actions, operation)
				? `s3:${operation}`
				: iamActionFor(service, operation, 'sandbox');
		if (action) actions.add(action);
	}
	return [...actions].sort();
}

export type FlowRun = {
	seen: string[];
	steps: string[];
	/** The IAM roles the state file recorded (image import: the role it passed to ImportSnapshot). */
	roles: string[];
};

/**
 * [image import of a VHD made by qemu-img →] apply → plan → monitor --once --json → backup → destroy,
 * then apply again (the private key left on disk by
 * destroy is imported this time: ImportKeyPair) and destroy again. The subnet names an availability
 * zone so apply checks it (DescribeAvailabilityZones). `secondApply` edits the answers of the
 * second apply, to take a path the first one does not (the AWS VPN's static routing).
 */
export async function runFlowOnSandbox(
	flow: string,
	options: { secondApply?: (answers: string) => string; imageImport?: boolean } = {},
): Promise<FlowRun> {
	const dir = await mkdtemp(join(tmpdir(), `kakehashi-policy-${flow}-`));
	const sandbox = await startSandbox({
		dir: join(dir, 'sandbox'),
		timings: {
			instanceRunningMs: 300,
			instanceTerminatedMs: 300,
			consoleOutputMs: 300,
			importSnapshotMs: 400,
			imageAvailableMs: 200,
		},
	});
	const steps: string[] = [];
	try {
		const example = await readFile(join(root, 'flows', 'examples', `${flow}.yaml`), 'utf8');
		const answers = join(dir, 'answers.yaml');
		const text = example
			.replace('./amf-cloud-key.pem', join(dir, 'key.pem'))
			.replace(
				'subnet: { cidr: 172.30.0.0/24 }',
				'subnet: { cidr: 172.30.0.0/24, availabilityZone: ap-northeast-1a }',
			);
		await writeFile(answers, text);
		const secondAnswers = join(dir, 'answers-second.yaml');
		await writeFile(secondAnswers, options.secondApply ? options.secondApply(text) : text);
		const common = {
			state: join(dir, 'kakehashi.state.json'),
			endpointUrl: sandbox.endpoint,
			knownHosts: join(dir, 'known_hosts'),
			acceptNewHostKey: true,
		};
		const run = async (name: string, command: (io: CommandIo) => Promise<number>) => {
			const captured = captureIo(dir);
			let code: number;
			try {
				code = await command(captured.io);
			} catch (error) {
				throw new Error(`${flow}: ${name} threw ${String(error)}\n${captured.stderr()}`);
			}
			if (code !== 0) throw new Error(`${flow}: ${name} exited ${code}\n${captured.stderr()}`);
			steps.push(name);
			return captured.stdout();
		};
		let roles: string[] = [];
		if (options.imageImport) {
			const vhd = join(dir, 'vaa.vhd');
			execFileSync('qemu-img', ['create', '-f', 'vpc', vhd, '64M'], { stdio: 'ignore' });
			await run('image import', (io) =>
				imageImportCommand({ ...common, vhd, name: 'vaa-policy-test', json: true }, io),
			);
			const state = JSON.parse(await readFile(common.state, 'utf8')) as {
				resources: { kind: string; id: string }[];
			};
			roles = state.resources.filter((item) => item.kind === 'iam-role').map((item) => item.id);
		}
		await run('apply', (io) => applyCommand({ ...common, answers, yes: true, json: true }, io));
		await run('plan', (io) => planCommand({ ...common, answers, json: true }, io));
		await run('monitor --once --json', (io) => monitorCommand({ ...common, once: true, json: true }, io));
		await run('backup', (io) => backupCommand({ ...common, json: true }, io));
		await run('destroy', (io) => destroyCommand({ ...common, yes: true, json: true }, io));
		await run('apply again (key imported from the PEM left on disk)', (io) =>
			applyCommand({ ...common, answers: secondAnswers, yes: true, json: true }, io),
		);
		await run('destroy again', (io) => destroyCommand({ ...common, yes: true, json: true }, io));
		return { seen: normaliseSeen(sandbox.ec2.actionsSeen()), steps, roles };
	} finally {
		await sandbox.close();
		await rm(dir, { recursive: true, force: true });
	}
}
