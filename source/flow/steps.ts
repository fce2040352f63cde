import { readFile, rm } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type {
	CustomerGateway,
	EC2Client,
	Instance,
	InternetGateway,
	KeyPairInfo,
	RouteTable,
	SecurityGroup,
	Subnet,
	Vpc,
	VpnConnection,
	VpnGateway,
} from '@aws-sdk/client-ec2';
import type { AwsErrorDescription } from '../aws/errors.js';
import {
	deriveClientToken,
	findInstanceById,
	findInstanceByStackTag,
	findNewestOwnImage,
	getConsoleOutputText,
	instanceAddresses,
	isLiveInstance,
	runInstance,
	startInstance,
	terminateInstance,
	waitForInstanceRunning,
	waitForInstanceTerminated,
} from '../aws/instance.js';
import {
	attachedVpcId,
	attachInternetGateway,
	createInternetGateway,
	deleteInternetGateway,
	findInternetGatewayById,
	findInternetGatewayByStackTag,
	waitForInternetGatewayAttached,
} from '../aws/internet-gateway.js';
import {
	createKeyPair,
	deleteKeyPair,
	fileExists,
	findKeyPairById,
	findKeyPairByName,
	findKeyPairByStackTag,
	importKeyPair,
	privateKeyMatchesFingerprint,
	publicKeyOfPrivateKeyFile,
	waitForKeyPair,
	writePrivateKeyFile,
} from '../aws/key-pair.js';
import { isAmiId, listOwnImages } from '../aws/own-images.js';
import {
	createRouteTable,
	deleteRouteTable,
	ensureDefaultRoute,
	findMainRouteTable,
	findOtherRouteTable,
	findRouteTableById,
	findRouteTableByStackTag,
	makeMainRouteTable,
	restoreMainRouteTable,
	waitForMainRouteTable,
} from '../aws/route-table.js';
import {
	authorizeMissingIngress,
	createSecurityGroup,
	deleteSecurityGroup,
	findSecurityGroupById,
	findSecurityGroupByName,
	findSecurityGroupByStackTag,
	type IngressRule,
	missingIngressRules,
	waitForSecurityGroupRules,
} from '../aws/security-group.js';
import { isTaggedForStack } from '../aws/stack-tags.js';
import {
	createSubnet,
	deleteSubnet,
	enableSubnetPublicIp,
	findSubnetById,
	findSubnetByStackTag,
	waitForSubnetAvailable,
} from '../aws/subnet.js';
import {
	createVpc,
	deleteVpc,
	enableVpcDnsHostnames,
	findVpcById,
	findVpcByStackTag,
	waitForVpcAvailable,
} from '../aws/vpc.js';
import { pollUntil, type WaitOptions, WaitTimeoutError } from '../aws/wait.js';
import { createTranslator, type MessageKey, type MessageVars, type Translate } from '../i18n/index.js';
import type { Answers } from './answers.js';
import { findResource, type ResourceKind, type State, type StateResource } from './state.js';

/**
 * The network-and-instance steps (install guide sections 2–3), one object per resource kind:
 * how to find what exists, judge whether it satisfies the answers, create or converge it, and delete it.
 * The runner (runner.ts) and the planner (plan.ts) walk them in order.
 */

export type ChangeAction = 'create' | 'keep' | 'replace';

/**
 * A sentence for the user as a catalog key and the values it quotes, rendered in the user's
 * language; a value may itself be a message (a replacement's reason inside an error).
 */
export type FlowMessage = { key: MessageKey; vars?: FlowMessageVars };
export type FlowMessageVars = Record<string, string | number | FlowMessage>;

export function say(key: MessageKey, vars?: FlowMessageVars): FlowMessage {
	return vars ? { key, vars } : { key };
}

/** The values of a message with nested messages rendered by `t`. */
export function renderVars(t: Translate, vars: FlowMessageVars | undefined): MessageVars | undefined {
	if (!vars) return undefined;
	const out: MessageVars = {};
	for (const [name, value] of Object.entries(vars)) {
		out[name] = typeof value === 'object' ? renderMessage(t, value) : value;
	}
	return out;
}

/** For logs, errors' own `message` and callers that pass no translator. */
export const englishText: Translate = createTranslator('en');

export function renderMessage(t: Translate, message: FlowMessage): string {
	return t(message.key, renderVars(t, message.vars));
}

export type FlowEvent = {
	type: 'step-start' | 'step-done' | 'step-skip' | 'retry' | 'wait' | 'error' | 'note';
	kind: string;
	name: string;
	id?: string;
	action?: ChangeAction | 'delete' | 'adopt';
	elapsedMs?: number;
	error?: AwsErrorDescription & {
		/** What to do about it, in the user's language (the catalog's `awsError.*` explanation). */
		hint?: string;
	};
	/** For retries: the attempt about to start. */
	attempt?: number;
	/** What is being waited for, why a retry happens, or a note the user must read — in the user's language. */
	message?: string;
	/** The catalog key `message` was rendered from, and its values (for callers that render themselves). */
	messageKey?: MessageKey;
	vars?: FlowMessageVars;
};

/** What a step hands the runner to emit: `message` is rendered by the runner from `messageKey`. */
export type StepEvent = Omit<FlowEvent, 'kind' | 'name' | 'message'>;

/** Ids settled by earlier steps of this run (undefined while a parent is still to be created). */
export type Resolved = {
	vpcId?: string;
	subnetId?: string;
	internetGatewayId?: string;
	routeTableId?: string;
	securityGroupId?: string;
	keyPairId?: string;
	keyName?: string;
	instanceId?: string;
	vpnGatewayId?: string;
	customerGatewayId?: string;
	vpnConnectionId?: string;
};

export type StepContext = {
	ec2: EC2Client;
	answers: Answers;
	stack: string;
	state: State | undefined;
	resolved: Resolved;
	wait: WaitOptions;
	signal?: AbortSignal;
	emit: (event: StepEvent) => void;
	/** Record the resource in the state file now (apply only): called as soon as an id exists. */
	checkpoint: (resource: StateResource) => Promise<void>;
};

export type AwsObject =
	| Vpc
	| Subnet
	| InternetGateway
	| RouteTable
	| SecurityGroup
	| KeyPairInfo
	| Instance
	| VpnGateway
	| CustomerGateway
	| VpnConnection;

export type Found = {
	id: string;
	name: string;
	/** false: not made by kakehashi (untagged, found by name); destroy leaves it alone. */
	created: boolean;
	via: 'state' | 'tag' | 'name';
	aws: AwsObject;
	record?: StateResource;
};

export type Assessment =
	| { action: 'create' }
	| { action: 'keep'; note?: FlowMessage }
	| { action: 'replace'; reason: FlowMessage };

export type DestroyContext = {
	ec2: EC2Client;
	state: State;
	wait: WaitOptions;
	signal?: AbortSignal;
	emit: (event: StepEvent) => void;
};

export type Step = {
	kind: ResourceKind;
	nameOf: (answers: Answers) => string;
	find: (ctx: StepContext) => Promise<Found | undefined>;
	assess: (ctx: StepContext, found: Found) => Promise<Assessment>;
	/** Create, then converge; returns the state record. */
	create: (ctx: StepContext) => Promise<StateResource>;
	/** Bring an existing resource to what the answers ask (idempotent); returns the state record. */
	converge: (ctx: StepContext, found: Found) => Promise<StateResource>;
	/** Set ctx.resolved from a kept or created resource. */
	resolve: (resolved: Resolved, record: StateResource) => void;
	destroy: (ctx: DestroyContext, record: StateResource) => Promise<void>;
};

/** The answers or the account's contents stop a step (not an AWS error): the text says what to do. */
export class StepInputError extends Error {
	constructor(
		readonly kind: ResourceKind,
		readonly text: FlowMessage,
		readonly resourceName?: string,
	) {
		super(renderMessage(englishText, text));
		this.name = 'StepInputError';
	}
}

function foundFrom(ctx: StepContext, kind: ResourceKind): StateResource | undefined {
	return ctx.state ? findResource(ctx.state, kind) : undefined;
}

export function record(
	kind: ResourceKind,
	found: { id: string; name: string; created: boolean },
	extra = {},
): StateResource {
	return { kind, id: found.id, name: found.name, created: found.created, ...extra };
}

export const waitWith = (ctx: StepContext | DestroyContext): WaitOptions => ({
	...ctx.wait,
	...(ctx.signal ? { signal: ctx.signal } : {}),
	onPoll: (state) =>
		ctx.emit(
			state
				? { type: 'wait', messageKey: 'flow.wait.state', vars: { state } }
				: { type: 'wait', messageKey: 'flow.wait.notVisible' },
		),
});

export const call = (ctx: StepContext | DestroyContext) => (ctx.signal ? { signal: ctx.signal } : {});

/** Look a resource up by the id the state holds, then by the stack tag (adopting what a killed run created). */
export async function findByStateThenTag<T extends AwsObject>(
	ctx: StepContext,
	kind: ResourceKind,
	name: string,
	byId: (id: string) => Promise<T | undefined>,
	byTag: () => Promise<T | undefined>,
	idOf: (item: T) => string | undefined,
	usable: (item: T) => boolean = () => true,
): Promise<Found | undefined> {
	const known = foundFrom(ctx, kind);
	if (known) {
		const item = await byId(known.id);
		if (item && usable(item)) {
			return {
				id: known.id,
				name: known.name || name,
				created: known.created,
				via: 'state',
				aws: item,
				record: known,
			};
		}
	}
	const tagged = await byTag();
	const id = tagged ? idOf(tagged) : undefined;
	if (tagged && id && usable(tagged)) return { id, name, created: true, via: 'tag', aws: tagged };
	return undefined;
}

// ————————————————————————————————————————— VPC

const vpcStep: Step = {
	kind: 'vpc',
	nameOf: (answers) => `${answers.name}-vpc`,
	find: (ctx) =>
		findByStateThenTag<Vpc>(
			ctx,
			'vpc',
			vpcStep.nameOf(ctx.answers),
			(id) => findVpcById(ctx.ec2, id, call(ctx)),
			() => findVpcByStackTag(ctx.ec2, ctx.stack, call(ctx)),
			(vpc) => vpc.VpcId,
		),
	async assess(ctx, found) {
		const vpc = found.aws as Vpc;
		if (vpc.CidrBlock !== ctx.answers.vpc.cidr) {
			return {
				action: 'replace',
				reason: say('flow.replace.cidr', { from: vpc.CidrBlock ?? '?', to: ctx.answers.vpc.cidr }),
			};
		}
		return { action: 'keep' };
	},
	async create(ctx) {
		const name = vpcStep.nameOf(ctx.answers);
		const vpc = await createVpc(ctx.ec2, { stack: ctx.stack, name, cidr: ctx.answers.vpc.cidr }, call(ctx));
		const created = record('vpc', { id: vpc.VpcId!, name, created: true }, { cidr: ctx.answers.vpc.cidr });
		await ctx.checkpoint(created);
		return vpcStep.converge(ctx, {
			id: vpc.VpcId!,
			name,
			created: true,
			via: 'state',
			aws: vpc,
			record: created,
		});
	},
	async converge(ctx, found) {
		await waitForVpcAvailable(ctx.ec2, found.id, waitWith(ctx));
		await enableVpcDnsHostnames(ctx.ec2, found.id, call(ctx));
		return record('vpc', found, { cidr: (found.aws as Vpc).CidrBlock ?? ctx.answers.vpc.cidr });
	},
	resolve(resolved, item) {
		resolved.vpcId = item.id;
	},
	async destroy(ctx, item) {
		await deleteVpc(ctx.ec2, item.id, call(ctx));
	},
};

// ————————————————————————————————————————— Subnet

const subnetStep: Step = {
	kind: 'subnet',
	nameOf: (answers) => `${answers.name}-subnet`,
	find: (ctx) =>
		findByStateThenTag<Subnet>(
			ctx,
			'subnet',
			subnetStep.nameOf(ctx.answers),
			(id) => findSubnetById(ctx.ec2, id, call(ctx)),
			() => findSubnetByStackTag(ctx.ec2, ctx.stack, call(ctx)),
			(subnet) => subnet.SubnetId,
		),
	async assess(ctx, found) {
		const subnet = found.aws as Subnet;
		if (subnet.VpcId !== ctx.resolved.vpcId) return { action: 'replace', reason: parentReplaced('vpc') };
		if (subnet.CidrBlock !== ctx.answers.subnet.cidr) {
			return {
				action: 'replace',
				reason: say('flow.replace.cidr', { from: subnet.CidrBlock ?? '?', to: ctx.answers.subnet.cidr }),
			};
		}
		const zone = ctx.answers.subnet.availabilityZone;
		if (zone && subnet.AvailabilityZone !== zone) {
			return {
				action: 'replace',
				reason: say('flow.replace.zone', { from: subnet.AvailabilityZone ?? '?', to: zone }),
			};
		}
		return { action: 'keep' };
	},
	async create(ctx) {
		const name = subnetStep.nameOf(ctx.answers);
		const vpcId = requireResolved(ctx.resolved.vpcId, 'subnet', 'vpc');
		const subnet = await createSubnet(
			ctx.ec2,
			{
				stack: ctx.stack,
				name,
				vpcId,
				cidr: ctx.answers.subnet.cidr,
				...(ctx.answers.subnet.availabilityZone
					? { availabilityZone: ctx.answers.subnet.availabilityZone }
					: {}),
			},
			call(ctx),
		);
		const created = record('subnet', { id: subnet.SubnetId!, name, created: true }, { vpcId });
		await ctx.checkpoint(created);
		return subnetStep.converge(ctx, { id: subnet.SubnetId!, name, created: true, via: 'state', aws: subnet });
	},
	async converge(ctx, found) {
		const subnet = await waitForSubnetAvailable(ctx.ec2, found.id, waitWith(ctx));
		await enableSubnetPublicIp(ctx.ec2, subnet, call(ctx));
		return record('subnet', found, {
			vpcId: subnet.VpcId,
			cidr: subnet.CidrBlock,
			...(subnet.AvailabilityZone ? { availabilityZone: subnet.AvailabilityZone } : {}),
		});
	},
	resolve(resolved, item) {
		resolved.subnetId = item.id;
	},
	async destroy(ctx, item) {
		await deleteSubnet(ctx.ec2, item.id, call(ctx));
	},
};

// ————————————————————————————————————————— Internet gateway

const internetGatewayStep: Step = {
	kind: 'internet-gateway',
	nameOf: (answers) => `${answers.name}-igw`,
	find: (ctx) =>
		findByStateThenTag<InternetGateway>(
			ctx,
			'internet-gateway',
			internetGatewayStep.nameOf(ctx.answers),
			(id) => findInternetGatewayById(ctx.ec2, id, call(ctx)),
			() => findInternetGatewayByStackTag(ctx.ec2, ctx.stack, call(ctx)),
			(gateway) => gateway.InternetGatewayId,
		),
	async assess(ctx, found) {
		const attachedTo = attachedVpcId(found.aws as InternetGateway);
		// A detached gateway is simply attached; one serving another VPC is not ours to move.
		if (attachedTo && attachedTo !== ctx.resolved.vpcId)
			return { action: 'replace', reason: parentReplaced('vpc') };
		return { action: 'keep' };
	},
	async create(ctx) {
		const name = internetGatewayStep.nameOf(ctx.answers);
		const gateway = await createInternetGateway(ctx.ec2, { stack: ctx.stack, name }, call(ctx));
		const created = record('internet-gateway', { id: gateway.InternetGatewayId!, name, created: true });
		await ctx.checkpoint(created);
		return internetGatewayStep.converge(ctx, { ...created, via: 'state', aws: gateway });
	},
	async converge(ctx, found) {
		const vpcId = requireResolved(ctx.resolved.vpcId, 'internet-gateway', 'vpc');
		if (attachedVpcId(found.aws as InternetGateway) !== vpcId) {
			await attachInternetGateway(ctx.ec2, found.id, vpcId, call(ctx));
		}
		await waitForInternetGatewayAttached(ctx.ec2, found.id, vpcId, waitWith(ctx));
		return record('internet-gateway', found, { vpcId });
	},
	resolve(resolved, item) {
		resolved.internetGatewayId = item.id;
	},
	async destroy(ctx, item) {
		await deleteInternetGateway(ctx.ec2, item.id, call(ctx));
	},
};

// ————————————————————————————————————————— Route table

const routeTableStep: Step = {
	kind: 'route-table',
	nameOf: (answers) => `${answers.name}-route-table`,
	find: (ctx) =>
		findByStateThenTag<RouteTable>(
			ctx,
			'route-table',
			routeTableStep.nameOf(ctx.answers),
			(id) => findRouteTableById(ctx.ec2, id, call(ctx)),
			() => findRouteTableByStackTag(ctx.ec2, ctx.stack, call(ctx)),
			(table) => table.RouteTableId,
		),
	async assess(ctx, found) {
		if ((found.aws as RouteTable).VpcId !== ctx.resolved.vpcId)
			return { action: 'replace', reason: parentReplaced('vpc') };
		return { action: 'keep' };
	},
	async create(ctx) {
		const name = routeTableStep.nameOf(ctx.answers);
		const vpcId = requireResolved(ctx.resolved.vpcId, 'route-table', 'vpc');
		const table = await createRouteTable(ctx.ec2, { stack: ctx.stack, name, vpcId }, call(ctx));
		const created = record('route-table', { id: table.RouteTableId!, name, created: true }, { vpcId });
		await ctx.checkpoint(created);
		return routeTableStep.converge(ctx, { ...created, via: 'state', aws: table, record: created });
	},
	async converge(ctx, found) {
		const vpcId = requireResolved(ctx.resolved.vpcId, 'route-table', 'vpc');
		const gatewayId = requireResolved(ctx.resolved.internetGatewayId, 'route-table', 'internet-gateway');
		await ensureDefaultRoute(ctx.ec2, found.id, gatewayId, call(ctx));
		let current = record('route-table', found, {
			vpcId,
			...(typeof found.record?.originalMainRouteTableId === 'string'
				? { originalMainRouteTableId: found.record.originalMainRouteTableId }
				: {}),
		});
		const main = await findMainRouteTable(ctx.ec2, vpcId, call(ctx));
		if (main && main.routeTableId !== found.id) {
			// Recorded before the switch: a run killed right after it still knows what to give the main role back to.
			current = { ...current, originalMainRouteTableId: main.routeTableId };
			await ctx.checkpoint(current);
			await makeMainRouteTable(ctx.ec2, vpcId, found.id, call(ctx));
		}
		await waitForMainRouteTable(ctx.ec2, vpcId, found.id, gatewayId, waitWith(ctx));
		return current;
	},
	resolve(resolved, item) {
		resolved.routeTableId = item.id;
	},
	async destroy(ctx, item) {
		const table = await findRouteTableById(ctx.ec2, item.id, call(ctx));
		if (!table) return;
		const vpcId = table.VpcId ?? (typeof item.vpcId === 'string' ? item.vpcId : undefined);
		if (vpcId && table.Associations?.some((association) => association.Main === true)) {
			let original =
				typeof item.originalMainRouteTableId === 'string' ? item.originalMainRouteTableId : undefined;
			if (original && !(await findRouteTableById(ctx.ec2, original, call(ctx)))) original = undefined;
			original ??= await findOtherRouteTable(ctx.ec2, vpcId, item.id, call(ctx));
			if (!original) {
				throw new StepInputError(
					'route-table',
					say('flow.error.mainRouteTable', { id: item.id, vpc: vpcId }),
				);
			}
			await restoreMainRouteTable(ctx.ec2, vpcId, item.id, original, call(ctx));
		}
		for (const association of table.Associations ?? []) {
			// Explicit subnet associations (none of ours; a user may have added one) block deletion.
			if (!association.Main && association.SubnetId) {
				ctx.emit({
					type: 'note',
					messageKey: 'flow.note.routeTableAssociated',
					vars: { id: item.id, subnet: association.SubnetId },
				});
			}
		}
		await deleteRouteTable(ctx.ec2, item.id, call(ctx));
	},
};

// ————————————————————————————————————————— Security group

/**
 * The appliance's inbound rules (install guide section 3, and 5a / 6 for the appliance's own VPN):
 * SSH from the admins, everything from the user networks, IKE and NAT-T from each VPN peer.
 */
export function ingressRulesFor(answers: Answers): IngressRule[] {
	const rules: IngressRule[] = [];
	for (const cidr of answers.securityGroup.sshFrom) {
		rules.push({ protocol: 'tcp', fromPort: 22, toPort: 22, cidr, description: 'Allow SSH' });
	}
	for (const cidr of answers.securityGroup.userNetworks) {
		rules.push({ protocol: '-1', cidr, description: 'Allow From User Network' });
	}
	if (answers.flow === 'single-appliance' || answers.flow === 'multi-tenant') {
		for (const peer of answers.peers) {
			const cidr = peer.publicIp.includes('/') ? peer.publicIp : `${peer.publicIp}/32`;
			rules.push({ protocol: 'udp', fromPort: 500, toPort: 500, cidr, description: `ISAKMP ${peer.name}` });
			rules.push({
				protocol: 'udp',
				fromPort: 4500,
				toPort: 4500,
				cidr,
				description: `NAT-T (UDP-encap ISAKMP/ESP) ${peer.name}`,
			});
		}
	}
	return rules;
}

const securityGroupStep: Step = {
	kind: 'security-group',
	nameOf: (answers) => answers.securityGroup.name,
	async find(ctx) {
		const name = securityGroupStep.nameOf(ctx.answers);
		const found = await findByStateThenTag<SecurityGroup>(
			ctx,
			'security-group',
			name,
			(id) => findSecurityGroupById(ctx.ec2, id, call(ctx)),
			() => findSecurityGroupByStackTag(ctx.ec2, ctx.stack, call(ctx)),
			(group) => group.GroupId,
		);
		if (found || !ctx.resolved.vpcId) return found;
		// Names are unique per VPC: one made by hand is reused as it is, never duplicated.
		const named = await findSecurityGroupByName(ctx.ec2, ctx.resolved.vpcId, name, call(ctx));
		return named?.GroupId
			? { id: named.GroupId, name, created: isTaggedForStack(named.Tags, ctx.stack), via: 'name', aws: named }
			: undefined;
	},
	async assess(ctx, found) {
		const group = found.aws as SecurityGroup;
		if (group.VpcId !== ctx.resolved.vpcId) return { action: 'replace', reason: parentReplaced('vpc') };
		if (group.GroupName !== ctx.answers.securityGroup.name) {
			return {
				action: 'replace',
				reason: say('flow.replace.name', {
					from: group.GroupName ?? '?',
					to: ctx.answers.securityGroup.name,
				}),
			};
		}
		const missing = missingIngressRules(group, ingressRulesFor(ctx.answers)).length;
		return missing > 0
			? { action: 'keep', note: say('flow.keep.rulesMissing', { count: missing }) }
			: { action: 'keep' };
	},
	async create(ctx) {
		const name = securityGroupStep.nameOf(ctx.answers);
		const vpcId = requireResolved(ctx.resolved.vpcId, 'security-group', 'vpc');
		const group = await createSecurityGroup(
			ctx.ec2,
			{ stack: ctx.stack, name, vpcId, groupName: name },
			call(ctx),
		);
		const created = record('security-group', { id: group.GroupId!, name, created: true }, { vpcId });
		await ctx.checkpoint(created);
		// Describe may lag behind the create; the rule diff needs to see the group first.
		await waitForSecurityGroupRules(ctx.ec2, group.GroupId!, [], waitWith(ctx));
		return securityGroupStep.converge(ctx, { ...created, via: 'state', aws: group });
	},
	async converge(ctx, found) {
		const desired = ingressRulesFor(ctx.answers);
		const added = await authorizeMissingIngress(ctx.ec2, found.id, desired, call(ctx));
		if (added.length > 0) {
			ctx.emit({
				type: 'note',
				id: found.id,
				messageKey: 'flow.note.rulesAdded',
				vars: { count: added.length },
			});
			await waitForSecurityGroupRules(ctx.ec2, found.id, desired, waitWith(ctx));
		}
		return record('security-group', found, {
			vpcId: (found.aws as SecurityGroup).VpcId ?? ctx.resolved.vpcId,
		});
	},
	resolve(resolved, item) {
		resolved.securityGroupId = item.id;
	},
	async destroy(ctx, item) {
		await deleteSecurityGroup(ctx.ec2, item.id, call(ctx));
	},
};

// ————————————————————————————————————————— Key pair

export function privateKeyPath(answers: Answers): string {
	return resolvePath(answers.keyPair.privateKeyFile ?? `${answers.keyPair.name}.pem`);
}

/** Key pair exists in AWS, its private key is nowhere we can see, and it is not ours to replace. */
export class KeyPairChoiceError extends StepInputError {
	constructor(
		readonly keyName: string,
		readonly privateKeyFile: string,
		reason: 'missing' | 'mismatch',
	) {
		super(
			'key-pair',
			say(reason === 'missing' ? 'flow.error.keyPairMissing' : 'flow.error.keyPairMismatch', {
				name: keyName,
				path: privateKeyFile,
			}),
			keyName,
		);
		this.name = 'KeyPairChoiceError';
	}
}

const keyPairStep: Step = {
	kind: 'key-pair',
	nameOf: (answers) => answers.keyPair.name,
	async find(ctx) {
		const name = keyPairStep.nameOf(ctx.answers);
		const found = await findByStateThenTag<KeyPairInfo>(
			ctx,
			'key-pair',
			name,
			(id) => findKeyPairById(ctx.ec2, id, call(ctx)),
			() => findKeyPairByStackTag(ctx.ec2, ctx.stack, call(ctx)),
			(keyPair) => keyPair.KeyPairId,
		);
		if (found) return found;
		const named = await findKeyPairByName(ctx.ec2, name, call(ctx));
		return named?.KeyPairId
			? {
					id: named.KeyPairId,
					name,
					created: isTaggedForStack(named.Tags, ctx.stack),
					via: 'name',
					aws: named,
				}
			: undefined;
	},
	async assess(ctx, found) {
		const keyPair = found.aws as KeyPairInfo;
		if (keyPair.KeyName !== ctx.answers.keyPair.name) {
			return {
				action: 'replace',
				reason: say('flow.replace.name', { from: keyPair.KeyName ?? '?', to: ctx.answers.keyPair.name }),
			};
		}
		if (ctx.answers.keyPair.publicKeyFile) return { action: 'keep' };
		const path = privateKeyPath(ctx.answers);
		if (await fileExists(path)) {
			const matches = privateKeyMatchesFingerprint(await readFile(path, 'utf8'), keyPair.KeyFingerprint);
			if (matches === false) {
				if (found.created) return { action: 'replace', reason: say('flow.replace.keyMismatch', { path }) };
				throw new KeyPairChoiceError(keyPair.KeyName, path, 'mismatch');
			}
			return { action: 'keep' };
		}
		// Ours, but the PEM never reached the disk (a run killed in between, or it was deleted): the
		// private key is unrecoverable, so the only useful key pair is a new one.
		if (found.created) return { action: 'replace', reason: say('flow.replace.keyLost', { path }) };
		throw new KeyPairChoiceError(keyPair.KeyName, path, 'missing');
	},
	async create(ctx) {
		const name = keyPairStep.nameOf(ctx.answers);
		const publicKeyFile = ctx.answers.keyPair.publicKeyFile;
		if (publicKeyFile) {
			const publicKey = await readFile(publicKeyFile, 'utf8');
			const imported = await importKeyPair(
				ctx.ec2,
				{ stack: ctx.stack, name, keyName: name, publicKey },
				call(ctx),
			);
			ctx.emit({
				type: 'note',
				id: imported.keyPairId,
				messageKey: 'flow.note.keyImported',
				vars: { path: resolvePath(publicKeyFile), name },
			});
			await waitForKeyPair(ctx.ec2, imported.keyPairId, waitWith(ctx));
			return record(
				'key-pair',
				{ id: imported.keyPairId, name, created: true },
				{ keyName: imported.keyName, publicKeyFile: resolvePath(publicKeyFile) },
			);
		}
		const path = privateKeyPath(ctx.answers);
		if (await fileExists(path)) {
			// A private key is already there (kept by a destroy, or the user's own): never overwrite it;
			// import its public half, so that very PEM opens the appliance.
			const publicKey = await publicKeyOfPrivateKeyFile(path);
			const imported = await importKeyPair(
				ctx.ec2,
				{ stack: ctx.stack, name, keyName: name, publicKey },
				call(ctx),
			);
			ctx.emit({
				type: 'note',
				id: imported.keyPairId,
				messageKey: 'flow.note.keyImportedFromPem',
				vars: { path, name },
			});
			await waitForKeyPair(ctx.ec2, imported.keyPairId, waitWith(ctx));
			return record(
				'key-pair',
				{ id: imported.keyPairId, name, created: true },
				{ keyName: imported.keyName, privateKeyFile: path },
			);
		}
		const created = await createKeyPair(ctx.ec2, { stack: ctx.stack, name, keyName: name }, call(ctx));
		await writePrivateKeyFile(path, created.keyMaterial);
		ctx.emit({ type: 'note', id: created.keyPairId, messageKey: 'flow.note.keySaved', vars: { path } });
		await waitForKeyPair(ctx.ec2, created.keyPairId, waitWith(ctx));
		return record(
			'key-pair',
			{ id: created.keyPairId, name, created: true },
			{ keyName: created.keyName, privateKeyFile: path },
		);
	},
	async converge(ctx, found) {
		const keyPair = found.aws as KeyPairInfo;
		if (ctx.answers.keyPair.publicKeyFile) {
			return record('key-pair', found, {
				keyName: keyPair.KeyName,
				publicKeyFile: resolvePath(ctx.answers.keyPair.publicKeyFile),
			});
		}
		const path = privateKeyPath(ctx.answers);
		await rm(`${path}.kakehashi-partial`, { force: true });
		return record('key-pair', found, { keyName: keyPair.KeyName, privateKeyFile: path });
	},
	resolve(resolved, item) {
		resolved.keyPairId = item.id;
		resolved.keyName = typeof item.keyName === 'string' ? item.keyName : item.name;
	},
	async destroy(ctx, item) {
		await deleteKeyPair(ctx.ec2, { keyPairId: item.id }, call(ctx));
		if (typeof item.privateKeyFile === 'string') {
			ctx.emit({
				type: 'note',
				id: item.id,
				messageKey: 'flow.note.keyLeftOnDisk',
				vars: { path: item.privateKeyFile },
			});
		}
	},
};

// ————————————————————————————————————————— Instance

export class NoImageError extends StepInputError {
	constructor(readonly region: string) {
		super('instance', say('flow.error.noImage', { region }));
		this.name = 'NoImageError';
	}
}

/** `instance.ami` names an own image instead of giving its id, and this region has none of that name. */
export class NoImageNamedError extends StepInputError {
	constructor(
		readonly imageName: string,
		readonly region: string,
	) {
		super('instance', say('flow.error.noImageNamed', { name: imageName, region }));
		this.name = 'NoImageNamedError';
	}
}

/** `instance.ami` as an id: an id as it is, a name → the newest own image with exactly that name. */
export async function resolveImageAnswer(
	ec2: StepContext['ec2'],
	answers: StepContext['answers'],
	options: { signal?: AbortSignal } = {},
): Promise<string | undefined> {
	const ami = answers.instance.ami;
	if (!ami || isAmiId(ami)) return ami;
	const image = (await listOwnImages(ec2, { ...options, name: ami }))[0];
	if (!image) throw new NoImageNamedError(ami, answers.region);
	return image.imageId;
}

async function imageIdFor(ctx: StepContext): Promise<string> {
	const answered = await resolveImageAnswer(ctx.ec2, ctx.answers, call(ctx));
	if (answered) return answered;
	const image = await findNewestOwnImage(ctx.ec2, 'vaa', call(ctx));
	if (!image?.ImageId) throw new NoImageError(ctx.answers.region);
	return image.ImageId;
}

/** How long a fresh launch waits for the first lines of the system log before explaining why there are none. */
const systemLogWaitMs = 20_000;

/**
 * GetConsoleOutput after launch (install-guide section 3): its last line shows how far the
 * appliance booted; an empty log is normal for minutes (AWS refreshes it on its own timer), and says so.
 * Never fails the run: the log is information, not a step.
 */
async function reportSystemLog(ctx: StepContext, instanceId: string): Promise<void> {
	let text: string | undefined;
	try {
		text = await pollUntil(
			`the system log of ${instanceId}`,
			async () => {
				const output = await getConsoleOutputText(ctx.ec2, instanceId, call(ctx));
				return { state: output ? 'available' : 'empty', value: output };
			},
			(state) => state === 'available',
			{
				defaultTimeoutMs: systemLogWaitMs,
				timeoutMs: Math.min(systemLogWaitMs, ctx.wait.timeoutMs ?? systemLogWaitMs),
				...(ctx.wait.intervalMs !== undefined ? { intervalMs: ctx.wait.intervalMs } : {}),
				...(ctx.signal ? { signal: ctx.signal } : {}),
			},
		);
	} catch (error) {
		if (ctx.signal?.aborted) throw error;
		text = undefined;
		if (!(error instanceof WaitTimeoutError)) return;
	}
	const lastLine = text
		?.split(/\r?\n/)
		.map((line) => line.trim())
		.filter(Boolean)
		.at(-1);
	ctx.emit(
		lastLine
			? { type: 'note', id: instanceId, messageKey: 'flow.note.consoleLine', vars: { line: lastLine } }
			: { type: 'note', id: instanceId, messageKey: 'flow.note.consoleEmpty' },
	);
}

/** Bring a pending, stopping or stopped instance to running. */
async function runningInstance(ctx: StepContext, instance: Instance): Promise<Instance> {
	const instanceId = instance.InstanceId!;
	let state = instance.State?.Name;
	if (state === 'stopping') {
		await pollUntil(
			`instance ${instanceId} to stop before starting it again`,
			async () => {
				const current = await findInstanceById(ctx.ec2, instanceId, call(ctx));
				return { state: current?.State?.Name, value: undefined };
			},
			(current) => current !== 'stopping',
			{ defaultTimeoutMs: 600_000, ...waitWith(ctx) },
		);
		state = 'stopped';
	}
	if (state === 'stopped') {
		ctx.emit({ type: 'note', id: instanceId, messageKey: 'flow.note.instanceStarting' });
		await startInstance(ctx.ec2, instanceId, call(ctx));
	}
	return waitForInstanceRunning(ctx.ec2, instanceId, waitWith(ctx));
}

function instanceRecord(
	found: { id: string; name: string; created: boolean },
	instance: Instance,
	extra = {},
) {
	return record('instance', found, {
		...instanceAddresses(instance),
		...(instance.ImageId ? { imageId: instance.ImageId } : {}),
		...(instance.InstanceType ? { instanceType: instance.InstanceType } : {}),
		...extra,
	});
}

const instanceStep: Step = {
	kind: 'instance',
	nameOf: (answers) => answers.instance.name,
	find: (ctx) =>
		findByStateThenTag<Instance>(
			ctx,
			'instance',
			instanceStep.nameOf(ctx.answers),
			(id) => findInstanceById(ctx.ec2, id, call(ctx)),
			() => findInstanceByStackTag(ctx.ec2, ctx.stack, call(ctx)),
			(instance) => instance.InstanceId,
			isLiveInstance,
		),
	async assess(ctx, found) {
		const instance = found.aws as Instance;
		if (instance.SubnetId !== ctx.resolved.subnetId)
			return { action: 'replace', reason: parentReplaced('subnet') };
		if (instance.KeyName !== ctx.resolved.keyName)
			return { action: 'replace', reason: parentReplaced('key-pair') };
		const groups = instance.SecurityGroups?.map((group) => group.GroupId) ?? [];
		if (!ctx.resolved.securityGroupId || !groups.includes(ctx.resolved.securityGroupId)) {
			return { action: 'replace', reason: parentReplaced('security-group') };
		}
		const wantedImage = await resolveImageAnswer(ctx.ec2, ctx.answers, call(ctx));
		if (wantedImage && instance.ImageId !== wantedImage) {
			return {
				action: 'replace',
				reason: say('flow.replace.ami', { from: instance.ImageId ?? '?', to: wantedImage }),
			};
		}
		if (instance.InstanceType && instance.InstanceType !== ctx.answers.instance.type) {
			return {
				action: 'keep',
				note: say('flow.keep.instanceType', {
					actual: instance.InstanceType,
					wanted: ctx.answers.instance.type,
				}),
			};
		}
		return { action: 'keep' };
	},
	async create(ctx) {
		const name = instanceStep.nameOf(ctx.answers);
		const subnetId = requireResolved(ctx.resolved.subnetId, 'instance', 'subnet');
		const securityGroupId = requireResolved(ctx.resolved.securityGroupId, 'instance', 'security-group');
		const keyName = requireResolved(ctx.resolved.keyName, 'instance', 'key-pair');
		const imageId = await imageIdFor(ctx);
		const digest = ctx.state?.answersDigest ?? '';
		// The same inputs give the same token, so a run killed after RunInstances gets the same instance
		// back instead of a second one. A token whose instance has since been terminated is spent: the
		// next generation is just as deterministic.
		for (let generation = 0; generation < 20; generation++) {
			const clientToken = deriveClientToken(
				ctx.stack,
				digest,
				subnetId,
				securityGroupId,
				keyName,
				imageId,
				String(generation),
			);
			const launched = await runInstance(
				ctx.ec2,
				{
					stack: ctx.stack,
					name,
					imageId,
					instanceType: ctx.answers.instance.type,
					subnetId,
					securityGroupIds: [securityGroupId],
					keyName,
					clientToken,
				},
				call(ctx),
			);
			const state = launched.State?.Name;
			if (state === 'terminated' || state === 'shutting-down') continue;
			const found = { id: launched.InstanceId!, name, created: true };
			await ctx.checkpoint(instanceRecord(found, launched, { clientToken }));
			const running = await runningInstance(ctx, launched);
			const addresses = instanceAddresses(running);
			ctx.emit({
				type: 'note',
				id: found.id,
				messageKey: 'flow.note.instanceAddress',
				vars: { publicIp: addresses.publicIp ?? '-', privateIp: addresses.privateIp ?? '-' },
			});
			await reportSystemLog(ctx, found.id);
			return instanceRecord(found, running, { clientToken });
		}
		throw new StepInputError('instance', say('flow.error.runInstancesTerminated'), name);
	},
	async converge(ctx, found) {
		const running = await runningInstance(ctx, found.aws as Instance);
		const clientToken =
			typeof found.record?.clientToken === 'string' ? { clientToken: found.record.clientToken } : {};
		return instanceRecord(found, running, clientToken);
	},
	resolve(resolved, item) {
		resolved.instanceId = item.id;
	},
	async destroy(ctx, item) {
		await terminateInstance(ctx.ec2, item.id, call(ctx));
		await waitForInstanceTerminated(ctx.ec2, item.id, waitWith(ctx));
	},
};

/** Every flow's network and instance, in the order apply walks them (flow-steps.ts adds each mode's own). */
export const networkSteps: readonly Step[] = [
	vpcStep,
	subnetStep,
	internetGatewayStep,
	routeTableStep,
	securityGroupStep,
	keyPairStep,
	instanceStep,
];

export function requireResolved(value: string | undefined, kind: ResourceKind, parent: ParentKind): string {
	if (!value) {
		throw new StepInputError(
			kind,
			say('flow.error.parentMissing', {
				kind: say(`kind.${kind}` as MessageKey),
				parent: say(`flow.parent.${parent}`),
			}),
		);
	}
	return value;
}

export type ParentKind =
	| 'vpc'
	| 'subnet'
	| 'internet-gateway'
	| 'route-table'
	| 'security-group'
	| 'key-pair'
	| 'vpn-gateway'
	| 'customer-gateway';

export function parentReplaced(parent: ParentKind): FlowMessage {
	return say('flow.replace.parent', { parent: say(`flow.parent.${parent}`) });
}
