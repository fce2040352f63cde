import type { ActionTable } from '../context.js';
import { tagActions } from '../tags.js';
import { imageActions } from './images.js';
import { instanceActions } from './instances.js';
import { internetGatewayActions } from './internet-gateways.js';
import { keyPairActions } from './key-pairs.js';
import { regionActions } from './regions.js';
import { routeTableActions } from './route-tables.js';
import { securityGroupActions } from './security-groups.js';
import { snapshotActions } from './snapshots.js';
import { subnetActions } from './subnets.js';
import { vpcActions } from './vpcs.js';
import { vpnActions } from './vpn.js';

/** Every EC2 action the sandbox answers, by its Query-protocol name. */
export const ec2Actions: ActionTable = {
	...regionActions,
	...vpcActions,
	...subnetActions,
	...internetGatewayActions,
	...routeTableActions,
	...securityGroupActions,
	...keyPairActions,
	...imageActions,
	...instanceActions,
	...tagActions,
	...vpnActions,
	...snapshotActions,
};

/** Actions that only read: they never change the store, so nothing is saved after them. */
export function isReadOnlyAction(action: string): boolean {
	return action.startsWith('Describe') || action.startsWith('Get');
}
