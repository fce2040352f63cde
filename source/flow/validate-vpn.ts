import { IPv4CidrRange } from 'ip-num';
import type { AnswerIssue, Answers, Peer, ProposalAnswers, VpnTunnelAnswers } from './answers.js';
import { checkCidr, checkIpv4, validateInterfaceAddress, validatePskReference } from './validate.js';

/**
 * AWS Site-to-Site VPN rules (EC2 API reference: CreateCustomerGateway, CreateVpnGateway,
 * VpnTunnelOptionsSpecification; docs/troubleshooting.md) and the multi-tenant rules (install-guide 6),
 * as pure functions. Each issue names the field and the rule; `rule.<rule>` in the catalogs says it.
 */

function issue(path: string, rule: string, vars?: AnswerIssue['vars']): AnswerIssue {
	return vars ? { path, rule, severity: 'error', vars } : { path, rule, severity: 'error' };
}

export const DEFAULT_AMAZON_SIDE_ASN = 64512;
export const DEFAULT_CUSTOMER_ASN = 65000;

/** ASNs AWS keeps for itself and refuses for a customer gateway (7224, 9059, 10124 in Tokyo, 17943). */
export const AWS_RESERVED_ASNS: readonly number[] = [7224, 9059, 10124, 17943];

const MAX_ASN = 4294967294;

/** The Amazon side of a virtual private gateway: a private ASN, 64512–65534 or 4200000000–4294967294. */
export function validateAmazonSideAsn(asn: number, path = 'vpn.amazonSideAsn'): AnswerIssue[] {
	const privateAsn = (asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= MAX_ASN);
	return Number.isInteger(asn) && privateAsn ? [] : [issue(path, 'vpn.amazonAsn.range', { value: asn })];
}

/** The customer gateway's BGP ASN: 1–4294967294, not one AWS reserves, not the Amazon side's. */
export function validateCustomerGatewayAsn(
	asn: number,
	amazonSideAsn = DEFAULT_AMAZON_SIDE_ASN,
	path = 'peers[0].asn',
): AnswerIssue[] {
	if (!Number.isInteger(asn) || asn < 1 || asn > MAX_ASN)
		return [issue(path, 'vpn.asn.range', { value: asn })];
	if (AWS_RESERVED_ASNS.includes(asn)) return [issue(path, 'vpn.asn.reserved', { value: asn })];
	if (asn === amazonSideAsn) return [issue(path, 'vpn.asn.sameAsAmazon', { value: asn })];
	return [];
}

/** A tunnel PSK as AWS accepts it: 8–64 of letters, digits, `.` and `_`, not starting with `0`. */
export function validateTunnelPsk(value: string, path: string): AnswerIssue[] {
	if (value.length < 8 || value.length > 64) return [issue(path, 'vpn.psk.length', { length: value.length })];
	if (!/^[A-Za-z0-9._]+$/.test(value)) return [issue(path, 'vpn.psk.characters')];
	if (value.startsWith('0')) return [issue(path, 'vpn.psk.leadingZero')];
	return [];
}

const linkLocal = IPv4CidrRange.fromCidr('169.254.0.0/16');
const privateRanges = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map((cidr) =>
	IPv4CidrRange.fromCidr(cidr),
);

function isInside(address: string, range: IPv4CidrRange): boolean {
	if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address) || address.split('.').some((octet) => Number(octet) > 255))
		return false;
	return IPv4CidrRange.fromCidr(`${address}/32`).inside(range);
}
/** /30s AWS refuses as tunnel inside CIDRs. */
export const AWS_RESERVED_INSIDE_CIDRS: readonly string[] = [
	'169.254.0.0/30',
	'169.254.1.0/30',
	'169.254.2.0/30',
	'169.254.3.0/30',
	'169.254.4.0/30',
	'169.254.5.0/30',
	'169.254.169.252/30',
];

/** A tunnel inside CIDR: a /30 network inside 169.254.0.0/16, not one of AWS's reserved /30s. */
export function validateTunnelInsideCidr(value: string, path: string): AnswerIssue[] {
	const checked = checkCidr(value, path);
	if (!checked.ok) return [checked.issue];
	if (Number(checked.range.getPrefix().getValue()) !== 30) {
		return [issue(path, 'vpn.insideCidr.prefix', { value })];
	}
	if (!checked.range.inside(linkLocal)) return [issue(path, 'vpn.insideCidr.linkLocal', { value })];
	if (AWS_RESERVED_INSIDE_CIDRS.includes(checked.range.toCidrString())) {
		return [issue(path, 'vpn.insideCidr.reserved', { value })];
	}
	return [];
}

/** Inside CIDRs must be unique per virtual private gateway (across its VPN connections' tunnels). */
export function validateInsideCidrsUnique(
	entries: readonly { path: string; value: string }[],
): AnswerIssue[] {
	const seen = new Map<string, string>();
	const issues: AnswerIssue[] = [];
	for (const entry of entries) {
		const first = seen.get(entry.value);
		if (first !== undefined)
			issues.push(issue(entry.path, 'vpn.insideCidr.duplicate', { value: entry.value, other: first }));
		else seen.set(entry.value, entry.path);
	}
	return issues;
}

export const IKE_VERSIONS = ['ikev1', 'ikev2'] as const;
export const ENCRYPTION_ALGORITHMS = ['AES128', 'AES256', 'AES128-GCM-16', 'AES256-GCM-16'] as const;
export const INTEGRITY_ALGORITHMS = ['SHA1', 'SHA2-256', 'SHA2-384', 'SHA2-512'] as const;
/** Phase 1 and phase 2 Diffie-Hellman groups AWS offers. */
export const DH_GROUPS: readonly number[] = [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];

export function validateIkeVersions(values: readonly string[], path: string): AnswerIssue[] {
	return values.flatMap((value, index) =>
		(IKE_VERSIONS as readonly string[]).includes(value)
			? []
			: [issue(`${path}[${index}]`, 'vpn.ikeVersion', { value, allowed: IKE_VERSIONS.join(', ') })],
	);
}

/** Encryption, integrity and DH group lists of one phase, against what AWS allows. */
export function validateProposals(proposal: ProposalAnswers, path: string): AnswerIssue[] {
	const issues: AnswerIssue[] = [];
	const check = (
		values: readonly (string | number)[] | undefined,
		allowed: readonly (string | number)[],
		key: string,
	) => {
		values?.forEach((value, index) => {
			if (!allowed.includes(value)) {
				issues.push(
					issue(`${path}.${key}[${index}]`, 'vpn.proposal', { value, allowed: allowed.join(', ') }),
				);
			}
		});
	};
	check(proposal.encryption, ENCRYPTION_ALGORITHMS, 'encryption');
	check(proposal.integrity, INTEGRITY_ALGORITHMS, 'integrity');
	check(proposal.dhGroups, DH_GROUPS, 'dhGroups');
	return issues;
}

/** Phase 1 900–28800 s; phase 2 900–3600 s and below phase 1 (AWS defaults 28800 and 3600). */
export function validateLifetimes(
	phase1Seconds: number | undefined,
	phase2Seconds: number | undefined,
	path: string,
): AnswerIssue[] {
	const issues: AnswerIssue[] = [];
	const p1 = phase1Seconds ?? 28800;
	const p2 = phase2Seconds ?? 3600;
	if (phase1Seconds !== undefined && (p1 < 900 || p1 > 28800)) {
		issues.push(
			issue(`${path}.phase1.lifetimeSeconds`, 'vpn.lifetime.range', { value: p1, min: 900, max: 28800 }),
		);
	}
	if (phase2Seconds !== undefined && (p2 < 900 || p2 > 3600)) {
		issues.push(
			issue(`${path}.phase2.lifetimeSeconds`, 'vpn.lifetime.range', { value: p2, min: 900, max: 3600 }),
		);
	}
	if (p2 >= p1)
		issues.push(issue(`${path}.phase2.lifetimeSeconds`, 'vpn.lifetime.order', { phase1: p1, phase2: p2 }));
	return issues;
}

export function validateDpdTimeout(seconds: number, path: string): AnswerIssue[] {
	return Number.isInteger(seconds) && seconds >= 30
		? []
		: [issue(path, 'vpn.dpdTimeout', { value: seconds })];
}

/** Every option of one tunnel. */
export function validateVpnTunnelOptions(options: VpnTunnelAnswers, path: string): AnswerIssue[] {
	const issues: AnswerIssue[] = [];
	if (options.insideCidr !== undefined)
		issues.push(...validateTunnelInsideCidr(options.insideCidr, `${path}.insideCidr`));
	issues.push(...validatePskReference(options.psk, `${path}.psk`));
	if (options.ikeVersions) issues.push(...validateIkeVersions(options.ikeVersions, `${path}.ikeVersions`));
	if (options.phase1) issues.push(...validateProposals(options.phase1, `${path}.phase1`));
	if (options.phase2) issues.push(...validateProposals(options.phase2, `${path}.phase2`));
	issues.push(...validateLifetimes(options.phase1?.lifetimeSeconds, options.phase2?.lifetimeSeconds, path));
	if (options.dpdTimeoutSeconds !== undefined) {
		issues.push(...validateDpdTimeout(options.dpdTimeoutSeconds, `${path}.dpdTimeoutSeconds`));
	}
	return issues;
}

/** The single-aws-vpn flow's VPN answers: ASNs, tunnel options, inside CIDRs, static routes. */
export function validateAwsVpnAnswers(answers: Answers): AnswerIssue[] {
	const issues: AnswerIssue[] = [];
	const vpn = answers.vpn ?? {};
	const amazonAsn = vpn.amazonSideAsn ?? DEFAULT_AMAZON_SIDE_ASN;
	if (vpn.amazonSideAsn !== undefined) issues.push(...validateAmazonSideAsn(vpn.amazonSideAsn));
	answers.peers.forEach((peer, index) => {
		issues.push(
			...validateCustomerGatewayAsn(peer.asn ?? DEFAULT_CUSTOMER_ASN, amazonAsn, `peers[${index}].asn`),
		);
		if (peer.privateIp !== undefined) {
			const privateIp = checkIpv4(peer.privateIp, `peers[${index}].privateIp`);
			if (privateIp) issues.push(privateIp);
		}
		// AWS's tunnels reach the customer gateway over the internet: a private address only works through NAT.
		if (privateRanges.some((range) => isInside(peer.publicIp, range))) {
			issues.push({
				path: `peers[${index}].publicIp`,
				rule: 'vpn.customerIpPrivate',
				severity: 'warning',
				vars: { value: peer.publicIp },
			});
		}
	});
	if ((vpn.routing ?? 'bgp') === 'bgp' && vpn.staticRoutes !== undefined) {
		issues.push({ path: 'vpn.staticRoutes', rule: 'vpn.staticRoutesUnused', severity: 'warning' });
	}
	const tunnels = vpn.tunnels ?? [];
	tunnels.forEach((tunnel, index) => {
		issues.push(...validateVpnTunnelOptions(tunnel, `vpn.tunnels[${index}]`));
	});
	issues.push(
		...validateInsideCidrsUnique(
			tunnels.flatMap((tunnel, index) =>
				tunnel.insideCidr === undefined
					? []
					: [{ path: `vpn.tunnels[${index}].insideCidr`, value: tunnel.insideCidr }],
			),
		),
	);
	(vpn.staticRoutes ?? []).forEach((route, index) => {
		const checked = checkCidr(route, `vpn.staticRoutes[${index}]`);
		if (!checked.ok) issues.push(checked.issue);
	});
	if (vpn.linkLocalRoute !== undefined) {
		const checked = checkCidr(vpn.linkLocalRoute, 'vpn.linkLocalRoute');
		if (!checked.ok) issues.push(checked.issue);
		else if (!checked.range.inside(linkLocal) && !checked.range.isEquals(linkLocal)) {
			issues.push(issue('vpn.linkLocalRoute', 'vpn.insideCidr.linkLocal', { value: vpn.linkLocalRoute }));
		}
	}
	return issues;
}

/** A tenant's identity on the appliance, with the defaults from its position (install-guide table 4). */
export type TenantIdentity = {
	isakmpName: string;
	applianceTunnel: string;
	l2tpv3: { local: number; remote: number };
};

/** Tenant n (1-based): vaa<n>, tunnel<n>, L2TPv3 ids n1 / n2 (11/12, 21/22, …). */
export function tenantIdentity(peer: Peer, position: number): TenantIdentity {
	return {
		isakmpName: peer.tenant?.isakmpName ?? `vaa${position}`,
		applianceTunnel: peer.tenant?.applianceTunnel ?? `tunnel${position}`,
		l2tpv3: peer.tenant?.l2tpv3 ?? { local: position * 10 + 1, remote: position * 10 + 2 },
	};
}

/**
 * Multi-tenant: every tenant needs a distinct ISAKMP name, key, L2TPv3 id pair and appliance tunnel
 * interface, and none may reuse the single-mode tunnel (`tunnel0`, `vaa0`) when both coexist.
 */
export function validateTenants(answers: Answers): AnswerIssue[] {
	const issues: AnswerIssue[] = [];
	const names = new Map<string, string>([[answers.appliance.localName, 'appliance.localName']]);
	const tunnels = new Map<string, string>([['tunnel0', 'appliance']]);
	const ids = new Map<number, string>();
	const psks = new Map<string, string>();
	answers.peers.forEach((peer, index) => {
		const path = `peers[${index}]`;
		const identity = tenantIdentity(peer, index + 1);
		const claim = <K>(seen: Map<K, string>, key: K, field: string, rule: string) => {
			const other = seen.get(key);
			if (other !== undefined) issues.push(issue(`${path}.${field}`, rule, { value: String(key), other }));
			else seen.set(key, `${path}.${field}`);
		};
		claim(names, identity.isakmpName, 'tenant.isakmpName', 'tenant.duplicateName');
		claim(tunnels, identity.applianceTunnel, 'tenant.applianceTunnel', 'tenant.duplicateTunnel');
		if (!/^tunnel\d+$/.test(identity.applianceTunnel)) {
			issues.push(
				issue(`${path}.tenant.applianceTunnel`, 'tenant.tunnelName', { value: identity.applianceTunnel }),
			);
		}
		if (identity.l2tpv3.local === identity.l2tpv3.remote) {
			issues.push(issue(`${path}.tenant.l2tpv3`, 'tenant.l2tpv3Same', { value: identity.l2tpv3.local }));
		}
		claim(ids, identity.l2tpv3.local, 'tenant.l2tpv3.local', 'tenant.duplicateL2tpv3');
		claim(ids, identity.l2tpv3.remote, 'tenant.l2tpv3.remote', 'tenant.duplicateL2tpv3');
		if (peer.psk !== undefined) claim(psks, peer.psk, 'psk', 'tenant.duplicatePsk');
		if (peer.tunnelAddress !== undefined) {
			issues.push(...validateInterfaceAddress(peer.tunnelAddress, `${path}.tunnelAddress`));
		}
		if (peer.tenant?.containerAddress !== undefined) {
			issues.push(
				...validateInterfaceAddress(peer.tenant.containerAddress, `${path}.tenant.containerAddress`),
			);
		}
	});
	return issues;
}

/** Resolved tenant keys must differ too (two references can name the same secret). */
export function validateDistinctPsks(entries: readonly { path: string; value: string }[]): AnswerIssue[] {
	const seen = new Map<string, string>();
	const issues: AnswerIssue[] = [];
	for (const entry of entries) {
		const other = seen.get(entry.value);
		// the value itself never goes into the issue: messages and logs must not carry a key
		if (other !== undefined)
			issues.push(issue(entry.path, 'tenant.duplicatePsk', { value: entry.path, other }));
		else seen.set(entry.value, entry.path);
	}
	return issues;
}

/** The mode-specific rules of the answers: run after `validateAnswers`. */
export function validateModeAnswers(answers: Answers): AnswerIssue[] {
	if (answers.flow === 'single-aws-vpn') return validateAwsVpnAnswers(answers);
	if (answers.flow === 'multi-tenant') return validateTenants(answers);
	return [];
}
