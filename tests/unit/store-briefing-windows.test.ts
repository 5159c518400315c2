/**
 * The briefing on an asynchronous store counts its alarm windows before computing: the windows
 * listed by alarmWindows must be exactly those computeBriefing asks for, for every kind of
 * period (hourly trend of one day, daily trend of a week and a month, a custom range across a
 * month's end) — recorded here from computeBriefing's own calls.
 */
import { describe, expect, it } from 'vitest';
import { alarmWindows, computeBriefing } from '../../server/analytics/indicators.ts';
import { resolvePeriod } from '../../server/analytics/period.ts';

const TZ = 'Asia/Shanghai';
/** 2026-12-07 10:00 in Jinan. */
const NOW = Date.parse('2026-12-07T10:00:00+08:00');

function askedFor(query: Parameters<typeof resolvePeriod>[0]): { asked: string[]; listed: string[] } {
  const period = resolvePeriod(query, NOW, TZ);
  const asked = new Set<string>();
  computeBriefing({
    district: 'd', timeZone: TZ, now: NOW, period, cases: [], muckAlarms: [],
    countAlarms: (from, to) => { asked.add(`${from}-${to}`); return 0; },
    streets: [], departments: [], muckTrucks: [], dispatchTargetMs: 1_800_000,
  });
  return { asked: [...asked].sort(), listed: [...new Set(alarmWindows(period, TZ).map(([a, b]) => `${a}-${b}`))].sort() };
}

describe('alarm windows of a briefing', () => {
  for (const query of [{ period: 'today' }, { period: 'yesterday' }, { period: 'week' }, { period: 'month' }, { period: 'custom', from: '2026-11-28', to: '2026-12-03' }] as const) {
    it(`lists what computeBriefing counts for ${JSON.stringify(query)}`, () => {
      const { asked, listed } = askedFor(query);
      expect(asked.length).toBeGreaterThan(2);
      expect(listed).toEqual(asked);
    });
  }

  it('has 24 hourly windows for today, each an hour, plus the two periods', () => {
    const period = resolvePeriod({ period: 'today' }, NOW, TZ);
    const windows = alarmWindows(period, TZ);
    const midnight = Date.parse('2026-12-07T00:00:00+08:00');
    expect(windows.slice(0, 2)).toEqual([[period.current.from, period.current.to], [period.previous.from, period.previous.to]]);
    expect(windows.slice(2)[0]).toEqual([midnight, midnight + 3_600_000]);
  });
});
