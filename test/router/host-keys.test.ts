import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	appendKnownHost,
	checkHostKey,
	createKnownHostsVerifier,
	entryMatchesHost,
	fingerprintSha256,
	HostKeyMismatchError,
	hashKnownHostName,
	keyTypeOf,
	knownHostName,
	matchPatternList,
	parseKnownHosts,
	verifyHostKey,
} from '../../source/router/host-keys.js';

/** Keys made by the real ssh-keygen; tests compare our answers with its answers. */
type GeneratedKey = { type: string; base64: string; raw: Buffer; file: string };

let dir: string;
const keys: Record<string, GeneratedKey> = {};

function keygen(name: string, type: 'ed25519' | 'ecdsa' | 'rsa'): GeneratedKey {
	const file = join(dir, name);
	execFileSync('ssh-keygen', [
		'-q',
		'-t',
		type,
		...(type === 'rsa' ? ['-b', '2048'] : []),
		'-N',
		'',
		'-f',
		file,
	]);
	const [keyType, base64] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ') as [string, string];
	return { type: keyType, base64, raw: Buffer.from(base64, 'base64'), file };
}

/** Line numbers `ssh-keygen -F name -f file` reports as matching. */
function sshKeygenFind(name: string, file: string): number[] {
	const result = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' });
	return [...result.stdout.matchAll(/found: line (\d+)/g)].map((match) => Number(match[1]));
}

function ourFind(name: string, file: string): number[] {
	return parseKnownHosts(readFileSync(file, 'utf8'), file)
		.entries.filter((entry) => entryMatchesHost(entry, name.toLowerCase()))
		.map((entry) => entry.line);
}

beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), 'kakehashi-host-keys-'));
	keys.ed1 = keygen('ed1', 'ed25519');
	keys.ed2 = keygen('ed2', 'ed25519');
	keys.ecdsa = keygen('ecdsa', 'ecdsa');
	keys.rsa = keygen('rsa', 'rsa');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = (name: string): GeneratedKey => keys[name] as GeneratedKey;

describe('fingerprintSha256', () => {
	it.each(['ed1', 'ecdsa', 'rsa'])('matches ssh-keygen -lf for %s', (name) => {
		const output = execFileSync('ssh-keygen', ['-lf', `${key(name).file}.pub`], { encoding: 'utf8' });
		const expected = /(SHA256:\S+)/.exec(output)?.[1];
		expect(fingerprintSha256(key(name).raw)).toBe(expected);
	});

	it('reads the key type from the blob', () => {
		expect(keyTypeOf(key('ecdsa').raw)).toBe('ecdsa-sha2-nistp256');
		expect(keyTypeOf(key('rsa').raw)).toBe('ssh-rsa');
		expect(keyTypeOf(Buffer.from('garbage'))).toBeUndefined();
	});
});

describe('known_hosts matching agrees with ssh-keygen -F', () => {
	let plain: string;
	let hashed: string;
	const queries = [
		'a.example',
		'A.EXAMPLE',
		'10.0.0.1',
		'10.0.0.2',
		'[10.0.0.2]:2222',
		'[10.0.0.2]:2223',
		'x.lab',
		'bad.lab',
		'r7.lab',
		'r77.lab',
		'[192.168.0.9]:830',
		'nowhere',
	];

	beforeAll(() => {
		plain = join(dir, 'known_hosts_plain');
		writeFileSync(
			plain,
			[
				'# a comment, then a blank line',
				'',
				`a.example,10.0.0.1 ${key('ed1').type} ${key('ed1').base64}`,
				`[10.0.0.2]:2222 ${key('ed2').type} ${key('ed2').base64} comment here`,
				`*.lab,!bad.lab ${key('ecdsa').type} ${key('ecdsa').base64}`,
				`r?.lab ${key('rsa').type} ${key('rsa').base64}`,
				`@revoked * ${key('ed2').type} ${key('ed2').base64}`,
				`A.Example ${key('ed2').type} ${key('ed2').base64}`,
				`[192.168.0.*]:830 ${key('ed1').type} ${key('ed1').base64}`,
				'',
			].join('\n'),
		);
		hashed = join(dir, 'known_hosts_hashed');
		copyFileSync(plain, hashed);
		execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
	});

	it.each(queries)('plain file, %s', (query) => {
		expect(ourFind(query, plain)).toEqual(sshKeygenFind(query, plain));
	});

	it.each(queries)('file hashed by ssh-keygen -H, %s', (query) => {
		expect(readFileSync(hashed, 'utf8')).toContain('|1|');
		// ssh lower-cases the host name before looking it up; ssh-keygen -F hashes its argument as given.
		expect(ourFind(query, hashed)).toEqual(sshKeygenFind(query.toLowerCase(), hashed));
	});

	it('hashes names the way ssh-keygen looks them up', () => {
		const file = join(dir, 'known_hosts_ours_hashed');
		writeFileSync(file, `${hashKnownHostName('[10.9.8.7]:2200')} ${key('ed1').type} ${key('ed1').base64}\n`);
		expect(sshKeygenFind('[10.9.8.7]:2200', file)).toEqual([1]);
		expect(sshKeygenFind('10.9.8.7', file)).toEqual([]);
	});
});

describe('verifyHostKey', () => {
	let file: string;
	beforeAll(() => {
		file = join(dir, 'known_hosts_verify');
		writeFileSync(
			file,
			[
				`router1 ${key('ed1').type} ${key('ed1').base64}`,
				`[router1]:2222 ${key('ecdsa').type} ${key('ecdsa').base64}`,
				`router2 ${key('rsa').type} ${key('rsa').base64}`,
				`@revoked * ${key('ed2').type} ${key('ed2').base64}`,
				`@cert-authority *.example ${key('ecdsa').type} ${key('ecdsa').base64}`,
				'not a valid line',
			].join('\n'),
		);
	});
	const query = (host: string, name: string, port?: number) => ({
		host,
		...(port === undefined ? {} : { port }),
		key: { type: key(name).type, raw: key(name).raw },
	});
	const options = () => ({ knownHostsFiles: [file, join(dir, 'missing_known_hosts')] });

	it('known: same host, same key', () => {
		expect(verifyHostKey(query('router1', 'ed1'), options())).toEqual({ status: 'known' });
		expect(verifyHostKey(query('ROUTER1', 'ed1', 22), options())).toEqual({ status: 'known' });
		expect(verifyHostKey(query('router1', 'ecdsa', 2222), options())).toEqual({ status: 'known' });
	});

	it('unknown: no entry, or entries only under another port', () => {
		expect(verifyHostKey(query('router9', 'ed1'), options())).toEqual({
			status: 'unknown',
			fingerprint: fingerprintSha256(key('ed1').raw),
		});
		expect(verifyHostKey(query('router1', 'ed1', 2222), options())).toMatchObject({ status: 'unknown' });
	});

	it('unknown (not changed) when the host is known only with another key type, as OpenSSH', () => {
		expect(verifyHostKey(query('router2', 'ed1'), options())).toMatchObject({ status: 'unknown' });
	});

	it('changed: same type, different key, with the expected fingerprints', () => {
		const [router1ed1] = [fingerprintSha256(key('ed1').raw)];
		expect(
			verifyHostKey(query('router1', 'ed2'), { knownHostsFiles: [join(dir, 'known_hosts_plain'), file] }),
		).toMatchObject({
			status: 'revoked',
		});
		const fresh = join(dir, 'known_hosts_changed');
		writeFileSync(fresh, `router1 ${key('ed1').type} ${key('ed1').base64}\n`);
		const other = keygen('ed3', 'ed25519');
		expect(
			verifyHostKey(
				{ host: 'router1', key: { type: other.type, raw: other.raw } },
				{ knownHostsFiles: [fresh] },
			),
		).toEqual({
			status: 'changed',
			fingerprint: fingerprintSha256(other.raw),
			expectedFingerprints: [router1ed1],
		});
	});

	it('revoked beats everything', () => {
		expect(verifyHostKey(query('anything', 'ed2'), options())).toEqual({ status: 'revoked' });
	});

	it('pinned keys count like known_hosts entries', () => {
		const pinned = [{ type: key('ed1').type, fingerprint: fingerprintSha256(key('ed1').raw) }];
		expect(verifyHostKey(query('router9', 'ed1'), { knownHostsFiles: [], pinned })).toEqual({
			status: 'known',
		});
		const other = keygen('ed4', 'ed25519');
		expect(
			verifyHostKey(
				{ host: 'router9', key: { type: other.type, raw: other.raw } },
				{ knownHostsFiles: [], pinned },
			),
		).toMatchObject({ status: 'changed', expectedFingerprints: [pinned[0]?.fingerprint] });
		expect(verifyHostKey(query('router9', 'rsa'), { knownHostsFiles: [], pinned })).toMatchObject({
			status: 'unknown',
		});
	});

	it('notes lines it skips', () => {
		const { entries, notes } = parseKnownHosts(readFileSync(file, 'utf8'), file);
		expect(entries.map((entry) => entry.marker ?? 'plain')).toEqual([
			'plain',
			'plain',
			'plain',
			'revoked',
			'cert-authority',
		]);
		expect(notes).toEqual([
			expect.stringMatching(/:5: @cert-authority entries are not used/),
			expect.stringMatching(/:6: not a known_hosts entry/),
		]);
		expect(checkHostKey(query('ca.example', 'ecdsa'), entries)).toMatchObject({ status: 'unknown' });
	});
});

describe('matchPatternList', () => {
	it.each([
		['host.lab', ['*.lab'], 1],
		['host.lab', ['*.lab', '!host.lab'], -1],
		['host.lab', ['other'], 0],
		['r1', ['r?'], 1],
		['r12', ['r?'], 0],
		['HOST', ['host'], 1],
		['a.b', ['a?b'], 1],
		['axb', ['a.b'], 0],
	] as const)('%s against %j → %d', (text, patterns, expected) => {
		expect(matchPatternList(text, [...patterns])).toBe(expected);
	});
});

describe('appendKnownHost', () => {
	it('creates the directory (0700) and file (0600) and writes lines ssh-keygen finds', () => {
		const file = join(dir, 'new', 'ssh', 'known_hosts');
		appendKnownHost(file, '127.0.0.1', 2222, key('ed1').type, key('ed1').base64);
		appendKnownHost(file, 'Router.Example', 22, key('rsa').type, key('rsa').base64);
		appendKnownHost(file, '10.1.1.1', 830, key('ecdsa').type, key('ecdsa').base64, { hash: true });
		expect(statSync(file).mode & 0o777).toBe(0o600);
		expect(statSync(join(dir, 'new', 'ssh')).mode & 0o777).toBe(0o700);
		expect(readFileSync(file, 'utf8').split('\n').slice(0, 2)).toEqual([
			`[127.0.0.1]:2222 ${key('ed1').type} ${key('ed1').base64}`,
			`router.example ${key('rsa').type} ${key('rsa').base64}`,
		]);
		expect(sshKeygenFind('[127.0.0.1]:2222', file)).toEqual([1]);
		expect(sshKeygenFind('router.example', file)).toEqual([2]);
		expect(sshKeygenFind('[10.1.1.1]:830', file)).toEqual([3]);
		expect(
			verifyHostKey({ host: '10.1.1.1', port: 830, key: key('ecdsa') }, { knownHostsFiles: [file] }),
		).toEqual({
			status: 'known',
		});
	});

	it('starts a new line when the file does not end with one', () => {
		const file = join(dir, 'no_newline');
		writeFileSync(file, `old ${key('ed1').type} ${key('ed1').base64}`);
		appendKnownHost(file, 'new', 22, key('ed2').type, key('ed2').base64);
		expect(readFileSync(file, 'utf8').split('\n')).toEqual([
			`old ${key('ed1').type} ${key('ed1').base64}`,
			`new ${key('ed2').type} ${key('ed2').base64}`,
			'',
		]);
	});

	it('refuses malformed input', () => {
		expect(() => appendKnownHost(join(dir, 'bad'), 'h', 22, 'ssh-ed25519', 'not base64!')).toThrow(
			/malformed/,
		);
	});
});

describe('createKnownHostsVerifier', () => {
	it('accepts known keys, refuses unknown ones unless confirmed or accept-new, and always refuses changed ones', async () => {
		const file = join(dir, 'known_hosts_verifier');
		const target = { host: '127.0.0.1', port: 2022 };
		const offered = (name: string) => ({
			type: key(name).type,
			fingerprint: fingerprintSha256(key(name).raw),
			raw: key(name).raw,
		});

		const strict = createKnownHostsVerifier({ knownHostsFiles: [file] });
		await expect(strict(offered('ed1'), target)).rejects.toMatchObject({ status: 'unknown' });

		const asked: string[] = [];
		const declined = createKnownHostsVerifier({
			knownHostsFiles: [file],
			confirmUnknown: (candidate) => {
				asked.push(candidate.fingerprint);
				return false;
			},
		});
		await expect(declined(offered('ed1'), target)).rejects.toBeInstanceOf(HostKeyMismatchError);
		expect(asked).toEqual([fingerprintSha256(key('ed1').raw)]);

		const accepted: string[] = [];
		const acceptNew = createKnownHostsVerifier({
			knownHostsFiles: [file],
			acceptNew: true,
			recordTo: file,
			onAccepted: (candidate) => accepted.push(candidate.fingerprint),
		});
		await expect(acceptNew(offered('ed1'), target)).resolves.toBe(true);
		expect(accepted).toHaveLength(1);
		await expect(strict(offered('ed1'), target)).resolves.toBe(true);

		const error = await Promise.resolve()
			.then(() => acceptNew(offered('ed2'), target))
			.catch((caught: unknown) => caught);
		expect(error).toMatchObject({
			status: 'changed',
			expectedFingerprints: [fingerprintSha256(key('ed1').raw)],
		});
		expect((error as Error).message).toContain('127.0.0.1 port 2022');
		expect((error as Error).message).toContain(fingerprintSha256(key('ed2').raw));
	});

	it('names a host as ssh-keygen -R expects it', () => {
		expect(knownHostName('Host', 22)).toBe('host');
		expect(knownHostName('::1', 2222)).toBe('[::1]:2222');
	});
});
