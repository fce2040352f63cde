import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { AnswerIssue } from '../../flow/answers.js';
import type { WizardQuestion } from '../../flow/wizard-flow.js';
import { useT } from '../i18n-context.js';
import type { OwnImageInfo, WizardServices } from '../services.js';
import { Choice, type ChoiceItem } from './choice.js';
import { Question } from './question.js';

/**
 * The instance step's AMI ("my AMIs", install guide section 3): the account's own images by name,
 * newest first, with id and creation date; the one already answered (e.g. just imported) preselected.
 * The first entry leaves `instance.ami` out (the newest own vaa* image, chosen at apply). Without
 * images (or when they cannot be listed) the AMI is typed: an id or a name, or empty.
 */

/** The list's entries (pure): automatic, then the images; an answered value not among them is kept. */
export function amiChoices(
	images: readonly OwnImageInfo[],
	current: string,
	autoLabel: string,
): ChoiceItem<string>[] {
	const items: ChoiceItem<string>[] = [
		{ key: '', label: autoLabel, value: '' },
		...images.map((image) => ({
			key: image.imageId,
			label: `${image.name}  ${image.imageId}  ${image.creationDate.slice(0, 10)}`,
			value: image.imageId,
		})),
	];
	if (current && !items.some((item) => item.key === current))
		items.push({ key: current, label: current, value: current });
	return items;
}

type Props = {
	services: Pick<WizardServices, 'ownImages'>;
	region: string;
	question: WizardQuestion;
	initial: string;
	validate: (value: string) => AnswerIssue[];
	onSubmit: (value: string) => void;
	onBack: () => void;
};

export function AmiSelect({ services, region, question, initial, validate, onSubmit, onBack }: Props) {
	const t = useT();
	const [images, setImages] = useState<OwnImageInfo[] | { error: string } | undefined>();
	useEffect(() => {
		let live = true;
		services
			.ownImages(region)
			.then((found) => live && setImages(found))
			.catch((failure: Error) => live && setImages({ error: failure.message }));
		return () => {
			live = false;
		};
	}, [services, region]);

	if (images === undefined) return <Text color="gray">{t('wizard.ami.loading')}</Text>;
	if (!Array.isArray(images) || images.length === 0) {
		return (
			<Box flexDirection="column">
				<Text color="gray" wrap="wrap">
					{Array.isArray(images)
						? t('wizard.ami.none', { region })
						: t('wizard.ami.error', { message: images.error })}
				</Text>
				<Question
					label={question.label}
					initial={initial}
					validate={validate}
					onSubmit={onSubmit}
					onBack={onBack}
				/>
			</Box>
		);
	}
	return (
		<Box flexDirection="column">
			<Text bold>{t(question.label)}:</Text>
			<Choice
				items={amiChoices(images, initial, t('wizard.ami.auto'))}
				initialKey={initial}
				onSelect={(item) => onSubmit(item.value)}
				onBack={onBack}
			/>
		</Box>
	);
}
