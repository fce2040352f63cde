import type { GlobalOptions } from '../cli.js';
import { runJourney } from '../flow/journey.js';
import { planFlow } from '../flow/plan.js';
import { loadState } from '../flow/state.js';
import { loadValidAnswers } from './answers.js';
import { openBackend } from './backend.js';
import { confirm } from './confirm.js';
import { UsageError } from './errors.js';
import { type CommandIo, printJson } from './io.js';
import { printPlan } from './plan.js';
import { progressPrinter } from './progress.js';

export type ApplyCommandOptions = GlobalOptions & { answers?: string; yes?: boolean; json?: boolean };

/** `kakehashi apply`: plan, confirm (unless --yes), apply AWS resources, configure routers, record them. */
export async function applyCommand(options: ApplyCommandOptions, io: CommandIo): Promise<number> {
	const answers = await loadValidAnswers(options.answers, io);
	const print = progressPrinter(io);
	const backend = await openBackend(options, {
		region: answers.region,
		onRetry: (notice) =>
			print({ type: 'retry', kind: 'vpc', name: '', attempt: notice.attempt, message: notice.errorCode }),
	});
	try {
		if (!options.yes) {
			const plan = await planFlow({ ec2: backend.ec2, answers, state: await loadState(options.state) });
			const human = { ...io, stdout: io.stderr };
			printPlan(human, plan.changes);
			if (!(await confirm(io, io.t('cli.confirmApply')))) throw new UsageError(io.t('cli.confirmApply'));
		}
		const started = Date.now();
		const result = await runJourney({
			ec2: backend.ec2,
			answers,
			statePath: options.state,
			endpoint: backend.sandbox ? undefined : backend.endpoint,
			sandboxRouters: backend.sandboxRouters,
			hostKeys: { knownHostsFile: options.knownHosts, acceptNew: options.acceptNewHostKey },
			t: io.t,
			onEvent: print,
		});
		io.stderr.write(`${io.t('apply.done', { seconds: ((Date.now() - started) / 1000).toFixed(1) })}\n`);
		const routers = result.targets.map(({ name, host, port, user, vendor }) => ({
			name,
			host,
			port,
			user,
			vendor,
		}));
		if (options.json) {
			printJson(io, { flow: result.flow, region: result.region, resources: result.resources, routers });
		} else {
			for (const router of routers) {
				io.stdout.write(
					`${router.name}: ssh ${router.user}@${router.host} -p ${router.port} (${router.vendor})\n`,
				);
			}
		}
		return 0;
	} finally {
		await backend.close();
	}
}
