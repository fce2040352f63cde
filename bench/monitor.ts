/**
 * The live panel's footprint (issue 5), printed, not asserted by the test suite:
 * 1. Memory: 10,000 polls of a simulated AW+ router through the whole monitor pipeline (poller,
 *    parsers, tunnel rows, counter history, event diff, diagnosis rules, Prometheus registry). The
 *    history, event log and metric series are bounded rings, so after they fill the heap must stay
 *    flat: prints heap and RSS every 1,000 polls, and fails (exit 1) if the heap grows by more than
 *    2 MB from the poll where every ring is full to poll 10,000.
 * 2. CPU while idle: the interactive panel (Ink, rendering to an 80×24 terminal that discards the
 *    output) polling the same simulated router every second for 20 s, with nobody pressing keys; and
 *    the real CLI (`monitor --metrics`, headless) polling a `kakehashi sandbox` over SSH every second.
 * Run: `node --import tsx --expose-gc bench/monitor.ts` (or `npm run bench -- monitor`).
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { render } from 'ink';
import { Registry } from 'prom-client';
import { createElement } from 'react';
import { type CommandRunner, RouterPoller } from '../source/monitor/poller.js';
import { RouterMonitor } from '../source/monitor/router-monitor.js';
import { driverFor } from '../source/router/drivers/index.js';
import { SandboxWorld } from '../source/sandbox/awplus/index.js';
import { formatBgpSummary, formatIpsecSa, formatIsakmpSa } from '../source/sandbox/awplus/show-output.js';
import { I18nProvider } from '../source/ui/i18n-context.js';
import { MonitorApp } from '../source/ui/monitor-app.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PSK = 'abcdefghijklmnopqrstuvwxyz1234';

/** install-guide 5a: the site router 198.51.100.10 and the appliance 10.0.0.5, on a clock we drive. */
function simulatedSite() {
	const clock = { ms: Date.parse('2026-11-23T00:00:00Z') };
	const world = new SandboxWorld({ negotiationMs: 1000, now: () => clock.ms });
	world.addRouter({
		name: 'far',
		publicIp: '10.0.0.5',
		privateIp: '172.30.0.5',
		config: [
			`crypto isakmp key ${PSK} address 198.51.100.10`,
			'interface tunnel0',
			' tunnel source eth0',
			' tunnel destination 198.51.100.10',
			' tunnel local name vaa0',
			' tunnel mode ipsec ipv4',
			' tunnel protection ipsec',
			' ip address 172.16.0.1/30',
			'router bgp 65000',
			' neighbor 172.16.0.2 remote-as 65001',
		],
	});
	world.addRouter({
		name: 'site',
		publicIp: '198.51.100.10',
		config: [
			`crypto isakmp key ${PSK} hostname vaa0`,
			'interface tunnel0',
			' tunnel source ppp0',
			' tunnel destination 10.0.0.5',
			' tunnel remote name vaa0',
			' tunnel mode ipsec ipv4',
			' tunnel protection ipsec',
			' ip address 172.16.0.2/30',
			'router bgp 65001',
			' neighbor 172.16.0.1 remote-as 65000',
		],
	});
	const outputs: Record<string, () => string> = {
		'show isakmp sa': () => formatIsakmpSa(world.status('site').ike).join('\n'),
		'show ipsec sa': () => formatIpsecSa(world.status('site').ipsec).join('\n'),
		'show ip bgp summary': () => formatBgpSummary(world.status('site').bgp).join('\n'),
	};
	const runner: CommandRunner = {
		state: 'ready',
		run: async (command) => outputs[command]?.() ?? '% Invalid input detected',
		on: () => undefined,
		off: () => undefined,
	};
	return { world, clock, runner };
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const gc = () => (globalThis as { gc?: () => void }).gc?.();

async function memory(): Promise<boolean> {
	const { clock, runner, world } = simulatedSite();
	const driver = driverFor('awplus');
	if (!driver) throw new Error('no awplus driver');
	const poller = new RouterPoller(
		runner,
		driver,
		{ name: 'site', vendor: 'awplus', host: '198.51.100.10', port: 22 },
		{ intervalMs: 1000, now: () => new Date(clock.ms) },
	);
	const registry = new Registry();
	const monitor = new RouterMonitor(poller, {
		registry,
		context: {
			tunnels: { tunnels: [{ name: 'far', peerOutsideIp: '10.0.0.5', bgpNeighbor: '172.16.0.1' }] },
		},
	});
	if (!(globalThis as { gc?: unknown }).gc) console.log('(run with --expose-gc for steady numbers)');
	const rows: { polls: number; heap: number; rss: number; events: number; samples: number }[] = [];
	for (let poll = 1; poll <= 10_000; poll++) {
		clock.ms += 1000;
		// a flap now and then, so events, findings and rekeys keep coming
		if (poll % 60 === 0) world.dropTunnel('site');
		if (poll % 60 === 20) world.restoreTunnel('site');
		await poller.pollOnce();
		if (poll % 1000 === 0) {
			await registry.metrics();
			gc();
			const usage = process.memoryUsage();
			rows.push({
				polls: poll,
				heap: usage.heapUsed,
				rss: usage.rss,
				events: monitor.view.events.length,
				samples: monitor.history.for('10.0.0.5')?.size ?? 0,
			});
		}
	}
	monitor.stop();
	world.close();
	console.log('Memory over 10,000 polls (history ring 120 samples/tunnel, event log 500):');
	console.log('  polls   heap MB   rss MB   events kept   samples kept');
	for (const row of rows)
		console.log(
			`  ${String(row.polls).padStart(6)}   ${mb(row.heap).padStart(7)}   ${mb(row.rss).padStart(6)}   ${String(row.events).padStart(11)}   ${String(row.samples).padStart(12)}`,
		);
	// from the first reading where every ring is full: the event log is the last to fill
	const full = rows.find((row) => row.events >= 500) ?? rows[1];
	const last = rows.at(-1);
	const growth = full && last ? last.heap - full.heap : 0;
	const ok = growth < 2 * 1024 * 1024;
	console.log(
		`  heap growth ${full?.polls ?? 0} → 10,000 polls (rings full): ${mb(growth)} MB (${ok ? 'flat: within the bound' : 'GROWING'})`,
	);
	return ok;
}

class NullTerminal extends Writable {
	columns = 80;
	rows = 24;
	isTTY = true;
	last = '';
	override _write(chunk: unknown, _encoding: BufferEncoding, done: () => void) {
		const text = String(chunk);
		if (text.includes('Live panel') || text.includes('ERROR')) this.last = text;
		done();
	}
}

/** A keyboard nobody touches: a TTY in raw mode that never has input. */
class IdleKeyboard extends EventEmitter {
	isTTY = true;
	setRawMode() {
		return this;
	}
	setEncoding() {}
	read() {
		return null;
	}
	ref() {}
	unref() {}
	resume() {}
	pause() {}
}

async function idleCpuPanel(seconds: number): Promise<void> {
	const { clock, runner, world } = simulatedSite();
	const driver = driverFor('awplus');
	if (!driver) throw new Error('no awplus driver');
	const timer = setInterval(() => {
		clock.ms += 1000;
	}, 1000);
	const poller = new RouterPoller(
		runner,
		driver,
		{ name: 'site', vendor: 'awplus', host: '198.51.100.10', port: 22 },
		{ intervalMs: 1000 },
	);
	const monitor = new RouterMonitor(poller, {
		context: {
			tunnels: { tunnels: [{ name: 'far', peerOutsideIp: '10.0.0.5', bgpNeighbor: '172.16.0.1' }] },
		},
	});
	poller.start();
	const terminal = new NullTerminal();
	const stdout = terminal as unknown as NodeJS.WriteStream;
	const panel = createElement(MonitorApp, { monitors: [monitor] });
	const app = render(
		// biome-ignore lint/correctness/noChildrenProp: no JSX in a .ts bench; the provider's type wants children
		createElement(I18nProvider, { lang: 'en', children: panel }),
		{
			stdout,
			stdin: new IdleKeyboard() as unknown as NodeJS.ReadStream,
			patchConsole: false,
			exitOnCtrlC: false,
		},
	);
	await new Promise((resolve) => setTimeout(resolve, 3000));
	const start = process.cpuUsage();
	const began = performance.now();
	await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
	const used = process.cpuUsage(start);
	const elapsed = performance.now() - began;
	// measure the panel, not an error screen
	if (!terminal.last.includes('10.0.0.5') || terminal.last.includes('ERROR'))
		throw new Error(`the panel did not render:\n${terminal.last}`);
	app.unmount();
	monitor.stop();
	clearInterval(timer);
	world.close();
	const percent = ((used.user + used.system) / 1000 / elapsed) * 100;
	console.log(
		`Idle CPU, panel in-process (Ink at 80×24, poll every 1 s, simulated router, ${seconds} s): ${percent.toFixed(2)} % of one core`,
	);
}

function cpuTicks(pid: number): number {
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
	return Number(fields[11]) + Number(fields[12]);
}

async function idleCpuCli(seconds: number): Promise<void> {
	const cli = join(root, 'dist', 'cli.js');
	const dir = await mkdtemp(join(tmpdir(), 'kakehashi-bench-'));
	const env = { LANG: 'en_US.UTF-8', HOME: dir };
	const sandbox = execa(process.execPath, [cli, 'sandbox', '--port', '0'], { cwd: dir, env, reject: false });
	try {
		const line = await new Promise<string>((resolve, reject) => {
			let text = '';
			sandbox.stdout?.on('data', (chunk: Buffer) => {
				text += chunk.toString();
				if (text.includes('\n')) resolve(text.split('\n')[0] ?? '');
			});
			sandbox.once('exit', () => reject(new Error('sandbox exited')));
		});
		const info = JSON.parse(line) as {
			endpoint: string;
			routers: { name: string; port: number; identity?: string }[];
		};
		const site = info.routers.find((router) => router.name === 'site');
		if (!site?.identity) throw new Error('no site router');
		const monitor = execa(
			process.execPath,
			[
				cli,
				'monitor',
				'--endpoint-url',
				info.endpoint,
				'--host',
				'127.0.0.1',
				'--port',
				String(site.port),
				'--user',
				'manager',
				'--identity',
				site.identity,
				'--interval',
				'1',
				'--metrics',
				'127.0.0.1:0',
			],
			{ cwd: dir, env, reject: false },
		);
		const pid = monitor.pid;
		if (!pid) throw new Error('monitor did not start');
		await new Promise((resolve) => setTimeout(resolve, 5000));
		const hz = 100;
		const before = cpuTicks(pid);
		const began = performance.now();
		await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
		const ticks = cpuTicks(pid) - before;
		const elapsed = performance.now() - began;
		const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
		monitor.kill('SIGTERM');
		await monitor;
		console.log(
			`Idle CPU, real CLI (monitor --metrics, headless, SSH to a sandbox router, poll every 1 s, ${seconds} s): ${((ticks / hz / (elapsed / 1000)) * 100).toFixed(2)} % of one core, RSS ${mb(rss)} MB`,
		);
	} finally {
		sandbox.kill('SIGTERM');
		await sandbox;
		await rm(dir, { recursive: true, force: true });
	}
}

const ok = await memory();
await idleCpuPanel(20);
try {
	await idleCpuCli(20);
} catch (error) {
	console.log(
		`Idle CPU, real CLI: skipped (${error instanceof Error ? error.message : String(error)}; run npm run build first)`,
	);
}
process.exitCode = ok ? 0 : 1;
