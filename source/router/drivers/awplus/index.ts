/**
 * Allied Telesis AlliedWare Plus (AR4050S / AR3050S / AMF Cloud): prompt and paging facts, and what the
 * monitor polls. Facts from shared/fixtures/samples/NOTES.md (ansible_awplus terminal plugin, netmiko).
 */
import type { RouterDriver } from '../../driver.js';
import { parseBgpSummary } from './parse-bgp-summary.js';
import { parseShowInterface } from './parse-interface.js';
import { parseIpsecSa } from './parse-ipsec-sa.js';
import { parseIsakmpSa } from './parse-isakmp-sa.js';

/** ansible_awplus's prompt, anchored to the end of the buffer: `awplus>`, `R10(config)#`, `ip-172-30-0-139>`. */
const PROMPT = /(?:^|[\r\n])[\w+\-.:/[\]]+(?:\([^)]+\)){0,3}[>#] ?$/;
const PRIVILEGED_PROMPT = /(?:^|[\r\n])[\w+\-.:/[\]]+(?:\([^)]+\)){0,3}# ?$/;

export const awplusDriver: RouterDriver = {
	vendor: 'awplus',
	prompt: PROMPT,
	privilegedPrompt: PRIVILEGED_PROMPT,
	enable: 'enable',
	pagingOff: ['terminal length 0'],
	more: /--More--/,
	commands: [
		{ key: 'ike', command: 'show isakmp sa', privileged: true, parse: parseIsakmpSa },
		{ key: 'ipsec', command: 'show ipsec sa', privileged: true, parse: parseIpsecSa },
		{ key: 'bgp', command: 'show ip bgp summary', privileged: true, parse: parseBgpSummary },
		// Per-tunnel traffic counters: `show ipsec sa` prints none, AW+ keeps them on the tunnel interface.
		// Every interface is polled (ports, VLANs, loopbacks too): a tunnels-only filter such as
		// `show interface tunnel0-99` could not be confirmed on a real AW+ release, and `show interface
		// tunnelN` one by one would cost a round trip per tunnel. The price is ~15 lines per interface per
		// poll (a few kB on an AR4050S; bench/parsers.ts measures 1,000 tunnel blocks).
		{ key: 'interfaces', command: 'show interface', privileged: true, parse: parseShowInterface },
	],
};

export { parseBgpSummary } from './parse-bgp-summary.js';
export { parseShowInterface } from './parse-interface.js';
export { parseIpsecSa } from './parse-ipsec-sa.js';
export { parseIsakmpSa } from './parse-isakmp-sa.js';
