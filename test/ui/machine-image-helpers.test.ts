import { describe, expect, it } from 'vitest';
import { amiChoices } from '../../source/ui/components/ami-select.js';
import {
	amiNameFromFile,
	amiNameProblem,
	expandHome,
	newestAppliance,
} from '../../source/ui/components/machine-image-step.js';

describe('machine image step helpers', () => {
	it.each([
		['vaa-5.4.9-2.6.vhd', 'vaa-5.4.9'],
		['/downloads/vaa-5.4.9-2.6.vhd', 'vaa-5.4.9'],
		['vaa-5.4.9.vhd', 'vaa-5.4.9'],
		['vaa-5.4.9-12.VHD', 'vaa-5.4.9'],
		['appliance.vhd', 'appliance'],
		['vaa-test.vhd', 'vaa-test'],
		['disk', 'disk'],
	])('the AMI name of %s is %s', (file, name) => {
		expect(amiNameFromFile(file)).toBe(name);
	});

	it.each([
		['~', '/home/u'],
		['~/vaa.vhd', '/home/u/vaa.vhd'],
		['  ~/a b.vhd ', '/home/u/a b.vhd'],
		['/tmp/~x.vhd', '/tmp/~x.vhd'],
		['~other/x.vhd', '~other/x.vhd'],
		['rel/vaa.vhd', 'rel/vaa.vhd'],
	])('%s expands to %s', (path, expanded) => {
		expect(expandHome(path, '/home/u')).toBe(expanded);
	});

	it.each([
		['vaa-5.4.9', false],
		['ab', true],
		['vaa*', true],
		['x'.repeat(128), false],
		['x'.repeat(129), true],
	])('AMI name %s refused: %s', (name, refused) => {
		expect(amiNameProblem(name)).toBe(refused);
	});

	const images = [
		{ imageId: 'ami-2', name: 'backup-2026', creationDate: '2026-02-01T00:00:00.000Z' },
		{ imageId: 'ami-1', name: 'vaa-5.4.9', creationDate: '2025-01-01T00:00:00.000Z' },
	];

	it('the newest own vaa* image is the one the instance step would pick', () => {
		expect(newestAppliance(images)?.imageId).toBe('ami-1');
		expect(newestAppliance(images.slice(0, 1))).toBeUndefined();
	});

	it('the AMI list: automatic first, then name, id and date; an answered value not listed is kept', () => {
		expect(amiChoices(images, 'ami-1', 'auto').map((item) => [item.key, item.label])).toEqual([
			['', 'auto'],
			['ami-2', 'backup-2026  ami-2  2026-02-01'],
			['ami-1', 'vaa-5.4.9  ami-1  2025-01-01'],
		]);
		expect(amiChoices(images, 'vaa-old', 'auto').at(-1)).toEqual({
			key: 'vaa-old',
			label: 'vaa-old',
			value: 'vaa-old',
		});
	});
});
