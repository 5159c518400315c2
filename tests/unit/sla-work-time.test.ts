import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_SETTINGS } from '../../shared/sla.ts';
import { planArrival, planClosure } from '../../server/sla/policy.ts';
import { addDeadlineDays, EMPTY_CALENDAR, isWorkingDate, localDate } from '../../server/sla/work-time.ts';

const SH = 'Asia/Shanghai';
const t = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;
// 2026-09-18 and 2026-09-25 are Fridays; 2026-09-27 a Sunday; 2026-10-01/02 Thursday/Friday.
const NATIONAL_DAY = { holidays: ['2026-10-01', '2026-10-02'], workdays: ['2026-09-27'] };

describe('deadline days in the district time zone', () => {
  it('calendar days are 24 h each, whatever the weekday', () => {
    expect(addDeadlineDays(t('2026-09-18T15:00:00+08:00'), 2, 'calendar', NATIONAL_DAY, SH)).toBe(t('2026-09-20T15:00:00+08:00'));
  });

  it('working days skip the weekend: Friday 15:00 + 1 → Monday 15:00', () => {
    expect(addDeadlineDays(t('2026-09-18T15:00:00+08:00'), 1, 'working', EMPTY_CALENDAR, SH)).toBe(t('2026-09-21T15:00:00+08:00'));
    expect(addDeadlineDays(t('2026-09-18T15:00:00+08:00'), 3, 'working', EMPTY_CALENDAR, SH)).toBe(t('2026-09-23T15:00:00+08:00'));
  });

  it('an adjusted working day (调休) on a Sunday counts: Friday 15:00 + 1 → that Sunday 15:00', () => {
    expect(addDeadlineDays(t('2026-09-25T15:00:00+08:00'), 1, 'working', NATIONAL_DAY, SH)).toBe(t('2026-09-27T15:00:00+08:00'));
  });

  it('holidays are skipped: Wednesday 15:00 + 1 over Thu/Fri holidays and the weekend → Monday 15:00', () => {
    expect(addDeadlineDays(t('2026-09-30T15:00:00+08:00'), 1, 'working', NATIONAL_DAY, SH)).toBe(t('2026-10-05T15:00:00+08:00'));
  });

  it('a start on a non-working day counts from the next working day’s midnight', () => {
    expect(addDeadlineDays(t('2026-09-19T10:00:00+08:00'), 1, 'working', EMPTY_CALENDAR, SH)).toBe(t('2026-09-22T00:00:00+08:00'));
  });

  it('uses the pack’s zone, not UTC+8: the same instant is Friday night in Shanghai and Saturday in Tokyo', () => {
    const start = t('2026-09-18T23:30:00+08:00');
    expect(addDeadlineDays(start, 1, 'working', EMPTY_CALENDAR, SH)).toBe(t('2026-09-21T23:30:00+08:00'));
    expect(addDeadlineDays(start, 1, 'working', EMPTY_CALENDAR, 'Asia/Tokyo')).toBe(t('2026-09-22T00:00:00+09:00'));
    expect(localDate(start, SH)).toBe('2026-09-18');
    expect(localDate(start, 'Asia/Tokyo')).toBe('2026-09-19');
  });

  it('knows weekdays, holidays and 调休 workdays', () => {
    expect(isWorkingDate('2026-09-25', NATIONAL_DAY)).toBe(true);
    expect(isWorkingDate('2026-09-26', NATIONAL_DAY)).toBe(false);
    expect(isWorkingDate('2026-09-27', NATIONAL_DAY)).toBe(true);
    expect(isWorkingDate('2026-10-01', NATIONAL_DAY)).toBe(false);
  });
});

describe('policies', () => {
  it('arrival: due 7 min after dispatch, amber at 80 % (5 min 36 s)', () => {
    const p = planArrival(1_000, DEFAULT_SLA_SETTINGS);
    expect(p).toMatchObject({ kind: 'arrival', startTs: 1_000, dueTs: 421_000, warnTs: 337_000 });
    expect(p.policy.deptAfterMs).toBe(300_000);
  });

  it('closure by difficulty in calendar days: 1/2/3 days, amber at 80 %', () => {
    const s = t('2026-09-18T15:00:00+08:00');
    const ctx = { calendar: EMPTY_CALENDAR, timeZone: SH };
    expect(planClosure(s, 'small', DEFAULT_SLA_SETTINGS, ctx)).toMatchObject({ dueTs: s + DAY, warnTs: s + 0.8 * DAY });
    expect(planClosure(s, 'big', DEFAULT_SLA_SETTINGS, ctx)).toMatchObject({ dueTs: s + 2 * DAY, warnTs: s + 1.6 * DAY });
    expect(planClosure(s, 'hard', DEFAULT_SLA_SETTINGS, ctx).dueTs).toBe(s + 3 * DAY);
    expect(planClosure(s, 'hard', DEFAULT_SLA_SETTINGS, ctx).policy.deptAfterMs).toBe(4 * 3_600_000);
  });

  it('closure in working days: the warning lead is working time too (Friday 15:00 → amber Monday 10:12, due Monday 15:00)', () => {
    const p = planClosure(t('2026-09-18T15:00:00+08:00'), 'small', { ...DEFAULT_SLA_SETTINGS, dayMode: 'working' }, { calendar: EMPTY_CALENDAR, timeZone: SH });
    expect(p.dueTs).toBe(t('2026-09-21T15:00:00+08:00'));
    expect(p.warnTs).toBe(t('2026-09-21T10:12:00+08:00'));
  });
});
