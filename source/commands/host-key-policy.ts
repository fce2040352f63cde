import type { GlobalOptions } from '../cli.js';
import { loadState, saveState } from '../flow/state.js';
import type { HostKeyPolicy } from '../monitor/connect.js';
import { confirm } from './confirm.js';
import type { CommandIo } from './io.js';
import { passphraseAsker } from './passphrase.js';

/**
 * How a command that logs in to an appliance treats its SSH host key: known_hosts and
 * --accept-new-host-key from the flags, the key's passphrase asked once, an unknown key confirmed by the
 * user when `interactive`, and a first-time key pinned in the state file (not with --host: no state).
 */
export function applianceHostKeyPolicy(
	options: Pick<GlobalOptions, 'state' | 'knownHosts' | 'acceptNewHostKey'> & { host?: string },
	io: CommandIo,
	interactive: boolean,
): HostKeyPolicy {
	const askPassphrase = passphraseAsker(io);
	return {
		knownHostsFile: options.knownHosts,
		acceptNew: options.acceptNewHostKey,
		passphrase: (target, privateKey) => askPassphrase(target.identity ?? target.name, privateKey),
		confirmUnknown: interactive
			? (key, target) =>
					confirm(
						io,
						io.t('monitor.trustHostKey', {
							host: `${target.host}:${target.port}`,
							type: key.type,
							fingerprint: key.fingerprint,
						}),
					)
			: undefined,
		onPinned: (target, key) => {
			if (!options.host) void pinInState(options.state, target.name, key);
		},
	};
}

/** Records a router's first accepted host key in the state file (a key already pinned is kept). */
async function pinInState(statePath: string, name: string, key: { type: string; fingerprint: string }) {
	const state = await loadState(statePath);
	if (!state) return;
	state.routers = state.routers.map((router) =>
		router.name === name && !router.hostKey ? { ...router, hostKey: key } : router,
	);
	await saveState(statePath, state);
}
