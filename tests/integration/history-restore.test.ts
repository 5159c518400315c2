/**
 * Issue 7 part 2: the last known state survives a restart. The first run's clock is set to
 * times in the past, a few entities report, the app closes (its history flushes), and a
 * second run at the present time must show what they reported — position, status, readings —
 * with the old lastSeen and the connectivity that age means, not "online now" and not the
 * pack's defaults.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { lixiaPack } from './server-harness.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const MIN = 60_000;

describe('last known state across a restart', () => {
  it('restores bins, a toilet and a vehicle as they last reported, aged by the connectivity policy, without counting them as reports', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cityops-restore-'));
    dirs.push(dataDir);
    // Defaults: trackers stale after 60 s / offline after 600 s; sensors 900 s / 3600 s.
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, SIM_ENABLED: 'false', LOG_LEVEL: 'silent', SIM_HISTORY_DAYS: '0' });
    const pack = await lixiaPack();
    const present = Date.now();
    let clock = present - 130 * MIN;
    const first = await buildApp(config, { pack, logger: false, now: () => clock });
    const bins = first.app.live.all().filter((e) => e.kind === 'bin').slice(0, 3);
    const veh = first.app.live.all().find((e) => e.kind === 'vehicle')!;
    const toilet = first.app.live.all().find((e) => e.kind === 'toilet')!;
    const submit = (deviceId: string, at: number, rest: Record<string, unknown>) => {
      clock = at;
      const out = first.app.ingest.submit({ source: 'sim', deviceId, ts: at, ...rest } as never);
      expect(out, deviceId).toMatchObject({ accepted: true });
    };
    const tOld = present - 130 * MIN;     // sensors: offline (≥ 60 min), trackers: offline
    const tStale = present - 20 * MIN;    // sensors: stale (15..60 min)
    const tFresh = present - 5 * MIN;     // sensors: online (< 15 min)
    submit(veh.id, tOld, { pos: { lon: 117.05, lat: 36.66 }, status: 'idle', attrs: { routeDone: 0.1 } });
    submit(veh.id, tOld + 2 * MIN, { pos: { lon: 117.0512, lat: 36.6611, speed: 38 }, status: 'working', attrs: { routeDone: 0.42 } });
    submit(bins[0]!.id, tOld + 3 * MIN, { status: 'full', attrs: { fill: 83 } });
    submit(bins[1]!.id, tStale, { status: 'ok', attrs: { fill: 41 } });
    submit(toilet.id, tStale + MIN, { status: 'open', attrs: { nh3: 0.42, h2s: 0.004, occupied: 3 } });
    submit(bins[2]!.id, tFresh, { status: 'overflow', attrs: { fill: 97 } });
    clock = present - MIN;
    await first.app.close(); // a graceful close flushes history

    const second = await buildApp(config, { pack, logger: false });
    try {
      const live = second.app.live;
      const v = live.get(veh.id)!;
      expect(v.pos).toEqual({ lon: 117.0512, lat: 36.6611, ts: Math.floor((tOld + 2 * MIN) / 1000) * 1000 });
      expect(v.status).toBe('working');
      expect((v.attrs as { routeDone: number }).routeDone).toBe(0.42);
      expect(v.lastSeen).toBe(Math.floor((tOld + 2 * MIN) / 1000) * 1000);
      expect(v.connectivity).toBe('offline');

      const b0 = live.get(bins[0]!.id)!;
      expect([b0.status, (b0.attrs as { fill: number }).fill, b0.connectivity]).toEqual(['full', 83, 'offline']);
      expect(b0.lastSeen).toBe(Math.floor((tOld + 3 * MIN) / 1000) * 1000);
      const b1 = live.get(bins[1]!.id)!;
      expect([b1.status, (b1.attrs as { fill: number }).fill, b1.connectivity]).toEqual(['ok', 41, 'stale']);
      expect(b1.lastSeen).toBe(Math.floor(tStale / 1000) * 1000);
      const b2 = live.get(bins[2]!.id)!;
      expect([b2.status, (b2.attrs as { fill: number }).fill, b2.connectivity]).toEqual(['overflow', 97, 'online']);
      const t = live.get(toilet.id)!;
      expect(t.attrs).toMatchObject({ nh3: 0.42, h2s: 0.004, occupied: 3, toiletClass: toilet.attrs.toiletClass });
      expect([t.status, t.connectivity]).toEqual(['open', 'stale']);
      // Static attributes of the pack are kept beside the restored readings.
      expect((b0.attrs as { binType: string }).binType).toBe((bins[0]!.attrs as { binType: string }).binType);

      // Never reported in the first run: as the pack has it.
      const untouched = live.all().find((e) => e.kind === 'bin' && !bins.some((b) => b.id === e.id))!;
      expect([untouched.lastSeen, untouched.connectivity]).toEqual([0, 'offline']);

      // Not a report: the ingest accepted nothing and history recorded nothing new.
      expect(second.app.ingest.snapshotStats().accepted).toBe(0);
      expect(second.app.historyStore.stats.changes).toBe(0);

      // The sweep keeps the age honest: 50 more minutes and the stale bin is offline.
      live.sweepConnectivity(Date.now() + 50 * MIN);
      expect(live.get(bins[1]!.id)!.connectivity).toBe('offline');

      // The next real report wins over the restored state.
      const out = second.app.ingest.submit({ source: 'sim', deviceId: bins[1]!.id, ts: Date.now(), attrs: { fill: 12 }, status: 'ok' });
      expect(out).toMatchObject({ accepted: true });
      expect([(live.get(bins[1]!.id)!.attrs as { fill: number }).fill, live.get(bins[1]!.id)!.connectivity]).toEqual([12, 'online']);
    } finally {
      await second.app.close();
    }
  }, 60_000);
});
