import { afterAll, describe, expect, it } from 'vitest';
import {
	actionsOf,
	buildPolicyDocument,
	type PolicyEntry,
	type PolicyFlowName,
	policyFlowNames,
	policyKey,
} from '../../source/policy/document.js';
import { generatedPolicies } from '../../source/policy/generated.js';
import { runFlowOnSandbox } from './sandbox-run.js';

/**
 * The generated policy of each flow against what that flow really sends: every action the sandbox
 * served during apply → plan → monitor → backup → destroy → apply → destroy must be in the policy
 * (else the flow would fail on AWS with UnauthorizedOperation), and every action of the policy must
 * have been served, or be listed below with the reason the sandbox run cannot take its path (else
 * the policy grants more than the flow uses).
 *
 * Covered: single-appliance, multi-tenant, single-aws-vpn (BGP on the first apply, static routing on
 * the second), and single-appliance --with-image-import (`image import` of a VHD made by qemu-img
 * first; destroy then removes its image, snapshot, object and role). The image import adds the same
 * actions to every flow: checked on the generated file below.
 */

/** Actions the code can call on paths a run against a fresh sandbox account does not take. */
const notOnSandboxPath: Record<string, string> = {
	'ec2:DescribeRegions':
		"the wizard's region step lists the regions (regions.ts listRegions); the commands take the region from the answers",
	'ec2:ReplaceRoute':
		'a default route (or the VPN route) is replaced only when it already points at another target, i.e. a route table edited outside kakehashi; a fresh account never has one',
	'ec2:StartInstances':
		'apply starts the instance again only when it finds it stopped (steps.ts runningInstance); the sandbox has no StopInstances and kakehashi never stops one',
	'ec2:DescribeSnapshots':
		'image import checks a recorded snapshot only on a rerun after a run killed between ImportSnapshot and RegisterImage (flow/image-import.ts)',
	's3:ListMultipartUploadParts':
		'ListParts: only a rerun resuming an upload that a killed run left unfinished asks which parts S3 already holds (s3-upload.ts listUploadedParts)',
	's3:AbortMultipartUpload':
		'only an upload a killed run left behind (or one for a changed file) is aborted; a run that completes its upload leaves none (test/image covers the kill)',
};

type Case = { flow: PolicyFlowName; imageImport?: boolean; secondApply?: (answers: string) => string };

const cases: Case[] = [
	{ flow: 'single-appliance' },
	{ flow: 'multi-tenant' },
	{ flow: 'single-aws-vpn', secondApply: (text) => text.replace('routing: bgp', 'routing: static') },
	{ flow: 'single-appliance', imageImport: true },
];

const keyOf = ({ flow, imageImport }: Case) => policyKey(flow, imageImport ? ['image-import'] : []);

const seenAnywhere = new Set<string>();
const ran: string[] = [];

describe('the generated policy of each flow is exactly what the flow sends', () => {
	for (const testCase of cases) {
		const { flow, secondApply, imageImport } = testCase;
		const key = keyOf(testCase);
		it(`${key}: nothing missing, nothing in excess`, async () => {
			const entry = generatedPolicies[key];
			expect(entry, `no generated policy for ${key}`).toBeDefined();
			if (!entry) return;
			const run = await runFlowOnSandbox(flow, {
				...(secondApply ? { secondApply } : {}),
				...(imageImport ? { imageImport } : {}),
			});
			for (const action of run.seen) seenAnywhere.add(action);
			ran.push(key);
			const allowed = new Set(actionsOf(buildPolicyDocument(entry)));
			const missing = run.seen.filter((action) => !allowed.has(action));
			expect(missing, `${key} sent these to the sandbox, but its policy lacks them`).toEqual([]);
			const excess = Object.keys(entry.calls).filter(
				(action) => !run.seen.includes(action) && !Object.hasOwn(notOnSandboxPath, action),
			);
			expect(
				excess.map((action) => `${action} (from ${entry.calls[action]?.join(', ')})`),
				`${key}'s policy has these, but the run never sent them (a gate missing in scripts/policy/config.ts — see why: node --import tsx scripts/policy/generate.ts --why ACTION --flow ${key} — or a path to add to notOnSandboxPath with its reason)`,
			).toEqual([]);
			// implied permissions are checked by AWS, not sent: each one names the code that implies it
			for (const [action, implied] of Object.entries(entry.implied)) {
				expect(implied.sources.length, action).toBeGreaterThan(0);
			}
			expect(Object.keys(entry.implied)).toContain('ec2:CreateTags');
			if (imageImport) {
				// iam:PassRole is narrowed to the vmimport role (config.ts impliedResources): the run used it
				expect(run.roles).toEqual(['vmimport']);
				expect(entry.implied['iam:PassRole']?.resource).toBe('arn:aws:iam::*:role/vmimport');
			}
		}, 900_000);
	}

	afterAll(() => {
		if (ran.length !== cases.length) return; // a failed run says why already
		// every reason above must still be needed: in some policy, and sent by no run
		for (const action of Object.keys(notOnSandboxPath)) {
			expect(seenAnywhere.has(action), `${action} is sent now: remove it from notOnSandboxPath`).toBe(false);
			expect(
				cases.some((testCase) => Object.hasOwn(generatedPolicies[keyOf(testCase)]?.calls ?? {}, action)),
				`${action} is in no policy any more: remove it from notOnSandboxPath`,
			).toBe(true);
		}
	});
});

describe('--with-image-import', () => {
	it('adds the same actions to every flow (those the single-appliance run above checked)', () => {
		const everything = (entry: PolicyEntry | undefined) => [
			...Object.keys(entry?.calls ?? {}),
			...Object.entries(entry?.implied ?? {}).map(([action, implied]) => `${action} on ${implied.resource}`),
		];
		const added = (flow: string) => {
			const before = new Set(everything(generatedPolicies[flow]));
			return everything(generatedPolicies[policyKey(flow, ['image-import'])]).filter(
				(action) => !before.has(action),
			);
		};
		const reference = added('single-appliance');
		expect(reference).toContain('ec2:ImportSnapshot');
		for (const flow of policyFlowNames) expect(added(flow), flow).toEqual(reference);
	});
});
