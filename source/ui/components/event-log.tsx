import { Box, Text } from 'ink';
import { describeEvent, type MonitorEvent } from '../../monitor/events.js';
import { useT } from '../i18n-context.js';
import { clockTime } from './panel-format.js';

const severityColor = { error: 'red', warning: 'yellow', info: 'green' } as const;

/** The newest `limit` events, oldest first, each with its local time. */
export function EventLog({ events, limit }: { events: readonly MonitorEvent[]; limit: number }) {
	const t = useT();
	const shown = events.slice(-limit);
	return (
		<Box flexDirection="column">
			<Text bold underline>
				{t('panel.events')}
			</Text>
			{shown.length === 0 ? <Text color="gray">{t('panel.noEvents')}</Text> : null}
			{shown.map((event, index) => (
				<Text key={`${event.at}:${event.code}:${index}`} wrap="truncate-end">
					<Text color="gray">{clockTime(event.at)}</Text>{' '}
					<Text color={severityColor[event.severity]}>{describeEvent(event, t)}</Text>
				</Text>
			))}
		</Box>
	);
}
