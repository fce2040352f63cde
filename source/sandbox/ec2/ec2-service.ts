import { ec2Actions, isReadOnlyAction } from './actions/index.js';
import type { SandboxServices, Timings } from './context.js';
import { Ec2Error } from './errors.js';
import type { FaultInjector } from './faults.js';
import type { QueryParams } from './query.js';
import type { SeededRandom } from './random.js';
import { newRegionState, type RegionState, type SandboxState, TERMINATED_VISIBLE_MS } from './state.js';
import { renderEc2Error, renderEc2Response } from './xml.js';

export type ServiceResponse = { status: number; body: string };

export type Ec2ServiceOptions = {
	state: () => SandboxState;
	random: () => SeededRandom;
	timings: Timings;
	faults: FaultInjector;
	now: () => number;
	sleep: (ms: number) => Promise<void>;
	/** After an action changed the store (persist it, tell listeners). */
	onMutation: (action: string, region: string) => void;
	/** Told every action handled (bare EC2 names), for the sandbox-wide actionsSeen(). */
	record?: (action: string) => void;
	/** The S3 and IAM state ImportSnapshot reads. */
	services?: SandboxServices;
};

/** The EC2 Query API over the sandbox state: dispatch, faults, DryRun, errors as EC2 words them. */
export class Ec2Service {
	readonly #options: Ec2ServiceOptions;
	readonly #seen = new Set<string>();

	constructor(options: Ec2ServiceOptions) {
		this.#options = options;
	}

	/** Every action handled so far (unknown actions excluded), in the order first seen. */
	get actionsSeen(): string[] {
		return [...this.#seen];
	}

	/** An error in EC2's XML shape, for failures found before dispatch (authentication, routing). */
	errorResponse(error: Ec2Error, requestId: string): ServiceResponse {
		return { status: error.status, body: renderEc2Error(error.code, error.message, requestId) };
	}

	async handle(params: QueryParams, regionName: string, requestId: string): Promise<ServiceResponse> {
		try {
			return await this.#dispatch(params, regionName, requestId);
		} catch (error) {
			if (error instanceof Ec2Error) {
				return this.errorResponse(error, requestId);
			}
			const detail = error instanceof Error ? error.message : String(error);
			return this.errorResponse(
				new Ec2Error('InternalError', `An internal error has occurred (kakehashi sandbox: ${detail})`, 500),
				requestId,
			);
		}
	}

	async #dispatch(params: QueryParams, regionName: string, requestId: string): Promise<ServiceResponse> {
		const options = this.#options;
		const action = params.string('Action');
		if (!action) {
			throw new Ec2Error('MissingAction', 'The request must contain the parameter Action');
		}
		const handler = Object.hasOwn(ec2Actions, action) ? ec2Actions[action] : undefined;
		if (!handler) {
			throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
		}
		this.#seen.add(action);
		options.record?.(action);
		if (options.faults.latencyMs > 0) {
			await options.sleep(options.faults.latencyMs);
		}
		const fault = options.faults.faultFor(action);
		if (fault) {
			throw fault;
		}
		if (params.boolean('DryRun') === true) {
			throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
		}
		const now = options.now();
		const state = options.state();
		state.regions[regionName] ??= newRegionState();
		const region = state.regions[regionName] as RegionState;
		forgetLongTerminated(region, now);
		const body = await handler({
			action,
			params,
			regionName,
			region,
			accountId: state.accountId,
			now,
			random: options.random(),
			timings: options.timings,
			services: options.services,
		});
		if (!isReadOnlyAction(action)) {
			options.onMutation(action, regionName);
		}
		return { status: 200, body: renderEc2Response(action, requestId, body) };
	}
}

function forgetLongTerminated(region: RegionState, now: number): void {
	for (const instance of Object.values(region.instances)) {
		if (instance.terminatedAt !== undefined && now >= instance.terminatedAt + TERMINATED_VISIBLE_MS) {
			delete region.instances[instance.id];
		}
	}
}
