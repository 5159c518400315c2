/**
 * HTTP batch ingest against the real server: per-integration keys (admin API, CLI, audit,
 * hashed at rest), positions and readings with partial acceptance reaching a wall's live
 * stream, idempotent retries, body, batch and rate limits, and refusals counted by reason.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wgs84ToGcj02 } from '../../shared/geo.ts';
import { statusCode } from '../../shared/live-codec.ts';
import { call } from './ops-http.ts';
import { adminSession, registerDevice, WallWatcher } from './feeds-harness.ts';
import { startServer, storeEnv, type RunningServer } from './server-harness.ts';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'admin-password-for-tests';
const MAX_BATCH = 50;
const MAX_BODY_KB = 16;
const RATE = 40;

let s: RunningServer;
let admin: string;
let wall: WallWatcher;
let key: string;

interface Batch { status: number; json: any; headers: Headers; text: string }
async function post(path: string, body: unknown, bearer: string | undefined, headers: Record<string, string> = {}): Promise<Batch> {
  const res = await fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, headers: res.headers, text };
}
const positions = (items: unknown[], bearer = key, headers: Record<string, string> = {}) => post('/api/v1/ingest/positions', { positions: items }, bearer, headers);
const readings = (items: unknown[], bearer = key) => post('/api/v1/ingest/readings', { readings: items }, bearer);
const newKey = async (name: string): Promise<{ id: number; secret: string }> => {
  const r = await call(s.url, admin, 'POST', '/api/ingest-keys', { name });
  expect(r.status).toBe(201);
  return { id: r.json.key.id, secret: r.json.secret };
};
/** Where each phone starts (the simulator is off: staff have no position until a device reports one). */
const START: Record<string, { lon: number; lat: number }> = { 'staff-0001': { lon: 117.0186, lat: 36.6617 }, 'staff-0002': { lon: 117.0500, lat: 36.6600 } };
const startOf = (id: string) => START[id]!;
/** A point `m` metres north of `p`. */
const north = (p: { lon: number; lat: number }, m: number) => ({ lon: p.lon, lat: p.lat + m / 111_320 });

beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false', ADMIN_PASSWORD, LIVE_TICK_MS: '200', INGEST_MAX_BATCH: String(MAX_BATCH), INGEST_MAX_BODY_KB: String(MAX_BODY_KB), INGEST_RATE_PER_MIN: String(RATE), INGEST_HTTP_MAX_ACCURACY_M: '50' });
  admin = await adminSession(s, ADMIN_PASSWORD);
  await registerDevice(s, admin, 'http', 'phone-001', 'staff-0001');
  await registerDevice(s, admin, 'http', 'phone-002', 'staff-0002');
  await registerDevice(s, admin, 'http', 'vendor-bin-3', 'bin-00003');
  wall = await WallWatcher.open(s);
  key = (await newKey('环卫 app backend')).secret;
});
afterAll(async () => {
  wall?.close();
  await s?.close();
});

describe('ingest keys', () => {
  it('are issued once to admins, stored hashed, listed without the secret, audited', async () => {
    const created = await call(s.url, admin, 'POST', '/api/ingest-keys', { name: 'vendor platform' });
    expect(created.status).toBe(201);
    expect(created.json.secret).toMatch(/^cik_[A-Za-z0-9_-]{43}$/);
    const list = await call(s.url, admin, 'GET', '/api/ingest-keys');
    expect(list.json.map((k: { name: string }) => k.name)).toEqual(['环卫 app backend', 'vendor platform']);
    expect(JSON.stringify(list.json)).not.toContain(created.json.secret);
    expect((await call(s.url, undefined, 'GET', '/api/ingest-keys')).status).toBe(401);
    expect((await call(s.url, s.firstStart!.wallToken, 'POST', '/api/ingest-keys', { name: 'x' })).status).toBe(403);
    const sql = s.app.store.sql;
    {
      const stored = (await sql.one<{ key_hash: string }>('SELECT key_hash FROM ingest_keys WHERE id = $1', [created.json.key.id]))!.key_hash;
      expect(stored).toMatch(/^[0-9a-f]{64}$/);
      expect(Number((await sql.one<{ n: number }>("SELECT COUNT(*) AS n FROM audit WHERE action = 'ingestKey.create' AND actor = 'admin'"))!.n)).toBe(2);
      expect(Number((await sql.one<{ n: number }>('SELECT COUNT(*) AS n FROM audit WHERE detail LIKE $1', [`%${created.json.secret}%`]))!.n)).toBe(0);
    }
  });

  it('a revoked, unknown or missing key is refused without echoing it', async () => {
    const k = await newKey('to revoke');
    const item = { deviceId: 'phone-001', ts: Date.now() - 60_000, ...north(startOf('staff-0001'), 5) };
    expect((await call(s.url, admin, 'DELETE', `/api/ingest-keys/${k.id}`)).status).toBe(204);
    expect((await call(s.url, admin, 'DELETE', `/api/ingest-keys/${k.id}`)).status).toBe(404);
    const revoked = await positions([item], k.secret);
    expect(revoked.status).toBe(401);
    expect(revoked.text).not.toContain(k.secret);
    expect((await positions([item], 'cik_not-a-key')).status).toBe(401);
    expect((await post('/api/v1/ingest/positions', { positions: [item] }, undefined)).status).toBe(401);
    expect((await positions([item], admin)).status).toBe(401); // a user's session is no ingest key
  });

  it('npm run admin -- ingest-key prints a key the running server accepts', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'ingest-key', 'CLI integration'], { env: { ...process.env, ...storeEnv(s.dataDir), DATA_DIR: s.dataDir } });
    const secret = /^(cik_\S+)$/m.exec(stdout)![1]!;
    const r = await readings([{ deviceId: 'vendor-bin-3', ts: Date.now() - 50_000, fill: 10 }], secret);
    expect(r.json).toEqual({ accepted: 1, rejected: [] });
  });
});

describe('POST /api/v1/ingest/positions', () => {
  it('stores the good items, reports the bad ones by index and reason, and the wall shows the moves', async () => {
    const a = startOf('staff-0001');
    const b = startOf('staff-0002');
    const t = Date.now() - 40_000;
    const p1 = north(a, 15);
    const p5 = north(a, 30);
    const [gLon, gLat] = wgs84ToGcj02(b.lon, b.lat + 0.0002);
    const r = await positions([
      { deviceId: 'phone-001', ts: t, ...p1, speed: 4, heading: 0 },
      { deviceId: 'phone-001', ts: t + 1000, lon: a.lon, lat: 95 },
      { deviceId: 'phone-001', lon: a.lon, lat: a.lat },
      { deviceId: 'phone-001', ts: Math.floor((t + 2000) / 1000), ...p1 },
      { deviceId: 'phone-999', ts: t + 3000, ...p1 },
      { deviceId: 'phone-001', ts: new Date(t + 10_000).toISOString(), ...p5, speed: 5.5 },
      { deviceId: 'phone-001', ts: t + 10_000, ...north(a, 31) },
      { deviceId: 'phone-002', ts: t + 10_000, lon: gLon, lat: gLat, crs: 'GCJ02', accuracy: 12 },
      { deviceId: 'phone-001', ts: t + 20_000, ...north(a, 45), accuracy: 500 },
    ]);
    expect(r.status).toBe(200);
    expect(r.json.accepted).toBe(3);
    expect(r.json.rejected.map((x: { index: number; reason: string }) => [x.index, x.reason])).toEqual([
      [1, 'badItem'], [2, 'badItem'], [3, 'badTime'], [4, 'unknownDevice'], [6, 'duplicate'], [8, 'lowAccuracy'],
    ]);
    expect(r.json.rejected[0].detail).toMatch(/lat/);
    const row = await wall.waitFor('staff-0001', 'the last good fix', (x) => x.pos?.lat === Math.round(p5.lat * 1e6) / 1e6);
    expect(row.pos!.lon).toBeCloseTo(p5.lon, 6);
    expect(row.pos!.speed).toBeCloseTo(5.5, 1);
    // GCJ-02 in, WGS-84 on the wall (the inverse transform is iterative: within 1e-5°, about a metre)
    const moved = await wall.waitFor('staff-0002', 'the converted fix', (x) => x.pos !== undefined && Math.abs(x.pos.lat - (b.lat + 0.0002)) < 1e-5);
    expect(moved.pos!.lon).toBeCloseTo(b.lon, 5);
  });

  it('is idempotent: the same Idempotency-Key and body get the first answer, nothing applied twice', async () => {
    const a = north(startOf('staff-0001'), 60);
    const t = Date.now() - 20_000;
    const body = [{ deviceId: 'phone-001', ts: t, ...a }, { deviceId: 'phone-999', ts: t, ...a }];
    const keysBefore = (await call(s.url, admin, 'GET', '/api/ingest-keys')).json[0];
    const first = await positions(body, key, { 'idempotency-key': 'batch-0001' });
    expect(first.json).toMatchObject({ accepted: 1, rejected: [{ index: 1, reason: 'unknownDevice' }] });
    const again = await positions(body, key, { 'idempotency-key': 'batch-0001' });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    const keysAfter = (await call(s.url, admin, 'GET', '/api/ingest-keys')).json[0];
    expect(keysAfter.accepted - keysBefore.accepted).toBe(1);
    expect(keysAfter.rejected - keysBefore.rejected).toBe(1);
    const other = await positions([{ deviceId: 'phone-001', ts: t + 1000, ...a }], key, { 'idempotency-key': 'batch-0001' });
    expect(other.status).toBe(409);
    // Without a key a repeat changes nothing either: the ingest knows the fix already.
    const plain = await positions(body);
    expect(plain.json).toMatchObject({ accepted: 0, rejected: [{ index: 0, reason: 'duplicate' }, { index: 1, reason: 'unknownDevice' }] });
  });

  it('refuses whole requests over the batch or body limit, or not JSON, with a clear error', async () => {
    const a = startOf('staff-0001');
    const many = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ deviceId: 'phone-001', ts: Date.now() - 100_000 + i, ...a }));
    const tooMany = await positions(many);
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.message).toContain(`${MAX_BATCH}`);
    const big = await positions([{ deviceId: 'phone-001', ts: Date.now(), ...a, pad: 'x'.repeat(MAX_BODY_KB * 1024) }]);
    expect(big.status).toBe(413);
    expect((await post('/api/v1/ingest/positions', '{"positions": [', key)).status).toBe(400);
    expect((await post('/api/v1/ingest/positions', { readings: [] }, key)).status).toBe(400);
    expect((await post('/api/v1/ingest/positions', { positions: [] }, key)).status).toBe(400);
  });
});

describe('POST /api/v1/ingest/readings', () => {
  it("checks each reading against its entity's kind; the bin's fill reaches the wall", async () => {
    const t = Date.now() - 30_000;
    const r = await readings([
      { deviceId: 'vendor-bin-3', ts: t, fill: 85 },
      { deviceId: 'vendor-bin-3', ts: t + 1, fill: 101 },
      { deviceId: 'vendor-bin-3', ts: t + 2, lidOpen: true },
      { deviceId: 'vendor-bin-3', ts: t + 3 },
      { deviceId: 'vendor-bin-3', ts: t + 4, fill: { value: 3 } },
    ]);
    expect(r.json.accepted).toBe(1);
    expect(r.json.rejected.map((x: { index: number; reason: string }) => [x.index, x.reason])).toEqual([[1, 'malformed'], [2, 'malformed'], [3, 'badItem'], [4, 'badItem']]);
    expect(r.json.rejected[1].detail).toContain('lidOpen');
    const row = await wall.waitFor('bin-00003', 'fill 85', (x) => x.attrs?.fill === 85);
    expect(row.statusCode).toBe(statusCode('bin', 'full'));
  });
});

describe('rate limit and counts', () => {
  it('limits requests per key per minute, other keys unaffected, and counts every refusal by reason', async () => {
    const k = await newKey('flood');
    const item = { deviceId: 'phone-999', ts: Date.now(), lon: 117.05, lat: 36.65 };
    let ok = 0;
    let limited: Batch | undefined;
    // The window is a clock minute: across its edge up to twice the limit pass before the 429.
    for (let i = 0; i < 2 * RATE + 1 && !limited; i++) {
      const r = await positions([item], k.secret);
      if (r.status === 429) limited = r;
      else ok++;
    }
    expect(limited, 'a 429 within twice the limit').toBeDefined();
    expect(ok).toBeGreaterThanOrEqual(RATE);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await positions([item])).status).toBe(200);
    const st = (await call(s.url, admin, 'GET', '/api/ingest/gateways')).json;
    expect(st.mqtt).toBeNull();
    expect(st.http.refusedRequests).toMatchObject({ rateLimited: 1, tooLarge: 1, idempotencyConflict: 1, badBody: 4, unauthorized: 4 });
    expect(st.http.replays).toBe(1);
    expect(st.http.rejectedItems.unknownDevice).toBeGreaterThanOrEqual(ok + 3);
  });
});

describe('takeover from the simulator', () => {
  it('a phone that reports for a simulated staff member drives it from then on; the simulator stops moving it', async () => {
    // 10:00 in the district: staff-0001's shift (08:00–18:00) is on, so the simulator reports it.
    const sim = await startServer({ ADMIN_PASSWORD, LIVE_TICK_MS: '200', SIM_START_TIME: '10:00' });
    const simWall = await WallWatcher.open(sim);
    try {
      const token = await adminSession(sim, ADMIN_PASSWORD);
      const secret = (await call(sim.url, token, 'POST', '/api/ingest-keys', { name: 'phones' })).json.secret as string;
      await registerDevice(sim, token, 'http', 'phone-take', 'staff-0001');
      // The simulator reports staff every 5–10 s: wait for one report so that its fix is recent, then report beside it.
      const simFix = (await simWall.waitFor('staff-0001', 'a simulated report', (r) => r.pos !== undefined && r !== simWall.rows.get('staff-0001')![0], 20_000)).pos!;
      const mine = { deviceId: 'phone-take', ts: Date.now(), lon: simFix.lon, lat: simFix.lat + 20 / 111_320 };
      const res = await fetch(`${sim.url}/api/v1/ingest/positions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body: JSON.stringify({ positions: [mine] }) });
      expect(await res.json()).toEqual({ accepted: 1, rejected: [] });
      const seenAt = (await simWall.waitFor('staff-0001', 'the phone fix', (r) => r.pos?.lat === Math.round(mine.lat * 1e6) / 1e6)).pos!;
      const rowsBefore = simWall.rows.get('staff-0001')!.length;
      // Two of the simulator's reporting periods: a simulator still driving would have moved it.
      await new Promise((r) => setTimeout(r, 12_000));
      const later = simWall.rows.get('staff-0001')!.slice(rowsBefore).filter((r) => r.pos !== undefined);
      for (const r of later) expect([r.pos!.lon, r.pos!.lat]).toEqual([seenAt.lon, seenAt.lat]);
      const listed = await call(sim.url, token, 'GET', '/api/devices?protocol=http');
      expect(listed.json.items[0]).toMatchObject({ deviceId: 'phone-take', entityId: 'staff-0001', real: true, accepted: 1 });
    } finally {
      simWall.close();
      await sim.close();
    }
  }, 60_000);
});
