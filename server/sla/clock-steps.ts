/**
 * What happens next to a clock and how pauses move it: pure functions, so the scheduler,
 * the transition handler and the restart catch-up share one definition.
 *
 * An open clock walks running → warned (at warnTs) → breached (at dueTs; the street is
 * notified, 吹哨 level 1) → department notified (level 2, policy.deptAfterMs after the
 * breach). A paused clock has no next event; its times move when it resumes.
 */
import type { StoredClock } from './clocks-repo.ts';

export type ClockEventType = 'warn' | 'breach' | 'escalateDept';

export interface ClockEvent {
  type: ClockEventType;
  /** When it falls due (recorded with this time, also when caught up after a restart). */
  at: number;
}

export function isOpen(c: StoredClock): boolean {
  return c.endTs === null;
}

export function nextEvent(c: StoredClock): ClockEvent | null {
  if (!isOpen(c)) return null;
  switch (c.state) {
    case 'running':
      return c.warnTs < c.dueTs ? { type: 'warn', at: c.warnTs } : { type: 'breach', at: c.dueTs };
    case 'warned':
      return { type: 'breach', at: c.dueTs };
    case 'breached':
      return c.escalationLevel < 2 ? { type: 'escalateDept', at: c.dueTs + c.policy.deptAfterMs } : null;
    default:
      return null;
  }
}

/** The open state its times give at an instant (used on resume and extension, after every earlier event was applied). */
export function stateAt(c: StoredClock, at: number): 'running' | 'warned' | 'breached' {
  if (at >= c.dueTs) return 'breached';
  if (at >= c.warnTs && c.warnTs < c.dueTs) return 'warned';
  return 'running';
}

export function paused(c: StoredClock, at: number): StoredClock {
  return { ...c, state: 'paused', pausedSince: at };
}

/** Ends a pause: the due and warning times move later by exactly the time it was paused. */
export function resumed(c: StoredClock, at: number): StoredClock {
  if (c.pausedSince === null) return c;
  const d = Math.max(0, at - c.pausedSince);
  const moved = { ...c, dueTs: c.dueTs + d, warnTs: c.warnTs + d, pausedMs: c.pausedMs + d, pausedSince: null };
  return { ...moved, state: stateAt(moved, at) };
}
