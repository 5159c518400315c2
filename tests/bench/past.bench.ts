/**
 * History on first start: the real app (`buildApp`, the live simulator running beside it)
 * on an empty temp data dir with SIM_HISTORY_DAYS (default 30) — time until the server is
 * ready (cases, clocks and alarms of the whole window written), time until the positions in
 * the background are done, rows by day, and history bytes per day (fine: yesterday and
 * today at the live resolution; coarse: the older days), after VACUUM.
 *
 *   npm run bench -- past          (PAST_BENCH_DAYS=5 for a shorter run)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';

const DAYS = process.env.PAST_BENCH_DAYS ?? '30';
const MiB = 1024 * 1024;
const BUDGET_BYTES = 40 * 1000 * 1000;

const dataDir = mkdtempSync(join(tmpdir(), 'cityops-past-bench-'));
const pack = await loadDistrictPack('data/lixia');
const t0 = performance.now();
const { app } = await buildApp(loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SIM_HISTORY_DAYS: DAYS }), { pack, logger: false });
await app.ready();
const readyS = (performance.now() - t0) / 1000;
console.log(`SIM_HISTORY_DAYS=${DAYS}: the server is ready (listening) in ${readyS.toFixed(1)} s; the past follows in the background`);
const t1 = performance.now();
let lastPrint = 0;
const progress = () => app.simPast!.progress;
while (progress().phase === 'cases') {
  await new Promise((r) => setTimeout(r, 500));
  if (performance.now() - lastPrint > 15_000) {
    lastPrint = performance.now();
    console.log(`  cases and alarms ${Math.round(progress().casesDone * 100)} % after ${((performance.now() - t1) / 1000).toFixed(0)} s`);
  }
}
const casesS = (performance.now() - t1) / 1000;
console.log(`cases and alarms of ${DAYS} days: ${casesS.toFixed(1)} s after ready — ${progress().cases} cases, ${progress().alarms} alarms`);
const t2 = performance.now();
while (progress().phase === 'positions') {
  await new Promise((r) => setTimeout(r, 1000));
  if (performance.now() - lastPrint > 30_000) {
    lastPrint = performance.now();
    console.log(`  positions ${Math.round(progress().positionsDone * 100)} % after ${((performance.now() - t2) / 1000).toFixed(0)} s`);
  }
}
const positionsS = (performance.now() - t2) / 1000;
const fin = app.simPast!.progress;
if (fin.phase !== 'done') throw new Error(`the past ended in phase ${fin.phase}: ${fin.error ?? ''}`);
console.log(`positions (background, the live server serving): ${positionsS.toFixed(0)} s, ${fin.points.toLocaleString('en')} kept points; first start to a complete past: ${(readyS + casesS + positionsS).toFixed(0)} s`);
// What a restart pays to restore the last known state of every entity (server/history/restore.ts), on this month of history.
const lk0 = performance.now();
const known = await app.history.lastKnown();
console.log(`lastKnown(): ${known.length} entities in ${(performance.now() - lk0).toFixed(0)} ms`);
await app.close();

const db = new Database(join(dataDir, 'cityops.sqlite'));
db.exec('VACUUM');
const fileBytes = statSync(join(dataDir, 'cityops.sqlite')).size;
// Bytes of history per local day (bucket start + 8 h), blobs plus the row key's share.
const byDay = db.prepare(`SELECT date(bucket + 8 * 3600, 'unixepoch') AS day, count(*) AS rows, sum(n) AS points, sum(length(blob)) AS blob
  FROM history_track GROUP BY day ORDER BY day`).all() as { day: string; rows: number; points: number; blob: number }[];
const trackPages = (db.prepare("SELECT sum(pgsize) AS b FROM dbstat WHERE name = 'history_track'").get() as { b: number | null } | undefined)?.b ?? null;
const totalBlob = byDay.reduce((a, r) => a + r.blob, 0);
const cases = db.prepare(`SELECT date(created_ts / 1000 + 8 * 3600, 'unixepoch') AS day, count(*) AS n,
  sum(CASE WHEN closed_ts IS NOT NULL THEN 1 ELSE 0 END) AS closed FROM cases GROUP BY day ORDER BY day`).all() as { day: string; n: number; closed: number }[];
const clocks = db.prepare("SELECT kind, state, count(*) AS n FROM sla_clocks GROUP BY kind, state").all() as { kind: string; state: string; n: number }[];
db.close();

const fine = byDay.slice(-2);
const coarse = byDay.slice(0, -2);
// Pages not holding blob bytes (keys, cell headers, b-tree interior, free space) are shared out by rows.
const totalRows = byDay.reduce((a, r) => a + r.rows, 0);
const perRow = trackPages === null ? 0 : (trackPages - totalBlob) / totalRows;
const onDisk = (r: { blob: number; rows: number }) => r.blob + r.rows * perRow;
const avg = (rows: typeof byDay) => (rows.length === 0 ? 0 : rows.reduce((a, r) => a + onDisk(r), 0) / rows.length);
console.log('\nday         rows      points     history on disk   cases (closed)');
for (const r of byDay) {
  const c = cases.find((x) => x.day === r.day);
  console.log(`${r.day}  ${String(r.rows).padStart(8)}  ${String(r.points).padStart(10)}  ${(onDisk(r) / MiB).toFixed(2).padStart(10)} MiB   ${c ? `${c.n} (${c.closed})` : '-'}`);
}
console.log(`\nfine days (yesterday, today so far): ${(avg(fine) / MiB).toFixed(1)} MiB a day; the full fleet's whole day at the live resolution ≤ ${(Math.max(...fine.map(onDisk)) / MiB).toFixed(1)} MiB (budget ${BUDGET_BYTES / 1e6} MB)`);
console.log(`coarse days (older): ${(avg(coarse) / MiB).toFixed(1)} MiB a day`);
console.log(`history_track: ${(totalBlob / MiB).toFixed(0)} MiB of blobs + ${perRow.toFixed(1)} B a row for keys and b-tree over ${totalRows.toLocaleString('en')} rows`);
console.log(`clocks: ${clocks.map((c) => `${c.kind} ${c.state} ${c.n}`).join(', ')}`);
console.log(`database file after VACUUM: ${(fileBytes / MiB).toFixed(0)} MiB for ${DAYS} days`);
rmSync(dataDir, { recursive: true, force: true });
