import { useApp } from 'ink';
import type { RouterMonitor } from '../monitor/router-monitor.js';
import { Panel } from './components/panel.js';
import type { PanelUiState } from './hooks/use-panel-keys.js';
import { useRouterViews } from './hooks/use-pollers.js';

export type MonitorAppProps = {
	/** Built by the command (with design, security-group data and metrics); the UI renders their views. */
	monitors: RouterMonitor[];
	onShell?: (index: number, ui: PanelUiState) => void;
	onExport?: (index: number) => Promise<string>;
	initialUi?: PanelUiState;
	initialNotice?: string;
};

/** The live panel on its own (`kakehashi monitor`). Quitting ends the app; the command stops the pollers. */
export function MonitorApp({ monitors, onShell, onExport, initialUi, initialNotice }: MonitorAppProps) {
	const { exit } = useApp();
	const views = useRouterViews(monitors);
	return (
		<Panel
			routers={views}
			onPollNow={(index) => monitors[index]?.poller.pollNow()}
			onPause={(index, paused) => monitors[index]?.poller.setPaused(paused)}
			onQuit={() => exit()}
			{...(onShell ? { onShell } : {})}
			{...(onExport ? { onExport } : {})}
			{...(initialUi ? { initialUi } : {})}
			{...(initialNotice ? { initialNotice } : {})}
		/>
	);
}
