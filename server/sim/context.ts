/** What every fleet module gets from the orchestrator on each step. */
import type { IngestUpdate } from '../ingest/types.ts';
import type { SimClock } from './clock.ts';
import type { Outages } from './outages.ts';
import type { SimWorld } from './world.ts';

export interface SimContext {
  readonly world: SimWorld;
  readonly clock: SimClock;
  readonly outages: Outages;
  /**
   * Device clock, ms: starts at the wall clock and advances by each step's wall dtMs.
   * Report cadence and outages are scheduled on it (they are device behaviour).
   */
  wallMs: number;
  /** Timestamp for reports sent in this step: the injected wall clock now(). */
  ts: number;
  /** Sends one report unless the device's slot is in an outage; returns whether it went out. */
  report(slot: number, update: IngestUpdate): boolean;
}

/** Rounds to a fixed number of decimals (keeps reports small and comparisons stable). */
export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
