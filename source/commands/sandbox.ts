import type { Translate } from '../i18n/index.js';
import { startSandbox } from '../sandbox/index.js';
import { UsageError } from './errors.js';
import type { CommandIo } from './io.js';

export type SandboxCommandOptions = { port: string; routerPort: string; dir: string };

function port(value: string, flag: string, t: Translate): number {
	const number = Number(value);
	if (!Number.isInteger(number) || number < 0 || number > 65535) {
		throw new UsageError(t('cli.portNumber', { flag, value }));
	}
	return number;
}

/** `kakehashi sandbox`: one JSON line describing the endpoint and routers, then serve until a signal. */
export async function sandboxCommand(options: SandboxCommandOptions, io: CommandIo): Promise<number> {
	const sandbox = await startSandbox({
		dir: options.dir,
		port: port(options.port, '--port', io.t),
		routerPort: port(options.routerPort, '--router-port', io.t),
	});
	const routers = sandbox.routers().map(({ name, host, port: routerPort, vendor, user, identity }) => ({
		name,
		host,
		port: routerPort,
		vendor,
		user,
		identity: identity ?? null,
	}));
	io.stdout.write(`${JSON.stringify({ endpoint: sandbox.endpoint, routers })}\n`);
	io.stderr.write(`${io.t('cli.sandboxStarted', { endpoint: sandbox.endpoint })}\n`);
	await new Promise<void>((resolve) => {
		const stop = () => resolve();
		process.once('SIGINT', stop);
		process.once('SIGTERM', stop);
	});
	await sandbox.close();
	return 0;
}
