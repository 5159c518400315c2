import { describe, expect, it } from 'vitest';
import { harness, LAT0, LON0, M_PER_DEG_LAT, MIN, northOf, T0, tinyPack } from './alarm-fixtures.ts';

const at = (min: number, s = 0) => T0 + min * MIN + s * 1000;
const pos = (p: { lon: number; lat: number }, speed: number, t: number) => ({ pos: { lon: p.lon, lat: p.lat, ts: t, speed } });

describe('muck truck rules', () => {
  it('raises off-route only after 10 min beyond the 50 m corridor, critical at 15, and clears 60 s after it is back', async () => {
    const h = await harness();
    const off = northOf(60); // 60 m from the permit line, corridor 50 m
    h.report('muck-1', pos(off, 30, at(0)), at(0));
    h.report('muck-1', pos(off, 30, at(9)), at(9));
    expect(h.activeTypes('muck-1')).toEqual([]);
    h.report('muck-1', pos(off, 30, at(11)), at(11));
    const [alarm] = await h.mod.book.active();
    expect(alarm).toMatchObject({ type: 'muckOffRoute', severity: 'major', entityId: 'muck-1', startTs: at(11), value: 60, detail: '60 m off the permitted route (corridor 50 m) for 11 min' });
    expect(h.live.get('muck-1')!.attrs).toMatchObject({ violations: ['offRoute'] });
    h.report('muck-1', pos(off, 30, at(15)), at(15));
    expect(await h.mod.book.get(alarm!.id)).toMatchObject({ severity: 'critical', active: true, startTs: at(11) });

    h.report('muck-1', pos(northOf(10), 30, at(16)), at(16));
    await h.tick(at(16, 59));
    expect((await h.mod.book.get(alarm!.id))!.active).toBe(true);
    expect(h.live.get('muck-1')!.attrs).toMatchObject({ violations: ['offRoute'] });
    await h.tick(at(17));
    expect(await h.mod.book.get(alarm!.id)).toMatchObject({ active: false, endTs: at(16), clearedBy: 'system' });
    expect(h.live.get('muck-1')!.attrs).toMatchObject({ violations: [] });
    expect(h.raised).toEqual([alarm!.id]);
  });

  it('stays quiet 40 m off a 50 m corridor however long', async () => {
    const h = await harness();
    for (let m = 0; m <= 30; m += 5) h.report('muck-1', pos(northOf(40), 30, at(m)), at(m));
    await h.tick(at(31));
    expect(h.activeTypes('muck-1')).toEqual([]);
  });

  it('raises off-route from the sweep when a truck stays off without reporting', async () => {
    const h = await harness();
    h.report('muck-1', pos(northOf(60), 0, at(0)), at(0));
    await h.tick(at(9, 59));
    expect(h.activeTypes('muck-1')).toEqual([]);
    await h.tick(at(10, 30));
    expect(h.activeTypes('muck-1')).toEqual(['muckOffRoute']);
  });

  it('lid unsealed above 20 km/h, speeding above 60 km/h', async () => {
    const h = await harness();
    const on = northOf(0);
    h.report('muck-1', { ...pos(on, 20, at(0)), attrs: { lidSealed: false } }, at(0));
    expect(h.activeTypes('muck-1')).toEqual([]);
    h.report('muck-1', pos(on, 21, at(1)), at(1));
    expect(h.activeTypes('muck-1')).toEqual(['muckLidOpen']);
    h.report('muck-1', pos(on, 61, at(2)), at(2));
    expect(h.activeTypes('muck-1')).toEqual(['muckLidOpen', 'muckSpeeding']);
    expect(h.live.get('muck-1')!.attrs).toMatchObject({ violations: ['lidOpen', 'speeding'] });
    h.report('muck-1', { ...pos(on, 60, at(3)), attrs: { lidSealed: true } }, at(3));
    await h.tick(at(4, 1));
    expect(h.activeTypes('muck-1')).toEqual([]);
  });

  it('moving outside the permitted hours (22:00-05:00) at 10:00 local, not when parked', async () => {
    const h = await harness(tinyPack({ muckHours: '22:00-05:00' }));
    h.report('muck-1', pos(northOf(0), 5, at(0)), at(0));
    expect(h.activeTypes('muck-1')).toEqual([]); // 5 km/h is not moving (movingKph 5)
    h.report('muck-1', pos(northOf(0), 30, at(1)), at(1));
    expect((await h.mod.book.active())[0]).toMatchObject({ type: 'muckOutsideHours', detail: 'moving at 30 km/h outside permitted hours 22:00-05:00' });
    // 14:00 UTC is 22:00 in Jinan: inside the permit.
    const night = Date.UTC(2026, 0, 15, 14, 0, 0);
    h.report('muck-1', pos(northOf(0), 30, night), night);
    await h.tick(night + 61_000);
    expect(h.activeTypes('muck-1')).toEqual([]);
  });

  it('inside a restricted zone; no zones in the pack, no rule', async () => {
    const inZone = { lon: LON0 + 0.025, lat: LAT0 + 0.005 };
    const withZones = await harness(tinyPack({ zones: true }));
    withZones.report('muck-1', pos(inZone, 30, at(0)), at(0));
    expect((await withZones.mod.book.active()).find((a) => a.type === 'muckRestrictedZone')).toMatchObject({ severity: 'critical', detail: 'inside restricted zone School' });
    expect(withZones.live.get('muck-1')!.attrs).toMatchObject({ violations: ['restrictedZone'] });
    const without = await harness();
    without.report('muck-1', pos(inZone, 30, at(0)), at(0));
    expect(without.activeTypes('muck-1')).not.toContain('muckRestrictedZone');
  });
});

describe('bin and toilet rules', () => {
  it('bin: 79 % nothing, 80 % full (warning), 95 % overflow replacing full, one of the two at a time', async () => {
    const h = await harness();
    h.report('bin-1', { attrs: { fill: 79 } }, at(0));
    expect(h.activeTypes('bin-1')).toEqual([]);
    h.report('bin-1', { attrs: { fill: 80 } }, at(1));
    expect((await h.mod.book.active())[0]).toMatchObject({ type: 'binFull', severity: 'warning', value: 80, detail: 'fill 80 % ≥ 80 %' });
    h.report('bin-1', { attrs: { fill: 95 } }, at(2));
    expect(h.activeTypes('bin-1')).toEqual(['binOverflow']);
    h.report('bin-1', { attrs: { fill: 90 } }, at(3));
    expect(h.activeTypes('bin-1')).toEqual(['binOverflow']); // in its clear hold
    await h.tick(at(4));
    expect(h.activeTypes('bin-1')).toEqual([]);
    h.report('bin-1', { attrs: { fill: 90 } }, at(4, 10));
    expect(h.activeTypes('bin-1')).toEqual(['binFull']);
  });

  it('toilet class II: NH₃ over 1 mg/m³, H₂S over 0.01, cleaning overdue after 4 h while open', async () => {
    const h = await harness();
    h.report('toilet-1', { status: 'open', attrs: { open: true, nh3: 1.0, h2s: 0.01, lastCleanedTs: at(0) - 3.5 * 60 * MIN } }, at(0));
    expect(h.activeTypes('toilet-1')).toEqual([]);
    h.report('toilet-1', { attrs: { nh3: 1.2, h2s: 0.02 } }, at(1));
    expect(h.activeTypes('toilet-1')).toEqual(['toiletH2s', 'toiletNh3']);
    expect((await h.mod.book.active()).find((a) => a.type === 'toiletNh3')!.detail).toBe('NH₃ 1.2 mg/m³ > 1 (class II)');
    // Cleaned 3.5 h before minute 0: overdue from minute 30; the sweep finds it without a report.
    await h.tick(at(29));
    expect(h.activeTypes('toilet-1')).not.toContain('toiletCleaningOverdue');
    await h.tick(at(31));
    expect((await h.mod.book.active()).find((a) => a.type === 'toiletCleaningOverdue')).toMatchObject({ severity: 'minor', value: 4 });
    h.report('toilet-1', { status: 'closed', attrs: { open: false } }, at(32));
    await h.tick(at(33, 1));
    expect(h.activeTypes('toilet-1')).toEqual(['toiletH2s', 'toiletNh3']);
  });

  it('a toilet class without a limit is held to the strictest NH₃ limit (class I), never to none', async () => {
    const h = await harness();
    // Around the ingest, as a bug would: the class is not in the vocabulary.
    h.report('toilet-1', { status: 'open', attrs: { open: true, toiletClass: 'IV', nh3: 0.5, h2s: 0 } }, at(0));
    expect(h.activeTypes('toilet-1')).toEqual(['toiletNh3']);
    expect((await h.mod.book.active()).find((a) => a.type === 'toiletNh3')!.detail).toBe('NH₃ 0.5 mg/m³ > 0.3 (class IV)');
  });
});

describe('vehicle and staff rules', () => {
  it('vehicle working over its 8 km/h limit, and working in banned hours (07:00-10:00) found by the sweep', async () => {
    const h = await harness();
    const p = northOf(0);
    h.report('veh-1', { status: 'working', attrs: { working: true }, ...pos(p, 8, at(0)) }, at(0));
    expect(h.activeTypes('veh-1')).toEqual([]);
    h.report('veh-1', pos(p, 9, at(1)), at(1));
    expect(h.activeTypes('veh-1')).toEqual(['vehicleOverspeed']);
    // 16:59 local, working; at 17:00 the banned window opens while it keeps working.
    const t = Date.UTC(2026, 0, 15, 8, 59, 0);
    h.report('veh-1', pos(p, 6, t), t);
    await h.tick(t + 61_000);
    expect(h.activeTypes('veh-1')).toEqual(['vehicleBannedHours']);
    expect((await h.mod.book.active())[0]!.detail).toBe('working in banned hours 17:00-20:00');
  });

  it('staff SOS, out of grid by > 200 m for 5 min, off post after 20 min in shift; a road chief is measured from the road', async () => {
    const h = await harness();
    h.report('staff-1', { status: 'sos', attrs: { sos: true, onDuty: true }, ...pos(northOf(0), 0, at(0)) }, at(0));
    expect((await h.mod.book.active())[0]).toMatchObject({ type: 'staffSos', severity: 'critical' });
    // The grid's north edge is 0.005° (556 m) north of the line: 556 + 250 m is 250 m out.
    const out = northOf(0.005 * M_PER_DEG_LAT + 250);
    h.report('staff-1', { status: 'onDuty', attrs: { sos: false }, ...pos(out, 4, at(1)) }, at(1));
    h.report('staff-1', pos(out, 4, at(5, 59)), at(5, 59));
    expect(h.activeTypes('staff-1')).toEqual(['staffSos']); // SOS in its hold, out of grid for 4:59
    h.report('staff-1', pos(out, 4, at(6)), at(6));
    expect((await h.mod.book.active()).find((a) => a.type === 'staffOutOfGrid')).toMatchObject({ value: 250, detail: '250 m outside the assigned grid for 5 min' });
    await h.tick(at(21));
    expect(h.activeTypes('staff-1')).toEqual(['staffOffPost', 'staffOutOfGrid']);

    // Road chief 250 m from the road but inside the grid: out of post all the same.
    h.report('staff-2', { status: 'onDuty', attrs: { onDuty: true }, ...pos(northOf(250), 4, at(0)) }, at(0));
    h.report('staff-2', pos(northOf(250), 4, at(5)), at(5));
    expect((await h.mod.book.active()).find((a) => a.entityId === 'staff-2')).toMatchObject({ type: 'staffOutOfGrid', detail: '250 m outside the assigned road for 5 min' });
  });

  it('measures an enforcer from their street, not their grid', async () => {
    const h = await harness();
    // 1,000 m north of the grid's edge, but well inside the street (its edge is 2,224 m north of the road).
    const inStreet = northOf(0.005 * M_PER_DEG_LAT + 1000);
    h.report('staff-3', { status: 'onDuty', attrs: { onDuty: true }, ...pos(inStreet, 15, at(0)) }, at(0));
    h.report('staff-3', pos(inStreet, 15, at(6)), at(6));
    expect(h.activeTypes('staff-3')).toEqual([]);
    const outOfStreet = northOf(0.02 * M_PER_DEG_LAT + 300);
    h.report('staff-3', pos(outOfStreet, 15, at(7)), at(7));
    h.report('staff-3', pos(outOfStreet, 15, at(12)), at(12));
    expect((await h.mod.book.active()).find((a) => a.entityId === 'staff-3')).toMatchObject({ type: 'staffOutOfGrid', value: 300, detail: '300 m outside the assigned street for 5 min' });
  });

  it('never flags a person sent away on a dispatched task as out of grid or off post', async () => {
    let tasked = true;
    const h = await harness(tinyPack(), undefined, (id) => tasked && id === 'staff-1');
    const out = northOf(0.005 * M_PER_DEG_LAT + 800);
    h.report('staff-1', { status: 'onDuty', attrs: { onDuty: true }, ...pos(out, 10, at(0)) }, at(0));
    h.report('staff-1', pos(out, 10, at(30)), at(30));
    await h.tick(at(30));
    expect(h.activeTypes('staff-1')).toEqual([]);
    // Back from the task but still away: the 5 minutes count from now.
    tasked = false;
    h.report('staff-1', pos(out, 4, at(31)), at(31));
    h.report('staff-1', pos(out, 4, at(35, 59)), at(35, 59));
    expect(h.activeTypes('staff-1')).toEqual([]);
    h.report('staff-1', pos(out, 4, at(36, 1)), at(36, 1));
    expect(h.activeTypes('staff-1')).toEqual(['staffOutOfGrid']);
  });

  it('staff silent for 20 min inside the shift is off post (sweep)', async () => {
    const h = await harness();
    h.report('staff-1', { status: 'onDuty', attrs: { onDuty: true }, ...pos(northOf(0), 4, at(0)) }, at(0));
    await h.tick(at(19, 59));
    expect(h.activeTypes('staff-1')).not.toContain('staffOffPost');
    await h.tick(at(20, 30));
    expect((await h.mod.book.active()).find((a) => a.type === 'staffOffPost')!.detail).toBe('on shift, silent for 20 min');
  });
});

describe('driver SOS from a terminal', () => {
  it('raises a critical driverSos for a vehicle and a muck truck whose terminal reports sos, released when it clears', async () => {
    const h = await harness();
    h.report('veh-1', { attrs: { sos: true, acc: true, terminalAlarms: 1 }, ...pos(northOf(0), 0, at(0)) }, at(0));
    h.report('muck-1', { attrs: { sos: true }, ...pos(northOf(0), 0, at(0)) }, at(0));
    expect((await h.mod.book.active()).filter((a) => a.type === 'driverSos').map((a) => [a.entityId, a.severity])).toEqual([['veh-1', 'critical'], ['muck-1', 'critical']]);
    h.report('veh-1', { attrs: { sos: false }, ...pos(northOf(0), 0, at(1)) }, at(1));
    await h.tick(at(5));
    expect(h.activeTypes('veh-1')).not.toContain('driverSos');
    expect(h.activeTypes('muck-1')).toContain('driverSos');
  });
});

describe('the sweep', () => {
  it('re-judges an entity once its last judgement is 30 s old, never one judged since by its reports, never a bin', async () => {
    const h = await harness();
    const n = () => h.mod.engine.evaluations;
    h.report('staff-1', { status: 'onDuty', attrs: { onDuty: true }, ...pos(northOf(0), 4, at(0)) }, at(0));
    h.report('muck-1', pos(northOf(0), 0, at(0)), at(0));
    h.report('bin-1', { attrs: { fill: 10 } }, at(0));
    expect(n()).toBe(3);
    await h.tick(at(0, 29));
    expect(n()).toBe(3);
    h.report('staff-1', pos(northOf(0), 4, at(0, 25)), at(0, 25));
    await h.tick(at(0, 30)); // the truck's judgement is 30 s old; the person's 5 s, the bin is judged on its reports alone
    expect(n()).toBe(5);
    await h.tick(at(0, 54));
    expect(n()).toBe(5);
    await h.tick(at(0, 55)); // the person, 30 s after their report
    expect(n()).toBe(6);
    // veh-1, staff-2 and toilet-1 never reported: nothing to judge, however long.
    await h.tick(at(30));
    expect(n()).toBe(8);
  });
});

describe('offline', () => {
  it('raises deviceOffline on the connectivity change to offline and clears it when the device reports again (after the hold)', async () => {
    const h = await harness();
    h.report('bin-1', { attrs: { fill: 10 } }, at(0));
    h.live.sweepConnectivity(at(4, 59));
    expect(h.activeTypes('bin-1')).toEqual([]); // stale, not offline
    h.live.sweepConnectivity(at(5));
    expect((await h.mod.book.active())[0]).toMatchObject({ type: 'deviceOffline', entityKind: 'bin', startTs: at(5), detail: `no report since ${new Date(at(0)).toISOString()}` });
    h.report('bin-1', { attrs: { fill: 11 } }, at(6));
    await h.tick(at(7));
    expect(h.activeTypes('bin-1')).toEqual([]);
  });

  it('follows offlineAlarmKinds', async () => {
    const h = await harness();
    const row = h.mod.settingsRow();
    await h.mod.updateSettings({ ...row.settings, offlineAlarmKinds: ['staff'] }, row.version, { name: 'admin', role: 'admin' }, at(0));
    h.report('bin-1', { attrs: { fill: 10 } }, at(0));
    h.live.sweepConnectivity(at(6));
    expect(h.activeTypes('bin-1')).toEqual([]);
  });
});
