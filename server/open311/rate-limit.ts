/**
 * Requests per minute per API key (and, for the report page's key, which every browser
 * shares, per key and client address). A fixed one-minute window per bucket: simple, and
 * the worst case (twice the rate across a window edge) is still bounded.
 */
export class MinuteRateLimit {
  private readonly buckets = new Map<string, { windowStart: number; count: number }>();
  private lastSweep = 0;

  constructor(private readonly perMinute: number, private readonly now: () => number) {}

  /** Counts one request; returns the seconds to wait when over the limit, else 0. */
  take(bucket: string): number {
    const now = this.now();
    const windowStart = now - (now % 60_000);
    if (windowStart !== this.lastSweep) {
      for (const [k, b] of this.buckets) if (b.windowStart < windowStart) this.buckets.delete(k);
      this.lastSweep = windowStart;
    }
    let b = this.buckets.get(bucket);
    if (!b || b.windowStart !== windowStart) this.buckets.set(bucket, (b = { windowStart, count: 0 }));
    if (b.count >= this.perMinute) return Math.ceil((windowStart + 60_000 - now) / 1000);
    b.count += 1;
    return 0;
  }
}
