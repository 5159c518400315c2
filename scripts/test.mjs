// `npm test`: typecheck, unit and integration tests, then the browser tests where Chromium is installed.
// Without Chromium the browser tests are skipped with a visible notice (in CI they must run: see .ci/run).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1;
const vitest = 'node_modules/vitest/vitest.mjs';

let status = run(['node_modules/vue-tsc/bin/vue-tsc.js', '--noEmit', '-p', 'tsconfig.json']);
if (status !== 0) process.exit(status);
// Vitest's default on a 2-core machine is one file at a time; the integration files mostly wait
// on servers, sockets and timers, so two at once take ~40 % less time there (CI: 700 s → ~400 s).
const workers = Math.max(2, availableParallelism() - 1);
status = run([vitest, 'run', '--project', 'unit', '--project', 'integration', `--maxWorkers=${workers}`]);
if (status !== 0) process.exit(status);

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(chromium) || process.env.CI) {
  status = run([vitest, 'run', '--project', 'e2e']);
} else {
  process.stdout.write(`\n\x1b[33m⚠  Chromium not found at ${chromium}: the browser (e2e) tests were SKIPPED.\n   Install it (Debian: apt-get install -y chromium fonts-noto-cjk) or set CHROMIUM_PATH, then run npm run test:e2e.\x1b[0m\n\n`);
}
process.exit(status);
