/**
 * `show ip bgp summary` on NEC UNIVERGE IX → `bgp`.
 *
 * Layout (one public capture, possibly hand-edited upstream — shared/fixtures/samples/nec_ix; NOTES.md):
 *   `BGP router ID X, local AS number N` / `N BGP AS-PATH entries` /
 *   `Neighbor V AS MsgRcvd MsgSent Up/DownTime State` with upper-case states (`ESTABLISHED`, `IDLE`…) /
 *   `Total number of neighbors N`. No prefix-count column was seen: `prefixesReceived` stays absent
 *   unless a release prints the Cisco-style `State/PfxRcd` column, which the shared reader also handles.
 */
import type { ParseResult } from '../../model.js';
import { parseBgpSummaryTable } from '../shared/bgp-summary-table.js';

export function parseBgpSummary(output: string): ParseResult {
	return parseBgpSummaryTable(output);
}
