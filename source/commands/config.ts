import type { GlobalOptions } from '../cli.js';
import { buildApplianceTunnelDesign } from '../design/build.js';
import { vendorNames } from '../flow/answers.js';
import { applianceIpsecConfigs } from '../flow/configure.js';
import { resolveSecret } from '../flow/secrets.js';
import { loadState } from '../flow/state.js';
import { loadValidAnswers } from './answers.js';
import { OperationError, UsageError } from './errors.js';
import type { CommandIo } from './io.js';

export type ConfigCommandOptions = GlobalOptions & { vendor: string; answers?: string; for?: string };

/** Vendors whose generator this build has, per flow. */
const generators: Record<string, string[]> = { 'single-appliance': ['awplus'] };

/**
 * `kakehashi config`: print one side's configuration. The appliance's addresses come from the state
 * file (what AWS assigned); the PSK from the answers' reference, never from the state file.
 */
export async function configCommand(options: ConfigCommandOptions, io: CommandIo): Promise<number> {
	if (!(vendorNames as readonly string[]).includes(options.vendor)) {
		throw new UsageError(
			io.t('cli.unknownVendor', { value: options.vendor, allowed: vendorNames.join(', ') }),
		);
	}
	const answers = await loadValidAnswers(options.answers, io);
	const available = generators[answers.flow] ?? [];
	if (!available.includes(options.vendor)) {
		throw new UsageError(
			io.t('cli.configNotReady', {
				vendor: options.vendor,
				flow: answers.flow,
				allowed: available.join(', ') || '-',
			}),
		);
	}
	const side = options.for ?? 'appliance';
	const peer =
		side === 'appliance' ? answers.peers[0] : answers.peers.find((candidate) => candidate.name === side);
	if (!peer) {
		throw new UsageError(
			io.t('cli.configUnknownSide', {
				value: side,
				allowed: ['appliance', ...answers.peers.map((p) => p.name)].join(', '),
			}),
		);
	}
	const state = await loadState(options.state);
	const instance = state?.resources.find((resource) => resource.kind === 'instance');
	const publicIp = typeof instance?.publicIp === 'string' ? instance.publicIp : undefined;
	const privateIp = typeof instance?.privateIp === 'string' ? instance.privateIp : undefined;
	if (!publicIp || !privateIp)
		throw new OperationError(io.t('cli.configNeedsInstance', { path: options.state }));
	if (!peer.psk)
		throw new UsageError(io.t('cli.configNeedsPsk', { path: `peers[${answers.peers.indexOf(peer)}].psk` }));
	const psk = (await resolveSecret(peer.psk, io.env)).value;
	const configs = applianceIpsecConfigs(
		buildApplianceTunnelDesign(answers, peer, { publicIp, privateIp }, psk),
	);
	io.stdout.write(`${(side === 'appliance' ? configs.appliance : configs.router).join('\n')}\n`);
	return 0;
}
