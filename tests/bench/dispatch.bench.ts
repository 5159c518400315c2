/**
 * Dispatch figures on the Lixia road graph: recommendation latency with 5,000 units placed on
 * the roads (target p95 < 50 ms), and the 7-minute coverage recompute with 250 available units.
 * Prints a table; asserts nothing on speed.   npm run bench:dispatch
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
const rows: [string, string][] = [];

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

rows.unshift(['road graph', `${nodes.length} nodes, ${edges.length} edges`], ['travel-time routers built (2 modes)', `${buildMs.toFixed(1)} ms`]);
const w = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(`\n${'dispatch'.padEnd(w)}  figure\n${'-'.repeat(w)}  ${'-'.repeat(16)}\n`);
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
