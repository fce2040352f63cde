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
import { RunningConfig } from './awplus/running-config.js';
import { RouterSystem, type SystemTimings } from './awplus/system.js';
import { awsEndpointConfig, awsEndpointName, awsTelemetryOf } from './aws-endpoints.js';
import type { SandboxVpnEndpoint } from './ec2/actions/vpn.js';
import { type Ec2Sandbox, type SandboxInstance, startEc2Sandbox, type Timings } from './ec2/index.js';
import { createKeyPairMaterial } from './ec2/key-material.js';

/**
 * The whole sandbox: the EC2-compatible endpoint plus the simulated routers of the journey, tied
 * together so that the world behaves like AWS and the internet would:
 * - the appliance router answers for the newest running instance, accepts its key pair's key for
 *   `manager`, and takes the instance's public and private addresses;
 * - UDP 500/4500 from a router reach the appliance only if the instance's security groups allow it;
 * - router configurations and host keys persist in `dir`, so `apply --sandbox` then `monitor --sandbox`
 *   in another process see the same world;
 * - every user-side address of 198.51.100.0/24 an answers file uses gets its own simulated AW+ router
 *   on request (`ensureRouters`, or `?ensure=A,B` on the discovery document), kept across restarts;
 * - each available VPN connection puts AWS's two tunnel endpoints in the world at their outside
 *   addresses (not reachable over SSH), configured from the connection; AWS's telemetry (VgwTelemetry)
 *   follows what the world says about their tunnels and BGP sessions.
 */

const { utils } = ssh2;

/** The site router's public address, as in the guide's examples and flows/examples. */
export const SANDBOX_SITE_PUBLIC_IP = '198.51.100.10';
export const SANDBOX_DISCOVERY_PATH = '/_kakehashi/sandbox';
/** User-side routers (sites, tenants) are simulated for addresses in this documentation range. */
export const SANDBOX_USER_NETWORK = '198.51.100.0/24';

/** Whether the sandbox simulates a user-side router at this address. */
export function isSandboxUserAddress(address: string): boolean {
	try {
		return IPv4CidrRange.fromCidr(SANDBOX_USER_NETWORK).contains(IPv4.fromDecimalDottedString(address));
	} catch {
		return false;
	}
}

/** The name of the simulated user-side router at an address (the guide's site router keeps 'site'). */
export function sandboxRouterName(publicIp: string): string {
	return publicIp === SANDBOX_SITE_PUBLIC_IP ? 'site' : `router-${publicIp.replaceAll('.', '-')}`;
}

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
	/**
	 * Makes sure a simulated AW+ router answers at each of these addresses (those in 198.51.100.0/24;
	 * others are ignored), then lists every router. New ones start with a minimal config and persist.
	 */
	ensureRouters(publicIps: readonly string[]): Promise<SandboxRouterInfo[]>;
	/** AWS's VPN tunnel endpoints now in the world (by VPN connection and outside address). */
	awsEndpoints(): { vpnConnectionId: string; outsideIp: string; name: string }[];
	restartRouter(name: string, options?: { downMs?: number }): Promise<void>;
	/** A router's flash, release, reboot and fail-safe (awplus/system.ts). */
	system(name: string): RouterSystem | undefined;
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
	/** Reboot downtime and fail-safe period of the simulated routers. */
	systemTimings?: Partial<SystemTimings>;
};

type PersistedRouters = {
	/** Running configurations. */
	configs: Record<string, string[]>;
	/** Startup configurations (`write memory`), where they differ from the running ones; absent in older files. */
	startup?: Record<string, string[]>;
	/** User-side routers created on request, in creation order (their SSH ports follow it). */
	extra?: { name: string; publicIp: string }[];
};

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
	/** A router's saved startup configuration, when the file has one (older files: the running one is it). */
	const startupOf = (name: string): { startupConfig?: string[] } => {
		const saved = persisted.startup?.[name];
		return saved ? { startupConfig: saved } : {};
	};

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
		...startupOf('site'),
	});

	let applianceInstanceId: string | undefined;
	const syncAppliance = () => {
		const instance = currentAppliance();
		const running = instance?.state === 'running' ? instance : undefined;
		if (running?.instanceId === applianceInstanceId) return;
		const previous = world.getRouter('appliance');
		const config = previous ? previous.config.render() : persisted.configs.appliance;
		const startup = previous ? { startupConfig: previous.startupConfig.render() } : startupOf('appliance');
		if (previous) world.removeRouter('appliance');
		applianceInstanceId = running?.instanceId;
		if (running?.publicIp) {
			world.addRouter({
				name: 'appliance',
				publicIp: running.publicIp,
				privateIp: running.privateIp,
				config: config ?? [`hostname ip-${(running.privateIp ?? '').replaceAll('.', '-')}`],
				...(config ? startup : {}),
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

	// AWS's tunnel endpoints: derived from the EC2 state, never saved with the routers
	const awsEndpoints = new Map<string, { endpoint: SandboxVpnEndpoint; config: string }>();

	let saving = Promise.resolve();
	const saveConfigs = () => {
		// routers absent right now (an appliance whose instance is still pending) keep their saved config
		const configs: Record<string, string[]> = { ...persisted.configs };
		const startup: Record<string, string[]> = { ...persisted.startup };
		for (const router of world.routers()) {
			if (awsEndpoints.has(router.name)) continue;
			configs[router.name] = router.config.render();
			startup[router.name] = router.startupConfig.render();
		}
		persisted.configs = configs;
		persisted.startup = startup;
		const body = JSON.stringify({ configs, startup, extra: persisted.extra ?? [] }, null, 2);
		saving = saving.then(async () => {
			await writeFile(`${routersFile}.tmp`, body, { mode: 0o600 });
			await rename(`${routersFile}.tmp`, routersFile);
		});
	};

	// AWS's view of each tunnel follows the world; pushed only when it changes
	const pushedTelemetry = new Map<string, string>();
	const pushTelemetry = () => {
		for (const { endpoint } of awsEndpoints.values()) {
			const value = awsTelemetryOf(world, endpoint);
			const key = `${endpoint.vpnConnectionId}/${endpoint.outsideIp}`;
			const text = JSON.stringify(value);
			if (pushedTelemetry.get(key) === text) continue;
			pushedTelemetry.set(key, text);
			ec2.store.setTunnelTelemetry(
				endpoint.vpnConnectionId,
				endpoint.outsideIp,
				value.status,
				value.statusMessage,
				value.acceptedRouteCount,
			);
		}
	};
	let vpnTimer: NodeJS.Timeout | undefined;
	let closing = false;
	const syncAwsEndpoints = () => {
		if (closing) return;
		const { endpoints, nextChangeAt } = ec2.store.vpnEndpoints();
		const wanted = new Map(endpoints.map((endpoint) => [awsEndpointName(endpoint.outsideIp), endpoint]));
		for (const name of [...awsEndpoints.keys()]) {
			if (wanted.has(name)) continue;
			awsEndpoints.delete(name);
			world.removeRouter(name);
		}
		for (const [name, endpoint] of wanted) {
			const lines = awsEndpointConfig(endpoint);
			const config = lines.join('\n');
			const known = awsEndpoints.get(name);
			awsEndpoints.set(name, { endpoint, config });
			if (!known) {
				world.addRouter({
					name,
					publicIp: endpoint.outsideIp,
					config: lines,
					acceptsIkeVersions: endpoint.ikeVersions,
				});
			} else if (known.config !== config) {
				const router = world.getRouter(name);
				if (router) {
					router.config = RunningConfig.parse(lines);
					world.configChanged(name);
				}
			}
		}
		if (vpnTimer) clearTimeout(vpnTimer);
		vpnTimer = undefined;
		if (nextChangeAt !== undefined) {
			vpnTimer = setTimeout(syncAwsEndpoints, Math.max(0, nextChangeAt - Date.now()) + 5);
			vpnTimer.unref();
		}
		pushTelemetry();
	};
	syncAwsEndpoints();
	const unsubscribeVpn = ec2.store.onChange(() => syncAwsEndpoints());
	world.on('change', pushTelemetry);
	world.on('config', pushTelemetry);

	const systems: Record<string, RouterSystem> = {};
	for (const name of ['appliance', 'site']) {
		systems[name] = new RouterSystem({
			world,
			name,
			dir: join(dir, 'routers', name),
			// the appliance's 5-minute fail-safe period scaled down to one minute, as the sandbox's other waits are
			timings: { failSafeMs: 60_000, ...options.systemTimings },
		});
	}
	const appliance = await startAwplusRouter({
		world,
		name: 'appliance',
		system: systems.appliance,
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
		system: systems.site,
		hostKey: siteHostKey.privateKey,
		port: options.routerPort ? options.routerPort + 1 : 0,
		users: (username) =>
			username === 'manager' ? { authorizedKeys: () => [siteAdmin.publicKey] } : undefined,
	});
	const servers: Record<string, AwplusRouterServer> = { appliance, site };
	const applianceKeyInfo = hostKeyInfo(applianceHostKey.privateKey);
	const siteKeyInfo = hostKeyInfo(siteHostKey.privateKey);
	const hostKeys: Record<string, { type: string; fingerprint: string }> = {
		appliance: applianceKeyInfo,
		site: siteKeyInfo,
	};
	const userRouters: { name: string; publicIp: string }[] = [];

	/** A user-side router (site or tenant) at a 198.51.100.0/24 address: own host key, the shared admin key. */
	const startUserRouter = async (entry: { name: string; publicIp: string }, index: number) => {
		const hostKey = await ensureKey(join(dir, 'keys', `${entry.name}-host`));
		if (!world.getRouter(entry.name)) {
			world.addRouter({
				name: entry.name,
				publicIp: entry.publicIp,
				config: persisted.configs[entry.name] ?? [
					`hostname AR-${entry.publicIp.split('.').slice(2).join('-')}`,
					'interface ppp0',
					' ip address negotiated',
				],
				...startupOf(entry.name),
			});
		}
		servers[entry.name] = await startAwplusRouter({
			world,
			name: entry.name,
			hostKey: hostKey.privateKey,
			// after the appliance and the site: routerPort + 2, + 3, … in creation order
			port: options.routerPort ? options.routerPort + 2 + index : 0,
			users: (username) =>
				username === 'manager' ? { authorizedKeys: () => [siteAdmin.publicKey] } : undefined,
		});
		hostKeys[entry.name] = hostKeyInfo(hostKey.privateKey);
		userRouters.push(entry);
	};
	for (const [index, entry] of (persisted.extra ?? []).entries()) await startUserRouter(entry, index);

	world.on('config', saveConfigs);
	world.settle();

	const userRouterInfo = (entry: { name: string; publicIp: string }): SandboxRouterInfo[] => {
		const server = servers[entry.name];
		const hostKey = hostKeys[entry.name];
		return server && hostKey
			? [
					{
						name: entry.name,
						host: '127.0.0.1',
						port: server.port,
						vendor: 'awplus',
						user: 'manager',
						identity: siteAdminKeyFile,
						publicIp: entry.publicIp,
						hostKey,
					},
				]
			: [];
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
				hostKey: applianceKeyInfo,
			},
			{
				name: 'site',
				host: '127.0.0.1',
				port: site.port,
				vendor: 'awplus',
				user: 'manager',
				identity: siteAdminKeyFile,
				publicIp: SANDBOX_SITE_PUBLIC_IP,
				hostKey: siteKeyInfo,
			},
			...userRouters.flatMap(userRouterInfo),
		];
	};

	let ensuring = Promise.resolve();
	const ensureRouters = (publicIps: readonly string[]): Promise<SandboxRouterInfo[]> => {
		const work = ensuring.then(async () => {
			const known = new Set([SANDBOX_SITE_PUBLIC_IP, ...userRouters.map((entry) => entry.publicIp)]);
			let added = false;
			for (const publicIp of new Set(publicIps)) {
				if (closing || known.has(publicIp) || !isSandboxUserAddress(publicIp)) continue;
				const entry = { name: sandboxRouterName(publicIp), publicIp };
				persisted.extra = [...(persisted.extra ?? []), entry];
				await startUserRouter(entry, persisted.extra.length - 1);
				known.add(publicIp);
				added = true;
			}
			if (added) saveConfigs();
			return routers();
		});
		ensuring = work.then(
			() => undefined,
			() => undefined,
		);
		return work;
	};

	ec2.setDocument({
		path: SANDBOX_DISCOVERY_PATH,
		// `?ensure=A,B`: the routers an answers file needs, created first (see ensureRouters)
		body: async (query) => {
			const ensure = (query?.get('ensure') ?? '').split(',').filter((address) => address !== '');
			return { routers: ensure.length > 0 ? await ensureRouters(ensure) : routers() };
		},
	});

	return {
		endpoint: ec2.endpoint,
		ec2,
		world,
		routers,
		resolve: (publicIp) => routers().find((router) => router.publicIp === publicIp),
		ensureRouters,
		awsEndpoints: () =>
			[...awsEndpoints.entries()].map(([name, { endpoint }]) => ({
				vpnConnectionId: endpoint.vpnConnectionId,
				outsideIp: endpoint.outsideIp,
				name,
			})),
		restartRouter: async (name, restartOptions) => {
			await servers[name]?.restart(restartOptions);
		},
		system: (name) => systems[name],
		close: async () => {
			closing = true;
			for (const system of Object.values(systems)) system.close();
			unsubscribe();
			unsubscribeVpn();
			if (vpnTimer) clearTimeout(vpnTimer);
			await ensuring;
			saveConfigs();
			await saving;
			await Promise.all(Object.values(servers).map((server) => server.close()));
			world.close();
			await ec2.close();
		},
	};
}
