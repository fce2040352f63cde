import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { HeadBucketCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { enter, esc, press, retype, startWizard, up, waitFor } from './wizard-driver.js';

/** The wizard's optional "machine image" step, driven by keystrokes against the sandbox. */

const previousHome = process.env.HOME;
afterEach(() => {
	process.env.HOME = previousHome;
});

async function toImageStep(app: Parameters<typeof waitFor>[0]) {
	await waitFor(app, 'What do you want to build?');
	await press(app, enter);
	await waitFor(app, 'Using the built-in sandbox');
	await press(app, enter); // credentials
	await waitFor(app, 'Region: ap-northeast-1');
	await press(app, enter);
	await waitFor(app, 'Stack name');
	await press(app, enter);
	return waitFor(app, 'Import the appliance’s AMI');
}

describe('wizard: machine image step', () => {
	it('imports a VHD made by qemu-img, then the instance step offers that AMI, preselected', async () => {
		const { app, dir, statePath, backend } = await startWizard('en', {}, { fastImages: true });
		const vhd = join(dir, 'vaa-7.0.1-3.2.vhd');
		execFileSync('qemu-img', ['create', '-f', 'vpc', vhd, '16M'], { stdio: 'ignore' });

		const ask = await toImageStep(app);
		// the sandbox's account has its own vaa-5.4.9: named, and "no" is the default
		expect(ask).toContain('vaa-5.4.9 (ami-0a11ed7e1e5154a49');
		expect(ask).toMatch(/❯ No: skip this step/);
		await press(app, up);
		await waitFor(app, /❯ Yes: import it now/);
		await press(app, enter);
		await waitFor(app, 'VHD file:');
		await press(app, vhd);
		await waitFor(app, '✓ '); // the file checked as it is typed: a VHD, and its size
		expect(app.lastFrame()).toContain('(VHD, 16.0');
		await press(app, enter);
		await waitFor(app, 'AMI name: vaa-7.0.1');
		expect(app.lastFrame()).toContain('vaa-7.0.1-3.2.vhd (VHD, 16.0');
		await press(app, enter);
		await waitFor(app, 'S3 bucket for the upload: kakehashi-123456789012-ap-northeast-1');
		await press(app, enter);
		const done = await waitFor(app, 'is ready', 60_000);
		const imageId = /AMI (ami-[0-9a-f]+) \(vaa-7\.0\.1\) is ready/.exec(done)?.[1];
		expect(imageId).toBeDefined();
		expect(done).toContain('✔ S3 bucket kakehashi-123456789012-ap-northeast-1');

		// the run is recorded as `image import` records it; the uploaded object is gone, no upload is left
		const state = JSON.parse(await readFile(statePath, 'utf8')) as {
			resources: { kind: string; id: string }[];
		};
		expect(state.resources).toContainEqual(expect.objectContaining({ kind: 'image', id: imageId }));
		const { s3 } = await backend.services();
		const uploads = await s3.send(
			new ListMultipartUploadsCommand({ Bucket: 'kakehashi-123456789012-ap-northeast-1' }),
		);
		expect(uploads.Uploads ?? []).toEqual([]);

		await press(app, enter);
		for (const label of [
			'VPC IPv4 CIDR block',
			'Subnet IPv4 CIDR block',
			'route table',
			'public IP address',
			'The LAN behind your router',
			'Security group name',
			'Allow SSH from',
			'Your user networks',
			'Key pair name',
			'Save the private key to',
			'Instance type',
			'Instance Name tag',
		]) {
			await waitFor(app, label);
			await press(app, enter);
		}
		const instance = await waitFor(app, 'AMI (my AMIs)');
		// newest first, the imported one preselected, the sandbox's own image below it
		expect(instance).toMatch(new RegExp(`❯ vaa-7\\.0\\.1\\s+${imageId}\\s+\\d{4}-\\d{2}-\\d{2}`));
		expect(instance).toMatch(/vaa-5\.4\.9\s+ami-0a11ed7e1e5154a49/);
		expect(instance.indexOf('vaa-7.0.1')).toBeLessThan(instance.indexOf('vaa-5.4.9  ami-'));
		await press(app, enter);
		await waitFor(app, /\d+ to create, 0 to keep, 0 to replace\./);
		// back to the instance step: the answer is the AMI id, as an answers file keeps it
		await press(app, esc);
		await waitFor(app, 'Instance type');
		expect(app.lastFrame()).not.toContain('✗');
	});

	it('a file that is not a VHD is refused inline (~ expanded), and nothing is created', async () => {
		const { app, dir, statePath, backend } = await startWizard('en', {}, { fastImages: true });
		process.env.HOME = dir;
		execFileSync('qemu-img', ['create', '-f', 'qcow2', join(dir, 'disk.qcow2'), '16M'], { stdio: 'ignore' });
		await toImageStep(app);
		await press(app, up, enter);
		await waitFor(app, 'VHD file:');
		await press(app, '~/disk.qcow2');
		// checked as it is typed, before enter
		await waitFor(app, 'is a QCOW2 image, not a VHD');
		await press(app, enter);
		const refused = await waitFor(app, 'is a QCOW2 image, not a VHD');
		expect(refused).toContain(`✗ ${dir}/disk.qcow2`);
		// still on the path question; a missing file is named too
		await retype(app, '~/missing.vhd');
		await press(app, enter);
		await waitFor(app, `Cannot read ${dir}/missing.vhd (ENOENT)`);
		await press(app, esc);
		await waitFor(app, 'Import the appliance’s AMI');
		await press(app, enter); // no (the default here)
		await waitFor(app, 'VPC IPv4 CIDR block');

		expect(existsSync(statePath)).toBe(false);
		const { s3, iam } = await backend.services();
		await expect(
			s3.send(new HeadBucketCommand({ Bucket: 'kakehashi-123456789012-ap-northeast-1' })),
		).rejects.toMatchObject({ name: 'NotFound' });
		await expect(iam.send(new GetRoleCommand({ RoleName: 'vmimport' }))).rejects.toMatchObject({
			name: 'NoSuchEntityException',
		});
	});

	it('a failed import shows the error with retry and skip; skip goes on to the next step', async () => {
		const { app, dir } = await startWizard('en', {}, { fastImages: true });
		const vhd = join(dir, 'appliance.vhd');
		execFileSync('qemu-img', ['create', '-f', 'vpc', vhd, '16M'], { stdio: 'ignore' });
		await toImageStep(app);
		await press(app, up, enter);
		await waitFor(app, 'VHD file:');
		await press(app, vhd, enter);
		await waitFor(app, 'AMI name: appliance');
		// the sandbox's own vaa-5.4.9 was not made by kakehashi: the run refuses to adopt it
		await retype(app, 'vaa-5.4.9');
		await press(app, enter);
		await waitFor(app, 'S3 bucket for the upload: kakehashi-');
		await press(app, enter);
		const failed = await waitFor(app, 'r: retry', 60_000);
		expect(failed).toContain('already exists (ami-0a11ed7e1e5154a49)');
		await press(app, 's');
		await waitFor(app, 'VPC IPv4 CIDR block');
	});

	it('retry runs the import again: a file gone mid-way fails, comes back, and the retry finishes', async () => {
		const { app, dir } = await startWizard('en', {}, { fastImages: true });
		const vhd = join(dir, 'vaa-6.0.0.vhd');
		const make = () => execFileSync('qemu-img', ['create', '-f', 'vpc', vhd, '16M'], { stdio: 'ignore' });
		make();
		await toImageStep(app);
		await press(app, up, enter);
		await waitFor(app, 'VHD file:');
		await press(app, vhd, enter);
		await waitFor(app, 'AMI name: vaa-6.0.0');
		rmSync(vhd);
		await press(app, enter);
		await waitFor(app, 'S3 bucket for the upload: kakehashi-');
		await press(app, enter);
		const failed = await waitFor(app, 'r: retry', 60_000);
		expect(failed).toContain('(ENOENT)');
		make();
		await press(app, 'r');
		await waitFor(app, /AMI ami-[0-9a-f]+ \(vaa-6\.0\.0\) is ready/, 60_000);
		await press(app, enter);
		await waitFor(app, 'VPC IPv4 CIDR block');
	});

	it('speaks Japanese: the question and the refusal', async () => {
		const { app, dir } = await startWizard('ja', {}, { fastImages: true });
		const notDisk = join(dir, 'notes.txt');
		execFileSync('sh', ['-c', `printf 'hello' > ${notDisk}`]);
		await waitFor(app, '何を構築しますか？');
		await press(app, enter);
		await waitFor(app, 'サンドボックスを使います');
		await press(app, enter);
		await waitFor(app, 'リージョン: ap-northeast-1');
		await press(app, enter);
		await waitFor(app, 'スタック名');
		await press(app, enter);
		const ask = await waitFor(app, 'AMI を今インポートしますか');
		expect(ask).toContain('vaa-5.4.9（ami-0a11ed7e1e5154a49');
		await press(app, up, enter);
		await waitFor(app, 'VHD ファイル:');
		await press(app, notDisk, enter);
		const refused = await waitFor(app, '「conectix」フッターがありません');
		expect(refused).toContain('notes.txt');
		expect(refused).not.toMatch(/\{\w+\}/);
	});
});
