/**
 * What the policy generator (analyze.ts) starts from. This file names CODE, never IAM actions: the
 * actions are found in the code these roots reach. Keep it short; the sandbox test
 * (test/policy/policy.test.ts) fails when a root or a gate here makes a policy miss or exceed what a
 * flow really calls.
 */

import {
	type PolicyFeatureName,
	type PolicyFlowName,
	policyFeatureNames,
	policyFlowNames,
} from '../../source/policy/document.js';

export const policyFlows = policyFlowNames;
export type PolicyFlow = PolicyFlowName;
/** Optional features a policy can add to any flow (`--with-image-import`). */
export const policyFeatures = policyFeatureNames;
export type PolicyFeature = PolicyFeatureName;

/**
 * Code is named `file` (a whole module) or `file#name.inner` (a declaration and everything inside
 * it: a function, a const, an object's method, a nested arrow assigned to a const).
 */
export type CodeRef = string;

/** The commands a user of any flow runs; every AWS call they can reach counts, unless gated below. */
export const commonRoots: readonly CodeRef[] = [
	'source/commands/wizard.tsx#wizardCommand',
	'source/commands/plan.ts#planCommand',
	'source/commands/apply.ts#applyCommand',
	'source/commands/monitor.tsx#monitorCommand',
	'source/commands/destroy.ts#destroyCommand',
	'source/commands/backup.ts#backupCommand',
	'source/commands/config.ts#configCommand',
	'source/commands/upgrade.ts#upgradeCommand',
];

/** Commands that only a feature brings (reached with that feature on). */
export const featureRoots: Record<PolicyFeature, readonly CodeRef[]> = {
	'image-import': ['source/commands/image.ts#imageImportCommand'],
};

/**
 * Code that shared commands reach but that runs only in some flows (or with a feature on). The walk
 * of a flow does not enter gated code that is not for it, so what that code calls stays out of the
 * flow's policy. Every gate says why; a gate that names no code is an error (stale config).
 */
export type Gate = {
	code: CodeRef;
	flows?: readonly PolicyFlow[];
	feature?: PolicyFeature;
	why: string;
};

export const gates: readonly Gate[] = [
	{
		code: 'source/commands/wizard.tsx#createWizardServices.importImage',
		feature: 'image-import',
		why: "the wizard's optional machine image step (AMI import from the vendor's VHD)",
	},
	{
		code: 'source/flow/image-steps.ts#s3ObjectStep',
		feature: 'image-import',
		why: 'destroy of the uploaded VHD object (and its bucket): only image import records s3-object resources',
	},
	{
		code: 'source/flow/image-steps.ts#iamRoleStep',
		feature: 'image-import',
		why: 'destroy of the vmimport role: only image import records iam-role resources',
	},
	{
		code: 'source/flow/vpn-steps.ts',
		flows: ['single-aws-vpn'],
		why: 'the virtual private gateway, customer gateway and VPN connection steps (flow-steps.ts stepsFor)',
	},
	{
		code: 'source/flow/journey.ts#configureAwsVpn',
		flows: ['single-aws-vpn'],
		why: "the customer router's tunnels to AWS, configured from the VPN connection (runJourney's switch on the flow)",
	},
	{
		code: 'source/commands/config.ts#awsVpnDesign',
		flows: ['single-aws-vpn'],
		why: "the customer router's configuration from DescribeVpnConnections (configCommand's switch on the flow)",
	},
	{
		code: 'source/commands/monitor.tsx#fetchAwsView',
		flows: ['single-aws-vpn'],
		why: "AWS's view of its VPN tunnels (monitor, the wizard's panel): it asks AWS only when the state file holds vpn-connection resources",
	},
];

/**
 * The resource of an implied permission when the call's input does not show it (a role name passed
 * in a variable): what the product really passes, and why. test/policy checks the sandbox run used it.
 */
export const impliedResources: Record<string, { resource: string; why: string }> = {
	'iam:PassRole': {
		resource: 'arn:aws:iam::*:role/vmimport',
		why: "ImportSnapshot's RoleName is flow/image-import.ts `options.role ?? VMIMPORT_ROLE` and `kakehashi image import` passes no role: always vmimport",
	},
};

/**
 * Server-side code the roots import (the built-in sandbox answers AWS calls, it makes none to AWS):
 * not walked.
 */
export const notWalked: readonly string[] = ['source/sandbox/'];
