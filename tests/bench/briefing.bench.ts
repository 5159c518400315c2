/**
 * The leaders' briefing over a realistic store: BRIEFING_BENCH_DAYS (60) days of cases
 * (BRIEFING_BENCH_CASES_PER_DAY, 400, with their closure clocks, a dispatch in the timeline and
 * an arrival clock for the emergencies) and alarms (1,500 a day, a third of them muck trucks'), written straight into the real
 * tables; then GET /api/briefing for each period through the real route (app.inject: no
 * sockets). Prints the answer times; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { CasesRepo } from '../../server/cases/cases-repo.ts';
import { AlarmRepo } from '../../server/alarms/alarm-repo.ts';
import { lixiaPack, startServer } from '../integration/server-harness.ts';

const DAYS = Number(process.env.BRIEFING_BENCH_DAYS ?? 60);
const PER_DAY = Number(process.env.BRIEFING_BENCH_CASES_PER_DAY ?? 400);
const ALARMS_PER_DAY = 1500;
const RUNS = 15;
const DAY = 86_400_000;

const s = await startServer({ SIM_ENABLED: 'false' });
try {
  const pack = await lixiaPack();
  const sql = s.app.store.sql;
  const alarms = new AlarmRepo(sql);
  const items = pack.taxonomy!.items;
  const grids = pack.grids.features;
  const now = Date.now();
  let seed = 808;
  const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const CLOCK = `INSERT INTO sla_clocks (case_id, kind, state, start_ts, due_ts, warn_ts, end_ts, policy, updated_ts) VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8)`;
  const TIMELINE = `INSERT INTO case_timeline (case_id, ts, actor, actor_role, action, from_stage, to_stage, note, data) VALUES ($1, $2, 'bench', 'dispatcher', 'dispatch', 'registered', 'dispatched', NULL, '{"unitId":"veh-0001"}')`;
  const t0 = performance.now();
  await sql.transaction(async (tx) => {
    const cases = new CasesRepo(tx);
    const clock = (...params: [number, string, string, number, number, number, number | null, number]) => tx.exec(CLOCK, params);
    for (let d = DAYS; d > 0; d--) {
      for (let i = 0; i < PER_DAY; i++) {
        const created = now - d * DAY + Math.floor(rnd() * DAY);
        const item = items[Math.floor(rnd() * items.length)]!;
        const g = grids[Math.floor(rnd() * grids.length)]!.properties;
        const days = item.difficulty === 'small' ? 1 : item.difficulty === 'big' ? 2 : 3;
        const due = created + days * DAY;
        const closed = rnd() < 0.9 ? created + Math.floor(rnd() * days * 1.3 * DAY) : null;
        const id = await cases.insert({
          code: `BENCH-${d}-${i}`, title: item.name, description: '', itemCode: item.code, category: item.category, source: 'roadChief',
          stage: closed !== null && closed < now ? 'closed' : 'handling', suspended: false, emergency: item.emergency, difficulty: item.difficulty,
          lon: 117.08, lat: 36.65, streetCode: g.streetCode, communityCode: g.communityCode, gridId: g.id, address: null, assignedOrg: item.deptCode,
          assignment: null, alarmId: null, escalationLevel: 0, reworkCount: rnd() < 0.05 ? 1 : 0, reportedBy: 'bench',
          createdTs: created, updatedTs: created, closedTs: closed !== null && closed < now ? closed : null, version: 1,
        });
        await clock(id, 'closure', closed !== null && closed <= due ? 'met' : 'breached', created, due, due - DAY / 5, closed, created);
        const dispatched = created + Math.floor(rnd() * 3_600_000);
        await tx.exec(TIMELINE, [id, dispatched]);
        if (item.emergency) await clock(id, 'arrival', 'met', dispatched, dispatched + 420_000, dispatched + 336_000, dispatched + Math.floor(rnd() * 600_000), dispatched);
      }
      for (let i = 0; i < ALARMS_PER_DAY; i++) {
        // A third of them the muck trucks', the rest the bins'.
        const muck = i % 3 === 0;
        const t = muck ? pack.muckTrucks[Math.floor(rnd() * pack.muckTrucks.length)]! : null;
        const bin = pack.bins[Math.floor(rnd() * pack.bins.length)]!;
        const start = now - d * DAY + Math.floor(rnd() * DAY);
        await alarms.insert({
          id: 0, type: muck ? 'muckOffRoute' : 'binFull', severity: 'major', entityId: t?.id ?? bin.id, entityKind: muck ? 'muckTruck' : 'bin', entityName: t?.plate ?? bin.id,
          orgCode: t?.streetCode ?? bin.streetCode, gridId: t?.gridId ?? bin.gridId, lon: null, lat: null, startTs: start, updateTs: start, endTs: start + 60_000, active: false,
          ackBy: null, ackTs: null, clearedBy: null, detail: '', value: null, caseId: null, version: 1,
        }, tx);
      }
    }
  });
  console.log(`store: ${DAYS * PER_DAY} cases, ${DAYS * ALARMS_PER_DAY} alarms over ${DAYS} days, written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  if (process.env.BRIEFING_PROFILE) {
    const { BriefingFactsRepo, alarmWindowKey } = await import('../../server/analytics/facts-repo.ts');
    const { alarmWindows, computeBriefing } = await import('../../server/analytics/indicators.ts');
    const { resolvePeriod } = await import('../../server/analytics/period.ts');
    const repo = new BriefingFactsRepo(sql);
    const p = resolvePeriod({ period: 'month' }, now, 'Asia/Shanghai');
    for (let r = 0; r < 3; r++) {
      const a = performance.now();
      const cs = await repo.cases(p.previous.from, p.current.to, () => null);
      const b = performance.now();
      const al = await repo.muckAlarms(p.previous.from, p.current.to);
      const c = performance.now();
      const counts = await repo.countAlarmsIn(alarmWindows(p, 'Asia/Shanghai'));
      computeBriefing({ district: 'x', timeZone: 'Asia/Shanghai', now, period: p, cases: cs, muckAlarms: al, countAlarms: (x, y) => counts.get(alarmWindowKey(x, y))!, streets: [], departments: [], muckTrucks: pack.muckTrucks, dispatchTargetMs: 1_800_000 });
      console.log(`month, in parts: cases ${cs.length} ${(b - a).toFixed(0)} ms, alarms ${al.length} ${(c - b).toFixed(0)} ms, compute ${(performance.now() - c).toFixed(0)} ms`);
    }
  }
  const lead = (await s.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: s.firstStart!.adminPassword } })).json<{ token: string }>().token;
  console.log('| period | cases read | p50 ms | p95 ms | max ms |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const period of ['today', 'yesterday', 'week', 'month']) {
    const times: number[] = [];
    let reported = 0;
    for (let r = 0; r < RUNS; r++) {
      const a = performance.now();
      const res = await s.app.inject({ method: 'GET', url: `/api/briefing?period=${period}`, headers: { authorization: `Bearer ${lead}` } });
      times.push(performance.now() - a);
      if (res.statusCode !== 200) throw new Error(`${period}: ${res.statusCode} ${res.body}`);
      reported = res.json<{ kpis: { key: string; value: number }[] }>().kpis.find((k) => k.key === 'reported')!.value;
    }
    times.sort((x, y) => x - y);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1);
    console.log(`| ${period} | ${reported} reported in the period | ${q(0.5)} | ${q(0.95)} | ${times[times.length - 1]!.toFixed(1)} |`);
  }
} finally {
  await s.close();
}
