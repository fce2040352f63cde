import type { CustomerGateway, TunnelOption, VpnConnection, VpnGateway } from '@aws-sdk/client-ec2';
import {
	createCustomerGateway,
	customerGatewayAsn,
	deleteCustomerGateway,
	findCustomerGatewayByAddress,
	findCustomerGatewayById,
	findCustomerGatewayByStackTag,
	isLiveCustomerGateway,
} from '../aws/customer-gateway.js';
import { isTaggedForStack } from '../aws/stack-tags.js';
import {
	createVpnConnection,
	deleteVpnConnection,
	ensureVpnConnectionRoutes,
	findVpnConnectionById,
	findVpnConnectionByStackTag,
	isLiveVpnConnection,
	staticRoutesOf,
	tunnelOutsideIps,
	VpnConnectionGoneError,
	vpnAvailableTimeoutMs,
	waitForVpnConnectionAvailable,
} from '../aws/vpn-connection.js';
import {
	attachVpnGateway,
	createVpnGateway,
	deleteVpnGateway,
	enableRoutePropagation,
	ensureRouteToVpnGateway,
	findVpnGatewayById,
	findVpnGatewayByStackTag,
	isLiveVpnGateway,
	propagatesRoutes,
	vpnGatewayVpcId,
	waitForVpnGatewayAttached,
	waitForVpnGatewayDetached,
} from '../aws/vpn-gateway.js';
import type { WaitOptions } from '../aws/wait.js';
import {
	customerGatewayRequest,
	vpnConnectionRequest,
	vpnGatewayRequest,
	vpnRoutes,
} from '../design/aws-requests.js';
import type { MessageKey } from '../i18n/index.js';
import type { Answers, ProposalAnswers, VpnTunnelAnswers } from './answers.js';
import { resolveSecret, SecretError } from './secrets.js';
import type { StateResource } from './state.js';
import {
	type Assessment,
	call,
	type FlowMessage,
	type Found,
	findByStateThenTag,
	parentReplaced,
	record,
	requireResolved,
	type Step,
	type StepContext,
	StepInputError,
	say,
	waitWith,
} from './steps.js';
import { validateTunnelPsk } from './validate-vpn.js';

/**
 * Single mode with AWS's VPN (install-guide 5b), after the network and the instance: the virtual
 * private gateway (attached to the VPC, propagating into the stack's route table), the customer
 * gateway (the user router), and the VPN connection between them (static or BGP, two tunnels).
 * Each is tagged with the stack by its create call and recorded at once, so a killed run resumes
 * by finding it (CreateVpnConnection has no client token). Pre-shared keys go to AWS only.
 */

// ————————————————————————————————————————— Virtual private gateway

function amazonSideAsn(answers: Answers): number {
	return vpnGatewayRequest(answers).AmazonSideAsn as number;
}

/**
 * Route propagation lives here, not in the route-table step: the table is settled before the
 * gateway exists, the gateway's converge runs on every apply (so a replaced table gets it again),
 * and propagation is the gateway's to give (it ends when the gateway is detached).
 */
const vpnGatewayStep: Step = {
	kind: 'vpn-gateway',
	nameOf: (answers) => `${answers.name}-vgw`,
	find: (ctx) =>
		findByStateThenTag<VpnGateway>(
			ctx,
			'vpn-gateway',
			vpnGatewayStep.nameOf(ctx.answers),
			(id) => findVpnGatewayById(ctx.ec2, id, call(ctx)),
			() => findVpnGatewayByStackTag(ctx.ec2, ctx.stack, call(ctx)),
			(gateway) => gateway.VpnGatewayId,
			isLiveVpnGateway,
		),
	async assess(ctx, found) {
		const gateway = found.aws as VpnGateway;
		const wanted = amazonSideAsn(ctx.answers);
		// An endpoint that does not report the ASN cannot be compared: never replace for that.
		if (gateway.AmazonSideAsn !== undefined && gateway.AmazonSideAsn !== wanted) {
			return {
				action: 'replace',
				reason: say('flow.replace.amazonAsn', { from: gateway.AmazonSideAsn ?? '?', to: wanted }),
			};
		}
		const attachedTo = vpnGatewayVpcId(gateway);
		// A detached gateway is simply attached; one serving another VPC is not ours to move.
		if (attachedTo && attachedTo !== ctx.resolved.vpcId)
			return { action: 'replace', reason: parentReplaced('vpc') };
		const routeTableId = ctx.resolved.routeTableId;
		if (routeTableId && !(await propagatesRoutes(ctx.ec2, routeTableId, found.id, call(ctx)))) {
			return { action: 'keep', note: say('flow.keep.propagationOff', { routeTable: routeTableId }) };
		}
		return { action: 'keep' };
	},
	async create(ctx) {
		const name = vpnGatewayStep.nameOf(ctx.answers);
		const gateway = await createVpnGateway(
			ctx.ec2,
			{ stack: ctx.stack, name, amazonSideAsn: amazonSideAsn(ctx.answers) },
			call(ctx),
		);
		const created = record(
			'vpn-gateway',
			{ id: gateway.VpnGatewayId!, name, created: true },
			{ amazonSideAsn: gateway.AmazonSideAsn ?? amazonSideAsn(ctx.answers) },
		);
		await ctx.checkpoint(created);
		return vpnGatewayStep.converge(ctx, { ...created, via: 'state', aws: gateway, record: created });
	},
	async converge(ctx, found) {
		const vpcId = requireResolved(ctx.resolved.vpcId, 'vpn-gateway', 'vpc');
		const routeTableId = requireResolved(ctx.resolved.routeTableId, 'vpn-gateway', 'route-table');
		const gateway = found.aws as VpnGateway;
		if (vpnGatewayVpcId(gateway) !== vpcId) {
			// Still detaching (a destroy stopped half-way): a gateway takes a new attachment only once detached.
			if (gateway.VpcAttachments?.some((attachment) => attachment.State === 'detaching'))
				await waitForVpnGatewayDetached(ctx.ec2, found.id, waitWith(ctx));
			await attachVpnGateway(ctx.ec2, found.id, vpcId, call(ctx));
		}
		await waitForVpnGatewayAttached(ctx.ec2, found.id, vpcId, waitWith(ctx));
		if (await enableRoutePropagation(ctx.ec2, routeTableId, found.id, call(ctx))) {
			ctx.emit({
				type: 'note',
				id: found.id,
				messageKey: 'flow.note.propagationEnabled',
				vars: { routeTable: routeTableId },
			});
		}
		// With BGP the tunnels' link-local range is routed toward the gateway (static: a connection route).
		for (const cidr of vpnRoutes(ctx.answers).routeTableRoutes) {
			const done = await ensureRouteToVpnGateway(ctx.ec2, routeTableId, cidr, found.id, call(ctx));
			if (done !== 'kept') {
				ctx.emit({
					type: 'note',
					id: found.id,
					messageKey: 'flow.note.vgwRoute',
					vars: { cidr, gateway: found.id, routeTable: routeTableId },
				});
			}
		}
		return record('vpn-gateway', found, {
			amazonSideAsn: gateway.AmazonSideAsn ?? amazonSideAsn(ctx.answers),
			vpcId,
			routeTableId,
		});
	},
	resolve(resolved, item) {
		resolved.vpnGatewayId = item.id;
	},
	async destroy(ctx, item) {
		await deleteVpnGateway(ctx.ec2, item.id, waitWith(ctx));
	},
};

// ————————————————————————————————————————— Customer gateway

function customerGatewayWanted(answers: Answers): { ipAddress: string; bgpAsn: number } {
	const request = customerGatewayRequest(answers);
	return { ipAddress: request.IpAddress as string, bgpAsn: request.BgpAsn as number };
}

const customerGatewayStep: Step = {
	kind: 'customer-gateway',
	nameOf: (answers) => `${answers.name}-cgw`,
	async find(ctx) {
		const name = customerGatewayStep.nameOf(ctx.answers);
		const found = await findByStateThenTag<CustomerGateway>(
			ctx,
			'customer-gateway',
			name,
			(id) => findCustomerGatewayById(ctx.ec2, id, call(ctx)),
			() => findCustomerGatewayByStackTag(ctx.ec2, ctx.stack, call(ctx)),
			(gateway) => gateway.CustomerGatewayId,
			isLiveCustomerGateway,
		);
		const wanted = customerGatewayWanted(ctx.answers);
		const gateway = found?.aws as CustomerGateway | undefined;
		// One that was not ours and no longer fits is not replaced (that would delete someone's gateway):
		// it is simply not the one wanted any more.
		const stale =
			found !== undefined &&
			!found.created &&
			(gateway?.IpAddress !== wanted.ipAddress || customerGatewayAsn(gateway) !== wanted.bgpAsn);
		if (found && !stale) return found;
		// AWS hands back an existing gateway for the same address and ASN: show that in the plan too.
		const same = await findCustomerGatewayByAddress(ctx.ec2, wanted.ipAddress, wanted.bgpAsn, call(ctx));
		return same?.CustomerGatewayId
			? {
					id: same.CustomerGatewayId,
					name,
					created: isTaggedForStack(same.Tags, ctx.stack),
					via: 'name',
					aws: same,
				}
			: undefined;
	},
	async assess(ctx, found) {
		const gateway = found.aws as CustomerGateway;
		const wanted = customerGatewayWanted(ctx.answers);
		if (gateway.IpAddress !== wanted.ipAddress) {
			return {
				action: 'replace',
				reason: say('flow.replace.publicIp', { from: gateway.IpAddress ?? '?', to: wanted.ipAddress }),
			};
		}
		const asn = customerGatewayAsn(gateway);
		if (asn !== wanted.bgpAsn) {
			return {
				action: 'replace',
				reason: say('flow.replace.customerAsn', { from: asn ?? '?', to: wanted.bgpAsn }),
			};
		}
		return { action: 'keep' };
	},
	async create(ctx) {
		const name = customerGatewayStep.nameOf(ctx.answers);
		const wanted = customerGatewayWanted(ctx.answers);
		const gateway = await createCustomerGateway(ctx.ec2, { stack: ctx.stack, name, ...wanted }, call(ctx));
		// AWS answered with a gateway that already existed (same address and ASN) and is not this stack's.
		const ours = isTaggedForStack(gateway.Tags, ctx.stack);
		if (!ours) {
			ctx.emit({
				type: 'note',
				id: gateway.CustomerGatewayId!,
				messageKey: 'flow.note.customerGatewayShared',
				vars: { id: gateway.CustomerGatewayId!, ip: wanted.ipAddress, asn: wanted.bgpAsn },
			});
		}
		const created = record(
			'customer-gateway',
			{ id: gateway.CustomerGatewayId!, name, created: ours },
			{ ipAddress: wanted.ipAddress, bgpAsn: wanted.bgpAsn },
		);
		await ctx.checkpoint(created);
		return customerGatewayStep.converge(ctx, { ...created, via: 'state', aws: gateway, record: created });
	},
	async converge(_ctx, found) {
		const gateway = found.aws as CustomerGateway;
		const asn = customerGatewayAsn(gateway);
		return record('customer-gateway', found, {
			...(gateway.IpAddress ? { ipAddress: gateway.IpAddress } : {}),
			...(asn !== undefined ? { bgpAsn: asn } : {}),
		});
	},
	resolve(resolved, item) {
		resolved.customerGatewayId = item.id;
	},
	async destroy(ctx, item) {
		await deleteCustomerGateway(ctx.ec2, item.id, call(ctx));
	},
};

// ————————————————————————————————————————— VPN connection

type Routing = 'static' | 'bgp';

function routingOf(answers: Answers): Routing {
	return answers.vpn?.routing ?? 'bgp';
}

/** Each answered tunnel's key resolved (undefined: AWS generates it). Values go to AWS only. */
export async function resolveTunnelPsks(answers: Answers): Promise<(string | undefined)[]> {
	const tunnels = answers.vpn?.tunnels ?? [];
	const psks: (string | undefined)[] = [];
	for (const [index, tunnel] of tunnels.entries()) {
		if (tunnel.psk === undefined) {
			psks.push(undefined);
			continue;
		}
		const path = `vpn.tunnels[${index}].psk`;
		let value: string;
		try {
			value = (await resolveSecret(tunnel.psk)).value;
		} catch (error) {
			if (!(error instanceof SecretError)) throw error;
			throw new StepInputError(
				'vpn-connection',
				say(`secret.${error.reason}` as MessageKey, { reference: error.reference }),
			);
		}
		const problem = validateTunnelPsk(value, path)[0];
		if (problem) {
			throw new StepInputError(
				'vpn-connection',
				say(`rule.${problem.rule}` as MessageKey, { path, ...(problem.vars ?? {}) }),
			);
		}
		psks.push(value);
	}
	return psks;
}

const sameSet = (a: readonly (string | number)[], b: readonly (string | number)[]) => {
	const left = new Set(a.map((value) => String(value).toUpperCase()));
	const right = new Set(b.map((value) => String(value).toUpperCase()));
	return left.size === right.size && [...left].every((value) => right.has(value));
};

const valuesOf = <T>(list: readonly { Value?: T }[] | undefined): T[] =>
	(list ?? []).map((item) => item.Value).filter((value): value is T => value !== undefined);

type Difference = { option: string; from: string; to: string } | { option: 'psk' };

/** What one answered tunnel asks that the tunnel AWS has does not match (options the answers omit are AWS's). */
function tunnelDifferences(
	wanted: VpnTunnelAnswers,
	psk: string | undefined,
	actual: TunnelOption,
): Difference[] {
	const out: Difference[] = [];
	const text = (values: readonly (string | number)[] | string | number | undefined) =>
		values === undefined ? '-' : Array.isArray(values) ? values.join(',') || '-' : String(values);
	const scalar = (option: string, want: string | number | undefined, have: string | number | undefined) => {
		if (want !== undefined && String(want) !== String(have))
			out.push({ option, from: text(have), to: text(want) });
	};
	const list = (
		option: string,
		want: readonly (string | number)[] | undefined,
		have: readonly (string | number)[],
	) => {
		if (want !== undefined && !sameSet(want, have)) out.push({ option, from: text(have), to: text(want) });
	};
	const phase = (
		prefix: 'phase1' | 'phase2',
		want: ProposalAnswers | undefined,
		have: { encryption: string[]; integrity: string[]; dhGroups: number[]; lifetime: number | undefined },
	) => {
		list(`${prefix}.encryption`, want?.encryption, have.encryption);
		list(`${prefix}.integrity`, want?.integrity, have.integrity);
		list(`${prefix}.dhGroups`, want?.dhGroups, have.dhGroups);
		scalar(`${prefix}.lifetimeSeconds`, want?.lifetimeSeconds, have.lifetime);
	};
	scalar('insideCidr', wanted.insideCidr, actual.TunnelInsideCidr);
	list('ikeVersions', wanted.ikeVersions, valuesOf(actual.IkeVersions));
	phase('phase1', wanted.phase1, {
		encryption: valuesOf(actual.Phase1EncryptionAlgorithms),
		integrity: valuesOf(actual.Phase1IntegrityAlgorithms),
		dhGroups: valuesOf(actual.Phase1DHGroupNumbers),
		lifetime: actual.Phase1LifetimeSeconds,
	});
	phase('phase2', wanted.phase2, {
		encryption: valuesOf(actual.Phase2EncryptionAlgorithms),
		integrity: valuesOf(actual.Phase2IntegrityAlgorithms),
		dhGroups: valuesOf(actual.Phase2DHGroupNumbers),
		lifetime: actual.Phase2LifetimeSeconds,
	});
	scalar('dpdTimeoutSeconds', wanted.dpdTimeoutSeconds, actual.DpdTimeoutSeconds);
	scalar('dpdTimeoutAction', wanted.dpdTimeoutAction, actual.DpdTimeoutAction);
	scalar('startupAction', wanted.startupAction, actual.StartupAction);
	// Compared in memory only; the key never reaches a message.
	if (psk !== undefined && actual.PreSharedKey !== undefined && actual.PreSharedKey !== psk) {
		out.push({ option: 'psk' });
	}
	return out;
}

/**
 * Why the connection's tunnels do not satisfy the answers, undefined when they do. AWS does not
 * promise the tunnels' order, so answered tunnel i may be either of AWS's two: any pairing that
 * matches every answered tunnel is a match.
 */
export function tunnelDrift(
	tunnels: readonly VpnTunnelAnswers[],
	psks: readonly (string | undefined)[],
	actual: readonly TunnelOption[],
): FlowMessage | undefined {
	// An endpoint that reports no tunnel options (some emulators) cannot be compared: never replace for that.
	if (tunnels.length === 0 || actual.length === 0) return undefined;
	const pairings =
		actual.length >= 2
			? [
					[0, 1],
					[1, 0],
				]
			: [[0]];
	let best: { tunnel: number; difference: Difference; count: number } | undefined;
	for (const pairing of pairings) {
		let first: { tunnel: number; difference: Difference } | undefined;
		let count = 0;
		for (const [index, wanted] of tunnels.entries()) {
			const have = actual[pairing[index] ?? -1] ?? {};
			const differences = tunnelDifferences(wanted, psks[index], have);
			count += differences.length;
			if (!first && differences[0]) first = { tunnel: index + 1, difference: differences[0] };
		}
		if (count === 0) return undefined;
		if (first && (!best || count < best.count)) best = { ...first, count };
	}
	if (!best) return undefined;
	const { tunnel, difference } = best;
	return 'from' in difference
		? say('flow.replace.tunnelOption', {
				tunnel,
				option: difference.option,
				from: difference.from,
				to: difference.to,
			})
		: say('flow.replace.tunnelPsk', { tunnel, reference: tunnels[tunnel - 1]?.psk ?? '-' });
}

/** The state record: ids, routing and the tunnels' addresses — never a key. */
function connectionRecord(
	found: { id: string; name: string; created: boolean },
	connection: VpnConnection,
	routing: Routing,
): StateResource {
	const tunnels = (connection.Options?.TunnelOptions ?? [])
		.filter((tunnel) => tunnel.OutsideIpAddress)
		.map((tunnel) => ({
			outsideIp: tunnel.OutsideIpAddress as string,
			...(tunnel.TunnelInsideCidr ? { insideCidr: tunnel.TunnelInsideCidr } : {}),
		}))
		.sort((a, b) => (a.outsideIp < b.outsideIp ? -1 : a.outsideIp > b.outsideIp ? 1 : 0));
	return record('vpn-connection', found, {
		...(connection.VpnGatewayId ? { vpnGatewayId: connection.VpnGatewayId } : {}),
		...(connection.CustomerGatewayId ? { customerGatewayId: connection.CustomerGatewayId } : {}),
		routing:
			connection.Options?.StaticRoutesOnly === undefined
				? routing
				: connection.Options.StaticRoutesOnly
					? 'static'
					: 'bgp',
		outsideIps: tunnelOutsideIps(connection),
		tunnels,
	});
}

/** Waits with a line per minute ("pending, 3 min so far") rather than one per poll. */
function vpnWait(ctx: StepContext): WaitOptions {
	return {
		...waitWith(ctx),
		onPoll: (state, elapsedMs) =>
			ctx.emit({
				type: 'wait',
				messageKey: 'flow.wait.vpnConnection',
				vars: { state: state ?? '-', minutes: Math.floor(elapsedMs / 60_000) },
			}),
	};
}

/** `available`, then the static routes (static routing: the site's prefixes and the link-local range). */
async function settleConnection(ctx: StepContext, found: Found): Promise<StateResource> {
	let connection = found.aws as VpnConnection;
	if (connection.State !== 'available') {
		ctx.emit({
			type: 'note',
			id: found.id,
			messageKey: 'flow.note.vpnSlow',
			vars: { minutes: Math.round((ctx.wait.timeoutMs ?? vpnAvailableTimeoutMs) / 60_000) },
		});
		try {
			connection = await waitForVpnConnectionAvailable(ctx.ec2, found.id, vpnWait(ctx));
		} catch (error) {
			if (!(error instanceof VpnConnectionGoneError)) throw error;
			throw new StepInputError(
				'vpn-connection',
				say('flow.error.vpnConnectionGone', { id: error.vpnConnectionId, state: error.state }),
				found.name,
			);
		}
	}
	const routing = routingOf(ctx.answers);
	const { connectionRoutes } = vpnRoutes(ctx.answers);
	if (routing === 'static' && connectionRoutes.length > 0) {
		const added = await ensureVpnConnectionRoutes(ctx.ec2, connection, connectionRoutes, call(ctx));
		if (added.length > 0) {
			ctx.emit({
				type: 'note',
				id: found.id,
				messageKey: 'flow.note.vpnRoutesAdded',
				vars: { routes: added.join(', ') },
			});
		}
	}
	const settled = connectionRecord(found, connection, routing);
	ctx.emit({
		type: 'note',
		id: found.id,
		messageKey: 'flow.note.vpnTunnels',
		vars: { addresses: (settled.outsideIps as string[]).join(', ') || '-' },
	});
	return settled;
}

const vpnConnectionStep: Step = {
	kind: 'vpn-connection',
	nameOf: (answers) => `${answers.name}-vpn`,
	find: (ctx) =>
		findByStateThenTag<VpnConnection>(
			ctx,
			'vpn-connection',
			vpnConnectionStep.nameOf(ctx.answers),
			(id) => findVpnConnectionById(ctx.ec2, id, call(ctx)),
			() => findVpnConnectionByStackTag(ctx.ec2, ctx.stack, call(ctx)),
			(connection) => connection.VpnConnectionId,
			isLiveVpnConnection,
		),
	async assess(ctx, found): Promise<Assessment> {
		const connection = found.aws as VpnConnection;
		if (connection.VpnGatewayId !== ctx.resolved.vpnGatewayId)
			return { action: 'replace', reason: parentReplaced('vpn-gateway') };
		if (connection.CustomerGatewayId !== ctx.resolved.customerGatewayId)
			return { action: 'replace', reason: parentReplaced('customer-gateway') };
		const routing = routingOf(ctx.answers);
		const staticOnly = connection.Options?.StaticRoutesOnly;
		const actualRouting: Routing = staticOnly ? 'static' : 'bgp';
		if (staticOnly !== undefined && actualRouting !== routing)
			return { action: 'replace', reason: say('flow.replace.routing', { from: actualRouting, to: routing }) };
		// A key that cannot be read now is not compared (apply says what is missing when it needs it).
		const psks = await resolveTunnelPsks(ctx.answers).catch((error) => {
			if (error instanceof StepInputError) return [];
			throw error;
		});
		const drift = tunnelDrift(ctx.answers.vpn?.tunnels ?? [], psks, connection.Options?.TunnelOptions ?? []);
		if (drift) return { action: 'replace', reason: drift };
		if (routing === 'static') {
			const have = new Set(staticRoutesOf(connection));
			const missing = vpnRoutes(ctx.answers).connectionRoutes.filter((cidr) => !have.has(cidr)).length;
			if (missing > 0) return { action: 'keep', note: say('flow.keep.vpnRoutesMissing', { count: missing }) };
		}
		return { action: 'keep' };
	},
	async create(ctx) {
		const name = vpnConnectionStep.nameOf(ctx.answers);
		const vpnGatewayId = requireResolved(ctx.resolved.vpnGatewayId, 'vpn-connection', 'vpn-gateway');
		const customerGatewayId = requireResolved(
			ctx.resolved.customerGatewayId,
			'vpn-connection',
			'customer-gateway',
		);
		const psks = await resolveTunnelPsks(ctx.answers);
		const request = vpnConnectionRequest(ctx.answers, { customerGatewayId, vpnGatewayId }, psks);
		const connection = await createVpnConnection(ctx.ec2, request, { stack: ctx.stack, name }, call(ctx));
		const found = { id: connection.VpnConnectionId!, name, created: true };
		// No client token exists for this call: the id goes to the state file before anything else.
		await ctx.checkpoint(connectionRecord(found, connection, routingOf(ctx.answers)));
		return settleConnection(ctx, { ...found, via: 'state', aws: connection });
	},
	async converge(ctx, found) {
		return settleConnection(ctx, found);
	},
	resolve(resolved, item) {
		resolved.vpnConnectionId = item.id;
	},
	async destroy(ctx, item) {
		await deleteVpnConnection(ctx.ec2, item.id, waitWith(ctx));
	},
};

/** single-aws-vpn's own steps, after the network and the instance, in the order apply walks them. */
export const vpnSteps: readonly Step[] = [vpnGatewayStep, customerGatewayStep, vpnConnectionStep];
