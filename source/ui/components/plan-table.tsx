import { Box, Text } from 'ink';
import type { MessageKey } from '../../i18n/index.js';
import { useT } from '../i18n-context.js';
import type { PlanChange } from '../services.js';

const marks = { create: ['+', 'green'], keep: ['=', 'gray'], replace: ['±', 'yellow'] } as const;

export function PlanTable({ changes }: { changes: PlanChange[] }) {
	const t = useT();
	const count = (action: PlanChange['action']) => changes.filter((change) => change.action === action).length;
	return (
		<Box flexDirection="column">
			{changes.map((change) => {
				const [mark, color] = marks[change.action];
				return (
					<Text key={`${change.kind}:${change.name}`} color={color} wrap="truncate-end">
						{mark} {t(`plan.${change.action}`).padEnd(8)} {t(`kind.${change.kind}` as MessageKey).padEnd(18)}{' '}
						{change.name}
						{change.id ? ` (${change.id})` : ''}
					</Text>
				);
			})}
			<Text>
				{count('create') + count('replace') === 0
					? t('plan.nothing')
					: t('plan.summary', { create: count('create'), keep: count('keep'), replace: count('replace') })}
			</Text>
		</Box>
	);
}
