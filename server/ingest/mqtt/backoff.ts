/**
 * Reconnect delays: doubling from `minMs` to `maxMs`, with jitter so that many servers
 * restarted with their broker do not knock on it in step.
 */
export class Backoff {
  private attempt = 0;

  constructor(private readonly minMs: number, private readonly maxMs: number, private readonly random: () => number = Math.random) {}

  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    // Between half and all of the base delay.
    return Math.round(base / 2 + (base / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
