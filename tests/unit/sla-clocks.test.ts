import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { caseSummary, FakeCases, rig, tempDir, type Rig } from './sla-harness.ts';

const T0 = Date.parse('2026-09-18T15:00:00+08:00');
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

let fake: FakeCases;
let r: Rig;
let dir: string;

beforeEach(async () => {
  vi.useFakeTimers({ now: T0 });
  dir = tempDir();
  fake = new FakeCases();
  r = await rig(dir, fake);
});
afterEach(async () => {
  await r.stop();
  vi.useRealTimers();
});

const emergency = (id: number, over = {}) => fake.cases.set(id, caseSummary(id, { emergency: true, assignedOrg: 'D01', ...over }));
const clock = async (caseId: number, kind: 'arrival' | 'closure') => (await r.sla.clocksFor(caseId)).find((c) => c.kind === kind);

describe('arrival clock (7 minutes, emergencies)', () => {
  it('starts on dispatch of an emergency only, due 7 min later, amber at 5 min 36 s', async () => {
    emergency(1);
    fake.cases.set(2, caseSummary(2, { emergency: false }));
    await r.transition(1, 'dispatch', 'dispatched');
    await r.transition(2, 'dispatch', 'dispatched');
    expect(await clock(1, 'arrival')).toMatchObject({ state: 'running', startTs: T0, dueTs: T0 + 7 * MIN, warnTs: T0 + 5.6 * MIN, endTs: null, escalationLevel: 0 });
    expect(await clock(2, 'arrival')).toBeUndefined();
    expect(r.changed).toEqual([1]);
  });

  it('arms one timer for all open clocks, not one per clock', async () => {
    emergency(1);
    emergency(2);
    await r.transition(1, 'dispatch', 'dispatched');
    await r.transition(2, 'dispatch', 'dispatched');
    const many = await r.sla.clocksForMany([1, 2, 3]);
    expect([...many.entries()].map(([id, cs]) => [id, cs.map((c) => c.kind)])).toEqual([[1, ['arrival']], [2, ['arrival']], [3, []]]);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('warns once at the warning time, then is met by an arrival before the due time', async () => {
    emergency(1);
    await r.transition(1, 'dispatch', 'dispatched');
    await vi.advanceTimersByTimeAsync(5.6 * MIN - 1);
    expect(fake.lines(1)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`]);
    expect((await clock(1, 'arrival'))?.state).toBe('warned');
    await vi.advanceTimersByTimeAsync(MIN);
    await r.transition(1, 'arrive', 'handling');
    expect(await clock(1, 'arrival')).toMatchObject({ state: 'met', endTs: T0 + 6.6 * MIN });
    await vi.advanceTimersByTimeAsync(DAY);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`, `clockMet@${T0 + 6.6 * MIN}`]);
  });

  it('breaches at 7 min and escalates to the street, then the department 5 min later, in that order', async () => {
    emergency(1);
    await r.transition(1, 'dispatch', 'dispatched');
    await vi.advanceTimersByTimeAsync(7 * MIN);
    expect(await clock(1, 'arrival')).toMatchObject({ state: 'breached', endTs: null, escalationLevel: 1 });
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(fake.lines(1)).toEqual([
      `clockWarning@${T0 + 5.6 * MIN}`,
      `clockBreach@${T0 + 7 * MIN}`,
      `escalate 1:千佛山街道@${T0 + 7 * MIN}`,
      `escalate 2:区城市管理局@${T0 + 12 * MIN}`,
    ]);
    await vi.advanceTimersByTimeAsync(3 * MIN);
    await r.transition(1, 'arrive', 'handling');
    expect(await clock(1, 'arrival')).toMatchObject({ state: 'breached', endTs: T0 + 15 * MIN, escalationLevel: 2 });
    expect(fake.lines(1)).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('records each step once when the cases module emits an escalate transition from inside the escalation', async () => {
    emergency(1);
    fake.onEscalate = (caseId, at) => r.events.emitSettled('case:transition', { caseId, action: 'escalate', from: null, to: null, actor: 'system', at });
    await r.transition(1, 'dispatch', 'dispatched');
    await vi.advanceTimersByTimeAsync(20 * MIN);
    expect(fake.lines(1)).toEqual([
      `clockWarning@${T0 + 5.6 * MIN}`, `clockBreach@${T0 + 7 * MIN}`, `escalate 1:千佛山街道@${T0 + 7 * MIN}`, `escalate 2:区城市管理局@${T0 + 12 * MIN}`,
    ]);
    expect(r.errors).toEqual([]);
  });

  it('escalates to the taxonomy item’s department when the case is assigned to no department', async () => {
    emergency(1, { assignedOrg: '370102002', location: { ...caseSummary(1).location, streetCode: '370102007' } });
    await r.transition(1, 'dispatch', 'dispatched');
    await vi.advanceTimersByTimeAsync(12 * MIN);
    expect(fake.lines(1).filter((l) => l.startsWith('escalate'))).toEqual([
      `escalate 1:文东街道@${T0 + 7 * MIN}`, `escalate 2:区住房和城乡建设局@${T0 + 12 * MIN}`,
    ]);
  });

  it('is not restarted by a reassign or a second dispatch', async () => {
    emergency(1);
    await r.transition(1, 'dispatch', 'dispatched');
    await vi.advanceTimersByTimeAsync(3 * MIN);
    await r.transition(1, 'reassign', 'dispatched');
    await r.transition(1, 'release', 'registered');
    await r.transition(1, 'dispatch', 'dispatched');
    const arrival = (await r.sla.clocksFor(1)).filter((c) => c.kind === 'arrival');
    expect(arrival).toHaveLength(1);
    expect(arrival[0]).toMatchObject({ startTs: T0, dueTs: T0 + 7 * MIN });
  });
});

describe('closure clock (1/2/3 days)', () => {
  it('starts at registration, or at a report registered at once — not at a plain report', async () => {
    fake.cases.set(1, caseSummary(1, { difficulty: 'big' }));
    fake.cases.set(2, caseSummary(2, { difficulty: 'hard' }));
    fake.cases.set(3, caseSummary(3));
    await r.transition(1, 'register', 'registered');
    await r.transition(2, 'report', 'registered');
    await r.transition(3, 'report', 'reported');
    expect(await clock(1, 'closure')).toMatchObject({ state: 'running', startTs: T0, dueTs: T0 + 2 * DAY, warnTs: T0 + 1.6 * DAY });
    expect(await clock(2, 'closure')).toMatchObject({ dueTs: T0 + 3 * DAY, warnTs: T0 + 2.4 * DAY });
    expect(await clock(3, 'closure')).toBeUndefined();
  });

  it('is met when closed in time, and the arrival clock of an emergency closed without arrival is cancelled', async () => {
    emergency(1);
    await r.transition(1, 'register', 'registered');
    await r.transition(1, 'dispatch', 'dispatched');
    await vi.advanceTimersByTimeAsync(2 * MIN);
    await r.transition(1, 'close', 'closed');
    expect(await clock(1, 'closure')).toMatchObject({ state: 'met', endTs: T0 + 2 * MIN });
    expect(await clock(1, 'arrival')).toMatchObject({ state: 'running', endTs: T0 + 2 * MIN, cancelled: true });
    expect(fake.lines(1)).toEqual([`clockMet@${T0 + 2 * MIN}`]);
  });

  it('breaches after 1 day and escalates to the department 4 h later; closing late ends it breached', async () => {
    fake.cases.set(1, caseSummary(1, { assignedOrg: 'D01' }));
    await r.transition(1, 'register', 'registered');
    await vi.advanceTimersByTimeAsync(DAY + 5 * HOUR);
    await r.transition(1, 'close', 'closed');
    expect(fake.lines(1)).toEqual([
      `clockWarning@${T0 + 0.8 * DAY}`, `clockBreach@${T0 + DAY}`, `escalate 1:千佛山街道@${T0 + DAY}`, `escalate 2:区城市管理局@${T0 + DAY + 4 * HOUR}`,
    ]);
    expect(await clock(1, 'closure')).toMatchObject({ state: 'breached', endTs: T0 + DAY + 5 * HOUR });
  });

  it('pauses while suspended (挂账) and moves due and warning times by exactly the paused time', async () => {
    fake.cases.set(1, caseSummary(1));
    await r.transition(1, 'register', 'registered');
    await vi.advanceTimersByTimeAsync(HOUR);
    await r.transition(1, 'approve', null, { kind: 'suspension' });
    expect(await clock(1, 'closure')).toMatchObject({ state: 'paused', pausedSince: T0 + HOUR, dueTs: T0 + DAY });
    await vi.advanceTimersByTimeAsync(2 * DAY);
    expect(fake.lines(1)).toEqual([]);
    await r.transition(1, 'resume', null);
    expect(await clock(1, 'closure')).toMatchObject({
      state: 'running', pausedSince: null, pausedMs: 2 * DAY, dueTs: T0 + 3 * DAY, warnTs: T0 + 0.8 * DAY + 2 * DAY,
    });
    await vi.advanceTimersByTimeAsync(0.8 * DAY - HOUR);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 2.8 * DAY}`]);
  });

  it('pauses the arrival clock too, and resumes it as warned when it had warned', async () => {
    emergency(1);
    await r.transition(1, 'dispatch', 'dispatched');
    await vi.advanceTimersByTimeAsync(6 * MIN);
    await r.transition(1, 'approve', null, { kind: 'suspension' });
    await vi.advanceTimersByTimeAsync(10 * MIN);
    await r.transition(1, 'resume', null);
    expect(await clock(1, 'arrival')).toMatchObject({ state: 'warned', dueTs: T0 + 17 * MIN, pausedMs: 10 * MIN });
    await vi.advanceTimersByTimeAsync(MIN - 1);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.lines(1)[1]).toBe(`clockBreach@${T0 + 17 * MIN}`);
  });

  it('an approved extension moves the due time by its days', async () => {
    fake.cases.set(1, caseSummary(1));
    await r.transition(1, 'register', 'registered');
    await vi.advanceTimersByTimeAsync(0.9 * DAY);
    expect((await clock(1, 'closure'))?.state).toBe('warned');
    await r.transition(1, 'approve', null, { kind: 'extension', days: 2 });
    expect(await clock(1, 'closure')).toMatchObject({ state: 'running', dueTs: T0 + 3 * DAY, warnTs: T0 + 2.8 * DAY });
    await vi.advanceTimersByTimeAsync(2 * DAY);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 0.8 * DAY}`, `clockWarning@${T0 + 2.8 * DAY}`]);
  });

  it('a void stops every clock: endTs set, state kept, marked cancelled, nothing more falls due', async () => {
    emergency(1);
    await r.transition(1, 'register', 'registered');
    await r.transition(1, 'dispatch', 'dispatched');
    await vi.advanceTimersByTimeAsync(6 * MIN);
    await r.transition(1, 'approve', 'voided', { kind: 'void' });
    expect((await r.sla.clocksFor(1)).map((c) => [c.kind, c.state, c.endTs, c.cancelled])).toEqual([
      ['closure', 'running', T0 + 6 * MIN, true], ['arrival', 'warned', T0 + 6 * MIN, true],
    ]);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(3 * DAY);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`]);
  });
});

describe('working days, settings and failures', () => {
  it('counts closure days as working days when so set (Friday 15:00 → Monday 15:00), and extends in working days', async () => {
    await r.stop();
    r = await rig(tempDir(), fake, { settings: { dayMode: 'working' }, calendar: { holidays: ['2026-09-22'], workdays: [] } });
    fake.cases.set(1, caseSummary(1));
    await r.transition(1, 'register', 'registered');
    expect(await clock(1, 'closure')).toMatchObject({ dueTs: Date.parse('2026-09-21T15:00:00+08:00'), warnTs: Date.parse('2026-09-21T10:12:00+08:00') });
    await r.transition(1, 'approve', null, { kind: 'extension', days: 1 });
    // Tuesday 22 September is a holiday in this calendar.
    expect((await clock(1, 'closure'))?.dueTs).toBe(Date.parse('2026-09-23T15:00:00+08:00'));
  });

  it('a settings change applies to clocks started afterwards only', async () => {
    emergency(1);
    emergency(2);
    await r.transition(1, 'dispatch', 'dispatched');
    await r.settings.put({ ...await r.settings.get(), arrivalMin: 10, escalateDeptAfterArrivalMin: 1 }, 'admin', Date.now());
    await r.transition(2, 'dispatch', 'dispatched');
    expect((await clock(1, 'arrival'))?.dueTs).toBe(T0 + 7 * MIN);
    expect(await clock(2, 'arrival')).toMatchObject({ dueTs: T0 + 10 * MIN, warnTs: T0 + 8 * MIN });
    await vi.advanceTimersByTimeAsync(12 * MIN);
    expect(fake.lines(1).at(-1)).toBe(`escalate 2:区城市管理局@${T0 + 12 * MIN}`);
    expect(fake.lines(2).at(-1)).toBe(`escalate 2:区城市管理局@${T0 + 11 * MIN}`);
  });

  it('a failing step never throws out of the timer; it is logged and retried, and recorded once', async () => {
    emergency(1);
    await r.transition(1, 'dispatch', 'dispatched');
    fake.failNext = 1;
    // The timer's step settles (resolves) whatever the store did.
    await expect(vi.advanceTimersByTimeAsync(5.6 * MIN)).resolves.toBe(vi);
    expect(r.errors).toHaveLength(1);
    expect((await clock(1, 'arrival'))?.state).toBe('running');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`]);
    expect((await clock(1, 'arrival'))?.state).toBe('warned');
  });
});

describe('restart', () => {
  it('keeps clocks in the store; after downtime over a breach, recover() records each step once, at the time it was due', async () => {
    emergency(1);
    await r.transition(1, 'dispatch', 'dispatched');
    await vi.advanceTimersByTimeAsync(MIN);
    await r.stop();
    vi.setSystemTime(T0 + 20 * MIN);
    r = await rig(dir, fake);
    expect(await clock(1, 'arrival')).toMatchObject({ state: 'running', dueTs: T0 + 7 * MIN });
    expect(fake.lines(1)).toEqual([]);
    await r.sla.recover(Date.now());
    const expected = [
      `clockWarning@${T0 + 5.6 * MIN}`, `clockBreach@${T0 + 7 * MIN}`, `escalate 1:千佛山街道@${T0 + 7 * MIN}`, `escalate 2:区城市管理局@${T0 + 12 * MIN}`,
    ];
    expect(fake.lines(1)).toEqual(expected);
    await r.sla.recover(Date.now());
    await r.stop();
    r = await rig(dir, fake);
    await r.sla.recover(Date.now());
    expect(fake.lines(1)).toEqual(expected);
    expect(await clock(1, 'arrival')).toMatchObject({ state: 'breached', endTs: null, escalationLevel: 2 });
  });

  it('a unit that arrived while the server was down ends the clock at its arrival time, after the warning before it', async () => {
    emergency(1);
    await r.transition(1, 'dispatch', 'dispatched');
    await r.stop();
    vi.setSystemTime(T0 + 30 * MIN);
    const arrivedTs = T0 + 6 * MIN;
    emergency(1, { stage: 'handling', assignment: { unitId: 'u1', unitName: 'U1', dispatchedTs: T0, etaTs: null, route: [], arrivedTs, by: 'x' } });
    r = await rig(dir, fake);
    await r.sla.recover(Date.now());
    expect(await clock(1, 'arrival')).toMatchObject({ state: 'met', endTs: arrivedTs });
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 5.6 * MIN}`, `clockMet@${arrivedTs}`]);
  });

  it('re-arms the scheduler after recovery for what is still ahead', async () => {
    fake.cases.set(1, caseSummary(1));
    await r.transition(1, 'register', 'registered');
    await r.stop();
    r = await rig(dir, fake);
    expect(vi.getTimerCount()).toBe(0);
    await r.sla.recover(Date.now());
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(DAY);
    expect(fake.lines(1)).toEqual([`clockWarning@${T0 + 0.8 * DAY}`, `clockBreach@${T0 + DAY}`, `escalate 1:千佛山街道@${T0 + DAY}`]);
  });
});

describe('a case dispatched straight from 上报', () => {
  it('starts its closure clock with the arrival clock (dispatching registers it)', async () => {
    emergency(1, { stage: 'reported' });
    await r.events.emitSettled('case:transition', { caseId: 1, action: 'dispatch', from: 'reported', to: 'dispatched', actor: 'test', at: T0 });
    expect((await r.sla.clocksFor(1)).map((c) => [c.kind, c.startTs, c.dueTs])).toEqual([['closure', T0, T0 + DAY], ['arrival', T0, T0 + 7 * MIN]]);
  });
});
