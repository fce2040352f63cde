import { Box, Text, useInput } from 'ink';
import SelectInput from 'ink-select-input';
import { useT } from '../i18n-context.js';

export type ChoiceItem<V> = { key: string; label: string; value: V };

type Props<V> = {
	items: ChoiceItem<V>[];
	initialKey?: string;
	onSelect: (item: ChoiceItem<V>) => void;
	onHighlight?: (item: ChoiceItem<V>) => void;
	onBack?: () => void;
	/** Only the focused list reacts to keys (a screen may show two). */
	isFocused?: boolean;
	limit?: number;
};

/** A list to pick one from with the arrow keys; esc goes back. */
export function Choice<V>({
	items,
	initialKey,
	onSelect,
	onHighlight,
	onBack,
	isFocused = true,
	limit = 8,
}: Props<V>) {
	const t = useT();
	useInput(
		(_input, key) => {
			if (key.escape) onBack?.();
		},
		{ isActive: isFocused },
	);
	const initialIndex = Math.max(
		0,
		items.findIndex((item) => item.key === initialKey),
	);
	return (
		<Box flexDirection="column">
			<SelectInput
				items={items}
				initialIndex={initialIndex}
				isFocused={isFocused}
				limit={limit}
				onSelect={(item) => onSelect(item as ChoiceItem<V>)}
				{...(onHighlight ? { onHighlight: (item) => onHighlight(item as ChoiceItem<V>) } : {})}
			/>
			{isFocused ? <Text color="gray">{t('choice.hint')}</Text> : null}
		</Box>
	);
}
