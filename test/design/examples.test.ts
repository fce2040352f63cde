import { describe, expect, it } from 'vitest';
import { loadAnswersFile } from '../../source/flow/answers.js';
import { hasErrors, validateAnswers } from '../../source/flow/validate.js';
import { validateModeAnswers } from '../../source/flow/validate-vpn.js';

const example = (name: string) => new URL(`../../flows/examples/${name}.yaml`, import.meta.url).pathname;

describe('shipped examples for the modes', () => {
	it.each(['single-aws-vpn', 'multi-tenant'])('%s parses and passes every rule', async (name) => {
		const answers = await loadAnswersFile(example(name));
		expect(answers.flow).toBe(name);
		const issues = [...validateAnswers(answers), ...validateModeAnswers(answers)];
		expect(issues.filter((issue) => issue.severity === 'error')).toEqual([]);
		expect(hasErrors(issues)).toBe(false);
	});
});
