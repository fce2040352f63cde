import {
	CreateRoleCommand,
	DeleteRoleCommand,
	DeleteRolePolicyCommand,
	GetRoleCommand,
	GetRolePolicyCommand,
	type IAMClient,
	PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { hasCode } from './errors.js';
import { stackTagKey } from './stack-tags.js';
import type { CallOptions } from './wait.js';

/**
 * The `vmimport` service role (AWS VM Import/Export, "Required service role"): VM Import assumes it
 * to read the uploaded disk from S3 and to make the snapshot. Trusted by vmie.amazonaws.com with the
 * external id `vmimport`; its permissions are limited to the upload bucket.
 */

export const VMIMPORT_ROLE = 'vmimport';
const vmieService = 'vmie.amazonaws.com';

/** The ARN partition of a region: aws, aws-cn (China), aws-us-gov (GovCloud). */
export function partitionOf(region: string): string {
	if (region.startsWith('cn-')) return 'aws-cn';
	if (region.startsWith('us-gov-')) return 'aws-us-gov';
	return 'aws';
}

/** The trust policy AWS documents for the role, word for word. */
export function vmimportTrustPolicy(): string {
	return JSON.stringify({
		Version: '2012-10-17',
		Statement: [
			{
				Effect: 'Allow',
				Principal: { Service: vmieService },
				Action: 'sts:AssumeRole',
				Condition: { StringEquals: { 'sts:Externalid': 'vmimport' } },
			},
		],
	});
}

/** What VM Import needs to import a disk from one bucket (AWS's documented role policy, narrowed to that bucket). */
export function vmimportRolePolicy(bucket: string, region: string): string {
	const partition = partitionOf(region);
	return JSON.stringify({
		Version: '2012-10-17',
		Statement: [
			{
				Effect: 'Allow',
				Action: ['s3:GetBucketLocation', 's3:GetObject', 's3:ListBucket'],
				Resource: [`arn:${partition}:s3:::${bucket}`, `arn:${partition}:s3:::${bucket}/*`],
			},
			{
				Effect: 'Allow',
				Action: ['ec2:ModifySnapshotAttribute', 'ec2:CopySnapshot', 'ec2:RegisterImage', 'ec2:Describe*'],
				Resource: '*',
			},
		],
	});
}

/** One inline policy per bucket, so granting another bucket adds a policy instead of rewriting one. */
export function vmimportPolicyName(bucket: string): string {
	return `kakehashi-vmimport-${bucket}`.slice(0, 128);
}

const asList = (value: unknown): unknown[] =>
	Array.isArray(value) ? value : value === undefined ? [] : [value];

/**
 * True when a trust policy lets vmie.amazonaws.com assume the role. GetRole returns the document
 * URL-encoded (RFC 3986); a plain JSON text is accepted too.
 */
export function trustsVmImport(document: string | undefined): boolean {
	if (!document) return false;
	let policy: unknown;
	try {
		policy = JSON.parse(document.trimStart().startsWith('{') ? document : decodeURIComponent(document));
	} catch {
		return false;
	}
	const statements = asList((policy as { Statement?: unknown }).Statement);
	return statements.some((item) => {
		if (typeof item !== 'object' || item === null) return false;
		const statement = item as { Effect?: unknown; Action?: unknown; Principal?: unknown };
		if (statement.Effect !== 'Allow') return false;
		const actions = asList(statement.Action).map((action) => String(action).toLowerCase());
		if (!actions.some((action) => action === 'sts:assumerole' || action === 'sts:*' || action === '*'))
			return false;
		const principal = statement.Principal as { Service?: unknown } | undefined;
		return asList(principal?.Service).includes(vmieService);
	});
}

/** The role exists but VM Import cannot assume it: changing someone's role is not ours to do. */
export class RoleNotTrustedError extends Error {
	constructor(readonly role: string) {
		super(
			`The IAM role "${role}" exists but does not trust ${vmieService}, so VM Import cannot use it. ` +
				`Add ${vmieService} (sts:AssumeRole, external id vmimport) to its trust policy, or delete the role and run again.`,
		);
		this.name = 'RoleNotTrustedError';
	}
}

export type EnsuredRole = {
	role: string;
	/** true: this run created the role (destroy deletes it); false: it existed. */
	created: boolean;
	/** The inline policy granting the bucket (added when missing). */
	policyName: string;
	policyAdded: boolean;
};

/**
 * GetRole → reuse the role when it trusts VM Import, refuse when it does not; create it when it is
 * missing. Then make sure its bucket policy exists (GetRolePolicy, else PutRolePolicy).
 */
export async function ensureVmimportRole(
	iam: IAMClient,
	input: { bucket: string; region: string; stack: string; role?: string },
	options: CallOptions = {},
): Promise<EnsuredRole> {
	const role = input.role ?? VMIMPORT_ROLE;
	const call = { abortSignal: options.signal };
	let created = false;
	try {
		const output = await iam.send(new GetRoleCommand({ RoleName: role }), call);
		if (!trustsVmImport(output.Role?.AssumeRolePolicyDocument)) throw new RoleNotTrustedError(role);
	} catch (error) {
		if (!hasCode(error, 'NoSuchEntity', 'NoSuchEntityException')) throw error;
		try {
			await iam.send(
				new CreateRoleCommand({
					RoleName: role,
					AssumeRolePolicyDocument: vmimportTrustPolicy(),
					Description: 'VM Import/Export service role (created by kakehashi for AMI import)',
					Tags: [{ Key: stackTagKey, Value: input.stack }],
				}),
				call,
			);
			created = true;
		} catch (createError) {
			// Another run created it between our GetRole and CreateRole: use it as if found.
			if (!hasCode(createError, 'EntityAlreadyExists', 'EntityAlreadyExistsException')) throw createError;
		}
	}
	const policyName = vmimportPolicyName(input.bucket);
	const wanted = vmimportRolePolicy(input.bucket, input.region);
	let present = false;
	try {
		const output = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policyName }), call);
		present = samePolicy(output.PolicyDocument, wanted);
	} catch (error) {
		if (!hasCode(error, 'NoSuchEntity', 'NoSuchEntityException')) throw error;
	}
	if (!present) {
		await iam.send(
			new PutRolePolicyCommand({ RoleName: role, PolicyName: policyName, PolicyDocument: wanted }),
			call,
		);
	}
	return { role, created, policyName, policyAdded: !present };
}

function samePolicy(document: string | undefined, wanted: string): boolean {
	if (!document) return false;
	try {
		const text = document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
		return JSON.stringify(JSON.parse(text)) === wanted;
	} catch {
		return false;
	}
}

/** DeleteRolePolicy then DeleteRole (IAM refuses to delete a role that still has inline policies); gone is fine. */
export async function deleteVmimportRole(
	iam: IAMClient,
	input: { role: string; policyNames: string[] },
	options: CallOptions = {},
): Promise<void> {
	const call = { abortSignal: options.signal };
	for (const policyName of input.policyNames) {
		try {
			await iam.send(new DeleteRolePolicyCommand({ RoleName: input.role, PolicyName: policyName }), call);
		} catch (error) {
			if (!hasCode(error, 'NoSuchEntity', 'NoSuchEntityException')) throw error;
		}
	}
	try {
		await iam.send(new DeleteRoleCommand({ RoleName: input.role }), call);
	} catch (error) {
		if (!hasCode(error, 'NoSuchEntity', 'NoSuchEntityException')) throw error;
	}
}
