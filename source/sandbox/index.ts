import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IPv4, IPv4CidrRange } from 'ip-num';
import ssh2 from 'ssh2';
import {
	type AwplusRouterServer,
	type CanReach,
	SandboxWorld,
	sshFingerprint,
	startAwplusRouter,
} from './awplus/index.js';
import { type Ec2Sandbox, type SandboxInstance, startEc2Sandbox, type Timings } from './ec2/index.js';
import { createKeyPairMaterial } from './ec2/key-material.js';

/**
 * The whole sandbox: the EC2-compatible endpoint plus the simulated routers of the journey, tied
 * together so that the world behaves like AWS and the internet would:
 * - the appliance router answers for the newest running instance, accepts its key pair's key for
 *   `manager`, and takes the instance's public and private addresses;
 * - UDP 500/4500 from a router reach the appliance only if the instance's security groups allow it;
 * - router configurations and host keys persist in `dir`, so `apply --sandbox` then `monitor --sandbox`
 *   in another process see the same world.
 */

const { utils } = ssh2;

/** The site router's public address, as in the guide's examples and flows/examples. */
export const SANDBOX_SITE_PUBLIC_IP = '198.51.100.10';
export const SANDBOX_DISCOVERY_PATH = '/_kakehashi/sandbox';

export type SandboxRouterInfo = {
	name: string;
	host: string;
	port: number;
	vendor: 'awplus';
	user: string;
	/** Private key to log in with; absent for the appliance (its key pair's PEM, made by apply). */
	identity?: string;
	/** The address the router has on the simulated internet. */
	publicIp?: string;
	hostKey: { type: string; fingerprint: string };
};

export type Sandbox = {
	endpoint: string;
	ec2: Ec2Sandbox;
	world: SandboxWorld;
	routers(): SandboxRouterInfo[];
	/** Where to open SSH for a router known by its simulated public address. */
	resolve(publicIp: string): SandboxRouterInfo | undefined;
	restartRouter(name: string, options?: { downMs?: number }): Promise<void>;
	close(): Promise<void>;
};

export type SandboxOptions = {
	/** Folder for persisted state, keys and router configs (created 0700). */
	dir: string;
	port?: number;
	/** First SSH port; the appliance takes it, the site router the next one. 0 = any free ports. */
	routerPort?: number;
	timings?: Partial<Timings>;
	negotiationMs?: number;
	seed?: number;
};

type PersistedRouters = { configs: Record<string, string[]> };

async function ensureKey(file: string): Promise<{ privateKey: string; publicKey: string }> {
	if (existsSync(file) && existsSync(`${file}.pub`)) {
		return {
			privateKey: await readFile(file, 'utf8'),
			publicKey: (await readFile(`${file}.pub`, 'utf8')).trim(),
		};
	}
	// node:crypto keys in OpenSSH format (ssh2's own generator drops a leading zero byte now and then)
	const pair = await createKeyPairMaterial('ed25519', 'kakehashi-sandbox');
	await writeFile(`${file}.tmp`, pair.privateKey, { mode: 0o600 });
	await rename(`${file}.tmp`, file);
	await writeFile(`${file}.pub`, `${pair.publicKey}\n`, { mode: 0o644 });
	return { privateKey: pair.privateKey, publicKey: pair.publicKey };
}

function hostKeyInfo(privateKey: string): { type: string; fingerprint: string } {
	const parsed = utils.parseKey(privateKey);
	if (parsed instanceof Error) throw parsed;
	const key = Array.isArray(parsed) ? parsed[0] : parsed;
	if (!key) throw new Error('sandbox host key unreadable');
	return { type: key.type, fingerprint: sshFingerprint(key.getPublicSSH()) };
}

/** Does any ingress rule of these groups let `protocol/port` in from `address`? */
export function ingressAllows(
	groups: {
		rules: { direction: string; protocol: string; fromPort?: number; toPort?: number; cidr?: string }[];
	}[],
	address: string,
	protocol: 'udp' | 'tcp',
	port: number,
): boolean {
	const ip = IPv4.fromDecimalDottedString(address);
	return groups.some((group) =>
		group.rules.some((rule) => {
			if (rule.direction !== 'ingress' || !rule.cidr) return false;
			const protocolOk = rule.protocol === '-1' || rule.protocol === protocol;
			const portOk =
				rule.protocol === '-1' ||
				(rule.fromPort !== undefined &&
					rule.toPort !== undefined &&
					port >= rule.fromPort &&
					port <= rule.toPort);
			if (!protocolOk || !portOk) return false;
			try {
				return IPv4CidrRange.fromCidr(rule.cidr).contains(ip);
			} catch {
				return false;
			}
		}),
	);
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
	const dir = resolve(options.dir);
	await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 });
	await chmod(dir, 0o700);
	const routersFile = join(dir, 'routers.json');

	const ec2 = await startEc2Sandbox({
		port: options.port ?? 0,
		stateFile: join(dir, 'ec2.json'),
		timings: options.timings,
		seed: options.seed,
	});
	const world = new SandboxWorld({ negotiationMs: options.negotiationMs });

	const persisted: PersistedRouters = existsSync(routersFile)
		? (JSON.parse(await readFile(routersFile, 'utf8')) as PersistedRouters)
		: { configs: {} };

	const applianceHostKey = await ensureKey(join(dir, 'keys', 'appliance-host'));
	const siteHostKey = await ensureKey(join(dir, 'keys', 'site-host'));
	const siteAdminKeyFile = join(dir, 'keys', 'site-admin');
	const siteAdmin = await ensureKey(siteAdminKeyFile);

	const currentAppliance = (): SandboxInstance | undefined =>
		ec2.store
			.listInstances()
			.filter(
				(instance) => (instance.state === 'running' || instance.state === 'pending') && instance.publicIp,
			)
			.sort((a, b) => b.launchedAt.getTime() - a.launchedAt.getTime())[0];

	world.addRouter({
		name: 'site',
		publicIp: SANDBOX_SITE_PUBLIC_IP,
		config: persisted.configs.site ?? ['hostname AR4050S', 'interface ppp0', ' ip address negotiated'],
	});

	let applianceInstanceId: string | undefined;
	const syncAppliance = () => {
		const instance = currentAppliance();
		const running = instance?.state === 'running' ? instance : undefined;
		if (running?.instanceId === applianceInstanceId) return;
		const previous = world.getRouter('appliance');
		const config = previous ? previous.config.render() : persisted.configs.appliance;
		if (previous) world.removeRouter('appliance');
		applianceInstanceId = running?.instanceId;
		if (running?.publicIp) {
			world.addRouter({
				name: 'appliance',
				publicIp: running.publicIp,
				privateIp: running.privateIp,
				config: config ?? [`hostname ip-${(running.privateIp ?? '').replaceAll('.', '-')}`],
			});
		}
	};

	const canReach: CanReach = (fromPublicIp, toRouterName, protocol, port) => {
		if (toRouterName !== 'appliance') return true;
		if (!applianceInstanceId) return false;
		if (!ec2.store.internetReachable(applianceInstanceId)) return false;
		return ingressAllows(
			ec2.store.securityGroupsOfInstance(applianceInstanceId),
			fromPublicIp,
			protocol,
			port,
		);
	};
	world.setReachability(canReach);

	syncAppliance();
	const unsubscribe = ec2.store.onChange(() => {
		syncAppliance();
		// security-group and routing changes change what can reach the appliance: re-evaluate
		world.setReachability(canReach);
	});

	let saving = Promise.resolve();
	const saveConfigs = () => {
		// routers absent right now (an appliance whose instance is still pending) keep their saved config
		const configs: Record<string, string[]> = { ...persisted.configs };
		for (const router of world.routers()) configs[router.name] = router.config.render();
		persisted.configs = configs;
		saving = saving.then(async () => {
			await writeFile(`${routersFile}.tmp`, JSON.stringify({ configs }, null, 2), { mode: 0o600 });
			await rename(`${routersFile}.tmp`, routersFile);
		});
	};

	const appliance = await startAwplusRouter({
		world,
		name: 'appliance',
		hostKey: applianceHostKey.privateKey,
		port: options.routerPort ? options.routerPort : 0,
		users: (username) =>
			username === 'manager'
				? {
						authorizedKeys: () => {
							const instance = applianceInstanceId ? ec2.store.getInstance(applianceInstanceId) : undefined;
							const keyPair = instance?.keyName
								? ec2.store.keyPair(instance.keyName, instance.region)
								: undefined;
							return keyPair ? [keyPair.publicKey] : [];
						},
					}
				: undefined,
	});
	const site = await startAwplusRouter({
		world,
		name: 'site',
		hostKey: siteHostKey.privateKey,
		port: options.routerPort ? options.routerPort + 1 : 0,
		users: (username) =>
			username === 'manager' ? { authorizedKeys: () => [siteAdmin.publicKey] } : undefined,
	});
	world.on('config', saveConfigs);
	world.settle();
	const servers: Record<string, AwplusRouterServer> = { appliance, site };
	const hostKeys = {
		appliance: hostKeyInfo(applianceHostKey.privateKey),
		site: hostKeyInfo(siteHostKey.privateKey),
	};

	const routers = (): SandboxRouterInfo[] => {
		const instance = applianceInstanceId ? ec2.store.getInstance(applianceInstanceId) : undefined;
		return [
			{
				name: 'appliance',
				host: '127.0.0.1',
				port: appliance.port,
				vendor: 'awplus',
				user: 'manager',
				publicIp: instance?.publicIp,
				hostKey: hostKeys.appliance,
			},
			{
				name: 'site',
				host: '127.0.0.1',
				port: site.port,
				vendor: 'awplus',
				user: 'manager',
				identity: siteAdminKeyFile,
				publicIp: SANDBOX_SITE_PUBLIC_IP,
				hostKey: hostKeys.site,
			},
		];
	};

	ec2.setDocument({ path: SANDBOX_DISCOVERY_PATH, body: () => ({ routers: routers() }) });

	return {
		endpoint: ec2.endpoint,
		ec2,
		world,
		routers,
		resolve: (publicIp) => routers().find((router) => router.publicIp === publicIp),
		restartRouter: async (name, restartOptions) => {
			await servers[name]?.restart(restartOptions);
		},
		close: async () => {
			unsubscribe();
			saveConfigs();
			await saving;
			await Promise.all([appliance.close(), site.close()]);
			world.close();
			await ec2.close();
		},
	};
}
