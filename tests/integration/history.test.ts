import { afterAll, describe, expect, it } from 'vitest';
import { call, login, waitFor } from './ops-http.ts';
import { startServer, type RunningServer } from './server-harness.ts';

const servers: RunningServer[] = [];
afterAll(async () => { for (const s of servers) await s.close(); });

/** 1e-6° of latitude in metres (R = 6,371,008.8 m): steps of 450 µ° are 50 m, 90 µ° are 10 m. */
const LAT0 = 36.66;
const LON0 = 117.02;

describe('history over HTTP', () => {
  it('keeps the downsampled track of reports fed through the ingest, answers it, keeps it across a restart and survives a failed flush', async () => {
    const s = await startServer({ SIM_ENABLED: 'false', HISTORY_FLUSH_S: '1' });
    servers.push(s);
    const admin = await login(s.url, 'admin', s.firstStart!.adminPassword!);
    const veh = s.app.live.all().find((e) => e.kind === 'vehicle')!;
    const from = Date.now() - 1000;
    const fixTs = Date.now() - 300_000;
    // 0, +50 m, +60 m (10 m: dropped), +110 m, then a status change in place
    const steps: [number, string | undefined][] = [[0, 'idle'], [450, undefined], [540, undefined], [990, undefined], [990, 'working']];
    steps.forEach(([dLat, status], i) => {
      const out = s.app.ingest.submit({ source: 'sim', deviceId: veh.id, ts: fixTs + i * 20_000, pos: { lon: LON0, lat: LAT0 + dLat / 1e6 }, ...(status ? { status } : {}) });
      expect(out, `report ${i}`).toMatchObject({ accepted: true });
    });
    const expected = [[LON0, 36.66, 'idle'], [LON0, 36.66045, 'idle'], [LON0, 36.66099, 'idle'], [LON0, 36.66099, 'working']];
    const to = Date.now() + 60_000;
    const path = `/api/history/track?entity=${veh.id}&from=${from}&to=${to}`;
    // Written by the flush timer (HISTORY_FLUSH_S=1), not by this test.
    const track = await waitFor('the flushed track', async () => {
      const r = await call(s.url, admin, 'GET', path);
      return r.status === 200 && r.json.points.length >= expected.length ? r.json : undefined;
    }, 10_000);
    expect(track).toMatchObject({ entity: veh.id, kind: 'vehicle', from, to });
    expect(track.points.map((p: any) => [p.lon, p.lat, p.status])).toEqual(expected);
    expect(track.points.every((p: any) => p.connectivity === 'online' && p.ts % 1000 === 0 && p.ts >= from - 1000)).toBe(true);

    // Refusals name the parameter; roles are enforced.
    const bad = await call(s.url, admin, 'GET', `/api/history/track?entity=${veh.id}&from=abc&to=${to}`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json.error)).toContain('from');
    const missing = await call(s.url, admin, 'GET', `/api/history/track?from=${from}&to=${to}`);
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toContain('entity');
    const long = await call(s.url, admin, 'GET', `/api/history/track?entity=${veh.id}&from=0&to=${25 * 3_600_000}`);
    expect(long.status).toBe(400);
    expect(long.json.error.message).toMatch(/^to: .*24 h/);
    const reversed = await call(s.url, admin, 'GET', `/api/history/track?entity=${veh.id}&from=${to}&to=${from}`);
    expect(reversed.status).toBe(400);
    expect((await call(s.url, admin, 'GET', `/api/history/track?entity=nope&from=${from}&to=${to}`)).status).toBe(404);
    expect((await call(s.url, s.firstStart!.wallToken, 'GET', path)).status).toBe(403);
    expect((await call(s.url, undefined, 'GET', path)).status).toBe(401);

    // A restart keeps them, and lastKnown has the entity's last kept state.
    await s.close({ keepData: true });
    servers.pop();
    const again = await startServer({ SIM_ENABLED: 'false', HISTORY_FLUSH_S: '1' }, s.dataDir);
    servers.push(again);
    const admin2 = await login(again.url, 'admin', s.firstStart!.adminPassword!);
    const after = await call(again.url, admin2, 'GET', path);
    expect(after.json.points.map((p: any) => [p.lon, p.lat, p.status])).toEqual(expected);
    expect((await again.app.history.lastKnown()).find((x) => x.entityId === veh.id)).toMatchObject({ lat: 36.66099, status: 'working' });

    // A failing store: the timer logs, counts and keeps going; the points come with the next good flush.
    // The roll-up table gone (renamed away, so that it comes back as it was on either store).
    const sql = again.app.store.sql;
    await sql.exec('ALTER TABLE history_daily RENAME TO history_daily_away');
    // The restarted live state holds the restored position (part 2), so the next fix must be newer than it.
    const healedOut = again.app.ingest.submit({ source: 'sim', deviceId: veh.id, ts: Date.now(), pos: { lon: LON0, lat: LAT0 + 1100 / 1e6 } });
    expect(healedOut).toMatchObject({ accepted: true });
    await waitFor('a failed flush', () => (again.app.historyStore.stats.flushFailures >= 2 ? true : undefined), 10_000);
    expect(again.app.historyStore.pendingPoints).toBe(1);
    await sql.exec('ALTER TABLE history_daily_away RENAME TO history_daily');
    const healed = await waitFor('the point after the store healed', async () => {
      const r = await call(again.url, admin2, 'GET', `/api/history/track?entity=${veh.id}&from=${from}&to=${Date.now() + 60_000}`);
      return r.json.points.length === expected.length + 1 ? r.json.points : undefined;
    }, 10_000);
    // The restarted live state carried the restored status ('working'), and history records what the live state says.
    expect(healed.at(-1)).toMatchObject({ lat: 36.6611, status: 'working' });
  }, 60_000);
});
