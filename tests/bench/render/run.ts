/**
 * `npm run bench:render`: the wall in Chromium at 1920×1080 while 20,000 entities report once
 * per second (the live bench's server and load generator, tests/bench/live/), against the same
 * page with updates paused: the page holds its frames unapplied while the server and the fleet
 * run on, so both phases share the machine alike (and, for reference, a third phase with the
 * fleet paused too, which frees the CPU the server and the generator took from the software GL).
 * Per phase: frames per second the page's requestAnimationFrame loop got, and main-thread
 * busy time (CDP Performance.TaskDuration) per live tick. Prints a table; asserts nothing.
 *
 * Env: BENCH_ENTITIES (20000), BENCH_RENDER_S (15 per phase), CHROMIUM_PATH (/usr/bin/chromium),
 * BENCH_RENDER_SHOT (a path: a screenshot of the wall before measuring), BENCH_RENDER_PROFILE (a
 * path: the page's main-thread CPU profile of the moving phase, for DevTools, and its 25 costliest
 * functions printed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import type { Timetable } from '../live/fleet.ts';
import type { LoadPlan } from '../live/load.ts';
import type { BenchServerReady } from '../live/product-server.ts';
import { sleep, start, stop } from '../live/procs.ts';
import { costliest } from '../lib/cpu-profile.ts';

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 20_000);
const PHASE_S = Number(process.env.BENCH_RENDER_S ?? 15);
const TICK_MS = 1000;
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const log = (s: string) => process.stderr.write(`${s}\n`);

if (!existsSync(executablePath)) {
  console.log(`Chromium not found at ${executablePath}: render not measured`);
  process.exit(0);
}
// The test hooks tell when the 20,000 entities are on the map (client/map/test-hooks.ts).
const built = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit', env: { ...process.env, CITYOPS_TEST_HOOKS: '1' } });
if (built.status !== 0) throw new Error('client build failed');

/**
 * Entities with a position the wall holds (client/realtime/live-test-hooks.ts); -1 before the map
 * is up. At district zoom a fleet of thousands is handed to the map thinned (client/map/marker-budget.ts):
 * FED counts what the map's sources got.
 */
const RENDERED = `(() => window.__cityops ? (window.__cityopsLive?.held().withPosition ?? -1) : -1)()`;
const FED = `(() => { const c = window.__cityops?.renderedCounts(); return c ? Object.values(c).reduce((a, b) => a + b, 0) : -1; })()`;

interface Phase { fps: number; mainThreadMsPerTick: number; rendered: number; fed: number }

/** Frames the page's animation loop got, and main-thread task time, over `seconds`. */
async function measure(page: Page, cdp: CDPSession, seconds: number): Promise<Phase> {
  const taskSeconds = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
  };
  const before = await taskSeconds();
  // A string, not a function: tsx's helpers (__name) do not exist in the page.
  const frames = await page.evaluate<number>(`new Promise((done) => {
    let n = 0;
    const end = performance.now() + ${seconds * 1000};
    const frame = (now) => { n++; if (now < end) requestAnimationFrame(frame); else done(n); };
    requestAnimationFrame(frame);
  })`);
  const after = await taskSeconds();
  const rendered = await page.evaluate<number>(RENDERED);
  const fed = await page.evaluate<number>(FED);
  return { fps: frames / seconds, mainThreadMsPerTick: ((after - before) * 1000) / (seconds * 1000 / TICK_MS), rendered, fed };
}

const dataDir = mkdtempSync(join(tmpdir(), 'cityops-bench-render-'));
// Paths given to start() are relative to tests/bench/live/, where the server and the load live.
const server = start('./product-server.ts', [], {
  DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', JT808_PORT: '0', LOG_LEVEL: 'warn', SIM_ENABLED: 'false', SIM_HISTORY_DAYS: '0',
  LIVE_TICK_MS: String(TICK_MS), INGEST_RATE_PER_MIN: '1000000', BENCH_ENTITIES: String(ENTITIES), BENCH_CLIENT_ROOT: resolve('dist/client'),
});
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
let load: ReturnType<typeof start> | undefined;
try {
  const ready = JSON.parse(await server.next()) as BenchServerReady;
  const timetable: Timetable = { t0: Date.now() + 1000, periodMs: TICK_MS, slots: 20 };
  const plan: LoadPlan = { port: ready.port, key: ready.ingestKey, devices: ENTITIES, timetable };
  load = start('./load.ts', [JSON.stringify(plan)]);
  if ((await load.next()) !== 'ready') throw new Error('load generator did not get ready');

  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  page.on('console', (m) => { if (m.type() === 'error') log(`  page: ${m.text().slice(0, 300)}`); });
  page.on('pageerror', (err) => log(`  page error: ${err.message.slice(0, 300)}`));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(`http://127.0.0.1:${ready.port}/wall?token=${encodeURIComponent(ready.wallToken)}`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  log(`wall loading; waiting for ${ENTITIES} entities held by the wall`);
  // On a loaded machine the first snapshot of 20,000 entities takes a while; measured with what is drawn by then.
  const rendered = () => page.evaluate<number>(RENDERED);
  for (const until = Date.now() + 300_000; Date.now() < until;) {
    const n = await rendered();
    log(`  entities held by the wall: ${n < 0 ? 'map not ready' : n}`);
    if (n >= ENTITIES) break;
    await sleep(5000);
  }
  if (process.env.BENCH_RENDER_SHOT) {
    await page.screenshot({ path: process.env.BENCH_RENDER_SHOT, timeout: 120_000 }).catch((err: Error) => log(`  no screenshot: ${err.message.split('\n')[0]}`));
  }
  if ((await rendered()) < 0) {
    console.log('render not measured: the wall\'s map did not come up within 5 minutes (see the machine\'s load average)');
    process.exitCode = 1;
    throw new Error('no map');
  }
  await sleep(3000);
  log(`moving: measuring ${PHASE_S} s`);
  const profilePath = process.env.BENCH_RENDER_PROFILE;
  if (profilePath) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  const moving = await measure(page, cdp, PHASE_S);
  if (profilePath) {
    const { profile } = await cdp.send('Profiler.stop');
    writeFileSync(profilePath, JSON.stringify(profile));
    log(`  costliest functions of the moving phase (self ms over ${PHASE_S} s):`);
    for (const line of costliest(profile, 25)) log(`    ${line}`);
  }
  // Paused on the page: frames arrive and are not applied, while the server ingests and the fleet
  // posts as before — the machine as busy as when moving, so the difference is the page's own.
  await page.evaluate('window.__cityopsLive.holdFrames(true)');
  // The glides under way settle.
  await sleep(3 * TICK_MS);
  log(`paused on the page: measuring ${PHASE_S} s`);
  const paused = await measure(page, cdp, PHASE_S);
  await page.evaluate('window.__cityopsLive.holdFrames(false)');
  // For reference, the machine idle too: the fleet stops posting (the server and the generator
  // stop taking CPU from Chromium's software GL on the 2 cores).
  load.send('pause');
  await sleep(3 * TICK_MS);
  log(`fleet paused: measuring ${PHASE_S} s`);
  const idle = await measure(page, cdp, PHASE_S);
  load.send('resume');

  const pct = (moving.fps / paused.fps) * 100;
  const rows: [string, string, string, string, string][] = [
    ['frame rate (requestAnimationFrame)', `${moving.fps.toFixed(1)} fps`, `${paused.fps.toFixed(1)} fps`, `${idle.fps.toFixed(1)} fps`, `moving ≥ 80 % of paused: ${pct.toFixed(0)} % ${pct >= 80 ? '(met)' : '(NOT MET)'}`],
    ['main-thread busy per live tick', `${moving.mainThreadMsPerTick.toFixed(0)} ms`, `${paused.mainThreadMsPerTick.toFixed(0)} ms`, `${idle.mainThreadMsPerTick.toFixed(0)} ms`, `tick ${TICK_MS} ms`],
    ['entities held by the wall (test hooks)', `${moving.rendered}`, `${paused.rendered}`, `${idle.rendered}`, `${ENTITIES} moving`],
    ['markers handed to the map at district zoom', `${moving.fed}`, `${paused.fed}`, `${idle.fed}`, 'fleets thinned to ~2,000'],
  ];
  const head: [string, string, string, string, string] = ['measure', 'updates on', 'updates paused on the page', 'fleet paused too', 'target'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\nthe wall at 1920×1080 in Chromium (software GL: SwiftShader) · ${ENTITIES} entities reporting once per second · ${PHASE_S} s per phase`);
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
} finally {
  await browser.close();
  if (load) await stop(load);
  await stop(server);
  rmSync(dataDir, { recursive: true, force: true });
}
