import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
	DeleteVpnConnectionCommand,
	DescribeVpnConnectionsCommand,
	type EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createEc2Client } from '../../source/aws/client.js';
import { configCommand } from '../../source/commands/config.js';
import { OperationError, toExit, UsageError } from '../../source/commands/errors.js';
import type { CommandIo } from '../../source/commands/io.js';
import { parseCustomerGatewayConfiguration } from '../../source/design/customer-gateway-configuration.js';
import { loadAnswersFile } from '../../source/flow/answers.js';
import { applyFlow } from '../../source/flow/runner.js';
import { findResource, loadState, newState, saveState } from '../../source/flow/state.js';
import { createTranslator } from '../../source/i18n/index.js';
import { SANDBOX_CREDENTIALS, startEc2Sandbox } from '../../source/sandbox/ec2/index.js';
import { guideTenantPsks } from '../design/guide.js';
import { tempDir } from '../e2e/cli-helpers.js';

/**
 * `kakehashi config` for every flow and vendor, in-process over the sandbox's EC2 endpoint (the AWS
 * VPN connection read back with DescribeVpnConnections, as against AWS), and the install guide's own
 * parameters reproducing its lines.
 */

const t = createTranslator('en');
const region = 'ap-northeast-1';
const examples = new URL('../../flows/examples/', import.meta.url).pathname;

let sandbox: Awaited<ReturnType<typeof startEc2Sandbox>>;
let ec2: EC2Client;
let dir: string;

beforeAll(async () => {
	sandbox = await startEc2Sandbox({
		port: 0,
		timings: { instanceRunningMs: 150, instanceTerminatedMs: 150, consoleOutputMs: 300 },
	});
	ec2 = createEc2Client({ region, endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS });
	dir = await tempDir('kakehashi-config-');
});

afterAll(async () => {
	ec2?.destroy();
	await sandbox?.close();
});

function capture(env: NodeJS.ProcessEnv = {}) {
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	const out: string[] = [];
	const err: string[] = [];
	stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
	stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
	const io: CommandIo = {
		stdout,
		stderr,
		stdin: new PassThrough(),
		t,
		lang: 'en',
		// the sandbox's documented test credentials, as `--endpoint-url` users pass theirs
		env: {
			AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
			AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
			...env,
		},
		cwd: dir,
	};
	return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

/** An example answers file, rewritten into the test folder (own stack name, key file, PSK references). */
async function exampleIn(
	name: string,
	stack: string,
	change: (data: Record<string, unknown>) => void = () => {},
) {
	const data = JSON.parse(JSON.stringify(await loadAnswersFile(join(examples, `${name}.yaml`)))) as Record<
		string,
		unknown
	>;
	data.name = stack;
	data.keyPair = { name: `${stack}-key`, privateKeyFile: join(dir, `${stack}.pem`) };
	change(data);
	const file = join(dir, `${stack}.yaml`);
	await writeFile(file, stringify(data));
	return file;
}

async function run(options: { answers: string; state: string; vendor: string; for?: string }, env = {}) {
	const captured = capture(env);
	process.env.AWS_ACCESS_KEY_ID = SANDBOX_CREDENTIALS.accessKeyId;
	process.env.AWS_SECRET_ACCESS_KEY = SANDBOX_CREDENTIALS.secretAccessKey;
	try {
		const code = await configCommand(
			{ ...options, endpointUrl: sandbox.endpoint, region, lang: 'en' } as Parameters<
				typeof configCommand
			>[0],
			captured.io,
		);
		return { code, stdout: captured.stdout(), stderr: captured.stderr() };
	} catch (error) {
		const exit = toExit(t, error);
		return { code: exit.code, stdout: captured.stdout(), stderr: exit.message, error };
	}
}

describe('config for single-aws-vpn: the customer router from DescribeVpnConnections', () => {
	let answers: string;
	let statePath: string;

	beforeAll(async () => {
		answers = await exampleIn('single-aws-vpn', 'cfg-vpn');
		statePath = join(dir, 'vpn.state.json');
		await applyFlow({
			ec2,
			answers: await loadAnswersFile(answers),
			statePath,
			timings: { intervalMs: 25, timeoutMs: 30_000, dependencyTimeoutMs: 15_000 },
		});
	}, 120_000);

	it.each(['awplus', 'cisco-ios', 'nec-ix', 'yamaha-rtx', 'juniper-srx', 'strongswan-frr'])(
		'%s: both tunnels, each key beside its own AWS address, keys never in the state file',
		async (vendor) => {
			const result = await run({ answers, state: statePath, vendor });
			expect(result.stderr).toBe('');
			expect(result.code).toBe(0);
			const state = await loadState(statePath);
			const id = state ? findResource(state, 'vpn-connection')?.id : undefined;
			expect(id).toMatch(/^vpn-/);
			const { VpnConnections: connections = [] } = await ec2.send(
				new DescribeVpnConnectionsCommand({ VpnConnectionIds: [id as string] }),
			);
			const tunnels = parseCustomerGatewayConfiguration(
				connections[0]?.CustomerGatewayConfiguration ?? '',
			).tunnels;
			expect(tunnels).toHaveLength(2);
			const stateText = await readFile(statePath, 'utf8');
			for (const tunnel of tunnels) {
				expect(result.stdout).toContain(tunnel.awsOutsideIp);
				expect(result.stdout).toContain(tunnel.psk);
				expect(stateText).not.toContain(tunnel.psk);
			}
			if (vendor === 'strongswan-frr') expect(result.stdout).toContain('# ==> swanctl.conf <==');
		},
	);

	it('names the allowed sides and vendors (exit 2)', async () => {
		const side = await run({ answers, state: statePath, vendor: 'awplus', for: 'appliance' });
		expect(side.code).toBe(2);
		expect(side.error).toBeInstanceOf(UsageError);
		expect(side.stderr).toContain('Choose one of site');
		const vendor = await run({ answers, state: statePath, vendor: 'mikrotik' });
		expect(vendor.code).toBe(2);
		expect(vendor.stderr).toContain('awplus, cisco-ios, nec-ix, yamaha-rtx, juniper-srx, strongswan-frr');
	});

	it('before apply, and once the connection is gone: exit 1 naming kakehashi apply', async () => {
		const before = await run({ answers, state: join(dir, 'none.state.json'), vendor: 'awplus' });
		expect(before.code).toBe(1);
		expect(before.error).toBeInstanceOf(OperationError);
		expect(before.stderr).toContain('kakehashi apply');

		const state = await loadState(statePath);
		const id = state ? findResource(state, 'vpn-connection')?.id : undefined;
		await ec2.send(new DeleteVpnConnectionCommand({ VpnConnectionId: id }));
		const gone = await run({ answers, state: statePath, vendor: 'cisco-ios' });
		expect(gone.code).toBe(1);
		expect(gone.stderr).toContain(String(id));
		expect(gone.stderr).toContain('kakehashi apply');
		expect(gone.stdout).toBe('');
	});
});

describe('config for multi-tenant: the appliance (every tenant) and each tenant router', () => {
	let answers: string;
	let statePath: string;
	const env = { TENANT_A_PSK: guideTenantPsks['tenant-a'], TENANT_B_PSK: guideTenantPsks['tenant-b'] };

	beforeAll(async () => {
		answers = await exampleIn('multi-tenant', 'cfg-tenants', (data) => {
			const peers = data.peers as { psk?: string }[];
			if (peers[0]) peers[0].psk = 'env:TENANT_A_PSK';
			if (peers[1]) peers[1].psk = 'env:TENANT_B_PSK';
		});
		statePath = join(dir, 'tenants.state.json');
		await applyFlow({
			ec2,
			answers: await loadAnswersFile(answers),
			statePath,
			timings: { intervalMs: 25, timeoutMs: 30_000, dependencyTimeoutMs: 15_000 },
		});
	}, 120_000);

	it('--for appliance: every tenant’s key, name and ids; --for tenant-a: that router only', async () => {
		const appliance = await run({ answers, state: statePath, vendor: 'awplus', for: 'appliance' }, env);
		expect(appliance.code).toBe(0);
		expect(appliance.stdout).toContain(
			`crypto isakmp key ${guideTenantPsks['tenant-a']} address 198.51.100.21`,
		);
		expect(appliance.stdout).toContain(
			`crypto isakmp key ${guideTenantPsks['tenant-b']} address 198.51.100.22`,
		);
		expect(appliance.stdout).toContain(' tunnel local name vaa2');
		expect((await run({ answers, state: statePath, vendor: 'awplus' }, env)).stdout).toBe(appliance.stdout);

		const tenant = await run({ answers, state: statePath, vendor: 'awplus', for: 'tenant-a' }, env);
		expect(tenant.code).toBe(0);
		const lines = tenant.stdout.trimEnd().split('\n');
		expect(lines[0]).toBe(`crypto isakmp key ${guideTenantPsks['tenant-a']} hostname vaa1`);
		expect(lines).toContain(' tunnel local id 12');
		expect(tenant.stdout).not.toContain(guideTenantPsks['tenant-b']);
		expect(await readFile(statePath, 'utf8')).not.toContain(guideTenantPsks['tenant-a']);
	});

	it('a tenant without a key reference: exit 2 naming peers[1].psk; other vendors: exit 2 naming awplus', async () => {
		const missing = await exampleIn('multi-tenant', 'cfg-tenants', (data) => {
			const peers = data.peers as { psk?: string }[];
			if (peers[0]) peers[0].psk = 'env:TENANT_A_PSK';
		});
		const appliance = await run({ answers: missing, state: statePath, vendor: 'awplus' }, env);
		expect(appliance.code).toBe(2);
		expect(appliance.stderr).toContain('peers[1].psk');
		// tenant-a's own router needs only its own key
		expect(
			(await run({ answers: missing, state: statePath, vendor: 'awplus', for: 'tenant-a' }, env)).code,
		).toBe(0);
		const cisco = await run({ answers, state: statePath, vendor: 'cisco-ios', for: 'tenant-a' }, env);
		expect(cisco.code).toBe(2);
		expect(cisco.stderr).toContain('Available: awplus');
		const side = await run({ answers, state: statePath, vendor: 'awplus', for: 'tenant-z' }, env);
		expect(side.code).toBe(2);
		expect(side.stderr).toContain('appliance, tenant-a, tenant-b');
	});
});

describe('golden: the install guide’s parameters reproduce its lines through `config`', () => {
	/** A state file as apply leaves it, with the guide's appliance addresses (10.0.0.5 public, 172.30.0.5 private). */
	async function guideState(flow: 'single-appliance' | 'multi-tenant', file: string) {
		const state = newState({ flow, region, stack: 'amf-cloud', answersDigest: 'guide' } as Parameters<
			typeof newState
		>[0]);
		state.resources.push({
			kind: 'instance',
			id: 'i-0123456789abcdef0',
			name: 'AMF-VAA',
			created: true,
			publicIp: '10.0.0.5',
			privateIp: '172.30.0.5',
		});
		await saveState(file, state);
		return file;
	}

	const base = {
		region,
		name: 'amf-cloud',
		vpc: { cidr: '172.30.0.0/16' },
		subnet: { cidr: '172.30.0.0/24' },
		securityGroup: { name: 'Permitted-IP-Hosts', sshFrom: ['203.0.113.7/32'] },
		keyPair: { name: 'amf-cloud-key', privateKeyFile: './amf-cloud-key.pem' },
		instance: { type: 't3.small', name: 'AMF-VAA' },
	};

	it('5a: the appliance and the AR router', async () => {
		const answers = join(dir, 'guide-5a.yaml');
		await writeFile(
			answers,
			stringify({
				...base,
				flow: 'single-appliance',
				peers: [{ name: 'site', publicIp: '10.1.1.1', lan: ['192.168.1.0/24'], psk: 'env:GUIDE_PSK' }],
			}),
		);
		const state = await guideState('single-appliance', join(dir, 'guide-5a.state.json'));
		const env = { GUIDE_PSK: 'abcdefghijklmnopqrstuvwxyz1234' };
		const appliance = await run({ answers, state, vendor: 'awplus', for: 'appliance' }, env);
		expect(appliance.stdout.trimEnd().split('\n')).toEqual([
			'crypto isakmp key abcdefghijklmnopqrstuvwxyz1234 address 10.1.1.1',
			'interface tunnel0',
			' tunnel source eth0',
			' tunnel destination 10.1.1.1',
			' tunnel local name vaa0',
			' tunnel mode ipsec ipv4',
			' tunnel protection ipsec',
			' ip address 172.16.0.1/30',
			' mtu 1300',
			'ip route 192.168.1.0/24 tunnel0',
			'ip route 192.168.1.0/24 null 254',
		]);
		const router = await run({ answers, state, vendor: 'awplus', for: 'site' }, env);
		expect(router.stdout.trimEnd().split('\n')).toEqual([
			'crypto isakmp key abcdefghijklmnopqrstuvwxyz1234 hostname vaa0',
			'interface tunnel0',
			' tunnel source ppp0',
			' tunnel destination 10.0.0.5',
			' tunnel remote name vaa0',
			' tunnel mode ipsec ipv4',
			' tunnel protection ipsec',
			' ip address 172.16.0.2/30',
			' ip tcp adjust-mss 1260',
			' mtu 1300',
			'ip route 172.30.0.5/32 tunnel0',
			'ip route 172.30.0.5/32 null 254',
		]);
	});

	it('6: tenants A and B on the appliance, and tenant A’s router (tables 4 and 5, same LAN plan)', async () => {
		const answers = join(dir, 'guide-6.yaml');
		const tenant = (name: string, publicIp: string, psk: string) => ({
			name,
			publicIp,
			lan: ['192.168.10.0/24'],
			psk,
			tunnelAddress: '172.16.0.2/24',
		});
		await writeFile(
			answers,
			stringify({
				...base,
				flow: 'multi-tenant',
				peers: [
					tenant('tenant-a', '10.10.10.1', 'env:TENANT_A_PSK'),
					tenant('tenant-b', '10.20.20.1', 'env:TENANT_B_PSK'),
				],
			}),
		);
		const state = await guideState('multi-tenant', join(dir, 'guide-6.state.json'));
		const env = { TENANT_A_PSK: guideTenantPsks['tenant-a'], TENANT_B_PSK: guideTenantPsks['tenant-b'] };
		const appliance = await run({ answers, state, vendor: 'awplus', for: 'appliance' }, env);
		expect(appliance.code).toBe(0);
		expect(appliance.stdout.trimEnd().split('\n')).toEqual([
			'crypto isakmp key efghijklmnopqrstuvwxyz1234abcd address 10.10.10.1',
			'crypto isakmp key ijklmnopqrstuvwxyz1234abcdefgh address 10.20.20.1',
			'interface tunnel1',
			' tunnel source eth0',
			' tunnel destination 10.10.10.1',
			' tunnel local name vaa1',
			' tunnel local id 11',
			' tunnel remote id 12',
			' tunnel mode l2tp v3',
			' tunnel protection ipsec',
			'interface tunnel2',
			' tunnel source eth0',
			' tunnel destination 10.20.20.1',
			' tunnel local name vaa2',
			' tunnel local id 21',
			' tunnel remote id 22',
			' tunnel mode l2tp v3',
			' tunnel protection ipsec',
		]);
		const router = await run({ answers, state, vendor: 'awplus', for: 'tenant-a' }, env);
		expect(router.stdout.trimEnd().split('\n')).toEqual([
			'crypto isakmp key efghijklmnopqrstuvwxyz1234abcd hostname vaa1',
			'interface tunnel0',
			' tunnel source ppp0',
			' tunnel destination 10.0.0.5',
			' tunnel remote name vaa1',
			' tunnel local id 12',
			' tunnel remote id 11',
			' tunnel mode l2tp v3',
			' tunnel protection ipsec',
			' ip address 172.16.0.2/24',
		]);
	});
});
