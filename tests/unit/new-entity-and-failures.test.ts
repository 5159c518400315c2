import { describe, expect, it } from 'vitest';
import { buildEntity, normalisePlate, type EntityPlacer } from '../../server/devices/new-entity.ts';
import { TimerFailures } from '../../server/live/timer-failures.ts';

const place: EntityPlacer = (lon, lat) => (lon > 117 && lat > 36 ? { streetCode: '370102004', gridId: 'g7' } : null);

describe('a new entity for a device', () => {
  it('gets each kind\'s attributes from the vocabularies, the defaults when no type is given, and a street from its place', () => {
    expect(buildEntity('rt-a', { kind: 'vehicle', name: '鲁A·1', plate: '鲁A·1' }, place)).toMatchObject({
      ok: true, entity: { id: 'rt-a', kind: 'vehicle', status: 'parked', orgCode: '', gridId: '', attrs: { vehicleType: 'sweeper', plate: '鲁A·1', working: false } },
    });
    expect(buildEntity('rt-b', { kind: 'staff', name: '李四', type: 'enforcer' }, place)).toMatchObject({ ok: true, entity: { kind: 'staff', status: 'offDuty', attrs: { role: 'enforcer', onDuty: false } } });
    expect(buildEntity('rt-c', { kind: 'toilet', name: 'WC', lon: 117.1, lat: 36.6 }, place)).toMatchObject({
      ok: true, entity: { kind: 'toilet', status: 'closed', orgCode: '370102004', gridId: 'g7', pos: { lon: 117.1, lat: 36.6, ts: 0 }, attrs: { toiletClass: 'II', odourAlarm: false } },
    });
    expect(buildEntity('rt-d', { kind: 'muckTruck', name: '鲁A·M9', plate: '鲁A·M9' }, place)).toMatchObject({ ok: true, entity: { kind: 'muckTruck', attrs: { plate: '鲁A·M9', violations: [], lidSealed: true } } });
  });

  it('refuses what the domain does not know, saying why', () => {
    expect(buildEntity('x', { kind: 'vehicle', name: 'v', type: 'tank' }, place)).toEqual({ ok: false, detail: 'vehicle type "tank" is not one of sweeper, washer, sprinkler, compactor' });
    expect(buildEntity('x', { kind: 'staff', name: 's', type: 'mayor' }, place)).toEqual({ ok: false, detail: 'staff role "mayor" is not one of cleaner, roadChief, enforcer' });
    expect(buildEntity('x', { kind: 'muckTruck', name: 'm' }, place)).toEqual({ ok: false, detail: 'a new muck truck needs its plate' });
    expect(buildEntity('x', { kind: 'bin', name: 'b', lon: 117.1 }, place)).toEqual({ ok: false, detail: 'lon and lat go together' });
    expect(buildEntity('x', { kind: 'bin', name: 'b', lon: 116, lat: 36 }, place)).toEqual({ ok: false, detail: '116, 36 is outside the district' });
  });

  it('compares plates without spaces, dots and case', () => {
    expect(normalisePlate(' 鲁a · 12345 ')).toBe(normalisePlate('鲁A·12345'));
    expect(normalisePlate('鲁A-12345')).toBe('鲁A12345');
  });
});

describe('timer failures', () => {
  it('are counted by name and logged at the 1st, 10th, 100th… occurrence, never rethrown', () => {
    const logged: number[] = [];
    const f = new TimerFailures({ error: (obj) => logged.push((obj as { failures: number }).failures) });
    const tick = f.guard('live tick', (n: number) => { if (n % 2 === 0) throw new Error(`tick ${n}`); });
    for (let n = 0; n < 200; n++) expect(() => tick(n)).not.toThrow();
    expect(f.counts).toEqual({ 'live tick': 100 });
    expect(logged).toEqual([1, 10, 100]);
    // A logger that throws does not escape either.
    const g = new TimerFailures({ error: () => { throw new Error('log down'); } });
    expect(() => g.run('sweep', () => { throw new Error('x'); })).not.toThrow();
    expect(g.counts).toEqual({ sweep: 1 });
  });
});
