import { Box, Text } from 'ink';
import type { DiagnosedFinding } from '../../monitor/findings.js';
import { useT } from '../i18n-context.js';

const look = {
	error: { icon: '✖', color: 'red' },
	warning: { icon: '▲', color: 'yellow' },
	info: { icon: '●', color: 'cyan' },
} as const;

/** What is wrong and what to check, in the user's language; hints wrap, messages lead. */
export function FindingList({
	findings,
	limit,
	hints = 'all',
}: {
	findings: readonly DiagnosedFinding[];
	limit: number;
	/** `first`: on a short terminal, only the most severe finding says what to do (one line each otherwise). */
	hints?: 'all' | 'first';
}) {
	const t = useT();
	const shown = findings.slice(0, limit);
	return (
		<Box flexDirection="column">
			<Text bold underline>
				{t('panel.findings')}
			</Text>
			{findings.length === 0 ? <Text color="green">{t('panel.noFindings')}</Text> : null}
			{shown.map((finding, index) => {
				const style = look[finding.severity] ?? look.info;
				const full = hints === 'all' || index === 0;
				return (
					<Box key={`${finding.code}:${finding.peer ?? ''}:${index}`} flexDirection="column">
						<Text color={style.color} wrap={full ? 'wrap' : 'truncate-end'}>
							{style.icon} {finding.message}
						</Text>
						{full && finding.hint ? <Text color="gray">{`  ${finding.hint}`}</Text> : null}
					</Box>
				);
			})}
			{findings.length > shown.length ? (
				<Text color="gray">{t('panel.moreFindings', { count: findings.length - shown.length })}</Text>
			) : null}
		</Box>
	);
}
