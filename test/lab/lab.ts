/**
 * A real router lab: strongSwan + FRR + OpenSSH in Linux network namespaces on this machine.
 *
 *   kkh-aws  (203.0.113.1, 203.0.113.2: a virtual private gateway's two endpoints; AS 64512, VPC 203.0.113.128/25)
 *     │ veth kkh-aws-nat ⇄ kkh-nat-aws
 *   kkh-nat  (198.51.100.10 outside, 192.0.2.1/30 inside: masquerade, so NAT-T is real)
 *     │ veth kkh-nat-site ⇄ kkh-site-nat
 *   kkh-site (192.0.2.2/30 WAN, LAN 192.0.2.128/25 on lo; AS 65000; sshd on 127.0.0.1:22)
 *
 * Without NAT the aws and site namespaces share one veth (kkh-aws-site ⇄ kkh-site-aws) and the site
 * holds 198.51.100.10 itself. Both routers' strongSwan and FRR configurations come from
 * `strongswanFrrConfig` (customer side for the site, `side: 'aws'` for the aws namespace).
 *
 * Each namespace's daemons run in a private mount namespace (`ip netns exec NS unshare -m`) with
 * bind mounts over /run, /root, /etc/swanctl, /etc/strongswan.conf and /etc/frr (and, in the site,
 * /etc/passwd, /etc/group, /etc/shadow and /etc/sudoers for the login user), so that the compiled-in
 * socket paths (/var/run/charon.vici, /var/run/frr) do not collide and the host is not modified.
 *
 * SSH from the test process: the site's sshd listens on the site's own 127.0.0.1:22; a socat in the
 * site relays a Unix socket in the lab directory to it, and a socat in the root namespace listens on
 * 127.0.0.1:<free port> and connects to that socket. No address or route is added to the root namespace.
 *
 * Everything is named `kkh-…` and lives under /tmp/kkh-lab; `startLab` first sweeps what a crashed
 * run left behind, and `teardown` is idempotent.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
	chmodSync,
	chownSync,
	closeSync,
	existsSync,
	mkdirSync,
	openSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import type { AwsVpnDesign } from '../../source/design/model.js';
import { strongswanFrrConfig } from '../../source/router/drivers/strongswan-frr/config.js';
import { fingerprintSha256 } from '../../source/router/host-keys.js';
import { labAddresses, labDesign } from './design.js';
import { commandLineOf, descendantsOf, isAlive, terminate, waitUntil } from './processes.js';

export const labDirectory = '/tmp/kkh-lab';
export type LabRole = 'aws' | 'nat' | 'site';
export type DataPlane = 'libipsec' | 'kernel';

export type LabOptions = {
	/** Put a masquerading NAT namespace between the site and AWS. Default true. */
	nat?: boolean;
	/** `auto` (default) probes for kernel XFRM and falls back to kernel-libipsec. Env `KKH_LAB_DATAPLANE` overrides. */
	dataPlane?: 'auto' | DataPlane;
	/** IKE version of tunnel 1 and tunnel 2. Default [1, 2]: AWS lets each tunnel choose, and both show up. */
	ikeVersions?: [1 | 2, 1 | 2];
	/** Progress lines (each step and its duration). */
	log?: (line: string) => void;
};

/** What an SSH client needs to reach the site router (as `kakehashi monitor --host … --port …` would). */
export type LabSsh = {
	host: string;
	port: number;
	user: string;
	/** OpenSSH ed25519 private key (mode 0600). */
	identityFile: string;
	/** `known_hosts` holding the site's host key under `[127.0.0.1]:port`. */
	knownHostsFile: string;
	hostKeyType: string;
	/** `SHA256:…`, as `ssh-keygen -lf` prints it. */
	hostKeyFingerprint: string;
};

export type ExecResult = { stdout: string; stderr: string; exitCode: number };

export type Lab = {
	design: AwsVpnDesign;
	dataPlane: DataPlane;
	nat: boolean;
	ssh: LabSsh;
	directory: string;
	/** Runs a shell command inside a namespace, in that router's mount namespace (its /run, /etc/swanctl, …). */
	exec(role: LabRole, command: string, options?: { timeoutMs?: number }): Promise<ExecResult>;
	/** Stops the aws side's charon (SIGTERM, as `systemctl stop` would) and waits until it is gone. */
	stopAwsIke(): Promise<void>;
	/** Starts the aws side's charon again, loads its connections and readdresses its tunnel device. */
	startAwsIke(): Promise<void>;
	/**
	 * Drops every UDP packet to and from one AWS outside address inside the aws namespace (an endpoint
	 * that vanished, or UDP 500/4500 blocked on the path): that tunnel goes down by DPD, the other holds.
	 */
	blockAwsEndpoint(outsideIp: string): Promise<void>;
	unblockAwsEndpoint(outsideIp: string): Promise<void>;
	/** Kills the site's sshd and every session it serves, then starts it again. */
	restartSshd(): Promise<void>;
	/** Kills every daemon, deletes the namespaces and the lab directory. Idempotent. */
	teardown(): Promise<void>;
};

const namespaceOf = (role: LabRole) => `kkh-${role}`;
const loginUser = 'kkh';
const sitePrompt = 'kkh-site$ ';

/** The read-only commands the login user may run as root (sudoers NOPASSWD, exactly these). */
export const labSudoCommands = [
	'/usr/sbin/swanctl --list-sas',
	'/usr/sbin/swanctl --list-conns',
	'/usr/bin/vtysh -c show bgp summary json',
	'/usr/bin/vtysh -c show bgp summary',
	'/usr/bin/vtysh -c show ip bgp json',
	'/usr/bin/vtysh -c show ip bgp',
];

const binaries = {
	charon: '/usr/lib/ipsec/charon',
	swanctl: '/usr/sbin/swanctl',
	zebra: '/usr/lib/frr/zebra',
	bgpd: '/usr/lib/frr/bgpd',
	staticd: '/usr/lib/frr/staticd',
	vtysh: '/usr/bin/vtysh',
	sshd: '/usr/sbin/sshd',
	sshKeygen: '/usr/bin/ssh-keygen',
	socat: '/usr/bin/socat',
	sudo: '/usr/bin/sudo',
	iptables: '/usr/sbin/iptables',
	unshare: '/usr/bin/unshare',
	ip: '/usr/bin/ip',
};

/** Why the lab cannot run here, or undefined when it can (root, binaries present, namespaces allowed). */
export function labUnavailableReason(): string | undefined {
	if (process.env.KKH_LAB === 'skip') return 'KKH_LAB=skip is set';
	if (process.platform !== 'linux') return 'the router lab needs Linux network namespaces';
	if (process.getuid?.() !== 0) return 'the router lab needs root (network namespaces, bind mounts)';
	const missing = Object.values(binaries).filter(
		(path) => !existsSync(path) && !existsSync(path.replace('/usr/bin/', '/bin/')),
	);
	if (missing.length > 0) {
		return `missing ${missing.join(', ')}: run .ci/lab-packages.sh`;
	}
	if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (kernel-libipsec needs TUN)';
	return undefined;
}

async function run(file: string, args: string[], options: { timeoutMs?: number; reject?: boolean } = {}) {
	const result = await execa(file, args, {
		reject: false,
		timeout: options.timeoutMs ?? 15_000,
		stdin: 'ignore',
	});
	const exitCode = result.exitCode ?? -1;
	if (options.reject !== false && exitCode !== 0) {
		throw new Error(
			`${file} ${args.join(' ')} failed (exit ${exitCode}${result.timedOut ? ', timed out' : ''}): ${String(result.stderr || result.stdout).trim()}`,
		);
	}
	return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode };
}

async function namespaces(): Promise<string[]> {
	const { stdout } = await run('ip', ['netns', 'list'], { reject: false });
	return stdout
		.split('\n')
		.map((line) => line.split(' ')[0] ?? '')
		.filter((name) => name.startsWith('kkh-'));
}

/** Removes whatever a previous lab (crashed or not) left: processes in kkh- namespaces, the forwarder, the namespaces, the directory. */
export async function sweepLab(): Promise<void> {
	const victims = new Set<number>();
	for (const name of await namespaces()) {
		const { stdout } = await run('ip', ['netns', 'pids', name], { reject: false });
		for (const pid of stdout.split(/\s+/).filter(Boolean).map(Number)) victims.add(pid);
	}
	const forwarderFile = join(labDirectory, 'forwarder.pid');
	if (existsSync(forwarderFile)) {
		const pid = Number(readFileSync(forwarderFile, 'utf8'));
		// Only a socat relaying into the lab directory: a recycled PID must not be killed.
		if (pid > 0 && commandLineOf(pid).includes(labDirectory)) victims.add(pid);
	}
	victims.delete(process.pid);
	await terminate([...victims], 1500);
	for (const name of await namespaces()) {
		await run('ip', ['netns', 'delete', name], { reject: false });
	}
	rmSync(labDirectory, { recursive: true, force: true });
}

/** The same sweep, synchronously: for `process.on('exit')`, when a run ends without its afterAll. */
export function sweepLabSync(): void {
	const quiet = { stdio: 'ignore' as const, timeout: 5000 };
	const names = () => {
		try {
			return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 })
				.split('\n')
				.map((line) => line.split(' ')[0] ?? '')
				.filter((name) => name.startsWith('kkh-'));
		} catch {
			return [];
		}
	};
	const victims: number[] = [];
	for (const name of names()) {
		try {
			const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 5000 });
			victims.push(...pids.split(/\s+/).filter(Boolean).map(Number));
		} catch {
			// namespace already gone
		}
	}
	const forwarderFile = join(labDirectory, 'forwarder.pid');
	if (existsSync(forwarderFile)) {
		const pid = Number(readFileSync(forwarderFile, 'utf8'));
		if (pid > 0 && commandLineOf(pid).includes(labDirectory)) victims.push(pid);
	}
	for (const pid of victims.filter((pid) => pid !== process.pid)) {
		try {
			process.kill(pid, 'SIGKILL');
		} catch {
			// already gone
		}
	}
	for (const name of names()) {
		try {
			execFileSync('ip', ['netns', 'delete', name], quiet);
		} catch {
			// already gone
		}
	}
	rmSync(labDirectory, { recursive: true, force: true });
}

/** Kernel ESP with XFRM interfaces, probed in a throwaway namespace; this machine's kernel has none. */
async function probeKernelIpsec(): Promise<boolean> {
	const probe = 'kkh-probe';
	await run('ip', ['netns', 'add', probe], { reject: false });
	try {
		const link = await run('ip', ['-n', probe, 'link', 'add', 'kkh-xfrm', 'type', 'xfrm', 'if_id', '1'], {
			reject: false,
		});
		const state = await run(
			'ip',
			[
				'-n',
				probe,
				'xfrm',
				'state',
				'add',
				...['src', '192.0.2.1', 'dst', '192.0.2.2', 'proto', 'esp', 'spi', '0x100', 'mode', 'tunnel'],
				...['enc', 'cbc(aes)', '0x00112233445566778899aabbccddeeff'],
				...['auth', 'hmac(sha1)', '0x00112233445566778899aabbccddeeff00112233'],
			],
			{ reject: false },
		);
		return link.exitCode === 0 && state.exitCode === 0;
	} finally {
		await run('ip', ['netns', 'delete', probe], { reject: false });
	}
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() =>
				typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
			);
		});
	});
}

function write(path: string, text: string, mode = 0o644): void {
	writeFileSync(path, text, { mode });
	chmodSync(path, mode);
}

type Account = { uid: number; gid: number };

function accountOf(name: string): Account {
	const line = readFileSync('/etc/passwd', 'utf8')
		.split('\n')
		.find((entry) => entry.startsWith(`${name}:`));
	const [, , uid, gid] = line?.split(':') ?? [];
	if (uid === undefined || gid === undefined)
		throw new Error(`user ${name} is missing: run .ci/lab-packages.sh`);
	return { uid: Number(uid), gid: Number(gid) };
}

/** A uid/gid pair that the host's passwd and group files do not use. */
function unusedId(): number {
	const used = new Set(
		[readFileSync('/etc/passwd', 'utf8'), readFileSync('/etc/group', 'utf8')]
			.join('\n')
			.split('\n')
			.map((line) => Number(line.split(':')[2])),
	);
	let id = 64100;
	while (used.has(id)) id++;
	return id;
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
	const log = options.log ?? (() => undefined);
	const unavailable = labUnavailableReason();
	if (unavailable) throw new Error(`The router lab cannot start: ${unavailable}.`);
	const started = Date.now();
	const step = async <T>(what: string, action: () => Promise<T>): Promise<T> => {
		const at = Date.now();
		const result = await action();
		log(`${what} (${Date.now() - at} ms)`);
		return result;
	};

	const ownerFile = join(labDirectory, 'owner.pid');
	const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : 0;
	if (owner > 0 && owner !== process.pid && isAlive(owner) && commandLineOf(owner).includes('node')) {
		throw new Error(
			`Another router lab is running (process ${owner}, ${labDirectory}): one lab per machine. Stop that run, or kill it and start again (the next start sweeps its leftovers).`,
		);
	}
	await step('swept leftovers', sweepLab);
	mkdirSync(labDirectory, { recursive: true, mode: 0o755 });
	write(join(labDirectory, 'owner.pid'), String(process.pid));

	const requested = process.env.KKH_LAB_DATAPLANE ?? options.dataPlane ?? 'auto';
	const dataPlane: DataPlane =
		requested === 'libipsec' || requested === 'kernel'
			? requested
			: (await step('probed kernel IPsec', probeKernelIpsec))
				? 'kernel'
				: 'libipsec';
	const nat = options.nat ?? true;
	const design = labDesign({ nat, ikeVersions: options.ikeVersions ?? [1, 2], routing: 'bgp' });
	const libipsec = dataPlane === 'libipsec';
	const configs = {
		aws: strongswanFrrConfig(design, { libipsec, side: 'aws' }),
		site: strongswanFrrConfig(design, { libipsec, side: 'customer' }),
	};
	const roles: LabRole[] = nat ? ['aws', 'nat', 'site'] : ['aws', 'site'];
	const daemons = new Map<string, number>();
	let tornDown = false;

	const dir = (role: LabRole, ...parts: string[]) => join(labDirectory, role, ...parts);

	/** The sh preamble that gives a process this router's private /run, /root and configuration. */
	const mountScript = (role: LabRole) => {
		const binds: Array<[string, string]> = [
			[dir(role, 'run'), '/run'],
			[dir(role, 'root'), '/root'],
		];
		if (role !== 'nat') {
			binds.push(
				[dir(role, 'etc', 'swanctl'), '/etc/swanctl'],
				[dir(role, 'etc', 'strongswan.conf'), '/etc/strongswan.conf'],
				[dir(role, 'etc', 'frr'), '/etc/frr'],
			);
		}
		if (role === 'site') {
			for (const file of ['passwd', 'group', 'shadow', 'sudoers']) {
				binds.push([dir(role, 'etc', file), `/etc/${file}`]);
			}
		}
		return [
			'set -e',
			...binds.map(([from, to]) => `mount --bind '${from}' '${to}'`),
			'set +e',
			'exec "$@"',
		].join('\n');
	};
	const inRouter = (role: LabRole, argv: string[]) => [
		'ip',
		'netns',
		'exec',
		namespaceOf(role),
		binaries.unshare,
		'--mount',
		'--propagation',
		'private',
		'sh',
		'-c',
		mountScript(role),
		'sh',
		...argv,
	];

	const exec = async (role: LabRole, command: string, execOptions: { timeoutMs?: number } = {}) => {
		const [file, ...args] = inRouter(role, ['sh', '-c', command]);
		return run(file as string, args, { reject: false, timeoutMs: execOptions.timeoutMs ?? 15_000 });
	};
	const mustExec = async (role: LabRole, command: string, timeoutMs?: number) => {
		const result = await exec(role, command, timeoutMs === undefined ? {} : { timeoutMs });
		if (result.exitCode !== 0) {
			throw new Error(
				`In ${namespaceOf(role)}: "${command}" failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim()}`,
			);
		}
		return result;
	};

	/** Starts a foreground daemon; its output goes to <role>/<name>.log. The PID is the daemon's own (every wrapper execs). */
	const spawnDaemon = (role: LabRole | 'root', name: string, argv: string[]) => {
		const logFile = openSync(join(labDirectory, role === 'root' ? '' : role, `${name}.log`), 'a');
		const full = role === 'root' ? argv : inRouter(role, argv);
		const child = spawn(full[0] as string, full.slice(1), { stdio: ['ignore', logFile, logFile] });
		closeSync(logFile);
		child.on('error', (error) => log(`${role}/${name}: ${error.message}`));
		child.unref();
		if (child.pid === undefined) throw new Error(`could not start ${name} in ${role}`);
		daemons.set(`${role}/${name}`, child.pid);
		return child.pid;
	};
	const daemonLogTail = (role: string, name: string) => {
		try {
			return readFileSync(join(labDirectory, role, `${name}.log`), 'utf8')
				.split('\n')
				.slice(-15)
				.join('\n');
		} catch {
			return '';
		}
	};
	const waitForDaemon = async (role: LabRole, name: string, what: string, ready: () => Promise<boolean>) => {
		const pid = daemons.get(`${role}/${name}`) ?? 0;
		try {
			await waitUntil(
				`${what} in ${namespaceOf(role)}`,
				async () => {
					if (!isAlive(pid)) throw new Error(`${name} exited`);
					return ready();
				},
				{ timeoutMs: 15_000 },
			);
		} catch (error) {
			throw new Error(`${(error as Error).message}\n${role}/${name}.log:\n${daemonLogTail(role, name)}`);
		}
	};

	// ---- files -------------------------------------------------------------------------------------
	const frrAccount = accountOf('frr');
	for (const role of roles) {
		mkdirSync(dir(role, 'run'), { recursive: true });
		mkdirSync(dir(role, 'root'), { recursive: true, mode: 0o700 });
	}
	for (const role of ['aws', 'site'] as const) {
		const config = configs[role];
		mkdirSync(dir(role, 'etc', 'swanctl'), { recursive: true, mode: 0o700 });
		for (const sub of ['conf.d', 'x509', 'x509ca', 'private', 'rsa', 'ecdsa', 'pkcs8']) {
			mkdirSync(dir(role, 'etc', 'swanctl', sub), { recursive: true });
		}
		write(dir(role, 'etc', 'swanctl', 'swanctl.conf'), config['swanctl.conf'], 0o600);
		write(
			dir(role, 'etc', 'strongswan.conf'),
			[
				config['strongswan.conf'],
				'# ---- lab only (test/lab/lab.ts): a log file, and quick IKE retransmissions so that a',
				"# recovered peer is found within seconds instead of after strongSwan's 165 s backoff",
				'charon {',
				'\tretransmit_timeout = 1',
				'\tretransmit_base = 1.4',
				'\tretransmit_tries = 3',
				'\tfilelog {',
				'\t\tlab {',
				`\t\t\tpath = ${dir(role, 'charon-file.log')}`,
				'\t\t\ttime_format = %T',
				'\t\t\tike_name = yes',
				'\t\t\tappend = yes',
				'\t\t\tflush_line = yes',
				'\t\t\tdefault = 1',
				'\t\t}',
				'\t}',
				'}',
				'',
			].join('\n'),
		);
		mkdirSync(dir(role, 'etc', 'frr'), { recursive: true });
		write(dir(role, 'etc', 'frr', 'frr.conf'), config['frr.conf'], 0o640);
		write(
			dir(role, 'etc', 'frr', 'vtysh.conf'),
			`service integrated-vtysh-config\nhostname kkh-${role}\n`,
			0o640,
		);
		chownSync(dir(role, 'etc', 'frr'), frrAccount.uid, frrAccount.gid);
		for (const file of ['frr.conf', 'vtysh.conf']) {
			chownSync(dir(role, 'etc', 'frr', file), frrAccount.uid, frrAccount.gid);
		}
		mkdirSync(dir(role, 'run', 'frr'), { recursive: true, mode: 0o755 });
		chownSync(dir(role, 'run', 'frr'), frrAccount.uid, frrAccount.gid);
		write(dir(role, 'setup.sh'), config['setup.sh'], 0o755);
	}

	// The site's login user, sshd and keys.
	const id = unusedId();
	const home = dir('site', 'home');
	const sshDir = dir('site', 'ssh');
	const clientDir = join(labDirectory, 'client');
	mkdirSync(join(home), { recursive: true, mode: 0o750 });
	mkdirSync(sshDir, { recursive: true, mode: 0o700 });
	mkdirSync(clientDir, { recursive: true, mode: 0o700 });
	mkdirSync(dir('site', 'run', 'sshd'), { recursive: true, mode: 0o755 });
	write(
		dir('site', 'etc', 'passwd'),
		`${readFileSync('/etc/passwd', 'utf8').trimEnd()}\n${loginUser}:x:${id}:${id}:kakehashi lab:${home}:/bin/bash\n`,
	);
	write(
		dir('site', 'etc', 'group'),
		`${readFileSync('/etc/group', 'utf8').trimEnd()}\n${loginUser}:x:${id}:\n`,
	);
	write(
		dir('site', 'etc', 'shadow'),
		`${readFileSync('/etc/shadow', 'utf8').trimEnd()}\n${loginUser}:*:20000:0:99999:7:::\n`,
		0o640,
	);
	write(
		dir('site', 'etc', 'sudoers'),
		[
			'Defaults env_reset, !lecture, !syslog, !mail_badpass',
			'Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
			'root ALL=(ALL:ALL) ALL',
			`${loginUser} ALL=(root) NOPASSWD: ${labSudoCommands.join(', ')}`,
			'',
		].join('\n'),
		0o440,
	);
	write(
		join(home, '.bash_profile'),
		[
			`PS1='${sitePrompt}'`,
			'unset HISTFILE',
			'export PAGER=cat SYSTEMD_PAGER=',
			"bind 'set enable-bracketed-paste off' 2>/dev/null",
			'',
		].join('\n'),
	);
	chownSync(home, id, id);
	chownSync(join(home, '.bash_profile'), id, id);

	await step('generated SSH keys', async () => {
		await run(binaries.sshKeygen, [
			'-q',
			'-t',
			'ed25519',
			'-N',
			'',
			'-C',
			'kkh-lab-site',
			'-f',
			join(sshDir, 'ssh_host_ed25519_key'),
		]);
		await run(binaries.sshKeygen, [
			'-q',
			'-t',
			'ed25519',
			'-N',
			'',
			'-C',
			'kkh-lab-client',
			'-f',
			join(clientDir, 'id_ed25519'),
		]);
	});
	const hostPublic = readFileSync(join(sshDir, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/);
	const [hostKeyType = 'ssh-ed25519', hostKeyBlob = ''] = hostPublic;
	// sshd reads authorized_keys as the user: it lives in the user's home, owned by the user.
	mkdirSync(join(home, '.ssh'), { mode: 0o700 });
	write(
		join(home, '.ssh', 'authorized_keys'),
		readFileSync(join(clientDir, 'id_ed25519.pub'), 'utf8'),
		0o600,
	);
	for (const path of [join(home, '.ssh'), join(home, '.ssh', 'authorized_keys')]) chownSync(path, id, id);
	write(
		join(sshDir, 'sshd_config'),
		[
			'ListenAddress 127.0.0.1',
			'Port 22',
			`HostKey ${join(sshDir, 'ssh_host_ed25519_key')}`,
			'PidFile /run/sshd.pid',
			'AuthorizedKeysFile .ssh/authorized_keys',
			'StrictModes no',
			'UsePAM no',
			'PubkeyAuthentication yes',
			'PasswordAuthentication no',
			'KbdInteractiveAuthentication no',
			'PermitRootLogin no',
			`AllowUsers ${loginUser}`,
			'PrintMotd no',
			'PrintLastLog no',
			'LogLevel VERBOSE',
			'',
		].join('\n'),
		0o600,
	);

	const port = await freePort();
	const ssh: LabSsh = {
		host: '127.0.0.1',
		port,
		user: loginUser,
		identityFile: join(clientDir, 'id_ed25519'),
		knownHostsFile: join(clientDir, 'known_hosts'),
		hostKeyType,
		hostKeyFingerprint: fingerprintSha256(Buffer.from(hostKeyBlob, 'base64')),
	};
	write(ssh.knownHostsFile, `[127.0.0.1]:${port} ${hostKeyType} ${hostKeyBlob}\n`);

	// ---- daemons -----------------------------------------------------------------------------------
	const startCharon = async (role: 'aws' | 'site') => {
		spawnDaemon(role, 'charon', [binaries.charon]);
		await waitForDaemon(role, 'charon', 'charon', async () => existsSync(dir(role, 'run', 'charon.vici')));
		// Addresses on ipsec0 before the connections load: start_action = start initiates at once, and
		// libipsec cannot install a CHILD_SA whose inside address is not there yet.
		await mustExec(role, `sh ${dir(role, 'setup.sh')}`, 10_000);
		await mustExec(role, `${binaries.swanctl} --load-all --noprompt`);
	};
	const startFrr = async (role: 'aws' | 'site') => {
		const common = ['-u', 'frr', '-g', 'frr', '-P', '0', '--log', 'stdout'];
		spawnDaemon(role, 'zebra', [binaries.zebra, ...common]);
		await waitForDaemon(role, 'zebra', 'zebra', async () => existsSync(dir(role, 'run', 'frr', 'zserv.api')));
		spawnDaemon(role, 'bgpd', [binaries.bgpd, ...common]);
		spawnDaemon(role, 'staticd', [binaries.staticd, ...common]);
		await waitForDaemon(role, 'bgpd', 'bgpd', async () => existsSync(dir(role, 'run', 'frr', 'bgpd.vty')));
		await waitForDaemon(role, 'staticd', 'staticd', async () =>
			existsSync(dir(role, 'run', 'frr', 'staticd.vty')),
		);
		await mustExec(role, `${binaries.vtysh} -b`);
	};
	const startSshd = async () => {
		spawnDaemon('site', 'sshd', [binaries.sshd, '-D', '-e', '-f', join(sshDir, 'sshd_config')]);
		await waitForDaemon('site', 'sshd', 'sshd listening', async () => {
			const { stdout } = await exec('site', "ss -Hltn 'sport = :22'");
			return stdout.trim() !== '';
		});
	};
	const stopDaemon = async (role: LabRole | 'root', name: string, withDescendants = false) => {
		const pid = daemons.get(`${role}/${name}`);
		if (pid === undefined) return;
		const pids = withDescendants ? [pid, ...descendantsOf(pid)] : [pid];
		await terminate(pids, 3000);
		daemons.delete(`${role}/${name}`);
	};

	const endpointRules = (action: '-I' | '-D', outsideIp: string) =>
		[
			`${binaries.iptables} ${action} INPUT -d ${outsideIp} -p udp -j DROP`,
			`${binaries.iptables} ${action} OUTPUT -s ${outsideIp} -p udp -j DROP`,
		].join(' && ');

	const onExit = () => sweepLabSync();
	process.once('exit', onExit);
	const teardown = async () => {
		if (tornDown) return;
		tornDown = true;
		const at = Date.now();
		// The forwarder first (nothing new comes in), then everything in the namespaces.
		await stopDaemon('root', 'forwarder');
		await sweepLab();
		process.off('exit', onExit);
		log(`lab torn down (${Date.now() - at} ms)`);
	};

	try {
		await step('created namespaces and links', async () => {
			for (const role of roles) {
				await run('ip', ['netns', 'add', namespaceOf(role)]);
				await run('ip', ['-n', namespaceOf(role), 'link', 'set', 'lo', 'up']);
			}
			const veth = async (a: LabRole, b: LabRole) => {
				await run('ip', [
					...['link', 'add', `kkh-${a}-${b}`, 'netns', namespaceOf(a)],
					...['type', 'veth', 'peer', 'name', `kkh-${b}-${a}`, 'netns', namespaceOf(b)],
				]);
				await run('ip', ['-n', namespaceOf(a), 'link', 'set', `kkh-${a}-${b}`, 'up']);
				await run('ip', ['-n', namespaceOf(b), 'link', 'set', `kkh-${b}-${a}`, 'up']);
			};
			const ipIn = (role: LabRole, ...args: string[]) => run('ip', ['-n', namespaceOf(role), ...args]);
			const awsLink = nat ? 'kkh-aws-nat' : 'kkh-aws-site';
			const customerFacingAws = nat ? 'kkh-nat-aws' : 'kkh-site-aws';
			await veth('aws', nat ? 'nat' : 'site');
			for (const address of labAddresses.awsOutside) {
				await ipIn('aws', 'addr', 'add', `${address}/32`, 'dev', awsLink);
			}
			await ipIn('aws', 'route', 'add', `${labAddresses.customerPublic}/32`, 'dev', awsLink);
			const outsideRole: LabRole = nat ? 'nat' : 'site';
			await ipIn(outsideRole, 'addr', 'add', `${labAddresses.customerPublic}/32`, 'dev', customerFacingAws);
			for (const address of labAddresses.awsOutside) {
				await ipIn(outsideRole, 'route', 'add', `${address}/32`, 'dev', customerFacingAws);
			}
			if (nat) {
				await veth('nat', 'site');
				const prefix = labAddresses.natPrefixLength;
				await ipIn('nat', 'addr', 'add', `${labAddresses.natInside}/${prefix}`, 'dev', 'kkh-nat-site');
				await ipIn(
					'site',
					'addr',
					'add',
					`${labAddresses.customerBehindNat}/${prefix}`,
					'dev',
					'kkh-site-nat',
				);
				for (const address of labAddresses.awsOutside) {
					await ipIn('site', 'route', 'add', `${address}/32`, 'via', labAddresses.natInside);
				}
				await run('ip', ['netns', 'exec', 'kkh-nat', 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
				await run('ip', [
					...['netns', 'exec', 'kkh-nat', binaries.iptables, '-t', 'nat', '-A', 'POSTROUTING'],
					...['-o', 'kkh-nat-aws', '-j', 'MASQUERADE'],
				]);
			}
			await ipIn('site', 'addr', 'add', `${labAddresses.lanAddress}/25`, 'dev', 'lo');
		});
		await step('started charon (aws, site) and loaded connections', async () => {
			// AWS first: the site initiates as soon as its connections load.
			await startCharon('aws');
			await startCharon('site');
		});
		await step('started FRR (aws, site)', async () => {
			await Promise.all([startFrr('aws'), startFrr('site')]);
		});
		await step('started sshd and the SSH forwarder', async () => {
			await startSshd();
			const relay = join(labDirectory, 'site', 'ssh.sock');
			spawnDaemon('site', 'ssh-relay', [
				binaries.socat,
				`UNIX-LISTEN:${relay},fork,unlink-early,mode=600`,
				'TCP:127.0.0.1:22',
			]);
			await waitForDaemon('site', 'ssh-relay', 'the SSH relay socket', async () => existsSync(relay));
			const forwarder = spawnDaemon('root', 'forwarder', [
				binaries.socat,
				`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`,
				`UNIX-CONNECT:${relay}`,
			]);
			write(join(labDirectory, 'forwarder.pid'), String(forwarder));
			await waitUntil(
				`the SSH forwarder on 127.0.0.1:${port}`,
				async () => (await run('ss', ['-Hltn', `sport = :${port}`], { reject: false })).stdout.trim() !== '',
				{ timeoutMs: 5000 },
			);
		});
	} catch (error) {
		await teardown();
		throw error;
	}
	log(`lab up in ${Date.now() - started} ms (data plane ${dataPlane}${nat ? ', behind NAT' : ''})`);

	return {
		design,
		dataPlane,
		nat,
		ssh,
		directory: labDirectory,
		exec,
		async stopAwsIke() {
			await stopDaemon('aws', 'charon');
		},
		async startAwsIke() {
			if (daemons.has('aws/charon')) return;
			await startCharon('aws');
		},
		async blockAwsEndpoint(outsideIp: string) {
			await mustExec('aws', endpointRules('-I', outsideIp));
		},
		async unblockAwsEndpoint(outsideIp: string) {
			await mustExec('aws', endpointRules('-D', outsideIp));
		},
		async restartSshd() {
			await stopDaemon('site', 'sshd', true);
			await startSshd();
		},
		teardown,
	};
}
