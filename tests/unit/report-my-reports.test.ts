import { describe, expect, it } from 'vitest';
import { loadMyReports, MY_REPORTS_KEY, MY_REPORTS_MAX, ratingKeyFor, rememberReport, type MyReport } from '../../client/report/my-reports.ts';

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) { return this.data.get(k) ?? null; }
  setItem(k: string, v: string) { this.data.set(k, v); }
}
const mine = (id: string, ratingKey: string | null = `rk-${id}`): MyReport => ({ id, ratingKey, token: null, serviceName: '井盖', sentAt: '2026-11-28T02:00:00Z' });

describe('我的上报 in localStorage', () => {
  it('keeps the newest first, one entry per id', () => {
    const s = new MemoryStorage();
    expect(rememberReport(s, mine('1'))).toBe(true);
    rememberReport(s, mine('2'));
    rememberReport(s, mine('1', 'rk-new'));
    expect(loadMyReports(s).map((r) => [r.id, r.ratingKey])).toEqual([['1', 'rk-new'], ['2', 'rk-2']]);
    expect(ratingKeyFor(s, '2')).toBe('rk-2');
    expect(ratingKeyFor(s, '3')).toBeNull();
  });
  it('drops the oldest past the limit', () => {
    const s = new MemoryStorage();
    for (let i = 1; i <= MY_REPORTS_MAX + 3; i++) rememberReport(s, mine(String(i)));
    const list = loadMyReports(s);
    expect(list).toHaveLength(MY_REPORTS_MAX);
    expect(list[0]!.id).toBe(String(MY_REPORTS_MAX + 3));
    expect(list.at(-1)!.id).toBe('4');
  });
  it('survives a damaged store: not JSON, not a list, entries of the wrong shape', () => {
    const s = new MemoryStorage();
    s.setItem(MY_REPORTS_KEY, '{oops');
    expect(loadMyReports(s)).toEqual([]);
    s.setItem(MY_REPORTS_KEY, JSON.stringify({ id: '1' }));
    expect(loadMyReports(s)).toEqual([]);
    s.setItem(MY_REPORTS_KEY, JSON.stringify([mine('7'), { id: 8 }, null, { ...mine('9'), ratingKey: 5 }]));
    expect(loadMyReports(s).map((r) => r.id)).toEqual(['7']);
  });
  it('says so when storage is unavailable or full', () => {
    expect(rememberReport(undefined, mine('1'))).toBe(false);
    const full = new MemoryStorage();
    full.setItem = () => { throw new Error('QuotaExceededError'); };
    expect(rememberReport(full, mine('1'))).toBe(false);
  });
});
