import { describe, expect, it } from 'vitest';
import { initialPanelUi, type PanelUiState, panelKey } from '../../source/ui/hooks/use-panel-keys.js';

const counts = { routers: 2, tunnels: 3 };
const press = (ui: PanelUiState, ...keys: (string | Record<string, boolean>)[]) => {
	let state = ui;
	const commands: string[] = [];
	for (const key of keys) {
		const result =
			typeof key === 'string' ? panelKey(state, key, {}, counts) : panelKey(state, '', key, counts);
		state = result.ui;
		if (result.command) commands.push(result.command);
	}
	return { ui: state, commands };
};

describe('panel keys (one place for every key)', () => {
	it('starts on the router list when there are several routers, on the router otherwise', () => {
		expect(initialPanelUi(2).screen).toBe('list');
		expect(initialPanelUi(1).screen).toBe('router');
	});

	it('enter opens a router then a tunnel; esc goes back step by step', () => {
		const start = initialPanelUi(2);
		expect(press(start, { downArrow: true }).ui.router).toBe(1);
		const opened = press(start, { downArrow: true }, { return: true });
		expect(opened.ui).toMatchObject({ screen: 'router', router: 1 });
		const tunnel = press(opened.ui, { downArrow: true }, { return: true });
		expect(tunnel.ui).toMatchObject({ screen: 'tunnel', tunnel: 1 });
		expect(press(tunnel.ui, { escape: true }).ui.screen).toBe('router');
		expect(press(tunnel.ui, { escape: true }, { escape: true }).ui.screen).toBe('list');
	});

	it('? and l open help and raw over the current screen and come back to it', () => {
		const router = { ...initialPanelUi(1) };
		const help = press(router, '?');
		expect(help.ui.screen).toBe('help');
		expect(press(help.ui, '?').ui.screen).toBe('router');
		expect(press(help.ui, { escape: true }).ui.screen).toBe('router');
		const raw = press(router, 'l');
		expect(raw.ui.screen).toBe('raw');
		expect(press(raw.ui, { escape: true }).ui.screen).toBe('router');
	});

	it('/ edits a filter: letters go to the filter, not to commands; enter keeps it, esc clears it', () => {
		const typed = press(initialPanelUi(1), '/', 'q', 'r', 's');
		expect(typed.commands).toEqual([]);
		expect(typed.ui).toMatchObject({ filter: 'qrs', editingFilter: true });
		const kept = press(typed.ui, { backspace: true }, { return: true });
		expect(kept.ui).toMatchObject({ filter: 'qr', editingFilter: false });
		expect(press(kept.ui, { escape: true }).ui.filter).toBe('');
		expect(press(typed.ui, { escape: true }).ui).toMatchObject({ filter: '', editingFilter: false });
	});

	it.each([
		['r', 'poll'],
		['p', 'pause'],
		['s', 'shell'],
		['e', 'export'],
		['q', 'quit'],
	])('%s asks for %s', (key, command) => {
		expect(press(initialPanelUi(1), key).commands).toEqual([command]);
	});

	it('tab and arrows switch routers, wrapping around', () => {
		const ui = initialPanelUi(2);
		expect(press(ui, { tab: true }, { tab: true }).ui.router).toBe(0);
		expect(press(ui, { leftArrow: true }).ui.router).toBe(1);
	});
});
