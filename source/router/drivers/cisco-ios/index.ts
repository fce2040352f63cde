/**
 * Cisco IOS / IOS-XE: prompt and paging facts, and what the monitor polls. Facts from
 * shared/fixtures/samples/NOTES.md (netmiko cisco_ios, Cisco command references).
 * IKEv1 SAs are only in `show crypto isakmp sa`, IKEv2 SAs only in `show crypto ikev2 sa`: both are
 * polled (the one not in use prints only its section headings). Crypto shows need privileged EXEC.
 */
import type { DriverCommand, RouterDriver } from '../../driver.js';
import { CISCO_STYLE_PRIVILEGED_PROMPT, CISCO_STYLE_PROMPT, MORE_PROMPT } from '../shared/prompts.js';
import { parseBgpSummary } from './parse-bgp-summary.js';
import { parseCryptoSession } from './parse-crypto-session.js';
import { parseIkev2Sa } from './parse-ikev2-sa.js';
import { parseIpsecSa } from './parse-ipsec-sa.js';
import { parseIsakmpSa } from './parse-isakmp-sa.js';

export const ciscoIosDriver: RouterDriver = {
	vendor: 'cisco-ios',
	prompt: CISCO_STYLE_PROMPT,
	privilegedPrompt: CISCO_STYLE_PRIVILEGED_PROMPT,
	enable: 'enable',
	pagingOff: ['terminal length 0', 'terminal width 511'],
	more: MORE_PROMPT,
	commands: [
		{ key: 'ike', command: 'show crypto isakmp sa', privileged: true, parse: parseIsakmpSa },
		{ key: 'ikev2', command: 'show crypto ikev2 sa', privileged: true, parse: parseIkev2Sa },
		{ key: 'ipsec', command: 'show crypto ipsec sa', privileged: true, parse: parseIpsecSa },
		{ key: 'bgp', command: 'show ip bgp summary', privileged: true, parse: parseBgpSummary },
	],
};

/** Parsed on request (`kakehashi parse`, tests) but not polled: their data overlaps the polled ones. */
export const ciscoIosExtraCommands: DriverCommand[] = [
	{ key: 'session', command: 'show crypto session detail', privileged: true, parse: parseCryptoSession },
];

export { parseBgpSummary } from './parse-bgp-summary.js';
export { parseCryptoSession } from './parse-crypto-session.js';
export { parseIkev2Sa } from './parse-ikev2-sa.js';
export { parseIpsecSa } from './parse-ipsec-sa.js';
export { parseIsakmpSa } from './parse-isakmp-sa.js';
