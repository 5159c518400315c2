/**
 * Heat charts over a month: the real app (SIM off) on a temp SQLite file, filled with 30 days
 * of cases (300 a day) and alarms (3,300 a day, as the simulated day raises) at the district's
 * real bin and toilet places, and the last day of the whole mobile fleet's history (≈1,870
 * staff, vehicles and muck trucks walking and driving, a kept point every 30 s) written through
 * the history store's own listener and writer. Then every heat endpoint over a 30-day window
 * through Fastify (`app.inject`, the wall's display token): the first call, then p50 / p95.
 *
 *   npm run bench -- heat
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { CasesRepo } from '../../server/cases/cases-repo.ts';
import { AlarmRepo } from '../../server/alarms/alarm-repo.ts';
import type { LiveChange, EntityState } from '../../server/live/change-stream.ts';
import { MOBILE_KINDS } from '../../shared/entities.ts';
import { ALARM_TYPES } from '../../shared/alarms.ts';
import { HeatService } from '../../server/heat/heat-service.ts';

const DAYS = 30;
const CASES_PER_DAY = 300;
const ALARMS_PER_DAY = 3300;
const RUNS = 30;
const H = 3_600_000;
const DAY = 24 * H;

const dataDir = mkdtempSync(join(tmpdir(), 'cityops-heat-bench-'));
const config = loadConfig({ DATA_DIR: dataDir, SIM_ENABLED: 'false', LOG_LEVEL: 'silent', PORT: '0' });
const { app, firstStart } = await buildApp(config, { logger: false, clientRoot: join(dataDir, 'no-client') });
await app.ready();
const token = firstStart!.wallToken;

// Deterministic randomness (mulberry32).
let seed = 7123;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
/** Busier by day: an hour of the local day drawn with more weight 07–20 h. */
const localHour = () => (rnd() < 0.8 ? 7 + Math.floor(rnd() * 13) : Math.floor(rnd() * 24));

const now = Date.now();
const places = app.live.all().filter((e) => (e.kind === 'bin' || e.kind === 'toilet') && e.pos).map((e) => ({ lon: e.pos!.lon, lat: e.pos!.lat, street: e.orgCode, id: e.id }));
const jitter = () => (rnd() - 0.5) * 0.001;
const t0 = performance.now();
const localMidnightToday = Math.floor((now + 8 * H) / DAY) * DAY - 8 * H;
const dayStart = (k: number) => localMidnightToday - k * DAY;
const when = (k: number) => Math.min(now - 1000, dayStart(k) + localHour() * H + Math.floor(rnd() * H));

await app.store.sql.transaction(async (tx) => {
  const cases = new CasesRepo(tx);
  let n = 0;
  for (let k = DAYS - 1; k >= 0; k--) {
    for (let i = 0; i < CASES_PER_DAY; i++) {
      const p = pick(places);
      const ts = when(k);
      await cases.insert({
        code: `B-${k}-${i}`, title: 'bench', description: 'bench', itemCode: '010101', category: 'component', source: pick(['roadChief', 'supervisor', 'hotline', 'citizenPhoto'] as const),
        stage: rnd() < 0.02 ? 'voided' : 'closed', suspended: false, emergency: false, difficulty: 'small', lon: p.lon + jitter(), lat: p.lat + jitter(), streetCode: p.street,
        communityCode: null, gridId: null, address: null, assignedOrg: null, assignment: null, alarmId: null, escalationLevel: 0, reworkCount: 0, reportedBy: 'bench',
        createdTs: ts, updatedTs: ts, closedTs: ts + H, version: 1,
      });
      n++;
    }
  }
  return n;
});
const alarms = new AlarmRepo(app.store.sql);
await app.store.sql.transaction(async (tx) => {
  for (let k = DAYS - 1; k >= 0; k--) {
    for (let i = 0; i < ALARMS_PER_DAY; i++) {
      const p = pick(places);
      const ts = when(k);
      await alarms.insert({
        id: 0, type: pick(ALARM_TYPES), severity: 'minor', entityId: p.id, entityKind: 'bin', entityName: 'b', orgCode: p.street, gridId: 'g', lon: p.lon, lat: p.lat,
        startTs: ts, updateTs: ts, endTs: ts + 600_000, active: false, ackBy: null, ackTs: null, clearedBy: null, detail: '', value: null, caseId: null, version: 1,
      }, tx);
    }
  }
});
const filledEvents = performance.now() - t0;

// The fleet's last day: each mover walks or drives from its place, a report every 30 s, through the history listener.
const movers = app.live.all().filter((e) => MOBILE_KINDS.includes(e.kind));
const speed = { staff: 1.2, vehicle: 4, muckTruck: 8 } as Record<string, number>;
const M_PER_DEG = 111_195;
const t1 = performance.now();
const dayFrom = Math.floor((now - 25 * H) / 1000) * 1000;
const state = movers.map((e) => {
  const p = e.pos ?? pick(places);
  return { e, lon: p.lon, lat: p.lat, heading: rnd() * 2 * Math.PI, prev: undefined as EntityState | undefined };
});
const store = app.historyStore;
for (let t = dayFrom; t < dayFrom + DAY; t += 30_000) {
  for (const s of state) {
    // Moving 60 % of the time, turning a little; the next place is 30 s away at the kind's speed.
    if (rnd() < 0.6) {
      s.heading += (rnd() - 0.5) * 0.8;
      const d = speed[s.e.kind]! * 30;
      s.lon += (Math.sin(s.heading) * d) / (M_PER_DEG * 0.8);
      s.lat += (Math.cos(s.heading) * d) / M_PER_DEG;
    }
    const after: EntityState = { status: s.e.status, pos: { lon: s.lon, lat: s.lat, ts: t }, attrs: s.e.attrs as unknown as Record<string, unknown>, connectivity: 'online', lastSeen: t };
    store.onChange({ type: 'report', entity: s.e, before: s.prev ?? after, after, version: 1, at: t } as LiveChange);
    s.prev = after;
  }
  if ((t - dayFrom) % 600_000 === 0) await store.flush();
}
await store.flush();
const filledFleet = performance.now() - t1;

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0; };
async function get(url: string): Promise<{ ms: number; bytes: number; json: { pendingHours?: number } }> {
  const a = performance.now();
  const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const ms = performance.now() - a;
  if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
  return { ms, bytes: r.rawPayload.length, json: r.json() };
}
async function measure(label: string, url: string): Promise<[string, string]> {
  const times: number[] = [];
  let bytes = 0;
  const first = await get(url);
  for (let i = 0; i < RUNS; i++) {
    const r = await get(url);
    bytes = r.bytes;
    times.push(r.ms);
  }
  return [label, `first ${fmt(first.ms)}, then p50 ${fmt(q(times, 0.5))} / p95 ${fmt(q(times, 0.95))} (${RUNS} runs), ${(bytes / 1024).toFixed(1)} KiB`];
}
/** Units on a cold cache: the first answer is partial (the request decodes ~150 ms of history); the warmer does the rest. */
async function coldUnits(url: string): Promise<[string, string]> {
  const first = await get(url);
  const w0 = performance.now();
  const hours = app.heat.unitDwell.backlog;
  while (app.heat.unitDwell.backlog > 0) await app.heat.unitDwell.warmWanted(300);
  const warmMs = performance.now() - w0;
  const again = await get(url);
  return ['heat units 30 d, cold', `first ${fmt(first.ms)} (partial: ${first.json.pendingHours} h pending); the warmer's ${hours} h of the fleet's day in ${(warmMs / 1000).toFixed(1)} s CPU (${fmt(warmMs / Math.max(1, hours))} an hour); then ${fmt(again.ms)}, pending ${again.json.pendingHours}`];
}

const from = now - DAYS * DAY;
const w = `from=${from}&to=${now}`;
/** What the server's warmer does once after start (and a first request would without it): a fresh service's first reads. */
async function coldEvents(): Promise<[string, string]> {
  const fresh = new HeatService({ sql: app.store.sql, pack: app.district.pack, history: app.history, now: Date.now, historySettleMs: 15_000 });
  const t = async (f: () => Promise<unknown>) => { const a = performance.now(); await f(); return performance.now() - a; };
  const parts = [
    `cases layer ${fmt(await t(() => fresh.heat('cases', from, now, undefined)))}`,
    `alarms layer ${fmt(await t(() => fresh.heat('alarms', from, now, undefined)))}`,
    `then street-hour alarms ${fmt(await t(() => fresh.streetHour('alarms', from, now)))}`,
  ];
  return ['cold month (fresh cache)', `${parts.join(', ')}; the server's warmer reads them soon after start`];
}
const rows: [string, string][] = [
  ['filled', `${(DAYS * CASES_PER_DAY).toLocaleString('en')} cases, ${(DAYS * ALARMS_PER_DAY).toLocaleString('en')} alarms in ${(filledEvents / 1000).toFixed(1)} s; a day of ${movers.length.toLocaleString('en')} movers (${store.stats.pointsWritten.toLocaleString('en')} kept points) in ${(filledFleet / 1000).toFixed(1)} s`],
  await coldEvents(),
  await measure('heat cases 30 d', `/api/heat?kind=cases&${w}`),
  await measure('heat alarms 30 d', `/api/heat?kind=alarms&${w}`),
  await coldUnits(`/api/heat?kind=units&${w}`),
  await measure('heat units 30 d, warm', `/api/heat?kind=units&${w}`),
  await measure('heat cases 30 d, one street', `/api/heat?kind=cases&${w}&street=${places[0]!.street}`),
  await measure('heat units 30 d, one street', `/api/heat?kind=units&${w}&street=${places[0]!.street}`),
  await measure('street-hour cases 30 d', `/api/heat/street-hour?kind=cases&${w}`),
  await measure('street-hour alarms 30 d', `/api/heat/street-hour?kind=alarms&${w}`),
  await measure('calendar cases 30 d', '/api/heat/calendar?kind=cases&days=30'),
  await measure('calendar alarms 30 d', '/api/heat/calendar?kind=alarms&days=30'),
];
const unitSlices = app.heat.unitDwell.stats;
rows.push(['unit-dwell hours', `${unitSlices.computed} computed from history, ${unitSlices.hits} answered from memory; ${app.heat.unitDwell.size} held in ${(app.heat.unitDwell.bytes / 1024).toFixed(0)} KiB`]);
const width = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(`\nHeat over a month (30-day window, through Fastify)\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`);
await app.close();
rmSync(dataDir, { recursive: true, force: true });
