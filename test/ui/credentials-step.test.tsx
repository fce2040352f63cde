import { join } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Client } from '../../source/aws/client.js';
import {
	type AccountServices,
	type CredentialChoice,
	credentialProvider,
	verifyCredentials,
} from '../../source/aws/credentials.js';
import { listAvailabilityZones, listRegions } from '../../source/aws/regions.js';
import { accountServices, openBackend } from '../../source/commands/backend.js';
import { createWizardServices } from '../../source/commands/wizard.js';
import { loadWizardFlow } from '../../source/flow/wizard-flow.js';
import { createTranslator, type Lang } from '../../source/i18n/index.js';
import { SANDBOX_CREDENTIALS } from '../../source/sandbox/ec2/index.js';
import { App } from '../../source/ui/app.js';
import { CredentialsStep } from '../../source/ui/components/credentials-step.js';
import { RegionSelect } from '../../source/ui/components/region-select.js';
import { I18nProvider } from '../../source/ui/i18n-context.js';
import type { CredentialInfo } from '../../source/ui/services.js';
import { type Sandbox, startSandbox, temporaryDirectory } from '../aws/sandbox-harness.js';

const enter = '\r';
const down = '\x1b[B';

let sandbox: Sandbox;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
	({ sandbox } = await startSandbox());
	({ dir, cleanup } = await temporaryDirectory());
});

afterAll(async () => {
	await sandbox?.close();
	await cleanup?.();
});

/** The account services a real backend gives, over the sandbox endpoint, with no ini files and no environment keys. */
function accountOverSandbox(lang: Lang, saved: string[] = []): AccountServices {
	let region = 'ap-northeast-1';
	let choice: CredentialChoice = { source: 'sandbox', ...SANDBOX_CREDENTIALS };
	const client = (): EC2Client =>
		createEc2Client({ region, endpoint: sandbox.endpoint, credentials: credentialProvider(choice) });
	return {
		sandbox: false,
		choices: async () => [{ source: 'profile', profile: 'nothing-here', type: 'sso' }],
		verify: (next) => {
			choice = next;
			return verifyCredentials({ credentials: credentialProvider(next), region, endpoint: sandbox.endpoint });
		},
		saveProfile: async (profile) => {
			saved.push(profile);
			return join(dir, 'credentials');
		},
		regions: () => listRegions(client(), lang),
		selectRegion: async (next) => {
			region = next;
			return listAvailabilityZones(client());
		},
	};
}

async function waitFor(app: ReturnType<typeof render>, text: string | RegExp): Promise<string> {
	const deadline = Date.now() + 15_000;
	for (;;) {
		const frame = app.lastFrame() ?? '';
		if (typeof text === 'string' ? frame.includes(text) : text.test(frame)) {
			await new Promise((resolve) => setTimeout(resolve, 80));
			return frame;
		}
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)} in:\n${frame}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

async function type(app: ReturnType<typeof render>, ...keys: string[]) {
	for (const key of keys) {
		app.stdin.write(key);
		await new Promise((resolve) => setTimeout(resolve, 30));
	}
}

describe('credentials step', () => {
	it('offers what the machine has, falls back to typed keys with a masked secret, verifies with STS and shows the account', async () => {
		const verified: (CredentialInfo | undefined)[] = [];
		const saved: string[] = [];
		const app = render(
			<I18nProvider lang="en">
				<CredentialsStep
					account={accountOverSandbox('en', saved)}
					onVerified={(info) => verified.push(info)}
				/>
			</I18nProvider>,
		);
		try {
			await waitFor(app, 'Which credentials should kakehashi use?');
			expect(app.lastFrame()).toContain('profile “nothing-here” (SSO)');
			await type(app, down, enter); // "Type an access key instead"
			await waitFor(app, 'Access key ID');
			await type(app, 'not a key', enter);
			await waitFor(app, 'An access key ID is 16–128 letters and digits');
			await type(app, ...Array.from({ length: 12 }, () => '\x7f'), 'AKIAKAKEHASHISANDBOX', enter);
			await waitFor(app, 'Secret access key');
			await type(app, 'kakehashi-sandbox-not-a-secret');
			const masked = await waitFor(app, '*****');
			expect(masked).not.toContain('kakehashi-sandbox-not-a-secret');
			await type(app, enter);
			await waitFor(app, 'Save these keys as a profile');
			await type(app, enter); // memory only
			const done = await waitFor(app, 'Account 123456789012');
			expect(done).toContain('arn:aws:iam::123456789012:user/kakehashi-sandbox');
			expect(saved).toEqual([]);
			expect(verified.at(-1)).toMatchObject({ account: '123456789012' });
		} finally {
			app.unmount();
		}
	});

	it('says plainly why keys do not work, in Japanese', async () => {
		const app = render(
			<I18nProvider lang="ja">
				<CredentialsStep account={accountOverSandbox('ja')} onVerified={() => {}} />
			</I18nProvider>,
		);
		try {
			await waitFor(app, 'どの認証情報を使いますか？');
			await type(app, down, enter);
			await waitFor(app, 'アクセスキー ID');
			await type(app, 'AKIAWRONGKEY00000000', enter);
			await waitFor(app, 'シークレットアクセスキー');
			await type(app, 'wrong', enter);
			const failed = await waitFor(app, 'InvalidClientTokenId');
			expect(failed).toContain('AWS が認証情報を受け付けませんでした');
		} finally {
			app.unmount();
		}
	});
});

describe('region select', () => {
	it('lists regions from DescribeRegions (Tokyo first in Japanese), and a zone on z', async () => {
		const chosen: [string, string | undefined][] = [];
		const app = render(
			<I18nProvider lang="ja">
				<RegionSelect
					account={accountOverSandbox('ja')}
					label="wizard.question.region"
					initial="ap-northeast-1"
					validate={() => []}
					onSubmit={(region, zone) => chosen.push([region, zone])}
				/>
			</I18nProvider>,
		);
		try {
			const list = await waitFor(app, 'リージョン: ap-northeast-1');
			expect(list.indexOf('ap-northeast-1')).toBeLessThan(list.indexOf('ap-northeast-3'));
			await type(app, 'z');
			await waitFor(app, 'ap-northeast-1c');
			await type(app, down, down, enter); // any, 1a, [1c]
			await waitFor(app, 'アベイラビリティーゾーン: ap-northeast-1c');
			await type(app, enter);
			expect(chosen).toEqual([['ap-northeast-1', 'ap-northeast-1c']]);
		} finally {
			app.unmount();
		}
	});
});

describe('the wizard with AWS account services (as `kakehashi --sandbox` runs it)', () => {
	it('verifies the sandbox credentials, then offers the regions as a list', async () => {
		const statePath = join(dir, 'wizard.state.json');
		const backend = await openBackend({ sandbox: true, state: statePath }, {});
		const services = {
			...createWizardServices(backend, {
				statePath,
				hostKeys: { knownHostsFile: join(dir, 'known_hosts') },
				t: createTranslator('en'),
			}),
			account: accountServices(backend, 'en'),
		};
		const app = render(
			<I18nProvider lang="en">
				<App services={services} loadFlow={loadWizardFlow} initialFlow="single-appliance" />
			</I18nProvider>,
		);
		try {
			const credentials = await waitFor(app, 'Account 123456789012');
			expect(credentials).toContain('Using the built-in sandbox');
			await type(app, enter);
			await waitFor(app, 'Region: ap-northeast-1');
			await waitFor(app, 'ap-northeast-2');
			await type(app, down, enter);
			await waitFor(app, 'Stack name');
			expect(backend.region).toBe('ap-northeast-2');
		} finally {
			app.unmount();
			await services.close();
			await backend.close();
		}
	});
});
