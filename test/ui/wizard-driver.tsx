import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach } from 'vitest';
import { type Backend, openBackend } from '../../source/commands/backend.js';
import { createWizardServices } from '../../source/commands/wizard.js';
import { loadWizardFlow } from '../../source/flow/wizard-flow.js';
import { createTranslator, type Lang } from '../../source/i18n/index.js';
import { startSandbox } from '../../source/sandbox/index.js';
import { App } from '../../source/ui/app.js';
import { I18nProvider } from '../../source/ui/i18n-context.js';
import { tempDir } from '../e2e/cli-helpers.js';

/** Drives the wizard as a user would: keys in, the screen read back; the sandbox behind it. */

export const enter = '\r';
export const backspace = '\x7f';
export const esc = '\x1b';
export const down = '\x1b[B';
export const up = '\x1b[A';

export type Rendered = ReturnType<typeof render>;

export async function waitFor(app: Rendered, text: string | RegExp, timeoutMs = 30_000): Promise<string> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const frame = app.lastFrame() ?? '';
		if (typeof text === 'string' ? frame.includes(text) : text.test(frame)) {
			// Ink subscribes a new screen's input handlers just after it draws it: let them settle,
			// as a person reading the screen would
			await new Promise((resolve) => setTimeout(resolve, 100));
			return frame;
		}
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)} in:\n${frame}`);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

export async function press(app: Rendered, ...keys: string[]) {
	for (const key of keys) {
		app.stdin.write(key);
		await new Promise((resolve) => setTimeout(resolve, 30));
	}
}

/** Replace the current input's text, key by key as a user types. */
export async function retype(app: Rendered, value: string) {
	await press(app, ...Array.from({ length: 40 }, () => backspace));
	if (value) await press(app, value);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * The wizard over a fresh sandbox in its own folder; `extra` adds services (e.g. adminAddress).
 * `fastImages`: the sandbox's image import and image lifecycle take a fraction of a second (the
 * sandbox is started here with short timings and reached as the embedded one is).
 */
export async function startWizard(
	lang: Lang,
	extra: Record<string, unknown> = {},
	options: { fastImages?: boolean } = {},
) {
	const dir = await tempDir('kakehashi-wizard-');
	const statePath = join(dir, 'kakehashi.state.json');
	let backend: Backend;
	let ownSandbox: Awaited<ReturnType<typeof startSandbox>> | undefined;
	if (options.fastImages) {
		ownSandbox = await startSandbox({
			dir: join(dir, 'sandbox'),
			timings: { importSnapshotMs: 300, imageAvailableMs: 150 },
		});
		backend = await openBackend({ endpointUrl: ownSandbox.endpoint, state: statePath }, {});
		backend.sandbox = ownSandbox;
	} else backend = await openBackend({ sandbox: true, state: statePath }, {});
	const services = createWizardServices(backend, {
		statePath,
		hostKeys: { knownHostsFile: join(dir, 'known_hosts') },
		t: createTranslator(lang),
		intervalMs: 500,
		...(options.fastImages ? { importTimings: { intervalMs: 25, timeoutMs: 30_000 } } : {}),
	});
	const app = render(
		<I18nProvider lang={lang}>
			<App services={{ ...services, ...extra }} loadFlow={loadWizardFlow} />
		</I18nProvider>,
	);
	cleanups.push(async () => {
		app.unmount();
		await services.close();
		await backend.close();
		await ownSandbox?.close();
	});
	return { app, dir, statePath, backend };
}
