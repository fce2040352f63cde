import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import type { Translate } from '../i18n/index.js';
import { type Answers, type FlowName, flowNames } from './answers.js';

/**
 * The state file (contract.md): what this tool created or adopted, so that apply resumes and
 * destroy knows what to delete. Written atomically after every step; never holds a secret.
 */

export const resourceKinds = [
	'vpc',
	'subnet',
	'internet-gateway',
	'route-table',
	'security-group',
	'key-pair',
	'instance',
	'vpn-gateway',
	'customer-gateway',
	'vpn-connection',
	's3-object',
	'snapshot',
	'image',
	'iam-role',
] as const;
export type ResourceKind = (typeof resourceKinds)[number];

const stateResourceSchema = z.looseObject({
	kind: z.enum(resourceKinds),
	id: z.string().min(1),
	name: z.string(),
	/** false: it existed before kakehashi; destroy leaves it alone. */
	created: z.boolean(),
	role: z.string().optional(),
});

const routerRecordSchema = z.looseObject({
	name: z.string().min(1),
	host: z.string().min(1),
	port: z.number().int().min(1).max(65535),
	user: z.string().min(1),
	vendor: z.string().min(1),
	identity: z.string().optional(),
	hostKey: z.strictObject({ type: z.string().min(1), fingerprint: z.string().min(1) }).optional(),
});

const journalEntrySchema = z.looseObject({
	at: z.string(),
	action: z.string(),
	kind: z.string(),
	id: z.string().optional(),
	name: z.string().optional(),
	note: z.string().optional(),
});

export const stateSchema = z.looseObject({
	version: z.literal(1),
	flow: z.enum(flowNames),
	region: z.string().min(1),
	endpoint: z.string().optional(),
	stack: z.string().min(1),
	answersDigest: z.string(),
	resources: z.array(stateResourceSchema),
	routers: z.array(routerRecordSchema).default([]),
	journal: z.array(journalEntrySchema).default([]),
	updatedAt: z.string(),
});

export type StateResource = z.infer<typeof stateResourceSchema>;
export type RouterRecord = z.infer<typeof routerRecordSchema>;
export type JournalEntry = z.infer<typeof journalEntrySchema>;
export type State = z.infer<typeof stateSchema>;

export type StateFileProblem = 'unreadable' | 'corrupt' | 'foreign' | 'version' | 'secret' | 'mismatch';

/** The state file cannot be used as it is; it is left untouched. */
export class StateFileError extends Error {
	constructor(
		readonly path: string,
		readonly problem: StateFileProblem,
		readonly detail: string,
		/** The values of the catalog's `flow.stateFile.<problem>` sentence beyond path and detail. */
		readonly vars: Record<string, string> = {},
	) {
		super(`${path}: ${describeProblem(problem)}: ${detail}`);
		this.name = 'StateFileError';
	}
}

/** The problem in the user's language (`flow.stateFile.<problem>`), naming the file and what to do. */
export function stateFileMessage(t: Translate, error: StateFileError): string {
	return t(`flow.stateFile.${error.problem}`, { path: error.path, detail: error.detail, ...error.vars });
}

function describeProblem(problem: StateFileProblem): string {
	switch (problem) {
		case 'unreadable':
			return 'cannot read the state file';
		case 'corrupt':
			return 'the state file is damaged (it was left as it is; restore it from a backup or move it away)';
		case 'foreign':
			return 'this is not a kakehashi state file (it was left as it is; pass another --state)';
		case 'version':
			return 'the state file was written by a newer kakehashi';
		case 'secret':
			return 'refusing to write a secret into the state file';
		case 'mismatch':
			return 'the state file belongs to another stack or region';
	}
}

const journalLimit = 500;

/** The state file's contents, undefined when there is no file yet. */
export async function loadState(path: string): Promise<State | undefined> {
	let text: string;
	try {
		text = await readFile(path, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw new StateFileError(path, 'unreadable', (error as Error).message);
	}
	return parseState(path, text);
}

export function parseState(path: string, text: string): State {
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch (error) {
		throw new StateFileError(path, 'corrupt', `not JSON (${(error as Error).message})`);
	}
	if (typeof data !== 'object' || data === null || Array.isArray(data)) {
		throw new StateFileError(path, 'foreign', 'expected a JSON object');
	}
	const record = data as Record<string, unknown>;
	if ('terraform_version' in record || !('stack' in record) || !('resources' in record)) {
		throw new StateFileError(path, 'foreign', 'it has no "stack" and "resources"');
	}
	if (typeof record.version === 'number' && record.version > 1) {
		throw new StateFileError(path, 'version', `version ${record.version}; this kakehashi reads version 1`);
	}
	const result = stateSchema.safeParse(data);
	if (!result.success) {
		const issue = result.error.issues[0];
		throw new StateFileError(
			path,
			'corrupt',
			`${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
		);
	}
	return result.data;
}

/**
 * Write the whole state atomically (temporary file + rename), owner-only (0600). Refuses to
 * replace a file that is not a kakehashi state file, and to write anything that looks like a secret.
 */
export async function saveState(path: string, state: State): Promise<void> {
	const secret = findSecret(state);
	if (secret) throw new StateFileError(path, 'secret', secret);
	await loadState(path); // throws for a foreign or damaged file, which must not be overwritten
	const next: State = {
		...state,
		journal: state.journal.slice(-journalLimit),
		updatedAt: new Date().toISOString(),
	};
	await writeFileAtomic(path, `${JSON.stringify(next, null, '\t')}\n`, { mode: 0o600 });
	state.updatedAt = next.updatedAt;
}

export function newState(input: {
	flow: FlowName;
	region: string;
	endpoint?: string;
	stack: string;
	answersDigest: string;
}): State {
	return {
		version: 1,
		flow: input.flow,
		region: input.region,
		...(input.endpoint ? { endpoint: input.endpoint } : {}),
		stack: input.stack,
		answersDigest: input.answersDigest,
		resources: [],
		routers: [],
		journal: [],
		updatedAt: new Date().toISOString(),
	};
}

/** A reference to a PSK that is safe to store: `env:VAR` and `file:PATH` as given, anything else hashed. */
export function pskReference(psk: string): string {
	if (/^(env|file|generated):/.test(psk)) return psk;
	return `generated:${createHash('sha256').update(psk).digest('hex').slice(0, 12)}`;
}

const secretKeyPattern = /(psk|secret|password|passphrase|keyMaterial|privateKey(?!File)|sessionToken)$/i;

/** The path of the first value that looks like a secret, undefined when there is none. */
export function findSecret(value: unknown, path = ''): string | undefined {
	if (typeof value === 'string') {
		return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value) ? path || '(root)' : undefined;
	}
	if (Array.isArray(value)) {
		for (const [index, item] of value.entries()) {
			const found = findSecret(item, `${path}[${index}]`);
			if (found) return found;
		}
		return undefined;
	}
	if (typeof value === 'object' && value !== null) {
		for (const [key, item] of Object.entries(value)) {
			const here = path ? `${path}.${key}` : key;
			if (secretKeyPattern.test(key) && typeof item === 'string' && !/^(env|file|generated):/.test(item)) {
				return here;
			}
			const found = findSecret(item, here);
			if (found) return found;
		}
	}
	return undefined;
}

function canonical(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(canonical);
	if (typeof value === 'object' && value !== null) {
		return Object.fromEntries(
			Object.entries(value)
				.filter(([, item]) => item !== undefined)
				.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
				.map(([key, item]) => [key, canonical(item)]),
		);
	}
	return value;
}

/** sha256 of the answers as canonical JSON (sorted keys), PSKs replaced by their references. */
export function answersDigest(answers: Answers): string {
	const withoutSecrets = {
		...answers,
		peers: answers.peers.map((peer) => ({
			...peer,
			psk: peer.psk === undefined ? undefined : pskReference(peer.psk),
		})),
	};
	return createHash('sha256')
		.update(JSON.stringify(canonical(withoutSecrets)))
		.digest('hex');
}

export function findResource(state: State, kind: ResourceKind, role?: string): StateResource | undefined {
	return state.resources.find((resource) => resource.kind === kind && resource.role === role);
}

/** Record a resource (replacing the record of the same kind and id), keeping the list's order. */
export function putResource(state: State, resource: StateResource): void {
	const index = state.resources.findIndex((item) => item.kind === resource.kind && item.id === resource.id);
	if (index >= 0) state.resources[index] = { ...state.resources[index], ...resource };
	else state.resources.push(resource);
}

export function removeResource(state: State, kind: string, id: string): void {
	state.resources = state.resources.filter((item) => !(item.kind === kind && item.id === id));
}

export function appendJournal(
	state: State,
	entry: { action: string; kind: string; id?: string; name?: string; note?: string },
): void {
	state.journal.push({ at: new Date().toISOString(), ...entry });
}
