import { useEffect, useState } from 'react';
import type { PollerState, RouterPoller } from '../../monitor/poller.js';

/** Subscribe to pollers created by the core; the component only renders their state. */
export function usePollers(pollers: RouterPoller[]): PollerState[] {
	const [states, setStates] = useState(() => pollers.map((poller) => poller.state));
	useEffect(() => {
		setStates(pollers.map((poller) => poller.state));
		const listeners = pollers.map((poller, index) => {
			const listener = (state: PollerState) =>
				setStates((previous) => previous.map((old, at) => (at === index ? state : old)));
			poller.on('update', listener);
			return listener;
		});
		return () => {
			pollers.forEach((poller, index) => {
				const listener = listeners[index];
				if (listener) poller.off('update', listener);
			});
		};
	}, [pollers]);
	return states;
}
