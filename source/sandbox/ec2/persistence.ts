import { readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import type { RegionState, SandboxState } from './state.js';

const stateFileSchema = z.object({
	version: z.literal(1),
	accountId: z.string().regex(/^\d{12}$/),
	randomState: z.number().int(),
	regions: z.record(z.string(), z.record(z.string(), z.unknown())),
	s3: z.object({ buckets: z.record(z.string(), z.unknown()) }).optional(),
	iam: z.object({ roles: z.record(z.string(), z.unknown()) }).optional(),
});

/**
 * Reads a state file written by `saveState`; undefined when the file does not exist yet. A file that
 * exists but is not a sandbox state is an error that says how to recover.
 */
export function loadState(file: string): SandboxState | undefined {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
			return undefined;
		}
		throw error;
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		throw new Error(
			`The sandbox state file ${file} is not valid JSON (${(error as Error).message}). Delete it to start the sandbox afresh.`,
		);
	}
	const result = stateFileSchema.safeParse(parsed);
	if (!result.success) {
		throw new Error(
			`The sandbox state file ${file} is not a kakehashi sandbox state (${result.error.issues[0]?.message ?? 'unexpected shape'}). Delete it to start the sandbox afresh.`,
		);
	}
	return {
		...result.data,
		regions: result.data.regions as unknown as Record<string, RegionState>,
		s3: result.data.s3 as SandboxState['s3'],
		iam: result.data.iam as SandboxState['iam'],
	};
}

/** Writes atomically (temporary file, then rename), readable only by the owner. */
export function saveState(file: string, state: SandboxState): void {
	writeFileAtomic.sync(file, `${JSON.stringify(state)}\n`, { mode: 0o600 });
}
