import { IPv4, IPv4CidrRange, Validator } from 'ip-num';
import type { AnswerIssue, Answers } from './answers.js';
import { validateModeAnswers } from './validate-vpn.js';

/**
 * Network and AWS rules for the answers, as pure functions: the wizard runs the field-level ones as
 * the user types, `plan`/`apply`/`config` and the wizard's assembled answers run `validateAnswers`
 * (which includes the mode's rules, validate-vpn.ts) on the whole file. Every issue names the
 * field (`path`) and the rule; the catalogs turn that into a sentence in the user's language.
 */

const rfc1918 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((cidr) => IPv4CidrRange.fromCidr(cidr));
/** The default VPC's range, which AMF also uses as its management subnet (install-guide 2.1). */
const defaultVpcRange = IPv4CidrRange.fromCidr('172.31.0.0/16');
const anywhere = '0.0.0.0/0';

export type CidrCheck = { ok: true; range: IPv4CidrRange } | { ok: false; issue: AnswerIssue };

function issue(
	path: string,
	rule: string,
	vars?: AnswerIssue['vars'],
	severity: AnswerIssue['severity'] = 'error',
) {
	return vars ? { path, rule, severity, vars } : { path, rule, severity };
}

/** Syntax, then host bits: `172.30.0.1/16` is refused with the network address to use instead. */
export function checkCidr(value: string, path: string): CidrCheck {
	const text = value.trim();
	const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
	if (!match || !Validator.isValidIPv4CidrNotation(text)[0]) {
		return { ok: false, issue: issue(path, 'cidr.syntax', { value }) };
	}
	const prefix = Number(match[5]);
	const [ok] = Validator.isValidIPv4CidrRange(text);
	if (!ok) {
		const suggestion = `${networkAddress(text)}/${prefix}`;
		return { ok: false, issue: issue(path, 'cidr.hostBits', { value, suggestion }) };
	}
	return { ok: true, range: IPv4CidrRange.fromCidr(text) };
}

function networkAddress(cidr: string): string {
	const [address = '', prefixText = '0'] = cidr.split('/');
	const prefix = Number(prefixText);
	const value = IPv4.fromDecimalDottedString(address).getValue();
	const mask = prefix === 0 ? 0n : ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - prefix)) - 1n);
	return IPv4.fromNumber(value & mask).toString();
}

export function checkIpv4(value: string, path: string): AnswerIssue | undefined {
	if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(value.trim()) || !Validator.isValidIPv4String(value.trim())[0]) {
		return issue(path, 'ip.syntax', { value });
	}
	return undefined;
}

/** An interface address such as `172.16.0.1/30`: host bits set, neither the network nor the broadcast address. */
export function validateInterfaceAddress(value: string, path: string): AnswerIssue[] {
	const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(value.trim());
	if (!match || !Validator.isValidIPv4CidrNotation(value.trim())[0])
		return [issue(path, 'address.syntax', { value })];
	const prefix = Number(match[2]);
	if (prefix >= 31) return [];
	const network = networkAddress(value.trim());
	const range = IPv4CidrRange.fromCidr(`${network}/${prefix}`);
	const address = match[1] ?? '';
	if (address === range.getFirst().toString() || address === range.getLast().toString()) {
		return [issue(path, 'address.notHost', { value })];
	}
	return [];
}

/** The network an interface address (`172.16.0.2/24`) or CIDR block sits in; undefined when malformed. */
export function interfaceNetwork(value: string): IPv4CidrRange | undefined {
	const text = value.trim();
	const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
	if (!match || !Validator.isValidIPv4CidrNotation(text)[0]) return undefined;
	return IPv4CidrRange.fromCidr(`${networkAddress(text)}/${match[2]}`);
}

function prefixOf(range: IPv4CidrRange): number {
	return Number(range.getPrefix().getValue());
}

export function validateVpcCidr(value: string, path = 'vpc.cidr'): AnswerIssue[] {
	const checked = checkCidr(value, path);
	if (!checked.ok) return [checked.issue];
	const issues: AnswerIssue[] = [];
	const prefix = prefixOf(checked.range);
	if (prefix < 16 || prefix > 28) issues.push(issue(path, 'vpc.prefix', { value, prefix }));
	if (!rfc1918.some((range) => checked.range.inside(range) || checked.range.isEquals(range))) {
		issues.push(issue(path, 'vpc.notPrivate', { value }, 'warning'));
	}
	if (checked.range.isOverlapping(defaultVpcRange)) {
		issues.push(issue(path, 'vpc.amfManagementRange', { value }, 'warning'));
	}
	return issues;
}

export function validateSubnetCidr(value: string, vpcCidr: string, path = 'subnet.cidr'): AnswerIssue[] {
	const checked = checkCidr(value, path);
	if (!checked.ok) return [checked.issue];
	const issues: AnswerIssue[] = [];
	const prefix = prefixOf(checked.range);
	if (prefix < 16 || prefix > 28) issues.push(issue(path, 'subnet.prefix', { value, prefix }));
	const vpc = checkCidr(vpcCidr, 'vpc.cidr');
	if (vpc.ok && !(checked.range.inside(vpc.range) || checked.range.isEquals(vpc.range))) {
		issues.push(issue(path, 'subnet.outsideVpc', { value, vpc: vpcCidr }));
	}
	return issues;
}

/**
 * SSH sources: CIDR blocks; 0.0.0.0/0 is a warning, and when the caller knows this machine's public
 * address (`adminAddress`), the warning offers it as a /32 to use instead.
 */
export function validateSshSources(
	values: string[],
	path = 'securityGroup.sshFrom',
	context: { adminAddress?: string } = {},
): AnswerIssue[] {
	const issues: AnswerIssue[] = [];
	const admin =
		context.adminAddress && !checkIpv4(context.adminAddress, 'admin')
			? `${context.adminAddress.trim()}/32`
			: undefined;
	values.forEach((value, index) => {
		const checked = checkCidr(value, `${path}[${index}]`);
		if (!checked.ok) issues.push(checked.issue);
		else if (value.trim() === anywhere) {
			issues.push(
				admin
					? issue(`${path}[${index}]`, 'sg.sshFromAnywhereOffer', { suggestion: admin }, 'warning')
					: issue(`${path}[${index}]`, 'sg.sshFromAnywhere', {}, 'warning'),
			);
		}
	});
	return issues;
}

/**
 * Security group names in a VPC (EC2 API reference, CreateSecurityGroup): up to 255 characters of
 * a–z, A–Z, 0–9, spaces and ._-:/()#,@[]+=&;{}!$*, and not starting with `sg-`.
 */
export function validateSecurityGroupName(value: string, path = 'securityGroup.name'): AnswerIssue[] {
	if (
		value.length === 0 ||
		value.length > 255 ||
		!/^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/.test(value) ||
		value.toLowerCase().startsWith('sg-')
	) {
		return [issue(path, 'sg.name', { value })];
	}
	return [];
}

/** AWS: key pair names are up to 255 ASCII characters; we also refuse edge spaces, which hide in consoles. */
export function validateKeyPairName(value: string, path = 'keyPair.name'): AnswerIssue[] {
	if (value.length > 255 || !/^[\x20-\x7e]+$/.test(value) || value.trim() !== value) {
		return [issue(path, 'keyPair.name', { value })];
	}
	return [];
}

/** The stack name prefixes every Name tag and is the value of `kakehashi:stack`. */
export function validateStackName(value: string, path = 'name'): AnswerIssue[] {
	return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(value) ? [] : [issue(path, 'stack.name', { value })];
}

/**
 * Tag values (EC2 user guide, tag restrictions): 1–256 Unicode characters, no control characters,
 * and not starting with `aws:` in any case, which AWS reserves for its own tags.
 */
export function validateTagValue(value: string, path: string): AnswerIssue[] {
	if ([...value].length > 256 || value.length === 0) return [issue(path, 'tag.value', { value })];
	if (/[\u0000-\u001f\u007f]/.test(value))
		return [issue(path, 'tag.characters', { value: JSON.stringify(value) })];
	if (value.toLowerCase().startsWith('aws:')) return [issue(path, 'tag.reserved', { value })];
	return [];
}

type NamedRange = { path: string; value: string; range: IPv4CidrRange; owner: string };

/**
 * Network overlaps. Single mode: every site network against every other (the appliance routes them
 * all in one table, so it could not tell two apart) and every tunnel address against every network.
 * Multi-tenant mode (install-guide 6): each tenant's tunnel is bridged into its own AMF container, so
 * tenants may reuse the same LANs and tunnel addresses; a tenant's addresses are checked only against
 * the VPC and that tenant's own LANs. Networks of one owner may overlap (the security group's user
 * networks are the site's own LANs).
 */
export function validateNetworkOverlaps(answers: Answers): AnswerIssue[] {
	const tenantsIsolated = answers.flow === 'multi-tenant';
	const issues: AnswerIssue[] = [];
	const networks: NamedRange[] = [];
	const add = (path: string, value: string, owner: string) => {
		const checked = checkCidr(value, path);
		if (checked.ok) networks.push({ path, value, range: checked.range, owner });
	};
	for (const [index, value] of answers.securityGroup.userNetworks.entries()) {
		add(`securityGroup.userNetworks[${index}]`, value, 'users');
	}
	for (const [peerIndex, peer] of answers.peers.entries()) {
		for (const [index, value] of peer.lan.entries()) {
			add(`peers[${peerIndex}].lan[${index}]`, value, `peer:${peerIndex}`);
		}
	}
	const peerNetworks = networks.filter((network) => network.owner.startsWith('peer:'));
	if (!tenantsIsolated) {
		peerNetworks.forEach((network, index) => {
			for (const other of peerNetworks.slice(index + 1)) {
				if (other.owner !== network.owner && other.range.isOverlapping(network.range)) {
					issues.push(
						issue(other.path, 'network.overlapsNetwork', {
							value: other.value,
							other: network.value,
							otherPath: network.path,
						}),
					);
				}
			}
		});
	}
	const tunnels: { path: string; value: string; owner: string }[] = [
		{ path: 'appliance.tunnelAddress', value: answers.appliance.tunnelAddress, owner: 'appliance' },
		...answers.peers.flatMap((peer, index) =>
			peer.tunnelAddress
				? [{ path: `peers[${index}].tunnelAddress`, value: peer.tunnelAddress, owner: `peer:${index}` }]
				: [],
		),
	];
	const vpc = checkCidr(answers.vpc.cidr, 'vpc.cidr');
	const vpcRange: NamedRange[] = vpc.ok
		? [{ path: 'vpc.cidr', value: answers.vpc.cidr, range: vpc.range, owner: 'vpc' }]
		: [];
	for (const tunnel of tunnels) {
		const range = interfaceNetwork(tunnel.value);
		if (!range) continue;
		// in multi-tenant mode a tenant's tunnel shares a container with its own LANs only; the
		// appliance's own tunnel (single mode, coexisting) shares the appliance's table with the user networks
		const against = [
			...(tenantsIsolated
				? networks.filter((network) =>
						tunnel.owner === 'appliance' ? network.owner === 'users' : network.owner === tunnel.owner,
					)
				: networks),
			...vpcRange,
		];
		const clash = against.find((network) => network.range.isOverlapping(range));
		if (clash) {
			issues.push(
				issue(clash.path, 'network.overlapsTunnel', {
					value: clash.value,
					tunnel: tunnel.value,
					otherPath: tunnel.path,
				}),
			);
		}
	}
	return issues;
}

export function validateInstanceType(value: string, path = 'instance.type'): AnswerIssue[] {
	return /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(value) ? [] : [issue(path, 'instance.type', { value })];
}

export function validateRegion(value: string, path = 'region'): AnswerIssue[] {
	return /^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(value) ? [] : [issue(path, 'region.syntax', { value })];
}

/** PSKs never sit in an answers file: a reference to where the secret lives, or nothing (generated). */
export function validatePskReference(value: string | undefined, path: string): AnswerIssue[] {
	if (value === undefined) return [];
	if (/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(value) || /^file:.+$/.test(value)) return [];
	return [issue(path, 'psk.reference')];
}

const peerCount: Record<Answers['flow'], { min: number; max: number }> = {
	'single-appliance': { min: 1, max: 1 },
	'single-aws-vpn': { min: 1, max: 1 },
	'multi-tenant': { min: 1, max: 64 },
};

export function validateAnswers(answers: Answers): AnswerIssue[] {
	const issues: AnswerIssue[] = [];
	issues.push(...validateStackName(answers.name));
	issues.push(...validateRegion(answers.region));
	const vpcIssues = validateVpcCidr(answers.vpc.cidr);
	issues.push(...vpcIssues);
	const vpcOk = !vpcIssues.some((found) => found.rule.startsWith('cidr.'));
	if (vpcOk) issues.push(...validateSubnetCidr(answers.subnet.cidr, answers.vpc.cidr));
	else {
		const subnet = checkCidr(answers.subnet.cidr, 'subnet.cidr');
		if (!subnet.ok) issues.push(subnet.issue);
	}
	issues.push(...validateSshSources(answers.securityGroup.sshFrom));
	const vpc = checkCidr(answers.vpc.cidr, 'vpc.cidr');
	const userNetworks: { path: string; value: string }[] = [
		...answers.securityGroup.userNetworks.map((value, index) => ({
			path: `securityGroup.userNetworks[${index}]`,
			value,
		})),
		...answers.peers.flatMap((peer, peerIndex) =>
			peer.lan.map((value, index) => ({ path: `peers[${peerIndex}].lan[${index}]`, value })),
		),
	];
	for (const network of userNetworks) {
		const checked = checkCidr(network.value, network.path);
		if (!checked.ok) issues.push(checked.issue);
		else if (vpc.ok && checked.range.isOverlapping(vpc.range)) {
			issues.push(
				issue(network.path, 'network.overlapsVpc', { value: network.value, vpc: answers.vpc.cidr }),
			);
		}
	}
	issues.push(...validateNetworkOverlaps(answers));
	issues.push(...validateSecurityGroupName(answers.securityGroup.name));
	issues.push(...validateKeyPairName(answers.keyPair.name));
	if (!answers.keyPair.privateKeyFile && !answers.keyPair.publicKeyFile) {
		issues.push(issue('keyPair.privateKeyFile', 'keyPair.needFile'));
	}
	issues.push(...validateInstanceType(answers.instance.type));
	issues.push(...validateTagValue(answers.instance.name, 'instance.name'));
	if (answers.instance.ami !== undefined) issues.push(...validateAmi(answers.instance.ami, 'instance.ami'));
	issues.push(...validateInterfaceAddress(answers.appliance.tunnelAddress, 'appliance.tunnelAddress'));
	const count = peerCount[answers.flow];
	if (answers.peers.length < count.min || answers.peers.length > count.max) {
		issues.push(issue('peers', 'peers.count', { flow: answers.flow, min: count.min, max: count.max }));
	}
	const names = new Set<string>();
	const addresses = new Map<string, string>();
	answers.peers.forEach((peer, index) => {
		const path = `peers[${index}]`;
		if (names.has(peer.name)) issues.push(issue(`${path}.name`, 'peers.duplicateName', { value: peer.name }));
		names.add(peer.name);
		const ip = checkIpv4(peer.publicIp, `${path}.publicIp`);
		if (ip) issues.push(ip);
		else {
			// the appliance keys each tunnel's ISAKMP key and destination by the router's address
			const other = addresses.get(peer.publicIp.trim());
			if (other !== undefined)
				issues.push(issue(`${path}.publicIp`, 'peers.duplicateAddress', { value: peer.publicIp, other }));
			else addresses.set(peer.publicIp.trim(), `${path}.publicIp`);
		}
		issues.push(...validatePskReference(peer.psk, `${path}.psk`));
		if (peer.tunnelAddress !== undefined) {
			issues.push(...validateInterfaceAddress(peer.tunnelAddress, `${path}.tunnelAddress`));
		}
	});
	// the mode's own rules (AWS VPN options, tenant identities); some repeat a field rule above
	const seen = new Set(issues.map((found) => `${found.path}\u0000${found.rule}`));
	for (const found of validateModeAnswers(answers)) {
		const key = `${found.path}\u0000${found.rule}`;
		if (!seen.has(key)) issues.push(found);
		seen.add(key);
	}
	return issues;
}

export function hasErrors(issues: AnswerIssue[]): boolean {
	return issues.some((found) => found.severity === 'error');
}

/**
 * `instance.ami`: an AMI id (`ami-` and 8 or 17 hex digits), or the name of one of the account's own
 * images (3–128 of letters, digits and ( ) [ ] space . / - ' @ _, as RegisterImage allows), resolved
 * at plan/apply time to the newest own image with exactly that name.
 */
export function validateAmi(value: string, path: string): AnswerIssue[] {
	if (/^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(value)) return [];
	if (/^ami-/i.test(value)) return [issue(path, 'instance.ami', { value })];
	if (/^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/.test(value) && value.trim() === value) return [];
	return [issue(path, 'instance.amiName', { value })];
}
