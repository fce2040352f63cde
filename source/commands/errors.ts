import { type AnswerIssue, AnswersError } from '../flow/answers.js';
import { SecretError } from '../flow/secrets.js';
import type { MessageKey, Translate } from '../i18n/index.js';

/** Bad usage or invalid input: exit code 2 (contract.md). The message is already in the user's language. */
export class UsageError extends Error {
	readonly exitCode = 2;
	constructor(message: string) {
		super(message);
		this.name = 'UsageError';
	}
}

/** The operation failed: exit code 1. The message says what and what to do. */
export class OperationError extends Error {
	readonly exitCode = 1;
	constructor(message: string) {
		super(message);
		this.name = 'OperationError';
	}
}

export function issueMessage(t: Translate, issue: AnswerIssue): string {
	return t(`rule.${issue.rule}` as MessageKey, { path: issue.path, ...issue.vars });
}

/** Print issues as a list; returns true when any is an error. */
export function formatIssues(t: Translate, file: string, issues: AnswerIssue[]): string {
	const errors = issues.filter((issue) => issue.severity === 'error');
	const warnings = issues.filter((issue) => issue.severity === 'warning');
	const lines: string[] = [];
	if (errors.length > 0) {
		lines.push(t('answers.invalid', { file }));
		for (const issue of errors) lines.push(`  ✗ ${issueMessage(t, issue)}`);
	}
	if (warnings.length > 0) {
		lines.push(t('answers.warnings'));
		for (const issue of warnings) lines.push(`  ! ${issueMessage(t, issue)}`);
	}
	return lines.join('\n');
}

export function secretMessage(t: Translate, error: SecretError): string {
	return t(`secret.${error.reason}` as MessageKey, { reference: error.reference });
}

/** Maps any thrown value to the exit code and the sentence to print (never a stack trace for a user error). */
export function toExit(t: Translate, error: unknown): { code: number; message: string } {
	if (error instanceof AnswersError) return { code: 2, message: formatIssues(t, error.file, error.issues) };
	if (error instanceof UsageError) return { code: 2, message: t('cli.usage', { message: error.message }) };
	if (error instanceof SecretError)
		return { code: 2, message: t('cli.usage', { message: secretMessage(t, error) }) };
	if (error instanceof OperationError)
		return { code: 1, message: t('cli.error', { message: error.message }) };
	const message = error instanceof Error ? error.message : String(error);
	return { code: 1, message: t('cli.error', { message }) };
}
