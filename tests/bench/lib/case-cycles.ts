/**
 * Full case life cycles on SQLite, through the real modules: the app as `npm start` builds it
 * (buildApp, SIM_ENABLED=false, a temp DATA_DIR, synchronous=FULL), driven through its ports
 * app.cases and app.dispatch, with arrival detected from a position sent through the ingest:
 * report → register → dispatch → arrive → feedback (the crew's "done") → verifyPass → close →
 * evaluate. Each cycle takes a fresh on-duty staff member (a unit that finished is returning
 * for a while), placed in the middle of their grid, the case 20 m north of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../../../server/app.ts';
import { loadConfig } from '../../../server/config.ts';
import { DistrictLocator } from '../../../server/district/locator.ts';
import type { Actor } from '../../../server/ops/ports.ts';
import type { DistrictPack } from '../../../shared/district.ts';

const M_PER_DEG_LAT = 111_195;
const DISPATCHER: Actor = { name: 'bench-dispatcher', role: 'dispatcher' };

export interface CaseCycles {
  cycles: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  /** The stages the last case went through, from its timeline (a check that the cycle is whole). */
  lastTimeline: string[];
}

export async function measureCaseCycles(pack: DistrictPack, cycles: number, warmup = 20): Promise<CaseCycles> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cityops-bench-cases-'));
  const config = loadConfig({ DATA_DIR: dataDir, SIM_ENABLED: 'false', LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1' });
  const { app } = await buildApp(config, { pack, logger: false, clientRoot: join(dataDir, 'no-client') });
  await app.ready();
  try {
    const item = app.cases.taxonomy().items[0]!;
    const centre = new Map(pack.grids.features.map((f) => {
      const ring = f.geometry.coordinates[0]!.slice(0, -1);
      return [f.properties.id, [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length] as const];
    }));
    const locator = new DistrictLocator(pack);
    // Not a road chief (judged from their road, not the grid); the case point inside the district (a grid on its edge may not be).
    const staff = pack.staff.filter((m) => {
      const c = centre.get(m.gridId);
      if (m.role === 'roadChief' || c === undefined) return false;
      const lat = c[1] + 20 / M_PER_DEG_LAT;
      return locator.inDistrict(c[0], lat) && locator.locate(c[0], lat) !== null;
    }).slice(0, warmup + cycles);
    if (staff.length < warmup + cycles) throw new Error(`only ${staff.length} staff for ${warmup + cycles} cycles`);
    // On duty, in the middle of their grid, a minute ago.
    const seenAt = Date.now() - 60_000;
    for (const m of staff) {
      const [lon, lat] = centre.get(m.gridId)!;
      const r = app.ingest.submit({ source: 'sim', deviceId: m.id, ts: seenAt, pos: { lon, lat, speed: 0 }, status: 'onDuty', attrs: { onDuty: true } });
      if (!r.accepted) throw new Error(`seed report for ${m.id} refused: ${r.reason}`);
    }

    const ms: number[] = [];
    let lastTimeline: string[] = [];
    for (let k = 0; k < staff.length; k++) {
      const m = staff[k]!;
      const [lon, lat] = centre.get(m.gridId)!;
      // A crew login acts as its unit (the CLI binds it), so the actor is named by the unit.
      const crew: Actor = { name: m.id, role: 'field' };
      const s = performance.now();
      const reported = await app.cases.report({ source: 'hotline', itemCode: item.code, lon, lat: lat + 20 / M_PER_DEG_LAT, title: 'bench' }, DISPATCHER);
      const id = reported.id;
      await app.cases.transition(id, 'register', DISPATCHER, {});
      await app.dispatch.dispatchCase(id, m.id, DISPATCHER, {});
      // The unit walks 18 m towards the case: within the arrival radius, so the server marks it on scene.
      const moved = app.ingest.submit({ source: 'sim', deviceId: m.id, ts: Date.now(), pos: { lon, lat: lat + 18 / M_PER_DEG_LAT, speed: 4 } });
      if (!moved.accepted) throw new Error(`arrival fix refused: ${moved.reason}`);
      // The arrival is written after the fix was taken: let it land before the crew reports done.
      await new Promise<void>((r) => setImmediate(r));
      await app.dispatch.crewStep(m.id, 'done', crew, { note: 'done' });
      await app.cases.transition(id, 'verifyPass', DISPATCHER, {});
      await app.cases.transition(id, 'close', DISPATCHER, {});
      const done = await app.cases.transition(id, 'evaluate', DISPATCHER, { score: 5 });
      if (done.stage !== 'evaluated') throw new Error(`case ${id} ended ${done.stage}`);
      if (k >= warmup) ms.push(performance.now() - s);
      if (k === staff.length - 1) lastTimeline = ((await app.cases.detail(id))?.timeline ?? []).map((t) => t.action);
    }
    const sorted = [...ms].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
    return { cycles, perSecond: (ms.length / ms.reduce((a, b) => a + b, 0)) * 1000, p50Ms: q(0.5), p95Ms: q(0.95), lastTimeline };
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
