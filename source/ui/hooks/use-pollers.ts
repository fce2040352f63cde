import { useEffect, useMemo, useState } from 'react';
import type { RouterPoller } from '../../monitor/poller.js';
import { monitorFor, type RouterMonitor, type RouterView } from '../../monitor/router-monitor.js';
import { useT } from '../i18n-context.js';

/** Subscribe to the monitors the core built; the component only renders their views. */
export function useRouterViews(monitors: readonly RouterMonitor[]): RouterView[] {
	const [views, setViews] = useState(() => monitors.map((monitor) => monitor.view));
	// new monitors (the wizard's pollers arrive after its first render): their views in this very render
	const [seen, setSeen] = useState(monitors);
	if (seen !== monitors) {
		setSeen(monitors);
		setViews(monitors.map((monitor) => monitor.view));
	}
	useEffect(() => {
		setViews(monitors.map((monitor) => monitor.view));
		const listeners = monitors.map((monitor, index) => {
			const listener = (view: RouterView) =>
				setViews((previous) => previous.map((old, at) => (at === index ? view : old)));
			monitor.on('update', listener);
			return listener;
		});
		return () => {
			monitors.forEach((monitor, index) => {
				const listener = listeners[index];
				if (listener) monitor.off('update', listener);
			});
		};
	}, [monitors]);
	return views;
}

/**
 * Views of plain pollers (the wizard holds pollers): each gets its one monitor model (events,
 * history, findings) from the core, created on first use.
 */
export function usePollers(pollers: RouterPoller[]): RouterView[] {
	const t = useT();
	const monitors = useMemo(() => pollers.map((poller) => monitorFor(poller, { t })), [pollers, t]);
	return useRouterViews(monitors);
}
