import {
	CreateCustomerGatewayCommand,
	type CustomerGateway,
	DeleteCustomerGatewayCommand,
	DescribeCustomerGatewaysCommand,
	type EC2Client,
} from '@aws-sdk/client-ec2';
import { isNotFound } from './errors.js';
import { single, stackFilters, type Tagging, tagSpecifications } from './stack-tags.js';
import type { CallOptions } from './wait.js';

/**
 * Customer gateways (install-guide 5b): AWS's record of the user router — its public address and
 * BGP ASN. AWS answers a repeated CreateCustomerGateway (same address, ASN and type) with the
 * gateway that already exists, so one made by hand is found here by address and ASN too.
 */

/** Deleted (or being deleted) gateways stay visible for a while: they are no longer anyone's. */
export function isLiveCustomerGateway(gateway: CustomerGateway | undefined): gateway is CustomerGateway {
	return gateway !== undefined && gateway.State !== 'deleted' && gateway.State !== 'deleting';
}

/** The gateway's ASN as a number (AWS answers with a string; BgpAsnExtended above 2^31-1). */
export function customerGatewayAsn(gateway: CustomerGateway): number | undefined {
	const text = gateway.BgpAsnExtended ?? gateway.BgpAsn;
	const value = text === undefined ? Number.NaN : Number(text);
	return Number.isFinite(value) ? value : undefined;
}

export async function findCustomerGatewayById(
	ec2: EC2Client,
	customerGatewayId: string,
	options: CallOptions = {},
): Promise<CustomerGateway | undefined> {
	try {
		const output = await ec2.send(
			new DescribeCustomerGatewaysCommand({ CustomerGatewayIds: [customerGatewayId] }),
			{ abortSignal: options.signal },
		);
		return output.CustomerGateways?.[0];
	} catch (error) {
		if (isNotFound(error)) return undefined;
		throw error;
	}
}

export async function findCustomerGatewayByStackTag(
	ec2: EC2Client,
	stack: string,
	options: CallOptions & { role?: string } = {},
): Promise<CustomerGateway | undefined> {
	const output = await ec2.send(
		new DescribeCustomerGatewaysCommand({ Filters: stackFilters(stack, options.role) }),
		{ abortSignal: options.signal },
	);
	const live = (output.CustomerGateways ?? []).filter(isLiveCustomerGateway);
	return single('customer-gateway', stack, live, (gateway) => gateway.CustomerGatewayId);
}

/** A live gateway of type ipsec.1 with this address and ASN (what CreateCustomerGateway would hand back). */
export async function findCustomerGatewayByAddress(
	ec2: EC2Client,
	ipAddress: string,
	bgpAsn: number,
	options: CallOptions = {},
): Promise<CustomerGateway | undefined> {
	const output = await ec2.send(
		new DescribeCustomerGatewaysCommand({
			Filters: [
				{ Name: 'ip-address', Values: [ipAddress] },
				{ Name: 'type', Values: ['ipsec.1'] },
			],
		}),
		{ abortSignal: options.signal },
	);
	return (output.CustomerGateways ?? []).find(
		(gateway) => isLiveCustomerGateway(gateway) && customerGatewayAsn(gateway) === bgpAsn,
	);
}

export type CreateCustomerGatewayInput = Tagging & { ipAddress: string; bgpAsn: number };

const maxTwoByteSignedAsn = 2_147_483_647;

/**
 * CreateCustomerGateway (type ipsec.1), tagged at birth. When a gateway with the same address and
 * ASN already exists, AWS returns that one, with its own tags: the caller checks whose it is.
 */
export async function createCustomerGateway(
	ec2: EC2Client,
	input: CreateCustomerGatewayInput,
	options: CallOptions = {},
): Promise<CustomerGateway> {
	const output = await ec2.send(
		new CreateCustomerGatewayCommand({
			Type: 'ipsec.1',
			IpAddress: input.ipAddress,
			...(input.bgpAsn > maxTwoByteSignedAsn ? { BgpAsnExtended: input.bgpAsn } : { BgpAsn: input.bgpAsn }),
			TagSpecifications: tagSpecifications('customer-gateway', input),
		}),
		{ abortSignal: options.signal },
	);
	if (!output.CustomerGateway?.CustomerGatewayId) throw new Error('CreateCustomerGateway returned no id');
	return output.CustomerGateway;
}

/**
 * DeleteCustomerGateway; already gone counts as deleted. IncorrectState (a VPN connection still
 * uses it) is the caller's: delete the connection first and wait until it is deleted.
 */
export async function deleteCustomerGateway(
	ec2: EC2Client,
	customerGatewayId: string,
	options: CallOptions = {},
): Promise<void> {
	const gateway = await findCustomerGatewayById(ec2, customerGatewayId, options);
	if (!isLiveCustomerGateway(gateway)) return;
	try {
		await ec2.send(new DeleteCustomerGatewayCommand({ CustomerGatewayId: customerGatewayId }), {
			abortSignal: options.signal,
		});
	} catch (error) {
		if (isNotFound(error)) return;
		throw error;
	}
}
