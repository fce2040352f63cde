import { IPv4CidrRange, IPv6CidrRange } from 'ip-num';
import type { ApplianceTunnelDesign, AwsVpnDesign, AwsVpnTunnel } from '../design/model.js';
import { createTranslator, type MessageKey, type MessageVars, type Translate } from '../i18n/index.js';
import type { AwsTunnelTelemetry, Finding, IkeSa, StatusSnapshot } from '../router/model.js';
import type { RekeyHistory } from './history.js';
import {
	type ApplianceSide,
	joinTunnels,
	listOf,
	normalizePeer,
	type TunnelRow,
	tunnelContextFromDesign,
	unmatchedBgpNeighbors,
} from './tunnels.js';

/**
 * The diagnosis rules of the live panel (shared/docs/troubleshooting.md): pure functions from what
 * the monitor sees to findings. Rules produce a code and variables; the words come from the catalogs
 * (`finding.<code>.message` / `.hint`), so the same finding reads in Japanese or English.
 */

export type FindingCode =
	| 'ike.no-sa.security-group'
	| 'ike.no-sa'
	| 'ike.negotiating'
	| 'ipsec.missing'
	| 'bgp.down'
	| 'bgp.no-prefixes'
	| 'aws.down-router-up'
	| 'aws.no-redundancy'
	| 'vpc.route-missing'
	| 'clock.skew'
	| 'appliance.failsafe'
	| 'mtu.advice'
	| 'ipsec.rekey-churn';

/** One inbound security-group rule, as `aws/security-group.ts` models it (protocol `-1` = all). */
export type SecurityGroupRuleInput = { protocol: string; fromPort?: number; toPort?: number; cidr: string };

export type DiagnoseInput = {
	snapshot: StatusSnapshot;
	/** `joinTunnels(snapshot, …)`; computed (with the design's tunnels) when absent. */
	rows?: readonly TunnelRow[];
	design?: ApplianceTunnelDesign | AwsVpnDesign;
	/** Inbound rules of the appliance instance's security group. */
	securityGroupRules?: readonly SecurityGroupRuleInput[];
	/** VgwTelemetry, when fetched apart from the snapshot; otherwise `snapshot.aws`. */
	awsTelemetry?: readonly AwsTunnelTelemetry[];
	/** This machine's clock minus AWS's (from a response's Date header), in seconds. */
	clockSkewSeconds?: number;
	/** The VPC route table of the subnet: whether VGW route propagation is on, and its destination CIDRs. */
	routeTable?: { propagation: boolean; routes: readonly string[] };
	/** The appliance answered with a default configuration (fail-safe, install-guide 8). */
	configResetDetected?: boolean;
	history?: RekeyHistory;
	/** Which end of an appliance tunnel is polled, to find its tunnel when `rows` is absent. */
	side?: ApplianceSide;
};

/** A variable's value: a literal, or a catalog entry to translate. */
export type FindingVar = string | number | { key: MessageKey; vars?: MessageVars };

/** A finding before translation. */
export type DetectedFinding = {
	code: FindingCode;
	severity: Finding['severity'];
	peer?: string;
	vars: Record<string, FindingVar>;
	/** Replaces the default hint (`finding.<code>.hint`). */
	hintKey?: MessageKey;
	/** Appended to the hint: e.g. configured vs expected values when the design knows them. */
	hintDetail?: { key: MessageKey; vars: Record<string, FindingVar> };
};

export type DiagnosedFinding = Finding & { peer?: string };

const messages: Record<FindingCode, { message: MessageKey; hint: MessageKey }> = {
	'ike.no-sa.security-group': {
		message: 'finding.ike.no-sa.security-group.message',
		hint: 'finding.ike.no-sa.security-group.hint',
	},
	'ike.no-sa': { message: 'finding.ike.no-sa.message', hint: 'finding.ike.no-sa.hint' },
	'ike.negotiating': { message: 'finding.ike.negotiating.message', hint: 'finding.ike.negotiating.hint' },
	'ipsec.missing': { message: 'finding.ipsec.missing.message', hint: 'finding.ipsec.missing.hint' },
	'bgp.down': { message: 'finding.bgp.down.message', hint: 'finding.bgp.down.hint' },
	'bgp.no-prefixes': { message: 'finding.bgp.no-prefixes.message', hint: 'finding.bgp.no-prefixes.hint' },
	'aws.down-router-up': {
		message: 'finding.aws.down-router-up.message',
		hint: 'finding.aws.down-router-up.hint',
	},
	'aws.no-redundancy': {
		message: 'finding.aws.no-redundancy.message',
		hint: 'finding.aws.no-redundancy.hint',
	},
	'vpc.route-missing': {
		message: 'finding.vpc.route-missing.message',
		hint: 'finding.vpc.route-missing.hint',
	},
	'clock.skew': { message: 'finding.clock.skew.message', hint: 'finding.clock.skew.hint' },
	'appliance.failsafe': {
		message: 'finding.appliance.failsafe.message',
		hint: 'finding.appliance.failsafe.hint',
	},
	'mtu.advice': { message: 'finding.mtu.advice.message', hint: 'finding.mtu.advice.hint' },
	'ipsec.rekey-churn': {
		message: 'finding.ipsec.rekey-churn.message',
		hint: 'finding.ipsec.rekey-churn.hint',
	},
};

export const findingCodes = Object.keys(messages) as FindingCode[];

/** AWS's limits (troubleshooting.md): inner MTU and TCP MSS through a VPN tunnel, clock skew. */
export const awsInnerMtu = 1399;
export const awsMss = 1387;
const skewWarningSeconds = 5 * 60;
const skewRejectedSeconds = 15 * 60;
/** Phase-2 lifetime assumed when the design does not say (AWS's default). */
const defaultPhase2LifetimeSeconds = 3600;
/** Re-establishments within one lifetime before it is churn: one is normal, a second can be an overlap. */
const churnThreshold = 3;

const unknown: FindingVar = { key: 'finding.value.unknown' };
const awsPhase1Allowed =
	'aes128|aes256|aes128gcm16|aes256gcm16 / sha1|sha256|sha384|sha512 / DH 2,14-24 / IKEv1|IKEv2';
const awsPhase2Allowed = 'aes128|aes256|aes128gcm16|aes256gcm16 / sha1|sha256|sha384|sha512 / PFS DH 2,14-24';
const maintenance = /mainten|replac|endpoint lifecycle/i;

const isUp = (row: TunnelRow) => row.phase1 === 'established' && row.phase2 === 'up';

function proposalOf(sa: IkeSa | undefined): FindingVar {
	if (!sa) return unknown;
	const parts = [
		sa.encryption,
		sa.integrity,
		sa.dhGroup !== undefined ? `DH ${sa.dhGroup}` : undefined,
		sa.version !== undefined ? `IKEv${sa.version}` : undefined,
	].filter((part): part is string => typeof part === 'string' && part !== '');
	return parts.length > 0 ? parts.join('/') : unknown;
}

function designTunnel(design: DiagnoseInput['design'], peer: string): AwsVpnTunnel | undefined {
	if (design?.kind !== 'aws-vpn') return undefined;
	return design.tunnels.find((tunnel) => normalizePeer(tunnel.awsOutsideIp) === peer);
}

function contains(cidr: string, address: string): boolean {
	try {
		if (address.includes(':'))
			return IPv6CidrRange.fromCidr(cidr).contains(IPv6CidrRange.fromCidr(`${address}/128`));
		return IPv4CidrRange.fromCidr(cidr).contains(IPv4CidrRange.fromCidr(`${address}/32`));
	} catch {
		return false;
	}
}

function allowsUdp(rule: SecurityGroupRuleInput, port: number, source: string): boolean {
	const protocol = String(rule.protocol).toLowerCase();
	const allProtocols = protocol === '-1' || protocol === 'all';
	if (!allProtocols && protocol !== 'udp' && protocol !== '17') return false;
	const allPorts = allProtocols || rule.fromPort === undefined || rule.fromPort === -1;
	if (!allPorts) {
		const from = rule.fromPort ?? 0;
		const to = rule.toPort ?? from;
		if (port < from || port > to) return false;
	}
	return contains(rule.cidr, source);
}

/** Whether `routes` reaches `prefix`: the same block, or a broader one short of the default route. */
function routed(prefix: string, routes: readonly string[]): boolean {
	const [network = ''] = prefix.split('/');
	return routes.some((route) => {
		if (route === prefix) return true;
		const length = Number(route.split('/')[1]);
		return length > 0 && length <= Number(prefix.split('/')[1] ?? 32) && contains(route, network);
	});
}

function inMaintenance(row: TunnelRow, telemetry: ReadonlyMap<string, AwsTunnelTelemetry>): boolean {
	const aws = telemetry.get(row.peer);
	if (aws?.status !== 'DOWN' || !maintenance.test(aws.statusMessage ?? '')) return false;
	// endpoint replacement takes one tunnel at a time: only normal while a sibling holds
	return [...telemetry.values()].some(
		(other) => other.vpnConnectionId === aws.vpnConnectionId && other.status === 'UP',
	);
}

function tunnelRules(
	input: DiagnoseInput,
	rows: readonly TunnelRow[],
	telemetry: ReadonlyMap<string, AwsTunnelTelemetry>,
) {
	const found: DetectedFinding[] = [];
	const { design } = input;
	for (const row of rows) {
		if (inMaintenance(row, telemetry)) continue;
		const peer = row.peer;
		const tunnel = designTunnel(design, peer);
		const isAwsTunnel =
			tunnel !== undefined || telemetry.has(peer) || row.expectation?.vpnConnectionId !== undefined;
		if (row.phase1 === 'missing' || row.phase1 === 'down') {
			// the security group guards the appliance; AWS's VPN endpoints have none
			const source =
				design?.kind === 'appliance-ipsec'
					? design.router.publicIp
					: isAwsTunnel || design
						? undefined
						: peer;
			const missing =
				input.securityGroupRules && source
					? [500, 4500].filter(
							(port) =>
								!input.securityGroupRules?.some((rule) => allowsUdp(rule, port, normalizePeer(source))),
						)
					: [];
			if (source && missing.length > 0)
				found.push({
					code: 'ike.no-sa.security-group',
					severity: 'error',
					peer,
					vars: { peer, source, missing: missing.map((port) => `UDP ${port}`).join(', ') },
				});
			else found.push({ code: 'ike.no-sa', severity: 'error', peer, vars: { peer } });
			continue;
		}
		if (row.phase1 === 'negotiating') {
			const expected: FindingVar = tunnel
				? `${tunnel.phase1.encryption}/${tunnel.phase1.integrity}/DH ${tunnel.phase1.dhGroup}/IKEv${tunnel.ikeVersion}`
				: isAwsTunnel
					? awsPhase1Allowed
					: unknown;
			found.push({
				code: 'ike.negotiating',
				severity: 'error',
				peer,
				vars: { peer, proposal: proposalOf(row.ike), expected },
			});
			continue;
		}
		if (row.phase2 !== 'up') {
			const expected: FindingVar = tunnel
				? `${tunnel.phase2.encryption}/${tunnel.phase2.integrity}/PFS DH ${tunnel.phase2.pfsGroup}/${tunnel.phase2.lifetimeSeconds} s`
				: isAwsTunnel
					? awsPhase2Allowed
					: unknown;
			found.push({ code: 'ipsec.missing', severity: 'error', peer, vars: { peer, expected } });
			continue;
		}
		if (row.bgp && row.bgp.state !== 'established') {
			const state: FindingVar =
				row.bgp.state === 'missing' ? { key: 'finding.value.not-configured' } : row.bgp.state;
			const finding: DetectedFinding = {
				code: 'bgp.down',
				severity: 'error',
				peer,
				vars: { peer, neighbor: row.bgp.neighbor, state },
			};
			const expectation = row.expectation;
			if (expectation) {
				const others = unmatchedBgpNeighbors(input.snapshot, rows);
				const configured =
					row.bgp.state === 'missing'
						? others.map((other) => `${other.neighbor} AS ${other.remoteAs ?? '?'}`).join(', ')
						: `${row.bgp.neighbor} AS ${row.bgp.remoteAs ?? '?'}`;
				finding.hintDetail = {
					key: 'finding.bgp.down.compare',
					vars: {
						configured: configured === '' ? { key: 'finding.value.none' } : configured,
						expectedNeighbor: expectation.bgpNeighbor ?? expectation.awsInsideIp ?? '?',
						expectedAs: expectation.remoteAs ?? '?',
						expectedLocal: expectation.customerInsideIp ?? '?',
						expectedLocalAs: expectation.localAs ?? '?',
					},
				};
			}
			found.push(finding);
		}
	}

	// neighbours no tunnel claims (no design to map them): IPsec up somewhere, BGP not established
	const upPeers = rows.filter(isUp).map((row) => row.peer);
	const designMapsBgp = rows.some((row) => row.bgp !== undefined);
	if (upPeers.length > 0 && !designMapsBgp) {
		for (const neighbor of unmatchedBgpNeighbors(input.snapshot, rows)) {
			if (neighbor.state === 'established') continue;
			found.push({
				code: 'bgp.down',
				severity: 'error',
				vars: { peer: upPeers.join(', '), neighbor: normalizePeer(neighbor.neighbor), state: neighbor.state },
			});
		}
	}

	for (const neighbor of listOf(input.snapshot.bgp)) {
		if (neighbor.state === 'established' && neighbor.prefixesReceived === 0) {
			const address = normalizePeer(neighbor.neighbor);
			const row = rows.find((candidate) => candidate.bgp?.neighbor === address);
			found.push({
				code: 'bgp.no-prefixes',
				severity: 'warning',
				...(row ? { peer: row.peer } : {}),
				vars: {
					neighbor: address,
					vpcCidr: design?.kind === 'aws-vpn' ? design.vpcCidr : { key: 'finding.value.vpc-cidr' },
				},
			});
		}
	}
	return found;
}

function awsRules(
	input: DiagnoseInput,
	rows: readonly TunnelRow[],
	telemetry: ReadonlyMap<string, AwsTunnelTelemetry>,
	routerReachable: boolean,
) {
	const found: DetectedFinding[] = [];
	const awsAddresses = new Set(telemetry.keys());
	if (input.design?.kind === 'aws-vpn')
		for (const tunnel of input.design.tunnels) awsAddresses.add(normalizePeer(tunnel.awsOutsideIp));

	if (routerReachable) {
		for (const [outsideIp, aws] of telemetry) {
			if (aws.status !== 'DOWN') continue;
			const same = rows.find((row) => row.peer === outsideIp);
			const routerPeers =
				same && isUp(same)
					? [outsideIp]
					: rows.filter((row) => isUp(row) && !awsAddresses.has(row.peer)).map((row) => row.peer);
			for (const routerPeer of routerPeers)
				found.push({
					code: 'aws.down-router-up',
					severity: 'error',
					peer: outsideIp,
					vars: { outsideIp, routerPeer, vpnConnectionId: aws.vpnConnectionId },
				});
		}
	}

	// redundancy: from AWS's telemetry when there is some, else from the router's view of the design's tunnels
	const byConnection = new Map<string, AwsTunnelTelemetry[]>();
	for (const aws of telemetry.values()) {
		const group = byConnection.get(aws.vpnConnectionId) ?? [];
		group.push(aws);
		byConnection.set(aws.vpnConnectionId, group);
	}
	for (const group of byConnection.values()) {
		const up = group.filter((aws) => aws.status === 'UP');
		if (group.length < 2 || up.length === 0) continue;
		for (const down of group.filter((aws) => aws.status !== 'UP')) {
			const message = down.statusMessage ?? '';
			const planned = maintenance.test(message);
			found.push({
				code: 'aws.no-redundancy',
				severity: planned ? 'info' : 'warning',
				peer: normalizePeer(down.outsideIp),
				vars: {
					outsideIp: normalizePeer(down.outsideIp),
					upIp: up.map((aws) => normalizePeer(aws.outsideIp)).join(', '),
					statusMessage: message,
				},
				...(planned ? { hintKey: 'finding.aws.no-redundancy.maintenance' as const } : {}),
			});
		}
	}
	if (byConnection.size === 0 && routerReachable && input.design?.kind === 'aws-vpn') {
		const designRows = input.design.tunnels.map((tunnel) =>
			rows.find((row) => row.peer === normalizePeer(tunnel.awsOutsideIp)),
		);
		const up = designRows.filter((row): row is TunnelRow => row !== undefined && isUp(row));
		const down = input.design.tunnels
			.map((tunnel) => normalizePeer(tunnel.awsOutsideIp))
			.filter((address) => !up.some((row) => row.peer === address));
		if (up.length > 0)
			for (const outsideIp of down)
				found.push({
					code: 'aws.no-redundancy',
					severity: 'warning',
					peer: outsideIp,
					vars: { outsideIp, upIp: up.map((row) => row.peer).join(', '), statusMessage: '' },
				});
	}
	// no telemetry and no design: the expected AWS tunnels (AWS's answer or the state file), per connection
	if (byConnection.size === 0 && routerReachable && input.design?.kind !== 'aws-vpn') {
		const expectedByConnection = new Map<string, TunnelRow[]>();
		for (const row of rows) {
			const id = row.expectation?.vpnConnectionId;
			if (id) expectedByConnection.set(id, [...(expectedByConnection.get(id) ?? []), row]);
		}
		for (const group of expectedByConnection.values()) {
			const up = group.filter(isUp);
			if (group.length < 2 || up.length === 0) continue;
			for (const row of group.filter((candidate) => !isUp(candidate)))
				found.push({
					code: 'aws.no-redundancy',
					severity: 'warning',
					peer: row.peer,
					vars: { outsideIp: row.peer, upIp: up.map((other) => other.peer).join(', '), statusMessage: '' },
				});
		}
	}
	return found;
}

function routeTableRule(input: DiagnoseInput): DetectedFinding[] {
	const { routeTable, design } = input;
	if (!routeTable) return [];
	const prefixes =
		design?.kind === 'aws-vpn'
			? design.customer.lan
			: design?.kind === 'appliance-ipsec'
				? design.appliance.routesViaTunnel
				: [];
	const missing = prefixes.filter((prefix) => !routed(prefix, routeTable.routes));
	const propagationNeeded = design?.kind !== 'appliance-ipsec';
	if (missing.length === 0 && !(propagationNeeded && !routeTable.propagation && prefixes.length === 0))
		return [];
	return [
		{
			code: 'vpc.route-missing',
			severity: 'error',
			vars: {
				prefixes: missing.length > 0 ? missing.join(', ') : { key: 'finding.value.site-prefixes' },
				propagation: { key: routeTable.propagation ? 'finding.value.on' : 'finding.value.off' },
			},
			...(design?.kind === 'appliance-ipsec'
				? { hintKey: 'finding.vpc.route-missing.appliance' as const }
				: {}),
		},
	];
}

function rekeyChurnRule(input: DiagnoseInput, rows: readonly TunnelRow[]): DetectedFinding[] {
	const { history } = input;
	if (!history) return [];
	const found: DetectedFinding[] = [];
	const polledAt = Date.parse(input.snapshot.router?.polledAt ?? '');
	for (const row of rows) {
		const times = history.rekeysFor(row.peer);
		if (times.length < churnThreshold) continue;
		const lifetime =
			designTunnel(input.design, row.peer)?.phase2.lifetimeSeconds ?? defaultPhase2LifetimeSeconds;
		const now = Number.isFinite(polledAt) ? polledAt : Math.max(...times);
		const count = times.filter((time) => time > now - lifetime * 1000 && time <= now).length;
		if (count >= churnThreshold)
			found.push({
				code: 'ipsec.rekey-churn',
				severity: 'warning',
				peer: row.peer,
				vars: { peer: row.peer, count, minutes: Math.round(lifetime / 60), lifetime },
			});
	}
	return found;
}

const severityOrder: Record<Finding['severity'], number> = { error: 0, warning: 1, info: 2 };

/** The rules, without words: what is wrong, with the values to show. Errors first. */
export function detectFindings(input: DiagnoseInput): DetectedFinding[] {
	const { snapshot, design } = input;
	const telemetryList = listOf(input.awsTelemetry ?? snapshot.aws);
	const telemetry = new Map<string, AwsTunnelTelemetry>();
	for (const aws of telemetryList) {
		const address = normalizePeer(aws.outsideIp);
		if (!telemetry.has(address)) telemetry.set(address, aws);
	}
	const rows =
		input.rows ??
		joinTunnels(
			{ ...snapshot, aws: [...telemetry.values()] },
			design ? tunnelContextFromDesign(design, input.side ?? 'router') : {},
		);
	// a router we cannot reach shows its last good data: no tunnel verdicts on stale facts
	const routerReachable = snapshot.router?.reachable !== false;

	const found: DetectedFinding[] = [];
	if (input.configResetDetected) found.push({ code: 'appliance.failsafe', severity: 'error', vars: {} });
	if (routerReachable) found.push(...tunnelRules(input, rows, telemetry));
	found.push(...awsRules(input, rows, telemetry, routerReachable));
	found.push(...routeTableRule(input));
	if (routerReachable) found.push(...rekeyChurnRule(input, rows));
	const skew = input.clockSkewSeconds;
	if (typeof skew === 'number' && Number.isFinite(skew) && Math.abs(skew) > skewWarningSeconds)
		found.push({
			code: 'clock.skew',
			severity: Math.abs(skew) >= skewRejectedSeconds ? 'error' : 'warning',
			vars: { seconds: Math.round(Math.abs(skew)) },
		});
	if (design?.kind === 'aws-vpn' && (design.mtu > awsInnerMtu || design.mss > awsMss))
		found.push({ code: 'mtu.advice', severity: 'warning', vars: { mtu: design.mtu, mss: design.mss } });

	const unique = new Map<string, DetectedFinding>();
	for (const finding of found) {
		const key = `${finding.code}|${finding.peer ?? ''}|${JSON.stringify(finding.vars)}`;
		if (!unique.has(key)) unique.set(key, finding);
	}
	return [...unique.values()].sort((a, b) => severityOrder[a.severity] - severityOrder[b.severity]);
}

function resolveVars(vars: Record<string, FindingVar>, t: Translate): MessageVars {
	const resolved: MessageVars = {};
	for (const [name, value] of Object.entries(vars)) {
		resolved[name] = typeof value === 'object' ? t(value.key, value.vars) : value;
	}
	return resolved;
}

export function translateFinding(finding: DetectedFinding, t: Translate): DiagnosedFinding {
	const vars = resolveVars(finding.vars, t);
	const hint = t(finding.hintKey ?? messages[finding.code].hint, vars);
	const detail = finding.hintDetail ? t(finding.hintDetail.key, resolveVars(finding.hintDetail.vars, t)) : '';
	return {
		severity: finding.severity,
		code: finding.code,
		message: t(messages[finding.code].message, vars),
		// Japanese sentences end in 。 and need no space before the next one
		hint: detail ? `${hint}${/[。！？]$/.test(hint) ? '' : ' '}${detail}` : hint,
		...(finding.peer !== undefined ? { peer: finding.peer } : {}),
	};
}

/** Findings in the user's language (English unless a translator is given). */
export function diagnose(input: DiagnoseInput, t: Translate = createTranslator('en')): DiagnosedFinding[] {
	return detectFindings(input).map((finding) => translateFinding(finding, t));
}
