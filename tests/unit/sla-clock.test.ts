import { describe, expect, it } from 'vitest';
import { clockColour, compareByUrgency, formatCountdown, formatEta, mostUrgentClock, timeLeftMs } from '../../client/realtime/sla-clock.ts';
import { caseSummary, clock } from '../fixtures/ops-factories.ts';

const MIN = 60_000;

describe('SLA countdown helpers', () => {
  // A 7-minute arrival clock started at t=0: due at 420 000, amber from 336 000 (80 %).
  const arrival = clock({ kind: 'arrival', startTs: 0, dueTs: 7 * MIN, warnTs: 336_000 });

  it('counts down to the due time and past it', () => {
    expect(timeLeftMs(arrival, 60_000)).toBe(360_000);
    expect(timeLeftMs(arrival, 430_000)).toBe(-10_000);
  });

  it('freezes a paused clock at the moment it paused, and an ended one at its end', () => {
    const paused = { ...arrival, state: 'paused' as const, pausedSince: 100_000 };
    expect(timeLeftMs(paused, 900_000)).toBe(320_000);
    expect(clockColour(paused, 900_000)).toBe('green');
    const met = { ...arrival, state: 'met' as const, endTs: 250_000 };
    expect(timeLeftMs(met, 900_000)).toBe(170_000);
    expect(clockColour(met, 900_000)).toBe('green');
  });

  it('is green before the warning time, amber from it, red from the due time', () => {
    expect(clockColour(arrival, 335_999)).toBe('green');
    expect(clockColour(arrival, 336_000)).toBe('amber');
    expect(clockColour(arrival, 419_999)).toBe('amber');
    expect(clockColour(arrival, 420_000)).toBe('red');
    // The server's state wins when it is ahead of the local clock (skew between PC and server).
    expect(clockColour({ ...arrival, state: 'warned' }, 10_000)).toBe('amber');
    expect(clockColour({ ...arrival, state: 'breached' }, 10_000)).toBe('red');
  });

  it('formats mm:ss, h:mm:ss and days, with a minus when overdue', () => {
    expect(formatCountdown(0)).toBe('00:00');
    expect(formatCountdown(6 * MIN + 59_999)).toBe('06:59');
    expect(formatCountdown(-10_500)).toBe('-00:10');
    expect(formatCountdown(3_600_000 + 5 * MIN + 7_000)).toBe('1:05:07');
    expect(formatCountdown(47 * 3_600_000)).toBe('47:00:00');
    expect(formatCountdown(2 * 86_400_000 + 3 * 3_600_000 + 4 * MIN)).toBe('2d 03:04');
    expect(formatEta(192.4)).toBe('03:12');
    expect(formatEta(-5)).toBe('00:00');
  });

  it('picks the open clock with least time left', () => {
    const closure = clock({ id: 2, kind: 'closure', startTs: 0, dueTs: 86_400_000 });
    const ended = clock({ id: 3, kind: 'arrival', startTs: 0, dueTs: 1_000, endTs: 500, state: 'met' });
    expect(mostUrgentClock([closure, arrival, ended], 0)?.id).toBe(arrival.id);
    expect(mostUrgentClock([ended], 0)).toBeNull();
  });

  it('orders the queue: emergencies first, then least time left, cases without open clocks last', () => {
    const now = 0;
    const calm = caseSummary({ id: 1, clocks: [clock({ startTs: 0, dueTs: 86_400_000 })] });
    const tight = caseSummary({ id: 2, clocks: [clock({ startTs: 0, dueTs: 3_600_000 })] });
    const overdue = caseSummary({ id: 3, clocks: [clock({ startTs: 0, dueTs: -1 })] });
    const emergency = caseSummary({ id: 4, emergency: true, clocks: [clock({ startTs: 0, dueTs: 86_400_000 })] });
    const noClock = caseSummary({ id: 5, stage: 'reported', createdTs: 0 });
    const sorted = [calm, noClock, tight, emergency, overdue].sort((a, b) => compareByUrgency(a, b, now));
    expect(sorted.map((c) => c.id)).toEqual([4, 3, 2, 1, 5]);
  });
});
