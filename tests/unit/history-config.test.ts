import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('history settings', () => {
  it('defaults to 25 m, 60 s, a 5-s flush and 90 days', () => {
    expect(loadConfig({}).history).toEqual({ minMoveM: 25, maxGapS: 60, flushS: 5, retentionDays: 90 });
  });

  it('reads each setting', () => {
    expect(loadConfig({ HISTORY_MIN_MOVE_M: '10', HISTORY_MAX_GAP_S: '30', HISTORY_FLUSH_S: '2', HISTORY_RETENTION_DAYS: '7' }).history)
      .toEqual({ minMoveM: 10, maxGapS: 30, flushS: 2, retentionDays: 7 });
  });

  it.each([
    ['HISTORY_MIN_MOVE_M', '0'], ['HISTORY_MIN_MOVE_M', '-5'], ['HISTORY_MAX_GAP_S', '0'], ['HISTORY_MAX_GAP_S', '99999'],
    ['HISTORY_FLUSH_S', '0'], ['HISTORY_FLUSH_S', 'fast'], ['HISTORY_RETENTION_DAYS', '0'], ['HISTORY_RETENTION_DAYS', '1.5'],
  ])('refuses %s=%s, naming it', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(`${key}=`));
  });
});

describe('SIM_HISTORY_DAYS', () => {
  it('defaults to 30 days, inside a shorter retention, and reads 0..366', () => {
    expect(loadConfig({}).sim.historyDays).toBe(30);
    expect(loadConfig({ HISTORY_RETENTION_DAYS: '7' }).sim.historyDays).toBe(6);
    expect(loadConfig({ SIM_HISTORY_DAYS: '0' }).sim.historyDays).toBe(0);
    expect(loadConfig({ SIM_HISTORY_DAYS: '2' }).sim.historyDays).toBe(2);
    expect(loadConfig({ SIM_HISTORY_DAYS: '366', HISTORY_RETENTION_DAYS: '400' }).sim.historyDays).toBe(366);
  });

  it.each([['-1'], ['abc'], ['1.5'], ['1000'], ['367']])('refuses SIM_HISTORY_DAYS=%s, naming it', (value) => {
    expect(() => loadConfig({ SIM_HISTORY_DAYS: value, HISTORY_RETENTION_DAYS: '400' })).toThrow(ConfigError);
    expect(() => loadConfig({ SIM_HISTORY_DAYS: value, HISTORY_RETENTION_DAYS: '400' })).toThrow(/SIM_HISTORY_DAYS=/);
  });

  it('refuses a past longer than the retention', () => {
    expect(() => loadConfig({ SIM_HISTORY_DAYS: '30', HISTORY_RETENTION_DAYS: '30' })).toThrow(/SIM_HISTORY_DAYS=30: must be less than HISTORY_RETENTION_DAYS=30/);
  });
});
