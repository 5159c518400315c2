/**
 * Writes that must reach the store in the order they were decided, one at a time: a module
 * whose state lives in memory (the alarm book, the device registry) decides synchronously on
 * the hot path and commits behind it. A write that fails does not stop the ones after it; its
 * caller hears the rejection (and keeps what it has to retry).
 */
export class SerialWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Runs `work` after every write queued before it has settled; settles as `work` does. */
  run<T>(work: () => Promise<T>): Promise<T> {
    this.waiting++;
    const next = this.tail.then(work, work).finally(() => { this.waiting--; });
    // The chain itself never rejects: a failure belongs to the caller of that write only.
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Settles once every write queued so far has (closing, tests). */
  async drain(): Promise<void> {
    while (this.waiting > 0) await this.tail;
  }
}
