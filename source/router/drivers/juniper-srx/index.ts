/**
 * Juniper SRX (Junos): prompt and paging facts, and what the monitor polls. Facts from
 * shared/fixtures/samples/NOTES.md: operational prompt `user@host>`, configuration `user@host#` (with
 * `[edit]` above), chassis-cluster banners `{primary:node0}`. A `root` login lands in the FreeBSD shell
 * (`root@host%`, `root@host:~ #`): `cli` is sent then, as `enable` would be on other vendors.
 * Paging: `set cli screen-length 0` and `set cli screen-width 0`; the pager reads `---(more 45%)---`.
 */
import type { RouterDriver } from '../../driver.js';
import { parseBgpSummary } from './parse-bgp-summary.js';
import { parseIkeSa } from './parse-ike-sa.js';
import { parseIpsecSa } from './parse-ipsec-sa.js';

const PROMPT = /(?:^|[\r\n])[\w.-]+@[\w.-]+(?::[^\r\n]*?\s?[#%$]|[>#%]) ?$/;
const CLI_PROMPT = /(?:^|[\r\n])[\w.-]+@[\w.-]+[>#] ?$/;

export const juniperSrxDriver: RouterDriver = {
	vendor: 'juniper-srx',
	prompt: PROMPT,
	privilegedPrompt: CLI_PROMPT,
	enable: 'cli',
	pagingOff: ['set cli screen-length 0', 'set cli screen-width 0'],
	more: /---\(more(?: \d{1,3}%)?\)---/,
	commands: [
		{ key: 'ike', command: 'show security ike security-associations', parse: parseIkeSa },
		{ key: 'ipsec', command: 'show security ipsec security-associations', parse: parseIpsecSa },
		{ key: 'bgp', command: 'show bgp summary', parse: parseBgpSummary },
	],
};

export { parseBgpSummary } from './parse-bgp-summary.js';
export { parseIkeSa } from './parse-ike-sa.js';
export { parseIpsecSa } from './parse-ipsec-sa.js';
