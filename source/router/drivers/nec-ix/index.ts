/**
 * NEC UNIVERGE IX: prompt and paging facts, and what the monitor polls. Facts from
 * shared/fixtures/samples/NOTES.md (netmiko nec_ix, oxidized NecIX, ix-toolkit notes): the prompt is
 * `host#` in operation mode and `host(config)#` in configuration mode; most `show ike/ipsec` commands and
 * `terminal length 0` are only accepted in configuration mode, entered with `enable-config` (it fails with
 * `% CONFIG process is occupied.` while another session holds it — never forced with `svintr-config`).
 */
import type { RouterDriver } from '../../driver.js';
import { MORE_PROMPT } from '../shared/prompts.js';
import { parseBgpSummary } from './parse-bgp-summary.js';
import { parseIkeSa } from './parse-ike-sa.js';
import { parseIpsecSa } from './parse-ipsec-sa.js';

const PROMPT = /(?:^|[\r\n])[\w+\-.:/[\]]*(?:\([^)]+\)){0,3}[>#] ?$/;
const CONFIG_PROMPT = /(?:^|[\r\n])[\w+\-.:/[\]]*\(config[^)]*\)# ?$/;

export const necIxDriver: RouterDriver = {
	vendor: 'nec-ix',
	prompt: PROMPT,
	privilegedPrompt: CONFIG_PROMPT,
	enable: 'enable-config',
	pagingOff: ['terminal length 0'],
	more: MORE_PROMPT,
	commands: [
		{ key: 'ike', command: 'show ike sa', privileged: true, parse: parseIkeSa },
		{ key: 'ipsec', command: 'show ipsec sa', privileged: true, parse: parseIpsecSa },
		{ key: 'bgp', command: 'show ip bgp summary', privileged: true, parse: parseBgpSummary },
	],
};

export { parseBgpSummary } from './parse-bgp-summary.js';
export { parseIkeSa } from './parse-ike-sa.js';
export { parseIpsecSa } from './parse-ipsec-sa.js';
