/**
 * History store on the whole simulated fleet: the real simulator (5,043 entities) feeds the
 * real ingest and live state; the history listener and writer (server/history) keep and
 * write its points into a temp SQLite file exactly as the plugin does (flush every
 * HISTORY_FLUSH_S of the virtual clock, connectivity swept every second).
 *
 * The clock is a plain variable stepped a second at a time, so hours pass in minutes.
 * Default: 3 simulated hours from 07:00 local (the busiest part of the day: every crew and
 * truck on the road), and the bytes per day are those × 24/3 — an upper bound, as nights are
 * quieter. HISTORY_BENCH_HOURS=24 runs the whole day (about 15 min on 2 cores).
 *
 *   npm run bench -- history
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import { entitiesFromPack } from '../../server/live/entities-from-pack.ts';
import { connectivityPolicy, LiveState } from '../../server/live/live-state.ts';
import { DeviceRegistry } from '../../server/ingest/device-registry.ts';
import { Ingest } from '../../server/ingest/ingest.ts';
import { Simulator } from '../../server/sim/simulator.ts';
import { openDatabase } from '../../server/store/database.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import { HistoryStore } from '../../server/history/history-store.ts';
import { loadConfig } from '../../server/config.ts';
import { MOBILE_KINDS } from '../../shared/entities.ts';
import type { LiveChange } from '../../server/live/change-stream.ts';
import Database from 'better-sqlite3';
import { migrate } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';

const HOURS = Number(process.env.HISTORY_BENCH_HOURS ?? 3);
const START_HOUR_LOCAL = Number(process.env.HISTORY_BENCH_FROM ?? 7);
// 2026-11-27 00:00 in Jinan (UTC+8) + the start hour.
const START = Date.UTC(2026, 10, 26, 16, 0, 0) + START_HOUR_LOCAL * 3_600_000;
const BUDGET_BYTES = 40 * 1024 * 1024;

const config = loadConfig({ LOG_LEVEL: 'silent' });
const pack = await loadDistrictPack('data/lixia');
const dataDir = mkdtempSync(join(tmpdir(), 'cityops-history-bench-'));
const db = openDatabase(dataDir);
let now = START;
const live = new LiveState(entitiesFromPack(pack), connectivityPolicy(
  { staleAfterMs: config.live.staleAfterS * 1000, offlineAfterMs: config.live.offlineAfterS * 1000 },
  { staleAfterMs: config.live.sensorStaleAfterS * 1000, offlineAfterMs: config.live.sensorOfflineAfterS * 1000 },
));
const ingest = new Ingest(live, new DeviceRegistry([], (id) => live.get(id) !== undefined),
  { maxFutureMs: config.filters.maxFutureS * 1000, maxAgeMs: config.filters.maxAgeS * 1000, maxSpeedKph: config.filters.maxSpeedKph }, () => now, { sim: 1 });
const history = await HistoryStore.open(new SqliteStore(db), {
  policy: { minMoveM: config.history.minMoveM, maxGapS: config.history.maxGapS },
  timeZone: pack.meta.timezone, retentionDays: config.history.retentionDays, now: () => now,
});
await history.registerEntities(live.all()); // as the plugin does at start
// The listener timed from outside: what it adds to each change on the ingest's path.
let listenerNs = 0n;
// The first changes are also kept to be replayed into a second listener alone, without the simulator's garbage around it.
const sample: LiveChange[] = [];
live.changes.subscribe('history', (c) => {
  const t0 = process.hrtime.bigint();
  history.onChange(c);
  listenerNs += process.hrtime.bigint() - t0;
  if (sample.length < 300_000) sample.push(c);
});
const silent = { info() {}, warn() {}, error() {}, debug() {}, child() { return silent; } };
const sim = new Simulator({ pack, ingest, seed: 808, speed: 1, now: () => now, log: silent as never });
sim.init();

const flushMs: number[] = [];
const wall0 = performance.now();
const end = START + HOURS * 3_600_000;
let nextFlush = now + config.history.flushS * 1000;
while (now < end) {
  now += 1000;
  sim.step(1000);
  live.sweepConnectivity(now);
  if (now >= nextFlush) {
    const f0 = performance.now();
    await history.flush();
    flushMs.push(performance.now() - f0);
    nextFlush += config.history.flushS * 1000;
  }
  if ((now - START) % (3_600_000) === 0) process.stdout.write(`  ${(now - START) / 3_600_000} h simulated (${((performance.now() - wall0) / 1000).toFixed(0)} s)\n`);
}
await history.flush();
const wallS = (performance.now() - wall0) / 1000;

const rows = (db.prepare('SELECT count(*) AS n, sum(length(blob)) AS blob FROM history_track').get()) as { n: number; blob: number };
db.pragma('wal_checkpoint(TRUNCATE)');
db.exec('VACUUM');
const tables = (() => {
  try {
    return db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name LIKE 'history%' GROUP BY name ORDER BY name").all() as { name: string; bytes: number }[];
  } catch { return []; }
})();
db.close();
const fileBytes = statSync(join(dataDir, 'cityops.sqlite')).size;
rmSync(dataDir, { recursive: true, force: true });

// Replay: the same changes into a fresh listener, timed as one loop (no per-call timer), best of 3.
const replayNs = await (async () => {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const mem = new Database(':memory:');
    migrate(mem, MIGRATIONS);
    const h = await HistoryStore.open(new SqliteStore(mem), { policy: { minMoveM: config.history.minMoveM, maxGapS: config.history.maxGapS }, timeZone: pack.meta.timezone, retentionDays: 90, now: () => now });
    const t0 = process.hrtime.bigint();
    for (const c of sample) h.onChange(c);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / sample.length);
    mem.close();
  }
  return best;
})();
const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0; };
const scale = 24 / HOURS;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MiB`;
const movers = live.all().filter((e) => MOBILE_KINDS.includes(e.kind)).length;
// What grows with time (the tracks and the roll-up) scales with the hours; the rest (entity names, empty tables) does not.
const growing = tables.reduce((s, t) => s + (t.name.startsWith('history_track') || t.name.startsWith('history_daily') ? t.bytes : 0), 0);
const perDay = tables.length > 0 ? fileBytes + growing * (scale - 1) : fileBytes * scale;
const out: [string, string][] = [
  ['simulated', `${HOURS} h from ${String(START_HOUR_LOCAL).padStart(2, '0')}:00 local, ${live.size} entities (${movers} movers), in ${wallS.toFixed(0)} s`],
  ['changes seen / points kept', `${history.stats.changes.toLocaleString('en')} / ${history.stats.kept.toLocaleString('en')} (${((100 * history.stats.kept) / Math.max(1, history.stats.changes)).toFixed(1)} %), reports accepted ${ingest.snapshotStats().accepted.toLocaleString('en')}`],
  ['rows / blob bytes', `${rows.n.toLocaleString('en')} rows, ${mb(rows.blob)} of blobs, ${(rows.blob / Math.max(1, history.stats.kept)).toFixed(2)} B a point`],
  ['file after VACUUM', `${mb(fileBytes)} for ${HOURS} h`],
  ['per table', tables.map((t) => `${t.name} ${mb(t.bytes)}`).join(', ') || '(dbstat not compiled in)'],
  ['bytes per simulated day', `${mb(perDay)} (×${scale.toFixed(1)}, busy hours scaled: an upper bound) — budget ${mb(BUDGET_BYTES)}: ${perDay <= BUDGET_BYTES ? 'within' : 'OVER'}`],
  ['flush p50 / p95 / max', `${q(flushMs, 0.5).toFixed(1)} / ${q(flushMs, 0.95).toFixed(1)} / ${Math.max(...flushMs).toFixed(1)} ms (${flushMs.length} flushes, every ${config.history.flushS} s; the longest is #${flushMs.indexOf(Math.max(...flushMs)) + 1}${flushMs.indexOf(Math.max(...flushMs)) === 0 ? ': the first looks for the buckets a previous run left open' : ''})`],
  ['listener per change', `${replayNs.toFixed(0)} ns replayed alone (${sample.length.toLocaleString('en')} changes); ${(Number(listenerNs) / Math.max(1, history.stats.changes)).toFixed(0)} ns timed in the run (GC pauses the simulator causes land in it)`],
];
const w = Math.max(...out.map((r) => r[0].length));
process.stdout.write(`\nHistory store over the simulated fleet\n${out.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}\n`);
if (perDay > BUDGET_BYTES) process.exitCode = 1;
