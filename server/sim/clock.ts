/**
 * The simulated clock. The world (time of day, motion, fill levels) runs on sim time,
 * which advances `speed` times faster than the wall clock; devices still stamp their
 * reports with the wall clock, because the ingest rejects future timestamps.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Asia/Shanghai is UTC+8 all year (no DST). */
const LOCAL_OFFSET_MS = 8 * HOUR_MS;

export class SimClock {
  /** Sim time, ms since epoch (UTC). */
  simMs: number;
  readonly speed: number;

  constructor(startMs: number, speed: number) {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`simulator speed must be a positive number, got ${speed}`);
    this.simMs = startMs;
    this.speed = speed;
  }

  /** Advances by dtWallMs of wall time and returns the sim milliseconds that passed. */
  advance(dtWallMs: number): number {
    const dt = Math.max(0, dtWallMs) * this.speed;
    this.simMs += dt;
    return dt;
  }

  /** Local (Asia/Shanghai) time of day, in minutes 0..1440. */
  minuteOfDay(): number {
    return localMinuteOfDay(this.simMs);
  }

  /** Local day number; changes at local midnight. */
  localDay(): number {
    return Math.floor((this.simMs + LOCAL_OFFSET_MS) / DAY_MS);
  }
}

export function localMinuteOfDay(ms: number): number {
  const local = (ms + LOCAL_OFFSET_MS) % DAY_MS;
  return (local < 0 ? local + DAY_MS : local) / MINUTE_MS;
}

/** The same local day as `ms`, at `minute` minutes after the district's local midnight. */
export function atLocalMinuteOfDay(ms: number, minute: number): number {
  const midnight = Math.floor((ms + LOCAL_OFFSET_MS) / DAY_MS) * DAY_MS - LOCAL_OFFSET_MS;
  return midnight + minute * MINUTE_MS;
}

/** A daily window in local minutes; `end` < `start` means it wraps midnight. */
export interface DailyWindow {
  start: number;
  end: number;
}

/** Parses "HH:MM-HH:MM" (24:00 allowed as an end). Throws on anything else. */
export function parseWindow(text: string): DailyWindow {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) throw new Error(`bad daily window "${text}", expected HH:MM-HH:MM`);
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (start > 1440 || end > 1440) throw new Error(`bad daily window "${text}"`);
  return { start, end };
}

/** Whether a local minute of day falls inside the window; a window with start === end is all day. */
export function inWindow(minute: number, w: DailyWindow): boolean {
  if (w.start === w.end) return true;
  if (w.start < w.end) return minute >= w.start && minute < w.end;
  return minute >= w.start || minute < w.end;
}

/** Minutes from `minute` until the window next opens (0 when inside). */
export function minutesUntilOpen(minute: number, w: DailyWindow): number {
  if (inWindow(minute, w)) return 0;
  const d = w.start - minute;
  return d >= 0 ? d : d + 1440;
}
