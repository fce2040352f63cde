/**
 * The lab files' turn-taking: one router lab per machine, and vitest runs the lab test files in
 * parallel. Shared by the monitor lab tests (the CLI end-to-end file and the panel file).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Lab, labDirectory, startLab } from './lab.js';
import { commandLineOf, isAlive } from './processes.js';

/**
 * One lab per machine, and vitest runs the lab files in parallel: take a turn (an atomic directory
 * among the monitor lab files), let lab.test.ts start first, wait while another run owns the lab.
 */
const turnDirectory = '/tmp/kkh-lab-turn';
export async function startLabInTurn(log: (line: string) => void): Promise<Lab> {
	const deadline = Date.now() + 600_000;
	for (;;) {
		try {
			mkdirSync(turnDirectory);
			writeFileSync(join(turnDirectory, 'pid'), String(process.pid));
			break;
		} catch {
			const holder = Number(
				existsSync(join(turnDirectory, 'pid')) ? readFileSync(join(turnDirectory, 'pid'), 'utf8') : 0,
			);
			if (holder > 0 && !isAlive(holder)) rmSync(turnDirectory, { recursive: true, force: true });
			if (Date.now() > deadline) throw new Error(`waited 10 min for ${turnDirectory} (process ${holder})`);
			await sleep(1000);
		}
	}
	await sleep(3000); // lab.test.ts, started in the same second, claims the lab first
	for (;;) {
		const ownerFile = join(labDirectory, 'owner.pid');
		const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : 0;
		const busy =
			owner > 0 && owner !== process.pid && isAlive(owner) && commandLineOf(owner).includes('node');
		if (!busy) {
			try {
				return await startLab({ log });
			} catch (error) {
				if (!String(error).includes('Another router lab is running')) throw error;
			}
		}
		if (Date.now() > deadline) throw new Error(`waited 10 min for the router lab (owner ${owner})`);
		await sleep(1000);
	}
}
export function endTurn(): void {
	const pidFile = join(turnDirectory, 'pid');
	if (existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8')) === process.pid)
		rmSync(turnDirectory, { recursive: true, force: true });
}
