// Builds what `npm start` runs: the client (Vite) into dist/client when it is missing or older than its
// sources, and the server (esbuild, ~50 ms) into dist/server/main.mjs. Used by `npm start`, `npm run build`
// and the browser tests, so none of them runs a stale build.
//   node scripts/build.mjs            build what is stale
//   node scripts/build.mjs --force    rebuild everything
//   CITYOPS_TEST_HOOKS=1 node scripts/build.mjs   a client with the browser tests' window.__cityops hooks
//                                                 (the e2e harness and benchmarks); without it, none
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'dist/client/index.html');
/** What kind of client dist/ holds: a production build must not be served with test hooks, nor the reverse. */
const flagsFile = join(root, 'dist/client/.build-flags.json');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function builtFlags() {
  try {
    return readFileSync(flagsFile, 'utf8');
  } catch {
    return '';
  }
}

export function buildClientIfStale(force = false) {
  const testHooks = process.env.CITYOPS_TEST_HOOKS === '1';
  const flags = JSON.stringify({ testHooks });
  const sources = Math.max(newestMtime(join(root, 'client')), newestMtime(join(root, 'shared')), statSync(join(root, 'vite.config.ts')).mtimeMs);
  if (!force && existsSync(built) && statSync(built).mtimeMs >= sources && builtFlags() === flags) return 0;
  process.stdout.write(`Building the client${testHooks ? ' with test hooks' : ''} (first start, or its sources or build flags changed)…\n`);
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status === 0) writeFileSync(flagsFile, flags);
  return r.status ?? 1;
}

/**
 * The server as one ESM file with its dependencies left to node_modules: node loads it about
 * three times faster than it loads the TypeScript sources through tsx.
 */
export async function buildServer() {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(root, 'server/main.ts')],
    outfile: join(root, 'dist/server/main.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  const status = buildClientIfStale(force);
  if (status !== 0) process.exit(status);
  await buildServer();
}
