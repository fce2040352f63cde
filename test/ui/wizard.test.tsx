import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enter, esc, press, retype, startWizard, waitFor } from './wizard-driver.js';

describe('wizard driven by keystrokes against the sandbox', () => {
	it('goes from the flow chooser through every step, plan and apply to a live panel with an established tunnel', async () => {
		const { app, dir } = await startWizard('en');
		await waitFor(app, 'What do you want to build?');
		await press(app, enter);
		await waitFor(app, 'Using the built-in sandbox');
		await press(app, enter); // credentials
		await waitFor(app, 'Region: ap-northeast-1');
		await press(app, enter); // region
		await waitFor(app, 'Stack name');
		await press(app, enter);
		await waitFor(app, 'Import the appliance’s AMI'); // the sandbox has its own vaa-5.4.9: default no
		await press(app, enter);
		await waitFor(app, 'VPC IPv4 CIDR block');

		// inline validation: the AMF management range warns and needs a second enter
		await retype(app, '172.31.0.0/16');
		await press(app, enter);
		await waitFor(app, '10.255.0.0/16');
		await waitFor(app, 'Press enter again');
		// a malformed value is an error that blocks
		await retype(app, '172.30.0/16');
		await press(app, enter);
		await waitFor(app, 'is not an IPv4 CIDR block');
		await retype(app, '172.30.0.0/16');
		await press(app, enter);
		await waitFor(app, 'Subnet IPv4 CIDR block');
		await retype(app, '10.1.0.0/24');
		await press(app, enter);
		await waitFor(app, 'is not inside the VPC block 172.30.0.0/16');
		await retype(app, '172.30.0.0/24');
		await press(app, enter);
		await waitFor(app, 'route table');
		await press(app, enter); // internet gateway + route table (no question)
		await waitFor(app, 'public IP address');
		await press(app, enter); // peer address (sandbox default)
		await waitFor(app, 'The LAN behind your router');
		await press(app, enter);
		await waitFor(app, 'Security group name');
		await press(app, enter);
		await waitFor(app, 'Allow SSH from');
		await press(app, enter);
		await waitFor(app, 'Your user networks');
		await press(app, enter);
		await waitFor(app, 'Key pair name');
		await press(app, enter);
		await waitFor(app, 'Save the private key to');
		await retype(app, join(dir, 'amf-cloud-key.pem'));
		await press(app, enter);
		await waitFor(app, 'Instance type');
		await press(app, enter);
		await waitFor(app, 'Instance Name tag');
		await press(app, enter);
		await waitFor(app, 'AMI (my AMIs)'); // automatic: the newest own vaa* image
		await press(app, enter);

		const plan = await waitFor(app, '7 to create, 0 to keep, 0 to replace.');
		expect(plan).toContain('create   VPC');
		await press(app, enter);
		await waitFor(app, 'Everything is in place', 90_000);
		const applied = app.lastFrame() ?? '';
		expect(applied).toContain('Generated pre-shared key for site');
		await press(app, enter);

		await waitFor(app, 'Live panel');
		// both routers connected, each with its one tunnel up (phase 1 and phase 2)
		await waitFor(app, /AMF-VAA\s+203\.0\.113\.\d+\s+connected\s+1\/1 up/, 30_000);
		const panel = await waitFor(app, /site\s+198\.51\.100\.10\s+connected\s+1\/1 up/, 30_000);
		expect(panel).toMatch(/q:\s?quit/);
	});

	it('speaks Japanese', async () => {
		const { app } = await startWizard('ja');
		await waitFor(app, '何を構築しますか？');
		await press(app, enter);
		await waitFor(app, 'サンドボックスを使います');
		await press(app, enter);
		await waitFor(app, 'リージョン: ap-northeast-1');
		await press(app, enter);
		await waitFor(app, 'スタック名');
		await press(app, enter);
		await waitFor(app, 'AMI を今インポートしますか');
		await press(app, enter);
		await waitFor(app, 'VPC の IPv4 CIDR ブロック');
		await retype(app, '172.31.0.0/16');
		await press(app, enter);
		await waitFor(app, '10.255.0.0/16 に切り替え');
		await press(app, esc);
		await waitFor(app, 'AMI を今インポートしますか');
		await press(app, esc);
		await waitFor(app, 'スタック名');
	});
});
