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
};

/** Returns the elements of the response body (inside `<ActionResponse>`, after `<requestId>`). */
export type ActionHandler = (context: ActionContext) => XmlObject | Promise<XmlObject>;

export type ActionTable = Readonly<Record<string, ActionHandler>>;
