import { describe, expect, it } from 'vitest';
import { SerialWriter } from '../../server/store/sql/serial-writer.ts';

/** A write that finishes when told to. */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

describe('SerialWriter', () => {
  it('runs writes one at a time in the order they were queued, each starting only once the one before settled', async () => {
    const w = new SerialWriter();
    const log: string[] = [];
    const first = deferred();
    const a = w.run(async () => { log.push('a start'); await first.promise; log.push('a end'); return 1; });
    const b = w.run(async () => { log.push('b'); return 2; });
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['a start']);
    first.resolve();
    expect(await Promise.all([a, b])).toEqual([1, 2]);
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  it('passes a failure to that write\'s caller only; the writes after it still run', async () => {
    const w = new SerialWriter();
    const failing = w.run(async () => { throw new Error('disk full'); });
    const next = w.run(async () => 'written');
    await expect(failing).rejects.toThrow('disk full');
    expect(await next).toBe('written');
  });

  it('drains: settles once every write queued so far has, including those queued while draining', async () => {
    const w = new SerialWriter();
    const done: number[] = [];
    const gate = deferred();
    void w.run(async () => { await gate.promise; done.push(1); void w.run(async () => { done.push(2); }); });
    const drained = w.drain().then(() => [...done]);
    gate.resolve();
    expect(await drained).toEqual([1, 2]);
    await w.drain();
  });
});
