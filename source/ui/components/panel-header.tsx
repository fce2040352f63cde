import { Text } from 'ink';
import type { MessageKey } from '../../i18n/index.js';
import type { RouterView } from '../../monitor/router-monitor.js';
import { useT } from '../i18n-context.js';
import { stateColor } from './panel-format.js';

export function ageSeconds(now: number, date: Date | undefined): number | undefined {
	return date ? Math.max(0, Math.round((now - date.getTime()) / 1000)) : undefined;
}

/** One router's header: name, vendor, the router's own address, connection, age of the last poll, STALE. */
export function PanelHeader({ router, now }: { router: RouterView; now: number }) {
	const t = useT();
	const age = ageSeconds(now, router.lastPolledAt);
	return (
		<Text wrap="truncate-end">
			<Text bold>{router.target.name}</Text> ({router.target.vendor}) {router.target.host}{' '}
			<Text color={stateColor(router.connection)}>{t(`panel.state.${router.connection}` as MessageKey)}</Text>{' '}
			{t('panel.lastPoll')}: {age === undefined ? t('panel.never') : t('panel.ago', { seconds: age })}
			{router.lastPollDurationMs !== undefined
				? ` · ${t('panel.pollTook', { ms: router.lastPollDurationMs })}`
				: ''}
			{router.stale ? (
				<Text color="red" bold>
					{' '}
					{t('panel.staleShort', { seconds: age ?? 0 })}
				</Text>
			) : null}
			{router.paused ? <Text color="yellow"> [{t('panel.paused')}]</Text> : null}
		</Text>
	);
}
