import { Box, Text, useApp } from 'ink';
import { useRef, useState } from 'react';
import type { RouterMonitor } from '../monitor/router-monitor.js';
import { Panel } from './components/panel.js';
import { PanelHeader } from './components/panel-header.js';
import { type PanelUpgradeService, UpgradeDialog } from './components/upgrade-dialog.js';
import { useNow } from './hooks/use-now.js';
import type { PanelUiState } from './hooks/use-panel-keys.js';
import { useRouterViews } from './hooks/use-pollers.js';
import { useT } from './i18n-context.js';

export type MonitorAppProps = {
	/** Built by the command (with design, security-group data and metrics); the UI renders their views. */
	monitors: RouterMonitor[];
	onShell?: (index: number, ui: PanelUiState) => void;
	onExport?: (index: number) => Promise<string>;
	/** `u` on an AW+ router: the upgrade steps (`kakehashi upgrade`'s). Absent: `u` says it is unavailable. */
	upgrade?: PanelUpgradeService;
	initialUi?: PanelUiState;
	initialNotice?: string;
};

/** The live panel on its own (`kakehashi monitor`). Quitting ends the app; the command stops the pollers. */
export function MonitorApp({
	monitors,
	onShell,
	onExport,
	upgrade,
	initialUi,
	initialNotice,
}: MonitorAppProps) {
	const { exit } = useApp();
	const t = useT();
	const now = useNow(1000);
	const views = useRouterViews(monitors);
	// the upgrade dialog replaces the panel's body; the panel comes back where it was
	const [upgrading, setUpgrading] = useState<{ index: number; ui: PanelUiState } | undefined>();
	const [resumeUi, setResumeUi] = useState<PanelUiState | undefined>(initialUi);
	const [notice, setNotice] = useState(initialNotice);
	const wasPaused = useRef(false);
	const dialogRouter = upgrading ? views[upgrading.index] : undefined;
	if (upgrade && upgrading && dialogRouter) {
		const monitor = monitors[upgrading.index];
		return (
			<Box flexDirection="column">
				<Text bold wrap="truncate-end">
					{t('panel.title')}
				</Text>
				<PanelHeader router={dialogRouter} now={now} />
				<Box marginTop={1}>
					<UpgradeDialog
						router={dialogRouter}
						index={upgrading.index}
						service={upgrade}
						onRunning={(running) => {
							// the reboot would read as an outage: that router's polling pauses meanwhile
							if (!monitor) return;
							if (running) {
								wasPaused.current = monitor.view.paused;
								monitor.poller.setPaused(true);
							} else {
								monitor.poller.setPaused(wasPaused.current);
								if (!wasPaused.current) monitor.poller.pollNow();
							}
						}}
						onClose={() => {
							setResumeUi(upgrading.ui);
							setUpgrading(undefined);
						}}
					/>
				</Box>
			</Box>
		);
	}
	return (
		<Panel
			routers={views}
			onPollNow={(index) => monitors[index]?.poller.pollNow()}
			onPause={(index, paused) => monitors[index]?.poller.setPaused(paused)}
			onQuit={() => exit()}
			{...(onShell ? { onShell } : {})}
			{...(onExport ? { onExport } : {})}
			{...(upgrade
				? {
						onUpgrade: (index: number, ui: PanelUiState) => {
							setNotice(undefined);
							setUpgrading({ index, ui });
						},
					}
				: {})}
			{...(resumeUi ? { initialUi: resumeUi } : {})}
			{...(notice ? { initialNotice: notice } : {})}
		/>
	);
}
