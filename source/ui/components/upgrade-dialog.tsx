import { Box, Text, useInput } from 'ink';
import TextInput from 'ink-text-input';
import { useEffect, useRef, useState } from 'react';
import type {
	PreparedUpgrade,
	ReleaseFile,
	ReleaseInspection,
	UpgradeEvent,
	UpgradeOutcome,
} from '../../commands/upgrade.js';
import { formatBytes } from '../../flow/image-import.js';
import type { Translate } from '../../i18n/index.js';
import type { RouterView } from '../../monitor/router-monitor.js';
import { useT } from '../i18n-context.js';

/** What the panel's upgrade dialog needs (built by `kakehashi monitor` from `upgrade`'s steps). */
export type PanelUpgradeService = {
	/** The pure release check (ISO 9660, not a VHD, a name the flash takes) of a typed path (`~` allowed). */
	inspect: (path: string) => Promise<ReleaseInspection>;
	/** Connects to the panel's router `index` and reads its version and configuration. */
	prepare: (index: number, release: ReleaseFile) => Promise<PreparedUpgrade>;
	/** Seconds to wait for SSH after the reboot (900 unless a test says otherwise). */
	waitSeconds?: number;
};

type Step = 'copy' | 'verify' | 'install' | 'reboot' | 'wait' | 'check';
type Progress = { done: number; total: number; startedAt: number };

type Stage =
	| { kind: 'path'; error?: string }
	| { kind: 'checking' }
	| { kind: 'reading'; release: ReleaseFile }
	| { kind: 'confirm'; prepared: PreparedUpgrade }
	| { kind: 'running'; prepared: PreparedUpgrade }
	| { kind: 'done'; outcome: UpgradeOutcome }
	| { kind: 'failed'; message: string };

export type RunView = {
	step: Step;
	copy?: Progress;
	verify?: Progress;
	notes: string[];
	waited?: number;
};

const steps: Step[] = ['copy', 'verify', 'install', 'reboot', 'wait', 'check'];

/** Pure: where a run stands after one more event (the panel draws this). */
export function upgradeRunStep(view: RunView, event: UpgradeEvent, t: Translate): RunView {
	switch (event.step) {
		case 'copy':
			return { ...view, step: 'copy', copy: event };
		case 'verify':
			return { ...view, step: 'verify', verify: event };
		case 'already-there':
			return { ...view, step: 'install', notes: [...view.notes, t('panel.upgrade.alreadyThere')] };
		case 'verified':
		case 'installing':
			return { ...view, step: 'install' };
		case 'saved':
			return { ...view, notes: [...view.notes, t('upgrade.saved')] };
		case 'unsaved-kept':
			return { ...view, notes: [...view.notes, t('upgrade.unsavedKept')] };
		case 'installed':
		case 'rebooting':
			return { ...view, step: 'reboot' };
		case 'waiting':
			return { ...view, step: 'wait', waited: event.seconds };
		case 'checking':
			return { ...view, step: 'check' };
	}
}

function progressLine(progress: Progress | undefined, now: number): string {
	if (!progress) return '';
	const seconds = Math.max(0.001, (now - progress.startedAt) / 1000);
	const rate = progress.done / seconds;
	const left =
		progress.done >= progress.total ? 0 : rate > 0 ? (progress.total - progress.done) / rate : Number.NaN;
	const percent = progress.total > 0 ? Math.floor((progress.done / progress.total) * 100) : 100;
	const eta = Number.isFinite(left)
		? `${String(Math.floor(left / 60)).padStart(2, '0')}:${String(Math.round(left) % 60).padStart(2, '0')}`
		: '--:--';
	return `${percent}% ${formatBytes(progress.done)}/${formatBytes(progress.total)} ${formatBytes(Math.round(rate))}/s ETA ${eta}`;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

type Props = {
	router: RouterView;
	index: number;
	service: PanelUpgradeService;
	/** Called when the run starts and when it ends (the panel pauses that router's poller in between). */
	onRunning?: (running: boolean) => void;
	onClose: () => void;
};

/**
 * `u` on an AW+ router: the release file, a confirmation naming what will happen, the run's progress
 * and its result — the same steps as `kakehashi upgrade`, drawn in the panel.
 */
export function UpgradeDialog({ router, index, service, onRunning, onClose }: Props) {
	const t = useT();
	const [stage, setStage] = useState<Stage>({ kind: 'path' });
	const [path, setPath] = useState('');
	const [run, setRun] = useState<RunView>({ step: 'copy', notes: [] });
	const [now, setNow] = useState(Date.now());
	const preparedRef = useRef<PreparedUpgrade | undefined>(undefined);
	const alive = useRef(true);
	const stageRef = useRef(stage);
	stageRef.current = stage;
	// leaving the dialog before the run closes the connection `prepare` opened; a run goes on to its end
	useEffect(
		() => () => {
			alive.current = false;
			if (stageRef.current.kind !== 'running') preparedRef.current?.cancel();
		},
		[],
	);
	const set = (next: Stage) => {
		if (alive.current) setStage(next);
	};
	useEffect(() => {
		if (stage.kind !== 'running') return;
		const timer = setInterval(() => setNow(Date.now()), 500);
		return () => clearInterval(timer);
	}, [stage.kind]);

	const submitPath = (typed: string) => {
		if (typed.trim() === '') return;
		set({ kind: 'checking' });
		service.inspect(typed.trim()).then(
			(inspection) => {
				if (!inspection.ok) {
					set({ kind: 'path', error: t(`panel.upgrade.bad.${inspection.reason}`, { file: typed.trim() }) });
					return;
				}
				set({ kind: 'reading', release: inspection });
				service.prepare(index, inspection).then(
					(prepared) => {
						preparedRef.current = prepared;
						if (alive.current) set({ kind: 'confirm', prepared });
						else prepared.cancel();
					},
					(error: unknown) => set({ kind: 'failed', message: messageOf(error) }),
				);
			},
			(error: unknown) => set({ kind: 'path', error: messageOf(error) }),
		);
	};

	const started = useRef(false);
	const start = (prepared: PreparedUpgrade) => {
		// keys can come faster than a render: one run only
		if (started.current) return;
		started.current = true;
		set({ kind: 'running', prepared });
		onRunning?.(true);
		prepared
			.run({
				waitSeconds: service.waitSeconds ?? 900,
				// the confirmation screen said the running configuration is saved first
				ask: async () => true,
				onEvent: (event) => {
					if (alive.current) setRun((view) => upgradeRunStep(view, event, t));
				},
			})
			.then(
				(outcome) => set({ kind: 'done', outcome }),
				(error: unknown) => set({ kind: 'failed', message: messageOf(error) }),
			)
			.finally(() => {
				preparedRef.current = undefined;
				onRunning?.(false);
			});
	};

	useInput((input, key) => {
		if (stage.kind === 'path' || stage.kind === 'checking') {
			if (key.escape) onClose();
			return;
		}
		if (stage.kind === 'reading') {
			if (key.escape) onClose();
			return;
		}
		if (stage.kind === 'confirm') {
			if (input === 'y' || input === 'Y') start(stage.prepared);
			else if (key.escape || input === 'n' || input === 'N' || key.return) {
				stage.prepared.cancel();
				preparedRef.current = undefined;
				onClose();
			}
			return;
		}
		if (stage.kind === 'done' || stage.kind === 'failed') {
			if (key.escape || key.return || input === 'q') onClose();
		}
	});

	const name = router.target.name;
	let body: React.ReactNode;
	if (stage.kind === 'path' || stage.kind === 'checking') {
		body = (
			<Box flexDirection="column">
				<Text wrap="wrap">{t('panel.upgrade.pathIntro', { router: name })}</Text>
				<Box>
					<Text bold>{t('panel.upgrade.pathLabel')}: </Text>
					<TextInput
						value={path}
						onChange={(next) => {
							setPath(next);
							if (stage.kind === 'path' && stage.error) set({ kind: 'path' });
						}}
						onSubmit={submitPath}
						focus={stage.kind === 'path'}
					/>
				</Box>
				{stage.kind === 'path' && stage.error ? (
					<Text color="red" wrap="wrap">
						✗ {stage.error}
					</Text>
				) : null}
				{stage.kind === 'checking' ? <Text color="gray">{t('panel.upgrade.checking')}</Text> : null}
				<Text color="gray" wrap="truncate-end">
					{t('panel.upgrade.pathHint')}
				</Text>
			</Box>
		);
	} else if (stage.kind === 'reading') {
		body = (
			<Text color="gray" wrap="wrap">
				{t('panel.upgrade.reading', { router: name, host: `${router.target.host}:${router.target.port}` })}
			</Text>
		);
	} else if (stage.kind === 'confirm') {
		const { prepared } = stage;
		const { release } = prepared;
		body = (
			<Box flexDirection="column">
				<Text bold>{t('panel.upgrade.confirmTitle')}</Text>
				<Text wrap="truncate-end">
					{t('panel.upgrade.confirmRouter', { router: name, host: router.target.host })}
				</Text>
				<Text wrap="truncate-end">
					{t('panel.upgrade.confirmVersion', { version: prepared.previousVersion ?? '?' })}
				</Text>
				<Text wrap="truncate-end">
					{t('panel.upgrade.confirmFile', { file: release.file, size: formatBytes(release.size) })}
				</Text>
				{release.expectedVersion && release.expectedVersion === prepared.previousVersion ? (
					<Text color="yellow" wrap="wrap">
						{t('upgrade.sameVersion', { version: release.expectedVersion })}
					</Text>
				) : null}
				{prepared.unsaved ? (
					<Text color="yellow" wrap="wrap">
						{t('panel.upgrade.confirmUnsaved')}
					</Text>
				) : null}
				<Text color="yellow" wrap="wrap">
					{t('panel.upgrade.confirmReboot', { router: name })}
				</Text>
				<Text bold>{t('panel.upgrade.confirmQuestion')}</Text>
			</Box>
		);
	} else if (stage.kind === 'running') {
		const at = steps.indexOf(run.step);
		const label = (step: Step): string => {
			if (step === 'copy') return `${t('panel.upgrade.step.copy')} ${progressLine(run.copy, now)}`;
			if (step === 'verify') return `${t('panel.upgrade.step.verify')} ${progressLine(run.verify, now)}`;
			if (step === 'wait')
				return `${t('panel.upgrade.step.wait')}${run.waited !== undefined ? ` ${run.waited} s` : ''}`;
			return t(`panel.upgrade.step.${step}`);
		};
		body = (
			<Box flexDirection="column">
				<Text bold wrap="truncate-end">
					{t('panel.upgrade.runningTitle', { router: name, file: stage.prepared.release.file })}
				</Text>
				{steps.map((step, position) => (
					<Text
						key={step}
						wrap="truncate-end"
						color={position < at ? 'green' : position === at ? 'cyan' : 'gray'}
					>
						{position < at ? '✓' : position === at ? '›' : ' '} {label(step)}
					</Text>
				))}
				{run.notes.map((note) => (
					<Text key={note} color="gray" wrap="wrap">
						{note}
					</Text>
				))}
				<Text color="gray" wrap="wrap">
					{t('panel.upgrade.runningHint')}
				</Text>
			</Box>
		);
	} else if (stage.kind === 'done') {
		const { outcome } = stage;
		body = (
			<Box flexDirection="column">
				{outcome.versionOk ? (
					<Text color={outcome.failSafe ? 'yellow' : 'green'} wrap="wrap">
						✓{' '}
						{t('upgrade.done', {
							router: name,
							from: outcome.previousVersion ?? '?',
							to: outcome.version ?? '?',
						})}
					</Text>
				) : (
					<Text color="red" wrap="wrap">
						✗{' '}
						{t('upgrade.versionMismatch', {
							router: name,
							version: outcome.version ?? '?',
							expected: outcome.expectedVersion ?? '?',
							file: outcome.file,
						})}
					</Text>
				)}
				{outcome.failSafe ? (
					<>
						<Text color="red" wrap="wrap">
							✗ {t('finding.appliance.failsafe.message')}
						</Text>
						<Text wrap="wrap">{t('finding.appliance.failsafe.hint')}</Text>
					</>
				) : null}
				<Text color="gray">{t('panel.upgrade.back')}</Text>
			</Box>
		);
	} else {
		body = (
			<Box flexDirection="column">
				<Text color="red" wrap="wrap">
					✗ {stage.message}
				</Text>
				<Text color="gray">{t('panel.upgrade.back')}</Text>
			</Box>
		);
	}
	return (
		<Box flexDirection="column">
			<Text bold underline wrap="truncate-end">
				{t('panel.upgrade.title', { router: name })}
			</Text>
			{body}
		</Box>
	);
}
