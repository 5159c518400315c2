/**
 * The heat routes over a known set: cases and alarms written through their repositories at
 * known places and local times, a staff member's track through the history store's own
 * listener; the answers checked cell by cell against hand-computed values, and malformed
 * queries refused with the field named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CasesRepo, type CaseRecord } from '../../server/cases/cases-repo.ts';
import { AlarmRepo } from '../../server/alarms/alarm-repo.ts';
import type { LiveChange } from '../../server/live/change-stream.ts';
import { distanceM } from '../../shared/geo.ts';
import type { Alarm } from '../../shared/alarms.ts';
import { call, login } from './ops-http.ts';
import { startServer, type RunningServer } from './server-harness.ts';

const H = 3_600_000;
const DAY = 24 * H;
/** Jinan is UTC+8 all year: a local day starts at 16:00 UTC the day before. */
const localMidnight = (ts: number) => Math.floor((ts + 8 * H) / DAY) * DAY - 8 * H;
const localDay = (ts: number) => new Date(ts + 8 * H).toISOString().slice(0, 10);

const P1 = [117.05, 36.65] as const;
const P2 = [117.1, 36.66] as const;
const P3 = [117.12, 36.62] as const;

let s: RunningServer;
let admin: string;
let S1: string; let S2: string; let S3: string;
const today0 = localMidnight(Date.now());

function caseAt(code: string, street: string, [lon, lat]: readonly [number, number], createdTs: number, stage: CaseRecord['stage'] = 'registered'): Omit<CaseRecord, 'id'> {
  return {
    code, title: 'test', description: 'test', itemCode: '010101', category: 'component', source: 'supervisor', stage, suspended: false,
    emergency: false, difficulty: 'small', lon, lat, streetCode: street, communityCode: null, gridId: null, address: null, assignedOrg: null,
    assignment: null, alarmId: null, escalationLevel: 0, reworkCount: 0, reportedBy: 'test', createdTs, updatedTs: createdTs, closedTs: null, version: 1,
  };
}

function alarmAt(entityId: string, street: string, pos: readonly [number, number] | null, startTs: number): Alarm {
  return {
    id: 0, type: 'deviceOffline', severity: 'minor', entityId, entityKind: 'bin', entityName: 'b', orgCode: street, gridId: 'g', lon: pos?.[0] ?? null,
    lat: pos?.[1] ?? null, startTs, updateTs: startTs, endTs: startTs + 1000, active: false, ackBy: null, ackTs: null, clearedBy: null, detail: '', value: null,
    caseId: null, version: 1,
  };
}

beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false' });
  admin = await login(s.url, 'admin', s.firstStart!.adminPassword!);
  [S1, S2, S3] = s.app.district.pack.streets.features.map((f) => f.properties.code) as [string, string, string];
  const cases = new CasesRepo(s.app.store.sql);
  const yesterday = today0 - DAY;
  await cases.insert(caseAt('T-1', S1, P1, yesterday + 8 * H + 10 * 60_000)); // yesterday 08:10
  await cases.insert(caseAt('T-2', S1, [P1[0] + 0.0001, P1[1]], yesterday + 8 * H + 50 * 60_000)); // 08:50, 9 m east: the same cell
  await cases.insert(caseAt('T-3', S2, P2, today0 - 2 * DAY + 23 * H + 30 * 60_000)); // the day before, 23:30
  await cases.insert(caseAt('T-4', S1, P1, yesterday + 9 * H, 'voided')); // voided: not a problem, not counted
  await cases.insert(caseAt('T-5', S1, P1, today0 - 3 * DAY + 12 * H)); // three days ago: outside the window, in the calendar
  const alarms = new AlarmRepo(s.app.store.sql);
  await alarms.insert(alarmAt('bin-00001', S3, P3, yesterday + 9 * H + 5 * 60_000)); // 09:05
  await alarms.insert(alarmAt('bin-00002', S3, null, yesterday + 9 * H + 40 * 60_000)); // 09:40, no position
}, 60_000);
afterAll(async () => { await s?.close(); });

const window = () => `from=${today0 - 2 * DAY}&to=${today0}`;
const near = (points: [number, number, number][], [lon, lat]: readonly [number, number]) =>
  // A point lies within half a cell's diagonal (71 m) of its cell's centre.
  points.filter((p) => distanceM(p[0], p[1], lon, lat) < 71);

describe('heat over a known set', () => {
  it('answers cases and alarms as weighted cells, by street too', async () => {
    const r = await call(s.url, admin, 'GET', `/api/heat?kind=cases&${window()}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ kind: 'cases', from: today0 - 2 * DAY, to: today0, street: null, cellM: 100, unit: 'count', total: 3, max: 2, truncated: false, pendingHours: 0 });
    expect(r.json.points).toHaveLength(2);
    expect(near(r.json.points, P1)).toEqual([[expect.any(Number), expect.any(Number), 2]]);
    expect(near(r.json.points, P2)).toEqual([[expect.any(Number), expect.any(Number), 1]]);
    expect(r.json.points[0][2]).toBe(2); // heaviest first

    const s2 = await call(s.url, admin, 'GET', `/api/heat?kind=cases&${window()}&street=${S2}`);
    expect(s2.json).toMatchObject({ street: S2, total: 1 });
    expect(near(s2.json.points, P2)).toHaveLength(1);

    const a = await call(s.url, admin, 'GET', `/api/heat?kind=alarms&${window()}`);
    expect(a.json).toMatchObject({ kind: 'alarms', total: 1, max: 1 });
    expect(near(a.json.points, P3)).toHaveLength(1);
  });

  it('counts street × local hour of day', async () => {
    const r = await call(s.url, admin, 'GET', `/api/heat/street-hour?kind=cases&${window()}`);
    expect(r.status).toBe(200);
    expect(r.json.timeZone).toBe('Asia/Shanghai');
    expect(r.json.streets).toHaveLength(13);
    expect(r.json.streets[0]).toEqual({ code: S1, name: s.app.district.pack.streets.features[0]!.properties.name });
    const expected = Array.from({ length: 13 }, () => new Array(24).fill(0));
    expected[0]![8] = 2; // T-1, T-2 at 08:xx in S1
    expected[1]![23] = 1; // T-3 at 23:30 in S2
    expect(r.json.counts).toEqual(expected);
    expect(r.json.total).toBe(3);

    const a = await call(s.url, admin, 'GET', `/api/heat/street-hour?kind=alarms&${window()}`);
    const ea = Array.from({ length: 13 }, () => new Array(24).fill(0));
    ea[2]![9] = 2; // both alarms of S3 at 09:xx, the one without a position too
    expect(a.json.counts).toEqual(ea);
  });

  it('counts per local day for the calendar', async () => {
    const r = await call(s.url, admin, 'GET', `/api/heat/calendar?kind=cases&days=4&street=${S1}`);
    expect(r.status).toBe(200);
    const days = [3, 2, 1, 0].map((k) => localDay(today0 - k * DAY + H));
    // S1: T-5 three days ago; T-1 and T-2 yesterday (T-4 voided); nothing today.
    expect(r.json.days).toEqual([{ day: days[0], count: 1 }, { day: days[1], count: 0 }, { day: days[2], count: 2 }, { day: days[3], count: 0 }]);
    expect(r.json.total).toBe(3);
    const all = await call(s.url, admin, 'GET', '/api/heat/calendar');
    expect(all.json.days).toHaveLength(30);
    expect(all.json.days.at(-1).day).toBe(localDay(Date.now()));
    expect(all.json.days.slice(-4, -1).map((d: { count: number }) => d.count)).toEqual([1, 1, 2]);
  });

  it('answers where a unit spent its time, from history, in whole hours', async () => {
    const staff = s.app.live.all().find((e) => e.kind === 'staff')!;
    const h0 = today0 - DAY + 10 * H; // yesterday 10:00, an hour boundary
    const A = P1;
    const B = [P1[0] + 0.002, P1[1]] as const; // 179 m east
    const state = (pos: readonly [number, number], at: number) => ({
      status: staff.status, pos: { lon: pos[0], lat: pos[1], ts: at }, attrs: staff.attrs as unknown as Readonly<Record<string, unknown>>, connectivity: 'online' as const, lastSeen: at,
    });
    let before = state(A, h0);
    const feed = (pos: readonly [number, number], at: number) => {
      const after = state(pos, at);
      s.app.historyStore.onChange({ type: 'report', entity: staff, before, after, version: 1, at } as LiveChange);
      before = after;
    };
    // At A from 10:10, at B from 10:20, a point again at B at 10:25, then silence.
    feed(A, h0 + 600_000);
    feed(B, h0 + 1_200_000);
    feed(B, h0 + 1_500_000);
    await s.app.historyStore.flush();
    const r = await call(s.url, admin, 'GET', `/api/heat?kind=units&from=${h0 + 60_000}&to=${h0 + H - 60_000}`);
    expect(r.status).toBe(200);
    // Whole hours: 10:00–11:00. By hand, 5 min being the longest credited gap (a unit reporting has a kept point at least
    // every HISTORY_MAX_GAP_S): A 10:10–10:15 = 300 s (then silence until 10:20); B 10:20–10:25 and 10:25–10:30 = 600 s.
    expect(r.json).toMatchObject({ kind: 'units', from: h0, to: h0 + H, unit: 'seconds', total: 900, max: 600, pendingHours: 0 });
    expect(near(r.json.points, A)).toEqual([[expect.any(Number), expect.any(Number), 300]]);
    expect(near(r.json.points, B)).toEqual([[expect.any(Number), expect.any(Number), 600]]);
    // By place: each cell counts for the street its centre lies in, so the 13 streets' totals add up to the whole once.
    const byStreet = await Promise.all(s.app.district.pack.streets.features.map((f) => call(s.url, admin, 'GET', `/api/heat?kind=units&from=${h0}&to=${h0 + H}&street=${f.properties.code}`)));
    expect(byStreet.reduce((sum, x) => sum + (x.json.total as number), 0)).toBe(900);
  });

  it('lets the wall read it, not the anonymous; refuses malformed queries naming the field', async () => {
    expect((await call(s.url, s.firstStart!.wallToken, 'GET', `/api/heat?kind=cases&${window()}`)).status).toBe(200);
    expect((await call(s.url, s.firstStart!.wallToken, 'GET', '/api/heat/street-hour')).status).toBe(200);
    expect((await call(s.url, undefined, 'GET', `/api/heat?kind=cases&${window()}`)).status).toBe(401);
    const refusals: [string, RegExp][] = [
      ['/api/heat?kind=bins', /kind/],
      ['/api/heat', /kind/],
      ['/api/heat?kind=cases&from=abc', /from/],
      [`/api/heat?kind=cases&from=${today0}&to=${today0}`, /^to: must be after from/],
      [`/api/heat?kind=cases&from=${today0}&to=${today0 - 1}`, /^to: must be after from/],
      [`/api/heat?kind=cases&from=${today0 - 94 * DAY}&to=${today0}`, /^to: .*93 days/],
      [`/api/heat?kind=units&from=${today0 - 32 * DAY}&to=${today0}`, /^to: for units .*31 days/],
      ['/api/heat?kind=cases&street=370102999', /^street: 370102999 is not a street/],
      ['/api/heat?kind=cases&street=lixia', /street/],
      ['/api/heat/street-hour?kind=units', /kind/],
      ['/api/heat/street-hour?to=-5', /to/],
      ['/api/heat/calendar?days=0', /days/],
      ['/api/heat/calendar?days=94', /days/],
      ['/api/heat/calendar?street=370102999', /^street: /],
      ['/api/heat/calendar?kind=cases&colour=red', /colour|additional/],
    ];
    // Documented in /docs with their query schemas.
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, { get: { parameters: { name: string }[] } }> };
    expect(doc.paths['/api/heat']!.get.parameters.map((p) => p.name).sort()).toEqual(['from', 'kind', 'street', 'to']);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/heat/street-hour', '/api/heat/calendar']));
    for (const [path, message] of refusals) {
      const r = await call(s.url, admin, 'GET', path);
      expect(r.status, path).toBe(400);
      expect(`${r.json.error.message} ${JSON.stringify(r.json.error.details ?? '')}`, path).toMatch(message);
    }
  });
});
