import { describeAwsError, explainAwsError } from '../aws/errors.js';
import { RoleNotTrustedError } from '../aws/iam-role.js';
import { ImageFailedError, ImportTaskFailedError } from '../aws/image-import.js';
import { BucketRegionError, BucketTakenError, bucketNameProblem } from '../aws/s3-bucket.js';
import type { UploadProgress } from '../aws/s3-upload.js';
import { iamActionOfError } from '../aws/service-clients.js';
import type { NotVhdReason } from '../aws/vhd.js';
import type { GlobalOptions } from '../cli.js';
import {
	checkVhdFile,
	formatBytes,
	type ImageImportEvent,
	ImageNameTakenError,
	importImage,
	StateRegionError,
	VhdCheckError,
} from '../flow/image-import.js';
import { loadState } from '../flow/state.js';
import { renderMessage } from '../flow/steps.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import { openBackend, translatingStateErrors } from './backend.js';
import { OperationError, UsageError } from './errors.js';
import { type CommandIo, printJson } from './io.js';

export type ImageImportCommandOptions = GlobalOptions & {
	vhd?: string;
	name?: string;
	bucket?: string;
	stack?: string;
	json?: boolean;
};

/** The stack a new state file records when none is given: the wizard's default stack name. */
export const DEFAULT_STACK = 'amf-cloud';

/** AMI names: 3–128 characters of letters, digits and ( ) [ ] space . / - ' @ _ (EC2 RegisterImage). */
export function amiNameValid(name: string): boolean {
	return /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/.test(name);
}

/** The sentence naming the file and what it is instead of an importable VHD. */
export function notVhdMessage(t: Translate, path: string, reason: NotVhdReason, actualSize?: number): string {
	switch (reason.what) {
		case 'empty':
		case 'iso':
		case 'qcow2':
		case 'vhdx':
		case 'vmdk':
		case 'vdi':
		case 'differencing':
			return t(`image.vhd.${reason.what}`, { path });
		case 'zip':
		case 'gzip':
		case 'xz':
		case 'tar':
			return t('image.vhd.archive', { path, format: reason.what.toUpperCase() });
		case 'seven-zip':
			return t('image.vhd.archive', { path, format: '7-Zip' });
		case 'unreadable':
			return t('image.vhd.unreadable', { path, code: reason.code });
		case 'unsupported-type':
			return t('image.vhd.unsupportedType', { path, diskType: reason.diskType });
		case 'bad-checksum':
			return t('image.vhd.badChecksum', {
				path,
				found: `0x${reason.found.toString(16)}`,
				expected: `0x${reason.expected.toString(16)}`,
			});
		case 'truncated':
			return reason.expectedSize === undefined
				? t('image.vhd.truncated', { path })
				: t('image.vhd.truncatedSize', { path, expected: reason.expectedSize, actual: actualSize ?? '?' });
		case 'header-mismatch':
			return t('image.vhd.headerMismatch', { path });
		case 'no-footer':
			return t('image.vhd.noFooter', { path });
	}
}

function formatDuration(seconds: number): string {
	const whole = Math.round(seconds);
	const hours = Math.floor(whole / 3600);
	const minutes = Math.floor((whole % 3600) / 60);
	const rest = whole % 60;
	const two = (value: number) => String(value).padStart(2, '0');
	return hours > 0 ? `${hours}:${two(minutes)}:${two(rest)}` : `${minutes}:${two(rest)}`;
}

/** One progress line: percent, bytes, rate and time left (pure). */
export function uploadProgressLine(t: Translate, progress: UploadProgress): string {
	const percent = progress.total > 0 ? Math.floor((progress.loaded * 100) / progress.total) : 100;
	const width = 24;
	const filled = Math.round((percent / 100) * width);
	const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
	return `${bar} ${t('image.progress.upload', {
		percent,
		loaded: formatBytes(progress.loaded),
		total: formatBytes(progress.total),
		rate: formatBytes(Math.round(progress.bytesPerSecond)),
		eta:
			progress.etaSeconds === undefined
				? t('image.progress.etaUnknown')
				: formatDuration(progress.etaSeconds),
	})}`;
}

/**
 * Progress on stderr, in the vendor script's words: one line per phase; the upload as one line
 * redrawn in place on a terminal, else a line every 10%; the import's progress when it changes.
 */
export function imageProgressPrinter(io: CommandIo): (event: ImageImportEvent) => void {
	const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
	let lastTenth = -1;
	let drawn = false;
	const endLine = () => {
		if (drawn) io.stderr.write('\n');
		drawn = false;
	};
	return (event) => {
		switch (event.type) {
			case 'phase':
				endLine();
				io.stderr.write(`  … ${renderMessage(io.t, event.message)}\n`);
				break;
			case 'note':
				endLine();
				io.stderr.write(`    ${renderMessage(io.t, event.message)}\n`);
				break;
			case 'upload-progress': {
				const line = uploadProgressLine(io.t, event.progress);
				if (tty) {
					io.stderr.write(`\r    ${line}\u001b[K`);
					drawn = true;
				} else {
					const tenth = Math.floor((event.progress.loaded * 10) / Math.max(1, event.progress.total));
					if (tenth !== lastTenth) io.stderr.write(`    ${line}\n`);
					lastTenth = tenth;
				}
				break;
			}
			case 'import-progress':
				endLine();
				io.stderr.write(
					`    ${io.t('image.progress.import', {
						progress: event.progress,
						status: event.statusMessage || event.status,
					})}\n`,
				);
				break;
			case 'upload-part':
				break;
		}
	};
}

/** Errors of the import run as the sentence the user reads, with the exit code the contract gives. */
export function importErrorOf(t: Translate, error: unknown): UsageError | OperationError | undefined {
	if (error instanceof VhdCheckError) return new UsageError(notVhdMessage(t, error.path, error.reason));
	if (error instanceof StateRegionError) {
		return new UsageError(
			t('image.error.stateRegion', {
				path: error.path,
				stateRegion: error.stateRegion,
				region: error.region,
			}),
		);
	}
	if (error instanceof BucketTakenError) {
		return new OperationError(
			error.suggestion
				? t('image.error.bucketTaken', { bucket: error.bucket, suggestion: error.suggestion })
				: t('image.error.bucketTakenNoSuggestion', { bucket: error.bucket }),
		);
	}
	if (error instanceof BucketRegionError) {
		return new OperationError(
			t('image.error.bucketRegion', {
				bucket: error.bucket,
				bucketRegion: error.bucketRegion,
				region: error.region,
			}),
		);
	}
	if (error instanceof RoleNotTrustedError)
		return new OperationError(t('image.error.roleNotTrusted', { role: error.role }));
	if (error instanceof ImageNameTakenError) {
		return new OperationError(t('image.error.nameTaken', { name: error.imageName, imageId: error.imageId }));
	}
	if (error instanceof ImportTaskFailedError) {
		return new OperationError(
			`${t('image.error.importFailed', { id: error.importTaskId, message: error.statusMessage })}\n${t(`image.hint.${error.hint}`)}`,
		);
	}
	if (error instanceof ImageFailedError) {
		return new OperationError(t('image.error.imageFailed', { id: error.imageId, reason: error.reason }));
	}
	if (typeof error === 'object' && error !== null && '$metadata' in error) {
		const description = describeAwsError(error);
		const action = iamActionOfError(error) ?? description.action;
		if (action) description.action = action;
		const lines = [`${description.code}: ${description.message}`];
		const explanation = explainAwsError(description);
		if (explanation) lines.push(t(`awsError.${explanation.key}` as MessageKey, explanation.vars));
		if (description.requestId) lines.push(t('flow.error.requestId', { requestId: description.requestId }));
		return new OperationError(lines.join('\n'));
	}
	return undefined;
}

/** `kakehashi image import --vhd FILE --name NAME [--bucket B] [--json]`. */
export async function imageImportCommand(options: ImageImportCommandOptions, io: CommandIo): Promise<number> {
	const { t } = io;
	if (!options.vhd) throw new UsageError(t('rule.required', { path: '--vhd', expected: 'FILE.vhd' }));
	if (!options.name) throw new UsageError(t('rule.required', { path: '--name', expected: 'vaa-5.4.9' }));
	if (!amiNameValid(options.name)) throw new UsageError(t('image.error.name', { name: options.name }));
	if (options.bucket !== undefined) {
		const problem = bucketNameProblem(options.bucket);
		if (problem) throw new UsageError(t(`image.error.bucketName.${problem}`, { bucket: options.bucket }));
	}
	const vhd = options.vhd;
	const name = options.name;
	return translatingStateErrors(t, async () => {
		// The file first: a non-VHD stops before any AWS call.
		try {
			await checkVhdFile(vhd);
		} catch (error) {
			throw importErrorOf(t, error) ?? error;
		}
		const state = await loadState(options.state);
		const region = options.region ?? state?.region;
		const backend = await openBackend(
			{
				...options,
				...(region ? { region } : {}),
				endpointUrl: options.endpointUrl ?? (options.sandbox ? undefined : state?.endpoint),
			},
			region ? { region } : {},
		);
		try {
			const identity = await backend.verify();
			if (!identity.ok) {
				const explanation = explainAwsError(identity.error, {
					...(identity.clockSkewMs !== undefined ? { clockSkewMs: identity.clockSkewMs } : {}),
				});
				throw new OperationError(
					[
						`${identity.error.code}: ${identity.error.message}`,
						...(explanation ? [t(`awsError.${explanation.key}` as MessageKey, explanation.vars)] : []),
					].join('\n'),
				);
			}
			const { s3, iam } = await backend.services();
			let result: Awaited<ReturnType<typeof importImage>>;
			try {
				result = await importImage({
					clients: { ec2: backend.ec2, s3, iam },
					vhdPath: vhd,
					name,
					...(options.bucket ? { bucket: options.bucket } : {}),
					region: backend.region,
					account: identity.identity.account,
					statePath: options.state,
					stack: state?.stack ?? options.stack ?? DEFAULT_STACK,
					...(backend.endpoint && !backend.sandbox ? { endpoint: backend.endpoint } : {}),
					onEvent: imageProgressPrinter(io),
				});
			} catch (error) {
				throw importErrorOf(t, error) ?? error;
			}
			const { reused, ...ids } = result;
			const vars = { ...ids, name };
			io.stderr.write(`${t(reused ? 'image.reused' : 'image.done', vars)}\n`);
			if (!name.startsWith('vaa'))
				io.stderr.write(`${t('image.instanceHint', { imageId: result.imageId })}\n`);
			if (options.json) {
				printJson(io, {
					imageId: result.imageId,
					snapshotId: result.snapshotId,
					importTaskId: result.importTaskId,
					bucket: result.bucket,
				});
			} else {
				io.stdout.write(`${result.imageId}\n`);
			}
			return 0;
		} finally {
			await backend.close();
		}
	});
}
