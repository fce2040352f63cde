import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadState } from '../../source/flow/state.js';
import { down, enter, esc, press, type Rendered, retype, startWizard, waitFor } from './wizard-driver.js';

/** Wait for a question, then take its default. */
async function accept(app: Rendered, label: string) {
	await waitFor(app, label);
	await press(app, enter);
}

/** The two other modes, driven by keystrokes against the sandbox from the chooser to the live panel. */

describe('wizard: single mode with AWS VPN', () => {
	it('asks the VPN questions, refuses what AWS refuses inline, applies and opens the panel with both tunnels up', async () => {
		const { app, dir, statePath } = await startWizard('en');
		await waitFor(app, 'What do you want to build?');
		await press(app, down);
		await waitFor(app, '❯ Single mode — AWS VPN');
		await press(app, enter);
		await waitFor(app, 'Using the built-in sandbox');
		await press(app, enter); // credentials
		await waitFor(app, 'Region: ap-northeast-1');
		await press(app, enter);
		await waitFor(app, 'Stack name');
		await press(app, enter);
		await waitFor(app, 'Import the appliance’s AMI'); // the sandbox has its own vaa-5.4.9: default no
		await press(app, enter);
		await waitFor(app, 'VPC IPv4 CIDR block');
		await press(app, enter);
		await waitFor(app, 'Subnet IPv4 CIDR block');
		await press(app, enter);
		await waitFor(app, 'route table');
		await press(app, enter);

		await waitFor(app, 'Amazon-side BGP ASN: 64512');
		await press(app, enter);
		await waitFor(app, 'Your router’s public IP address (customer gateway): 198.51.100.10');
		await press(app, enter);
		await waitFor(app, 'Your router’s BGP ASN: 65000');
		await retype(app, '10124');
		await press(app, enter);
		await waitFor(app, 'AWS reserves ASN 10124');
		await retype(app, '64512');
		await press(app, enter);
		await waitFor(app, 'is also the Amazon side’s ASN');
		await retype(app, '65010');
		await press(app, enter);
		await waitFor(app, 'The LAN behind your router');
		await press(app, enter);
		await waitFor(app, 'Router vendor:');
		await press(app, enter); // awplus
		await accept(app, 'internet-facing interface (tunnel source): ppp0');
		await waitFor(app, 'Routing:');
		await press(app, enter); // BGP
		await waitFor(app, 'Tunnel 1 inside CIDR');
		await retype(app, '169.254.5.0/30');
		await press(app, enter);
		await waitFor(app, 'AWS reserves "169.254.5.0/30"');
		await retype(app, '169.254.10.0/30');
		await press(app, enter);
		await waitFor(app, 'Tunnel 1 pre-shared key reference');
		await retype(app, 'abcdefgh1234');
		await press(app, enter);
		await waitFor(app, 'do not write a pre-shared key');
		await retype(app, '');
		await press(app, enter);
		await waitFor(app, 'Tunnel 2 inside CIDR');
		await retype(app, '169.254.10.0/30');
		await press(app, enter);
		await waitFor(app, '"169.254.10.0/30" is already used by');
		await retype(app, '169.254.11.0/30');
		await press(app, enter);
		await waitFor(app, 'Tunnel 2 pre-shared key reference');
		await press(app, enter);
		await waitFor(app, 'Route for the tunnels’ link-local range: 169.254.0.0/16');
		await press(app, enter);
		for (const label of ['Security group name', 'Allow SSH from', 'Your user networks', 'Key pair name']) {
			await accept(app, label);
		}
		await waitFor(app, 'Save the private key to');
		await retype(app, join(dir, 'amf-cloud-key.pem'));
		await press(app, enter);
		await accept(app, 'Instance type');
		await accept(app, 'Instance Name tag');
		await accept(app, 'Automatic: my newest image');

		const plan = await waitFor(app, /\d+ to create, 0 to keep, 0 to replace\./);
		expect(plan).toContain('create   VPC');
		await press(app, enter);
		await waitFor(app, 'Everything is in place', 120_000);
		const state = await loadState(statePath);
		expect(state?.flow).toBe('single-aws-vpn');
		expect(state?.resources.map((resource) => resource.kind)).toEqual(
			expect.arrayContaining(['vpn-gateway', 'customer-gateway', 'vpn-connection']),
		);
		await press(app, enter);
		await waitFor(app, 'Live panel');
		const list = await waitFor(app, /site\s+198\.51\.100\.10\s+connected\s+2\/2 up/, 60_000);
		// the site router's panel: one row per AWS tunnel, each with its BGP neighbour (the design's
		// context, as `kakehashi monitor` has it), none left over
		const lines = list.split('\n');
		const siteLine = lines.findIndex((line) => /^\W*site\s+198\.51\.100\.10/.test(line));
		const firstRouter = lines.findIndex((line) => /connected/.test(line));
		for (let step = firstRouter; step < siteLine; step++) await press(app, down);
		await press(app, enter);
		const site = await waitFor(app, /site \(awplus\)/, 60_000);
		const rows = await waitFor(app, /(\d+\.\d+\.\d+\.\d+\s+up\s+up\s+estab[^\n]*\n[^\n]*){2}/, 60_000);
		expect(rows.match(/\bup\s+up\s+estab\s/g)).toHaveLength(2);
		expect(site + rows).not.toContain('BGP neighbours of no tunnel');
	}, 240_000);
});

describe('wizard: multi-tenant mode', () => {
	it('adds, edits and removes tenants (at least one), shows their ids, applies and opens the panel', async () => {
		const { app, dir, statePath } = await startWizard('en');
		await waitFor(app, 'What do you want to build?');
		await press(app, down, down);
		await waitFor(app, '❯ Multi-tenant mode');
		await press(app, enter);
		await waitFor(app, 'Using the built-in sandbox');
		await press(app, enter);
		await waitFor(app, 'Region: ap-northeast-1');
		await press(app, enter);
		await waitFor(app, 'Stack name');
		await press(app, enter);
		await waitFor(app, 'Import the appliance’s AMI'); // the sandbox has its own vaa-5.4.9: default no
		await press(app, enter);
		await waitFor(app, 'VPC IPv4 CIDR block');
		await press(app, enter);
		await waitFor(app, 'Subnet IPv4 CIDR block');
		await press(app, enter);
		await waitFor(app, 'route table');
		await press(app, enter);

		// no tenant yet: continuing is refused
		await waitFor(app, 'No tenant yet.');
		await press(app, down);
		await waitFor(app, '❯ → Continue with 0 tenant(s)');
		await press(app, enter);
		await waitFor(app, 'Add at least one tenant to continue.');
		await press(app, 'a');
		await waitFor(app, 'Tenant name: tenant-a');
		await press(app, enter);
		await waitFor(app, 'Tenant router’s public IP address: 198.51.100.21');
		await press(app, enter);
		await waitFor(app, 'Tenant LAN');
		await retype(app, '172.30.8.0/24');
		await press(app, enter);
		await waitFor(app, 'overlaps the VPC block');
		await retype(app, '192.168.10.0/24');
		await press(app, enter);
		await waitFor(app, 'Tenant router’s tunnel address: 172.16.0.2/24');
		await press(app, enter);
		await waitFor(app, 'Pre-shared key reference');
		await press(app, enter);
		await waitFor(app, 'Router vendor:');
		await press(app, enter);
		await accept(app, 'internet-facing interface');
		await waitFor(app, 'ISAKMP vaa1 · tunnel1 · L2TPv3 11/12 · 172.16.0.2/24');

		// tenant-b with tenant-a's own LAN and tunnel address: allowed, and said why
		await press(app, 'a');
		await waitFor(app, 'Tenant name: tenant-b');
		await press(app, enter);
		await waitFor(app, 'public IP address: 198.51.100.22');
		await retype(app, '198.51.100.21');
		await press(app, enter);
		await waitFor(app, 'the router address 198.51.100.21 is already used by');
		await retype(app, '198.51.100.22');
		await press(app, enter);
		await waitFor(app, 'Tenant LAN');
		await retype(app, '192.168.10.0/24');
		await press(app, enter);
		for (const label of [
			'tunnel address: 172.16.0.2/24',
			'Pre-shared key reference',
			'Router vendor:',
			'internet-facing interface',
		]) {
			await accept(app, label);
		}
		await waitFor(app, 'ISAKMP vaa2 · tunnel2 · L2TPv3 21/22');
		await waitFor(app, 'tenant-a, tenant-b share address ranges');

		// a third tenant, removed again
		await press(app, 'a');
		for (const label of [
			'Tenant name: tenant-c',
			'public IP address: 198.51.100.23',
			'Tenant LAN',
			'tunnel address',
			'Pre-shared key reference',
			'Router vendor:',
			'internet-facing interface',
		]) {
			await accept(app, label);
		}
		await waitFor(app, 'L2TPv3 31/32');
		await press(app, 'd');
		await waitFor(app, 'Remove tenant tenant-c?');
		await press(app, 'y');
		await waitFor(app, 'Continue with 2 tenant(s)');
		expect(app.lastFrame()).not.toContain('tenant-c');

		// edit tenant-b: esc from its first question keeps it
		await press(app, esc);
		await waitFor(app, 'route table');
		await press(app, enter);
		await waitFor(app, 'Continue with 2 tenant(s)');
		await press(app, down);
		await waitFor(app, '❯ tenant-b');
		await press(app, enter);
		await waitFor(app, 'Tenant 2');
		await press(app, esc);
		await waitFor(app, 'Continue with 2 tenant(s)');

		await press(app, down, down);
		await waitFor(app, '❯ → Continue with 2 tenant(s)');
		await press(app, enter);
		for (const label of ['Security group name', 'Allow SSH from', 'Your user networks', 'Key pair name']) {
			await accept(app, label);
		}
		await waitFor(app, 'Save the private key to');
		await retype(app, join(dir, 'amf-cloud-key.pem'));
		await press(app, enter);
		await accept(app, 'Instance type');
		await accept(app, 'Instance Name tag');
		await accept(app, 'Automatic: my newest image');

		await waitFor(app, '7 to create, 0 to keep, 0 to replace.');
		await press(app, enter);
		const applied = await waitFor(app, 'Everything is in place', 120_000);
		expect(applied).toContain('Generated pre-shared key for tenant-a');
		const state = await loadState(statePath);
		expect(state?.flow).toBe('multi-tenant');
		await press(app, enter);
		await waitFor(app, 'Live panel');
		await waitFor(app, /tenant-a\s+198\.51\.100\.21\s+connected\s+1\/1 up/, 60_000);
		await waitFor(app, /tenant-b\s+198\.51\.100\.22\s+connected\s+1\/1 up/, 60_000);
	});
});

describe('wizard: SSH from anywhere', () => {
	it('offers this machine’s public address as a /32', async () => {
		const { app } = await startWizard('en', { adminAddress: async () => '192.0.2.44' });
		await waitFor(app, 'What do you want to build?');
		await press(app, enter);
		await waitFor(app, 'Using the built-in sandbox');
		await press(app, enter);
		for (const label of [
			'Region: ap-northeast-1',
			'Stack name',
			'Import the appliance’s AMI',
			'VPC IPv4 CIDR block',
			'Subnet IPv4 CIDR block',
			'route table',
			'public IP address',
			'The LAN behind your router',
			'Security group name',
		]) {
			await accept(app, label);
		}
		await waitFor(app, 'Allow SSH from');
		await retype(app, '0.0.0.0/0');
		await press(app, enter);
		await waitFor(app, 'your administrators’ addresses: 192.0.2.44/32');
		await waitFor(app, 'Press enter again');
	});
});
