import { type Key, useInput } from 'ink';
import { useRef } from 'react';

/**
 * Every key of the live panel, in one place (gemini-cli keeps keyboard handling in one hook too).
 * `panelKey` is pure — what a key does to the panel's screen state, and which command it asks
 * for — and `usePanelKeys` wires it to Ink's input and to the panel's callbacks.
 */

export type PanelScreen = 'list' | 'router' | 'tunnel' | 'raw' | 'help';

export type PanelUiState = {
	screen: PanelScreen;
	/** The screen `raw` and `help` return to. */
	base: 'list' | 'router' | 'tunnel';
	/** Index of the router shown (into the panel's `routers`). */
	router: number;
	/** Index of the selected tunnel, among the rows the filter lets through. */
	tunnel: number;
	filter: string;
	editingFilter: boolean;
};

export type PanelCommand = 'poll' | 'pause' | 'shell' | 'export' | 'upgrade' | 'quit';

export type PanelCounts = { routers: number; tunnels: number };

export function initialPanelUi(routers: number): PanelUiState {
	const screen = routers > 1 ? 'list' : 'router';
	return { screen, base: screen, router: 0, tunnel: 0, filter: '', editingFilter: false };
}

const wrap = (index: number, count: number) => (count <= 0 ? 0 : (index + count) % count);

export function panelKey(
	ui: PanelUiState,
	input: string,
	key: Partial<Key>,
	counts: PanelCounts,
): { ui: PanelUiState; command?: PanelCommand } {
	if (ui.editingFilter) {
		if (key.escape) return { ui: { ...ui, filter: '', editingFilter: false, tunnel: 0 } };
		if (key.return) return { ui: { ...ui, editingFilter: false } };
		if (key.backspace || key.delete) return { ui: { ...ui, filter: ui.filter.slice(0, -1), tunnel: 0 } };
		if (input && !key.ctrl && !key.meta && !/[\r\n\t\u001b]/.test(input))
			return { ui: { ...ui, filter: ui.filter + input, tunnel: 0 } };
		return { ui };
	}
	if (input === 'q' || (key.ctrl && input === 'c')) return { ui, command: 'quit' };
	if (input === '?') {
		return ui.screen === 'help' ? { ui: { ...ui, screen: ui.base } } : { ui: { ...ui, screen: 'help' } };
	}
	if (key.escape) {
		if (ui.screen === 'help' || ui.screen === 'raw') return { ui: { ...ui, screen: ui.base } };
		if (ui.screen === 'tunnel') return { ui: { ...ui, screen: 'router', base: 'router' } };
		if (ui.filter) return { ui: { ...ui, filter: '', tunnel: 0 } };
		if (ui.screen === 'router' && counts.routers > 1) return { ui: { ...ui, screen: 'list', base: 'list' } };
		return { ui };
	}
	if (input === '/')
		return {
			ui: {
				...ui,
				editingFilter: true,
				screen: ui.base === 'tunnel' ? 'router' : ui.base,
				base: ui.base === 'tunnel' ? 'router' : ui.base,
			},
		};
	if (input === 'l') return { ui: { ...ui, screen: ui.screen === 'raw' ? ui.base : 'raw' } };
	if (input === 'r') return { ui, command: 'poll' };
	if (input === 'p') return { ui, command: 'pause' };
	if (input === 's') return { ui, command: 'shell' };
	if (input === 'e') return { ui, command: 'export' };
	if (input === 'u') return { ui, command: 'upgrade' };
	if (key.tab || key.rightArrow)
		return { ui: { ...ui, router: wrap(ui.router + 1, counts.routers), tunnel: 0 } };
	if (key.leftArrow) return { ui: { ...ui, router: wrap(ui.router - 1, counts.routers), tunnel: 0 } };
	const up = key.upArrow || input === 'k';
	const down = key.downArrow || input === 'j';
	if (up || down) {
		const step = up ? -1 : 1;
		if (ui.screen === 'list') return { ui: { ...ui, router: wrap(ui.router + step, counts.routers) } };
		if (ui.screen === 'router' || ui.screen === 'tunnel')
			return { ui: { ...ui, tunnel: wrap(ui.tunnel + step, counts.tunnels) } };
		return { ui };
	}
	if (key.return) {
		if (ui.screen === 'list' && counts.routers > 0)
			return { ui: { ...ui, screen: 'router', base: 'router', tunnel: 0 } };
		if (ui.screen === 'router' && counts.tunnels > 0)
			return { ui: { ...ui, screen: 'tunnel', base: 'tunnel' } };
	}
	return { ui };
}

export type PanelKeyHandlers = {
	ui: PanelUiState;
	counts: PanelCounts;
	setUi: (ui: PanelUiState) => void;
	onCommand: (command: PanelCommand, ui: PanelUiState) => void;
	isActive?: boolean;
};

export function usePanelKeys({ ui, counts, setUi, onCommand, isActive = true }: PanelKeyHandlers): void {
	// keys can arrive faster than React re-renders (typing, pasting): each builds on the one before
	const latest = useRef(ui);
	const rendered = useRef(ui);
	if (rendered.current !== ui) {
		rendered.current = ui;
		latest.current = ui;
	}
	useInput(
		(input, key) => {
			const result = panelKey(latest.current, input, key, counts);
			if (result.ui !== latest.current) {
				latest.current = result.ui;
				setUi(result.ui);
			}
			if (result.command) onCommand(result.command, result.ui);
		},
		{ isActive },
	);
}
