import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { AccountServices } from '../../aws/credentials.js';
import type { AnswerIssue } from '../../flow/answers.js';
import type { MessageKey } from '../../i18n/index.js';
import { useT } from '../i18n-context.js';
import { Choice } from './choice.js';
import { Question } from './question.js';

type Props = {
	account: AccountServices;
	label: MessageKey;
	initial: string;
	initialZone?: string;
	/** For the typed fallback when the regions cannot be listed. */
	validate: (value: string) => AnswerIssue[];
	onSubmit: (region: string, zone: string | undefined) => void;
	onBack?: () => void;
};

type Zones = { region: string; names: string[] } | undefined;

/**
 * The region from DescribeRegions (Tokyo first for Japanese users), and optionally an availability
 * zone from DescribeAvailabilityZones (z): AWS picks one when none is chosen. When the regions
 * cannot be listed, the region is typed instead.
 */
export function RegionSelect({ account, label, initial, initialZone, validate, onSubmit, onBack }: Props) {
	const t = useT();
	const [regions, setRegions] = useState<string[] | { error: string } | undefined>();
	const [highlighted, setHighlighted] = useState(initial);
	const [zone, setZone] = useState<string | undefined>(initialZone);
	const [zones, setZones] = useState<Zones>();
	const [choosingZone, setChoosingZone] = useState(false);

	useEffect(() => {
		account
			.regions()
			.then((found) => setRegions(found.map((region) => region.name)))
			.catch((error: Error) => setRegions({ error: error.message }));
	}, [account]);

	useInput(
		(input) => {
			if (input !== 'z') return;
			account
				.selectRegion(highlighted)
				.then((found) => {
					setZones({ region: highlighted, names: found.map((item) => item.name) });
					setChoosingZone(true);
				})
				.catch(() => setChoosingZone(false));
		},
		{ isActive: Array.isArray(regions) && !choosingZone },
	);

	if (regions === undefined) return <Text color="gray">{t('region.loading')}</Text>;
	if (!Array.isArray(regions) || regions.length === 0) {
		return (
			<Box flexDirection="column">
				<Text color="yellow">
					{t('region.failed', { message: Array.isArray(regions) ? '-' : regions.error })}
				</Text>
				<Question
					label={label}
					initial={initial}
					validate={validate}
					onSubmit={(value) => onSubmit(value, undefined)}
					{...(onBack ? { onBack } : {})}
				/>
			</Box>
		);
	}
	const zoneOfRegion =
		zone && zones?.region === highlighted ? zone : zone?.startsWith(highlighted) ? zone : undefined;
	return (
		<Box flexDirection="column">
			<Text>
				<Text bold>{t(label)}: </Text>
				{highlighted}
			</Text>
			<Text>
				<Text bold>{t('region.zone')}: </Text>
				{zoneOfRegion ?? t('region.anyZone')}
				<Text color="gray"> (z)</Text>
			</Text>
			{choosingZone && zones ? (
				<Choice
					items={[
						{ key: '', label: t('region.anyZone'), value: '' },
						...zones.names.map((name) => ({ key: name, label: name, value: name })),
					]}
					initialKey={zoneOfRegion ?? ''}
					onSelect={(item) => {
						setZone(item.value || undefined);
						setChoosingZone(false);
					}}
					onBack={() => setChoosingZone(false)}
				/>
			) : (
				<Choice
					items={regions.map((name) => ({ key: name, label: name, value: name }))}
					initialKey={highlighted}
					onHighlight={(item) => setHighlighted(item.value)}
					onSelect={(item) => {
						void account.selectRegion(item.value).catch(() => {});
						onSubmit(item.value, zoneOfRegion?.startsWith(item.value) ? zoneOfRegion : undefined);
					}}
					{...(onBack ? { onBack } : {})}
				/>
			)}
		</Box>
	);
}
