import type { JourneyEvent } from '../flow/journey.js';
import type { MessageKey } from '../i18n/index.js';
import type { CommandIo } from './io.js';

type EventError = { code?: string; message?: string; requestId?: string; hint?: string };

/**
 * Non-interactive progress: one line per finished action on stderr (stdout stays for JSON). Every
 * sentence arrives already in the user's language (the runner renders it from the catalogs); waits
 * are printed only when their text changes, so a long poll does not flood the terminal.
 */
export function progressPrinter(io: CommandIo): (event: JourneyEvent) => void {
	const started = new Map<string, number>();
	let lastWait = '';
	return (event) => {
		const kind = io.t(`kind.${event.kind}` as MessageKey);
		const key = `${event.kind}:${event.name}`;
		const message = 'message' in event ? event.message : undefined;
		if (event.type !== 'wait') lastWait = '';
		switch (event.type) {
			case 'step-start':
				started.set(key, Date.now());
				if (message) io.stderr.write(`  … ${kind} ${event.name}: ${message}\n`);
				break;
			case 'step-done':
			case 'step-skip': {
				const elapsed = 'elapsedMs' in event && event.elapsedMs !== undefined ? event.elapsedMs : undefined;
				const seconds = ((elapsed ?? Date.now() - (started.get(key) ?? Date.now())) / 1000).toFixed(1);
				const action = 'action' in event && event.action ? event.action : 'keep';
				const label =
					action === 'create' || action === 'replace' || action === 'keep'
						? io.t(`plan.${action}`)
						: action === 'delete' || action === 'adopt'
							? io.t(`flow.action.${action}`)
							: action;
				const id = 'id' in event && event.id ? ` ${event.id}` : '';
				io.stderr.write(
					`  ✔ ${label} ${kind} ${event.name}${id} (${seconds}s)${message ? ` — ${message}` : ''}\n`,
				);
				break;
			}
			case 'retry':
				io.stderr.write(`  ↻ ${message ?? ''}\n`);
				break;
			case 'error': {
				const error = (event.error ?? {}) as EventError;
				io.stderr.write(
					`  ✗ ${io.t('apply.failed', {
						kind,
						name: event.name,
						code: error.code ?? '',
						message: error.message ?? '',
						requestId: error.requestId ?? '-',
					})}\n`,
				);
				if (error.hint) io.stderr.write(`    ${io.t('apply.failedHint', { hint: error.hint })}\n`);
				break;
			}
			case 'wait':
				if (message && message !== lastWait) io.stderr.write(`    ${message}\n`);
				lastWait = message ?? '';
				break;
			case 'note':
				if (message) io.stderr.write(`    ${message}\n`);
				break;
			case 'notice':
				io.stderr.write(`  ! ${event.message}\n`);
				break;
		}
	};
}
