import type { ActionContext, ActionTable } from '../context.js';
import { Ec2Error, invalidParameterValue, missingParameter } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { newId } from '../ids.js';
import { find, findById, selectByIds } from '../lookups.js';
import { paginate } from '../pagination.js';
import { type ImageRecord, instanceStateAt, SANDBOX_IMAGE, type SnapshotRecord } from '../state.js';
import { renderTags, tagsFromSpecifications } from '../tags.js';
import { type XmlObject, xmlList, xmlTime } from '../xml.js';
import { settleImportTasks, snapshotStatus } from './snapshots.js';

/**
 * AMIs: the built-in appliance image, and the account's own made by RegisterImage (from an imported
 * snapshot) or CreateImage (from an instance: a new snapshot too). Own images are `pending` until
 * Timings.imageAvailableMs has passed, then `available`; DeregisterImage removes them.
 */

function ownerOf(context: ActionContext, image: ImageRecord): string {
	return image.ownerId ?? context.accountId;
}

export function imageState(image: ImageRecord, now: number): 'pending' | 'available' {
	return image.availableAt === undefined || now >= image.availableAt ? 'available' : 'pending';
}

/** AWS's rule for AMI names: 3–128 characters of letters, digits, ( ) [ ] . / - ' @ _ and spaces. */
function validImageName(name: string): void {
	if (!/^[a-zA-Z0-9()[\]./\-'@_ ]{3,128}$/.test(name)) {
		throw invalidParameterValue(
			`AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_': '${name}'`,
		);
	}
}

/** Names are unique among the account's own images (the built-in appliance image stands apart). */
function uniqueImageName(context: ActionContext, name: string): void {
	const clash = Object.values(context.region.images).find(
		(image) =>
			image.name === name && image.id !== SANDBOX_IMAGE.id && ownerOf(context, image) === context.accountId,
	);
	if (clash) {
		throw new Ec2Error('InvalidAMIName.Duplicate', `AMI name ${name} is already in use by AMI ${clash.id}`);
	}
}

function snapshotsOf(context: ActionContext): Record<string, SnapshotRecord> {
	context.region.snapshots ??= {};
	return context.region.snapshots;
}

export function renderImage(context: ActionContext, image: ImageRecord): XmlObject {
	return {
		imageId: image.id,
		imageLocation: `${ownerOf(context, image)}/${image.name}`,
		imageState: imageState(image, context.now),
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
		enaSupport: image.enaSupport ?? true,
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
				'ena-support': (image) => image.enaSupport ?? true,
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
				state: (image) => imageState(image, context.now),
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

	RegisterImage(context) {
		settleImportTasks(context.region, context.now);
		const { params } = context;
		const name = params.required('Name');
		validImageName(name);
		if (params.string('ImageLocation') !== undefined) {
			throw invalidParameterValue(
				'The kakehashi sandbox registers EBS-backed images only: omit ImageLocation.',
			);
		}
		const architecture = params.string('Architecture') ?? 'x86_64';
		if (!['x86_64', 'arm64', 'i386'].includes(architecture)) {
			throw invalidParameterValue(`Invalid value '${architecture}' for architecture.`);
		}
		const virtualization = params.string('VirtualizationType') ?? 'hvm';
		if (virtualization !== 'hvm') {
			throw invalidParameterValue(
				`Invalid value '${virtualization}' for virtualizationType: the sandbox's instance types are HVM only.`,
			);
		}
		const rootDeviceName = params.string('RootDeviceName');
		if (!rootDeviceName) throw missingParameter('RootDeviceName');
		const mappings = params.structs('BlockDeviceMapping');
		const root = mappings.find((mapping) => mapping.string('DeviceName') === rootDeviceName);
		const snapshotId = root?.string('Ebs.SnapshotId');
		if (!root || !snapshotId) {
			throw new Ec2Error(
				'InvalidBlockDeviceMapping',
				`The root device name ${rootDeviceName} must have a block device mapping with an EBS snapshot (BlockDeviceMapping.N.Ebs.SnapshotId).`,
			);
		}
		const snapshot = findById('snapshot', snapshotsOf(context), snapshotId);
		if (snapshotStatus(snapshot, context.now) !== 'completed') {
			throw new Ec2Error('IncorrectState', `Snapshot '${snapshotId}' is not 'completed'.`);
		}
		const volumeSize = root.integer('Ebs.VolumeSize') ?? snapshot.volumeSizeGiB;
		if (volumeSize < snapshot.volumeSizeGiB) {
			throw new Ec2Error(
				'InvalidBlockDeviceMapping',
				`Volume of size ${volumeSize}GB is smaller than snapshot '${snapshotId}', expect size>= ${snapshot.volumeSizeGiB}GB`,
			);
		}
		uniqueImageName(context, name);
		const tags = tagsFromSpecifications(context, ['image']);
		const image: ImageRecord = {
			id: newId('ami', context.random),
			name,
			description: params.string('Description') ?? '',
			createdAt: context.now,
			public: false,
			architecture,
			rootDeviceName,
			snapshotId,
			volumeSizeGiB: volumeSize,
			tags: tags.get('image') ?? [],
			availableAt: context.now + context.timings.imageAvailableMs,
			enaSupport: params.boolean('EnaSupport') ?? false,
		};
		context.region.images[image.id] = image;
		return { imageId: image.id };
	},

	CreateImage(context) {
		const { params } = context;
		const instance = find.instance(context, params.required('InstanceId'));
		const state = instanceStateAt(instance, context.now);
		if (state !== 'running') {
			throw new Ec2Error(
				'IncorrectInstanceState',
				`The instance '${instance.id}' is not in a state from which it can be imaged (it is ${state}).`,
			);
		}
		const name = params.required('Name');
		validImageName(name);
		uniqueImageName(context, name);
		const tags = tagsFromSpecifications(context, ['image', 'snapshot']);
		const source = context.region.images[instance.imageId];
		const availableAt = context.now + context.timings.imageAvailableMs;
		const snapshot: SnapshotRecord = {
			id: newId('snap', context.random),
			volumeSizeGiB: source?.volumeSizeGiB ?? 8,
			description: `Created by CreateImage(${instance.id}) for ami-pending`,
			startedAt: context.now,
			completedAt: availableAt,
			volumeId: newId('vol', context.random),
			tags: tags.get('snapshot') ?? [],
		};
		const image: ImageRecord = {
			id: newId('ami', context.random),
			name,
			description: params.string('Description') ?? '',
			createdAt: context.now,
			public: false,
			architecture: source?.architecture ?? 'x86_64',
			rootDeviceName: source?.rootDeviceName ?? '/dev/xvda',
			snapshotId: snapshot.id,
			volumeSizeGiB: snapshot.volumeSizeGiB,
			tags: tags.get('image') ?? [],
			availableAt,
			enaSupport: source?.enaSupport ?? true,
			sourceInstanceId: instance.id,
		};
		snapshot.description = `Created by CreateImage(${instance.id}) for ${image.id}`;
		snapshotsOf(context)[snapshot.id] = snapshot;
		context.region.images[image.id] = image;
		return { imageId: image.id };
	},

	DeregisterImage(context) {
		const { params } = context;
		const image = find.image(context, params.required('ImageId'));
		if (image.id === SANDBOX_IMAGE.id || ownerOf(context, image) !== context.accountId) {
			throw new Ec2Error('AuthFailure', `Not authorized for image:${image.id}`);
		}
		delete context.region.images[image.id];
		if (params.boolean('DeleteAssociatedSnapshots') === true) {
			delete snapshotsOf(context)[image.snapshotId];
		}
		return { return: true };
	},
};
