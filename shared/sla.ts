/**
 * SLA clocks for the 7123 rule: face-to-face within 7 minutes of dispatch for an emergency;
 * closed within 1, 2 or 3 days by difficulty. A clock runs, pauses while its case is
 * suspended, warns before breach, and ends met or breached. Clocks live in the store.
 */
import type { CaseDifficulty } from './cases.ts';

/** arrival: dispatch → on scene (7 min) · closure: registered → closed (1/2/3 days) */
export type SlaKind = 'arrival' | 'closure';

/** running/paused/warned are open; met/breached with endTs set are final. breached with no endTs: overdue and still open. */
export type SlaState = 'running' | 'paused' | 'warned' | 'met' | 'breached';

export interface SlaClock {
  id: number;
  caseId: number;
  kind: SlaKind;
  state: SlaState;
  startTs: number;
  /** When it breaches (moves later with pauses and approved extensions). */
  dueTs: number;
  /** When it turns amber. */
  warnTs: number;
  endTs: number | null;
  /** Accumulated pause, ms. */
  pausedMs: number;
  pausedSince: number | null;
  /** 0 none · 1 street · 2 department */
  escalationLevel: number;
  /**
   * Stopped without its end event: the case was voided, or closed before the unit arrived.
   * endTs is set and state stays what it was (running, warned, paused or breached).
   */
  cancelled?: boolean;
}

/** Configuration (admin): targets, warning lead, day counting. */
export interface SlaSettings {
  arrivalMin: number;
  closureDays: Record<CaseDifficulty, number>;
  /** Warn this share of the target before the due time (e.g. 0.2 → amber at 80 %). */
  warnLeadShare: number;
  /** 'calendar' days, or 'working' days from the district calendar (holidays, 调休). */
  dayMode: 'calendar' | 'working';
  /** Escalate to the street at breach, then to the department this long after, minutes (arrival) / hours (closure). */
  escalateDeptAfterArrivalMin: number;
  escalateDeptAfterClosureH: number;
}

/** The district's holiday and adjusted-working-day calendar (calendar.json in the pack). */
export interface WorkCalendar {
  /** Local dates 'YYYY-MM-DD' that are holidays even on a weekday. */
  holidays: string[];
  /** Local dates 'YYYY-MM-DD' that are working days even on a weekend (调休). */
  workdays: string[];
}

export const DEFAULT_SLA_SETTINGS: SlaSettings = {
  arrivalMin: 7,
  closureDays: { small: 1, big: 2, hard: 3 },
  warnLeadShare: 0.2,
  dayMode: 'calendar',
  escalateDeptAfterArrivalMin: 5,
  escalateDeptAfterClosureH: 4,
};

/** The countdown colours of the console queue and the wall. */
export type ClockColour = 'green' | 'amber' | 'red';

/** The instant a clock is read at: frozen at its end, or at the start of a pause (the due time moves only when it resumes). */
function readAt(clock: SlaClock, now: number): number {
  return clock.endTs ?? clock.pausedSince ?? now;
}

/** Milliseconds until the clock is due (negative: overdue by that much). Frozen while paused and once ended. */
export function timeLeftMs(clock: SlaClock, now: number): number {
  return clock.dueTs - readAt(clock, now);
}

/** green before the warning time, amber from it, red once due (a breached clock stays red, a met one green). */
export function clockColour(clock: SlaClock, now: number): ClockColour {
  if (clock.state === 'breached') return 'red';
  if (clock.state === 'met') return 'green';
  const at = readAt(clock, now);
  if (at >= clock.dueTs) return 'red';
  // The server's 'warned' wins over a screen whose clock runs a little behind.
  if (at >= clock.warnTs || clock.state === 'warned') return 'amber';
  return 'green';
}
