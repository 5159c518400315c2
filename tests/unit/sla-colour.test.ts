import { describe, expect, it } from 'vitest';
import { clockColour, timeLeftMs, type SlaClock } from '../../shared/sla.ts';

// A 7-minute arrival clock started at 0: amber from 5 min 36 s (80 %), due at 7 min.
const clock = (over: Partial<SlaClock> = {}): SlaClock => ({
  id: 1, caseId: 1, kind: 'arrival', state: 'running', startTs: 0, dueTs: 420_000, warnTs: 336_000, endTs: null,
  pausedMs: 0, pausedSince: null, escalationLevel: 0, ...over,
});

describe('countdown colours (console and wall)', () => {
  it('counts down to the due time and past it', () => {
    expect(timeLeftMs(clock(), 60_000)).toBe(360_000);
    expect(timeLeftMs(clock(), 450_000)).toBe(-30_000);
  });

  it('is green before the warning time, amber from it, red from the due time', () => {
    expect(clockColour(clock(), 335_999)).toBe('green');
    expect(clockColour(clock(), 336_000)).toBe('amber');
    expect(clockColour(clock(), 419_999)).toBe('amber');
    expect(clockColour(clock(), 420_000)).toBe('red');
  });

  it('freezes while paused: the time left is what it was when the pause began', () => {
    const c = clock({ state: 'paused', pausedSince: 100_000 });
    expect(timeLeftMs(c, 900_000)).toBe(320_000);
    expect(clockColour(c, 900_000)).toBe('green');
  });

  it('freezes at the end: a met clock stays green, a breached one red, a cancelled one keeps its colour at the end', () => {
    expect(timeLeftMs(clock({ state: 'met', endTs: 300_000 }), 5_000_000)).toBe(120_000);
    expect(clockColour(clock({ state: 'met', endTs: 400_000 }), 5_000_000)).toBe('green');
    expect(clockColour(clock({ state: 'breached', endTs: 500_000 }), 5_000_000)).toBe('red');
    expect(clockColour(clock({ state: 'breached' }), 430_000)).toBe('red');
    expect(clockColour(clock({ state: 'warned', endTs: 350_000, cancelled: true }), 5_000_000)).toBe('amber');
  });
});
