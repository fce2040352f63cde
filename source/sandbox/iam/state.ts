/** The sandbox's IAM roles (global: not per region), persisted with the rest of the sandbox state. */

export type IamRoleRecord = {
	name: string;
	path: string;
	roleId: string;
	createdAt: number;
	/** The trust policy as the client sent it (JSON text, decoded). */
	assumeRolePolicyDocument: string;
	description?: string;
	maxSessionDuration: number;
	/** Inline policies by name: JSON text. */
	policies: Record<string, string>;
	tags: { key: string; value: string }[];
};

export type IamState = { roles: Record<string, IamRoleRecord> };

export function newIamState(): IamState {
	return { roles: {} };
}
