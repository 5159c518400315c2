/**
 * Rule cost per accepted report (issue 5, part 9): the Lixia simulator's reports are recorded
 * once, then replayed through the ingest with and without the alarm rules subscribed (and
 * their SQLite store on a temp file, synchronous=FULL as in production; ticks and sweeps
 * included). Prints reports/s both ways and the overhead; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAlarms } from '../../server/alarms/alarms.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import { DeviceRegistry } from '../../server/ingest/device-registry.ts';
import { Ingest } from '../../server/ingest/ingest.ts';
import type { IngestOutcome, IngestSink, IngestUpdate } from '../../server/ingest/types.ts';
import { entitiesFromPack } from '../../server/live/entities-from-pack.ts';
import { connectivityPolicy, LiveState } from '../../server/live/live-state.ts';
import { DomainEvents } from '../../server/ops/domain-events.ts';
import { Simulator } from '../../server/sim/simulator.ts';
import { openDatabase } from '../../server/store/database.ts';

const REPORTS = Number(process.env.BENCH_REPORTS ?? 200_000);
const pack = await loadDistrictPack('data/lixia');

// 1. Record: the simulator at speed 1 into a sink that only keeps the reports.
const recorded: IngestUpdate[] = [];
const sink: IngestSink = { submit: (u): IngestOutcome => { recorded.push(u); return { accepted: true, entityId: u.deviceId }; } };
let wall = Date.UTC(2026, 0, 15, 0, 0, 0); // 08:00 in Jinan: staff on shift, vehicles working, trucks parked or running
const sim = new Simulator({ pack, ingest: sink, seed: 808, speed: 1, now: () => wall });
sim.init();
while (recorded.length < REPORTS) {
  wall += 1000;
  sim.step(1000);
}
recorded.length = REPORTS;
const simMinutes = (recorded.at(-1)!.ts - recorded[0]!.ts) / 60_000;

// 2. Replay through a fresh live state and ingest, the clock following the reports.
function replay(withRules: boolean): { ms: number; commitMs: number; commits: number; accepted: number; alarms: number; raised: number } {
  const mobile = { staleAfterMs: 60_000, offlineAfterMs: 600_000 };
  const sensor = { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 };
  const live = new LiveState(entitiesFromPack(pack), connectivityPolicy(mobile, sensor));
  let now = recorded[0]!.ts;
  const ingest = new Ingest(live, new DeviceRegistry([], (id) => live.get(id) !== undefined), { maxFutureMs: 300_000, maxAgeMs: 86_400_000, maxSpeedKph: 250 }, () => now);
  const dir = mkdtempSync(join(tmpdir(), 'cityops-bench-'));
  const db = openDatabase(dir);
  const events = new DomainEvents();
  let raised = 0;
  events.on('alarm:raised', () => raised++);
  const mod = withRules ? createAlarms({ db, live, pack, events, now: () => now, onThresholds: (t) => { ingest.thresholds = t; } }) : null;
  mod?.engine.start();
  let commitMs = 0;
  let commits = 0;
  if (mod) {
    // Time the commits apart: each is an fsync, paid per tick of real time, not per report.
    const flush = mod.book.flush.bind(mod.book);
    mod.book.flush = () => { const t = performance.now(); flush(); commitMs += performance.now() - t; commits++; };
  }
  let accepted = 0;
  let lastSecond = Math.floor(now / 1000);
  const t0 = performance.now();
  for (const u of recorded) {
    now = u.ts;
    const second = Math.floor(now / 1000);
    if (second !== lastSecond) {
      // Once a second, as the server does: connectivity sweep, and the rules' tick (clear holds, batched writes, the 30 s sweep).
      lastSecond = second;
      live.sweepConnectivity(now);
      mod?.engine.tick(now);
    }
    if (ingest.submit(u).accepted) accepted++;
  }
  const ms = performance.now() - t0;
  const alarms = mod ? (db.prepare('SELECT COUNT(*) AS n FROM alarms').get() as { n: number }).n : 0;
  mod?.engine.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { ms, commitMs, commits, accepted, alarms, raised };
}

replay(false); // warm-up
replay(true);
const rounds = 3;
let best = { off: Infinity, on: Infinity, onCpu: Infinity };
let last = { on: replay(true), off: replay(false) };
for (let r = 0; r < rounds; r++) {
  const off = replay(false);
  const on = replay(true);
  best = { off: Math.min(best.off, off.ms), on: Math.min(best.on, on.ms), onCpu: Math.min(best.onCpu, on.ms - on.commitMs) };
  last = { on, off };
}
const rate = (ms: number) => Math.round((REPORTS / ms) * 1000);
const overhead = ((best.on - best.off) / best.off) * 100;
const cpuOverhead = ((best.onCpu - best.off) / best.off) * 100;
const realSeconds = simMinutes * 60;
console.log(`Lixia pack: ${pack.staff.length + pack.vehicles.length + pack.muckTrucks.length + pack.toilets.length + pack.bins.length} entities; ${REPORTS} simulator reports over ${simMinutes.toFixed(1)} simulated minutes, ${last.on.accepted} accepted`);
console.log(`alarms stored in the rules-on run: ${last.on.alarms} (${last.on.raised} raised)`);
console.log('');
console.log('| ingest            | reports/s | best of ' + rounds + ' (ms) |');
console.log('| ----------------- | --------: | -----------: |');
console.log(`| rules off         | ${String(rate(best.off)).padStart(9)} | ${best.off.toFixed(0).padStart(12)} |`);
console.log(`| rules on          | ${String(rate(best.on)).padStart(9)} | ${best.on.toFixed(0).padStart(12)} |`);
console.log(`| rules on, no fsync| ${String(rate(best.onCpu)).padStart(9)} | ${best.onCpu.toFixed(0).padStart(12)} |`);
console.log('');
console.log(`rule evaluation per accepted report: ${(((best.onCpu - best.off) * 1000) / last.on.accepted).toFixed(2)} µs; overhead ${cpuOverhead.toFixed(1)} % (target < 20 %)`);
console.log(`store commits: ${last.on.commits} in ${realSeconds.toFixed(0)} s of device time (${(last.on.commitMs / last.on.commits).toFixed(2)} ms each = ${((last.on.commitMs / realSeconds) / 10).toFixed(2)} % of one core in real time)`);
console.log(`as replayed, with ${simMinutes.toFixed(0)} min of commits squeezed into the run: overhead ${overhead.toFixed(1)} %`);
