import { type Answers, AnswersError, loadAnswersFile } from '../flow/answers.js';
import { hasErrors, validateAnswers } from '../flow/validate.js';
import { formatIssues, UsageError } from './errors.js';
import type { CommandIo } from './io.js';

/** Load and validate the answers file: errors end the command (exit 2), warnings go to stderr. */
export async function loadValidAnswers(file: string | undefined, io: CommandIo): Promise<Answers> {
	if (!file) throw new UsageError(io.t('cli.answersRequired'));
	const answers = await loadAnswersFile(file);
	const issues = validateAnswers(answers);
	if (hasErrors(issues)) throw new AnswersError(file, issues);
	if (issues.length > 0) io.stderr.write(`${formatIssues(io.t, file, issues)}\n`);
	return answers;
}
