import { Box, Text } from 'ink';
import type { TunnelHistory } from '../../monitor/history.js';
import type { TunnelRow } from '../../monitor/tunnels.js';
import { useT } from '../i18n-context.js';
import {
	bgpLabel,
	formatRate,
	formatSpan,
	padCell,
	phase1Label,
	phase2Label,
	stateColor,
} from './panel-format.js';

/** Column widths for a terminal `columns` wide: the fixed columns first, the rest to the traffic sparklines. */
export function tunnelColumns(columns: number, withAws: boolean) {
	const wide = columns >= 110;
	// wide terminals also get the tunnel's name (the design's, or the router's interface)
	const fixed = {
		marker: 2,
		name: wide ? 18 : 0, // an AWS tunnel's name is its inside /30: 169.254.123.132/30 fits whole
		peer: 15,
		p1: 5,
		p2: 5,
		bgp: 14,
		pfx: 4,
		aws: withAws ? 5 : 0,
	};
	const used =
		Object.values(fixed).reduce((sum, width) => sum + width, 0) + (withAws ? 7 : 6) + (wide ? 1 : 0);
	const perDirection = Math.max(7, Math.floor((columns - used - 1) / 2));
	const rate = 6;
	const spark = Math.max(0, Math.min(30, perDirection - rate - 1));
	return { ...fixed, rate, spark };
}

/** One row per tunnel: phase 1, phase 2, BGP, prefixes, AWS, traffic in/out with sparklines. */
export function TunnelTable({
	rows,
	history,
	selected,
	columns,
	stale,
}: {
	rows: readonly TunnelRow[];
	history?: TunnelHistory;
	selected: number;
	columns: number;
	stale: boolean;
}) {
	const t = useT();
	const withAws = rows.some((row) => row.aws);
	const w = tunnelColumns(columns, withAws);
	const traffic = (text: string) => padCell(text, w.rate + (w.spark > 0 ? w.spark + 1 : 0));
	return (
		<Box flexDirection="column">
			<Text color="gray" wrap="truncate-end">
				{padCell('', w.marker)}
				{w.name > 0 ? `${padCell(t('panel.col.tunnel'), w.name)} ` : ''}
				{padCell(t('panel.col.peer'), w.peer)} {padCell(t('panel.col.p1'), w.p1)}{' '}
				{padCell(t('panel.col.p2'), w.p2)} {padCell(t('panel.col.bgpState'), w.bgp)}{' '}
				{padCell(t('panel.col.prefixes'), w.pfx)} {withAws ? `${padCell(t('panel.col.aws'), w.aws)} ` : ''}
				{traffic(t('panel.col.in'))} {traffic(t('panel.col.out'))}
			</Text>
			{rows.map((row, index) => {
				const latest = history?.for(row.peer)?.latest();
				const lines = history && w.spark > 0 ? history.sparklines(row.peer, w.spark) : { in: '', out: '' };
				const bgp = row.bgp
					? `${bgpLabel(row.bgp.state)}${row.bgp.uptimeSeconds !== undefined ? ` ${formatSpan(row.bgp.uptimeSeconds)}` : ''}`
					: '—';
				return (
					<Text key={row.peer} inverse={index === selected} dimColor={stale} wrap="truncate-end">
						<Text color={stateColor(row.state)}>{padCell(index === selected ? '▶' : '●', w.marker)}</Text>
						{w.name > 0 ? `${padCell(row.name ?? row.tunnelInterface ?? '', w.name)} ` : ''}
						{padCell(row.peer, w.peer)}{' '}
						<Text color={stateColor(row.phase1 === 'missing' ? 'down' : row.phase1)}>
							{padCell(phase1Label[row.phase1], w.p1)}
						</Text>{' '}
						<Text color={stateColor(row.phase2 === 'missing' ? 'down' : row.phase2)}>
							{padCell(phase2Label[row.phase2], w.p2)}
						</Text>{' '}
						<Text color={row.bgp ? stateColor(row.bgp.state) : 'gray'}>{padCell(bgp, w.bgp)}</Text>{' '}
						{padCell(row.bgp?.prefixesReceived, w.pfx)}{' '}
						{withAws ? (
							<>
								<Text color={row.aws ? stateColor(row.aws.status) : 'gray'}>
									{padCell(row.aws?.status, w.aws)}
								</Text>{' '}
							</>
						) : null}
						{padCell(formatRate(latest?.bytesInPerSecond), w.rate)}
						{w.spark > 0 ? <Text color="cyan"> {lines.in}</Text> : null}{' '}
						{padCell(formatRate(latest?.bytesOutPerSecond), w.rate)}
						{w.spark > 0 ? <Text color="magenta"> {lines.out}</Text> : null}
					</Text>
				);
			})}
		</Box>
	);
}
