export type { CliSessionOptions } from './cli-session.js';
export { CliSession } from './cli-session.js';
export { RunningConfig } from './running-config.js';
export type { AwplusRouterServer, AwplusUser, StartAwplusRouterOptions } from './server.js';
export { sshFingerprint, startAwplusRouter } from './server.js';
export {
	formatBgpSummary,
	formatIpsecSa,
	formatIpsecSaDetail,
	formatIsakmpSa,
	formatIsakmpSaDetail,
	formatUpDown,
} from './show-output.js';
export type {
	CanReach,
	RouterStatus,
	SandboxRouterSpec,
	SandboxWorldOptions,
	SimRouter,
	TunnelState,
	TunnelStatus,
	WorldChange,
} from './world.js';
export { SandboxWorld } from './world.js';
