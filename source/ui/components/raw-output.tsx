import { Box, Text } from 'ink';
import type { RouterView } from '../../monitor/router-monitor.js';
import { useT } from '../i18n-context.js';

/** `l`: what the router printed at the last poll, per command, and what the parsers did not understand. */
export function RawOutput({ router, maxLines }: { router: RouterView; maxLines: number }) {
	const t = useT();
	const entries = Object.entries(router.raw);
	const unparsed = router.snapshot?.unparsed ?? [];
	return (
		<Box flexDirection="column">
			<Text bold underline>
				{t('panel.raw.title', { router: router.target.name })}
			</Text>
			{entries.length === 0 ? <Text color="gray">{t('panel.raw.none')}</Text> : null}
			{entries.map(([command, output]) => {
				const lines = String(output).split(/\r?\n/);
				return (
					<Box key={command} flexDirection="column">
						<Text color="cyan"># {command}</Text>
						{lines.slice(0, maxLines).map((line, index) => (
							<Text key={`${command}:${index}`} wrap="truncate-end">
								{line === '' ? ' ' : line}
							</Text>
						))}
						{lines.length > maxLines ? <Text color="gray">… (+{lines.length - maxLines})</Text> : null}
					</Box>
				);
			})}
			{unparsed.length > 0 ? (
				<Text color="yellow">{t('panel.unparsed', { count: unparsed.length })}</Text>
			) : null}
		</Box>
	);
}
