import type { VendorName } from '../flow/answers.js';
import {
	applianceTunnelConfig,
	awsVpnRouterConfig,
	multiTenantApplianceConfig,
	routerTunnelConfig,
	tenantRouterConfig,
} from '../router/drivers/awplus/config.js';
import { ciscoIosAwsVpnConfig } from '../router/drivers/cisco-ios/config.js';
import { juniperSrxAwsVpnConfig } from '../router/drivers/juniper-srx/config.js';
import { necIxAwsVpnConfig } from '../router/drivers/nec-ix/config.js';
import { yamahaRtxAwsVpnConfig } from '../router/drivers/yamaha-rtx/config.js';
import type { AwsVpnDesign, Design } from './model.js';

/**
 * One entry point from a design to a configuration: which side (`appliance`, `router`, or a tenant's
 * name in multi-tenant mode) in which vendor's language. The generators stay pure and per vendor;
 * this table only says which exist for which design. strongswan-frr produces files, not lines, and
 * is called directly (router/drivers/strongswan-frr/config.ts).
 */

const awsVpnGenerators: Partial<Record<VendorName, (design: AwsVpnDesign) => string[]>> = {
	awplus: (design) => awsVpnRouterConfig(design),
	'cisco-ios': (design) => ciscoIosAwsVpnConfig(design),
	'nec-ix': (design) => necIxAwsVpnConfig(design),
	'yamaha-rtx': (design) => yamahaRtxAwsVpnConfig(design),
	'juniper-srx': (design) => juniperSrxAwsVpnConfig(design),
};

/** Vendors with a line generator for each kind of design. */
export function configVendors(kind: Design['kind']): VendorName[] {
	if (kind === 'aws-vpn') return Object.keys(awsVpnGenerators) as VendorName[];
	return ['awplus'];
}

/** Sides a design has: the appliance and the router, or the appliance and each tenant. */
export function configSides(design: Design): string[] {
	switch (design.kind) {
		case 'appliance-ipsec':
			return ['appliance', 'router'];
		case 'aws-vpn':
			return ['router'];
		case 'multi-tenant':
			return ['appliance', ...design.tenants.map((tenant) => tenant.tenantName)];
	}
}

export class ConfigUnavailableError extends Error {
	constructor(
		readonly reason: 'vendor' | 'side',
		readonly value: string,
		readonly allowed: string[],
	) {
		super(`no ${reason} "${value}" for this design (allowed: ${allowed.join(', ')})`);
		this.name = 'ConfigUnavailableError';
	}
}

/** The configuration lines for one side of a design in one vendor's language. Contains keys: print, never log. */
export function configLines(design: Design, vendor: VendorName, side: string): string[] {
	const vendors = configVendors(design.kind);
	if (!vendors.includes(vendor)) throw new ConfigUnavailableError('vendor', vendor, vendors);
	const sides = configSides(design);
	if (!sides.includes(side)) throw new ConfigUnavailableError('side', side, sides);
	switch (design.kind) {
		case 'appliance-ipsec':
			return side === 'appliance' ? applianceTunnelConfig(design) : routerTunnelConfig(design);
		case 'aws-vpn': {
			const generate = awsVpnGenerators[vendor];
			if (!generate) throw new ConfigUnavailableError('vendor', vendor, vendors);
			return generate(design);
		}
		case 'multi-tenant':
			return side === 'appliance' ? multiTenantApplianceConfig(design) : tenantRouterConfig(design, side);
	}
}
