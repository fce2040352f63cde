import { Box, Text, useInput } from 'ink';
import TextInput from 'ink-text-input';
import { useEffect, useState } from 'react';
import { CLOCK_SKEW_WARNING_MS } from '../../aws/client.js';
import {
	type AccountServices,
	type CallerIdentity,
	type CredentialChoice,
	isAccessKeyIdShape,
} from '../../aws/credentials.js';
import { type AwsErrorDescription, explainAwsError } from '../../aws/errors.js';
import type { MessageKey, Translate } from '../../i18n/index.js';
import { useT } from '../i18n-context.js';
import type { CredentialInfo } from '../services.js';
import { Choice } from './choice.js';

export function credentialLabel(t: Translate, choice: CredentialChoice): string {
	switch (choice.source) {
		case 'profile':
			return t('credentials.source.profile', {
				profile: choice.profile,
				type: t(`credentials.type.${choice.type}` as MessageKey),
			});
		default:
			return t(`credentials.source.${choice.source}` as MessageKey);
	}
}

type Phase =
	| { name: 'loading' }
	| { name: 'choose'; choices: CredentialChoice[] }
	| { name: 'verifying'; choice: CredentialChoice }
	| { name: 'failed'; choice: CredentialChoice; error: AwsErrorDescription; clockSkewMs?: number }
	| { name: 'keyId'; keyId: string; error?: boolean }
	| { name: 'secret'; keyId: string; secret: string }
	| { name: 'save'; identity: CallerIdentity; choice: CredentialChoice; profile: string; error?: string }
	| {
			name: 'verified';
			info: CredentialInfo;
			clockSkewMs?: number;
			saved?: { profile: string; file: string };
	  };

type Props = {
	account: AccountServices;
	/** Already verified earlier in this wizard (the user came back to this step). */
	verified?: CredentialInfo;
	onVerified: (info: CredentialInfo | undefined) => void;
};

const typeKeys = 'type-keys';

/**
 * The API keys step (install-guide section 0): what the machine already has first (environment,
 * profiles incl. SSO and process, the default chain with the instance role), typed keys as the
 * fallback with the secret masked; each choice verified with STS GetCallerIdentity, showing the
 * account and identity, and this machine's clock skew when it matters.
 */
export function CredentialsStep({ account, verified, onVerified }: Props) {
	const t = useT();
	const [phase, setPhase] = useState<Phase>(
		verified ? { name: 'verified', info: verified } : { name: 'loading' },
	);

	const verify = (choice: CredentialChoice) => {
		setPhase({ name: 'verifying', choice });
		account
			.verify(choice)
			.then((result) => {
				if (!result.ok) {
					setPhase({
						name: 'failed',
						choice,
						error: result.error,
						...(result.clockSkewMs !== undefined ? { clockSkewMs: result.clockSkewMs } : {}),
					});
					return;
				}
				if (choice.source === 'typed') {
					setPhase({ name: 'save', identity: result.identity, choice, profile: '' });
					return;
				}
				finish(choice, result.identity);
			})
			.catch((error: Error) =>
				setPhase({ name: 'failed', choice, error: { code: error.name, message: error.message } }),
			);
	};

	const finish = (
		choice: CredentialChoice,
		identity: CallerIdentity,
		saved?: { profile: string; file: string },
	) => {
		const info: CredentialInfo = {
			source: credentialLabel(t, choice),
			account: identity.account,
			identity: identity.arn,
		};
		setPhase({
			name: 'verified',
			info,
			...(identity.clockSkewMs !== undefined ? { clockSkewMs: identity.clockSkewMs } : {}),
			...(saved ? { saved } : {}),
		});
		onVerified(info);
	};

	// biome-ignore lint/correctness/useExhaustiveDependencies: load once each time the step returns to loading
	useEffect(() => {
		if (phase.name !== 'loading') return;
		account
			.choices()
			.then((choices) => {
				const only = choices[0];
				if (account.sandbox && only) verify(only);
				else setPhase({ name: 'choose', choices });
			})
			.catch(() => setPhase({ name: 'choose', choices: [{ source: 'chain' }] }));
	}, [phase.name]);

	useInput((_input, key) => {
		if (phase.name === 'failed' && key.return) {
			setPhase({ name: 'loading' });
			return;
		}
		if (!key.escape || account.sandbox) return;
		if (
			phase.name === 'verified' ||
			phase.name === 'failed' ||
			phase.name === 'keyId' ||
			phase.name === 'secret'
		) {
			onVerified(undefined);
			setPhase({ name: 'loading' });
		}
	});

	if (phase.name === 'loading') return <Text>…</Text>;
	if (phase.name === 'choose') {
		return (
			<Box flexDirection="column">
				<Text bold>{t('credentials.choose')}</Text>
				<Choice
					items={[
						...phase.choices.map((choice, index) => ({
							key: `${index}`,
							label: credentialLabel(t, choice),
							value: choice as CredentialChoice | typeof typeKeys,
						})),
						{ key: typeKeys, label: t('credentials.typeKeys'), value: typeKeys },
					]}
					onSelect={(item) => {
						if (item.value === typeKeys) setPhase({ name: 'keyId', keyId: '' });
						else verify(item.value);
					}}
				/>
			</Box>
		);
	}
	if (phase.name === 'verifying') {
		return (
			<Box flexDirection="column">
				<Text>{credentialLabel(t, phase.choice)}</Text>
				<Text color="gray">{t('credentials.verifying')}</Text>
			</Box>
		);
	}
	if (phase.name === 'failed') {
		const explanation = explainAwsError(
			phase.error,
			phase.clockSkewMs !== undefined ? { clockSkewMs: phase.clockSkewMs } : {},
		);
		return (
			<Box flexDirection="column">
				<Text>{credentialLabel(t, phase.choice)}</Text>
				<Text color="red" wrap="wrap">
					✗{' '}
					{t('credentials.failed', {
						code: phase.error.code,
						hint: explanation
							? t(`awsError.${explanation.key}` as MessageKey, explanation.vars)
							: phase.error.message,
					})}
				</Text>
				{phase.error.requestId ? (
					<Text color="gray">{t('flow.error.requestId', { requestId: phase.error.requestId })}</Text>
				) : null}
				<Text color="gray">{t('credentials.continue')}</Text>
			</Box>
		);
	}
	if (phase.name === 'keyId') {
		return (
			<Box flexDirection="column">
				<Box>
					<Text bold>{t('credentials.accessKeyId')}: </Text>
					<TextInput
						value={phase.keyId}
						onChange={(keyId) => setPhase({ name: 'keyId', keyId })}
						onSubmit={(keyId) => {
							if (!isAccessKeyIdShape(keyId)) setPhase({ name: 'keyId', keyId, error: true });
							else setPhase({ name: 'secret', keyId: keyId.trim(), secret: '' });
						}}
					/>
				</Box>
				{phase.error ? <Text color="red">✗ {t('credentials.keyIdSyntax')}</Text> : null}
			</Box>
		);
	}
	if (phase.name === 'secret') {
		return (
			<Box>
				<Text bold>{t('credentials.secretAccessKey')}: </Text>
				<TextInput
					value={phase.secret}
					mask="*"
					onChange={(secret) => setPhase({ ...phase, secret })}
					onSubmit={(secret) => {
						if (secret.trim() === '') return;
						verify({ source: 'typed', accessKeyId: phase.keyId, secretAccessKey: secret.trim() });
					}}
				/>
			</Box>
		);
	}
	if (phase.name === 'save') {
		const choice = phase.choice;
		return (
			<Box flexDirection="column">
				<Text color="green">
					✔ {t('credentials.verified', { account: phase.identity.account, arn: phase.identity.arn })}
				</Text>
				<Text wrap="wrap">{t('credentials.saveProfile')}</Text>
				<TextInput
					value={phase.profile}
					onChange={(profile) => setPhase({ ...phase, profile })}
					onSubmit={(profile) => {
						const name = profile.trim();
						if (name === '' || choice.source !== 'typed') {
							finish(choice, phase.identity);
							return;
						}
						account
							.saveProfile(name, { accessKeyId: choice.accessKeyId, secretAccessKey: choice.secretAccessKey })
							.then((file) => finish(choice, phase.identity, { profile: name, file }))
							.catch((error: Error) => setPhase({ ...phase, error: error.message }));
					}}
				/>
				{phase.error ? <Text color="red">✗ {phase.error}</Text> : null}
			</Box>
		);
	}
	const skew = phase.clockSkewMs;
	return (
		<Box flexDirection="column">
			<Text color="green">
				{account.sandbox
					? t('wizard.credentials.sandbox')
					: t('wizard.credentials.found', { source: phase.info.source })}
			</Text>
			{phase.info.account ? (
				<Text color="green">
					✔ {t('credentials.verified', { account: phase.info.account, arn: phase.info.identity ?? '?' })}
				</Text>
			) : null}
			{phase.saved ? <Text color="green">{t('credentials.saved', phase.saved)}</Text> : null}
			{skew !== undefined && Math.abs(skew) >= CLOCK_SKEW_WARNING_MS ? (
				<Text color="yellow" wrap="wrap">
					!{' '}
					{t('flow.note.clockSkew', {
						seconds: Math.round(Math.abs(skew) / 1000),
						direction: t(skew < 0 ? 'flow.clock.ahead' : 'flow.clock.behind'),
					})}
				</Text>
			) : null}
			<Text color="gray">{account.sandbox ? t('wizard.inputHint') : t('credentials.continue')}</Text>
		</Box>
	);
}
