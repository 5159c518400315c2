import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { get } from 'node:http';
import { ENTITY_KINDS } from '../../shared/entities.ts';
import { lixiaPack, startServer, type RunningServer } from './server-harness.ts';

let s: RunningServer;
let wall: string;
let adminToken: string;

beforeAll(async () => {
  s = await startServer();
  wall = s.firstStart!.wallToken;
  const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: s.firstStart!.adminPassword }) });
  adminToken = ((await res.json()) as { token: string }).token;
});
afterAll(async () => s?.close());

const auth = (t: string) => ({ authorization: `Bearer ${t}` });

describe('HTTP API', () => {
  it('GET /api/health says only that the server is alive', async () => {
    const res = await fetch(`${s.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /api/admin/status counts every kind of the pack, for admins only', async () => {
    const pack = await lixiaPack();
    expect((await fetch(`${s.url}/api/admin/status`)).status).toBe(401);
    expect((await fetch(`${s.url}/api/admin/status`, { headers: auth(wall) })).status).toBe(403);
    const res = await fetch(`${s.url}/api/admin/status`, { headers: auth(adminToken) });
    expect(res.status).toBe(200);
    const h = (await res.json()) as { status: string; entities: Record<string, number>; district: string; simulator: unknown };
    expect(h.status).toBe('ok');
    expect(h.district).toBe('lixia');
    expect(Object.keys(h.entities).sort()).toEqual([...ENTITY_KINDS].sort());
    expect(h.entities).toEqual({ staff: pack.staff.length, vehicle: pack.vehicles.length, muckTruck: pack.muckTrucks.length, toilet: pack.toilets.length, bin: pack.bins.length });
    expect(h.entities.staff).toBeGreaterThan(1000);
    expect(h.simulator).toMatchObject({ running: true, seed: 42 });
  });

  it('GET /api/district needs a token, and serves the geometry gzipped with an ETag', async () => {
    expect((await fetch(`${s.url}/api/district`)).status).toBe(401);
    expect((await fetch(`${s.url}/api/district`, { headers: auth('not-a-token') })).status).toBe(401);
    const res = await fetch(`${s.url}/api/district`, { headers: auth(wall) });
    expect(res.status).toBe(200);
    const d = (await res.json()) as { meta: { name: string; approximate: boolean }; streets: { features: { properties: { code: string; name: string } }[] }; roads: { features: unknown[] } };
    expect(d.meta.name).toBe('历下区');
    expect(d.meta.approximate).toBe(true);
    expect(d.streets.features).toHaveLength(13);
    expect(d.streets.features.map((f) => f.properties.name)).toContain('泉城路街道');
    expect(d.roads.features.length).toBeGreaterThan(50);
    expect(d).not.toHaveProperty('staff');
    const etag = res.headers.get('etag')!;
    expect((await fetch(`${s.url}/api/district`, { headers: { ...auth(wall), 'if-none-match': etag } })).status).toBe(304);
    // fetch decompresses transparently; check the bytes on the wire with a plain request.
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      get(`${s.url}/api/district`, { headers: { ...auth(wall), 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(raw.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(raw.body).toString()).meta.id).toBe('lixia');
    expect(raw.body.byteLength).toBeLessThan(1_500_000);
  });

  it('GET /api/entities filters by kind and street and rejects bad filters clearly', async () => {
    const res = await fetch(`${s.url}/api/entities?kind=toilet&street=370102004`, { headers: auth(wall) });
    expect(res.status).toBe(200);
    const list = (await res.json()) as { kind: string; orgCode: string; attrs: Record<string, unknown>; pos?: { lon: number } }[];
    expect(list.length).toBeGreaterThan(0);
    expect(list.every((e) => e.kind === 'toilet' && e.orgCode === '370102004')).toBe(true);
    expect(list[0]!.attrs).toHaveProperty('toiletClass');
    expect(list[0]!.pos!.lon).toBeGreaterThan(117);
    const bad = await fetch(`${s.url}/api/entities?kind=spaceship`, { headers: auth(wall) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    const badStreet = await fetch(`${s.url}/api/entities?street=12`, { headers: auth(wall) });
    expect(badStreet.status).toBe(400);
    expect((await fetch(`${s.url}/api/entities`)).status).toBe(401);
  });

  it('logs people in with their password and refuses wrong ones and malformed bodies', async () => {
    const post = (body: string, type = 'application/json') => fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': type }, body });
    const wrong = await post(JSON.stringify({ username: 'admin', password: 'guess' }));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { code: 'invalid_credentials', message: 'wrong username or password' } });
    const broken = await post('{"username": "admin", ');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('bad_request');
    const missing = await post(JSON.stringify({ username: 'admin' }));
    expect(missing.status).toBe(400);
    const huge = await post(JSON.stringify({ username: 'admin', password: 'x'.repeat(300_000) }));
    expect(huge.status).toBe(413);
    const me = await fetch(`${s.url}/api/auth/me`, { headers: auth(adminToken) });
    expect(await me.json()).toEqual({ type: 'user', name: 'admin', role: 'admin' });
    const wallMe = await fetch(`${s.url}/api/auth/me`, { headers: auth(wall) });
    expect(await wallMe.json()).toMatchObject({ type: 'display', role: 'wall' });
  });

  it('rate-limits public routes: exactly 10 logins a minute per address, then 429', async () => {
    // Its own server: the limit counts per address per server, and the shared one has seen logins already.
    const own = await startServer({ SIM_ENABLED: 'false' });
    try {
      const statuses: number[] = [];
      for (let k = 0; k < 12; k++) {
        // A username per attempt: one user's lockout (its own test, hardening-login) would answer 429 earlier.
        const r = await fetch(`${own.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `nobody${k}`, password: 'x' }) });
        statuses.push(r.status);
        if (r.status === 429) expect(((await r.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
        else await r.body?.cancel();
      }
      expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    } finally {
      await own.close();
    }
  });

  it('keeps administration to admins', async () => {
    expect((await fetch(`${s.url}/api/display-tokens`, { headers: auth(wall) })).status).toBe(403);
    const list = await fetch(`${s.url}/api/display-tokens`, { headers: auth(adminToken) });
    expect(list.status).toBe(200);
    expect(((await list.json()) as unknown[]).length).toBe(1);
    const reg = await fetch(`${s.url}/api/devices`, { method: 'POST', headers: { ...auth(adminToken), 'content-type': 'application/json' }, body: JSON.stringify({ protocol: 'jt808', deviceId: '14450376202', bind: { entityId: 'nope' } }) });
    expect(reg.status).toBe(404);
  });

  it('answers unknown API routes with a JSON 404, serves OpenAPI at /docs, and sets security headers', async () => {
    const nf = await fetch(`${s.url}/api/nothing-here`);
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const spec = await fetch(`${s.url}/docs/json`);
    expect(spec.status).toBe(200);
    const doc = (await spec.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/health', '/api/district', '/api/entities', '/api/auth/login']));
    const health = await fetch(`${s.url}/api/health`);
    expect(health.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
  });
});
