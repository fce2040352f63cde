import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Client } from '../../source/aws/client.js';
import { applyFlow, destroyFlow, type FlowEvent } from '../../source/flow/runner.js';
import { createTranslator } from '../../source/i18n/index.js';
import { SANDBOX_CREDENTIALS } from '../../source/sandbox/ec2/index.js';
import {
	fastFlowTimings,
	region,
	type Sandbox,
	sampleAnswers,
	startSandbox,
	temporaryDirectory,
	uniqueStack,
} from '../aws/sandbox-harness.js';

/**
 * An endpoint whose clock is 7 minutes ahead of this machine's: the sandbox behind a proxy that
 * rewrites the Date header. AWS would still accept the requests (under 15 minutes), but the run says so.
 */
let sandbox: Sandbox;
let proxy: Server;
let endpoint: string;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
	({ sandbox } = await startSandbox());
	({ dir, cleanup } = await temporaryDirectory());
	const upstream = new URL(sandbox.endpoint);
	proxy = createServer((request, response) => {
		// Forwarded byte for byte (Host included, so the signature still verifies upstream); only Date changes.
		const forward = httpRequest(
			{
				host: upstream.hostname,
				port: upstream.port,
				method: request.method,
				path: request.url,
				headers: request.headers,
			},
			(answer) => {
				const headers = { ...answer.headers, date: new Date(Date.now() + 7 * 60 * 1000).toUTCString() };
				response.sendDate = false;
				response.writeHead(answer.statusCode ?? 500, headers);
				answer.pipe(response);
			},
		);
		request.pipe(forward);
	});
	await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
	endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
	proxy?.close();
	await sandbox?.close();
	await cleanup?.();
});

describe('clock skew', () => {
	it('says plainly, once, that this machine’s clock is minutes behind AWS’s', async () => {
		// The proxy forwards the Host header it was given, so the signature still verifies upstream.
		const ec2 = createEc2Client({ region, endpoint, credentials: SANDBOX_CREDENTIALS });
		const stack = uniqueStack('skew');
		const statePath = join(dir, `${stack}.state.json`);
		const events: FlowEvent[] = [];
		try {
			await applyFlow({
				ec2,
				answers: sampleAnswers(stack, dir),
				statePath,
				timings: fastFlowTimings,
				t: createTranslator('ja'),
				onEvent: (event) => events.push(event),
			});
			const notes = events.filter((event) => event.messageKey === 'flow.note.clockSkew');
			expect(notes).toHaveLength(1);
			expect(notes[0]?.message).toMatch(/この PC の時計は AWS より (419|420) 秒遅れています/);
		} finally {
			await destroyFlow({ ec2, statePath, timings: fastFlowTimings });
			ec2.destroy();
		}
	});
});
