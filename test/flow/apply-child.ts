/**
 * The apply a kill-and-resume test runs in a child process (node --import tsx), so that it can be
 * SIGKILLed at any moment. Arguments: endpoint, answers JSON file, state file. Prints each event
 * as one JSON line on stdout (the parent uses them to time its kills).
 */
import { readFile } from 'node:fs/promises';
import { createEc2Client } from '../../source/aws/client.js';
import { parseAnswers } from '../../source/flow/answers.js';
import { applyFlow } from '../../source/flow/runner.js';
import { SANDBOX_CREDENTIALS } from '../../source/sandbox/ec2/index.js';

const [endpoint, answersFile, statePath] = process.argv.slice(2);
if (!endpoint || !answersFile || !statePath) {
	process.stderr.write('usage: apply-child.ts ENDPOINT ANSWERS.json STATE.json\n');
	process.exit(2);
}
const answers = parseAnswers(JSON.parse(await readFile(answersFile, 'utf8')));
const ec2 = createEc2Client({ region: answers.region, endpoint, credentials: SANDBOX_CREDENTIALS });
const result = await applyFlow({
	ec2,
	answers,
	statePath,
	endpoint,
	timings: { intervalMs: 20, timeoutMs: 30_000, dependencyTimeoutMs: 15_000 },
	onEvent: (event) =>
		process.stdout.write(
			`${JSON.stringify({ event: event.type, kind: event.kind, action: event.action })}\n`,
		),
});
process.stdout.write(`${JSON.stringify({ done: true, instance: result.instance.id })}\n`);
