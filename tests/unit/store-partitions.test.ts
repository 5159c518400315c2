import { describe, expect, it } from 'vitest';
import { dailyPartitionOf, trackPartitionOf } from '../../server/history/partitions.ts';

describe('history partitions by time', () => {
  it('puts a bucket in its UTC day: [00:00, 24:00) in seconds', () => {
    // 2026-12-07 23:50 UTC; that day starts at 1796601600 s (20,794 days after 1970-01-01).
    const dayStart = 20_794 * 86_400;
    expect(new Date(dayStart * 1000).toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(trackPartitionOf(dayStart + 23 * 3600 + 50 * 60)).toEqual({ name: 'history_track_p20261207', from: String(dayStart), to: String(dayStart + 86_400) });
    expect(trackPartitionOf(dayStart).name).toBe('history_track_p20261207');
    expect(trackPartitionOf(dayStart - 1).name).toBe('history_track_p20261206');
  });

  it('puts a roll-up day in its month, December rolling into the next year', () => {
    expect(dailyPartitionOf('2026-12-31')).toEqual({ name: 'history_daily_p202612', from: '2026-12-01', to: '2027-01-01' });
    expect(dailyPartitionOf('2027-02-01')).toEqual({ name: 'history_daily_p202702', from: '2027-02-01', to: '2027-03-01' });
    expect(() => dailyPartitionOf('2027-2-1')).toThrow(/not a day/);
  });
});
