import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { caseSummary, FakeCases, rig, tempDir, type Rig } from './sla-harness.ts';

const T0 = Date.parse('2026-09-18T15:00:00+08:00');
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

let fake: FakeCases;
let r: Rig;
let dir: string;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  dir = tempDir();
  fake = new FakeCases();
  r = rig(dir, fake);
});
afterEach(() => {
  r.stop();
  vi.useRealTimers();
});

const emergency = (id: number, over = {}) => fake.cases.set(id, caseSummary(id, { emergency: true, assignedOrg: 'D01', ...over }));
const clock = (caseId: number, kind: 'arrival' | 'closure') => r.sla.clocksFor(caseId).find((c) => c.kind === kind);

describe('arrival clock (7 minutes, emergencies)', () => {
  it('starts on dispatch of an emergency only, due 7 min later, amber at 5 min 36 s', () => {
    emergency(1);
    fake.cases.set(2, caseSummary(2, { emergency: false }));
    r.transition(1, 'dispatch', 'dispatched');
    r.transition(2, 'dispatch', 'dispatched');
    expect(clock(1, 'arrival')).toMatchObject({ state: 'running', startTs: T0, dueTs: T0 + 7 * MIN, warnTs: T0 + 5.6 * MIN, endTs: null, escalationLevel: 0 });
    expect(clock(2, 'arrival')).toBeUndefined();
    expect(r.changed).toEqual([1]);
  });

  it('arms one timer for all open clocks, not one per clock', () => {
    emergency(1);
    emergency(2);
    r.transition(1, 'dispatch', 'dispatched');
    r.transition(2, 'dispatch', 'dispatched');
    const many = r.sla.clocksForMany([1, 2, 3]);
    expect([...many.entries()].map(([id, cs]) => [id, cs.map((c) => c.kind)])).toEqual([[1, ['arrival']], [2, ['arrival']], [3, []]]);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('warns once at the warning time, then is met by an arrival before the due time', () => {
    emergency(1);
    r.transition(1, 'dispatch', 'dispatched');
    vi.advanceTimersByTime(5.6 * MIN - 1);
    expect(fake.lines(1)).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`]);
    expect(clock(1, 'arrival')?.state).toBe('warned');
    vi.advanceTimersByTime(MIN);
    r.transition(1, 'arrive', 'handling');
    expect(clock(1, 'arrival')).toMatchObject({ state: 'met', endTs: T0 + 6.6 * MIN });
    vi.advanceTimersByTime(DAY);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`, `clockMet@${T0 + 6.6 * MIN}`]);
  });

  it('breaches at 7 min and escalates to the street, then the department 5 min later, in that order', () => {
    emergency(1);
    r.transition(1, 'dispatch', 'dispatched');
    vi.advanceTimersByTime(7 * MIN);
    expect(clock(1, 'arrival')).toMatchObject({ state: 'breached', endTs: null, escalationLevel: 1 });
    vi.advanceTimersByTime(5 * MIN);
    expect(fake.lines(1)).toEqual([
      `clockWarning@${T0 + 5.6 * MIN}`,
      `clockBreach@${T0 + 7 * MIN}`,
      `escalate 1:千佛山街道@${T0 + 7 * MIN}`,
      `escalate 2:区城市管理局@${T0 + 12 * MIN}`,
    ]);
    vi.advanceTimersByTime(3 * MIN);
    r.transition(1, 'arrive', 'handling');
    expect(clock(1, 'arrival')).toMatchObject({ state: 'breached', endTs: T0 + 15 * MIN, escalationLevel: 2 });
    expect(fake.lines(1)).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('records each step once when the cases module emits an escalate transition from inside the escalation', () => {
    emergency(1);
    fake.onEscalate = (caseId, at) => r.events.emit('case:transition', { caseId, action: 'escalate', from: null, to: null, actor: 'system', at });
    r.transition(1, 'dispatch', 'dispatched');
    vi.advanceTimersByTime(20 * MIN);
    expect(fake.lines(1)).toEqual([
      `clockWarning@${T0 + 5.6 * MIN}`, `clockBreach@${T0 + 7 * MIN}`, `escalate 1:千佛山街道@${T0 + 7 * MIN}`, `escalate 2:区城市管理局@${T0 + 12 * MIN}`,
    ]);
    expect(r.errors).toEqual([]);
  });

  it('escalates to the taxonomy item’s department when the case is assigned to no department', () => {
    emergency(1, { assignedOrg: '370102002', location: { ...caseSummary(1).location, streetCode: '370102007' } });
    r.transition(1, 'dispatch', 'dispatched');
    vi.advanceTimersByTime(12 * MIN);
    expect(fake.lines(1).filter((l) => l.startsWith('escalate'))).toEqual([
      `escalate 1:文东街道@${T0 + 7 * MIN}`, `escalate 2:区住房和城乡建设局@${T0 + 12 * MIN}`,
    ]);
  });

  it('is not restarted by a reassign or a second dispatch', () => {
    emergency(1);
    r.transition(1, 'dispatch', 'dispatched');
    vi.advanceTimersByTime(3 * MIN);
    r.transition(1, 'reassign', 'dispatched');
    r.transition(1, 'release', 'registered');
    r.transition(1, 'dispatch', 'dispatched');
    const arrival = r.sla.clocksFor(1).filter((c) => c.kind === 'arrival');
    expect(arrival).toHaveLength(1);
    expect(arrival[0]).toMatchObject({ startTs: T0, dueTs: T0 + 7 * MIN });
  });
});

describe('closure clock (1/2/3 days)', () => {
  it('starts at registration, or at a report registered at once — not at a plain report', () => {
    fake.cases.set(1, caseSummary(1, { difficulty: 'big' }));
    fake.cases.set(2, caseSummary(2, { difficulty: 'hard' }));
    fake.cases.set(3, caseSummary(3));
    r.transition(1, 'register', 'registered');
    r.transition(2, 'report', 'registered');
    r.transition(3, 'report', 'reported');
    expect(clock(1, 'closure')).toMatchObject({ state: 'running', startTs: T0, dueTs: T0 + 2 * DAY, warnTs: T0 + 1.6 * DAY });
    expect(clock(2, 'closure')).toMatchObject({ dueTs: T0 + 3 * DAY, warnTs: T0 + 2.4 * DAY });
    expect(clock(3, 'closure')).toBeUndefined();
  });

  it('is met when closed in time, and the arrival clock of an emergency closed without arrival is cancelled', () => {
    emergency(1);
    r.transition(1, 'register', 'registered');
    r.transition(1, 'dispatch', 'dispatched');
    vi.advanceTimersByTime(2 * MIN);
    r.transition(1, 'close', 'closed');
    expect(clock(1, 'closure')).toMatchObject({ state: 'met', endTs: T0 + 2 * MIN });
    expect(clock(1, 'arrival')).toMatchObject({ state: 'running', endTs: T0 + 2 * MIN, cancelled: true });
    expect(fake.lines(1)).toEqual([`clockMet@${T0 + 2 * MIN}`]);
  });

  it('breaches after 1 day and escalates to the department 4 h later; closing late ends it breached', () => {
    fake.cases.set(1, caseSummary(1, { assignedOrg: 'D01' }));
    r.transition(1, 'register', 'registered');
    vi.advanceTimersByTime(DAY + 5 * HOUR);
    r.transition(1, 'close', 'closed');
    expect(fake.lines(1)).toEqual([
      `clockWarning@${T0 + 0.8 * DAY}`, `clockBreach@${T0 + DAY}`, `escalate 1:千佛山街道@${T0 + DAY}`, `escalate 2:区城市管理局@${T0 + DAY + 4 * HOUR}`,
    ]);
    expect(clock(1, 'closure')).toMatchObject({ state: 'breached', endTs: T0 + DAY + 5 * HOUR });
  });

  it('pauses while suspended (挂账) and moves due and warning times by exactly the paused time', () => {
    fake.cases.set(1, caseSummary(1));
    r.transition(1, 'register', 'registered');
    vi.advanceTimersByTime(HOUR);
    r.transition(1, 'approve', null, { kind: 'suspension' });
    expect(clock(1, 'closure')).toMatchObject({ state: 'paused', pausedSince: T0 + HOUR, dueTs: T0 + DAY });
    vi.advanceTimersByTime(2 * DAY);
    expect(fake.lines(1)).toEqual([]);
    r.transition(1, 'resume', null);
    expect(clock(1, 'closure')).toMatchObject({
      state: 'running', pausedSince: null, pausedMs: 2 * DAY, dueTs: T0 + 3 * DAY, warnTs: T0 + 0.8 * DAY + 2 * DAY,
    });
    vi.advanceTimersByTime(0.8 * DAY - HOUR);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 2.8 * DAY}`]);
  });

  it('pauses the arrival clock too, and resumes it as warned when it had warned', () => {
    emergency(1);
    r.transition(1, 'dispatch', 'dispatched');
    vi.advanceTimersByTime(6 * MIN);
    r.transition(1, 'approve', null, { kind: 'suspension' });
    vi.advanceTimersByTime(10 * MIN);
    r.transition(1, 'resume', null);
    expect(clock(1, 'arrival')).toMatchObject({ state: 'warned', dueTs: T0 + 17 * MIN, pausedMs: 10 * MIN });
    vi.advanceTimersByTime(MIN - 1);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`]);
    vi.advanceTimersByTime(1);
    expect(fake.lines(1)[1]).toBe(`clockBreach@${T0 + 17 * MIN}`);
  });

  it('an approved extension moves the due time by its days', () => {
    fake.cases.set(1, caseSummary(1));
    r.transition(1, 'register', 'registered');
    vi.advanceTimersByTime(0.9 * DAY);
    expect(clock(1, 'closure')?.state).toBe('warned');
    r.transition(1, 'approve', null, { kind: 'extension', days: 2 });
    expect(clock(1, 'closure')).toMatchObject({ state: 'running', dueTs: T0 + 3 * DAY, warnTs: T0 + 2.8 * DAY });
    vi.advanceTimersByTime(2 * DAY);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 0.8 * DAY}`, `clockWarning@${T0 + 2.8 * DAY}`]);
  });

  it('a void stops every clock: endTs set, state kept, marked cancelled, nothing more falls due', () => {
    emergency(1);
    r.transition(1, 'register', 'registered');
    r.transition(1, 'dispatch', 'dispatched');
    vi.advanceTimersByTime(6 * MIN);
    r.transition(1, 'approve', 'voided', { kind: 'void' });
    expect(r.sla.clocksFor(1).map((c) => [c.kind, c.state, c.endTs, c.cancelled])).toEqual([
      ['closure', 'running', T0 + 6 * MIN, true], ['arrival', 'warned', T0 + 6 * MIN, true],
    ]);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(3 * DAY);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`]);
  });
});

describe('working days, settings and failures', () => {
  it('counts closure days as working days when so set (Friday 15:00 → Monday 15:00), and extends in working days', () => {
    r.stop();
    r = rig(tempDir(), fake, { settings: { dayMode: 'working' }, calendar: { holidays: ['2026-09-22'], workdays: [] } });
    fake.cases.set(1, caseSummary(1));
    r.transition(1, 'register', 'registered');
    expect(clock(1, 'closure')).toMatchObject({ dueTs: Date.parse('2026-09-21T15:00:00+08:00'), warnTs: Date.parse('2026-09-21T10:12:00+08:00') });
    r.transition(1, 'approve', null, { kind: 'extension', days: 1 });
    // Tuesday 22 September is a holiday in this calendar.
    expect(clock(1, 'closure')?.dueTs).toBe(Date.parse('2026-09-23T15:00:00+08:00'));
  });

  it('a settings change applies to clocks started afterwards only', () => {
    emergency(1);
    emergency(2);
    r.transition(1, 'dispatch', 'dispatched');
    r.settings.put({ ...r.settings.get(), arrivalMin: 10, escalateDeptAfterArrivalMin: 1 }, 'admin', Date.now());
    r.transition(2, 'dispatch', 'dispatched');
    expect(clock(1, 'arrival')?.dueTs).toBe(T0 + 7 * MIN);
    expect(clock(2, 'arrival')).toMatchObject({ dueTs: T0 + 10 * MIN, warnTs: T0 + 8 * MIN });
    vi.advanceTimersByTime(12 * MIN);
    expect(fake.lines(1).at(-1)).toBe(`escalate 2:区城市管理局@${T0 + 12 * MIN}`);
    expect(fake.lines(2).at(-1)).toBe(`escalate 2:区城市管理局@${T0 + 11 * MIN}`);
  });

  it('a failing step never throws out of the timer; it is logged and retried, and recorded once', () => {
    emergency(1);
    r.transition(1, 'dispatch', 'dispatched');
    fake.failNext = 1;
    expect(() => vi.advanceTimersByTime(5.6 * MIN)).not.toThrow();
    expect(r.errors).toHaveLength(1);
    expect(clock(1, 'arrival')?.state).toBe('running');
    vi.advanceTimersByTime(30_000);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`]);
    expect(clock(1, 'arrival')?.state).toBe('warned');
  });
});

describe('restart', () => {
  it('keeps clocks in the store; after downtime over a breach, recover() records each step once, at the time it was due', () => {
    emergency(1);
    r.transition(1, 'dispatch', 'dispatched');
    vi.advanceTimersByTime(MIN);
    r.stop();
    vi.setSystemTime(T0 + 20 * MIN);
    r = rig(dir, fake);
    expect(clock(1, 'arrival')).toMatchObject({ state: 'running', dueTs: T0 + 7 * MIN });
    expect(fake.lines(1)).toEqual([]);
    r.sla.recover(Date.now());
    const expected = [
      `clockWarning@${T0 + 5.6 * MIN}`, `clockBreach@${T0 + 7 * MIN}`, `escalate 1:千佛山街道@${T0 + 7 * MIN}`, `escalate 2:区城市管理局@${T0 + 12 * MIN}`,
    ];
    expect(fake.lines(1)).toEqual(expected);
    r.sla.recover(Date.now());
    r.stop();
    r = rig(dir, fake);
    r.sla.recover(Date.now());
    expect(fake.lines(1)).toEqual(expected);
    expect(clock(1, 'arrival')).toMatchObject({ state: 'breached', endTs: null, escalationLevel: 2 });
  });

  it('a unit that arrived while the server was down ends the clock at its arrival time, after the warning before it', () => {
    emergency(1);
    r.transition(1, 'dispatch', 'dispatched');
    r.stop();
    vi.setSystemTime(T0 + 30 * MIN);
    const arrivedTs = T0 + 6 * MIN;
    emergency(1, { stage: 'handling', assignment: { unitId: 'u1', unitName: 'U1', dispatchedTs: T0, etaTs: null, route: [], arrivedTs, by: 'x' } });
    r = rig(dir, fake);
    r.sla.recover(Date.now());
    expect(clock(1, 'arrival')).toMatchObject({ state: 'met', endTs: arrivedTs });
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`, `clockMet@${arrivedTs}`]);
  });

  it('re-arms the scheduler after recovery for what is still ahead', () => {
    fake.cases.set(1, caseSummary(1));
    r.transition(1, 'register', 'registered');
    r.stop();
    r = rig(dir, fake);
    expect(vi.getTimerCount()).toBe(0);
    r.sla.recover(Date.now());
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(DAY);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 0.8 * DAY}`, `clockBreach@${T0 + DAY}`, `escalate 1:千佛山街道@${T0 + DAY}`]);
  });
});

describe('a case dispatched straight from 上报', () => {
  it('starts its closure clock with the arrival clock (dispatching registers it)', () => {
    emergency(1, { stage: 'reported' });
    r.events.emit('case:transition', { caseId: 1, action: 'dispatch', from: 'reported', to: 'dispatched', actor: 'test', at: T0 });
    expect(r.sla.clocksFor(1).map((c) => [c.kind, c.startTs, c.dueTs])).toEqual([['closure', T0, T0 + DAY], ['arrival', T0, T0 + 7 * MIN]]);
  });
});
