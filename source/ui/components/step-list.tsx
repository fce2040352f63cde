import { Box, Text } from 'ink';
import type { MessageKey } from '../../i18n/index.js';
import { useT } from '../i18n-context.js';

export type StepListItem = { id: string; title: MessageKey };

/** The wizard's progress: done ✔, current ▶, pending ·. */
export function StepList({ steps, current }: { steps: StepListItem[]; current: number }) {
	const t = useT();
	return (
		<Box flexDirection="column" marginRight={2} minWidth={24}>
			{steps.map((step, index) => {
				const done = index < current;
				const active = index === current;
				return (
					<Text
						key={step.id}
						color={active ? 'cyan' : done ? 'green' : 'gray'}
						bold={active}
						wrap="truncate-end"
					>
						{done ? '✔' : active ? '▶' : '·'} {t(step.title)}
					</Text>
				);
			})}
		</Box>
	);
}
