import Database from 'better-sqlite3';
import { migrate } from './server/store/database.ts';
import { MIGRATIONS } from './server/store/migrations.ts';
import { HistoryStore } from './server/history/history-store.ts';
import { loadDistrictPack } from './server/district/load-pack.ts';
import { PastFleet, FINE, COARSE } from './server/sim/past/past-tracks.ts';
import { connectivityPolicy } from './server/live/live-state.ts';
const pack = await loadDistrictPack('data/lixia');
const db = new Database(':memory:'); migrate(db, MIGRATIONS);
const h = new HistoryStore(db, { policy: { minMoveM: 25, maxGapS: 60 }, timeZone: 'Asia/Shanghai', retentionDays: 90, now: () => Date.now() });
const pol = connectivityPolicy({ staleAfterMs: 60e3, offlineAfterMs: 600e3 }, { staleAfterMs: 900e3, offlineAfterMs: 3600e3 });
const res = process.argv[2] === 'fine' ? FINE : COARSE;
const start = Date.UTC(2026, 10, 19, 23, 0);
const f = new PastFleet(pack, 808, start, pol);
let sim = 0, write = 0, pts = 0;
for (let hour = 0; hour < 6; hour++) {
  const t0 = performance.now();
  while (f.simMs + res.stepMs <= start + (hour + 1) * 3600e3) f.step(res);
  const t1 = performance.now();
  const r = db.transaction(() => h.appendPast(f.take(), res.policy))();
  pts += r.points;
  write += performance.now() - t1; sim += t1 - t0;
}
console.log(process.argv[2], '6h from 07:00 local: sim', Math.round(sim), 'ms, write', Math.round(write), 'ms, points', pts);
