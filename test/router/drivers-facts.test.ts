import { describe, expect, it } from 'vitest';
import { vendorNames } from '../../source/flow/answers.js';
import { commandSlug, driverFor, drivers } from '../../source/router/drivers/index.js';

/** The session frames commands on these patterns: what must, and must not, count as a prompt. */
const FACTS: Record<
	string,
	{ prompts: string[]; privileged: string[]; notPrivileged: string[]; notPrompts: string[]; more?: string[] }
> = {
	'cisco-ios': {
		prompts: ['Router>', 'R1#', 'edge1-rt#', 'R1(config)#', 'R1(config-if)# '],
		privileged: ['R1#', 'R1(config-router)#'],
		notPrivileged: ['R1>'],
		notPrompts: [
			'169.254.255.1   4  7224     363     323        8    0    0 00:54:21        1',
			"% Invalid input detected at '^' marker.",
			'     #pkts encaps: 149, #pkts encrypt: 149, #pkts digest: 149',
		],
		more: [' --More-- '],
	},
	'nec-ix': {
		prompts: ['ix2215#', 'ix2215(config)#', 'notoken-tokyo01(config)# ', '(config)#'],
		privileged: ['ix2215(config)#', 'ix01(config)# '],
		notPrivileged: ['ix2215#'],
		notPrompts: ["  Responder's cookie is 0xb43e20ddc47f8284", 'ISAKMP SA - 1 configured, 1 created'],
		more: ['--More--'],
	},
	'yamaha-rtx': {
		prompts: ['>', '# ', '[RTX1210] >', 'RTX1210# ', 'RTX830>'],
		privileged: ['#', '[RTX1210] # '],
		notPrivileged: ['>', 'RTX830> '],
		notPrompts: ['SA[1] Duration: 10675s', '  Received:    (IPv4) 3933 packets [244941 octets]'],
		more: ['---つづく---'],
	},
	'juniper-srx': {
		prompts: ['user@router>', 'root@csrx-ipsec# ', 'admin@srx-cluster> ', 'root@srx%', 'root@srx:~ # '],
		privileged: ['user@router>', 'root@csrx-ipsec#'],
		notPrivileged: ['root@srx%', 'root@srx:~ # '],
		notPrompts: [
			'  >131073 ESP:aes-128/sha1 5de29aa1 326/ unlim   -   0',
			'Peer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn State|#Active/Received/Accepted/Damped...',
		],
		more: ['---(more)---', '---(more 45%)---'],
	},
	'strongswan-frr': {
		prompts: [
			'kakehashi@site-router:~$ ',
			'root@r1:/etc/swanctl# ',
			'[ec2-user@ip-10-0-0-1 ~]$ ',
			'# ',
			'$ ',
			'bash-5.2$ ',
		],
		privileged: ['root@r1:~# ', '# '],
		notPrivileged: ['kakehashi@site-router:~$ '],
		notPrompts: [
			'    in  c8931e89,     84 bytes,     1 packets,     0s ago',
			'home: #1, ESTABLISHED, IKEv2, 6fd55d95f66b4a67_i* cea64d4a303e0ca2_r',
			'}',
		],
	},
};

describe('driver registry', () => {
	it('has a driver for every vendor the answers schema accepts', () => {
		expect(Object.keys(drivers).sort()).toEqual([...vendorNames].sort());
		for (const vendor of vendorNames) expect(driverFor(vendor)?.vendor).toBe(vendor);
	});

	it('gives every command of a driver its own key and fixture folder', () => {
		for (const driver of Object.values(drivers)) {
			const keys = driver.commands.map((command) => command.key);
			const slugs = driver.commands.map((command) => commandSlug(command.command));
			expect(new Set(keys).size).toBe(keys.length);
			expect(new Set(slugs).size).toBe(slugs.length);
		}
	});

	it('names fixture folders after the command without sudo and punctuation', () => {
		expect(commandSlug('show ip bgp summary')).toBe('show_ip_bgp_summary');
		expect(commandSlug('show security ike security-associations')).toBe(
			'show_security_ike_security_associations',
		);
		expect(commandSlug("sudo -n vtysh -c 'show bgp summary json'")).toBe('vtysh_c_show_bgp_summary_json');
		expect(commandSlug('sudo -n swanctl --list-sas')).toBe('swanctl_list_sas');
	});
});

describe.each(Object.entries(FACTS))('%s driver facts', (vendor, facts) => {
	const driver = driverFor(vendor)!;

	it.each(facts.prompts)('recognises the prompt %j at the end of the output', (prompt) => {
		expect(driver.prompt.test(`show something\r\nsome output\r\n${prompt}`)).toBe(true);
	});

	it.each(facts.privileged)('recognises %j as privileged', (prompt) => {
		expect(driver.privilegedPrompt?.test(`\r\n${prompt}`)).toBe(true);
	});

	it.each(facts.notPrivileged)('does not take %j for privileged', (prompt) => {
		expect(driver.privilegedPrompt?.test(`\r\n${prompt}`)).toBe(false);
	});

	it.each(facts.notPrompts)('does not take the output line %j for a prompt', (line) => {
		expect(driver.prompt.test(`\r\n${line}`)).toBe(false);
	});

	it.runIf(facts.more !== undefined)('recognises the pager prompt', () => {
		for (const more of facts.more ?? []) expect(driver.more?.test(more)).toBe(true);
	});
});

describe('vendor specifics', () => {
	it('Cisco IOS: enable, paging off, privileged crypto shows, IKEv1 and IKEv2 both polled', () => {
		const driver = driverFor('cisco-ios')!;
		expect(driver.enable).toBe('enable');
		expect(driver.pagingOff).toEqual(['terminal length 0', 'terminal width 511']);
		expect(driver.commands.map((command) => command.command)).toEqual([
			'show crypto isakmp sa',
			'show crypto ikev2 sa',
			'show crypto ipsec sa',
			'show ip bgp summary',
		]);
		expect(driver.commands.every((command) => command.privileged)).toBe(true);
	});

	it('NEC IX: enable-config first, since terminal length 0 and the shows need configuration mode', () => {
		const driver = driverFor('nec-ix')!;
		expect(driver.enable).toBe('enable-config');
		expect(driver.pagingOff).toEqual(['terminal length 0']);
	});

	it('Yamaha RTX: no administrator (shows work for a general user), console lines infinity', () => {
		const driver = driverFor('yamaha-rtx')!;
		expect(driver.enable).toBeUndefined();
		expect(driver.pagingOff[0]).toBe('console lines infinity');
	});

	it('Juniper SRX: screen length and width off; cli from the root shell', () => {
		const driver = driverFor('juniper-srx')!;
		expect(driver.pagingOff).toEqual(['set cli screen-length 0', 'set cli screen-width 0']);
		expect(driver.enable).toBe('cli');
	});

	it('strongSwan + FRR: shows through sudo -n, nothing to switch off, no enable', () => {
		const driver = driverFor('strongswan-frr')!;
		expect(driver.pagingOff).toEqual([]);
		expect(driver.enable).toBeUndefined();
		expect(driver.commands.every((command) => command.command.startsWith('sudo -n '))).toBe(true);
	});
});
