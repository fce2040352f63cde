import type { IamState } from '../iam/state.js';
import type { S3ObjectRecord, S3State } from '../s3/state.js';
import type { QueryParams } from './query.js';
import type { SeededRandom } from './random.js';
import type { RegionState } from './state.js';
import type { XmlObject } from './xml.js';

/** How long the simulated lifecycle takes (milliseconds). */
export type Timings = {
	/** pending → running after RunInstances. */
	instanceRunningMs: number;
	/** shutting-down → terminated after TerminateInstances. */
	instanceTerminatedMs: number;
	/** After running, how long until GetConsoleOutput has the boot log. */
	consoleOutputMs: number;
	/** ImportSnapshot: from the call until the task is completed (or fails validation part way). */
	importSnapshotMs: number;
	/** RegisterImage / CreateImage: image pending → available (and CreateImage's snapshot completed). */
	imageAvailableMs: number;
};

/** What one EC2 action handler sees: its parameters and the state of the region it is scoped to. */
export type ActionContext = {
	action: string;
	params: QueryParams;
	regionName: string;
	region: RegionState;
	accountId: string;
	now: number;
	random: SeededRandom;
	timings: Timings;
	/** The other services' state on the same endpoint (ImportSnapshot reads S3 and checks the IAM role). */
	services?: SandboxServices;
};

/** What EC2 actions may read of the sandbox's S3 and IAM. */
export type SandboxServices = {
	s3: () => S3State;
	iam: () => IamState;
	/** Up to `length` bytes of an S3 object's body from `position`. */
	objectBytes: (object: S3ObjectRecord, position: number, length: number) => Buffer;
};

/** Returns the elements of the response body (inside `<ActionResponse>`, after `<requestId>`). */
export type ActionHandler = (context: ActionContext) => XmlObject | Promise<XmlObject>;

export type ActionTable = Readonly<Record<string, ActionHandler>>;
