import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { destroyFlow } from '../../source/flow/runner.js';
import { loadState } from '../../source/flow/state.js';
import {
	countTagged,
	countTaggedVpn,
	fastFlowTimings,
	networkKinds,
	region,
	type Sandbox,
	startSandbox,
	temporaryDirectory,
	uniqueStack,
	vpnKinds,
} from '../aws/sandbox-harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const childScript = join(here, 'apply-child.ts');
const projectRoot = join(here, '..', '..');

let sandbox: Sandbox;
let ec2: EC2Client;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
	({ sandbox, ec2 } = await startSandbox());
	({ dir, cleanup } = await temporaryDirectory());
});

afterAll(async () => {
	await sandbox?.close();
	await cleanup?.();
});

/** A small seeded PRNG so a failing run can be replayed with KAKEHASHI_KILL_SEED. */
function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * When to SIGKILL the child: `delayMs` after spawning (start-up, state loading, the first lookups), or
 * `delayMs` after it starts the `nth` step that creates something (inside a create window).
 */
type KillPlan =
	| { at: 'start-up'; delayMs: number }
	| { at: 'creating'; nth: number; delayMs: number }
	/** `delayMs` after the step of this kind starts creating (or replacing) its resource. */
	| { at: 'creating-kind'; kind: string; delayMs: number };

type Outcome = { result: 'killed' | 'completed'; stderr: string; lastEvent: string };

function runChild(answersFile: string, statePath: string, kill?: KillPlan): Promise<Outcome> {
	return new Promise((resolve, reject) => {
		const child = spawn(
			process.execPath,
			['--import', 'tsx', childScript, sandbox.endpoint, answersFile, statePath],
			{
				cwd: projectRoot,
				stdio: ['ignore', 'pipe', 'pipe'],
			},
		);
		let stderr = '';
		let buffered = '';
		let creating = 0;
		let armed = false;
		let killed = false;
		let lastEvent = 'start-up';
		const arm = (delayMs: number) => {
			if (armed) return;
			armed = true;
			setTimeout(() => {
				killed = child.kill('SIGKILL');
			}, delayMs);
		};
		if (kill?.at === 'start-up') arm(kill.delayMs);
		child.stdout.setEncoding('utf8');
		child.stdout.on('data', (chunk: string) => {
			buffered += chunk;
			const lines = buffered.split('\n');
			buffered = lines.pop() ?? '';
			for (const line of lines) {
				if (!/"event":"step-/.test(line)) continue;
				lastEvent = line;
				const startsCreating = /"event":"step-start".*"action":"(create|replace)"/.test(line);
				if (startsCreating) creating += 1;
				if (kill?.at === 'creating' && creating >= kill.nth) arm(kill.delayMs);
				if (kill?.at === 'creating-kind' && startsCreating && line.includes(`"kind":"${kill.kind}"`))
					arm(kill.delayMs);
			}
		});
		child.stderr.setEncoding('utf8');
		child.stderr.on('data', (chunk: string) => {
			stderr += chunk;
		});
		child.on('error', reject);
		child.on('exit', (code, signal) => {
			if (signal === 'SIGKILL' && killed) resolve({ result: 'killed', stderr, lastEvent });
			else if (code === 0) resolve({ result: 'completed', stderr, lastEvent });
			else reject(new Error(`apply child exited with ${code ?? signal}:\n${stderr}`));
		});
	});
}

async function expectOneOfEach(stack: string, statePath: string, withVpn = false): Promise<void> {
	const tagged = { ...(await countTagged(ec2, stack)), ...(withVpn ? await countTaggedVpn(ec2, stack) : {}) };
	const state = await loadState(statePath);
	for (const kind of withVpn ? [...networkKinds, ...vpnKinds] : networkKinds) {
		expect(tagged[kind], `${kind} tagged with the stack`).toHaveLength(1);
		const records = state?.resources.filter((item) => item.kind === kind) ?? [];
		expect(
			records.map((item) => item.id),
			`${kind} in the state file`,
		).toEqual(tagged[kind]);
	}
}

describe('kill and resume', () => {
	it('converges after apply is SIGKILLed at random moments: no duplicate, no orphan', async () => {
		const seed = Number(process.env.KAKEHASHI_KILL_SEED ?? Date.now() % 1_000_000);
		const random = mulberry32(seed);
		const stack = uniqueStack('kill');
		const pem = join(dir, `${stack}-key.pem`);
		const answersFile = join(dir, `${stack}.answers.json`);
		const statePath = join(dir, `${stack}.state.json`);
		await writeFile(
			answersFile,
			JSON.stringify({
				flow: 'single-appliance',
				region,
				name: stack,
				vpc: { cidr: '172.30.0.0/16' },
				subnet: { cidr: '172.30.0.0/24' },
				securityGroup: {
					name: 'Permitted-IP-Hosts',
					sshFrom: ['203.0.113.7/32'],
					userNetworks: ['192.168.1.0/24'],
				},
				keyPair: { name: `${stack}-key`, privateKeyFile: pem },
				instance: { type: 't3.small', name: 'AMF-VAA' },
				peers: [{ name: 'site', publicIp: '198.51.100.10', lan: ['192.168.10.0/24'], psk: 'env:SITE_PSK' }],
			}),
		);

		const rounds = 15;
		const budgetMs = 150_000;
		const started = Date.now();
		let kills = 0;
		let completions = 0;
		for (let round = 0; round < rounds && Date.now() - started < budgetMs; round++) {
			const plan: KillPlan =
				random() < 0.2
					? { at: 'start-up', delayMs: Math.floor(random() * 1500) }
					: { at: 'creating', nth: 1 + Math.floor(random() * 2), delayMs: Math.floor(random() * 60) };
			const outcome = await runChild(answersFile, statePath, plan);
			if (outcome.result === 'killed') {
				kills += 1;
				if (process.env.KAKEHASHI_KILL_DEBUG)
					console.log(`killed ${plan.delayMs} ms after ${outcome.lastEvent}`);
				continue;
			}
			// The run finished before the kill: check it, then start over so later kills still land mid-run.
			completions += 1;
			await expectOneOfEach(stack, statePath);
			const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
			expect(destroyed.failed, `seed ${seed}`).toEqual([]);
			const tagged = await countTagged(ec2, stack);
			for (const kind of networkKinds)
				expect(tagged[kind], `${kind} after destroy (seed ${seed})`).toEqual([]);
		}

		if (process.env.KAKEHASHI_KILL_DEBUG)
			console.log(`seed ${seed}: ${kills} kills, ${completions} completions`);
		const final = await runChild(answersFile, statePath);
		expect(final.result, `seed ${seed}`).toBe('completed');
		await expectOneOfEach(stack, statePath);
		expect(existsSync(pem)).toBe(true);
		expect(existsSync(`${pem}.kakehashi-partial`)).toBe(false);
		expect(kills, `seed ${seed}: kills ${kills}, completions ${completions}`).toBeGreaterThan(0);

		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		const tagged = await countTagged(ec2, stack);
		for (const kind of networkKinds) expect(tagged[kind], kind).toEqual([]);
	}, 240_000);

	it('converges after an AWS VPN apply is SIGKILLed inside each VPN step: one gateway, one customer gateway, one connection', async () => {
		const seed = Number(process.env.KAKEHASHI_KILL_SEED ?? Date.now() % 1_000_000);
		const random = mulberry32(seed);
		const stack = uniqueStack('kill-vpn');
		const pem = join(dir, `${stack}-key.pem`);
		const answersFile = join(dir, `${stack}.answers.json`);
		const statePath = join(dir, `${stack}.state.json`);
		await writeFile(
			answersFile,
			JSON.stringify({
				flow: 'single-aws-vpn',
				region,
				name: stack,
				vpc: { cidr: '172.30.0.0/16' },
				subnet: { cidr: '172.30.0.0/24' },
				securityGroup: {
					name: 'Permitted-IP-Hosts',
					sshFrom: ['203.0.113.7/32'],
					userNetworks: ['192.168.1.0/24'],
				},
				keyPair: { name: `${stack}-key`, privateKeyFile: pem },
				instance: { type: 't3.small', name: 'AMF-VAA' },
				peers: [{ name: 'site', publicIp: '198.51.100.10', lan: ['192.168.1.0/24'], asn: 65000 }],
				vpn: {
					amazonSideAsn: 64512,
					routing: 'bgp',
					linkLocalRoute: '169.254.0.0/16',
					tunnels: [
						{ insideCidr: '169.254.10.0/30', ikeVersions: ['ikev1', 'ikev2'] },
						{ insideCidr: '169.254.11.0/30', ikeVersions: ['ikev1', 'ikev2'] },
					],
				},
			}),
		);

		// Every VPN step is hit at least once, right at its create call and a little later; then random moments.
		const plans: KillPlan[] = [];
		for (const kind of vpnKinds) {
			plans.push({ at: 'creating-kind', kind, delayMs: Math.floor(random() * 5) });
			plans.push({ at: 'creating-kind', kind, delayMs: 5 + Math.floor(random() * 40) });
		}
		for (let extra = 0; extra < 4; extra++) {
			const kind = vpnKinds[Math.floor(random() * vpnKinds.length)] ?? 'vpn-connection';
			plans.push({ at: 'creating-kind', kind, delayMs: Math.floor(random() * 80) });
		}
		const budgetMs = 150_000;
		const started = Date.now();
		let kills = 0;
		for (const plan of plans) {
			if (Date.now() - started > budgetMs) break;
			const outcome = await runChild(answersFile, statePath, plan);
			if (outcome.result === 'killed') {
				kills += 1;
				if (process.env.KAKEHASHI_KILL_DEBUG)
					console.log(`killed ${plan.delayMs} ms after ${outcome.lastEvent}`);
				continue;
			}
			// Finished before the kill (the step had nothing left to create): start over.
			await expectOneOfEach(stack, statePath, true);
			const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
			expect(destroyed.failed, `seed ${seed}`).toEqual([]);
		}

		const final = await runChild(answersFile, statePath);
		expect(final.result, `seed ${seed}`).toBe('completed');
		await expectOneOfEach(stack, statePath, true);
		expect(kills, `seed ${seed}`).toBeGreaterThan(0);

		const destroyed = await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
		expect(destroyed.failed).toEqual([]);
		const tagged = { ...(await countTagged(ec2, stack)), ...(await countTaggedVpn(ec2, stack)) };
		for (const kind of [...networkKinds, ...vpnKinds]) expect(tagged[kind], kind).toEqual([]);
	}, 240_000);
});
