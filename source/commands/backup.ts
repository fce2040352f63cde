/**
 * `kakehashi backup`: the install guide's backup (section 8) — an image (CreateImage) of the
 * appliance instance with a dated name, tagged with the stack and recorded in the state file as an
 * `image` (so `destroy` removes it), waited for until available, and the guide's warning: an instance
 * rebuilt from it gets a new MAC and IP, so virtual links and licences must be registered again.
 * The image's snapshots are recorded too (before the image: destroy deregisters it first, then deletes
 * them), since AWS keeps and bills them after DeregisterImage.
 */
import { CreateImageCommand, DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { tagSpecifications } from '../aws/stack-tags.js';
import type { GlobalOptions } from '../cli.js';
import { appendJournal, loadState, putResource, type State, saveState } from '../flow/state.js';
import { openBackend, translatingStateErrors } from './backend.js';
import { OperationError, UsageError } from './errors.js';
import { type CommandIo, printJson } from './io.js';

export type BackupCommandOptions = GlobalOptions & {
	router?: string;
	json?: boolean;
	/** Let AWS reboot the instance for a consistent file system (tunnels stop meanwhile). */
	reboot?: boolean;
	/** Seconds to wait for the image (default 3600). */
	timeout?: string;
};

/** `AMF-VAA-backup-20261123-1621` (UTC): sortable, within AMI name rules (3–128 of `A-Za-z0-9()[] ./-'@_`). */
export function backupImageName(instanceName: string, at: Date): string {
	const two = (value: number) => String(value).padStart(2, '0');
	const stamp = `${at.getUTCFullYear()}${two(at.getUTCMonth() + 1)}${two(at.getUTCDate())}-${two(at.getUTCHours())}${two(at.getUTCMinutes())}`;
	const base = instanceName.replace(/[^A-Za-z0-9()[\] ./'@_-]/g, '-').slice(0, 100) || 'appliance';
	return `${base}-backup-${stamp}`;
}

/** The appliance instance to image: the `instance` resource, or the one of `--router`. */
export function backupSource(
	state: State | undefined,
	router: string | undefined,
): { instanceId: string; name: string } | { error: 'none' } | { error: 'unknown'; known: string[] } {
	if (!state) return { error: 'none' };
	const appliances = state.routers.filter((record) => typeof record.instanceId === 'string');
	if (router !== undefined) {
		const record = appliances.find((candidate) => candidate.name === router);
		if (!record) return { error: 'unknown', known: appliances.map((candidate) => candidate.name) };
		const instanceId = record.instanceId as string;
		const resource = state.resources.find((item) => item.kind === 'instance' && item.id === instanceId);
		return { instanceId, name: resource?.name ?? record.name };
	}
	const resource = state.resources.find((item) => item.kind === 'instance');
	if (resource) return { instanceId: resource.id, name: resource.name };
	const record = appliances[0];
	return record ? { instanceId: record.instanceId as string, name: record.name } : { error: 'none' };
}

async function waitAvailable(
	ec2: EC2Client,
	imageId: string,
	options: { timeoutMs: number; intervalMs: number; onState: (state: string) => void },
): Promise<{ state: string; reason?: string; snapshotIds: string[] }> {
	const deadline = Date.now() + options.timeoutMs;
	let last = '';
	for (;;) {
		const { Images: images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
		const image = images[0];
		const state = image?.State ?? 'pending';
		if (state !== last) options.onState(state);
		last = state;
		const snapshotIds = (image?.BlockDeviceMappings ?? []).flatMap((mapping) =>
			mapping.Ebs?.SnapshotId ? [mapping.Ebs.SnapshotId] : [],
		);
		if (state === 'available') return { state, snapshotIds };
		if (state === 'failed' || state === 'invalid' || state === 'deregistered' || state === 'error')
			return {
				state,
				snapshotIds,
				...(image?.StateReason?.Message ? { reason: image.StateReason.Message } : {}),
			};
		if (Date.now() > deadline) return { state, snapshotIds };
		await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
	}
}

export async function backupCommand(options: BackupCommandOptions, io: CommandIo): Promise<number> {
	const { t } = io;
	const timeoutSeconds = options.timeout === undefined ? 3600 : Number(options.timeout);
	if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
		throw new UsageError(t('cli.positiveNumber', { flag: '--timeout', value: String(options.timeout) }));
	const state = await translatingStateErrors(t, () => loadState(options.state));
	const source = backupSource(state, options.router);
	if ('error' in source) {
		throw new UsageError(
			source.error === 'unknown'
				? t('backup.unknownRouter', { router: options.router ?? '', known: source.known.join(', ') || '-' })
				: t('backup.needsInstance'),
		);
	}
	const backend = await openBackend(
		{ ...options, endpointUrl: options.endpointUrl ?? state?.endpoint },
		{ region: state?.region },
	);
	try {
		const base = backupImageName(source.name, new Date());
		let name = base;
		let created: { ImageId?: string } | undefined;
		// a second backup within the same minute: the name is taken, so number it
		for (let attempt = 2; !created; attempt++) {
			io.stderr.write(`${t('backup.creating', { name, instance: source.instanceId })}\n`);
			try {
				created = await backend.ec2.send(
					new CreateImageCommand({
						InstanceId: source.instanceId,
						Name: name,
						Description: `kakehashi backup of ${source.name} (${source.instanceId})`,
						NoReboot: options.reboot !== true,
						TagSpecifications: tagSpecifications('image', { stack: state!.stack, name }),
					}),
				);
			} catch (error) {
				if ((error as { name?: string }).name !== 'InvalidAMIName.Duplicate' || attempt > 9) throw error;
				name = `${base}-${attempt}`;
			}
		}
		const imageId = created.ImageId;
		if (!imageId) throw new OperationError(t('backup.failed', { imageId: '-', state: 'none', reason: '' }));
		// recorded at once: destroy removes it even if this command is interrupted while waiting
		const fresh = (await loadState(options.state)) ?? state!;
		putResource(fresh, { kind: 'image', id: imageId, name, created: true });
		appendJournal(fresh, { action: 'create', kind: 'image', id: imageId, name });
		await saveState(options.state, fresh);

		const intervalMs = backend.sandbox || backend.endpoint ? 1000 : 15_000;
		const outcome = await waitAvailable(backend.ec2, imageId, {
			timeoutMs: timeoutSeconds * 1000,
			intervalMs,
			onState: (imageState) => {
				if (imageState !== 'available')
					io.stderr.write(`${t('backup.waiting', { imageId, state: imageState })}\n`);
			},
		});
		if (outcome.state !== 'available') {
			if (outcome.state === 'pending')
				throw new OperationError(
					t('backup.timeout', { imageId, seconds: timeoutSeconds, state: outcome.state }),
				);
			throw new OperationError(
				t('backup.failed', {
					imageId,
					state: outcome.state,
					reason: outcome.reason ? ` (${outcome.reason})` : '',
				}),
			);
		}
		// the image's snapshots cost money after DeregisterImage: record them too, before the image in the
		// list, since destroy walks it backwards (the image goes first, then its snapshots)
		if (outcome.snapshotIds.length > 0) {
			const latest = (await loadState(options.state)) ?? state!;
			const at = latest.resources.findIndex((item) => item.kind === 'image' && item.id === imageId);
			const records = outcome.snapshotIds
				.filter((id) => !latest.resources.some((item) => item.kind === 'snapshot' && item.id === id))
				.map((id) => ({ kind: 'snapshot' as const, id, name, created: true }));
			latest.resources.splice(at < 0 ? latest.resources.length : at, 0, ...records);
			await saveState(options.state, latest);
		}
		io.stderr.write(`! ${t('backup.warning')}\n`);
		if (options.json) printJson(io, { imageId, name });
		else io.stdout.write(`${t('backup.done', { imageId, name })}\n`);
		return 0;
	} finally {
		await backend.close();
	}
}
