/**
 * strongSwan + FRR on Linux: a shell, not a router CLI. Facts from shared/docs/lab-notes.md and
 * shared/fixtures/samples/NOTES.md: the login user runs the show commands through `sudo -n` (the vici
 * socket and vtysh need root or the frrvty group; `-n` makes a missing sudo rule fail at once with
 * `sudo: a password is required`, which lands in `unparsed`, instead of waiting at a password prompt).
 * Prompt: `user@host:~$ `, `root@host:/etc# `, `[user@host ~]$ `, `bash-5.2$ `, `# `. No pager applies
 * to non-interactive `swanctl` / `vtysh -c` output, so nothing to switch off; no enable.
 * The router configuration generator lives beside this file (config.ts, another module).
 */
import type { RouterDriver } from '../../driver.js';
import { parseBgpSummary } from './parse-bgp-summary.js';
import { parseListSas } from './parse-list-sas.js';

const PROMPT = /(?:^|[\r\n])(?:\[?[\w.-]+@[\w.-]+(?::[^\r\n$#]*| [^\r\n\]$#]*\])?|[\w.-]+)?[$#] ?$/;
const ROOT_PROMPT = /(?:^|[\r\n])(?:\[?[\w.-]+@[\w.-]+(?::[^\r\n$#]*| [^\r\n\]$#]*\])?|[\w.-]+)?# ?$/;

export const strongswanFrrDriver: RouterDriver = {
	vendor: 'strongswan-frr',
	prompt: PROMPT,
	privilegedPrompt: ROOT_PROMPT,
	pagingOff: [],
	commands: [
		{ key: 'ipsec', command: 'sudo -n swanctl --list-sas', parse: parseListSas },
		{ key: 'bgp', command: "sudo -n vtysh -c 'show bgp summary json'", parse: parseBgpSummary },
	],
};

export { parseBgpSummary } from './parse-bgp-summary.js';
export { parseListSas } from './parse-list-sas.js';
