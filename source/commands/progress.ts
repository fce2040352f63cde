import type { JourneyEvent } from '../flow/journey.js';
import type { MessageKey } from '../i18n/index.js';
import type { CommandIo } from './io.js';

/** Non-interactive progress: one line per finished action on stderr (stdout stays for JSON). */
export function progressPrinter(io: CommandIo): (event: JourneyEvent) => void {
	const started = new Map<string, number>();
	return (event) => {
		const kind = io.t(`kind.${event.kind}` as MessageKey);
		const key = `${event.kind}:${event.name}`;
		switch (event.type) {
			case 'step-start':
				started.set(key, Date.now());
				break;
			case 'step-done':
			case 'step-skip': {
				const elapsed = 'elapsedMs' in event && event.elapsedMs !== undefined ? event.elapsedMs : undefined;
				const seconds = ((elapsed ?? Date.now() - (started.get(key) ?? Date.now())) / 1000).toFixed(1);
				const action = 'action' in event && event.action ? event.action : 'keep';
				const label =
					action === 'create' || action === 'replace' || action === 'keep' ? io.t(`plan.${action}`) : action;
				const id = 'id' in event && event.id ? ` ${event.id}` : '';
				io.stderr.write(`  ✔ ${label} ${kind} ${event.name}${id} (${seconds}s)\n`);
				break;
			}
			case 'retry':
				io.stderr.write(
					`  ↻ ${io.t('apply.retry', { action: kind, code: event.message ?? '', attempt: event.attempt ?? 1 })}\n`,
				);
				break;
			case 'error':
				io.stderr.write(
					`  ✗ ${io.t('apply.failed', {
						kind,
						name: event.name,
						code: event.error?.code ?? '',
						message: event.error?.message ?? '',
						requestId:
							('requestId' in (event.error ?? {}) && (event.error as { requestId?: string }).requestId) ||
							'-',
					})}\n`,
				);
				break;
			case 'note':
			case 'wait':
				if (event.message) io.stderr.write(`    ${event.message}\n`);
				break;
			case 'notice':
				io.stderr.write(`  ! ${event.message}\n`);
				break;
		}
	};
}
