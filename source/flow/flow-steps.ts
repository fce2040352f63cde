import type { Answers } from './answers.js';
import { type DestroyStep, imageSteps } from './image-steps.js';
import type { ResourceKind } from './state.js';
import { networkSteps, type Step } from './steps.js';
import { vpnSteps } from './vpn-steps.js';

/**
 * Which steps each flow walks (apply and plan in this order), and how destroy orders what a state
 * file holds. Every step any flow knows is in `allSteps`: destroy finds a kind's step there.
 */

/** Every step there is; a new kind's steps are one more spread here. */
const allSteps: readonly DestroyStep[] = [...networkSteps, ...vpnSteps, ...imageSteps];

export function stepFor(kind: string): DestroyStep | undefined {
	return allSteps.find((step) => step.kind === kind);
}

/**
 * single-appliance and multi-tenant: the network and the instance (multi-tenant's per-tenant IKE and
 * NAT-T rules are in the security group step); single-aws-vpn: the same, then the virtual private
 * gateway, the customer gateway and the VPN connection.
 */
export function stepsFor(answers: Pick<Answers, 'flow'>): readonly Step[] {
	switch (answers.flow) {
		case 'single-aws-vpn':
			return [...networkSteps, ...vpnSteps];
		case 'single-appliance':
		case 'multi-tenant':
			return networkSteps;
	}
}

/**
 * The order things are built in, whatever the flow; destroy walks it backwards. The image import's
 * kinds come before the instance (it boots from the image), so destroy reaches them only once the
 * instance is gone; a kind not listed is treated like them.
 */
const buildOrder: readonly ResourceKind[] = [
	'vpc',
	'subnet',
	'internet-gateway',
	'route-table',
	'security-group',
	'key-pair',
	'iam-role',
	's3-object',
	'snapshot',
	'image',
	'instance',
	'vpn-gateway',
	'customer-gateway',
	'vpn-connection',
];

/** Position in the build order (higher: deleted earlier). */
export function buildRank(kind: string): number {
	const index = buildOrder.indexOf(kind as ResourceKind);
	return index < 0 ? buildOrder.indexOf('image') : index;
}

/** Records in the order destroy deletes them: dependents first; records of one kind newest first. */
export function destroyOrder<T extends { kind: string }>(resources: readonly T[]): T[] {
	return [...resources].reverse().sort((a, b) => buildRank(b.kind) - buildRank(a.kind));
}
