import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../server/config.ts';

describe('configuration', () => {
  it('has working defaults for the embedded district', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.dataDir).toBe('./var');
    expect(c.districtPack).toBe('./data/lixia');
    expect(c.sim).toEqual({ enabled: true, seed: 808, speed: 1, reportsPerDay: 300, dutyOfficer: 'auto', dutyDelayS: 60, historyDays: 30 });
    expect(c.live.offlineAfterS).toBe(600);
    expect(c.corsOrigins).toEqual([]);
  });

  it('names every bad setting, masking secrets', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', SIM_SPEED: '-2', ADMIN_PASSWORD: 'short' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/PORT="eighty"/);
    expect(msg).toMatch(/SIM_SPEED="-2"/);
    expect(msg).toMatch(/ADMIN_PASSWORD=\*\*\*/);
    expect(msg).not.toMatch(/short/);
  });

  it('refuses an offline threshold below the stale one and an out-of-range port', () => {
    expect(() => loadConfig({ STALE_AFTER_S: '600', OFFLINE_AFTER_S: '60' })).toThrow(/OFFLINE_AFTER_S=60/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT=70000/);
  });

  it('reads the simulated district\'s reports and duty officer, refusing bad values', () => {
    const c = loadConfig({ SIM_REPORTS_PER_DAY: '1200', SIM_DUTY_OFFICER: 'off', SIM_DUTY_DELAY_S: '0' });
    expect(c.sim).toMatchObject({ reportsPerDay: 1200, dutyOfficer: 'off', dutyDelayS: 0 });
    expect(() => loadConfig({ SIM_DUTY_OFFICER: 'on' })).toThrow(/SIM_DUTY_OFFICER="on"/);
    expect(() => loadConfig({ SIM_REPORTS_PER_DAY: '-5' })).toThrow(/SIM_REPORTS_PER_DAY="-5"/);
    expect(() => loadConfig({ SIM_REPORTS_PER_DAY: '200000' })).toThrow(/SIM_REPORTS_PER_DAY=200000: must be 0..100000/);
    expect(() => loadConfig({ SIM_DUTY_DELAY_S: '90000' })).toThrow(/SIM_DUTY_DELAY_S=90000: must be 0..86400/);
    expect(() => loadConfig({ SIM_DUTY_DELAY_S: '1.5' })).toThrow(/SIM_DUTY_DELAY_S="1.5"/);
  });

  it('reads the simulated world\'s start time of day, refusing what is not HH:MM', () => {
    expect(loadConfig({}).sim.startMinuteOfDay).toBeUndefined();
    expect(loadConfig({ SIM_START_TIME: '07:30' }).sim.startMinuteOfDay).toBe(450);
    expect(loadConfig({ SIM_START_TIME: '23:59' }).sim.startMinuteOfDay).toBe(1439);
    for (const bad of ['24:00', '7:30', '07:60', '0730', 'noon']) expect(() => loadConfig({ SIM_START_TIME: bad }), bad).toThrow(/SIM_START_TIME/);
  });

  it('prints secrets masked', () => {
    const d = describeConfig(loadConfig({ ADMIN_PASSWORD: 'a-very-long-secret', MAPBOX_ACCESS_TOKEN: 'pk.secret' }));
    expect(JSON.stringify(d)).not.toMatch(/secret/);
    expect(d.adminPassword).toBe('***');
  });
});
