import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Client } from '../../source/aws/client.js';
import { clientsBeside } from '../../source/aws/service-clients.js';
import { type ImageImportEvent, importImage } from '../../source/flow/image-import.js';
import { SANDBOX_CREDENTIALS, startEc2Sandbox } from '../../source/sandbox/ec2/index.js';
import {
	emptyImageStepView,
	ImageStep,
	type ImageStepView,
	imageStepView,
	progressBar,
} from '../../source/ui/components/image-step.js';
import { I18nProvider } from '../../source/ui/i18n-context.js';
import { fastSandboxTimings, region, type Sandbox, temporaryDirectory } from '../aws/sandbox-harness.js';

let sandbox: Sandbox;
let dir: string;
let cleanup: () => Promise<void>;
const views: ImageStepView[] = [];

beforeAll(async () => {
	sandbox = await startEc2Sandbox({
		port: 0,
		timings: { ...fastSandboxTimings, importSnapshotMs: 300, imageAvailableMs: 100 },
	});
	({ dir, cleanup } = await temporaryDirectory());
	const vhd = join(dir, 'vaa.vhd');
	execFileSync('qemu-img', ['create', '-f', 'vpc', '-o', 'subformat=fixed', vhd, '24M'], { stdio: 'ignore' });
	const ec2 = createEc2Client({ region, endpoint: sandbox.endpoint, credentials: SANDBOX_CREDENTIALS });
	const { s3, iam } = await clientsBeside(ec2);
	// the screen the user would see after each event of a real import on the sandbox
	let view = emptyImageStepView;
	const result = await importImage({
		clients: { ec2, s3, iam },
		vhdPath: vhd,
		name: 'vaa-wizard',
		region,
		account: '123456789012',
		statePath: join(dir, 'state.json'),
		stack: 'wizard',
		timings: { intervalMs: 20, timeoutMs: 30_000 },
		upload: { concurrency: 1, partSize: 8 * 1024 * 1024 },
		onEvent: (event: ImageImportEvent) => {
			view = imageStepView(view, event);
			views.push(view);
		},
	});
	views.push({ ...view, result });
});

afterAll(async () => {
	await sandbox?.close();
	await cleanup?.();
});

function frame(view: ImageStepView, lang: 'en' | 'ja' = 'en'): string {
	const { lastFrame, unmount } = render(
		<I18nProvider lang={lang}>
			<ImageStep view={view} />
		</I18nProvider>,
	);
	const text = lastFrame() ?? '';
	unmount();
	return text;
}

describe('the machine image step', () => {
	it('shows the upload as a bar with bytes, rate and time left while it runs', () => {
		const uploading = views.filter((view) => view.upload && view.phases.at(-1)?.phase === 'upload');
		expect(uploading.length).toBeGreaterThan(1);
		const middle = uploading.find(
			(view) => (view.upload?.loaded ?? 0) > 0 && (view.upload?.loaded ?? 0) < (view.upload?.total ?? 0),
		);
		expect(middle).toBeDefined();
		const text = frame(middle as ImageStepView);
		expect(text).toMatch(/█+░+/);
		expect(text).toMatch(/\d+% \([\d.]+ MiB \/ 24\.0 MiB\) · [\d.]+ \w+\/s · [\d?:]+ left/);
		expect(text).toContain('✔ S3 bucket kakehashi-123456789012-ap-northeast-1');
	});

	it('shows the import task’s progress, then the AMI; in Japanese too', () => {
		const importing = views.find((view) => view.importProgress && view.phases.at(-1)?.phase === 'import');
		expect(frame(importing as ImageStepView)).toMatch(/import \d+% · \w+/);
		const last = views.at(-1) as ImageStepView;
		const done = frame(last);
		expect(done).toContain(`AMI ${last.result?.imageId} (vaa-wizard) is ready`);
		expect(done).not.toMatch(/\{\w+\}/);
		expect(frame(last, 'ja')).toContain('の準備ができました');
	});

	it('a bar is as wide as asked, clamped to 0–100 %', () => {
		expect(progressBar(0.5, 10)).toBe('█████░░░░░');
		expect(progressBar(2, 4)).toBe('████');
		expect(progressBar(-1, 4)).toBe('░░░░');
	});
});
