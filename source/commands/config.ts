import { findVpnConnectionById } from '../aws/vpn-connection.js';
import type { GlobalOptions } from '../cli.js';
import { awsVpnConnectionData } from '../design/aws-requests.js';
import {
	type ApplianceAddresses,
	buildApplianceTunnelDesign,
	buildAwsVpnDesign,
	buildMultiTenantDesign,
} from '../design/build.js';
import { configLines, configVendors } from '../design/configs.js';
import type { Design } from '../design/model.js';
import { type Answers, type Peer, type VendorName, vendorNames } from '../flow/answers.js';
import { resolveSecret } from '../flow/secrets.js';
import { findResource, loadState, type State } from '../flow/state.js';
import { strongswanFrrConfig } from '../router/drivers/strongswan-frr/config.js';
import { loadValidAnswers } from './answers.js';
import { openBackend, translatingStateErrors } from './backend.js';
import { OperationError, UsageError } from './errors.js';
import type { CommandIo } from './io.js';

export type ConfigCommandOptions = GlobalOptions & { vendor: string; answers?: string; for?: string };

/**
 * The sides of a flow, from the answers alone (so that a wrong `--for` is refused before anything is
 * read): `side` is what the design calls it, `names` what `--for` accepts for it.
 */
function sidesOf(answers: Answers): { side: string; names: string[] }[] {
	const peer = answers.peers[0];
	switch (answers.flow) {
		case 'single-appliance':
			return [
				{ side: 'appliance', names: ['appliance'] },
				{ side: 'router', names: peer ? [peer.name, 'router'] : ['router'] },
			];
		case 'single-aws-vpn':
			return [{ side: 'router', names: peer ? [peer.name, 'router'] : ['router'] }];
		case 'multi-tenant':
			return [
				{ side: 'appliance', names: ['appliance'] },
				...answers.peers.map((tenant) => ({ side: tenant.name, names: [tenant.name] })),
			];
	}
}

const designKind: Record<Answers['flow'], Design['kind']> = {
	'single-appliance': 'appliance-ipsec',
	'single-aws-vpn': 'aws-vpn',
	'multi-tenant': 'multi-tenant',
};

/** Line generators per design, plus strongSwan + FRR's files for the AWS VPN router side. */
function vendorsFor(flow: Answers['flow']): VendorName[] {
	const vendors = configVendors(designKind[flow]);
	return flow === 'single-aws-vpn' ? [...vendors, 'strongswan-frr'] : vendors;
}

function applianceAddresses(state: State | undefined, io: CommandIo, statePath: string): ApplianceAddresses {
	const instance = state?.resources.find((resource) => resource.kind === 'instance');
	const publicIp = typeof instance?.publicIp === 'string' ? instance.publicIp : undefined;
	const privateIp = typeof instance?.privateIp === 'string' ? instance.privateIp : undefined;
	if (!publicIp || !privateIp) throw new OperationError(io.t('cli.configNeedsInstance', { path: statePath }));
	return { publicIp, privateIp };
}

/** A peer's key from its reference; a generated key is never stored, so it cannot be printed again. */
async function peerPsk(answers: Answers, peer: Peer, io: CommandIo): Promise<string> {
	if (!peer.psk) {
		throw new UsageError(io.t('cli.configNeedsPsk', { path: `peers[${answers.peers.indexOf(peer)}].psk` }));
	}
	return (await resolveSecret(peer.psk, io.env)).value;
}

/** Install-guide 5b: the VPN connection as AWS describes it (its keys and addresses), never from the state file. */
async function awsVpnDesign(
	answers: Answers,
	state: State | undefined,
	options: ConfigCommandOptions,
	io: CommandIo,
): Promise<Design> {
	const id = state ? findResource(state, 'vpn-connection')?.id : undefined;
	if (!id) throw new OperationError(io.t('cli.configVpnNotApplied', { path: options.state }));
	const backend = await openBackend({ ...options, region: options.region ?? answers.region }, {});
	try {
		const connection = await findVpnConnectionById(backend.ec2, id);
		if (!connection || connection.State === 'deleted' || connection.State === 'deleting') {
			throw new OperationError(io.t('cli.configVpnMissing', { id, path: options.state }));
		}
		if (!connection.CustomerGatewayConfiguration) {
			throw new OperationError(io.t('cli.configVpnPending', { id, state: connection.State ?? '?' }));
		}
		return buildAwsVpnDesign(answers, awsVpnConnectionData(connection));
	} finally {
		await backend.close();
	}
}

/**
 * `kakehashi config`: print one side's configuration, for every flow. The appliance's addresses come
 * from the state file (what AWS assigned), AWS VPN tunnels from DescribeVpnConnections, PSKs from the
 * answers' references: keys appear in the printed configuration only, never in a log or the state file.
 */
export async function configCommand(options: ConfigCommandOptions, io: CommandIo): Promise<number> {
	if (!(vendorNames as readonly string[]).includes(options.vendor)) {
		throw new UsageError(
			io.t('cli.unknownVendor', { value: options.vendor, allowed: vendorNames.join(', ') }),
		);
	}
	const vendor = options.vendor as VendorName;
	const answers = await loadValidAnswers(options.answers, io);
	const sides = sidesOf(answers);
	const wanted = options.for ?? sides[0]?.names[0] ?? 'appliance';
	const side = sides.find((candidate) => candidate.names.includes(wanted))?.side;
	if (!side) {
		throw new UsageError(
			io.t('cli.configUnknownSide', {
				value: wanted,
				allowed: sides.map((candidate) => candidate.names[0]).join(', '),
			}),
		);
	}
	const available = vendorsFor(answers.flow);
	if (!available.includes(vendor)) {
		throw new UsageError(
			io.t('cli.configNotReady', { vendor, flow: answers.flow, allowed: available.join(', ') }),
		);
	}
	return translatingStateErrors(io.t, async () => {
		const state = await loadState(options.state);
		let design: Design;
		if (answers.flow === 'single-aws-vpn') design = await awsVpnDesign(answers, state, options, io);
		else if (answers.flow === 'multi-tenant') {
			const appliance = applianceAddresses(state, io, options.state);
			const psks: Record<string, string> = {};
			for (const tenant of answers.peers) {
				// a tenant's router needs its own key only; the appliance needs every tenant's
				psks[tenant.name] =
					side === 'appliance' || side === tenant.name ? await peerPsk(answers, tenant, io) : '';
			}
			design = buildMultiTenantDesign(answers, appliance, psks);
		} else {
			const peer = answers.peers[0];
			if (!peer) throw new UsageError(io.t('cli.configUnknownSide', { value: wanted, allowed: 'appliance' }));
			const appliance = applianceAddresses(state, io, options.state);
			design = buildApplianceTunnelDesign(answers, peer, appliance, await peerPsk(answers, peer, io));
		}
		if (design.kind === 'aws-vpn' && vendor === 'strongswan-frr') {
			const files = strongswanFrrConfig(design);
			const text = Object.entries(files)
				.map(([file, content]) => `${io.t('cli.configFile', { file })}\n${content.replace(/\n?$/, '\n')}`)
				.join('\n');
			io.stdout.write(text);
			return 0;
		}
		io.stdout.write(`${configLines(design, vendor, side).join('\n')}\n`);
		return 0;
	});
}
