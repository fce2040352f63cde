export type { Timings } from './context.js';
export type { FailActionFault, FaultOptions } from './faults.js';
export { DEFAULT_TIMINGS, type Ec2Sandbox, type Ec2SandboxOptions, startEc2Sandbox } from './server.js';
export { SANDBOX_CREDENTIALS, type SandboxCredentials } from './sigv4.js';
export { DEFAULT_ACCOUNT_ID, type InstanceStateName, SANDBOX_IMAGE } from './state.js';
export type {
	Ec2SandboxStore,
	SandboxChange,
	SandboxInstance,
	SandboxKeyPair,
	SandboxSecurityGroup,
	SandboxSecurityGroupRule,
} from './store-view.js';
