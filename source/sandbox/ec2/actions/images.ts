import type { ActionContext, ActionTable } from '../context.js';
import { applyFilters, parseFilters } from '../filters.js';
import { selectByIds } from '../lookups.js';
import { paginate } from '../pagination.js';
import type { ImageRecord } from '../state.js';
import { renderTags } from '../tags.js';
import { type XmlObject, xmlList, xmlTime } from '../xml.js';

function ownerOf(context: ActionContext, image: ImageRecord): string {
	return image.ownerId ?? context.accountId;
}

export function renderImage(context: ActionContext, image: ImageRecord): XmlObject {
	return {
		imageId: image.id,
		imageLocation: `${ownerOf(context, image)}/${image.name}`,
		imageState: 'available',
		imageOwnerId: ownerOf(context, image),
		creationDate: xmlTime(image.createdAt),
		isPublic: image.public,
		architecture: image.architecture,
		imageType: 'machine',
		sriovNetSupport: 'simple',
		name: image.name,
		description: image.description,
		rootDeviceType: 'ebs',
		rootDeviceName: image.rootDeviceName,
		blockDeviceMapping: xmlList([image], (record) => ({
			deviceName: record.rootDeviceName,
			ebs: {
				snapshotId: record.snapshotId,
				volumeSize: record.volumeSizeGiB,
				deleteOnTermination: true,
				volumeType: 'gp3',
				encrypted: false,
			},
		})),
		virtualizationType: 'hvm',
		hypervisor: 'xen',
		enaSupport: true,
		platformDetails: 'Linux/UNIX',
		usageOperation: 'RunInstances',
		imdsSupport: 'v2.0',
		tagSet: renderTags(image.tags),
	};
}

export const imageActions: ActionTable = {
	DescribeImages(context) {
		const ids = context.params.list('ImageId');
		const owners = context.params.list('Owner');
		const images = selectByIds('image', context.region.images, ids).filter((image) => {
			const owner = ownerOf(context, image);
			if (owners.length > 0) {
				return owners.some((wanted) => (wanted === 'self' ? owner === context.accountId : wanted === owner));
			}
			// Without Owners or ImageIds: the images the account may launch (its own and public ones).
			return ids.length > 0 || image.public || owner === context.accountId;
		});
		const filtered = applyFilters(
			images,
			parseFilters(context.params),
			{
				architecture: (image) => image.architecture,
				'block-device-mapping.device-name': (image) => image.rootDeviceName,
				'block-device-mapping.snapshot-id': (image) => image.snapshotId,
				'block-device-mapping.volume-size': (image) => image.volumeSizeGiB,
				'block-device-mapping.volume-type': () => 'gp3',
				'block-device-mapping.delete-on-termination': () => true,
				'block-device-mapping.encrypted': () => false,
				'creation-date': (image) => xmlTime(image.createdAt),
				description: (image) => image.description,
				'ena-support': () => true,
				hypervisor: () => 'xen',
				'image-id': (image) => image.id,
				'image-type': () => 'machine',
				'is-public': (image) => image.public,
				'kernel-id': () => undefined,
				'manifest-location': (image) => `${ownerOf(context, image)}/${image.name}`,
				name: (image) => image.name,
				'owner-alias': () => undefined,
				'owner-id': (image) => ownerOf(context, image),
				platform: () => undefined,
				'platform-details': () => 'Linux/UNIX',
				'product-code': () => undefined,
				'ramdisk-id': () => undefined,
				'root-device-name': (image) => image.rootDeviceName,
				'root-device-type': () => 'ebs',
				state: () => 'available',
				'state-reason-code': () => undefined,
				'usage-operation': () => 'RunInstances',
				'virtualization-type': () => 'hvm',
			},
			(image) => image.tags,
		);
		const page = paginate(filtered, context.params, (image) => image.id, {
			min: 5,
			max: 1000,
			idsParameter: 'imageIds',
			idsGiven: ids.length > 0,
		});
		return {
			imagesSet: xmlList(page.items, (image) => renderImage(context, image)),
			nextToken: page.nextToken,
		};
	},
};
