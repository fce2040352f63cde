import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { GlobalOptions } from '../../source/cli.js';
import { openBackend } from '../../source/commands/backend.js';
import { loadAnswersFile } from '../../source/flow/answers.js';
import { missingConfigLines } from '../../source/flow/configure.js';
import { runJourney } from '../../source/flow/journey.js';
import { createTranslator } from '../../source/i18n/index.js';
import { startSandbox } from '../../source/sandbox/index.js';
import { exampleAnswers, tempDir } from './cli-helpers.js';

describe('missingConfigLines: what a router lacks, as a diff to show before a push', () => {
	const generated = [
		'crypto isakmp key SECRET address 198.51.100.10',
		'interface tunnel0',
		' mtu 1300',
		' tunnel mode ipsec ipv4',
	];
	it.each([
		[
			'nothing there yet',
			'hostname AR\n!\n',
			[
				'+ crypto isakmp key SECRET address 198.51.100.10',
				'+ interface tunnel0',
				'+  mtu 1300',
				'+  tunnel mode ipsec ipv4',
			],
		],
		[
			'the block exists, one child missing',
			'crypto isakmp key SECRET address 198.51.100.10\ninterface tunnel0\n mtu 1300\n',
			['  interface tunnel0', '+  tunnel mode ipsec ipv4'],
		],
		[
			'everything there',
			'crypto isakmp key SECRET address 198.51.100.10\ninterface tunnel0\n mtu 1300\n tunnel mode ipsec ipv4\n',
			[],
		],
	])('%s', (_name, running, expected) => {
		expect(missingConfigLines(generated, running)).toEqual(expected);
	});
});

describe('apply without --yes: each router is asked, with the lines it lacks (keys masked)', () => {
	it('a declined router is left as it is; the accepted one is configured; the next run asks only the declined one', async () => {
		const cwd = await tempDir();
		const sandbox = await startSandbox({
			dir: join(cwd, 'sb'),
			timings: { instanceRunningMs: 300 },
			negotiationMs: 200,
		});
		onTestFinished(() => sandbox.close());
		const statePath = join(cwd, 'kakehashi.state.json');
		const answers = await loadAnswersFile(exampleAnswers);
		answers.keyPair.privateKeyFile = join(cwd, 'amf-cloud-key.pem');
		const backend = await openBackend({ endpointUrl: sandbox.endpoint, state: statePath } as GlobalOptions, {
			region: answers.region,
		});
		onTestFinished(() => backend.close());
		const t = createTranslator('en');
		const asked: { router: string; diff: readonly string[] }[] = [];
		const notices: string[] = [];
		const journey = (decline: string) =>
			runJourney({
				ec2: backend.ec2,
				answers,
				statePath,
				sandboxRouters: () => backend.sandboxRouters(answers.peers.map((peer) => peer.publicIp)),
				hostKeys: { knownHostsFile: join(cwd, 'known_hosts'), acceptNew: true },
				t,
				onEvent: (event) => {
					if ('message' in event && typeof event.message === 'string') notices.push(event.message);
				},
				confirmPush: async (router, diff) => {
					asked.push({ router, diff });
					return router !== decline;
				},
			});

		const first = await journey('site');
		expect(asked.map((question) => question.router)).toEqual(['AMF-VAA', 'site']);
		const psk = /pre-shared key for site[^:]*: (\S+)/.exec(notices.join('\n'))?.[1];
		expect(psk).toBeDefined();
		for (const { diff } of asked) {
			expect(diff.join('\n')).toMatch(/^\+ crypto isakmp key \*{8} /m);
			expect(diff.join('\n')).not.toContain(psk);
		}
		expect(first.configured['AMF-VAA']?.status).toBe('applied');
		expect(first.configured.site?.status).toBe('declined');
		expect(notices.join('\n')).toMatch(/Router site: left as it is/);
		const siteRouter = sandbox.world.getRouter('site');
		expect(siteRouter?.config.render().join('\n')).not.toMatch(/crypto isakmp key/);

		asked.length = 0;
		const second = await journey('nobody');
		// the appliance already matches: only the site is asked
		expect(asked.map((question) => question.router)).toEqual(['site']);
		expect(second.configured['AMF-VAA']?.status).toBe('unchanged');
		expect(second.configured.site?.status).toBe('applied');
	}, 180_000);
});
