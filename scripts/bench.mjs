// `npm run bench`: every benchmark under tests/bench/, one after another; each prints its figures.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

// `npm run bench -- live-codec bundle-size` runs only the benchmarks whose names contain one of the words.
const only = process.argv.slice(2);
const files = readdirSync('tests/bench').filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((w) => f.includes(w)))).sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f} ===\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `tests/bench/${f}`], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
