/**
 * The briefing's indicators on a hand-made set of cases and alarms, against values worked out
 * by hand (in the comments), and the periods in the district's local time. Edge cases: a voided
 * case is never due, a street with nothing due has null rates (shown as —, not 0 % or NaN), a
 * late closure counts as closed but not on time, an open case past due is overdue, a reworked
 * case counts in 返工率, a cancelled arrival clock does not count.
 */
import { describe, expect, it } from 'vitest';
import { computeBriefing, rate, type AlarmFact, type CaseFact } from '../../server/analytics/indicators.ts';
import { resolvePeriod } from '../../server/analytics/period.ts';
import { HttpError } from '../../server/http-error.ts';

const TZ = 'Asia/Shanghai';
const H = 3_600_000;
const M = 60_000;
/** 2026-11-27 00:00 in Jinan. */
const Y = Date.parse('2026-11-27T00:00:00+08:00');
/** 2026-11-28 10:00 in Jinan. */
const NOW = Y + 34 * H;
const A = '370102001';
const B = '370102002';
const C = '370102003';
const D01 = '370102D01';
const D03 = '370102D03';

function kase(id: number, f: Partial<CaseFact>): CaseFact {
  return {
    id, streetCode: A, deptCode: D01, difficulty: 'small', createdTs: f.registeredTs ?? 0, registeredTs: null, dueTs: null,
    closureCancelled: false, closedTs: null, dispatchedTs: null, reworkCount: 0, arrival: null, ...f,
  };
}

const CASES: CaseFact[] = [
  // 1: due yesterday 02:00, closed 01:00 (on time), dispatched 10 min after registration (on time).
  kase(1, { registeredTs: Y - 22 * H, dueTs: Y + 2 * H, closedTs: Y + 1 * H, dispatchedTs: Y - 22 * H + 10 * M }),
  // 2: due yesterday 05:00, closed 08:00 (late), dispatched after 45 min (late), reworked once.
  kase(2, { difficulty: 'big', registeredTs: Y - 43 * H, dueTs: Y + 5 * H, closedTs: Y + 8 * H, dispatchedTs: Y - 43 * H + 45 * M, reworkCount: 1 }),
  // 3: due yesterday 20:00, still open (overdue), dispatched after 5 min.
  kase(3, { deptCode: D03, difficulty: 'hard', registeredTs: Y - 52 * H, dueTs: Y + 20 * H, dispatchedTs: Y - 52 * H + 5 * M }),
  // 4: voided: its closure clock was cancelled, never due.
  kase(4, { deptCode: D03, registeredTs: Y - 30 * H, dueTs: Y + 10 * H, closureCancelled: true }),
  // 5: street B, registered yesterday 03:00, due today 03:00, closed today 02:00.
  kase(5, { streetCode: B, registeredTs: Y + 3 * H, dueTs: Y + 27 * H, closedTs: Y + 26 * H, dispatchedTs: Y + 3 * H + 5 * M }),
  // 6: reported yesterday 04:00, never registered.
  kase(6, { createdTs: Y + 4 * H }),
  // 7: emergency registered yesterday 09:00, on scene 3 min after dispatch (met); due today 09:00, open.
  kase(7, { deptCode: D03, registeredTs: Y + 9 * H, dueTs: Y + 33 * H, dispatchedTs: Y + 9 * H + 2 * M, arrival: { startTs: Y + 9 * H + 2 * M, dueTs: Y + 9 * H + 9 * M, endTs: Y + 9 * H + 5 * M, cancelled: false } }),
  // 8: street B emergency, on scene 9 min after dispatch (breached); due after now.
  kase(8, { streetCode: B, deptCode: D03, registeredTs: Y + 11 * H, dueTs: Y + 35 * H, dispatchedTs: Y + 11 * H + M, arrival: { startTs: Y + 11 * H + M, dueTs: Y + 11 * H + 8 * M, endTs: Y + 11 * H + 10 * M, cancelled: false } }),
  // 9: street B emergency whose arrival clock was cancelled (closed before the unit arrived).
  kase(9, { streetCode: B, deptCode: D03, registeredTs: Y + 12 * H, dueTs: Y + 36 * H, dispatchedTs: Y + 12 * H + M, arrival: { startTs: Y + 12 * H + M, dueTs: Y + 12 * H + 8 * M, endTs: Y + 12 * H + 3 * M, cancelled: true } }),
];

const ALARMS: AlarmFact[] = [
  { type: 'muckOffRoute', entityKind: 'muckTruck', entityId: 'm1', startTs: Y + 1 * H },
  { type: 'muckLidOpen', entityKind: 'muckTruck', entityId: 'm1', startTs: Y + 2 * H },
  { type: 'muckSpeeding', entityKind: 'muckTruck', entityId: 'm3', startTs: Y + 3 * H },
  { type: 'deviceOffline', entityKind: 'muckTruck', entityId: 'm2', startTs: Y + 4 * H },
  { type: 'deviceOffline', entityKind: 'staff', entityId: 's1', startTs: Y + 5 * H },
  { type: 'binFull', entityKind: 'bin', entityId: 'b1', startTs: Y + 6 * H },
  // the day before
  { type: 'muckOffRoute', entityKind: 'muckTruck', entityId: 'm3', startTs: Y - 2 * H },
];

function briefing(period: 'yesterday' | 'today') {
  return computeBriefing({
    district: '济南市历下区', timeZone: TZ, now: NOW, period: resolvePeriod({ period }, NOW, TZ),
    cases: CASES, muckAlarms: ALARMS,
    countAlarms: (from: number, to: number) => ALARMS.filter((a) => a.startTs >= from && a.startTs < to).length,
    streets: [{ code: A, name: '解放路街道' }, { code: B, name: '千佛山街道' }, { code: C, name: '趵突泉街道' }],
    departments: [{ code: D01, name: '环卫中心' }, { code: D03, name: '住建局' }],
    muckTrucks: [{ id: 'm1', company: '甲运输' }, { id: 'm2', company: '甲运输' }, { id: 'm3', company: '乙运输' }, { id: 'm4', company: '丙运输' }],
    dispatchTargetMs: 30 * M,
  });
}

const kpi = (b: ReturnType<typeof briefing>, key: string) => b.kpis.find((k) => k.key === key)!;

describe('briefing indicators over a hand-made day', () => {
  const b = briefing('yesterday');

  it('yesterday is 2026-11-27 local, the previous period the 26th', () => {
    expect(b.period).toMatchObject({ kind: 'yesterday', from: Y, to: Y + 24 * H, fromDate: '2026-11-27', toDate: '2026-11-27' });
    expect(b.previous).toEqual({ from: Y - 24 * H, to: Y, fromDate: '2026-11-26', toDate: '2026-11-26' });
  });

  it('counts: reported 5 (cases 5–9), registered 4 (5, 7, 8, 9), closed 2 (1, 2), overdue 2 (2 late, 3 open), alarms 6', () => {
    expect(kpi(b, 'reported')).toEqual({ key: 'reported', value: 5, previous: 1 });
    expect(kpi(b, 'registered')).toEqual({ key: 'registered', value: 4, previous: 1 });
    expect(kpi(b, 'closed').value).toBe(2);
    expect(kpi(b, 'overdue').value).toBe(2);
    expect(kpi(b, 'alarms')).toEqual({ key: 'alarms', value: 6, previous: 1 });
  });

  it('rates over the 3 cases due (the voided one never is): 结案率 2/3, 按期 1/3; nothing was due the day before → null', () => {
    expect(kpi(b, 'closureRate').value).toBeCloseTo(2 / 3, 12);
    expect(kpi(b, 'onTimeClosureRate').value).toBeCloseTo(1 / 3, 12);
    expect(kpi(b, 'closureRate').previous).toBeNull();
    expect(kpi(b, 'onTimeClosureRate').previous).toBeNull();
  });

  it('7-minute arrival 1 of 2 (the cancelled clock left out); mean time to arrive (3 + 9) / 2 = 6 min; to close (23 + 51) / 2 = 37 h', () => {
    expect(b.compliance.arrival).toEqual({ met: 1, total: 2, rate: 0.5 });
    expect(kpi(b, 'arrivalCompliance').value).toBe(0.5);
    expect(kpi(b, 'avgArriveMin').value).toBeCloseTo(6, 12);
    expect(kpi(b, 'avgCloseH').value).toBeCloseTo(37, 12);
    expect(kpi(b, 'avgArriveMin').previous).toBeNull();
  });

  it('street A: 立案 1, due 3, closed 2, on time 1, dispatched on time 2 of 3, reworked 1 of 3 dispatched', () => {
    const a = b.streets.find((s) => s.code === A)!;
    expect(a).toMatchObject({ registered: 1, due: 3, closed: 2, closedOnTime: 1, dispatched: 3, dispatchedOnTime: 2, reworked: 1 });
    expect(a.closureRate).toBeCloseTo(2 / 3, 12);
    expect(a.onTimeClosureRate).toBeCloseTo(1 / 3, 12);
    expect(a.onTimeDispatchRate).toBeCloseTo(2 / 3, 12);
    expect(a.reworkRate).toBeCloseTo(1 / 3, 12);
  });

  it('street B registered 3 but had nothing due: every rate is null, not 0 or NaN; street C is all zeros and nulls', () => {
    const s = b.streets.find((x) => x.code === B)!;
    expect(s).toMatchObject({ registered: 3, due: 0, closureRate: null, onTimeClosureRate: null, onTimeDispatchRate: null, reworkRate: null });
    expect(b.streets.find((x) => x.code === C)).toEqual({
      code: C, name: '趵突泉街道', registered: 0, due: 0, closed: 0, closedOnTime: 0, dispatched: 0, dispatchedOnTime: 0, reworked: 0,
      closureRate: null, onTimeClosureRate: null, onTimeDispatchRate: null, reworkRate: null,
    });
  });

  it('departments: D01 (cases 1, 2 due) 结案率 1, 按期 0.5, 按时派遣 0.5, 返工 0.5; D03 (case 3 due) 0, 0, 1, 0', () => {
    expect(b.departments.find((d) => d.code === D01)).toMatchObject({ registered: 1, due: 2, closureRate: 1, onTimeClosureRate: 0.5, onTimeDispatchRate: 0.5, reworkRate: 0.5 });
    expect(b.departments.find((d) => d.code === D03)).toMatchObject({ registered: 3, due: 1, closureRate: 0, onTimeClosureRate: 0, onTimeDispatchRate: 1, reworkRate: 0 });
  });

  it('7123 closure by difficulty: small 1/1, big 0/1 (late), hard 0/1 (open)', () => {
    expect(b.compliance.closure).toEqual({ small: { met: 1, total: 1, rate: 1 }, big: { met: 0, total: 1, rate: 0 }, hard: { met: 0, total: 1, rate: 0 } });
  });

  it('muck violations by company: 甲 3 on 2 trucks (offline counts), 乙 1, 丙 none; staff and bin alarms and the day before left out', () => {
    expect(b.muck).toEqual([
      { company: '甲运输', trucks: 2, violatingTrucks: 2, total: 3, byType: { offRoute: 1, lidOpen: 1, offline: 1 } },
      { company: '乙运输', trucks: 1, violatingTrucks: 1, total: 1, byType: { speeding: 1 } },
      { company: '丙运输', trucks: 1, violatingTrucks: 0, total: 0, byType: {} },
    ]);
  });

  it('hourly trend of a one-day period', () => {
    expect(b.trend.bucket).toBe('hour');
    expect(b.trend.labels).toHaveLength(24);
    const at = (hours: number[]) => Array.from({ length: 24 }, (_, h) => (hours.includes(h) ? 1 : 0));
    expect(b.trend.reported).toEqual(at([3, 4, 9, 11, 12]));
    expect(b.trend.closed).toEqual(at([1, 8]));
    expect(b.trend.alarms).toEqual(at([1, 2, 3, 4, 5, 6]));
  });

  it('every figure comes with its definition', () => {
    for (const key of ['registered', 'closureRate', 'onTimeClosureRate', 'onTimeDispatchRate', 'reworkRate', ...b.kpis.map((k) => k.key)]) {
      const d = b.definitions.find((x) => x.key === key);
      expect(d?.definition, key).toMatch(/\S{8}/);
    }
    expect(b.definitions.find((d) => d.key === 'onTimeDispatchRate')!.definition).toContain('30 分钟');
  });
});

describe('today against the same hours of yesterday', () => {
  const b = briefing('today');
  it('today 00:00–10:00: due 5 (closed on time) and 7 (open) → 结案率 0.5; yesterday 00:00–10:00: due 1 and 2, both closed → 1', () => {
    expect(b.period).toMatchObject({ from: Y + 24 * H, to: NOW });
    expect(b.previous).toMatchObject({ from: Y, to: Y + 10 * H });
    expect(kpi(b, 'closureRate')).toEqual({ key: 'closureRate', value: 0.5, previous: 1 });
    expect(kpi(b, 'onTimeClosureRate')).toEqual({ key: 'onTimeClosureRate', value: 0.5, previous: 0.5 });
  });
});

describe('periods in local time', () => {
  it('week: the 7 local days up to now, previous the 7 before up to the same time', () => {
    const p = resolvePeriod({ period: 'week' }, NOW, TZ);
    expect(p.current).toEqual({ from: Date.parse('2026-11-22T00:00:00+08:00'), to: NOW, fromDate: '2026-11-22', toDate: '2026-11-28' });
    expect(p.previous).toEqual({ from: Date.parse('2026-11-15T00:00:00+08:00'), to: NOW - 7 * 24 * H, fromDate: '2026-11-15', toDate: '2026-11-21' });
  });

  it('month: 30 days; custom: inclusive local dates', () => {
    expect(resolvePeriod({ period: 'month' }, NOW, TZ).current.fromDate).toBe('2026-10-30');
    const p = resolvePeriod({ period: 'custom', from: '2026-11-01', to: '2026-11-10' }, NOW, TZ);
    expect(p.current).toEqual({ from: Date.parse('2026-11-01T00:00:00+08:00'), to: Date.parse('2026-11-11T00:00:00+08:00'), fromDate: '2026-11-01', toDate: '2026-11-10' });
    expect(p.previous).toEqual({ from: Date.parse('2026-10-22T00:00:00+08:00'), to: Date.parse('2026-11-01T00:00:00+08:00'), fromDate: '2026-10-22', toDate: '2026-10-31' });
  });

  it('refuses bad custom ranges with a 400 naming the field', () => {
    const bad = (q: Parameters<typeof resolvePeriod>[0]) => {
      try {
        resolvePeriod(q, NOW, TZ);
      } catch (err) {
        expect(err).toBeInstanceOf(HttpError);
        expect((err as HttpError).statusCode).toBe(400);
        return (err as HttpError).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ period: 'custom', from: '2026-11-01' })).toMatch(/^to: required/);
    expect(bad({ period: 'custom', to: '2026-11-01' })).toMatch(/^from: required/);
    expect(bad({ period: 'custom', from: '2026-02-30', to: '2026-03-01' })).toMatch(/^from: .*not a calendar date/);
    expect(bad({ period: 'custom', from: '2026-11-10', to: '2026-11-01' })).toMatch(/^to: .*before from/);
    expect(bad({ period: 'custom', from: '2026-01-01', to: '2026-11-01' })).toMatch(/^to: the period is 305 days, at most 92/);
    expect(bad({ period: 'custom', from: '2026-12-01', to: '2026-12-02' })).toMatch(/^from: .*future/);
    expect(bad({ period: 'week', from: '2026-11-01' })).toMatch(/^from: only with period=custom/);
  });

  it('rate is null with nothing to count', () => {
    expect(rate(0, 0)).toBeNull();
    expect(rate(0, 4)).toBe(0);
  });
});
