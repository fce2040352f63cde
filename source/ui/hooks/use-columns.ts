import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

/**
 * The usable width: one column less than the terminal, so that a line Ink wraps with a trailing
 * space never reaches the last column (the terminal would wrap it again and Ink's redraw would
 * leave a stale line behind). Follows resizes.
 */
export function useColumns(): number {
	const { stdout } = useStdout();
	const [columns, setColumns] = useState(stdout.columns || 80);
	useEffect(() => {
		const onResize = () => setColumns(stdout.columns || 80);
		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);
	return Math.max(40, columns - 1);
}
