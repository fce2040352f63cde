import { Box, Text } from 'ink';
import type { AnswerIssue } from '../../flow/answers.js';
import type { WizardQuestion } from '../../flow/wizard-flow.js';
import { useT } from '../i18n-context.js';
import { Choice } from './choice.js';
import { Question } from './question.js';

type Props = {
	question: WizardQuestion;
	initial: string;
	validate: (value: string) => AnswerIssue[];
	onSubmit: (value: string) => void;
	onBack?: () => void;
};

/** One question of a flow file: typed with inline validation, or picked from its `choices`; its hint below. */
export function AnswerInput({ question, initial, validate, onSubmit, onBack }: Props) {
	const t = useT();
	return (
		<Box flexDirection="column">
			{question.choices ? (
				<>
					<Text bold>{t(question.label)}:</Text>
					<Choice
						items={question.choices.map((choice) => ({
							key: choice.value,
							label: t(choice.label),
							value: choice.value,
						}))}
						initialKey={initial}
						onSelect={(item) => onSubmit(item.value)}
						{...(onBack ? { onBack } : {})}
					/>
				</>
			) : (
				<Question
					label={question.label}
					initial={initial}
					validate={validate}
					onSubmit={onSubmit}
					{...(onBack ? { onBack } : {})}
				/>
			)}
			{question.hint ? (
				<Text color="gray" wrap="wrap">
					{t(question.hint)}
				</Text>
			) : null}
		</Box>
	);
}
