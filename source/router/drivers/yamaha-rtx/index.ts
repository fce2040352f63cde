/**
 * Yamaha RTX: prompt and paging facts, and what the monitor polls. Facts from
 * shared/fixtures/samples/NOTES.md and netmiko's yamaha driver: prompt `>` for a general user and `#` for
 * the administrator, optionally preceded by a name set with `console prompt` (`[RTX1210] >`, `RTX1210#`).
 * The show commands polled here work for a general user, so no `administrator` is sent (it asks for a
 * password and, on the way out after any change, `Save new configuration ? (Y/N)`). Paging off:
 * `console lines infinity` (as netmiko sends it); `console character ascii` keeps output in English.
 * RTX's SSH server has no exec channel: the session's interactive shell is what it needs.
 */
import type { RouterDriver } from '../../driver.js';
import { parseBgpNeighbor } from './parse-bgp-neighbor.js';
import { parseIpsecSa } from './parse-ipsec-sa.js';
import { parseStatusTunnel } from './parse-status-tunnel.js';

const PROMPT = /(?:^|[\r\n])(?:\[[^\]\r\n]{1,64}\] ?|[\w.-]{1,64})?[>#] ?$/;
const ADMINISTRATOR_PROMPT = /(?:^|[\r\n])(?:\[[^\]\r\n]{1,64}\] ?|[\w.-]{1,64})?# ?$/;

export const yamahaRtxDriver: RouterDriver = {
	vendor: 'yamaha-rtx',
	prompt: PROMPT,
	privilegedPrompt: ADMINISTRATOR_PROMPT,
	pagingOff: ['console lines infinity', 'console character ascii'],
	more: /---\s*(?:つづく|more)\s*---|--More--/i,
	commands: [
		{ key: 'ipsec', command: 'show ipsec sa', parse: parseIpsecSa },
		{ key: 'tunnel', command: 'show status tunnel', parse: parseStatusTunnel },
		{ key: 'bgp', command: 'show status bgp neighbor', parse: parseBgpNeighbor },
	],
};

export { parseBgpNeighbor } from './parse-bgp-neighbor.js';
export { parseIpsecSa } from './parse-ipsec-sa.js';
export { parseStatusTunnel } from './parse-status-tunnel.js';
