/**
 * Time from `npm start` (client already built) to the first rendered wall in Chromium:
 * server listening, wall page loaded, map drawn with all five kinds. Prints figures.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  process.stdout.write(`Chromium not found at ${executablePath}: startup-to-wall not measured\n`);
  process.exit(0);
}
// Build first if needed, so that the figure is the start of a built install, not a build.
const { spawnSync } = await import('node:child_process');
// With the test hooks: the figure waits on window.__cityops to see the five kinds drawn.
spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit', env: { ...process.env, CITYOPS_TEST_HOOKS: '1' } });
const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const dataDir = mkdtempSync(join(tmpdir(), 'cityops-startup-'));
const t0 = performance.now();
const child = spawn(process.execPath, ['scripts/start.mjs'], { env: { ...process.env, PORT: String(port), JT808_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
const wallUrl = await new Promise<string>((resolve, reject) => {
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); const m = /Wall URL: (\S+)/.exec(out); if (m) resolve(m[1]!.replace('localhost', '127.0.0.1')); });
  child.on('exit', (c) => reject(new Error(`server exited with ${c}`)));
});
const tListening = performance.now();
const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
await page.goto(wallUrl);
await page.waitForFunction(() => {
  const c = window.__cityops?.drawnCounts();
  return c !== undefined && Object.keys(c).length === 5 && Object.values(c).every((n) => n > 0);
}, undefined, { timeout: 120_000, polling: 50 });
const tWall = performance.now();
process.stdout.write(`npm start → server listening with the simulator   ${((tListening - t0) / 1000).toFixed(2)} s\n`);
process.stdout.write(`npm start → first rendered wall (all five kinds)  ${((tWall - t0) / 1000).toFixed(2)} s  (Chromium, software GL)\n`);
await browser.close();
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
rmSync(dataDir, { recursive: true, force: true });
