import { useApp } from 'ink';
import type { RouterPoller } from '../monitor/poller.js';
import { Panel } from './components/panel.js';
import { usePollers } from './hooks/use-pollers.js';

/** The live panel on its own (`kakehashi monitor`): pollers come from the command, the UI renders them. */
export function MonitorApp({ pollers }: { pollers: RouterPoller[] }) {
	const { exit } = useApp();
	const states = usePollers(pollers);
	return (
		<Panel
			routers={states}
			onPollNow={(index) => pollers[index]?.pollNow()}
			onPause={(index, paused) => pollers[index]?.setPaused(paused)}
			onQuit={() => {
				for (const poller of pollers) poller.stop();
				exit();
			}}
		/>
	);
}
