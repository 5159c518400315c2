/**
 * The production client carries no test hooks: a Vite build as `npm start` makes it (no
 * CITYOPS_TEST_HOOKS) into a temp directory, then every emitted script is searched for the
 * hooks' global and the names only the hooks' module has.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('production bundle', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'cityops-prod-bundle-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('does not contain window.__cityops or the hooks module', () => {
    const env = { ...process.env };
    delete env.CITYOPS_TEST_HOOKS;
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error', '--outDir', out, '--emptyOutDir'], { cwd: ROOT, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const scripts = readdirSync(path.join(out, 'assets')).filter((f) => /\.m?js$/.test(f));
    expect(scripts.length).toBeGreaterThan(3);
    const found = scripts.filter((f) => /__cityops|drawnCaseIds|installTestHooks/.test(readFileSync(path.join(out, 'assets', f), 'utf8')));
    expect(found).toEqual([]);
    // The wall itself is in the bundle: the search looked at the right files.
    expect(scripts.some((f) => readFileSync(path.join(out, 'assets', f), 'utf8').includes('live-selection'))).toBe(true);
  }, 240_000);
});
