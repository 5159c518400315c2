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
