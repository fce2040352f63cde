import { Box, Text } from 'ink';
import type { StatusSnapshot } from '../../router/model.js';
import { useT } from '../i18n-context.js';

const stateColor = (state: string) =>
	state === 'established' || state === 'up'
		? 'green'
		: state === 'negotiating' || state === 'opensent'
			? 'yellow'
			: 'red';

function cell(text: string | number | undefined, width: number): string {
	const value = text === undefined ? '-' : String(text);
	return value.length > width ? `${value.slice(0, width - 1)}…` : value.padEnd(width);
}

export function formatDuration(seconds: number | undefined): string | undefined {
	if (seconds === undefined) return undefined;
	const days = Math.floor(seconds / 86400);
	const hours = Math.floor((seconds % 86400) / 3600);
	const minutes = Math.floor((seconds % 3600) / 60);
	const secs = seconds % 60;
	const clock = `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}:${String(secs).padStart(2, '0')}`;
	return days > 0 ? `${days}d ${clock}` : clock;
}

function Header({ children }: { children: string }) {
	return (
		<Text bold underline>
			{children}
		</Text>
	);
}

/** The three tables of the panel, updated in place; widths fit 80 columns. */
export function SaTables({ snapshot, stale }: { snapshot: StatusSnapshot; stale: boolean }) {
	const t = useT();
	const dim = stale;
	const ike = snapshot.ike ?? [];
	const ipsec = snapshot.ipsec ?? [];
	const bgp = snapshot.bgp ?? [];
	return (
		<Box flexDirection="column">
			<Header>{t('panel.ike')}</Header>
			<Text color="gray">
				{cell(t('panel.col.peer'), 17)} {cell(t('panel.col.state'), 12)} {cell(t('panel.col.version'), 4)}{' '}
				{cell(t('panel.col.expires'), 9)}
			</Text>
			{ike.length === 0 ? <Text color="gray">{t('panel.none')}</Text> : null}
			{ike.map((sa, index) => (
				<Text key={`ike:${sa.peer}:${index}`} dimColor={dim}>
					{cell(sa.peer, 17)} <Text color={stateColor(sa.state)}>{cell(sa.state, 12)}</Text>{' '}
					{cell(sa.version ? `v${sa.version}` : undefined, 4)} {cell(formatDuration(sa.expiresInSeconds), 9)}
				</Text>
			))}
			<Box marginTop={1}>
				<Header>{t('panel.ipsec')}</Header>
			</Box>
			<Text color="gray">
				{cell(t('panel.col.peer'), 17)} {cell(t('panel.col.state'), 6)} {cell(t('panel.col.spi'), 23)}{' '}
				{cell(t('panel.col.expires'), 9)} {cell(t('panel.col.bytes'), 18)}
			</Text>
			{ipsec.length === 0 ? <Text color="gray">{t('panel.none')}</Text> : null}
			{ipsec.map((sa, index) => (
				<Text key={`ipsec:${sa.peer}:${sa.spiIn ?? index}`} dimColor={dim}>
					{cell(sa.peer, 17)} <Text color={stateColor(sa.state)}>{cell(sa.state, 6)}</Text>{' '}
					{cell(sa.spiIn || sa.spiOut ? `${sa.spiIn ?? '-'}/${sa.spiOut ?? '-'}` : undefined, 23)}{' '}
					{cell(formatDuration(sa.expiresInSeconds), 9)}{' '}
					{cell(
						sa.bytesIn === undefined && sa.bytesOut === undefined
							? undefined
							: `${sa.bytesIn ?? '-'}/${sa.bytesOut ?? '-'}`,
						18,
					)}
				</Text>
			))}
			<Box marginTop={1}>
				<Header>{t('panel.bgp')}</Header>
			</Box>
			<Text color="gray">
				{cell(t('panel.col.neighbor'), 17)} {cell(t('panel.col.as'), 11)} {cell(t('panel.col.state'), 12)}{' '}
				{cell(t('panel.col.uptime'), 12)} {cell(t('panel.col.prefixes'), 5)}
			</Text>
			{bgp.length === 0 ? <Text color="gray">{t('panel.none')}</Text> : null}
			{bgp.map((neighbor) => (
				<Text key={`bgp:${neighbor.neighbor}`} dimColor={dim}>
					{cell(neighbor.neighbor, 17)} {cell(neighbor.remoteAs, 11)}{' '}
					<Text color={stateColor(neighbor.state)}>{cell(neighbor.state, 12)}</Text>{' '}
					{cell(formatDuration(neighbor.uptimeSeconds), 12)} {cell(neighbor.prefixesReceived, 5)}
				</Text>
			))}
		</Box>
	);
}
