import type { GlobalOptions } from '../cli.js';
import { destroyFlow } from '../flow/runner.js';
import { loadState } from '../flow/state.js';
import type { MessageKey } from '../i18n/index.js';
import { openBackend, translatingStateErrors } from './backend.js';
import { confirm } from './confirm.js';
import { OperationError, UsageError } from './errors.js';
import { type CommandIo, printJson } from './io.js';
import { progressPrinter } from './progress.js';

export type DestroyCommandOptions = GlobalOptions & { yes?: boolean; json?: boolean };

/**
 * `kakehashi destroy`: everything the state file says this tool created, in reverse order; then
 * what could not be deleted and why (AWS's code, what to do, the request id), and what was left
 * alone because it existed before kakehashi.
 */
export async function destroyCommand(options: DestroyCommandOptions, io: CommandIo): Promise<number> {
	return translatingStateErrors(io.t, async () => {
		const state = await loadState(options.state);
		if (!state) throw new OperationError(io.t('cli.stateMissing', { path: options.state }));
		if (options.region && options.region !== state.region) {
			throw new UsageError(
				io.t('flow.error.stateRegionMismatch', {
					flag: options.region,
					region: state.region,
					file: options.state,
				}),
			);
		}
		if (!options.yes) {
			for (const resource of [...state.resources].reverse()) {
				if (resource.created)
					io.stderr.write(`  - ${io.t(`kind.${resource.kind}` as MessageKey)} ${resource.id}\n`);
			}
			if (!(await confirm(io, io.t('cli.confirmDestroy')))) throw new UsageError(io.t('cli.confirmDestroy'));
		}
		const backend = await openBackend(
			{
				...options,
				region: state.region,
				endpointUrl: options.endpointUrl ?? (options.sandbox ? undefined : state.endpoint),
			},
			{ region: state.region },
		);
		try {
			const result = await destroyFlow({
				ec2: backend.ec2,
				statePath: options.state,
				onEvent: progressPrinter(io),
				t: io.t,
			});
			io.stderr.write(`${io.t('destroy.done', { count: result.deleted.length })}\n`);
			if (result.failed.length > 0) {
				io.stderr.write(`${io.t('flow.destroy.failedHead')}\n`);
				for (const failed of result.failed) {
					io.stderr.write(
						`  ✗ ${io.t('destroy.failed', {
							kind: io.t(`kind.${failed.kind}` as MessageKey),
							id: failed.id,
							code: failed.code,
							message: failed.message,
						})}\n`,
					);
					if (failed.hint) io.stderr.write(`    ${io.t('apply.failedHint', { hint: failed.hint })}\n`);
					if (failed.requestId)
						io.stderr.write(`    ${io.t('flow.error.requestId', { requestId: failed.requestId })}\n`);
				}
				io.stderr.write(`${io.t('destroy.left', { count: result.failed.length })}\n`);
			}
			if (result.kept.length > 0) {
				io.stderr.write(`${io.t('flow.destroy.keptHead')}\n`);
				for (const kept of result.kept) {
					io.stderr.write(`  = ${io.t(`kind.${kept.kind}` as MessageKey)} ${kept.id} (${kept.name})\n`);
				}
			}
			if (options.json) printJson(io, result);
			return result.failed.length > 0 ? 1 : 0;
		} finally {
			await backend.close();
		}
	});
}
