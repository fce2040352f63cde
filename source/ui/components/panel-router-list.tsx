import { Box, Text } from 'ink';
import type { MessageKey } from '../../i18n/index.js';
import type { RouterView } from '../../monitor/router-monitor.js';
import { useT } from '../i18n-context.js';
import { padCell, stateColor } from './panel-format.js';
import { ageSeconds } from './panel-header.js';

export function routerHealth(router: RouterView): 'green' | 'yellow' | 'red' {
	if (router.snapshot?.router?.reachable === false || router.stale) return 'red';
	if (router.findings.some((finding) => finding.severity === 'error')) return 'red';
	if (router.rows.some((row) => row.state !== 'up') || router.findings.some((f) => f.severity === 'warning'))
		return 'yellow';
	return 'green';
}

/** Every router on one line each: connection, tunnels up, findings, age of the last poll. */
export function PanelRouterList({
	routers,
	selected,
	now,
	columns,
}: {
	routers: readonly RouterView[];
	selected: number;
	now: number;
	columns: number;
}) {
	const t = useT();
	const name = columns >= 100 ? 20 : 14;
	const address = columns >= 100 ? 18 : 15;
	return (
		<Box flexDirection="column">
			<Text bold underline>
				{t('panel.routers')}
			</Text>
			<Text color="gray" wrap="truncate-end">
				{'  '}
				{padCell(t('panel.col.router'), name)} {padCell(t('panel.col.address'), address)}{' '}
				{padCell(t('panel.col.connection'), 11)} {padCell(t('panel.col.tunnelsUp'), 9)}{' '}
				{padCell(t('panel.col.findings'), 14)} {t('panel.lastPoll')}
			</Text>
			{routers.length === 0 ? <Text color="gray">{t('panel.noRouters')}</Text> : null}
			{routers.map((router, index) => {
				const up = router.rows.filter((row) => row.state === 'up').length;
				const errors = router.findings.filter((finding) => finding.severity === 'error').length;
				const warnings = router.findings.filter((finding) => finding.severity === 'warning').length;
				const age = ageSeconds(now, router.lastPolledAt);
				return (
					<Text key={`${router.target.name}:${index}`} inverse={index === selected} wrap="truncate-end">
						<Text color={routerHealth(router)}>{index === selected ? '▶ ' : '● '}</Text>
						{padCell(router.target.name, name)} {padCell(router.target.host, address)}{' '}
						<Text color={stateColor(router.connection)}>
							{padCell(t(`panel.state.${router.connection}` as MessageKey), 11)}
						</Text>{' '}
						{padCell(t('panel.tunnelsUp', { up, total: router.rows.length }), 9)}{' '}
						<Text color={errors > 0 ? 'red' : warnings > 0 ? 'yellow' : 'green'}>
							{padCell(t('panel.findingCounts', { errors, warnings }), 14)}
						</Text>{' '}
						{router.stale ? (
							<Text color="red" bold>
								{t('panel.staleShort', { seconds: age ?? 0 })}
							</Text>
						) : age === undefined ? (
							t('panel.never')
						) : (
							t('panel.ago', { seconds: age })
						)}
					</Text>
				);
			})}
		</Box>
	);
}
