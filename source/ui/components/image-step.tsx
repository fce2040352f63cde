import { Box, Text } from 'ink';
import Spinner from 'ink-spinner';
import type { UploadProgress } from '../../aws/s3-upload.js';
import type { ImageImportEvent, ImageImportPhase, ImageImportResult } from '../../flow/image-import.js';
import { formatBytes } from '../../flow/image-import.js';
import { type FlowMessage, renderMessage } from '../../flow/steps.js';
import type { Translate } from '../../i18n/index.js';
import { useT } from '../i18n-context.js';

/**
 * The wizard's optional "machine image" step while it runs: the phases of the import as a list (done ✔,
 * current with a spinner), the upload as a progress bar with bytes, rate and time left, the import
 * task's progress and AWS's status message, the notes, then the AMI. Rendering only: the events come
 * from `importImage` (flow/image-import.ts) through the wizard's services; `imageStepView` folds them.
 */

export type ImageStepView = {
	phases: { phase: ImageImportPhase; message: FlowMessage }[];
	notes: FlowMessage[];
	upload?: UploadProgress;
	importProgress?: { progress: number; status: string };
	result?: ImageImportResult;
	/** The failure, already in the user's language. */
	error?: string;
};

export const emptyImageStepView: ImageStepView = { phases: [], notes: [] };

/** Fold one import event into the view (pure; the newest notes only, so the screen stays short). */
export function imageStepView(view: ImageStepView, event: ImageImportEvent, maxNotes = 4): ImageStepView {
	switch (event.type) {
		case 'phase':
			return { ...view, phases: [...view.phases, { phase: event.phase, message: event.message }] };
		case 'note':
			return { ...view, notes: [...view.notes, event.message].slice(-maxNotes) };
		case 'upload-progress':
			return { ...view, upload: event.progress };
		case 'import-progress':
			return {
				...view,
				importProgress: { progress: event.progress, status: event.statusMessage || event.status },
			};
		case 'upload-part':
			return view;
	}
}

export function progressBar(fraction: number, width = 30): string {
	const clamped = Math.min(1, Math.max(0, fraction));
	const filled = Math.round(clamped * width);
	return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

function duration(seconds: number): string {
	const whole = Math.round(seconds);
	return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

function uploadText(t: Translate, upload: UploadProgress): string {
	return t('image.progress.upload', {
		percent: upload.total > 0 ? Math.floor((upload.loaded * 100) / upload.total) : 100,
		loaded: formatBytes(upload.loaded),
		total: formatBytes(upload.total),
		rate: formatBytes(Math.round(upload.bytesPerSecond)),
		eta: upload.etaSeconds === undefined ? t('image.progress.etaUnknown') : duration(upload.etaSeconds),
	});
}

export function ImageStep({ view }: { view: ImageStepView }) {
	const t = useT();
	const running = !view.result && !view.error;
	const current = view.phases.length - 1;
	return (
		<Box flexDirection="column">
			{view.phases.map((item, index) => (
				<Text key={`${item.phase}:${index}`} color={index < current || !running ? 'green' : undefined}>
					{index < current || !running ? '✔ ' : <Spinner type="dots" />}
					{index === current && running ? ' ' : ''}
					{renderMessage(t, item.message)}
				</Text>
			))}
			{view.upload && view.phases.at(-1)?.phase === 'upload' ? (
				<Box flexDirection="column" marginLeft={2}>
					<Text color="cyan">
						{progressBar(view.upload.total > 0 ? view.upload.loaded / view.upload.total : 1)}
					</Text>
					<Text>{uploadText(t, view.upload)}</Text>
				</Box>
			) : null}
			{view.importProgress && view.phases.at(-1)?.phase === 'import' ? (
				<Box flexDirection="column" marginLeft={2}>
					<Text color="cyan">{progressBar(view.importProgress.progress / 100)}</Text>
					<Text>
						{t('image.progress.import', {
							progress: view.importProgress.progress,
							status: view.importProgress.status,
						})}
					</Text>
				</Box>
			) : null}
			{view.notes.map((note, index) => (
				<Text key={`note:${index}:${note.key}`} dimColor wrap="wrap">
					{'  '}
					{renderMessage(t, note)}
				</Text>
			))}
			{view.result ? (
				<Text color="green" bold wrap="wrap">
					{t(view.result.reused ? 'image.reused' : 'image.done', {
						imageId: view.result.imageId,
						snapshotId: view.result.snapshotId,
						importTaskId: view.result.importTaskId,
						bucket: view.result.bucket,
						name: view.phases.find((item) => item.phase === 'register')?.message.vars?.name?.toString() ?? '',
					})}
				</Text>
			) : null}
			{view.error ? (
				<Text color="red" wrap="wrap">
					{view.error}
				</Text>
			) : null}
		</Box>
	);
}
