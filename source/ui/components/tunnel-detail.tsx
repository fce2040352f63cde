import { Box, Text } from 'ink';
import type { RouterView } from '../../monitor/router-monitor.js';
import type { TunnelRow } from '../../monitor/tunnels.js';
import { useT } from '../i18n-context.js';
import { EventLog } from './event-log.js';
import { FindingList } from './finding-list.js';
import { formatRate, formatSpan, stateColor } from './panel-format.js';
import { formatDuration } from './sa-tables.js';

const v = (value: string | number | boolean | undefined): string =>
	value === undefined ? '-' : typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);

/** The lines of the raw outputs that mention this tunnel (its peer or SPIs), under their command. */
export function rawLinesFor(
	raw: Record<string, string>,
	row: TunnelRow,
): { command: string; lines: string[] }[] {
	const needles = [row.peer, row.spiIn, row.spiOut, row.bgp?.neighbor, row.tunnelInterface]
		.filter((needle): needle is string => typeof needle === 'string' && needle !== '')
		.map((needle) => needle.toLowerCase());
	return Object.entries(raw)
		.map(([command, output]) => ({
			command,
			lines: String(output)
				.split(/\r?\n/)
				.filter((line) => needles.some((needle) => line.toLowerCase().includes(needle))),
		}))
		.filter((entry) => entry.lines.length > 0);
}

function Section({ title }: { title: string }) {
	return (
		<Box marginTop={1}>
			<Text bold underline>
				{title}
			</Text>
		</Box>
	);
}

/** `enter` on a tunnel: SPIs, lifetimes, counters, BGP, AWS, its findings and events, and the raw lines. */
export function TunnelDetail({
	router,
	row,
	columns,
	rawLines = 12,
}: {
	router: RouterView;
	row: TunnelRow;
	columns: number;
	/** Raw lines shown per command: what the terminal's height leaves. */
	rawLines?: number;
}) {
	const t = useT();
	const sparkWidth = Math.max(10, Math.min(60, columns - 30));
	const lines = router.history.sparklines(row.peer, sparkWidth);
	const latest = router.history.for(row.peer)?.latest();
	const ike = row.ike;
	return (
		<Box flexDirection="column">
			<Text bold>
				<Text color={stateColor(row.state)}>● </Text>
				{t('panel.detail.title', { name: row.name ?? row.peer, router: router.target.name })}
				{row.name ? ` (${row.peer})` : ''}
			</Text>
			<Section title={t('panel.detail.phase1')} />
			{ike ? (
				<Text wrap="wrap">
					{t('panel.detail.ike', {
						state: ike.state,
						version: v(ike.version),
						encryption: v(ike.encryption),
						integrity: v(ike.integrity),
						dhGroup: v(ike.dhGroup),
						expires: formatDuration(ike.expiresInSeconds) ?? '-',
						nat: v(ike.natTraversal),
						local: v(ike.local),
					})}
				</Text>
			) : (
				<Text color="red">{t('panel.detail.missing')}</Text>
			)}
			<Section title={t('panel.detail.phase2')} />
			{row.ipsec.length === 0 ? <Text color="red">{t('panel.detail.missing')}</Text> : null}
			{row.ipsec.map((sa, index) => (
				<Box key={`${sa.spiIn ?? index}`} flexDirection="column">
					<Text wrap="wrap">
						{t('panel.detail.ipsec', {
							state: sa.state,
							tunnel: v(sa.tunnel),
							spiIn: v(sa.spiIn),
							spiOut: v(sa.spiOut),
							encryption: v(sa.encryption),
							integrity: v(sa.integrity),
							expires: formatDuration(sa.expiresInSeconds) ?? '-',
						})}
					</Text>
					<Text color="gray" wrap="wrap">
						{'  '}
						{t('panel.detail.counters', {
							bytesIn: v(sa.bytesIn),
							bytesOut: v(sa.bytesOut),
							packetsIn: v(sa.packetsIn),
							packetsOut: v(sa.packetsOut),
						})}
					</Text>
				</Box>
			))}
			<Section title={t('panel.detail.bgp')} />
			{row.bgp ? (
				<Text color={stateColor(row.bgp.state)} wrap="wrap">
					{t('panel.detail.bgpLine', {
						neighbor: row.bgp.neighbor,
						as: v(row.bgp.remoteAs),
						state: row.bgp.state,
						uptime: formatSpan(row.bgp.uptimeSeconds),
						prefixes: v(row.bgp.prefixesReceived),
					})}
				</Text>
			) : (
				<Text color="gray">{t('panel.none')}</Text>
			)}
			{row.aws ? (
				<>
					<Section title={t('panel.detail.aws')} />
					<Text color={stateColor(row.aws.status)} wrap="wrap">
						{t('panel.detail.awsLine', {
							id: row.aws.vpnConnectionId,
							status: row.aws.status,
							routes: v(row.aws.acceptedRouteCount),
							changed: v(row.aws.lastStatusChange),
							message: row.aws.statusMessage ?? '',
						})}
					</Text>
				</>
			) : null}
			<Section title={t('panel.detail.traffic')} />
			<Text>
				{t('panel.detail.rates', {
					in: formatRate(latest?.bytesInPerSecond),
					out: formatRate(latest?.bytesOutPerSecond),
				})}
			</Text>
			<Text color="cyan">in {lines.in}</Text>
			<Text color="magenta">out {lines.out}</Text>
			<Box marginTop={1}>
				<FindingList findings={router.findings.filter((finding) => finding.peer === row.peer)} limit={5} />
			</Box>
			<Box marginTop={1}>
				<EventLog events={router.events.filter((event) => event.peer === row.peer)} limit={5} />
			</Box>
			<Section title={t('panel.detail.raw')} />
			{rawLinesFor(router.raw, row).map((entry) => (
				<Box key={entry.command} flexDirection="column">
					<Text color="gray"># {entry.command}</Text>
					{entry.lines.slice(0, rawLines).map((line, index) => (
						<Text key={`${entry.command}:${index}`} wrap="truncate-end">
							{line}
						</Text>
					))}
				</Box>
			))}
		</Box>
	);
}
