/**
 * The dispatch benchmark (issue 5, part 9), one table: recommendation latency with 5,000
 * units placed on the Lixia roads (target p95 < 50 ms); the 7-minute coverage recompute with
 * 250 available units; the alarm rules' cost per accepted report — the simulator's reports
 * replayed through the ingest with and without the rules subscribed (target < 20 %), the other
 * change-stream consumers apart (tests/bench/lib/ingest-replay.ts); full case life cycles per
 * second on SQLite through the real modules (tests/bench/lib/case-cycles.ts).
 * Prints figures; asserts nothing on speed.   npm run bench:dispatch
 * BENCH_REPORTS (default 200000), BENCH_ROUNDS (3), BENCH_CYCLES (300).
 */
import { performance } from 'node:perf_hooks';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import { buildTravelRouters, type UnitMode } from '../../server/district/travel-time.ts';
import { computeCoverage, type CoverageUnit } from '../../server/dispatch/coverage.ts';
import { recommendUnits, type Candidate } from '../../server/dispatch/recommend.ts';
import { DEFAULT_DISPATCH_SETTINGS } from '../../server/dispatch/settings.ts';
import { UnitIndex } from '../../server/dispatch/unit-index.ts';
import { Rng } from '../../server/sim/rng.ts';
import { UNIT_SKILLS } from '../../shared/dispatch.ts';
import { measureCaseCycles } from './lib/case-cycles.ts';
import { measureRuleCost, recordReports } from './lib/ingest-replay.ts';

const REPORTS = Number(process.env.BENCH_REPORTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 300);

const pack = await loadDistrictPack('data/lixia');
const t0 = performance.now();
const routers = buildTravelRouters(pack);
const buildMs = performance.now() - t0;
const rng = new Rng(5);
const now = Date.now();
const { nodes, edges } = pack.roadGraph;

/** A point somewhere along a random road edge, a few metres off it. */
function onRoad(): { lon: number; lat: number } {
  const [a, b] = edges[Math.floor(rng.next() * edges.length)]!;
  const f = rng.next();
  const [alon, alat] = nodes[a]!, [blon, blat] = nodes[b]!;
  return { lon: alon + (blon - alon) * f + (rng.next() - 0.5) * 1e-4, lat: alat + (blat - alat) * f + (rng.next() - 0.5) * 1e-4 };
}

function units(n: number): Candidate[] {
  return Array.from({ length: n }, (_, i) => {
    const mode: UnitMode = i % 7 === 0 ? 'vehicle' : 'staff';
    const p = onRoad();
    return {
      id: `u${i}`, name: `u${i}`, kind: mode, mode, status: i % 3 === 0 ? 'dispatched' : 'available',
      skills: [UNIT_SKILLS[i % UNIT_SKILLS.length]!], gridId: 'g', orgCode: '370102001',
      pos: { ...p, ts: now - (i % 10 === 0 ? 600_000 : 5_000) },
    };
  });
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
/** Rows of the table; a row with an empty figure is a section heading. */
const rows: [string, string][] = [['recommendation and coverage', '']];

{
  const all = units(5000);
  const byId = new Map(all.map((u) => [u.id, u]));
  const index = new UnitIndex(pack.meta.center[1]);
  for (const u of all) index.set(u.id, u.pos.lon, u.pos.lat);
  const deps = { routers, index, candidate: (id: string) => byId.get(id), now: () => now, settings: DEFAULT_DISPATCH_SETTINGS };
  const ms: number[] = [];
  for (let k = 0; k < 1200; k++) {
    const c = onRoad();
    const skills = k % 2 === 0 ? [] : [UNIT_SKILLS[k % UNIT_SKILLS.length]!];
    const s = performance.now();
    recommendUnits(deps, { ...c, gridId: null, streetCode: '370102001', skills }, 5);
    if (k >= 200) ms.push(performance.now() - s);
  }
  rows.push(['recommendation, 5,000 units: p50', `${quantile(ms, 0.5).toFixed(2)} ms`]);
  rows.push(['recommendation, 5,000 units: p95 (target < 50 ms)', `${quantile(ms, 0.95).toFixed(2)} ms`]);
  rows.push(['recommendation, 5,000 units: max', `${Math.max(...ms).toFixed(2)} ms`]);
}

{
  const avail: CoverageUnit[] = units(250).map((u) => ({ mode: u.mode, lon: u.pos.lon, lat: u.pos.lat }));
  const ms: number[] = [];
  let share = 0;
  for (let k = 0; k < 60; k++) {
    const s = performance.now();
    share = computeCoverage(routers, avail, DEFAULT_DISPATCH_SETTINGS.targetS, now).coveredShare;
    if (k >= 10) ms.push(performance.now() - s);
  }
  rows.push(['coverage recompute, 250 available units: p50', `${quantile(ms, 0.5).toFixed(2)} ms`]);
  rows.push(['coverage recompute, 250 available units: p95', `${quantile(ms, 0.95).toFixed(2)} ms`]);
  rows.push(['coverage: road length within 7 min', `${(share * 100).toFixed(1)} %`]);
}

rows.splice(1, 0, ['road graph', `${nodes.length} nodes, ${edges.length} edges`], ['travel-time routers built (2 modes)', `${buildMs.toFixed(1)} ms`]);

{
  const rec = recordReports(pack, REPORTS);
  const r = await measureRuleCost(rec, ROUNDS);
  const { cpu } = r;
  const perReport = (ms: number) => `${((ms * 1000) / r.accepted).toFixed(2)} µs/report`;
  const rate = (ms: number) => `${Math.round((r.accepted / ms) * 1000).toLocaleString('en')} reports/s`;
  const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)} %`;
  const devMin = r.simMinutes;
  rows.push(
    [`ingest, ${r.accepted.toLocaleString('en')} simulator reports (${devMin.toFixed(1)} device-min), CPU best of ${ROUNDS}`, ''],
    ['ingest alone', `${rate(cpu.ingestOnly)} (${perReport(cpu.ingestOnly)})`],
    ['+ fan-out log', `${rate(cpu.fanOut)} (+${perReport(cpu.fanOut - cpu.ingestOnly)})`],
    ['+ dispatch unit book = rules off', `${rate(cpu.others)} (+${perReport(cpu.others - cpu.fanOut)})`],
    ['+ alarm rules = rules on', `${rate(cpu.all)} (+${perReport(cpu.all - cpu.others)})`],
    ['rules cost, on vs off (target < 20 %)', pct(cpu.all, cpu.others)],
    ['  rule evaluation alone', `${pct(cpu.all - r.commitCpuMs, cpu.others)} (${perReport(cpu.all - r.commitCpuMs - cpu.others)}; ${(r.evaluations / r.accepted).toFixed(2)} evaluations/report)`],
    ['  alarm store commits', `${pct(cpu.others + r.commitCpuMs, cpu.others)} (${r.commits} in ${devMin.toFixed(1)} device-min, ${(r.commitCpuMs / r.commits).toFixed(2)} ms CPU + fsync = ${r.commitMsEach.toFixed(2)} ms each)`],
    ['alarms raised in the replay', String(r.alarms)],
  );
}

{
  const c = await measureCaseCycles(pack, CYCLES);
  rows.push(
    [`case life cycles on SQLite (synchronous=FULL), ${c.cycles} through app.cases/app.dispatch`, ''],
    ['report → register → dispatch → arrive → feedback → verifyPass → close → evaluate', `${c.perSecond.toFixed(1)} cycles/s`],
    ['one cycle: p50', `${c.p50Ms.toFixed(1)} ms`],
    ['one cycle: p95', `${c.p95Ms.toFixed(1)} ms`],
    ['timeline of the last case', c.lastTimeline.join(' → ')],
  );
}

const w = Math.max(...rows.map(([k, v]) => (v ? k.length : 0)));
const fw = Math.max(...rows.map(([, v]) => v.length));
process.stdout.write(`\n${'dispatch benchmark'.padEnd(w)}  figure\n${'='.repeat(w)}  ${'='.repeat(fw)}\n`);
for (const [k, v] of rows) process.stdout.write(v ? `${k.padEnd(w)}  ${v}\n` : `\n${k}\n${'-'.repeat(w)}  ${'-'.repeat(fw)}\n`);
