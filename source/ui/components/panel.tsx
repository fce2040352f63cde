import { Box, Text, useStdout } from 'ink';
import { useState } from 'react';
import type { RouterView } from '../../monitor/router-monitor.js';
import { useColumns } from '../hooks/use-columns.js';
import { useNow } from '../hooks/use-now.js';
import {
	initialPanelUi,
	type PanelCommand,
	type PanelUiState,
	usePanelKeys,
} from '../hooks/use-panel-keys.js';
import { useT } from '../i18n-context.js';
import { EventLog } from './event-log.js';
import { FindingList } from './finding-list.js';
import { HelpScreen } from './help-screen.js';
import { rowMatches } from './panel-format.js';
import { PanelHeader } from './panel-header.js';
import { PanelRouterList } from './panel-router-list.js';
import { RawOutput } from './raw-output.js';
import { TunnelDetail } from './tunnel-detail.js';
import { TunnelTable } from './tunnel-table.js';

export type PanelProps = {
	/** One view per router (`usePollers` / `useRouterViews`), in a stable order. */
	routers: RouterView[];
	onPollNow: (index: number) => void;
	onPause: (index: number, paused: boolean) => void;
	onQuit: () => void;
	/** `s`: open an SSH shell to that router; the caller suspends the UI. Absent: `s` says it is unavailable. */
	onShell?: (index: number, ui: PanelUiState) => void;
	/** `e`: write a troubleshooting bundle; resolves to the file written. Absent: unavailable. */
	onExport?: (index: number) => Promise<string>;
	/** `u`: upgrade that AW+ router (the caller shows the dialog). Absent: `u` says it is unavailable. */
	onUpgrade?: (index: number, ui: PanelUiState) => void;
	/** Where to start (e.g. back from an SSH shell). */
	initialUi?: PanelUiState;
	/** A message to show in the footer at start (e.g. why the SSH shell failed). */
	initialNotice?: string;
};

type Notice = { text: string; color: 'green' | 'red' | 'yellow' | 'gray' };

/**
 * The live panel: a list of routers (when there are several), one router's tunnels with its findings
 * and events, a tunnel's details, the raw output, and help. Renders state only; every key goes
 * through `usePanelKeys`, every action through the callbacks.
 */
export function Panel({
	routers,
	onPollNow,
	onPause,
	onQuit,
	onShell,
	onExport,
	onUpgrade,
	initialUi,
	initialNotice,
}: PanelProps) {
	const t = useT();
	const now = useNow(1000);
	const columns = useColumns();
	const { stdout } = useStdout();
	const rowsOnScreen = stdout.rows || 24;
	const [ui, setUi] = useState<PanelUiState>(() => initialUi ?? initialPanelUi(routers.length));
	const [notice, setNotice] = useState<Notice | undefined>(
		initialNotice ? { text: initialNotice, color: 'red' } : undefined,
	);
	const index = Math.max(0, Math.min(ui.router, routers.length - 1));
	const current: RouterView | undefined = routers[index];
	const rows = (current?.rows ?? []).filter((row) => rowMatches(row, ui.filter));
	const tunnelIndex = Math.max(0, Math.min(ui.tunnel, rows.length - 1));
	const selectedRow = rows[tunnelIndex];
	const listed = routers
		.map((router, at) => ({ router, at }))
		.filter(
			({ router }) =>
				ui.filter === '' ||
				`${router.target.name} ${router.target.host}`.toLowerCase().includes(ui.filter.toLowerCase()),
		);

	const onCommand = (command: PanelCommand, next: PanelUiState) => {
		if (command === 'quit') onQuit();
		else if (command === 'poll') onPollNow(index);
		else if (command === 'pause' && current) onPause(index, !current.paused);
		else if (command === 'shell') {
			if (onShell) onShell(index, next);
			else setNotice({ text: t('panel.shellUnavailable'), color: 'yellow' });
		} else if (command === 'upgrade') {
			if (!onUpgrade || !current) setNotice({ text: t('panel.upgradeUnavailable'), color: 'yellow' });
			else if (current.target.vendor !== 'awplus')
				setNotice({
					text: t('panel.upgradeAwplusOnly', { router: current.target.name, vendor: current.target.vendor }),
					color: 'yellow',
				});
			else onUpgrade(index, next);
		} else if (command === 'export') {
			if (!onExport) {
				setNotice({ text: t('panel.exportUnavailable'), color: 'yellow' });
				return;
			}
			setNotice({ text: t('panel.exporting'), color: 'gray' });
			onExport(index).then(
				(path) => setNotice({ text: t('panel.exported', { path }), color: 'green' }),
				(error: unknown) =>
					setNotice({
						text: t('panel.exportFailed', {
							message: error instanceof Error ? error.message : String(error),
						}),
						color: 'red',
					}),
			);
		}
	};
	usePanelKeys({
		ui,
		counts: { routers: routers.length, tunnels: rows.length },
		setUi: (next) => {
			setUi(next);
			setNotice(undefined);
		},
		onCommand,
	});

	// the list view filters routers: enter opens the one selected among those shown
	const listSelected = listed.findIndex(({ at }) => at === index);

	let body: React.ReactNode;
	if (!current) body = <Text color="gray">{t('panel.noRouters')}</Text>;
	else if (ui.screen === 'help') body = <HelpScreen />;
	else if (ui.screen === 'raw')
		body = <RawOutput router={current} maxLines={Math.max(5, rowsOnScreen - 8)} />;
	else if (ui.screen === 'list')
		body = (
			<PanelRouterList
				routers={listed.map(({ router }) => router)}
				selected={listSelected}
				now={now}
				columns={columns}
			/>
		);
	else if (ui.screen === 'tunnel' && selectedRow)
		body = (
			<TunnelDetail
				router={current}
				row={selectedRow}
				columns={columns}
				rawLines={Math.max(2, rowsOnScreen - 34)}
			/>
		);
	else
		body = (
			<Box flexDirection="column">
				{current.error ? (
					<Text color="red" wrap="truncate-end">
						{t('panel.error', { message: current.error })}
					</Text>
				) : null}
				{rows.length === 0 ? (
					<Text color="gray">
						{ui.filter ? t('panel.filterNone', { text: ui.filter }) : t('panel.noTunnels')}
					</Text>
				) : (
					<TunnelTable
						rows={rows}
						history={current.history}
						selected={tunnelIndex}
						columns={columns}
						stale={current.stale}
					/>
				)}
				{current.otherBgp.length > 0 ? (
					<Text color="gray" wrap="truncate-end">
						{t('panel.otherBgp')}:{' '}
						{current.otherBgp.map((neighbor) => `${neighbor.neighbor} ${neighbor.state}`).join(', ')}
					</Text>
				) : null}
				<Box marginTop={1}>
					<FindingList
						findings={current.findings}
						limit={rowsOnScreen >= 40 ? 6 : 2}
						hints={rowsOnScreen >= 40 ? 'all' : 'first'}
					/>
				</Box>
				<Box marginTop={1}>
					<EventLog events={current.events} limit={rowsOnScreen >= 40 ? 10 : 5} />
				</Box>
			</Box>
		);

	return (
		<Box flexDirection="column" width={columns}>
			<Text bold wrap="truncate-end">
				{t('panel.title')}
				{routers.length > 1 ? <Text color="gray"> ({routers.length})</Text> : null}
				{ui.filter || ui.editingFilter ? (
					<Text color="cyan">
						{'  '}
						{ui.editingFilter
							? t('panel.filterEditing', { text: ui.filter })
							: t('panel.filterLabel', { text: ui.filter })}
					</Text>
				) : null}
			</Text>
			{current && ui.screen !== 'list' ? <PanelHeader router={current} now={now} /> : null}
			<Box marginTop={1} flexDirection="column">
				{body}
			</Box>
			{notice ? (
				<Text color={notice.color} wrap="wrap">
					{notice.text}
				</Text>
			) : null}
			<Text color="gray" wrap="truncate-end">
				{t('panel.hintKeys')}
			</Text>
		</Box>
	);
}
