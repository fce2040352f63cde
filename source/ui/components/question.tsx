import { Box, Text, useInput } from 'ink';
import TextInput from 'ink-text-input';
import { useState } from 'react';
import type { AnswerIssue } from '../../flow/answers.js';
import type { MessageKey } from '../../i18n/index.js';
import { useT } from '../i18n-context.js';

type Props = {
	label: MessageKey;
	initial: string;
	validate: (value: string) => AnswerIssue[];
	onSubmit: (value: string) => void;
	onBack?: () => void;
};

/**
 * One question with inline validation: errors block, warnings need a second enter (the
 * 172.31.0.0/16 warning must never be accepted silently).
 */
export function Question({ label, initial, validate, onSubmit, onBack }: Props) {
	const t = useT();
	const [value, setValue] = useState(initial);
	const [issues, setIssues] = useState<AnswerIssue[]>([]);
	const [warnedFor, setWarnedFor] = useState<string | undefined>();

	useInput((_input, key) => {
		if (key.escape && onBack) onBack();
	});

	const submit = (text: string) => {
		const found = validate(text);
		setIssues(found);
		if (found.some((issue) => issue.severity === 'error')) return;
		if (found.length > 0 && warnedFor !== text) {
			setWarnedFor(text);
			return;
		}
		onSubmit(text);
	};

	return (
		<Box flexDirection="column">
			<Box>
				<Text bold>{t(label)}: </Text>
				<TextInput
					value={value}
					onChange={(next) => {
						setValue(next);
						setIssues([]);
					}}
					onSubmit={submit}
				/>
			</Box>
			{issues.map((issue) => (
				<Text
					key={`${issue.path}:${issue.rule}`}
					color={issue.severity === 'error' ? 'red' : 'yellow'}
					wrap="wrap"
				>
					{issue.severity === 'error' ? '✗ ' : '! '}
					{t(`rule.${issue.rule}` as MessageKey, { path: issue.path, ...issue.vars })}
				</Text>
			))}
			{warnedFor === value && issues.length > 0 && !issues.some((issue) => issue.severity === 'error') ? (
				<Text color="yellow">{t('wizard.confirmWarning')}</Text>
			) : null}
		</Box>
	);
}
