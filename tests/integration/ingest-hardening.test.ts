/**
 * The hardened ingest in the running server: an SOS inside a late (blind-area) batch raises the
 * alarm, late fixes land in history at their own time, a value that slipped past the ingest
 * does not stop the broadcast tick, and /api/ingest/stats explains it all per source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KpiSummary } from '../../shared/kpis.ts';
import type { IngestStatsView } from '../../shared/schemas/ingest-stats.ts';
import { liveClient, lixiaPack, once, startServer, type LiveClient, type RunningServer } from './server-harness.ts';

let s: RunningServer;
let admin: string;
const clients: LiveClient[] = [];

beforeAll(async () => {
  // No simulator: the only reports are the test's.
  s = await startServer({ SIM_ENABLED: 'false', LIVE_TICK_MS: '200', INGEST_JT808_MIN_DISTANCE_M: '10', INGEST_HTTP_CRS: 'GCJ02', INGEST_HTTP_MAX_ACCURACY_M: '80' });
  const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: s.firstStart!.adminPassword }) });
  admin = ((await res.json()) as { token: string }).token;
});
afterAll(async () => {
  for (const c of clients) c.close();
  await s?.close();
});

describe('hardened ingest (running server)', () => {
  it('an SOS inside a blind-area batch raises driverSos though the live truck shows none, and the batch lands in history at its own time', async () => {
    const pack = await lixiaPack();
    const truck = pack.muckTrucks[0]!;
    await s.app.deviceDirectory.create('jt808', '013955550001', { entityId: truck.id }, null);
    const jt808 = s.app.ingest.sink('jt808');
    const now = Date.now();
    const here = { lon: truck.permit.site.lon, lat: truck.permit.site.lat };
    expect(jt808.submit({ deviceId: '013955550001', ts: now, pos: here, attrs: { sos: false, acc: true } })).toMatchObject({ accepted: true });
    // The 0x0704 backfill: three fixes from five minutes ago, the middle one with the SOS bit.
    const batch = [300, 290, 280].map((ago, k) => ({
      deviceId: '013955550001', ts: now - ago * 1000, pos: { lon: here.lon - 0.001 * (3 - k), lat: here.lat }, attrs: { sos: k === 1, acc: true },
    }));
    for (const r of batch) expect(jt808.submit(r)).toEqual({ accepted: true, entityId: truck.id, late: true });
    expect(s.app.live.get(truck.id)).toMatchObject({ pos: { lon: here.lon, lat: here.lat }, attrs: { sos: false } });
    const alarm = (await s.app.alarmsModule.book.active()).find((a) => a.entityId === truck.id && a.type === 'driverSos');
    expect(alarm).toMatchObject({ severity: 'critical', entityKind: 'muckTruck' });
    expect(alarm!.detail).toContain(new Date(now - 290_000).toISOString());

    await s.app.historyStore.flush();
    const track = await s.app.history.track(truck.id, now - 600_000, now + 60_000);
    const times = track.map((p) => p.ts);
    for (const r of batch) expect(times).toContain(Math.floor(r.ts / 1000) * 1000);
    const first = track.find((p) => p.ts === Math.floor(batch[0]!.ts / 1000) * 1000)!;
    expect(first.lon).toBeCloseTo(batch[0]!.pos.lon, 6);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('survives a value that got past the ingest: the broadcast tick keeps sending deltas and counts the failure', async () => {
    const pack = await lixiaPack();
    const c = liveClient(s.url, s.firstStart!.wallToken);
    clients.push(c);
    await once((ok) => c.once('live:snapshot', ok), 15_000, 'snapshot');
    // Straight into the live state, around the ingest, as a bug would: a status no frame can encode.
    const victim = pack.vehicles[0]!.id;
    s.app.live.apply(victim, { status: 'flying' }, Date.now());
    await new Promise((r) => setTimeout(r, 600));
    // Another entity moves: the screens still learn of it — the tick did not die with the bad row.
    s.app.live.apply(victim, { status: 'idle' }, Date.now());
    const bin = pack.bins[0]!;
    expect(s.app.ingest.submit({ source: 'sim', deviceId: bin.id, ts: Date.now(), attrs: { fill: 90 } }).accepted).toBe(true);
    const kpis = await once<KpiSummary>((ok) => c.on('live:kpis', (k) => { if (k.binsFull === 1) ok(k); }), 10_000, 'kpis after the bad tick');
    expect(kpis.byKind.bin.total).toBe(pack.bins.length);
    const stats = await (await fetch(`${s.url}/api/ingest/stats`, { headers: { authorization: `Bearer ${admin}` } })).json() as IngestStatsView;
    expect(stats.failures['live send']).toBeGreaterThan(0);
  });

  it('GET /api/ingest/stats: per source with its normalisation, per reason, per device, and the unattributed refusals', async () => {
    await s.app.deviceDirectory.create('http', 'phone-9', { entityId: (await lixiaPack()).staff[0]!.id }, null);
    const http = s.app.ingest.sink('http');
    expect(http.submit({ deviceId: 'phone-9', ts: Date.now(), pos: { lon: 117.05, lat: 36.66, accuracy: 300 } })).toMatchObject({ reason: 'lowAccuracy' });
    expect(http.submit({ deviceId: 'nobody', ts: Date.now(), pos: { lon: 117.05, lat: 36.66 } })).toMatchObject({ reason: 'unknownDevice' });
    s.app.deviceDirectory.refused('jt808', undefined, 'badChecksum', 'xor mismatch', Date.now());
    const res = await fetch(`${s.url}/api/ingest/stats`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as IngestStatsView;
    expect(stats.bySource.http).toMatchObject({ dropped: 2, droppedByReason: { lowAccuracy: 1, unknownDevice: 1 }, policy: { crs: 'GCJ02', maxAccuracyM: 80, minDistanceM: 0 } });
    expect(stats.bySource.jt808!.policy).toMatchObject({ minDistanceM: 10, crs: 'WGS84', maxSpeedKph: 250 });
    expect(stats.bySource.jt808).toMatchObject({ accepted: 4, late: 3 });
    expect(stats.devices).toContainEqual(expect.objectContaining({ protocol: 'http', deviceId: 'phone-9', refused: 1, lastRefusal: expect.objectContaining({ reason: 'lowAccuracy' }) }));
    expect(stats.unattributed.jt808).toEqual({ badChecksum: 1 });
    expect(stats.recentDrops.at(-1)).toMatchObject({ source: 'http', deviceId: 'nobody', reason: 'unknownDevice' });
    // The JT/T 808 gateway runs here (its own port) and offers text messages; whether ingest keys exist depends on the HTTP gateway.
    expect(stats.capabilities.terminalText).toBe(true);
    expect(stats.capabilities.ingestKeys).toBe(s.app.hasRoute({ method: 'GET', url: '/api/ingest-keys' }));
    expect((await fetch(`${s.url}/api/ingest/stats`, { headers: { authorization: `Bearer ${s.firstStart!.wallToken}` } })).status).toBe(403);
  });
});
