import type { GlobalOptions } from '../cli.js';
import { buildPolicyDocument, type PolicyFlowName, policyFlowNames, policyKey } from '../policy/document.js';
import { generatedPolicies } from '../policy/generated.js';
import { UsageError } from './errors.js';
import type { CommandIo } from './io.js';

export type PolicyCommandOptions = GlobalOptions & {
	flow?: string;
	withImageImport?: boolean;
	json?: boolean;
};

function isFlow(value: string): value is PolicyFlowName {
	return (policyFlowNames as readonly string[]).includes(value);
}

/**
 * `kakehashi policy --flow F [--with-image-import] [--json]`: the least-privilege IAM policy of a
 * flow (source/policy/generated.ts, derived from the code that makes the calls). No AWS call.
 * --json: the document alone, compact; otherwise pretty-printed, and a hint on stderr.
 */
export async function policyCommand(options: PolicyCommandOptions, io: CommandIo): Promise<number> {
	const allowed = policyFlowNames.join(', ');
	if (!options.flow) throw new UsageError(io.t('policy.flowRequired', { allowed }));
	if (!isFlow(options.flow)) {
		throw new UsageError(io.t('cli.flowUnknown', { value: options.flow, allowed }));
	}
	const features = options.withImageImport ? ['image-import'] : [];
	const entry = generatedPolicies[policyKey(options.flow, features)];
	if (!entry) throw new Error(`no generated policy for ${policyKey(options.flow, features)}`);
	const document = buildPolicyDocument(entry);
	if (options.json) {
		io.stdout.write(`${JSON.stringify(document)}\n`);
		return 0;
	}
	io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
	const name = `kakehashi-${options.flow}${options.withImageImport ? '-image-import' : ''}`;
	io.stderr.write(`${io.t('policy.hint', { name })}\n`);
	return 0;
}
