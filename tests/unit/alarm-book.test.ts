import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALARM_SETTINGS } from '../../server/alarms/settings.ts';
import { harness, MIN, T0 } from './alarm-fixtures.ts';

const at = (min: number, s = 0) => T0 + min * MIN + s * 1000;
const admin = { name: 'ada', role: 'admin' };
const rows = (db: Database.Database) => db.prepare('SELECT id, type, active, value, version FROM alarms ORDER BY id').all() as { id: number; type: string; active: number; value: number; version: number }[];

describe('alarm book', () => {
  it('keeps one active alarm per originator and type, updated rather than duplicated', async () => {
    const h = await harness();
    h.report('bin-1', { attrs: { fill: 96 } }, at(0));
    h.report('bin-1', { attrs: { fill: 97 } }, at(1));
    h.report('bin-1', { attrs: { fill: 97 } }, at(2));
    h.report('bin-1', { attrs: { fill: 99 } }, at(3));
    await h.tick(at(3, 1));
    expect(rows(h.db)).toEqual([{ id: 1, type: 'binOverflow', active: 1, value: 99, version: 3 }]); // 96 → 97 → 99: two updates
    expect(await h.mod.book.get(1)).toMatchObject({ startTs: at(0), updateTs: at(3), detail: 'fill 99 % ≥ 95 %' });
    expect(h.raised).toEqual([1]);
    // The store refuses a second active row for the same originator and type.
    expect(() => h.db.prepare(`INSERT INTO alarms (type, severity, entity_id, entity_kind, entity_name, org_code, grid_id, start_ts, update_ts, active, detail, version)
      VALUES ('binOverflow', 'major', 'bin-1', 'bin', 'b', '370102001', 'g1', 0, 0, 1, 'x', 1)`).run()).toThrow(/UNIQUE/);
  });

  it('damps flapping: a condition that clears and returns within 60 s continues the same alarm', async () => {
    const h = await harness();
    h.report('bin-1', { attrs: { fill: 96 } }, at(0));
    h.report('bin-1', { attrs: { fill: 70 } }, at(0, 10));
    await h.tick(at(0, 40));
    h.report('bin-1', { attrs: { fill: 96 } }, at(0, 50));
    await h.tick(at(1, 30)); // 80 s after the first clear: it would have cleared without the re-raise
    h.report('bin-1', { attrs: { fill: 70 } }, at(2));
    await h.tick(at(2, 59));
    expect((await h.mod.book.get(1))!.active).toBe(true);
    await h.tick(at(3));
    expect(rows(h.db).map((r) => [r.id, r.active])).toEqual([[1, 0]]);
    expect((await h.mod.book.get(1))!.endTs).toBe(at(2));
    expect(h.raised).toEqual([1]);
  });

  it('acknowledges once and clears by hand; 409 on a second ack, a second clear or a stale version', async () => {
    const h = await harness();
    h.report('bin-1', { attrs: { fill: 96 } }, at(0));
    const acked = await h.mod.book.ack(1, { name: 'dora', role: 'dispatcher' }, at(1), 1);
    expect(acked).toMatchObject({ ackBy: 'dora', ackTs: at(1), version: 2, active: true });
    await expect(h.mod.book.ack(1, admin, at(2))).rejects.toThrow(/already acknowledged by dora/);
    await expect(h.mod.book.clear(1, admin, at(2), 1)).rejects.toThrow(expect.objectContaining({ statusCode: 409, code: 'conflict' }));
    expect(await h.mod.book.clear(1, admin, at(2), 2)).toMatchObject({ active: false, clearedBy: 'ada', endTs: at(2), version: 3 });
    await expect(h.mod.book.clear(1, admin, at(3))).rejects.toThrow(expect.objectContaining({ statusCode: 409, code: 'invalid_transition' }));
    await expect(h.mod.book.ack(99, admin, at(3))).rejects.toThrow(expect.objectContaining({ statusCode: 404 }));
    expect(rows(h.db)[0]).toMatchObject({ active: 0, version: 3 });
    // The condition still holds: the next report raises a new alarm.
    h.report('bin-1', { attrs: { fill: 97 } }, at(4));
    await h.tick(at(4, 1));
    expect(h.raised).toEqual([1, 2]);
  });

  it('links a case to an alarm', async () => {
    const h = await harness();
    h.report('bin-1', { attrs: { fill: 96 } }, at(0));
    await h.mod.book.linkCase(1, 42);
    expect((await h.mod.book.get(1))!.caseId).toBe(42);
    expect(h.db.prepare('SELECT case_id FROM alarms WHERE id = 1').get()).toEqual({ case_id: 42 });
  });

  it('a settings change applies on the next evaluation; invalid settings are refused with the reason, a stale version with 409', async () => {
    const h = await harness();
    h.report('bin-1', { attrs: { fill: 92 } }, at(0));
    expect(h.activeTypes('bin-1')).toEqual(['binFull']);
    const row = h.mod.settingsRow();
    expect(row.version).toBe(0);
    await h.mod.updateSettings({ ...row.settings, binOverflowPct: 90 }, 0, admin, at(1));
    h.report('bin-1', { attrs: { fill: 92 } }, at(2));
    expect(h.activeTypes('bin-1')).toEqual(['binOverflow']);
    await expect(h.mod.updateSettings({ ...row.settings, binFullPct: 96 }, 1, admin, at(3))).rejects.toThrow('binFullPct (96) must be below binOverflowPct (95)');
    await expect(h.mod.updateSettings({ ...row.settings, clearHoldS: -1 }, 1, admin, at(3))).rejects.toThrow(/clearHoldS/);
    await expect(h.mod.updateSettings({ ...row.settings, vehicleBannedHours: ['7-10'] }, 1, admin, at(3))).rejects.toThrow(/vehicleBannedHours/);
    await expect(h.mod.updateSettings(row.settings, 0, admin, at(3))).rejects.toThrow(expect.objectContaining({ statusCode: 409 }));
    expect(h.mod.settingsRow()).toMatchObject({ version: 1, updatedBy: 'ada', updatedTs: at(1) });
  });

  it('survives a restart: settings and active alarms come back from the store, and the truck shows its violations again', async () => {
    const db = new Database(':memory:');
    const a = await harness(undefined, db);
    await a.mod.updateSettings({ ...DEFAULT_ALARM_SETTINGS, muckSpeedLimitKph: 50 }, 0, admin, at(0));
    a.report('muck-1', { pos: { lon: 117.055, lat: 36.65, ts: at(0), speed: 55 } }, at(0));
    // A graceful shutdown (the plugin's onClose) writes the last batch.
    a.mod.engine.stop();
    await a.mod.book.flush();
    const b = await harness(undefined, db);
    expect(b.mod.settingsRow().settings.muckSpeedLimitKph).toBe(50);
    expect(b.activeTypes('muck-1')).toEqual(['muckSpeeding']);
    expect(b.live.get('muck-1')!.attrs).toMatchObject({ violations: ['speeding'] });
  });
});
