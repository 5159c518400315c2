/**
 * useHeatData (client/composables/useHeatData.ts): a failed read is retried by itself — after
 * 5 s, then 10 s, 20 s … at most every 2 minutes — until one succeeds, and never after the
 * component (here an effect scope) is gone. A wall whose first read met a restarting server
 * used to show "failed" until the hour changed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, ref } from 'vue';
import { useHeatData } from '../../client/composables/useHeatData.ts';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

/** Lets the awaited load settle. */
const settle = async () => { for (let k = 0; k < 5; k++) await Promise.resolve(); await nextTick(); };

describe('useHeatData retries a failed read', () => {
  it('after 5, 10, 20 s while it fails; then holds the data and stops retrying', async () => {
    const calls: number[] = [];
    let failing = 3;
    const scope = effectScope();
    const heat = scope.run(() => useHeatData(ref('cases|1|2'), async () => {
      calls.push(Date.now());
      if (failing-- > 0) throw new Error('server restarting');
      return { n: 7 };
    }))!;
    const t0 = Date.now();
    await settle();
    expect(calls.map((t) => t - t0)).toEqual([0]);
    expect(heat.error.value).toBe('server restarting');

    await vi.advanceTimersByTimeAsync(4_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(calls.map((t) => t - t0)).toEqual([0, 5_000]);
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(calls.map((t) => t - t0)).toEqual([0, 5_000, 15_000]);
    await vi.advanceTimersByTimeAsync(20_000);
    await settle();
    expect(calls.map((t) => t - t0)).toEqual([0, 5_000, 15_000, 35_000]);
    expect(heat.data.value).toEqual({ n: 7 });
    expect(heat.error.value).toBeNull();

    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(4);
    scope.stop();
  });

  it('waits at most 2 minutes between tries, and none once the scope is gone', async () => {
    const calls: number[] = [];
    const scope = effectScope();
    scope.run(() => useHeatData(ref('cases|1|2'), async () => { calls.push(Date.now()); throw new Error('down'); }));
    const t0 = Date.now();
    await settle();
    // 5 + 10 + 20 + 40 + 80 = 155 s, then 120 s apart (not 160).
    for (const wait of [5_000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000]) {
      await vi.advanceTimersByTimeAsync(wait);
      await settle();
    }
    expect(calls.map((t) => t - t0)).toEqual([0, 5_000, 15_000, 35_000, 75_000, 155_000, 275_000, 395_000]);
    scope.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(8);
  });
});
