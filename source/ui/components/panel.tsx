import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import type { MessageKey } from '../../i18n/index.js';
import type { PollerState } from '../../monitor/poller.js';
import { useColumns } from '../hooks/use-columns.js';
import { useNow } from '../hooks/use-now.js';
import { useT } from '../i18n-context.js';
import { SaTables } from './sa-tables.js';

type Props = {
	routers: PollerState[];
	onPollNow: (index: number) => void;
	onPause: (index: number, paused: boolean) => void;
	onQuit: () => void;
};

function ageSeconds(now: number, date: Date | undefined): number | undefined {
	return date ? Math.max(0, Math.round((now - date.getTime()) / 1000)) : undefined;
}

const connectionColor = (state: string) =>
	state === 'ready' ? 'green' : state === 'closed' ? 'red' : 'yellow';

/** The live panel: one line per router (tab to switch), the selected router's tables, the key hint. */
export function Panel({ routers, onPollNow, onPause, onQuit }: Props) {
	const t = useT();
	const now = useNow(1000);
	const columns = useColumns();
	const [selected, setSelected] = useState(0);
	const current = routers[Math.min(selected, routers.length - 1)];

	useInput((input, key) => {
		if (input === 'q') onQuit();
		else if (key.tab || key.rightArrow) setSelected((index) => (index + 1) % Math.max(1, routers.length));
		else if (key.leftArrow)
			setSelected((index) => (index - 1 + routers.length) % Math.max(1, routers.length));
		else if (input === 'r') onPollNow(selected);
		else if (input === 'p' && current) onPause(selected, !current.paused);
	});

	return (
		<Box flexDirection="column" width={columns}>
			<Text bold>
				{t('panel.title')}
				{current?.paused ? <Text color="yellow"> [{t('panel.paused')}]</Text> : null}
			</Text>
			{routers.map((router, index) => {
				const age = ageSeconds(now, router.lastPolledAt);
				return (
					<Text key={router.target.name} inverse={index === selected} wrap="truncate-end">
						{index === selected ? '▶' : ' '} {router.target.name} ({router.target.vendor}){' '}
						{router.target.host}:{router.target.port}{' '}
						<Text color={connectionColor(router.connection)}>
							{t(`panel.state.${router.connection}` as MessageKey)}
						</Text>{' '}
						{t('panel.lastPoll')}: {age === undefined ? t('panel.never') : t('panel.ago', { seconds: age })}
					</Text>
				);
			})}
			{current ? (
				<Box flexDirection="column" marginTop={1}>
					{current.stale ? (
						<Text color="red" bold>
							{t('panel.stale', { seconds: ageSeconds(now, current.lastPolledAt) ?? 0 })}
						</Text>
					) : null}
					{current.error ? (
						<Text color="red" wrap="truncate-end">
							{t('panel.error', { message: current.error })}
						</Text>
					) : null}
					{current.snapshot ? <SaTables snapshot={current.snapshot} stale={current.stale} /> : null}
					{current.snapshot?.unparsed && current.snapshot.unparsed.length > 0 ? (
						<Text color="gray">{t('panel.unparsed', { count: current.snapshot.unparsed.length })}</Text>
					) : null}
				</Box>
			) : null}
			<Box marginTop={1}>
				<Text color="gray">{t('panel.footer')}</Text>
			</Box>
		</Box>
	);
}
