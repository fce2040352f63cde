import { homedir } from 'node:os';
import { basename } from 'node:path';
import { Box, Text, useInput } from 'ink';
import Spinner from 'ink-spinner';
import TextInput from 'ink-text-input';
import { useEffect, useRef, useState } from 'react';
import { bucketNameProblem } from '../../aws/s3-bucket.js';
import { formatBytes } from '../../flow/image-import.js';
import type { MessageKey } from '../../i18n/index.js';
import { useT } from '../i18n-context.js';
import type { OwnImageInfo, WizardServices } from '../services.js';
import { Choice } from './choice.js';
import { emptyImageStepView, ImageStep, type ImageStepView, imageStepView } from './image-step.js';

/**
 * The wizard's optional "machine image" step (install guide section 1): ask whether to import the
 * appliance's AMI now (default no when the account already has its own vaa* image, named), then the
 * VHD path (checked before anything is made), the AMI name and the bucket, then the import with its
 * progress (image-step.tsx). A failure offers retry (the run resumes) or skip.
 */

/** `~` and `~/…` → the home folder (pure but for the home folder given). */
export function expandHome(path: string, home = homedir()): string {
	const trimmed = path.trim();
	if (trimmed === '~') return home;
	if (trimmed.startsWith('~/')) return `${home}${trimmed.slice(1)}`;
	return trimmed;
}

/** The AMI name a VHD's file name suggests: `vaa-5.4.9-2.6.vhd` → `vaa-5.4.9` (the build number dropped). */
export function amiNameFromFile(path: string): string {
	const stem = basename(path.trim()).replace(/\.vhd$/i, '');
	const release = /^(.*\d)-\d+(?:\.\d+)*$/.exec(stem);
	return release?.[1] ?? stem;
}

/** AMI names: 3–128 of letters, digits and ( ) [ ] space . / - ' @ _ (RegisterImage). */
export function amiNameProblem(name: string): boolean {
	return !/^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/.test(name);
}

/** The newest own image whose name starts with `vaa` (what the instance step picks when none is chosen). */
export function newestAppliance(images: readonly OwnImageInfo[]): OwnImageInfo | undefined {
	return images.find((image) => image.name.startsWith('vaa'));
}

type ImageServices = Pick<WizardServices, 'ownImages' | 'checkVhd' | 'defaultBucket' | 'importImage'>;

type Props = {
	services: ImageServices;
	region: string;
	stack: string;
	/** The import finished: its AMI. */
	onDone: (imageId: string) => void;
	onSkip: () => void;
	onBack: () => void;
};

type Stage =
	| { name: 'ask' }
	| { name: 'vhd' }
	| { name: 'name' }
	| { name: 'bucket' }
	| { name: 'run'; attempt: number }
	| { name: 'failed' }
	| { name: 'done'; imageId: string };

export function MachineImageStep({ services, region, stack, onDone, onSkip, onBack }: Props) {
	const t = useT();
	const [stage, setStage] = useState<Stage>({ name: 'ask' });
	const [own, setOwn] = useState<OwnImageInfo[] | { error: string } | undefined>();
	const [vhd, setVhd] = useState('');
	const [vhdInfo, setVhdInfo] = useState<string | undefined>();
	const [name, setName] = useState('');
	const [bucket, setBucket] = useState('');
	const [error, setError] = useState<string | undefined>();
	const [checking, setChecking] = useState(false);
	const [view, setView] = useState<ImageStepView>(emptyImageStepView);
	const running = useRef<AbortController | undefined>(undefined);
	// the file checked as it is typed (after a pause): what it is, or what it is not
	const [typed, setTyped] = useState<{ path: string; text: string; ok: boolean } | undefined>();
	useEffect(() => {
		if (stage.name !== 'vhd') return;
		const path = expandHome(vhd);
		if (!path) return;
		let live = true;
		const timer = setTimeout(() => {
			services
				.checkVhd(path)
				.then((checked) => {
					if (!live) return;
					if (checked.ok)
						setTyped({
							path,
							ok: true,
							text: t('wizard.image.vhdOk', { path, size: formatBytes(checked.size) }),
						});
					// a path still being typed does not exist yet: say nothing until enter
					else setTyped(checked.unreadable ? undefined : { path, ok: false, text: checked.message });
				})
				.catch(() => {});
		}, 300);
		return () => {
			live = false;
			clearTimeout(timer);
		};
	}, [stage.name, vhd, services, t]);

	useEffect(() => {
		let live = true;
		services
			.ownImages(region)
			.then((images) => live && setOwn(images))
			.catch((failure: Error) => live && setOwn({ error: failure.message }));
		return () => {
			live = false;
		};
	}, [services, region]);

	// the default bucket, as `image import` chooses it (needs the account: asked once)
	useEffect(() => {
		if (stage.name !== 'bucket' || bucket) return;
		let live = true;
		services
			.defaultBucket(region)
			.then((found) => live && setBucket((current) => current || found))
			.catch(() => {});
		return () => {
			live = false;
		};
	}, [stage.name, bucket, services, region]);

	// the import itself; leaving the step (or the wizard) stops it where a kill would: it resumes
	useEffect(() => {
		if (stage.name !== 'run') return;
		const controller = new AbortController();
		running.current = controller;
		setView(emptyImageStepView);
		services
			.importImage(
				{ vhdPath: vhd, name, ...(bucket ? { bucket } : {}), region, stack },
				(event) => {
					if (!controller.signal.aborted) setView((current) => imageStepView(current, event));
				},
				controller.signal,
			)
			.then((result) => {
				if (controller.signal.aborted) return;
				setView((current) => ({ ...current, result }));
				setStage({ name: 'done', imageId: result.imageId });
			})
			.catch((failure: Error) => {
				if (controller.signal.aborted) return;
				setView((current) => ({ ...current, error: failure.message }));
				setStage({ name: 'failed' });
			});
		return () => controller.abort();
	}, [stage, services, vhd, name, bucket, region, stack]);

	useInput((input, key) => {
		if (stage.name === 'failed') {
			if (input === 'r') setStage({ name: 'run', attempt: Date.now() });
			else if (input === 's') onSkip();
			else if (key.escape) setStage({ name: 'bucket' });
		} else if (stage.name === 'done') {
			if (key.return) onDone(stage.imageId);
		} else if (key.escape) {
			if (stage.name === 'vhd') setStage({ name: 'ask' });
			else if (stage.name === 'name') setStage({ name: 'vhd' });
			else if (stage.name === 'bucket') setStage({ name: 'name' });
		}
	});

	const submitVhd = (text: string) => {
		const path = expandHome(text);
		if (!path) {
			setError(t('wizard.image.required'));
			return;
		}
		setChecking(true);
		services
			.checkVhd(path)
			.then((checked) => {
				setChecking(false);
				if (!checked.ok) {
					setError(checked.message);
					return;
				}
				setError(undefined);
				setVhd(path);
				setVhdInfo(t('wizard.image.vhdOk', { path, size: formatBytes(checked.size) }));
				setName((current) => current || amiNameFromFile(path));
				setStage({ name: 'name' });
			})
			.catch((failure: Error) => {
				setChecking(false);
				setError(failure.message);
			});
	};

	const submitName = (text: string) => {
		const value = text.trim();
		if (amiNameProblem(value)) {
			setError(t('image.error.name', { name: value }));
			return;
		}
		setError(undefined);
		setName(value);
		setStage({ name: 'bucket' });
	};

	const submitBucket = (text: string) => {
		const value = text.trim();
		const problem = value ? bucketNameProblem(value) : undefined;
		if (problem) {
			setError(t(`image.error.bucketName.${problem}` as MessageKey, { bucket: value }));
			return;
		}
		setError(undefined);
		setBucket(value);
		setStage({ name: 'run', attempt: Date.now() });
	};

	const appliance = Array.isArray(own) ? newestAppliance(own) : undefined;
	const done = (label: MessageKey, value: string) => (
		<Text color="green">
			✔ {t(label)}: {value}
		</Text>
	);
	const input = (
		label: MessageKey,
		value: string,
		onChange: (next: string) => void,
		onSubmit: (v: string) => void,
	) => (
		<Box flexDirection="column">
			<Box flexWrap="wrap">
				<Text bold>{t(label)}: </Text>
				<TextInput
					value={value}
					onChange={(next) => {
						onChange(next);
						setError(undefined);
					}}
					onSubmit={onSubmit}
				/>
			</Box>
			{checking ? <Text color="gray">{t('wizard.image.checking')}</Text> : null}
			{stage.name === 'vhd' && !error && typed && typed.path === expandHome(value) ? (
				<Text color={typed.ok ? 'gray' : 'red'} wrap="wrap">
					{typed.ok ? '✓ ' : '✗ '}
					{typed.text}
				</Text>
			) : null}
			{error ? (
				<Text color="red" wrap="wrap">
					✗ {error}
				</Text>
			) : null}
		</Box>
	);

	if (stage.name === 'ask') {
		if (own === undefined) return <Text color="gray">{t('wizard.image.looking')}</Text>;
		return (
			<Box flexDirection="column">
				<Text wrap="wrap" color={appliance ? 'green' : undefined}>
					{appliance
						? t('wizard.image.has', {
								name: appliance.name,
								imageId: appliance.imageId,
								date: appliance.creationDate.slice(0, 10),
							})
						: 'error' in own
							? t('wizard.ami.error', { message: own.error })
							: t('wizard.image.none', { region })}
				</Text>
				<Text bold>{t('wizard.image.ask')}</Text>
				<Choice
					items={[
						{ key: 'yes', label: t('wizard.image.yes'), value: true },
						{ key: 'no', label: t('wizard.image.no'), value: false },
					]}
					initialKey={appliance ? 'no' : 'yes'}
					onSelect={(item) => {
						if (item.value) {
							setError(undefined);
							setStage({ name: 'vhd' });
						} else onSkip();
					}}
					onBack={onBack}
				/>
			</Box>
		);
	}
	return (
		<Box flexDirection="column">
			{stage.name !== 'vhd' && vhdInfo ? done('wizard.image.vhd', vhdInfo) : null}
			{stage.name === 'vhd' ? input('wizard.image.vhd', vhd, setVhd, submitVhd) : null}
			{stage.name !== 'vhd' && stage.name !== 'name' ? done('wizard.image.name', name) : null}
			{stage.name === 'name' ? input('wizard.image.name', name, setName, submitName) : null}
			{stage.name === 'bucket' ? input('wizard.image.bucket', bucket, setBucket, submitBucket) : null}
			{stage.name === 'run' || stage.name === 'failed' || stage.name === 'done' ? (
				<>
					{bucket ? done('wizard.image.bucket', bucket) : null}
					<Box marginTop={1}>
						{view.phases.length === 0 && stage.name === 'run' ? <Spinner type="dots" /> : null}
						<ImageStep view={view} />
					</Box>
					<Text color="gray" wrap="wrap">
						{t(
							stage.name === 'run'
								? 'wizard.image.running'
								: stage.name === 'failed'
									? 'wizard.image.failed'
									: 'wizard.image.next',
						)}
					</Text>
				</>
			) : null}
		</Box>
	);
}
