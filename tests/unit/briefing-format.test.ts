/** How the briefing writes its figures: nothing to count is "—", never "0.0%" or "NaN%"; deltas say which way and whether good. */
import { describe, expect, it } from 'vitest';
import { formatDelta, formatRate, formatValue, sortRows } from '../../client/briefing/format.ts';

describe('briefing figures as text', () => {
  it('rates', () => {
    expect(formatRate(null)).toBe('—');
    expect(formatRate(Number.NaN)).toBe('—');
    expect(formatRate(0)).toBe('0.0%');
    expect(formatRate(2 / 3)).toBe('66.7%');
    expect(formatRate(1)).toBe('100.0%');
  });

  it('values in their unit', () => {
    expect(formatValue(null, 'count')).toBe('—');
    expect(formatValue(1234, 'count')).toBe('1,234');
    expect(formatValue(6.04, 'min')).toBe('6.0');
    expect(formatValue(0.5, 'rate')).toBe('50.0%');
  });

  it('deltas: percentage points for rates, a signed count otherwise, coloured by what is better', () => {
    expect(formatDelta(0.75, 0.5, 'rate', true)).toEqual({ text: '▲25.0pp', tone: 'good' });
    expect(formatDelta(0.25, 0.5, 'rate', false)).toEqual({ text: '▼25.0pp', tone: 'good' });
    expect(formatDelta(12, 15, 'count', true)).toEqual({ text: '▼3', tone: 'bad' });
    expect(formatDelta(7, 7, 'count', false)).toEqual({ text: '±0', tone: 'flat' });
    expect(formatDelta(null, 0.5, 'rate', true)).toEqual({ text: '—', tone: 'none' });
    expect(formatDelta(0.5, null, 'rate', true)).toEqual({ text: '—', tone: 'none' });
  });

  it('sorts with the rows that have nothing to count last, either way', () => {
    const rows = [{ k: 'a', r: 0.5 }, { k: 'b', r: null }, { k: 'c', r: 1 }, { k: 'd', r: 0 }];
    expect(sortRows(rows, 'r', true).map((x) => x.k)).toEqual(['c', 'a', 'd', 'b']);
    expect(sortRows(rows, 'r', false).map((x) => x.k)).toEqual(['d', 'a', 'c', 'b']);
  });
});
