import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * The answers file: the non-interactive form of the wizard's questions (contract.md).
 * The schema checks shape only; network rules (CIDR maths, overlaps, AWS limits) live in
 * validate.ts so the wizard can run them field by field.
 */

export const flowNames = ['single-appliance', 'single-aws-vpn', 'multi-tenant'] as const;
export type FlowName = (typeof flowNames)[number];

export const vendorNames = [
	'awplus',
	'cisco-ios',
	'nec-ix',
	'yamaha-rtx',
	'juniper-srx',
	'strongswan-frr',
] as const;
export type VendorName = (typeof vendorNames)[number];

const routerAccess = z.strictObject({
	vendor: z.enum(vendorNames),
	host: z.string().min(1).optional(),
	port: z.number().int().min(1).max(65535).optional(),
	user: z.string().min(1).optional(),
	identity: z.string().min(1).optional(),
	/** The router's internet-facing interface, used as `tunnel source` (the guide's AR router uses ppp0). */
	wanInterface: z.string().min(1).optional(),
});

/**
 * Multi-tenant mode (install-guide 6, tables 4 and 5): what distinguishes one tenant's L2TPv3-over-IPsec
 * tunnel from another's. Every field has a default from the tenant's position (1, 2, …).
 */
const tenant = z.strictObject({
	/** The appliance's ISAKMP phase-1 ID for this tenant: `vaa1`, `vaa2`, … */
	isakmpName: z.string().min(1).optional(),
	/** The appliance's tunnel interface for this tenant: `tunnel1`, `tunnel2`, … */
	applianceTunnel: z.string().min(1).optional(),
	/** L2TPv3 session IDs as the appliance sees them (the router mirrors them): 11/12, 21/22, … */
	l2tpv3: z
		.strictObject({
			local: z.number().int().min(1).max(4294967295),
			remote: z.number().int().min(1).max(4294967295),
		})
		.optional(),
	/** The AMF container the tunnel is bridged into (ConA, br1), for the plan and the README only. */
	container: z.string().min(1).optional(),
	bridge: z.string().min(1).optional(),
	/** The container's eth1 address, the far end of the tenant router's tunnel address. */
	containerAddress: z.string().optional(),
});

const peer = z.strictObject({
	name: z.string().min(1),
	publicIp: z.string(),
	lan: z.array(z.string()).min(1),
	psk: z.string().min(1).optional(),
	asn: z.number().int().min(1).max(4294967295).optional(),
	tunnelAddress: z.string().optional(),
	/** The address on the router's WAN interface when it sits behind NAT (publicIp is then the NAT's). */
	privateIp: z.string().optional(),
	router: routerAccess.optional(),
	tenant: tenant.optional(),
});

const proposals = z.strictObject({
	encryption: z.array(z.string().min(1)).min(1).optional(),
	integrity: z.array(z.string().min(1)).min(1).optional(),
	dhGroups: z.array(z.number().int()).min(1).optional(),
	lifetimeSeconds: z.number().int().optional(),
});

/** One AWS VPN tunnel's options (CreateVpnConnection TunnelOptions); omitted values are AWS's defaults. */
const vpnTunnel = z.strictObject({
	insideCidr: z.string().optional(),
	/** A reference (env:VAR, file:PATH); omitted: AWS generates the key. */
	psk: z.string().min(1).optional(),
	ikeVersions: z
		.array(z.enum(['ikev1', 'ikev2']))
		.min(1)
		.optional(),
	phase1: proposals.optional(),
	phase2: proposals.optional(),
	dpdTimeoutSeconds: z.number().int().optional(),
	dpdTimeoutAction: z.enum(['clear', 'none', 'restart']).optional(),
	startupAction: z.enum(['add', 'start']).optional(),
});

/** Single mode with AWS's VPN (install-guide 5b). */
const vpn = z.strictObject({
	amazonSideAsn: z.number().int().min(1).max(4294967295).optional(),
	routing: z.enum(['static', 'bgp']).optional(),
	/** Static routing: prefixes for CreateVpnConnectionRoute; default the peer's LAN. */
	staticRoutes: z.array(z.string()).optional(),
	/** The tunnels' link-local range routed toward the router (install-guide 5b), e.g. 169.254.0.0/16. */
	linkLocalRoute: z.string().optional(),
	/** What the router routes toward AWS with static routing; default the VPC block (the guide uses its subnet). */
	awsNetworks: z.array(z.string()).min(1).optional(),
	tunnels: z.array(vpnTunnel).max(2).optional(),
});

export const answersSchema = z.strictObject({
	flow: z.enum(flowNames),
	region: z.string().min(1),
	name: z.string().min(1),
	vpc: z.strictObject({ cidr: z.string() }),
	subnet: z.strictObject({ cidr: z.string(), availabilityZone: z.string().optional() }),
	securityGroup: z.strictObject({
		name: z.string().min(1),
		sshFrom: z.array(z.string()).default([]),
		userNetworks: z.array(z.string()).default([]),
	}),
	keyPair: z.strictObject({
		name: z.string().min(1),
		privateKeyFile: z.string().min(1).optional(),
		publicKeyFile: z.string().min(1).optional(),
	}),
	instance: z.strictObject({
		ami: z.string().optional(),
		type: z.string().min(1).default('t3.small'),
		name: z.string().min(1).default('AMF-VAA'),
	}),
	appliance: z
		.strictObject({
			user: z.string().min(1).default('manager'),
			localName: z.string().min(1).default('vaa0'),
			tunnelAddress: z.string().default('172.16.0.1/30'),
		})
		.default({ user: 'manager', localName: 'vaa0', tunnelAddress: '172.16.0.1/30' }),
	peers: z.array(peer).default([]),
	vpn: vpn.optional(),
});

export type Answers = z.infer<typeof answersSchema>;
export type Peer = z.infer<typeof peer>;
export type RouterAccess = z.infer<typeof routerAccess>;
export type TenantAnswers = z.infer<typeof tenant>;
export type VpnAnswers = z.infer<typeof vpn>;
export type VpnTunnelAnswers = z.infer<typeof vpnTunnel>;
export type ProposalAnswers = z.infer<typeof proposals>;

/** One problem with the answers: where it is, which rule it breaks, and the values the message needs. */
export type AnswerIssue = {
	path: string;
	rule: string;
	severity: 'error' | 'warning';
	vars?: Record<string, string | number>;
};

export class AnswersError extends Error {
	constructor(
		readonly file: string,
		readonly issues: AnswerIssue[],
	) {
		super(`${file}: ${issues.map((issue) => `${issue.path}: ${issue.rule}`).join('; ')}`);
		this.name = 'AnswersError';
	}
}

function pathOf(path: readonly PropertyKey[]): string {
	let text = '';
	for (const part of path) {
		if (typeof part === 'number') text += `[${part}]`;
		else text += text ? `.${String(part)}` : String(part);
	}
	return text || '(root)';
}

/** zod issues → our issues, so that messages come from the catalogs in the user's language. */
export function issuesFromZod(error: z.ZodError): AnswerIssue[] {
	const issues: AnswerIssue[] = [];
	for (const issue of error.issues) {
		const path = pathOf(issue.path);
		switch (issue.code) {
			case 'unrecognized_keys':
				for (const key of issue.keys) {
					issues.push({
						path: path === '(root)' ? key : `${path}.${key}`,
						rule: 'unknownKey',
						severity: 'error',
					});
				}
				break;
			case 'invalid_value':
				issues.push({
					path,
					rule: 'oneOf',
					severity: 'error',
					vars: { allowed: issue.values.map(String).join(', ') },
				});
				break;
			case 'invalid_type':
				issues.push({
					path,
					rule: issue.input === undefined ? 'required' : 'type',
					severity: 'error',
					vars: { expected: String(issue.expected) },
				});
				break;
			case 'too_small':
				issues.push({ path, rule: 'tooSmall', severity: 'error', vars: { minimum: String(issue.minimum) } });
				break;
			case 'too_big':
				issues.push({ path, rule: 'tooBig', severity: 'error', vars: { maximum: String(issue.maximum) } });
				break;
			default:
				issues.push({ path, rule: 'type', severity: 'error', vars: { expected: issue.message } });
		}
	}
	return issues;
}

export function parseAnswers(data: unknown, file = 'answers'): Answers {
	const result = answersSchema.safeParse(data);
	if (!result.success) throw new AnswersError(file, issuesFromZod(result.error));
	return result.data;
}

export async function loadAnswersFile(file: string): Promise<Answers> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		throw new AnswersError(file, [
			{ path: '(file)', rule: 'unreadable', severity: 'error', vars: { reason: (error as Error).message } },
		]);
	}
	const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
	if (document.errors.length > 0) {
		throw new AnswersError(
			file,
			document.errors.map((error) => ({
				path: '(yaml)',
				rule: 'yamlSyntax',
				severity: 'error' as const,
				vars: { reason: error.message.split('\n')[0] ?? error.message },
			})),
		);
	}
	return parseAnswers(document.toJS(), file);
}
