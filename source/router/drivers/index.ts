import type { VendorName } from '../../flow/answers.js';
import type { DriverCommand, RouterDriver } from '../driver.js';
import { awplusDriver } from './awplus/index.js';
import { ciscoIosDriver, ciscoIosExtraCommands } from './cisco-ios/index.js';
import { juniperSrxDriver } from './juniper-srx/index.js';
import { necIxDriver } from './nec-ix/index.js';
import { strongswanFrrDriver } from './strongswan-frr/index.js';
import { yamahaRtxDriver } from './yamaha-rtx/index.js';

/**
 * The vendor drivers this build ships. A vendor missing here is refused with a clear message
 * (never parsed by another vendor's rules).
 */
export const drivers: Partial<Record<VendorName, RouterDriver>> = {
	awplus: awplusDriver,
	'cisco-ios': ciscoIosDriver,
	'nec-ix': necIxDriver,
	'yamaha-rtx': yamahaRtxDriver,
	'juniper-srx': juniperSrxDriver,
	'strongswan-frr': strongswanFrrDriver,
};

/**
 * Commands a driver can parse but does not poll, because what they show overlaps a polled command
 * (polling both would list the same SAs twice). For `kakehashi parse` and the fixture tests.
 */
export const extraCommands: Partial<Record<VendorName, DriverCommand[]>> = {
	'cisco-ios': ciscoIosExtraCommands,
};

export function driverFor(vendor: string): RouterDriver | undefined {
	return drivers[vendor as VendorName];
}

/** Every command a vendor's driver can parse: the polled ones, then the extra ones. */
export function parsableCommands(vendor: string): DriverCommand[] {
	const driver = driverFor(vendor);
	return driver ? [...driver.commands, ...(extraCommands[vendor as VendorName] ?? [])] : [];
}

/**
 * The fixture folder of a command: `show ip bgp summary` → `show_ip_bgp_summary`,
 * `sudo -n vtysh -c 'show bgp summary json'` → `vtysh_c_show_bgp_summary_json`.
 */
export function commandSlug(command: string): string {
	return command
		.replace(/^sudo(?:\s+-\S+)*\s+/, '')
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '_')
		.replace(/^_+|_+$/g, '');
}
