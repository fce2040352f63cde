import { Box, Text } from 'ink';
import type { MessageKey } from '../../i18n/index.js';
import { useT } from '../i18n-context.js';

const keys: [string, MessageKey][] = [
	['?', 'panel.help.help'],
	['/', 'panel.help.filter'],
	['↑ ↓', 'panel.help.move'],
	['tab ← →', 'panel.help.switch'],
	['enter', 'panel.help.enter'],
	['esc', 'panel.help.back'],
	['r', 'panel.help.poll'],
	['p', 'panel.help.pause'],
	['l', 'panel.help.raw'],
	['s', 'panel.help.shell'],
	['e', 'panel.help.export'],
	['u', 'panel.help.upgrade'],
	['q', 'panel.help.quit'],
];

/** `?`: every key, one line each. */
export function HelpScreen() {
	const t = useT();
	return (
		<Box flexDirection="column">
			<Text bold underline>
				{t('panel.help.title')}
			</Text>
			{keys.map(([key, text]) => (
				<Text key={key} wrap="truncate-end">
					<Text color="cyan">{key.padEnd(8)}</Text> {t(text)}
				</Text>
			))}
			<Box marginTop={1}>
				<Text color="gray" wrap="wrap">
					{t('panel.help.stale')}
				</Text>
			</Box>
		</Box>
	);
}
