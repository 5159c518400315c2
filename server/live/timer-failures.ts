/**
 * Timers and socket handlers must never end the server: what they run is wrapped, a failure is
 * logged (the 1st, 10th, 100th… of each, so a failure that repeats every tick does not flood
 * the log) and counted by name; /api/ingest/stats shows the counts.
 */
export interface FailureLog { error(obj: object, msg: string): void }

export class TimerFailures {
  readonly counts: Record<string, number> = {};

  constructor(private readonly log: FailureLog) {}

  /** Runs `fn`; a throw is logged and counted under `name`, never rethrown. */
  run(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.record(name, err);
    }
  }

  /** `fn` wrapped for setInterval / an event handler. */
  guard<A extends unknown[]>(name: string, fn: (...args: A) => void): (...args: A) => void {
    return (...args) => this.run(name, () => fn(...args));
  }

  record(name: string, err: unknown): void {
    const n = (this.counts[name] = (this.counts[name] ?? 0) + 1);
    if (Math.log10(n) % 1 === 0) {
      try { this.log.error({ err, failures: n }, `${name} failed (${n} so far); the server carries on`); } catch { /* a failing logger must not fail the timer */ }
    }
  }
}
