import { Box, Text } from 'ink';
import Spinner from 'ink-spinner';
import type { MessageKey, Translate } from '../../i18n/index.js';
import { useT } from '../i18n-context.js';
import type { ApplyEvent } from '../services.js';

function actionLabel(t: Translate, action: string): string {
	return action === 'create' || action === 'keep' || action === 'replace' ? t(`plan.${action}`) : action;
}

export type ApplyLine = ApplyEvent & { startedAt: number; finishedAt?: number };

/** One line per action: a spinner while it runs, elapsed time, and AWS's error code + request id on failure. */
export function ApplyLog({ lines, now }: { lines: ApplyLine[]; now: number }) {
	const t = useT();
	return (
		<Box flexDirection="column">
			{lines.map((line, index) => {
				const elapsedMs = line.elapsedMs ?? Math.max(0, (line.finishedAt ?? now) - line.startedAt);
				const seconds = (elapsedMs / 1000).toFixed(1);
				const kind = t(`kind.${line.kind}` as MessageKey);
				const key = `${index}:${line.kind}:${line.type}`;
				if (line.type === 'notice') {
					return (
						<Text key={key} color="magenta" wrap="wrap">
							{line.message}
						</Text>
					);
				}
				if (line.type === 'retry') {
					return (
						<Text key={key} color="yellow" wrap="truncate-end">
							↻ {/* the runner's own (translated) reason: throttling, or dependencies draining */}
							{line.message ??
								t('apply.retry', {
									action: line.action ?? kind,
									code: line.error?.code ?? '',
									attempt: line.attempt ?? 1,
								})}
						</Text>
					);
				}
				if (line.type === 'error') {
					return (
						<Box key={key} flexDirection="column">
							<Text color="red" wrap="wrap">
								✗{' '}
								{t('apply.failed', {
									kind,
									name: line.name,
									code: line.error?.code ?? '',
									message: line.error?.message ?? '',
									requestId: line.error?.requestId ?? '-',
								})}
							</Text>
							{line.error?.hint ? (
								<Text color="red">{t('apply.failedHint', { hint: line.error.hint })}</Text>
							) : null}
						</Box>
					);
				}
				const running = line.type === 'step-start';
				return (
					<Text key={key} color={running ? 'cyan' : 'green'} wrap="truncate-end">
						{running ? <Spinner type="dots" /> : '✔'} {kind} {line.name}
						{line.id ? ` ${line.id}` : ''}
						{line.action ? ` — ${actionLabel(t, line.action)}` : ''} ({seconds}s)
					</Text>
				);
			})}
		</Box>
	);
}
