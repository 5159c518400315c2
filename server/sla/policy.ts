/**
 * The two 7123 policies: where a clock's due and warning times fall when it starts, and how
 * an approved extension moves them. Pure functions of the settings a clock started under.
 */
import type { CaseDifficulty } from '../../shared/cases.ts';
import type { SlaKind, SlaSettings, WorkCalendar } from '../../shared/sla.ts';
import { HOUR_MS, MINUTE_MS } from '../sim/clock.ts';
import { addDeadlineDays } from './work-time.ts';

/** What a clock keeps of the settings it started under. */
export interface ClockPolicy {
  /** How closure days (and extension days) count; arrival is always in minutes. */
  dayMode: SlaSettings['dayMode'];
  warnLeadShare: number;
  /** From breach (street notified) to the department escalation, ms. */
  deptAfterMs: number;
}

/** The district's calendar and time zone. */
export interface DeadlineContext {
  calendar: WorkCalendar;
  timeZone: string;
}

export interface ClockPlan {
  kind: SlaKind;
  startTs: number;
  dueTs: number;
  warnTs: number;
  policy: ClockPolicy;
}

/** 7 minutes (arrivalMin) from dispatch to face-to-face; amber at (1 − warnLeadShare) of it. */
export function planArrival(startTs: number, s: SlaSettings): ClockPlan {
  const targetMs = s.arrivalMin * MINUTE_MS;
  return {
    kind: 'arrival',
    startTs,
    dueTs: startTs + Math.round(targetMs),
    warnTs: startTs + Math.round(targetMs * (1 - s.warnLeadShare)),
    policy: { dayMode: s.dayMode, warnLeadShare: s.warnLeadShare, deptAfterMs: s.escalateDeptAfterArrivalMin * MINUTE_MS },
  };
}

/**
 * 1/2/3 days by difficulty from registration (立案). In working-day mode the warning lead is
 * working time too: 0.2 of one working day before a Monday 15:00 due is Monday 10:12.
 */
export function planClosure(startTs: number, difficulty: CaseDifficulty, s: SlaSettings, ctx: DeadlineContext): ClockPlan {
  const days = s.closureDays[difficulty];
  const at = (d: number) => Math.round(addDeadlineDays(startTs, d, s.dayMode, ctx.calendar, ctx.timeZone));
  return {
    kind: 'closure',
    startTs,
    dueTs: at(days),
    warnTs: at(days * (1 - s.warnLeadShare)),
    policy: { dayMode: s.dayMode, warnLeadShare: s.warnLeadShare, deptAfterMs: s.escalateDeptAfterClosureH * HOUR_MS },
  };
}

/** An approved extension moves the due and the warning time later by `days`, counted as the clock's target was. */
export function extendBy(times: { dueTs: number; warnTs: number }, days: number, policy: ClockPolicy, ctx: DeadlineContext): { dueTs: number; warnTs: number } {
  const move = (ts: number) => Math.round(addDeadlineDays(ts, days, policy.dayMode, ctx.calendar, ctx.timeZone));
  return { dueTs: move(times.dueTs), warnTs: move(times.warnTs) };
}
