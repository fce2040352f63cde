/**
 * One CLI session on a simulated AW+ router: what a person (or kakehashi's SSH session) meets after
 * logging in. Echoes typed characters, edits the line (backspace, Ctrl-U, Ctrl-C), and runs commands in
 * user (`host>`), privileged (`host#`) and configuration modes (`host(config)#`, `host(config-if)#`…).
 * Output longer than the terminal length (default 24) is paged with `--More--` unless
 * `terminal length 0`. Errors are worded as AW+ words them.
 */
import { isIP } from 'node:net';
import { compilePattern, matchCommand, type Pattern } from './command-grammar.js';
import { readRouterFacts } from './config-facts.js';
import { formatDir } from './flash.js';
import { modeOpenedBy, RunningConfig } from './running-config.js';
import {
	formatBgpSummary,
	formatInterfaceTunnel,
	formatIpsecSa,
	formatIpsecSaDetail,
	formatIsakmpSa,
	formatIsakmpSaDetail,
	formatShowSystem,
	formatShowVersion,
} from './show-output.js';
import type { RouterSystem } from './system.js';
import type { SandboxWorld, SimRouter } from './world.js';

type ExecId =
	| 'enable'
	| 'disable'
	| 'exit'
	| 'terminal-length'
	| 'terminal-no-length'
	| 'configure'
	| 'show-version'
	| 'show-system'
	| 'show-running-config'
	| 'show-startup-config'
	| 'show-isakmp-sa'
	| 'show-isakmp-sa-detail'
	| 'show-ipsec-sa'
	| 'show-ipsec-sa-detail'
	| 'show-ip-bgp-summary'
	| 'show-interface'
	| 'show-ip-interface-brief'
	| 'write-memory'
	| 'dir'
	| 'show-file-systems'
	| 'software-upgrade'
	| 'reboot'
	| 'copy-startup'
	| 'delete';

function patterns<Id extends string>(entries: [Id, string][]): Pattern<Id>[] {
	return entries.flatMap(([id, spec]) => compilePattern(id, spec));
}

const USER_EXEC = patterns<ExecId>([
	['enable', 'enable'],
	['exit', 'exit|logout'],
	['terminal-length', 'terminal length <lines>'],
	['terminal-no-length', 'terminal no length'],
	['show-version', 'show version'],
	['show-system', 'show system'],
	['show-isakmp-sa', 'show isakmp sa'],
	['show-isakmp-sa-detail', 'show isakmp sa detail'],
	['show-ipsec-sa', 'show ipsec sa'],
	['show-ipsec-sa-detail', 'show ipsec sa detail'],
	['show-ip-bgp-summary', 'show ip bgp summary'],
	['show-interface', 'show interface [<interface>]'],
	['show-ip-interface-brief', 'show ip interface brief'],
]);

const PRIVILEGED_EXEC = [
	...USER_EXEC,
	...patterns<ExecId>([
		['disable', 'disable'],
		['configure', 'configure terminal'],
		['show-running-config', 'show running-config'],
		['show-startup-config', 'show startup-config'],
		['write-memory', 'write [memory]'],
		['write-memory', 'copy running-config startup-config'],
		['dir', 'dir [<file>]'],
		['show-file-systems', 'show file systems'],
		['software-upgrade', 'software-upgrade <file>'],
		['reboot', 'reboot|reload'],
		['copy-startup', 'copy <file> startup-config'],
		['delete', 'delete [force] <file>'],
	]),
];

/** Configuration lines each mode accepts (canonical form is stored in the running config). */
const CONFIG_LINES: Record<string, Pattern[]> = {
	config: patterns([
		['set', 'hostname <hostname>'],
		['set', 'interface <interface>'],
		['set', 'crypto isakmp key <key> address <ip>'],
		['set', 'crypto isakmp key <key> hostname <name>'],
		['set', 'crypto isakmp profile <name>'],
		['set', 'crypto isakmp peer address <ip> profile <name>'],
		['set', 'crypto isakmp peer hostname <name> profile <name>'],
		['set', 'crypto ipsec profile <name>'],
		['set', 'ip route <route...>'],
		['set', 'ipv6 route <route...>'],
		['set', 'router bgp <asn>'],
		['set', 'service password-encryption'],
		['set', 'username <user...>'],
		['set', 'line con|vty <line...>'],
	]),
	'config-if': patterns([
		['set', 'tunnel source <source>'],
		['set', 'tunnel destination <destination>'],
		['set', 'tunnel local name <name>'],
		['set', 'tunnel remote name <name>'],
		['set', 'tunnel local id <number>'],
		['set', 'tunnel remote id <number>'],
		['set', 'tunnel local selector <selector...>'],
		['set', 'tunnel remote selector <selector...>'],
		['set', 'tunnel mode ipsec ipv4|ipv6'],
		['set', 'tunnel mode l2tp v3'],
		['set', 'tunnel mode gre'],
		['set', 'tunnel protection ipsec [profile] [<name>]'],
		['set', 'ip address <cidr> [secondary]'],
		['set', 'ip address dhcp'],
		['set', 'ip tcp adjust-mss <number>'],
		['set', 'ipv6 address <address...>'],
		['set', 'mtu <number>'],
		['set', 'description <text...>'],
		['set', 'shutdown'],
		['set', 'bridge-group <number>'],
	]),
	'config-router': patterns([
		['set', 'neighbor <ip> remote-as <asn>'],
		['set', 'neighbor <ip> description <text...>'],
		['set', 'neighbor <ip> shutdown'],
		['set', 'neighbor <ip> update-source <source>'],
		['set', 'neighbor <ip> ebgp-multihop [<number>]'],
		['set', 'neighbor <ip> timers <number> <number>'],
		['set', 'neighbor <ip> activate'],
		['set', 'neighbor <ip> soft-reconfiguration inbound'],
		['set', 'network <prefix>'],
		['set', 'network <ip> mask <ip>'],
		['set', 'bgp router-id <ip>'],
		['set', 'redistribute connected|static|ospf|rip'],
		['set', 'address-family ipv4|ipv6 [unicast]'],
		['set', 'maximum-paths <number>'],
		['set', 'timers bgp <number> <number>'],
	]),
	'config-router-af': patterns([
		['set', 'neighbor <ip> activate'],
		['set', 'neighbor <ip> soft-reconfiguration inbound'],
		['set', 'network <prefix>'],
		['set', 'redistribute connected|static|ospf|rip'],
		['exit-address-family', 'exit-address-family'],
	]),
	'config-isakmp-profile': patterns([
		['set', 'version 1|2'],
		['set', 'version 1 mode main|aggressive'],
		['set', 'transform <number> integrity <algorithm> encryption <algorithm> group <number>'],
		['set', 'lifetime <number>'],
		['set', 'dpd-interval <number>'],
		['set', 'dpd-timeout <number>'],
	]),
	'config-ipsec-profile': patterns([
		['set', 'transform <number> protocol esp integrity <algorithm> encryption <algorithm>'],
		['set', 'pfs <number>'],
		['set', 'lifetime seconds <number>'],
	]),
	'config-line': patterns([
		['set', 'exec-timeout <number> [<number>]'],
		['set', 'login [<how>]'],
	]),
};

const CONFIG_CONTROL = patterns([
	['exit', 'exit'],
	['end', 'end'],
	['do', 'do <command...>'],
]);

function validArgument(name: string, value: string): boolean {
	switch (name) {
		case 'ip':
			return isIP(value) !== 0;
		case 'cidr':
		case 'prefix':
			return (
				/^[\d.]+\/\d{1,2}$/.test(value) &&
				isIP(value.split('/')[0]!) === 4 &&
				Number(value.split('/')[1]) <= 32
			);
		case 'asn':
			return /^\d{1,10}$/.test(value) && Number(value) >= 1 && Number(value) <= 4_294_967_295;
		case 'number':
		case 'lines':
			return /^\d{1,9}$/.test(value);
		case 'destination':
			return isIP(value) !== 0;
		case 'hostname':
			return /^[A-Za-z][\w.-]{0,62}$/.test(value);
		default:
			return true;
	}
}

type Mode = { kind: 'user' } | { kind: 'privileged' } | { kind: 'config'; path: string[] };

export type CliSessionOptions = {
	world: SandboxWorld;
	routerName: string;
	enablePassword?: string;
	/** Writes text to the client. */
	write: (text: string) => void;
	/** Ends the session (after `exit` / `logout`). */
	close: () => void;
	/** Flash, releases and reboot; without it those commands say the flash is not available. */
	system?: RouterSystem;
};

/** A y/n question waiting for its answer (the line typed next). */
type Question = { answer: (yes: boolean) => string[] };

const MORE = ' --More-- ';
const ERASE_MORE = `${'\b'.repeat(MORE.length)}${' '.repeat(MORE.length)}${'\b'.repeat(MORE.length)}`;

export class CliSession {
	private mode: Mode = { kind: 'user' };
	private line = '';
	private afterCarriageReturn = false;
	private escape: 'none' | 'started' | 'csi' = 'none';
	private terminalLength = 24;
	private password: { attempts: number } | undefined;
	private pager: { lines: string[]; shown: number } | undefined;
	private question: Question | undefined;
	private closed = false;
	private exec = false;

	constructor(private readonly options: CliSessionOptions) {}

	private get router(): SimRouter {
		const router = this.options.world.getRouter(this.options.routerName);
		if (!router)
			throw new Error(`The simulated router "${this.options.routerName}" was removed from the world.`);
		return router;
	}

	hostname(): string {
		return readRouterFacts(this.router.config).hostname ?? this.router.name;
	}

	prompt(): string {
		const host = this.hostname();
		if (this.mode.kind === 'user') return `${host}>`;
		if (this.mode.kind === 'privileged') return `${host}#`;
		const last = this.mode.path[this.mode.path.length - 1];
		return `${host}(${last === undefined ? 'config' : (modeOpenedBy(last) ?? 'config')})#`;
	}

	/** Prints the greeting and the first prompt. */
	start(): void {
		this.write(`\r\n${this.prompt()}`);
	}

	/** Feeds what the client typed. */
	input(data: string): void {
		for (const character of data) {
			if (this.closed) return;
			const carriageReturn = this.afterCarriageReturn;
			this.afterCarriageReturn = character === '\r';
			if (character === '\n' && carriageReturn) continue;
			if (this.pager) {
				this.pagerKey(character);
				continue;
			}
			if (this.escape !== 'none') {
				if (this.escape === 'started') this.escape = character === '[' || character === 'O' ? 'csi' : 'none';
				else if (/[@-~]/.test(character)) this.escape = 'none';
				continue;
			}
			this.key(character);
		}
	}

	/**
	 * Runs commands as an SSH exec request does: privileged, no paging, no prompt.
	 * Returns the output and whether every command succeeded.
	 */
	runNonInteractive(commands: string): { output: string; ok: boolean } {
		this.mode = { kind: 'privileged' };
		this.terminalLength = 0;
		this.exec = true;
		let ok = true;
		const out: string[] = [];
		for (const command of commands.split(/\r?\n/)) {
			if (command.trim() === '') continue;
			if (this.question) {
				const question = this.question;
				this.question = undefined;
				out.push(...question.answer(/^y(?:es)?$/i.test(command.trim())));
				if (this.closed) break;
				continue;
			}
			const result = this.execute(command, '');
			out.push(...result.lines);
			ok &&= result.ok;
			if (this.closed) break;
		}
		return { output: out.length > 0 ? `${out.join('\r\n')}\r\n` : '', ok };
	}

	private write(text: string): void {
		if (!this.closed) this.options.write(text);
	}

	/** Prints `text (y/n): ` and waits for the next line. */
	private ask(text: string, answer: Question['answer']): string[] {
		this.question = { answer };
		// exec requests print everything at the end, in order
		if (this.exec) return [`${text} (y/n): `];
		this.write(`${text} (y/n): `);
		return [];
	}

	private key(character: string): void {
		switch (character) {
			case '\r':
			case '\n':
				this.submit();
				return;
			case '\x7f':
			case '\b':
				if (this.line.length > 0) {
					this.line = this.line.slice(0, -1);
					if (!this.password) this.write('\b \b');
				}
				return;
			case '\x03':
				this.line = '';
				this.password = undefined;
				this.write(`^C\r\n${this.prompt()}`);
				return;
			case '\x1a':
				this.line = '';
				if (this.mode.kind === 'config') this.mode = { kind: 'privileged' };
				this.write(`^Z\r\n${this.prompt()}`);
				return;
			case '\x15':
				if (!this.password) this.write('\b \b'.repeat(this.line.length));
				this.line = '';
				return;
			case '\x1b':
				this.escape = 'started';
				return;
			default:
				if (character < ' ') return;
				this.line += character;
				if (!this.password) this.write(character);
		}
	}

	private submit(): void {
		const typed = this.line;
		this.line = '';
		this.write('\r\n');
		if (this.password) {
			this.answerPassword(typed);
			return;
		}
		if (this.question) {
			const question = this.question;
			this.question = undefined;
			const lines = question.answer(/^y(?:es)?$/i.test(typed.trim()));
			if (this.closed) return;
			if (this.question) {
				this.write(lines.map((line) => `${line}\r\n`).join(''));
				return;
			}
			this.present(lines);
			return;
		}
		const result = this.execute(typed, this.prompt());
		if (this.closed) return;
		if (this.password) return;
		if (this.question) {
			this.write(result.lines.map((line) => `${line}\r\n`).join(''));
			return;
		}
		this.present(result.lines);
	}

	private answerPassword(typed: string): void {
		const attempts = (this.password?.attempts ?? 0) + 1;
		if (typed === this.options.enablePassword) {
			this.password = undefined;
			this.mode = { kind: 'privileged' };
			this.write(this.prompt());
		} else if (attempts < 3) {
			this.password = { attempts };
			this.write('Password: ');
		} else {
			this.password = undefined;
			this.write(`% Bad passwords\r\n${this.prompt()}`);
		}
	}

	/** Shows output through the pager, then the prompt. */
	private present(lines: string[]): void {
		if (this.terminalLength > 0 && lines.length > this.terminalLength) {
			this.pager = { lines, shown: 0 };
			this.page(Math.max(1, this.terminalLength - 1));
			return;
		}
		this.write(lines.map((line) => `${line}\r\n`).join('') + this.prompt());
	}

	private page(count: number): void {
		const pager = this.pager!;
		const next = pager.lines.slice(pager.shown, pager.shown + count);
		pager.shown += next.length;
		this.write(next.map((line) => `${line}\r\n`).join(''));
		if (pager.shown >= pager.lines.length) {
			this.pager = undefined;
			this.write(this.prompt());
		} else this.write(MORE);
	}

	private pagerKey(character: string): void {
		this.write(ERASE_MORE);
		if (character === ' ') this.page(Math.max(1, this.terminalLength - 1));
		else if (character === '\r' || character === '\n') this.page(1);
		else if (character === 'q' || character === 'Q' || character === '\x03') {
			this.pager = undefined;
			this.write(this.prompt());
		} else this.write(MORE);
	}

	private invalidAt(typed: string, tokenIndex: number, promptText: string): string[] {
		let column = 0;
		let seen = -1;
		for (const match of typed.matchAll(/\S+/g)) {
			seen += 1;
			if (seen === tokenIndex) {
				column = match.index ?? 0;
				break;
			}
		}
		return [`${' '.repeat(promptText.length + column)}^`, "% Invalid input detected at '^' marker."];
	}

	private failure(
		match:
			| { ok: false; error: 'invalid' | 'ambiguous'; tokenIndex: number }
			| { ok: false; error: 'incomplete' },
		typed: string,
		promptText: string,
	): { lines: string[]; ok: false } {
		if (match.error === 'incomplete') return { lines: ['% Incomplete command.'], ok: false };
		if (match.error === 'ambiguous') return { lines: [`% Ambiguous command:  "${typed.trim()}"`], ok: false };
		return { lines: this.invalidAt(typed, match.tokenIndex, promptText), ok: false };
	}

	private execute(typed: string, promptText: string): { lines: string[]; ok: boolean } {
		const words = typed.trim().split(/\s+/).filter(Boolean);
		if (words.length === 0) return { lines: [], ok: true };
		if (this.mode.kind === 'config') return this.configure(typed, words, promptText);
		const table = this.mode.kind === 'user' ? USER_EXEC : PRIVILEGED_EXEC;
		const match = matchCommand(table, words, { validate: validArgument });
		if (!match.ok) return this.failure(match, typed, promptText);
		return { lines: this.runExec(match.id, match.args), ok: true };
	}

	private runExec(id: ExecId, args: Record<string, string>): string[] {
		const { world } = this.options;
		const router = this.router;
		switch (id) {
			case 'enable':
				if (this.mode.kind === 'user' && this.options.enablePassword !== undefined) {
					this.password = { attempts: 0 };
					this.write('Password: ');
					return [];
				}
				this.mode = { kind: 'privileged' };
				return [];
			case 'disable':
				this.mode = { kind: 'user' };
				return [];
			case 'exit':
				this.closed = true;
				this.options.close();
				return [];
			case 'terminal-length':
				this.terminalLength = Math.min(Number(args.lines), 512);
				return [];
			case 'terminal-no-length':
				this.terminalLength = 24;
				return [];
			case 'configure':
				this.mode = { kind: 'config', path: [] };
				return ['Enter configuration commands, one per line.  End with CNTL/Z.'];
			case 'show-version':
				return formatShowVersion(this.release());
			case 'show-system': {
				const nowMs = world.now();
				const bootedAt = this.options.system?.bootedAt ?? router.bootedAt;
				return formatShowSystem(
					this.hostname(),
					Math.max(0, Math.floor((nowMs - bootedAt) / 1000)),
					new Date(nowMs),
					this.release(),
				);
			}
			case 'dir':
			case 'show-file-systems':
			case 'software-upgrade':
			case 'reboot':
			case 'copy-startup':
			case 'delete':
				return this.fileCommand(id, args);
			case 'show-running-config':
				return [...router.config.render(), 'end'];
			case 'show-startup-config':
				return [...router.startupConfig.render(), 'end'];
			case 'show-isakmp-sa':
				return formatIsakmpSa(world.status(router.name).ike);
			case 'show-isakmp-sa-detail':
				return formatIsakmpSaDetail(world.status(router.name).ike);
			case 'show-ipsec-sa':
				return formatIpsecSa(world.status(router.name).ipsec);
			case 'show-ipsec-sa-detail':
				return formatIpsecSaDetail(world.status(router.name).ipsec);
			case 'show-ip-bgp-summary':
				return formatBgpSummary(world.status(router.name).bgp);
			case 'show-interface': {
				const tunnels = world.status(router.name).tunnels;
				const wanted = args.interface;
				const chosen = wanted === undefined ? tunnels : tunnels.filter((tunnel) => tunnel.tunnel === wanted);
				if (wanted !== undefined && chosen.length === 0) return [`% Can't find interface ${wanted}`];
				return chosen.flatMap((tunnel, index) => formatInterfaceTunnel(tunnel, 14 + index));
			}
			case 'show-ip-interface-brief':
				return this.ipInterfaceBrief();
			case 'write-memory':
				router.startupConfig = router.config.clone();
				this.options.system?.savedStartup(router);
				this.options.world.configChanged(router.name); // the sandbox persists startup configs too
				return ['Building configuration...', '[OK]'];
		}
	}

	private release(): { file: string; version: string } | undefined {
		const system = this.options.system;
		return system ? { file: system.release, version: system.version } : undefined;
	}

	/** Flash, release and reboot commands (./system.ts). */
	private fileCommand(id: ExecId, args: Record<string, string>): string[] {
		const system = this.options.system;
		if (!system) return ['% Flash is not available on this device.'];
		const { flash } = system;
		system.ensureBootConfig(this.router);
		const file = args.file ?? '';
		switch (id) {
			case 'dir': {
				if (file === '') return formatDir(flash.list());
				const entry = flash.stat(file);
				return entry ? formatDir([entry]) : [`% ${file}: No such file or directory`];
			}
			case 'show-file-systems': {
				const size = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)}G`;
				return [
					'      Size(B)  Free(B) Type  Flags Prefixes  S/D/V  Lcl/Ntwk  Avail',
					'-------------------------------------------------------------------',
					`${size(flash.capacity).padStart(13)}${size(flash.free()).padStart(9)}   flash   rw   flash:    static  local     Y`,
				];
			}
			case 'software-upgrade': {
				if (!flash.stat(file)) return [`% ${file}: No such file or directory`];
				return this.ask('Install this release to disk?', (yes) => {
					if (!yes) return ['% Installation cancelled.'];
					const checked = system.checkRelease(file);
					if (!checked.ok) return checked.lines;
					system.install(checked.name);
					return [
						`Verifying release file flash:/${checked.name}... OK`,
						`Installing release ${checked.version} to disk... done.`,
						'The new release will run after the next reboot.',
					];
				});
			}
			case 'reboot':
				return this.ask('reboot system?', (yes) => {
					if (!yes) return [];
					setTimeout(() => void system.reboot(), 50).unref();
					if (this.exec) {
						this.closed = true;
						return ['Rebooting...'];
					}
					this.options.write('\r\nRebooting...\r\n');
					this.closed = true;
					return [];
				});
			case 'copy-startup': {
				const text = flash.readText(file);
				if (text === undefined) return [`% ${file}: No such file or directory`];
				const router = this.router;
				router.startupConfig = RunningConfig.parse(text);
				system.savedStartup(router);
				this.options.world.configChanged(router.name);
				return [`Copying...`, 'Successful operation'];
			}
			case 'delete':
				return flash.remove(file) ? [] : [`% ${file}: No such file or directory`];
			default:
				return [];
		}
	}

	/** `show ip interface brief` in AW+'s `Interface IP-Address Status Protocol` layout. */
	private ipInterfaceBrief(): string[] {
		const router = this.router;
		const facts = readRouterFacts(router.config);
		const tunnels = this.options.world.status(router.name).tunnels;
		const rows = [['eth0', router.privateIp, 'admin up', 'running']];
		for (const entry of facts.interfaces) {
			if (entry.name === 'eth0') continue;
			const tunnel = tunnels.find((candidate) => candidate.tunnel === entry.name);
			const address = entry.address?.split('/')[0] ?? 'unassigned';
			const admin = tunnel && !tunnel.adminUp ? 'admin down' : 'admin up';
			const running = tunnel ? (tunnel.linkUp && tunnel.adminUp ? 'running' : 'down') : 'running';
			rows.push([entry.name, address, admin, running]);
		}
		return [
			'Interface             IP-Address      Status          Protocol',
			...rows.map(
				([name, address, status, protocol]) =>
					`${name!.padEnd(22)}${address!.padEnd(16)}${status!.padEnd(16)}${protocol}`,
			),
		];
	}

	private configure(typed: string, words: string[], promptText: string): { lines: string[]; ok: boolean } {
		const mode = this.mode as { kind: 'config'; path: string[] };
		const modeName =
			mode.path.length === 0 ? 'config' : (modeOpenedBy(mode.path[mode.path.length - 1]!) ?? 'config');
		const control = matchCommand(CONFIG_CONTROL, words);
		if (control.ok && !control.partial) {
			if (control.id === 'end') this.mode = { kind: 'privileged' };
			else if (control.id === 'exit') {
				if (mode.path.length === 0) this.mode = { kind: 'privileged' };
				else mode.path.pop();
			} else if (control.id === 'do') {
				const saved = this.mode;
				this.mode = { kind: 'privileged' };
				const result = this.execute(control.args.command ?? '', '');
				if (this.mode.kind === 'privileged') this.mode = saved;
				return result;
			}
			return { lines: [], ok: true };
		}

		const negate = words[0]!.toLowerCase() === 'no';
		const body = negate ? words.slice(1) : words;
		const offset = negate ? 1 : 0;
		if (negate && body.length === 0) return { lines: ['% Incomplete command.'], ok: false };
		const own = CONFIG_LINES[modeName] ?? [];
		let match = matchCommand(own, body, { validate: validArgument, allowPartial: negate });
		let path = mode.path;
		if (!match.ok && mode.path.length > 0) {
			// As on the real CLI, a global command typed in a sub-mode leaves the sub-mode.
			const global = matchCommand(CONFIG_LINES.config!, body, {
				validate: validArgument,
				allowPartial: negate,
			});
			if (global.ok) {
				match = global;
				path = [];
			}
		}
		if (!match.ok) {
			const shifted =
				match.error === 'incomplete' ? match : { ...match, tokenIndex: match.tokenIndex + offset };
			return this.failure(shifted, typed, promptText);
		}
		if (match.id === 'exit-address-family') {
			mode.path.pop();
			return { lines: [], ok: true };
		}
		const router = this.router;
		if (negate) {
			router.config.remove(path, match.canonical);
			mode.path = path;
		} else {
			const opened = router.config.set(path, match.canonical);
			mode.path = opened ? [...path, opened.line] : path;
		}
		this.options.world.configChanged(router.name);
		return { lines: [], ok: true };
	}
}
