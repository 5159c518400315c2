/**
 * The bench fleet's positions, shared by the load generator and the screens: a fix carries
 * which device sent it and in which round, in its own coordinates, so a screen that receives a
 * position knows when it was sent without any side channel (the live protocol rounds fix times
 * to whole seconds, too coarse for latency).
 *
 * Device k stands on a grid cell (200 columns 0.0005° apart, rows 0.0015° apart) and creeps
 * north 2 µ° (~0.2 m) per round, for 600 rounds (10 minutes) before the pattern repeats.
 */
export const COLUMNS = 200;
const LON0 = 117_000_000;
const LAT0 = 36_600_000;
const COL_STEP = 500;
const ROW_STEP = 1500;
const ROUND_STEP = 2;
export const ROUND_PERIOD = 600;

export const benchDeviceId = (k: number) => `bench-${k}`;

/** Micro-degrees of device k's fix in round r. */
export function fixMicro(k: number, r: number): { lon: number; lat: number } {
  return { lon: LON0 + (k % COLUMNS) * COL_STEP, lat: LAT0 + Math.floor(k / COLUMNS) * ROW_STEP + (r % ROUND_PERIOD) * ROUND_STEP };
}

/** Which device and which round (modulo ROUND_PERIOD) a received position is; null for anything else. */
export function markOf(lonMicro: number, latMicro: number): { k: number; roundMod: number } | null {
  const dx = lonMicro - LON0;
  const dy = latMicro - LAT0;
  if (dx < 0 || dy < 0 || dx % COL_STEP !== 0 || dx / COL_STEP >= COLUMNS) return null;
  const row = Math.floor(dy / ROW_STEP);
  const within = dy - row * ROW_STEP;
  if (within % ROUND_STEP !== 0) return null;
  return { k: row * COLUMNS + dx / COL_STEP, roundMod: within / ROUND_STEP };
}

/**
 * The load's timetable: round r's batch s (the devices with k mod slots = s) is posted at
 * t0 + r·periodMs + s·periodMs/slots.
 */
export interface Timetable { t0: number; periodMs: number; slots: number }

export const plannedAt = (t: Timetable, r: number, slot: number) => t.t0 + r * t.periodMs + (slot * t.periodMs) / t.slots;

/** The latest round with this remainder whose batch for device k was due at or before `at`. */
export function roundOf(t: Timetable, k: number, roundMod: number, at: number): number | null {
  const slot = k % t.slots;
  const latest = Math.floor((at - t.t0 - (slot * t.periodMs) / t.slots) / t.periodMs);
  if (latest < 0) return null;
  const r = latest - ((((latest - roundMod) % ROUND_PERIOD) + ROUND_PERIOD) % ROUND_PERIOD);
  return r >= 0 ? r : null;
}
