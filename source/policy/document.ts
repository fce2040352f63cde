/**
 * The least-privilege IAM policy document of a flow, built from generated.ts: the actions the code
 * of that flow calls, found by scripts/policy/analyze.ts (TypeScript compiler API over source/), and
 * checked against what a real run sends to the sandbox (test/policy/policy.test.ts). Pure: no I/O.
 */

export type ImpliedPermission = {
	/** Why AWS checks it although no API call of that name is made. */
	reason: string;
	/** The ARN it is needed on ("*" when it cannot be narrowed). */
	resource: string;
	/** The code that makes AWS check it (`file#declaration`). */
	sources: string[];
};

export type PolicyEntry = {
	/** IAM action → the code that needs it (`file#declaration`). */
	calls: Record<string, string[]>;
	/** Permissions AWS checks beyond the operations' own actions (tag on create, passing a role). */
	implied: Record<string, ImpliedPermission>;
};

/** Key: a flow, or `flow+feature` (features sorted). */
export type GeneratedPolicies = Record<string, PolicyEntry>;

export const policyFlowNames = ['single-appliance', 'single-aws-vpn', 'multi-tenant'] as const;
export type PolicyFlowName = (typeof policyFlowNames)[number];
export const policyFeatureNames = ['image-import'] as const;
export type PolicyFeatureName = (typeof policyFeatureNames)[number];

export function policyKey(flow: string, features: readonly string[] = []): string {
	return [flow, ...[...features].sort()].join('+');
}

export type PolicyStatement = {
	Sid: string;
	Effect: 'Allow';
	Action: string[];
	Resource: string | string[];
};

export type PolicyDocument = { Version: '2012-10-17'; Statement: PolicyStatement[] };

/** Reads that change nothing: Describe*, Get*, List*, Head* (S3 reads map to Get/List actions). */
function isReadOnly(action: string): boolean {
	const name = action.split(':')[1] ?? '';
	return /^(Describe|Get|List|Head)/.test(name);
}

const serviceWords: Record<string, string> = { ec2: 'Ec2', s3: 'S3', iam: 'Iam', sts: 'Sts' };

function sidFor(service: string, part: string): string {
	return `Kakehashi${serviceWords[service] ?? service.replace(/[^A-Za-z0-9]/g, '')}${part}`;
}

/**
 * Every action the entry needs, grouped in statements per service and read/write; implied
 * permissions narrowed to a resource (iam:PassRole on the vmimport role) get their own statement.
 * Resource "*" elsewhere: the ids of what apply creates are not known before it runs, and EC2's
 * Describe* actions support no resource narrowing at all. Deterministic order (sorted).
 */
export function buildPolicyDocument(entry: PolicyEntry): PolicyDocument {
	const anywhere = new Set<string>(Object.keys(entry.calls));
	const narrowed = new Map<string, Set<string>>();
	for (const [action, implied] of Object.entries(entry.implied)) {
		if (implied.resource === '*') anywhere.add(action);
		else {
			const actions = narrowed.get(implied.resource) ?? new Set<string>();
			actions.add(action);
			narrowed.set(implied.resource, actions);
		}
	}
	const groups = new Map<string, string[]>();
	for (const action of [...anywhere].sort()) {
		if (action.includes('*')) throw new Error(`wildcard action ${action} in the generated policy`);
		const service = action.split(':')[0] ?? '';
		const key = `${service}:${isReadOnly(action) ? 'Read' : 'Write'}`;
		groups.set(key, [...(groups.get(key) ?? []), action]);
	}
	const statements: PolicyStatement[] = [...groups.entries()]
		.sort(([a], [b]) => a.localeCompare(b))
		.map(([key, actions]) => {
			const [service = '', part = ''] = key.split(':');
			return { Sid: sidFor(service, part), Effect: 'Allow', Action: actions, Resource: '*' };
		});
	let index = 0;
	for (const [resource, actions] of [...narrowed.entries()].sort(([a], [b]) => a.localeCompare(b))) {
		const service = [...actions][0]?.split(':')[0] ?? '';
		index += 1;
		statements.push({
			Sid: sidFor(service, `Scoped${index}`),
			Effect: 'Allow',
			Action: [...actions].sort(),
			Resource: resource,
		});
	}
	return { Version: '2012-10-17', Statement: statements };
}

/** Every action a document allows (for tests and checks). */
export function actionsOf(document: PolicyDocument): string[] {
	return [...new Set(document.Statement.flatMap((statement) => statement.Action))].sort();
}
