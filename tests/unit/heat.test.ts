import { describe, expect, it } from 'vitest';
import { distanceM } from '../../shared/geo.ts';
import { addDwell, cellCentre, cellOf, makeGrid, topPoints, type DwellPoint } from '../../server/heat/grid.ts';
import { addDays, dayCounts, QuarterCalendar, streetHourMatrix, QUARTER_MS } from '../../server/heat/local-buckets.ts';
import { SLICE_MS, UnitDwell } from '../../server/heat/unit-dwell.ts';
import type { HistoryPoint, HistoryPort } from '../../server/history/history-store.ts';
import Database from 'better-sqlite3';
import { migrate } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { AlarmRepo } from '../../server/alarms/alarm-repo.ts';
import { HeatEventQueries } from '../../server/heat/event-queries.ts';
import { EventSlices } from '../../server/heat/event-slices.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import type { Alarm } from '../../shared/alarms.ts';

// A 0.01° × 0.01° box at 36.6° N. By hand (R = 6,371,008.8 m): 1° of latitude = 111,195.08 m, so a
// 100 m cell is 0.00089932° tall; 1° of longitude at 36.605° = 89,262 m, so it is 0.00112028° wide;
// the box is 892.6 m wide → 9 columns, 1,111.9 m tall → 12 rows.
const BBOX = [117.0, 36.6, 117.01, 36.61] as const;
const g = makeGrid(BBOX, 100);
const D_LAT = 0.0008993204;
const D_LON = 0.0011202779;

describe('heat grid', () => {
  it('lays 100 m cells over the bbox', () => {
    expect(g.cols).toBe(9);
    expect(g.rows).toBe(12);
    expect(g.dLat).toBeCloseTo(D_LAT, 9);
    expect(g.dLon).toBeCloseTo(D_LON, 9);
    // Neighbouring centres are 100 m apart by the shared geodesy, both ways.
    const [lon0, lat0] = cellCentre(g, 0);
    const [lon1, lat1] = cellCentre(g, 1);
    const [lonN, latN] = cellCentre(g, g.cols);
    expect(distanceM(lon0, lat0, lon1, lat1)).toBeCloseTo(100, 0);
    expect(distanceM(lon0, lat0, lonN, latN)).toBeCloseTo(100, 0);
  });

  it('finds the cell of a point, row-major from the south-west, and -1 outside', () => {
    // 250 m east and 150 m north of the corner: column 2, row 1.
    expect(cellOf(g, 117 + 2.5 * D_LON, 36.6 + 1.5 * D_LAT)).toBe(1 * 9 + 2);
    expect(cellOf(g, 117.000001, 36.600001)).toBe(0);
    expect(cellOf(g, 116.9999, 36.605)).toBe(-1);
    expect(cellOf(g, 117.005, 36.6115)).toBe(-1); // north of the last row
    expect(cellCentre(g, 11)).toEqual([expect.closeTo(117.0028007, 6), expect.closeTo(36.6013490, 6)]);
  });

  it('credits dwell time to the cell a unit was in until its next point, at most the gap, clipped to the window, not while offline', () => {
    const A = [117 + 0.5 * D_LON, 36.6 + 0.5 * D_LAT] as const; // cell 0
    const B = [117 + 3.5 * D_LON, 36.6 + 0.5 * D_LAT] as const; // cell 3
    const C = [117 + 0.5 * D_LON, 36.6 + 2.5 * D_LAT] as const; // cell 18
    const p = (s: number, [lon, lat]: readonly [number, number], connectivity = 'online'): DwellPoint => ({ ts: s * 1000, lon, lat, connectivity });
    const track = [p(0, A), p(60, A), p(120, B), p(1000, B, 'offline'), p(1100, C), { ts: 1150_000, lon: null, lat: null, connectivity: 'online' }];
    const w = new Float64Array(9 * 12);
    // Window 30 s .. 1,200 s, gap 300 s. By hand: A 30..60 + 60..120 = 90 s; B 120..420 (the gap, not 1,000) = 300 s;
    // nothing while offline; C 1,100..1,150 (the next point, without a position) = 50 s.
    addDwell(g, track, 30_000, 1_200_000, 300_000, w);
    expect(w[0]).toBe(90);
    expect(w[3]).toBe(300);
    expect(w[18]).toBe(50);
    expect(w.reduce((a, b) => a + b, 0)).toBe(440);
  });

  it('answers the heaviest cells first, capped, with the total of all and rounded centres', () => {
    const w = new Float64Array(9 * 12);
    w[5] = 3; w[7] = 10.4; w[2] = 3;
    const top = topPoints(g, w, 2);
    // cell 7 = row 0, column 7: 117 + 7.5 × 0.00112028 = 117.0084021 → 117.0084; latitude 36.6 + 0.5 × 0.00089932 = 36.6004497 → 36.60045
    expect(top.points).toEqual([[117.0084, 36.60045, 10], [117.0028, 36.60045, 3]]);
    expect(top).toMatchObject({ total: 16, max: 10, truncated: true });
    expect(topPoints(g, w, 10, (c) => c !== 7)).toMatchObject({ total: 6, max: 3, truncated: false });
    expect(topPoints(g, new Float64Array(4), 10)).toEqual({ points: [], total: 0, max: 0, truncated: false });
  });
});

describe('local hours and days (district time zone)', () => {
  const sh = new QuarterCalendar('Asia/Shanghai');
  const q = (iso: string) => Math.floor(Date.parse(iso) / QUARTER_MS);

  it('maps UTC quarter hours to the local hour and day', () => {
    expect(sh.hourOfQuarter(q('2026-11-27T15:50:00Z'))).toBe(23); // 23:50 in Jinan
    expect(sh.dayOfQuarter(q('2026-11-27T15:50:00Z'))).toBe('2026-11-27');
    expect(sh.hourOfQuarter(q('2026-11-27T16:05:00Z'))).toBe(0); // 00:05 the next day
    expect(sh.dayOfQuarter(q('2026-11-27T16:05:00Z'))).toBe('2026-11-28');
    expect(sh.midnight('2026-11-28')).toBe(Date.UTC(2026, 10, 27, 16));
  });

  it('follows a daylight-saving zone across its changes', () => {
    const ny = new QuarterCalendar('America/New_York');
    expect(ny.midnight('2026-03-08')).toBe(Date.UTC(2026, 2, 8, 5)); // EST, the day the clocks go forward at 02:00
    expect(ny.hourOfQuarter(q('2026-03-08T07:30:00Z'))).toBe(3); // 03:30 EDT
    expect(ny.midnight('2026-11-01')).toBe(Date.UTC(2026, 10, 1, 4)); // still EDT at midnight
    expect(ny.hourOfQuarter(q('2026-11-01T06:30:00Z'))).toBe(1); // 01:30 EST, the second one
  });

  it('adds calendar days across months and years', () => {
    expect(addDays('2026-11-28', -29)).toBe('2026-10-30');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });

  it('builds the street × hour matrix and the day counts', () => {
    const rows = [
      { street: '370102001', q: q('2026-11-27T15:50:00Z'), n: 2 }, // 23 h
      { street: '370102001', q: q('2026-11-28T15:45:00Z'), n: 1 }, // 23 h the next day
      { street: '370102002', q: q('2026-11-27T16:05:00Z'), n: 4 }, // 0 h
      { street: '999999999', q: q('2026-11-27T16:05:00Z'), n: 9 }, // not a street of the list
    ];
    const m = streetHourMatrix(rows, ['370102001', '370102002', '370102003'], sh);
    expect(m).toHaveLength(3);
    expect(m.every((r) => r.length === 24)).toBe(true);
    expect(m[0]![23]).toBe(3);
    expect(m[1]![0]).toBe(4);
    expect(m.flat().reduce((a, b) => a + b, 0)).toBe(7);
    expect(dayCounts(rows, ['2026-11-27', '2026-11-28'], sh)).toEqual([2, 1 + 4 + 9]);
  });
});

describe('unit dwell slices', () => {
  const H0 = Date.UTC(2026, 10, 28, 0); // an hour boundary: 08:00 in Jinan
  const DAY_MS = 86_400_000;
  const cellA = [117 + 0.5 * D_LON, 36.6 + 0.5 * D_LAT] as const;
  function fakeHistory() {
    const calls: [number, number][] = [];
    // One staff member standing in cell 0, a kept point every 60 s from H0 − 1 h to H0 + 3 h.
    const points: HistoryPoint[] = [];
    for (let t = H0 - 3_600_000; t <= H0 + 3 * 3_600_000; t += 60_000) points.push({ ts: t, lon: cellA[0], lat: cellA[1], status: 'onDuty', connectivity: 'online', attrs: {} });
    const port: Pick<HistoryPort, 'window' | 'daily'> = {
      async window(from, to) {
        calls.push([from, to]);
        return new Map([['staff-0001', points.filter((p) => p.ts >= from && p.ts <= to)]]);
      },
      // The roll-up: units' points only on the local day 2026-11-28 (H0 − 1 h … H0 + 3 h is 07:00–11:00 in Jinan); bins every day.
      async daily(fromDay, toDay) {
        return fromDay <= '2026-11-28' && toDay >= '2026-11-28'
          ? [{ day: '2026-11-28', orgCode: '370102001', kind: 'staff', reports: 240, points: 240, distanceM: 0, onlineS: 14_400 }, { day: '2026-11-28', orgCode: '370102001', kind: 'bin', reports: 9, points: 9, distanceM: 0, onlineS: 0 }]
          : [{ day: fromDay, orgCode: '370102001', kind: 'bin', reports: 3, points: 3, distanceM: 0, onlineS: 0 }];
      },
    };
    return { port: port as HistoryPort, calls };
  }

  it('sums whole hours, computes a final hour once and a running one at most once a minute', async () => {
    let now = H0 + 5 * 3_600_000;
    const { port, calls } = fakeHistory();
    const d = new UnitDwell(port, g, { now: () => now, timeZone: 'Asia/Shanghai', maxGapMs: 300_000, settleMs: 15_000 });
    expect(UnitDwell.align(H0 + 1, H0 + SLICE_MS + 1)).toEqual({ from: H0, to: H0 + 2 * SLICE_MS });
    const w = new Float64Array(9 * 12);
    await d.addTo(H0, H0 + 2 * SLICE_MS, w);
    // Standing in cell 0 the whole two hours: 7,200 s; each hour read with 5 min either side.
    expect(w[0]).toBe(7200);
    expect(calls).toEqual([[H0 + SLICE_MS - 300_000, H0 + 2 * SLICE_MS + 300_000], [H0 - 300_000, H0 + SLICE_MS + 300_000]]); // newest first
    await d.addTo(H0, H0 + 2 * SLICE_MS, w);
    expect(w[0]).toBe(14_400);
    expect(calls).toHaveLength(2); // from memory

    // An hour still running (or not yet settled in history) is recomputed after a minute.
    now = H0 + 3 * SLICE_MS + 60_000;
    await d.addTo(H0 + 2 * SLICE_MS, H0 + 3 * SLICE_MS, new Float64Array(9 * 12));
    await d.addTo(H0 + 2 * SLICE_MS, H0 + 3 * SLICE_MS, new Float64Array(9 * 12));
    expect(calls).toHaveLength(3);
    now += 61_000;
    await d.addTo(H0 + 2 * SLICE_MS, H0 + 3 * SLICE_MS, new Float64Array(9 * 12));
    expect(calls).toHaveLength(4);
  });

  it('warms final hours newest first and keeps at most its capacity', async () => {
    const now = H0 + 3 * SLICE_MS + 400_000;
    const { port, calls } = fakeHistory();
    const d = new UnitDwell(port, g, { now: () => now, timeZone: 'Asia/Shanghai', maxGapMs: 300_000, settleMs: 15_000, capacity: 2 });
    // Final: hours ending by now − 5 min − 15 s, i.e. H0+2h (ends H0+3h) is final; the running hour H0+3h is not.
    expect(await d.warm(H0, now, 0)).toBe(0); // no budget, no work
    expect(await d.warm(H0, now, 1000)).toBe(3);
    expect(calls.map(([from]) => from + 300_000)).toEqual([H0 + 2 * SLICE_MS, H0 + SLICE_MS, H0]);
    expect(d.size).toBe(2); // the oldest computed went first
  });

  it('leaves the hours a request has no time for to the warmer, and says how many', async () => {
    const now = H0 + 5 * SLICE_MS;
    const { port, calls } = fakeHistory();
    const d = new UnitDwell(port, g, { now: () => now, timeZone: 'Asia/Shanghai', maxGapMs: 300_000, settleMs: 15_000 });
    const w = new Float64Array(9 * 12);
    expect(await d.addTo(H0, H0 + 2 * SLICE_MS, w, 0)).toBe(2);
    expect(calls).toHaveLength(0);
    expect(w[0]).toBe(0);
    expect(d.backlog).toBe(2);
    expect(await d.warmWanted(10_000)).toBe(2);
    expect(calls.map(([from]) => from + 300_000)).toEqual([H0 + SLICE_MS, H0]); // newest first
    expect(d.backlog).toBe(0);
    expect(await d.addTo(H0, H0 + 2 * SLICE_MS, w, 0)).toBe(0);
    expect(w[0]).toBe(7200);
    expect(d.bytes).toBe(2 * 8); // one cell an hour
  });

  it('skips hours of local days without any unit point in the roll-up, without decoding them', async () => {
    const now = H0 + 10 * DAY_MS;
    const { port, calls } = fakeHistory();
    const d = new UnitDwell(port, g, { now: () => now, timeZone: 'Asia/Shanghai', maxGapMs: 300_000, settleMs: 15_000 });
    const w = new Float64Array(9 * 12);
    // Two days before (only bins reported) and the 28th's first two hours (07:00–08:00 local has points from H0 − 1 h).
    await d.addTo(H0 - 2 * DAY_MS, H0 - 2 * DAY_MS + 3 * SLICE_MS, w);
    expect(calls).toHaveLength(0);
    await d.addTo(H0 - SLICE_MS, H0 + SLICE_MS, w);
    expect(calls).toHaveLength(2);
    expect(w[0]).toBe(7200);
  });
});

describe('event slices (cases and alarms per hour)', () => {
  const T = Date.UTC(2026, 10, 27, 0); // an hour boundary
  const M = 60_000;
  const cell0 = [117 + 0.5 * D_LON, 36.6 + 0.5 * D_LAT] as const;
  const cell3 = [117 + 3.5 * D_LON, 36.6 + 0.5 * D_LAT] as const;
  const alarm = (street: string, pos: readonly [number, number] | null, ts: number): Alarm => ({
    id: 0, type: 'deviceOffline', severity: 'minor', entityId: `bin-${ts}`, entityKind: 'bin', entityName: 'b', orgCode: street, gridId: 'g',
    lon: pos?.[0] ?? null, lat: pos?.[1] ?? null, startTs: ts, updateTs: ts, endTs: ts, active: false, ackBy: null, ackTs: null, clearedBy: null,
    detail: '', value: null, caseId: null, version: 1,
  });

  it('adds the edges from the store and whole hours from memory, by street, and recomputes hours a late row falls in', async () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS);
    const sql = new SqliteStore(db);
    const repo = new AlarmRepo(sql);
    await repo.insert(alarm('370102001', cell0, T + 30 * M)); // in the window's first, partial hour
    await repo.insert(alarm('370102002', cell0, T + 75 * M));
    await repo.insert(alarm('370102001', cell3, T + 170 * M));
    await repo.insert(alarm('370102001', null, T + 175 * M)); // no position: not on the map
    await repo.insert(alarm('370102001', cell3, T + 185 * M)); // after the window
    await repo.insert(alarm('370102001', cell3, T + 19 * M)); // before the window
    const slices = new EventSlices(new HeatEventQueries(sql), 'alarms', g, ['370102001', '370102002'], { now: () => T + 10 * 3_600_000, settleMs: 10_000 });
    const sum = async (street?: string) => {
      const w = new Float64Array(9 * 12);
      await slices.addTo(T + 20 * M, T + 180 * M, w, street);
      return [w[0], w[3], w.reduce((a, b) => a + b, 0)];
    };
    expect(await sum()).toEqual([2, 1, 3]);
    expect(slices.stats.computed).toBe(2); // 01:00 and 02:00; 00:20–01:00 read as an edge
    // Street × local hour (T is 08:00 in Jinan), every alarm, the one without a position too: 08:30 in 001; 09:15 in 002; 10:50 and 10:55 in 001.
    const m = streetHourMatrix(await slices.quarterCounts(T + 20 * M, T + 180 * M), ['370102001', '370102002'], new QuarterCalendar('Asia/Shanghai'));
    const expected = [new Array(24).fill(0), new Array(24).fill(0)];
    expected[0]![8] = 1; expected[0]![10] = 2; expected[1]![9] = 1;
    expect(m).toEqual(expected);
    expect(slices.stats.computed).toBe(2); // from the same hours
    expect(await sum('370102001')).toEqual([1, 1, 2]);
    expect(await sum('370102002')).toEqual([1, 0, 1]);
    expect(slices.stats.computed).toBe(2);
    await repo.insert(alarm('370102002', cell3, T + 90 * M)); // written late, in a cached hour
    expect(await sum()).toEqual([2, 2, 4]);
    expect(slices.stats.invalidated).toBe(2);
    expect(slices.stats.computed).toBe(4);
  });

  it('reads an hour not yet settled from the store every time', async () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS);
    const sql = new SqliteStore(db);
    let now = T + 2 * 3_600_000 + 5_000; // 5 s after 02:00: the hour 01:00 may still get rows
    const slices = new EventSlices(new HeatEventQueries(sql), 'alarms', g, ['370102001'], { now: () => now, settleMs: 10_000 });
    const count = async () => { const w = new Float64Array(9 * 12); await slices.addTo(T, T + 2 * 3_600_000, w); return w[0]; };
    expect(await count()).toBe(0);
    expect(slices.stats.computed).toBe(1); // 00:00 only
    // A batch written at 02:00:06 with a row of 01:59: that hour is read from the store until it settles, so the row counts.
    now += 1000;
    await new AlarmRepo(sql).insert({ ...alarm('370102001', cell0, T + 119 * M), entityId: 'bin-x', endTs: null });
    expect(await count()).toBe(1);
  });
});

describe('event slices read while other calls run', () => {
  const T = Date.UTC(2026, 10, 27, 0);
  const at = [117 + 0.5 * D_LON, 36.6 + 0.5 * D_LAT] as const;

  it('answers every hour of its window when another call evicts a held one while it awaits the store', async () => {
    // One event in each of the first two hours; the store answers the read of the second hour only when let go.
    let letGo: () => void = () => {};
    const gate = new Promise<void>((r) => { letGo = r; });
    const queries = {
      maxId: async () => 0,
      earliestSince: async () => null,
      byStreetQuarter: async () => [],
      rows: async (_kind: string, from: number, to: number) => {
        if (from <= T + SLICE_MS && T + SLICE_MS < to) await gate;
        return [T + 10 * 60_000, T + SLICE_MS + 10 * 60_000].filter((ts) => ts >= from && ts < to).map((ts) => [at[0], at[1], '370102001', ts] as [number, number, string, number]);
      },
    } as unknown as HeatEventQueries;
    const slices = new EventSlices(queries, 'alarms', g, ['370102001'], { now: () => T + 10 * SLICE_MS, settleMs: 10_000, capacity: 1 });
    const w0 = new Float64Array(9 * 12);
    await slices.addTo(T, T + SLICE_MS, w0);                       // holds hour 0
    expect(w0[0]).toBe(1);
    const w = new Float64Array(9 * 12);
    const both = slices.addTo(T, T + 2 * SLICE_MS, w);             // hour 0 held, hour 1 read (waits)
    await slices.addTo(T + 5 * SLICE_MS, T + 6 * SLICE_MS, new Float64Array(9 * 12)); // evicts hour 0 (capacity 1)
    letGo();
    await both;
    expect(w[0]).toBe(2);
  });
});

describe('unit dwell read while other calls run', () => {
  it('decodes an hour once when the warmer and a request ask for it at once', async () => {
    const H0 = Date.UTC(2026, 10, 28, 0);
    const points: HistoryPoint[] = [0, 30, 59].map((m) => ({ ts: H0 + m * 60_000, lon: 117.0005, lat: 36.6004, status: 'onDuty', connectivity: 'online', attrs: {} }));
    let reads = 0;
    const port = {
      window: async () => { reads++; await new Promise((r) => setTimeout(r, 5)); return new Map([['staff-0001', points]]); },
      daily: async () => [{ day: '2026-11-28', orgCode: '370102001', kind: 'staff' as const, reports: 3, points: 3, distanceM: 0, onlineS: 3540 }],
      track: async () => [], positionsAt: async () => [], lastKnown: async () => [],
    } satisfies HistoryPort;
    const d = new UnitDwell(port, g, { now: () => H0 + 5 * SLICE_MS, timeZone: 'Asia/Shanghai', maxGapMs: 300_000, settleMs: 15_000 });
    const a = new Float64Array(9 * 12);
    const b = new Float64Array(9 * 12);
    await Promise.all([d.addTo(H0, H0 + SLICE_MS, a), d.warm(H0, H0 + SLICE_MS, 1000), d.addTo(H0, H0 + SLICE_MS, b)]);
    expect(reads).toBe(1);
    expect(d.stats.computed).toBe(1);
    // Points at 0, 30 and 59 min, each credited at most the 5-min gap: 5 + 5 + 1 (to the hour's end) minutes in cell 0, for both requests.
    expect([a[0], b[0]]).toEqual([660, 660]);
  });
});
