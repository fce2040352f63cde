/**
 * `show ip bgp summary` on AlliedWare Plus (and the ZebOS / IP Infusion family its routing daemon comes
 * from) → `bgp` entries.
 *
 * Layout sources:
 * - ZebOS-family verbatim captures: Ubiquiti EdgeOS (`show ip bgp summary`, 3 and 8 peers), B4COM/OcNOS
 *   (`03w6d21h` up times) and OcNOS with the header and every row wrapped at ~80 columns
 *   (shared/fixtures/samples/_reference/zebos_family_bgp/, and the EdgeRouter X capture in
 *   test/fixtures/awplus/SOURCES.md). AW+'s own output is assumed to be this layout (NOTES.md; the shared
 *   AW+ sample is RECONSTRUCTED from these): `BGP router identifier …, local AS number N`, table version,
 *   AS-PATH/community entry counts, then
 *   `Neighbor V AS MsgRcv MsgSen TblVer InQ OutQ Up/Down State/PfxRcd [Desc]`, then
 *   `Total number of neighbors N` [+ `Total number of Established sessions N`].
 * - Cisco IOS / NEC IX variants of the same table (ntc-templates, genieparser, AWS VPN guide samples): the
 *   `MsgRcvd/MsgSent` spellings, `Up/DownTime`, upper-case states, `Idle (Admin)`, and an IPv6 neighbour
 *   alone on its line with the rest of the row on the next.
 * The table reader is shared with the other vendors printing this layout: ../shared/bgp-summary-table.ts
 * (columns from the header, wrapped rows joined back, `uptimeSeconds` only for established sessions).
 */
import type { ParseResult } from '../../model.js';
import { parseBgpSummaryTable } from '../shared/bgp-summary-table.js';

export function parseBgpSummary(output: string): ParseResult {
	return parseBgpSummaryTable(output);
}
