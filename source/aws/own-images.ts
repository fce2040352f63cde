import { DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import type { CallOptions } from './wait.js';

/**
 * The account's own images ("my AMIs", install guide section 3): the instance step offers them by
 * name, and an answers file may name one (`instance.ami: vaa-5.4.9`) instead of giving its id.
 */

export type OwnImage = { imageId: string; name: string; creationDate: string };

/** AMI ids: `ami-` and 8 or 17 hex digits. */
export function isAmiId(value: string): boolean {
	return /^ami-[0-9a-f]{8}([0-9a-f]{9})?$/.test(value);
}

/** Available images with an id, newest first (pure). */
export function newestFirst(images: readonly Image[]): OwnImage[] {
	return images
		.filter((image) => image.ImageId && (image.State === undefined || image.State === 'available'))
		.map((image) => ({
			imageId: image.ImageId as string,
			name: image.Name ?? '',
			creationDate: image.CreationDate ?? '',
		}))
		.sort((a, b) => b.creationDate.localeCompare(a.creationDate) || a.name.localeCompare(b.name));
}

/** DescribeImages Owners=self, available ones, newest first; `name`: exactly that name. */
export async function listOwnImages(
	ec2: EC2Client,
	options: CallOptions & { name?: string } = {},
): Promise<OwnImage[]> {
	const output = await ec2.send(
		new DescribeImagesCommand({
			Owners: ['self'],
			Filters: [
				{ Name: 'state', Values: ['available'] },
				...(options.name !== undefined ? [{ Name: 'name', Values: [options.name] }] : []),
			],
		}),
		{ abortSignal: options.signal },
	);
	const images = newestFirst(output.Images ?? []);
	return options.name === undefined ? images : images.filter((image) => image.name === options.name);
}
