import { Box, Text, useApp, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import { useEffect, useMemo, useState } from 'react';
import type { AccountServices } from '../aws/credentials.js';
import { type Answers, AnswersError, type FlowName, flowNames, parseAnswers } from '../flow/answers.js';
import { hasErrors, validateAnswers } from '../flow/validate.js';
import {
	answerText,
	assembleAnswers,
	type Draft,
	type RuleContext,
	setAnswer,
	validateQuestion,
	type WizardFlow,
} from '../flow/wizard-flow.js';
import type { MessageKey, Translate } from '../i18n/index.js';
import type { RouterPoller } from '../monitor/poller.js';
import { AmiSelect } from './components/ami-select.js';
import { AnswerInput } from './components/answer-input.js';
import { type ApplyLine, ApplyLog } from './components/apply-log.js';
import { CredentialsStep } from './components/credentials-step.js';
import { MachineImageStep } from './components/machine-image-step.js';
import { Panel } from './components/panel.js';
import { PlanTable } from './components/plan-table.js';
import { RegionSelect } from './components/region-select.js';
import { StepList } from './components/step-list.js';
import { TenantStep } from './components/tenant-step.js';
import { useColumns } from './hooks/use-columns.js';
import { useNow } from './hooks/use-now.js';
import { usePollers } from './hooks/use-pollers.js';
import { useT } from './i18n-context.js';
import type { CredentialInfo, PlanChange, WizardServices } from './services.js';

type Phase =
	| { name: 'flow' }
	| { name: 'steps'; step: number; question: number }
	| { name: 'plan'; changes?: PlanChange[]; error?: string }
	| { name: 'apply'; done: boolean; failed: boolean }
	| { name: 'panel'; pollers?: RouterPoller[]; error?: string };

type Props = {
	services: WizardServices;
	loadFlow: (flow: FlowName) => WizardFlow;
	/** Skip the flow chooser (e.g. `kakehashi --flow single-appliance`). */
	initialFlow?: FlowName;
};

/**
 * Services the wizard command adds beyond the core boundary: AWS account steps, and this machine's
 * public address for the SSH question's /32 offer (undefined against a sandbox or other endpoint).
 */
type ExtraServices = { account?: AccountServices; adminAddress?: () => Promise<string | undefined> };

/**
 * Fixed parts of the answers the flow files do not ask: the answers-file defaults. Single modes have
 * one peer (the site router, or the customer gateway); multi-tenant starts with no tenant, and the
 * services' `tenants` defaults (the sandbox's tenant routers) only prefill the tenant questions.
 */
export function initialDraft(flow: FlowName, defaults: Draft = {}): Draft {
	const { tenants: _tenants, ...rest } = defaults;
	if (flow === 'multi-tenant') {
		const { peers: _peers, ...shared } = rest;
		return { ...shared, flow, peers: [] };
	}
	return { peers: [{ name: 'site', router: { vendor: 'awplus', wanInterface: 'ppp0' } }], ...rest, flow };
}

/** The draft through the same gate as an answers file: parseAnswers, then validateAnswers (mode rules included). */
export function toAnswers(draft: Draft, t: Translate): { answers?: Answers; error?: string } {
	const worded = (issues: { path: string; rule: string; vars?: Record<string, string | number> }[]) =>
		issues
			.map((issue) => t(`rule.${issue.rule}` as MessageKey, { path: issue.path, ...issue.vars }))
			.join('\n');
	try {
		const answers = parseAnswers(assembleAnswers(draft), 'wizard');
		const issues = validateAnswers(answers).filter((issue) => issue.severity === 'error');
		if (hasErrors(issues)) return { error: worded(issues) };
		return { answers };
	} catch (error) {
		if (error instanceof AnswersError) return { error: worded(error.issues) };
		throw error;
	}
}

export function App({ services, loadFlow, initialFlow }: Props) {
	const t = useT();
	const { exit } = useApp();
	const [flow, setFlow] = useState<WizardFlow | undefined>(() =>
		initialFlow ? loadFlow(initialFlow) : undefined,
	);
	const [phase, setPhase] = useState<Phase>(
		initialFlow ? { name: 'steps', step: 0, question: 0 } : { name: 'flow' },
	);
	const [draft, setDraft] = useState<Draft>(() =>
		initialDraft(initialFlow ?? 'single-appliance', initialFlow ? services.defaults : {}),
	);
	const [credentials, setCredentials] = useState<CredentialInfo | { error: string } | undefined>();
	const [applyLines, setApplyLines] = useState<ApplyLine[]>([]);
	const now = useNow(250);
	const columns = useColumns();

	const steps = flow?.steps ?? [];
	const listItems = useMemo(
		() => [
			...steps.map((step) => ({ id: step.id, title: step.title })),
			{ id: 'plan', title: 'wizard.step.plan' as MessageKey },
			{ id: 'apply', title: 'wizard.step.apply' as MessageKey },
			{ id: 'monitor', title: 'wizard.step.monitor' as MessageKey },
		],
		[steps],
	);
	const listIndex =
		phase.name === 'steps'
			? phase.step
			: phase.name === 'plan'
				? steps.length
				: phase.name === 'apply'
					? steps.length + 1
					: steps.length + 2;

	const currentStep = phase.name === 'steps' ? steps[phase.step] : undefined;

	// the credentials and region steps over AWS itself, when the wizard command provides them
	const { account, adminAddress: findAdminAddress } = services as WizardServices & ExtraServices;
	const [adminAddress, setAdminAddress] = useState<string | undefined>();
	const currentQuestion = phase.name === 'steps' ? currentStep?.questions[phase.question] : undefined;
	// the SSH question's 0.0.0.0/0 warning offers this machine's address as a /32 (as plan and apply do)
	const wantsAdminAddress = currentQuestion?.validate === 'sshSources';
	useEffect(() => {
		if (!wantsAdminAddress || !findAdminAddress || adminAddress) return;
		let live = true;
		findAdminAddress()
			.then((found) => {
				if (live && found) setAdminAddress(found);
			})
			.catch(() => {});
		return () => {
			live = false;
		};
	}, [wantsAdminAddress, findAdminAddress, adminAddress]);
	const ruleContext: RuleContext = adminAddress ? { adminAddress } : {};
	useEffect(() => {
		if (currentStep?.id !== 'credentials' || credentials || account) return;
		services
			.describeCredentials()
			.then(setCredentials)
			.catch((error: Error) => setCredentials({ error: error.message }));
	}, [currentStep?.id, credentials, services, account]);

	const answers = useMemo(() => toAnswers(draft, t), [draft, t]);

	// plan when entering the plan phase
	useEffect(() => {
		if (phase.name !== 'plan' || phase.changes || phase.error) return;
		if (!answers.answers) {
			setPhase({ name: 'plan', error: answers.error });
			return;
		}
		services
			.plan(answers.answers)
			.then((changes) => setPhase({ name: 'plan', changes }))
			.catch((error: Error) => setPhase({ name: 'plan', error: error.message }));
	}, [phase, answers, services]);

	const startApply = () => {
		if (!answers.answers) return;
		setApplyLines([]);
		setPhase({ name: 'apply', done: false, failed: false });
		services
			.apply(answers.answers, (event) => {
				const at = Date.now();
				setApplyLines((lines) => {
					// waits update the running line's spinner; they are not lines of their own
					if (event.type === 'wait') return lines;
					if (event.type === 'step-done' || event.type === 'step-skip') {
						const index = lines.findLastIndex(
							(line) => line.type === 'step-start' && line.kind === event.kind,
						);
						if (index >= 0) {
							const started = lines[index];
							return lines.map((line, at2) =>
								at2 === index ? { ...event, startedAt: started?.startedAt ?? at, finishedAt: at } : line,
							);
						}
					}
					if (event.type === 'error') {
						const cleared = lines.filter((line) => !(line.type === 'step-start' && line.kind === event.kind));
						return [...cleared, { ...event, startedAt: at, finishedAt: at }];
					}
					return [
						...lines,
						{ ...event, startedAt: at, finishedAt: event.type === 'step-start' ? undefined : at },
					];
				});
			})
			.then(() => setPhase({ name: 'apply', done: true, failed: false }))
			.catch((error: Error) => {
				setApplyLines((lines) =>
					lines.some((line) => line.type === 'error')
						? lines
						: [
								...lines,
								{
									type: 'error',
									kind: 'instance',
									name: '',
									error: { code: error.name, message: error.message },
									startedAt: Date.now(),
								},
							],
				);
				setPhase({ name: 'apply', done: true, failed: true });
			});
	};

	// open the monitor when entering the panel phase
	useEffect(() => {
		if (phase.name !== 'panel' || phase.pollers || phase.error) return;
		services
			.openMonitor()
			.then((pollers) => setPhase({ name: 'panel', pollers }))
			.catch((error: Error) => setPhase({ name: 'panel', error: error.message }));
	}, [phase, services]);

	useEffect(
		() => () => {
			if (phase.name === 'panel') for (const poller of phase.pollers ?? []) poller.stop();
		},
		[phase],
	);

	const nextQuestion = (step: number, question: number) => {
		const current = steps[step];
		if (current && question + 1 < current.questions.length)
			setPhase({ name: 'steps', step, question: question + 1 });
		else if (step + 1 < steps.length) setPhase({ name: 'steps', step: step + 1, question: 0 });
		else setPhase({ name: 'plan' });
	};

	const previousQuestion = (step: number, question: number) => {
		if (question > 0) setPhase({ name: 'steps', step, question: question - 1 });
		else if (step > 0) {
			const previous = steps[step - 1];
			setPhase({
				name: 'steps',
				step: step - 1,
				question: Math.max(0, (previous?.questions.length ?? 1) - 1),
			});
		}
	};

	useInput((input, key) => {
		if (
			phase.name === 'steps' &&
			currentStep &&
			currentStep.questions.length === 0 &&
			!currentStep.tenants &&
			currentStep.id !== 'image'
		) {
			if (key.return) {
				if (currentStep.id === 'credentials' && (!credentials || 'error' in credentials)) return;
				nextQuestion(phase.step, 0);
			} else if (key.escape) previousQuestion(phase.step, 0);
		} else if (phase.name === 'plan') {
			if (key.return && phase.changes) startApply();
			else if (input === 'q') exit();
			else if (key.escape) setPhase({ name: 'steps', step: Math.max(0, steps.length - 1), question: 0 });
		} else if (phase.name === 'apply' && phase.done) {
			if (!phase.failed && key.return) setPhase({ name: 'panel' });
			else if (phase.failed && input === 'r') startApply();
			else if (phase.failed && input === 'q') exit();
		}
	});

	const pollerStates = usePollers(phase.name === 'panel' ? (phase.pollers ?? emptyPollers) : emptyPollers);

	if (phase.name === 'panel' && phase.pollers) {
		return (
			<Panel
				routers={pollerStates}
				onPollNow={(index) => phase.pollers?.[index]?.pollNow()}
				onPause={(index, paused) => phase.pollers?.[index]?.setPaused(paused)}
				onQuit={() => {
					for (const poller of phase.pollers ?? []) poller.stop();
					exit();
				}}
			/>
		);
	}

	return (
		<Box flexDirection="column" width={columns}>
			<Box>
				<Text bold color="cyan">
					{t('wizard.title')}
				</Text>
				{services.sandbox ? <Text color="magenta"> [{t('wizard.sandboxBadge')}]</Text> : null}
			</Box>
			{phase.name === 'flow' ? (
				<Box flexDirection="column" marginTop={1}>
					<Text bold>{t('wizard.chooseFlow')}</Text>
					<SelectInput
						items={flowNames.map((name) => ({ label: t(`wizard.flow.${name}` as MessageKey), value: name }))}
						onSelect={(item) => {
							setFlow(loadFlow(item.value));
							setDraft(initialDraft(item.value, services.defaults));
							setPhase({ name: 'steps', step: 0, question: 0 });
						}}
					/>
				</Box>
			) : (
				<Box marginTop={1}>
					<StepList steps={listItems} current={listIndex} />
					<Box flexDirection="column" flexGrow={1}>
						{currentStep && phase.name === 'steps' ? (
							<>
								<Text bold>{t(currentStep.title)}</Text>
								<Text wrap="wrap" color="gray">
									{t(currentStep.help)}
								</Text>
								<Box marginTop={1} flexDirection="column">
									{currentStep.id === 'credentials' && account ? (
										<CredentialsStep
											account={account}
											{...(credentials && !('error' in credentials) ? { verified: credentials } : {})}
											onVerified={setCredentials}
										/>
									) : currentStep.id === 'credentials' ? (
										<Text color={credentials && 'error' in credentials ? 'red' : 'green'}>
											{credentials === undefined
												? '…'
												: 'error' in credentials
													? credentials.error
													: services.sandbox
														? t('wizard.credentials.sandbox')
														: t('wizard.credentials.found', { source: credentials.source })}
										</Text>
									) : null}
									{currentStep.id === 'image' ? (
										<MachineImageStep
											key={`image:${String(draft.region ?? '')}`}
											services={services}
											region={String(draft.region ?? services.defaults.region ?? 'ap-northeast-1')}
											stack={String(draft.name ?? 'amf-cloud')}
											onDone={(imageId) => {
												setDraft((previous) => ({
													...previous,
													instance: { ...(previous.instance as object | undefined), ami: imageId },
												}));
												nextQuestion(phase.step, 0);
											}}
											onSkip={() => nextQuestion(phase.step, 0)}
											onBack={() => previousQuestion(phase.step, 0)}
										/>
									) : currentStep.tenants ? (
										<TenantStep
											questions={currentStep.tenants.questions}
											min={currentStep.tenants.min}
											draft={draft}
											{...(Array.isArray(services.defaults.tenants)
												? { defaults: { peers: services.defaults.tenants } }
												: {})}
											context={ruleContext}
											onChange={setDraft}
											onDone={() => nextQuestion(phase.step, 0)}
											onBack={() => previousQuestion(phase.step, 0)}
										/>
									) : currentStep.questions.length === 0 ? (
										<Text color="gray">{t('wizard.inputHint')}</Text>
									) : (
										(() => {
											const question = currentStep.questions[phase.question];
											if (!question) return null;
											const initial =
												answerText(draft, question) ??
												answerText(services.defaults, question) ??
												question.default ??
												'';
											return (
												<>
													{currentStep.questions.slice(0, phase.question).map((done) => (
														<Text key={done.field} color="green">
															✔ {t(done.label)}: {answerText(draft, done)}
														</Text>
													))}
													{question.field === 'region' && account ? (
														<RegionSelect
															key={`${phase.step}:${phase.question}`}
															account={account}
															label={question.label}
															initial={initial}
															{...(typeof (draft.subnet as { availabilityZone?: unknown } | undefined)
																?.availabilityZone === 'string'
																? {
																		initialZone: (draft.subnet as { availabilityZone: string })
																			.availabilityZone,
																	}
																: {})}
															validate={(value) => validateQuestion(question, value, draft, ruleContext)}
															onSubmit={(value, zone) => {
																setDraft((previous) => {
																	const next = setAnswer(previous, question, value);
																	const subnet = { ...(next.subnet as object | undefined) } as Record<
																		string,
																		unknown
																	>;
																	if (zone) subnet.availabilityZone = zone;
																	else delete subnet.availabilityZone;
																	return { ...next, subnet };
																});
																nextQuestion(phase.step, phase.question);
															}}
															onBack={() => previousQuestion(phase.step, phase.question)}
														/>
													) : question.field === 'instance.ami' ? (
														<AmiSelect
															key={`${phase.step}:${phase.question}`}
															services={services}
															region={String(draft.region ?? 'ap-northeast-1')}
															question={question}
															initial={answerText(draft, question) ?? ''}
															validate={(value) => validateQuestion(question, value, draft, ruleContext)}
															onSubmit={(value) => {
																setDraft((previous) => setAnswer(previous, question, value));
																nextQuestion(phase.step, phase.question);
															}}
															onBack={() => previousQuestion(phase.step, phase.question)}
														/>
													) : (
														<AnswerInput
															key={`${phase.step}:${phase.question}:${adminAddress ?? ''}`}
															question={question}
															initial={initial}
															validate={(value) => validateQuestion(question, value, draft, ruleContext)}
															onSubmit={(value) => {
																setDraft((previous) => setAnswer(previous, question, value));
																nextQuestion(phase.step, phase.question);
															}}
															onBack={() => previousQuestion(phase.step, phase.question)}
														/>
													)}
													<Text color="gray">{t('wizard.inputHint')}</Text>
												</>
											);
										})()
									)}
								</Box>
							</>
						) : null}
						{phase.name === 'plan' ? (
							<>
								<Text bold>{t('plan.title')}</Text>
								<Text color="gray">{t('wizard.help.plan')}</Text>
								{phase.error ? <Text color="red">{phase.error}</Text> : null}
								{phase.changes ? (
									<>
										<PlanTable changes={phase.changes} />
										<Text color="gray">{t('wizard.planConfirm')}</Text>
									</>
								) : phase.error ? null : (
									<Text>…</Text>
								)}
							</>
						) : null}
						{phase.name === 'apply' ? (
							<>
								<Text bold>{phase.done ? t('apply.title') : t('wizard.applying')}</Text>
								<ApplyLog lines={applyLines} now={now} />
								{phase.done ? (
									<Text color={phase.failed ? 'red' : 'green'}>
										{phase.failed ? t('wizard.applyFailed') : t('wizard.applyDone')}
									</Text>
								) : null}
							</>
						) : null}
						{phase.name === 'panel' ? (
							<Text color={phase.error ? 'red' : undefined}>{phase.error ?? '…'}</Text>
						) : null}
					</Box>
				</Box>
			)}
		</Box>
	);
}

const emptyPollers: RouterPoller[] = [];
