/**
 * Devices falling silent: at any moment about 1–2 % of the fleet sends nothing for a few
 * minutes up to an hour, then resumes — so the wall shows stale and offline devices.
 * Outages are device behaviour and run on the wall clock, like report cadence.
 */
import { MINUTE_MS } from './clock.ts';
import type { Rng } from './rng.ts';

export interface OutageConfig {
  /** Share of devices silent at a time, 0..1. */
  silentShare: number;
  minMs: number;
  maxMs: number;
}

export const DEFAULT_OUTAGES: OutageConfig = { silentShare: 0.015, minMs: 3 * MINUTE_MS, maxMs: 60 * MINUTE_MS };

export class Outages {
  private silentUntil = new Float64Array(0);
  private count = 0;

  constructor(private readonly rng: Rng, private readonly config: OutageConfig = DEFAULT_OUTAGES) {}

  /** Reserves `n` device slots and returns the first slot's index. */
  allocate(n: number): number {
    const base = this.count;
    this.count += n;
    const next = new Float64Array(this.count);
    next.set(this.silentUntil);
    this.silentUntil = next;
    return base;
  }

  /** Starts new outages for the wall time that passed. */
  step(dtWallMs: number, wallMs: number): void {
    if (this.count === 0 || dtWallMs <= 0) return;
    const { silentShare, minMs, maxMs } = this.config;
    // Durations are log-uniform between min and max: mostly short, some long.
    const meanMs = (maxMs - minMs) / Math.log(maxMs / minMs);
    const expected = (this.count * silentShare * dtWallMs) / meanMs;
    const starts = this.rng.poisson(expected);
    for (let k = 0; k < starts; k++) {
      const slot = this.rng.int(this.count);
      const duration = minMs * Math.exp(this.rng.next() * Math.log(maxMs / minMs));
      this.silentUntil[slot] = Math.max(this.silentUntil[slot]!, wallMs + duration);
    }
  }

  isSilent(slot: number, wallMs: number): boolean {
    return this.silentUntil[slot]! > wallMs;
  }

  silentCount(wallMs: number): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.silentUntil[i]! > wallMs) n++;
    return n;
  }
}
