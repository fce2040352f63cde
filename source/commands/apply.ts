import type { GlobalOptions } from '../cli.js';
import { runJourney } from '../flow/journey.js';
import { planFlow } from '../flow/plan.js';
import { FlowStepError } from '../flow/runner.js';
import { loadState } from '../flow/state.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import { loadValidAnswers } from './answers.js';
import { checkAnswersAgainstRegion, openBackend, translatingStateErrors } from './backend.js';
import { confirm } from './confirm.js';
import { OperationError, UsageError } from './errors.js';
import { type CommandIo, printJson } from './io.js';
import { offerSshAddress, planChangesOut, printPlan } from './plan.js';
import { progressPrinter } from './progress.js';

export type ApplyCommandOptions = GlobalOptions & {
	answers?: string;
	yes?: boolean;
	saveConfig?: boolean;
	json?: boolean;
};

/** A failed step as the user reads it: which resource, AWS's code, what to do, and the request id for AWS Support. */
export function stepFailureMessage(t: Translate, error: FlowStepError): string {
	const { description } = error;
	const lines = [
		t('flow.error.stopped', {
			kind: t(`kind.${error.kind}` as MessageKey),
			name: error.resourceName,
			code: description.code,
			message: description.message,
		}),
	];
	if (description.hint) lines.push(description.hint);
	if (description.requestId) lines.push(t('flow.error.requestId', { requestId: description.requestId }));
	return lines.join('\n');
}

/** The lines a router lacks, then y/N: the per-router confirmation of a push (keys already masked). */
async function confirmRouterChange(io: CommandIo, router: string, diff: readonly string[]): Promise<boolean> {
	io.stderr.write(`${io.t('apply.configDiff', { router })}\n${diff.join('\n')}\n`);
	return confirm(io, io.t('apply.confirmPush', { router }));
}

/** `kakehashi apply`: plan, confirm (unless --yes), apply AWS resources, configure routers, record them. */
export async function applyCommand(options: ApplyCommandOptions, io: CommandIo): Promise<number> {
	return translatingStateErrors(io.t, async () => {
		const answers = await loadValidAnswers(options.answers, io);
		const print = progressPrinter(io);
		// The answers' region decides where the stack lives; a different --region is refused below.
		const backend = await openBackend({ ...options, region: answers.region }, { region: answers.region });
		try {
			await checkAnswersAgainstRegion(backend, answers, options.answers ?? 'answers', {
				...(options.region ? { flagRegion: options.region } : {}),
				t: io.t,
			});
			await offerSshAddress(io, answers, backend.endpoint);
			if (!options.yes) {
				const plan = await planFlow({
					ec2: backend.ec2,
					answers,
					state: await loadState(options.state),
					t: io.t,
				});
				const human = { ...io, stdout: io.stderr };
				printPlan(human, planChangesOut(plan.changes));
				if (!(await confirm(io, io.t('cli.confirmApply')))) throw new UsageError(io.t('cli.confirmApply'));
			}
			const started = Date.now();
			let result: Awaited<ReturnType<typeof runJourney>>;
			try {
				result = await runJourney({
					ec2: backend.ec2,
					answers,
					statePath: options.state,
					endpoint: backend.sandbox ? undefined : backend.endpoint,
					sandboxRouters: backend.sandboxRouters,
					hostKeys: { knownHostsFile: options.knownHosts, acceptNew: options.acceptNewHostKey },
					t: io.t,
					onEvent: print,
					...(options.saveConfig ? { saveConfig: true } : {}),
					// without --yes each router's change is shown and confirmed before it is made
					...(options.yes ? {} : { confirmPush: (router, diff) => confirmRouterChange(io, router, diff) }),
				});
			} catch (error) {
				if (error instanceof FlowStepError) throw new OperationError(stepFailureMessage(io.t, error));
				throw error;
			}
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
	});
}
