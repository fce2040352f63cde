import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProxyJump, resolveSshHost } from '../../source/router/ssh-config.js';

let dir: string;
let config: string;

beforeAll(() => {
	dir = mkdtempSync(join(homedir(), '.kakehashi-ssh-config-test-'));
	mkdirSync(join(dir, 'conf.d'));
	writeFileSync(
		join(dir, 'conf.d', '10-included.conf'),
		['Host included', '  HostName 198.51.100.7', '  ProxyJump admin@bastion:2201,[2001:db8::1]:22', ''].join(
			'\n',
		),
	);
	writeFileSync(join(dir, 'conf.d', '.hidden.conf'), 'Host included\n  HostName hidden.example\n');
	config = join(dir, 'config');
	writeFileSync(
		config,
		[
			'# routers',
			`Include ${join(dir, 'conf.d', '*.conf')}`,
			'',
			'Host edge-* !edge-bad',
			'  User netops',
			'  IdentityFile ~/.ssh/id_edge',
			'  ProxyJump bastion',
			'',
			'Host edge-1',
			'  HostName 192.0.2.11',
			'  Port 2222',
			'  User not-used-first-value-wins',
			'',
			'Host *.tokyo',
			'  HostName %h.internal',
			'  Port=830',
			'',
			'Host bastion',
			'  HostName 127.0.0.1',
			'  Port 2201',
			'  ProxyJump none',
			'',
			'Match host 192.0.2.*',
			'  IdentityFile ~/.ssh/id_match_%h_%r',
			'',
			'Match originalhost edge-2 user netops',
			'  Port 2022',
			'',
			'Host *',
			'  User default-user',
			'  IdentityFile "~/.ssh/id all"',
			'  Port 22',
			'',
		].join('\n'),
	);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `ssh -G` resolves, with `~` and the tokens used in the fixture expanded the way ssh will. */
function sshG(alias: string): {
	hostName: string;
	user: string;
	port: number;
	identityFiles: string[];
	proxyJump?: string;
} {
	const result = spawnSync('ssh', ['-G', '-F', config, alias], { encoding: 'utf8' });
	const lines = result.stdout.split('\n');
	const values = (key: string) =>
		lines.filter((line) => line.startsWith(`${key} `)).map((line) => line.slice(key.length + 1));
	const hostName = values('hostname')[0] as string;
	const user = values('user')[0] as string;
	const expand = (path: string) =>
		path.replace(/^~/, homedir()).replaceAll('%h', hostName).replaceAll('%r', user);
	const proxyJump = values('proxyjump')[0];
	return {
		hostName,
		user,
		port: Number(values('port')[0]),
		identityFiles: values('identityfile').map(expand),
		...(proxyJump === undefined ? {} : { proxyJump }),
	};
}

describe('resolveSshHost agrees with ssh -G', () => {
	it.each([
		'edge-1',
		'edge-2',
		'edge-bad',
		'EDGE-1',
		'Edge-1',
		'CORE.Tokyo',
		'core.tokyo',
		'bastion',
		'included',
		'elsewhere',
	])('%s', (alias) => {
		const ours = resolveSshHost(alias, { configFile: config });
		const expected = sshG(alias);
		expect({
			hostName: ours.hostName,
			user: ours.user ?? userInfo().username,
			port: ours.port ?? 22,
			identityFiles: ours.identityFiles,
			...(ours.proxyJump === undefined ? {} : { proxyJump: ours.proxyJump }),
		}).toEqual(expected);
	});
});

describe('resolveSshHost', () => {
	it('resolves the documented fields', () => {
		expect(resolveSshHost('edge-1', { configFile: config })).toEqual({
			hostName: '192.0.2.11',
			user: 'netops',
			port: 2222,
			identityFiles: [
				join(homedir(), '.ssh/id_edge'),
				join(homedir(), '.ssh/id_match_192.0.2.11_netops'),
				join(homedir(), '.ssh/id all'),
			],
			proxyJump: 'bastion',
			notes: [],
		});
	});

	it('resolves an alias to itself when the file is missing', () => {
		expect(resolveSshHost('10.1.2.3', { configFile: join(dir, 'absent') })).toEqual({
			hostName: '10.1.2.3',
			identityFiles: [],
			notes: [],
		});
	});

	it('never runs Match exec, and says so', () => {
		const file = join(dir, 'exec-config');
		const marker = join(dir, 'exec-ran');
		writeFileSync(file, `Match exec "touch ${marker}"\n  User from-exec\nHost *\n  User plain\n`);
		const resolved = resolveSshHost('x', { configFile: file });
		expect(resolved.user).toBe('plain');
		expect(resolved.notes).toEqual([expect.stringMatching(/Match exec is not evaluated/)]);
		expect(spawnSync('test', ['-e', marker]).status).toBe(1);
	});

	it('expands ~ with the given home directory and reports IdentityAgent and UserKnownHostsFile', () => {
		const file = join(dir, 'home-config');
		writeFileSync(
			file,
			'Host r\n  IdentityFile ~/keys/%n\n  IdentityAgent ~/agent.sock\n  UserKnownHostsFile ~/kh1 ~/kh2\n  IdentitiesOnly yes\n',
		);
		expect(resolveSshHost('r', { configFile: file, homeDirectory: '/home/ops' })).toMatchObject({
			identityFiles: ['/home/ops/keys/r'],
			identityAgent: '/home/ops/agent.sock',
			userKnownHostsFiles: ['/home/ops/kh1', '/home/ops/kh2'],
			identitiesOnly: true,
		});
	});

	it('rejects a Port that is not a port number, naming the file', () => {
		const file = join(dir, 'bad-port');
		writeFileSync(file, 'Host r\n  Port ssh\n');
		expect(() => resolveSshHost('r', { configFile: file })).toThrow(/bad-port: Port "ssh" .*\(1-65535\)/);
	});
});

describe('parseProxyJump', () => {
	it.each([
		['bastion', [{ host: 'bastion' }]],
		['admin@bastion:2201', [{ host: 'bastion', port: 2201, user: 'admin' }]],
		['a,b@c:1', [{ host: 'a' }, { host: 'c', port: 1, user: 'b' }]],
		['[2001:db8::1]:2222', [{ host: '2001:db8::1', port: 2222 }]],
		['ssh://ops@jump', [{ host: 'jump', user: 'ops' }]],
	])('%s', (spec, expected) => {
		expect(parseProxyJump(spec)).toEqual(expected);
	});

	it('rejects a bad port', () => {
		expect(() => parseProxyJump('host:99999')).toThrow(/99999/);
	});
});
