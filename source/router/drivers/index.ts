import type { VendorName } from '../../flow/answers.js';
import type { RouterDriver } from '../driver.js';
import { awplusDriver } from './awplus/index.js';

/**
 * The vendor drivers this build ships. A vendor missing here is refused with a clear message
 * (never parsed by another vendor's rules).
 */
export const drivers: Partial<Record<VendorName, RouterDriver>> = {
	awplus: awplusDriver,
};

export function driverFor(vendor: string): RouterDriver | undefined {
	return drivers[vendor as VendorName];
}
