import { describe, expect, it } from 'vitest';
import type { ServiceRequest, TimelineEvent } from '../../client/http/open311-api.ts';
import { districtTime, requestProgress } from '../../client/report/progress.ts';

type R = Parameters<typeof requestProgress>[0];
const T0 = '2026-11-28T02:00:00.000Z';
const req = (status: ServiceRequest['status'], events: [TimelineEvent, string][], updated: string | null = null): R => ({
  status, requested_datetime: T0, updated_datetime: updated,
  extended_attributes: { stage: 'x', timeline: events.map(([event, datetime]) => ({ event, datetime })), after_media_urls: [], rating: null },
});
const states = (r: R) => requestProgress(r).steps.map((s) => `${s.name}:${s.state}`);

describe('requestProgress: the six steps a citizen sees', () => {
  it('just received: received done, registered current, the rest to come', () => {
    expect(states(req('open', [['received', T0]]))).toEqual([
      'received:done', 'registered:current', 'dispatched:todo', 'handling:todo', 'handled:todo', 'closed:todo',
    ]);
  });
  it('dispatched: the times of each done step, handling current', () => {
    const p = requestProgress(req('open', [['received', T0], ['registered', '2026-11-28T02:05:00Z'], ['dispatched', '2026-11-28T02:09:00Z']]));
    expect(p.steps.map((s) => [s.name, s.state, s.at])).toEqual([
      ['received', 'done', T0],
      ['registered', 'done', '2026-11-28T02:05:00Z'],
      ['dispatched', 'done', '2026-11-28T02:09:00Z'],
      ['handling', 'current', null],
      ['handled', 'todo', null],
      ['closed', 'todo', null],
    ]);
    expect(p.voided).toBeNull();
  });
  it('verified counts as handled: closing is next', () => {
    expect(states(req('open', [['received', T0], ['handled', T0], ['verified', T0]]))).toEqual([
      'received:done', 'registered:done', 'dispatched:done', 'handling:done', 'handled:done', 'closed:current',
    ]);
  });
  it('a step passed over is done without a time (a case handled on the spot, no dispatch)', () => {
    const p = requestProgress(req('open', [['received', T0], ['registered', T0], ['handled', '2026-11-28T03:00:00Z']]));
    expect(p.steps.find((s) => s.name === 'dispatched')).toEqual({ name: 'dispatched', state: 'done', at: null });
    expect(p.steps.find((s) => s.name === 'handled')).toEqual({ name: 'handled', state: 'done', at: '2026-11-28T03:00:00Z' });
  });
  it('closed without a closed event in the timeline: all done, closed at the update time', () => {
    const p = requestProgress(req('closed', [['received', T0]], '2026-11-29T01:00:00Z'));
    expect(p.steps.every((s) => s.state === 'done')).toBe(true);
    expect(p.steps.at(-1)!.at).toBe('2026-11-29T01:00:00Z');
  });
  it('an unordered timeline: the first time of each event counts', () => {
    const p = requestProgress(req('open', [['registered', '2026-11-28T02:30:00Z'], ['received', T0], ['registered', '2026-11-28T02:10:00Z']]));
    expect(p.steps[1]!.at).toBe('2026-11-28T02:10:00Z');
  });
  it('no timeline at all (extensions not sent): received at the request time', () => {
    const p = requestProgress({ status: 'open', requested_datetime: T0, updated_datetime: null });
    expect(p.steps[0]).toEqual({ name: 'received', state: 'done', at: T0 });
    expect(p.steps[1]!.state).toBe('current');
  });
  it('voided: nothing is current any more, and the page says when', () => {
    const p = requestProgress(req('closed', [['received', T0], ['registered', T0], ['voided', '2026-11-28T04:00:00Z']]));
    expect(p.voided).toEqual({ at: '2026-11-28T04:00:00Z' });
    expect(p.steps.map((s) => s.state)).toEqual(['done', 'done', 'todo', 'todo', 'todo', 'todo']);
  });
});

describe('districtTime: Asia/Shanghai whatever the phone zone', () => {
  it('formats 02:05 UTC as 10:05 in Jinan', () => {
    expect(districtTime('2026-11-28T02:05:00Z', 'zh')).toBe('11月28日 10:05');
    expect(districtTime('2026-11-28T02:05:00Z', 'en')).toBe('28 Nov, 10:05');
  });
  it('crosses midnight into the next local day', () => {
    expect(districtTime('2026-11-28T16:30:00Z', 'zh')).toBe('11月29日 00:30');
  });
  it('an unreadable time is a dash, not "Invalid Date"', () => {
    expect(districtTime('yesterday', 'zh')).toBe('—');
  });
});
