/**
 * The one deadline a crew's phone shows big: for an emergency not yet on scene, the 7-minute
 * arrival clock that started at dispatch; otherwise the case's closure clock (1–3 days).
 * Pure function of (task, clocks, now), re-read once a second by the page. Colours are the
 * console's (shared/sla.ts clockColour); the text is the console's countdown format.
 */
import type { SlaClock, SlaKind } from '../../shared/sla.ts';
import { clockColour, formatCountdown, timeLeftMs, type ClockColour } from '../realtime/sla-clock.ts';

export interface TaskDeadline {
  kind: SlaKind;
  dueTs: number;
  leftMs: number;
  colour: ClockColour;
  /** "06:41", "1:05:00", "2d 03:10"; "-00:12" once overdue */
  text: string;
  overdue: boolean;
}

export function taskDeadline(task: { emergency: boolean; arrivedTs: number | null }, clocks: readonly SlaClock[], now: number): TaskDeadline | null {
  const open = (kind: SlaKind) => clocks.find((c) => c.kind === kind && c.endTs === null);
  const clock = (task.emergency && task.arrivedTs === null ? open('arrival') : undefined) ?? open('closure');
  if (!clock) return null;
  const leftMs = timeLeftMs(clock, now);
  return { kind: clock.kind, dueTs: clock.dueTs, leftMs, colour: clockColour(clock, now), text: formatCountdown(leftMs), overdue: leftMs < 0 };
}

