/**
 * `show ip bgp summary` on Cisco IOS / IOS-XE → `bgp`.
 *
 * Layout (AWS VPN guide, ntc-templates incl. `show ip bgp all summary`, genieparser; NOTES.md): header
 * lines that vary by release (memory lines, `Bitfield cache`, `networks peaked at`, `For address family:`),
 * then `Neighbor V AS MsgRcvd MsgSent TblVer InQ OutQ Up/Down State/PfxRcd`; IPv6 neighbours wrap onto
 * the next line; AS may be asdot; Up/Down `00:54:21`, `4d12h`, `3w0d`, `1y10w`, `never`; the last column
 * is a prefix count when Established, else the state, including `Idle (Admin)` and `Idle (PfxCt)`.
 * The table is the one the ZebOS / FRR / NEC families print: read by ../shared/bgp-summary-table.ts.
 */
import type { ParseResult } from '../../model.js';
import { parseBgpSummaryTable } from '../shared/bgp-summary-table.js';

export function parseBgpSummary(output: string): ParseResult {
	return parseBgpSummaryTable(output);
}
