/** Small IPv4 notations the vendor generators need (the design holds CIDR strings). */

/** `169.254.123.132/30` → 30. */
export function prefixLength(cidr: string): number {
	return Number(cidr.split('/')[1] ?? '32');
}

/** 30 → `255.255.255.252`. */
export function netmask(prefix: number): string {
	const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
	return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 255).join('.');
}

/** `172.30.0.0/16` → `['172.30.0.0', '255.255.0.0']` (IOS `ip route` form). */
export function networkAndMask(cidr: string): [string, string] {
	return [cidr.split('/')[0] ?? cidr, netmask(prefixLength(cidr))];
}

/** The customer side's interface address of a tunnel: its inside IP with the inside CIDR's prefix. */
export function withPrefix(address: string, cidr: string): string {
	return `${address}/${prefixLength(cidr)}`;
}
