import type { ActionContext, ActionTable } from '../context.js';
import { dependencyViolation, Ec2Error } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { newId } from '../ids.js';
import { find, selectByIds } from '../lookups.js';
import { paginate } from '../pagination.js';
import { type InternetGatewayRecord, instanceStateAt } from '../state.js';
import { renderTags, tagsFromSpecifications } from '../tags.js';
import { type XmlObject, xmlList } from '../xml.js';

function renderInternetGateway(context: ActionContext, gateway: InternetGatewayRecord): XmlObject {
	return {
		internetGatewayId: gateway.id,
		ownerId: context.accountId,
		// A VPC attachment of an internet gateway reports `available` once attached.
		attachmentSet: xmlList(gateway.attachedVpcId ? [gateway.attachedVpcId] : [], (vpcId) => ({
			vpcId,
			state: 'available',
		})),
		tagSet: renderTags(gateway.tags),
	};
}

export const internetGatewayActions: ActionTable = {
	CreateInternetGateway(context) {
		const gateway: InternetGatewayRecord = {
			id: newId('igw', context.random),
			tags: tagsFromSpecifications(context, ['internet-gateway']).get('internet-gateway') ?? [],
		};
		context.region.internetGateways[gateway.id] = gateway;
		return { internetGateway: renderInternetGateway(context, gateway) };
	},

	AttachInternetGateway(context) {
		const gateway = find.internetGateway(
			context,
			context.params.required('InternetGatewayId', 'internetGatewayId'),
		);
		const vpc = find.vpc(context, context.params.required('VpcId', 'vpcId'));
		if (gateway.attachedVpcId !== undefined) {
			throw new Ec2Error(
				'Resource.AlreadyAssociated',
				`resource ${gateway.id} is already attached to network ${gateway.attachedVpcId}`,
			);
		}
		const other = Object.values(context.region.internetGateways).find(
			(candidate) => candidate.attachedVpcId === vpc.id,
		);
		if (other) {
			throw new Ec2Error(
				'Resource.AlreadyAssociated',
				`resource ${vpc.id} is already attached to internet gateway ${other.id}`,
			);
		}
		gateway.attachedVpcId = vpc.id;
		return { return: true };
	},

	DetachInternetGateway(context) {
		const gateway = find.internetGateway(
			context,
			context.params.required('InternetGatewayId', 'internetGatewayId'),
		);
		const vpc = find.vpc(context, context.params.required('VpcId', 'vpcId'));
		if (gateway.attachedVpcId !== vpc.id) {
			throw new Ec2Error(
				'Gateway.NotAttached',
				`resource ${gateway.id} is not attached to network ${vpc.id}`,
			);
		}
		const mapped = Object.values(context.region.instances).some(
			(instance) =>
				instance.vpcId === vpc.id &&
				instance.publicIp !== undefined &&
				instanceStateAt(instance, context.now) !== 'terminated',
		);
		if (mapped) {
			throw dependencyViolation(
				`Network ${vpc.id} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
			);
		}
		delete gateway.attachedVpcId;
		return { return: true };
	},

	DeleteInternetGateway(context) {
		const gateway = find.internetGateway(
			context,
			context.params.required('InternetGatewayId', 'internetGatewayId'),
		);
		if (gateway.attachedVpcId !== undefined) {
			throw dependencyViolation(
				`The internetGateway '${gateway.id}' has dependencies and cannot be deleted.`,
			);
		}
		delete context.region.internetGateways[gateway.id];
		return { return: true };
	},

	DescribeInternetGateways(context) {
		const ids = context.params.list('InternetGatewayId');
		const gateways = applyFilters(
			selectByIds('internetGateway', context.region.internetGateways, ids),
			parseFilters(context.params),
			{
				'attachment.state': (gateway) => (gateway.attachedVpcId ? 'available' : undefined),
				'attachment.vpc-id': (gateway) => gateway.attachedVpcId,
				'internet-gateway-id': (gateway) => gateway.id,
				'owner-id': () => context.accountId,
			},
			(gateway) => gateway.tags,
		);
		const page = paginate(gateways, context.params, (gateway) => gateway.id, {
			min: 5,
			max: 1000,
			idsParameter: 'internetGatewayIds',
			idsGiven: ids.length > 0,
		});
		return {
			internetGatewaySet: xmlList(page.items, (gateway) => renderInternetGateway(context, gateway)),
			nextToken: page.nextToken,
		};
	},
};
