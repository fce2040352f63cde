/**
 * `npm run bench`: every benchmark in this folder, one after the other, each in its own process so
 * that one's memory and JIT state do not colour the next. Benchmarks print their own tables.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
	.filter((file) => file.endsWith('.ts') && file !== 'run.ts')
	.filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
	.sort();

let failed = 0;
for (const bench of benches) {
	process.stdout.write(`\n== ${bench} ==\n`);
	const result = await execa(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, bench)], {
		stdio: 'inherit',
		reject: false,
	});
	if (result.exitCode !== 0) failed += 1;
}
process.exitCode = failed > 0 ? 1 : 0;
