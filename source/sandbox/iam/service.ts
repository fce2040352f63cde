import { randomBytes } from 'node:crypto';
import { XMLBuilder } from 'fast-xml-parser';
import { Ec2Error } from '../ec2/errors.js';
import type { QueryParams } from '../ec2/query.js';
import type { IamRoleRecord, IamState } from './state.js';

/**
 * IAM's Query API (version 2010-05-08) for the roles image import needs: CreateRole, GetRole,
 * UpdateAssumeRolePolicy, DeleteRole, ListRoles and the inline role policies (Put/Get/List/Delete
 * RolePolicy). IAM is global: the sandbox accepts a scope in any region AWS knows, as it does for STS
 * (real IAM wants `us-east-1`, which the SDK and the CLI sign with for the global endpoint).
 * Policy documents are returned URL-encoded, as IAM returns them.
 *
 * Each action is recorded under its IAM action name (`iam:CreateRole`…).
 */

export const IAM_XML_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: false });

export type IamResponse = { status: number; body: string };

export type IamContext = {
	state: () => IamState;
	accountId: () => string;
	now: () => number;
	onMutation: () => void;
	record: (iamAction: string) => void;
};

const STATUS: Record<string, number> = {
	NoSuchEntity: 404,
	EntityAlreadyExists: 409,
	DeleteConflict: 409,
	LimitExceeded: 409,
	ServiceFailure: 500,
};

export function renderIamError(error: Ec2Error, requestId: string): IamResponse {
	const code =
		error.code === 'AuthFailure'
			? 'InvalidClientTokenId'
			: error.code === 'RequestExpired'
				? 'SignatureDoesNotMatch'
				: error.code;
	const message =
		code === 'InvalidClientTokenId'
			? 'The security token included in the request is invalid.'
			: error.code === 'RequestExpired'
				? `Signature expired: the request time is more than 15 minutes away from ${new Date().toISOString()}.`
				: error.message;
	const status = code === 'InvalidClientTokenId' ? 403 : error.status;
	return {
		status,
		body: builder.build({
			'?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
			ErrorResponse: {
				'@_xmlns': IAM_XML_NAMESPACE,
				Error: { Type: status >= 500 ? 'Receiver' : 'Sender', Code: code, Message: message },
				RequestId: requestId,
			},
		}),
	};
}

function iamError(code: string, message: string): Ec2Error {
	return new Ec2Error(code, message, STATUS[code] ?? 400);
}

function validationError(message: string): Ec2Error {
	return iamError('ValidationError', message);
}

function required(params: QueryParams, name: string, camel: string): string {
	const value = params.string(name);
	if (value === undefined || value === '') {
		throw validationError(
			`1 validation error detected: Value null at '${camel}' failed to satisfy constraint: Member must not be null`,
		);
	}
	return value;
}

function roleName(params: QueryParams): string {
	const name = required(params, 'RoleName', 'roleName');
	if (!/^[\w+=,.@-]{1,64}$/.test(name)) {
		throw validationError(
			`1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
		);
	}
	return name;
}

function policyName(params: QueryParams): string {
	const name = required(params, 'PolicyName', 'policyName');
	if (!/^[\w+=,.@-]{1,128}$/.test(name)) {
		throw validationError(
			`1 validation error detected: Value '${name}' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
		);
	}
	return name;
}

/** A policy document must be a JSON object with a Statement (IAM's MalformedPolicyDocument otherwise). */
function policyDocument(params: QueryParams, name: string, camel: string, trust: boolean): string {
	const text = required(params, name, camel);
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		throw iamError('MalformedPolicyDocument', 'This policy contains invalid Json');
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw iamError('MalformedPolicyDocument', 'This policy contains invalid Json');
	}
	const statement = (parsed as { Statement?: unknown }).Statement;
	if (statement === undefined) {
		throw iamError('MalformedPolicyDocument', 'Syntax errors in policy.');
	}
	const statements = Array.isArray(statement) ? statement : [statement];
	for (const entry of statements) {
		const effect = (entry as { Effect?: unknown })?.Effect;
		if (effect !== 'Allow' && effect !== 'Deny') {
			throw iamError('MalformedPolicyDocument', 'Syntax errors in policy.');
		}
		if (trust && (entry as { Principal?: unknown }).Principal === undefined) {
			throw iamError('MalformedPolicyDocument', 'Missing required field Principal');
		}
	}
	return text;
}

function findRole(state: IamState, name: string): IamRoleRecord {
	const role = state.roles[name];
	if (!role) throw iamError('NoSuchEntity', `The role with name ${name} cannot be found.`);
	return role;
}

export function roleArn(accountId: string, role: Pick<IamRoleRecord, 'path' | 'name'>): string {
	return `arn:aws:iam::${accountId}:role${role.path}${role.name}`;
}

function renderRole(context: IamContext, role: IamRoleRecord): Record<string, unknown> {
	return {
		Path: role.path,
		RoleName: role.name,
		RoleId: role.roleId,
		Arn: roleArn(context.accountId(), role),
		CreateDate: new Date(role.createdAt).toISOString(),
		AssumeRolePolicyDocument: encodeURIComponent(role.assumeRolePolicyDocument),
		Description: role.description,
		MaxSessionDuration: role.maxSessionDuration,
		Tags:
			role.tags.length > 0
				? { member: role.tags.map((tag) => ({ Key: tag.key, Value: tag.value })) }
				: undefined,
	};
}

type Handler = (params: QueryParams, context: IamContext) => Record<string, unknown> | undefined;

const handlers: Record<string, Handler> = {
	CreateRole(params, context) {
		const name = roleName(params);
		const path = params.string('Path') ?? '/';
		if (!/^\/([\x21-\x7e]*\/)?$/.test(path)) {
			throw validationError(
				`The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`,
			);
		}
		const document = policyDocument(params, 'AssumeRolePolicyDocument', 'assumeRolePolicyDocument', true);
		const maxSessionDuration = params.integer('MaxSessionDuration') ?? 3600;
		if (maxSessionDuration < 3600 || maxSessionDuration > 43200) {
			throw validationError(
				`1 validation error detected: Value '${maxSessionDuration}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`,
			);
		}
		const state = context.state();
		if (Object.keys(state.roles).some((existing) => existing.toLowerCase() === name.toLowerCase())) {
			throw iamError('EntityAlreadyExists', `Role with name ${name} already exists.`);
		}
		const role: IamRoleRecord = {
			name,
			path,
			roleId: `AROA${randomBytes(16)
				.toString('base64')
				.replace(/[^A-Z0-9]/gi, '')
				.toUpperCase()
				.padEnd(17, 'Q')
				.slice(0, 17)}`,
			createdAt: context.now(),
			assumeRolePolicyDocument: document,
			description: params.string('Description'),
			maxSessionDuration,
			policies: {},
			tags:
				params
					.struct('Tags')
					?.structs('member')
					.map((tag) => ({
						key: tag.string('Key') ?? '',
						value: tag.string('Value') ?? '',
					})) ?? [],
		};
		state.roles[name] = role;
		context.onMutation();
		return { Role: renderRole(context, role) };
	},

	GetRole(params, context) {
		return { Role: renderRole(context, findRole(context.state(), roleName(params))) };
	},

	ListRoles(params, context) {
		const prefix = params.string('PathPrefix') ?? '/';
		const roles = Object.values(context.state().roles)
			.filter((role) => role.path.startsWith(prefix))
			.sort((a, b) => (a.name < b.name ? -1 : 1));
		return {
			Roles: roles.length > 0 ? { member: roles.map((role) => renderRole(context, role)) } : '',
			IsTruncated: false,
		};
	},

	UpdateAssumeRolePolicy(params, context) {
		const role = findRole(context.state(), roleName(params));
		role.assumeRolePolicyDocument = policyDocument(params, 'PolicyDocument', 'policyDocument', true);
		context.onMutation();
		return undefined;
	},

	DeleteRole(params, context) {
		const state = context.state();
		const role = findRole(state, roleName(params));
		if (Object.keys(role.policies).length > 0) {
			throw iamError('DeleteConflict', 'Cannot delete entity, must delete policies first.');
		}
		delete state.roles[role.name];
		context.onMutation();
		return undefined;
	},

	PutRolePolicy(params, context) {
		const role = findRole(context.state(), roleName(params));
		const name = policyName(params);
		role.policies[name] = policyDocument(params, 'PolicyDocument', 'policyDocument', false);
		context.onMutation();
		return undefined;
	},

	GetRolePolicy(params, context) {
		const role = findRole(context.state(), roleName(params));
		const name = policyName(params);
		const document = role.policies[name];
		if (document === undefined) {
			throw iamError('NoSuchEntity', `The role policy with name ${name} cannot be found.`);
		}
		return { RoleName: role.name, PolicyName: name, PolicyDocument: encodeURIComponent(document) };
	},

	ListRolePolicies(params, context) {
		const role = findRole(context.state(), roleName(params));
		const names = Object.keys(role.policies).sort();
		return { PolicyNames: names.length > 0 ? { member: names } : '', IsTruncated: false };
	},

	ListAttachedRolePolicies(params, context) {
		findRole(context.state(), roleName(params));
		return { AttachedPolicies: '', IsTruncated: false };
	},

	DeleteRolePolicy(params, context) {
		const role = findRole(context.state(), roleName(params));
		const name = policyName(params);
		if (role.policies[name] === undefined) {
			throw iamError('NoSuchEntity', `The role policy with name ${name} cannot be found.`);
		}
		delete role.policies[name];
		context.onMutation();
		return undefined;
	},
};

export function handleIam(params: QueryParams, context: IamContext, requestId: string): IamResponse {
	const action = params.string('Action');
	if (!action) throw new Ec2Error('MissingAction', 'Missing Action');
	const handler = Object.hasOwn(handlers, action) ? handlers[action] : undefined;
	if (!handler) {
		throw new Ec2Error('InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
	}
	context.record(`iam:${action}`);
	const result = handler(params, context);
	return {
		status: 200,
		body: builder.build({
			'?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
			[`${action}Response`]: {
				'@_xmlns': IAM_XML_NAMESPACE,
				...(result ? { [`${action}Result`]: result } : {}),
				ResponseMetadata: { RequestId: requestId },
			},
		}),
	};
}
