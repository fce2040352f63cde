import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	answersDigest,
	findSecret,
	loadState,
	newState,
	pskReference,
	putResource,
	StateFileError,
	saveState,
} from '../../source/flow/state.js';
import { sampleAnswers, temporaryDirectory } from '../aws/sandbox-harness.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
	({ dir, cleanup } = await temporaryDirectory());
});
afterEach(async () => {
	await cleanup();
});

function sample() {
	const state = newState({
		flow: 'single-appliance',
		region: 'ap-northeast-1',
		stack: 's',
		answersDigest: 'd',
	});
	putResource(state, { kind: 'vpc', id: 'vpc-1', name: 's-vpc', created: true, cidr: '172.30.0.0/16' });
	state.routers.push({ name: 'AMF-VAA', host: '203.0.113.9', port: 22, user: 'manager', vendor: 'awplus' });
	return state;
}

describe('state file', () => {
	it('round-trips, owner-only', async () => {
		const path = join(dir, 'kakehashi.state.json');
		expect(await loadState(path)).toBeUndefined();
		await saveState(path, sample());
		expect((await stat(path)).mode & 0o777).toBe(0o600);
		const loaded = await loadState(path);
		expect(loaded?.resources).toEqual([
			{ kind: 'vpc', id: 'vpc-1', name: 's-vpc', created: true, cidr: '172.30.0.0/16' },
		]);
		expect(loaded?.version).toBe(1);
		expect(loaded?.routers[0]?.host).toBe('203.0.113.9');
	});

	it('refuses a damaged or foreign file and never overwrites it', async () => {
		const damaged = join(dir, 'damaged.json');
		await writeFile(damaged, '{"version":1,"stack":');
		await expect(loadState(damaged)).rejects.toMatchObject({ name: 'StateFileError', problem: 'corrupt' });
		await expect(saveState(damaged, sample())).rejects.toBeInstanceOf(StateFileError);
		expect(await readFile(damaged, 'utf8')).toBe('{"version":1,"stack":');

		const foreign = join(dir, 'terraform.tfstate');
		await writeFile(foreign, JSON.stringify({ version: 4, terraform_version: '1.9.0', resources: [] }));
		await expect(loadState(foreign)).rejects.toMatchObject({ problem: 'foreign' });
		await expect(saveState(foreign, sample())).rejects.toMatchObject({ problem: 'foreign' });

		const invalid = join(dir, 'invalid.json');
		await writeFile(invalid, JSON.stringify({ ...sample(), resources: [{ kind: 'vpc' }] }));
		await expect(loadState(invalid)).rejects.toMatchObject({ problem: 'corrupt' });

		const newer = join(dir, 'newer.json');
		await writeFile(newer, JSON.stringify({ ...sample(), version: 2 }));
		await expect(loadState(newer)).rejects.toMatchObject({ problem: 'version' });
	});

	it('never writes a secret', async () => {
		const path = join(dir, 'secret.json');
		const state = sample();
		(state as Record<string, unknown>).peers = [{ name: 'a', psk: 'abcdefghijklmnopqrstuvwxyz1234' }];
		await expect(saveState(path, state)).rejects.toMatchObject({ problem: 'secret' });
		(state as Record<string, unknown>).peers = [
			{ name: 'a', psk: pskReference('abcdefghijklmnopqrstuvwxyz1234') },
		];
		await saveState(path, state);
		const text = await readFile(path, 'utf8');
		expect(text).not.toContain('abcdefghijklmnopqrstuvwxyz1234');
		expect(findSecret({ x: '-----BEGIN RSA PRIVATE KEY-----\nabc' })).toBe('x');
		expect(findSecret({ privateKeyFile: './key.pem', psk: 'env:A' })).toBeUndefined();
	});

	it('references PSKs without revealing them', () => {
		expect(pskReference('env:SITE_PSK')).toBe('env:SITE_PSK');
		expect(pskReference('file:/etc/psk')).toBe('file:/etc/psk');
		expect(pskReference('abcdefghijklmnopqrstuvwxyz1234')).toMatch(/^generated:[0-9a-f]{12}$/);
	});

	it('digests answers canonically and without the PSK itself', () => {
		const a = sampleAnswers('s', dir);
		const reorder = (value: unknown): unknown =>
			Array.isArray(value)
				? value.map(reorder)
				: value && typeof value === 'object'
					? Object.fromEntries(
							Object.entries(value)
								.reverse()
								.map(([key, item]) => [key, reorder(item)]),
						)
					: value;
		expect(answersDigest(reorder(a) as typeof a)).toBe(answersDigest(a));
		const withLiteral = { ...a, peers: [{ ...a.peers[0]!, psk: 'abcdefghijklmnopqrstuvwxyz1234' }] };
		const withOther = { ...a, peers: [{ ...a.peers[0]!, psk: 'zyxwvutsrqponmlkjihgfedcba4321' }] };
		expect(answersDigest(withLiteral)).not.toBe(answersDigest(withOther));
		expect(answersDigest(a)).toMatch(/^[0-9a-f]{64}$/);
		expect(answersDigest({ ...a, vpc: { cidr: '10.0.0.0/16' } })).not.toBe(answersDigest(a));
	});
});
