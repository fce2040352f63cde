import ipNum from 'ip-num';

const { IPv4, IPv4CidrRange, Validator } = ipNum;

export type Ipv4Cidr = InstanceType<typeof IPv4CidrRange>;

/** The range, when `text` is IPv4 CIDR notation whose address is the network address; else undefined. */
export function parseNetworkCidr(text: string): Ipv4Cidr | undefined {
	const [valid] = Validator.isValidIPv4CidrRange(text);
	return valid ? IPv4CidrRange.fromCidr(text) : undefined;
}

export function prefixLength(cidr: Ipv4Cidr): number {
	return Number(cidr.getPrefix().getValue());
}

export function isValidIpv4(text: string): boolean {
	return Validator.isValidIPv4String(text)[0];
}

export function ipToNumber(text: string): bigint {
	return IPv4.fromString(text).getValue();
}

export function numberToIp(value: bigint): string {
	return IPv4.fromNumber(value).toString();
}

/** First and last address of a range, as numbers. */
export function bounds(cidr: Ipv4Cidr): [first: bigint, last: bigint] {
	return [cidr.getFirst().getValue(), cidr.getLast().getValue()];
}

/** `inner` lies entirely inside `outer`. */
export function cidrInside(inner: Ipv4Cidr, outer: Ipv4Cidr): boolean {
	const [innerFirst, innerLast] = bounds(inner);
	const [outerFirst, outerLast] = bounds(outer);
	return innerFirst >= outerFirst && innerLast <= outerLast;
}

export function cidrOverlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
	const [aFirst, aLast] = bounds(a);
	const [bFirst, bLast] = bounds(b);
	return aFirst <= bLast && bFirst <= aLast;
}
