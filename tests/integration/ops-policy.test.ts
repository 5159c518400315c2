/**
 * Issue 9 parts 6 and 7 against the real server: authentication before validation, no loose
 * coercion of bodies or numbers, names without control or bidi characters, the public health
 * and readiness probes, and the Prometheus metrics and who may read them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { call, login, waitFor } from './ops-http.ts';
import { liveClient, once, startServer, type LiveClient, type RunningServer } from './server-harness.ts';

const ADMIN_PASSWORD = 'ops-policy-admin-password';

let s: RunningServer;
let admin: string;
let wall: string;

beforeAll(async () => {
  s = await startServer({ ADMIN_PASSWORD });
  admin = await login(s.url, 'admin', ADMIN_PASSWORD);
  wall = s.firstStart!.wallToken;
}, 60_000);
afterAll(async () => s?.close());

describe('authentication before validation', () => {
  it('an anonymous caller with a malformed body gets 401 and nothing about the schema', async () => {
    for (const [method, path] of [['POST', '/api/display-tokens'], ['POST', '/api/cases'], ['PUT', '/api/sla-settings'], ['POST', '/api/cases/1/dispatch']] as const) {
      const r = await call(s.url, undefined, method, path, { bogus: ['x'] });
      expect(r.status, path).toBe(401);
      expect(r.json.error.code, path).toBe('unauthorized');
      expect(r.json.error.details, path).toBeUndefined();
      expect(JSON.stringify(r.json), path).not.toMatch(/must have required|additional|allowed values|must be/);
    }
  });

  it('a signed-in role that may not call the route gets 403 before its body is looked at', async () => {
    const r = await call(s.url, wall, 'POST', '/api/display-tokens', { name: ['a'] });
    expect([r.status, r.json.error.code]).toEqual([403, 'forbidden']);
    expect(r.json.error.details).toBeUndefined();
  });
});

describe('no loose coercion', () => {
  it('refuses a body whose string is sent as an array', async () => {
    const r = await call(s.url, admin, 'POST', '/api/display-tokens', { name: ['a'] });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('bad_request');
    // Nothing was created under the name "a".
    const list = await call(s.url, admin, 'GET', '/api/display-tokens');
    expect(list.json.map((t: { name: string }) => t.name)).not.toContain('a');
  });

  it('refuses a number in a path or a query string that is not a plain decimal', async () => {
    for (const id of ['0x10', '1e1', '0b1', '%2016', '16.', '+16']) {
      const r = await call(s.url, admin, 'GET', `/api/cases/${id}`);
      expect(r.status, id).toBe(400);
      expect(r.json.error.message, id).toMatch(/^params\/id /);
    }
    for (const limit of ['0x10', '1e1']) {
      const r = await call(s.url, admin, 'GET', `/api/cases?limit=${limit}`);
      expect(r.status, limit).toBe(400);
      expect(r.json.error.message, limit).toMatch(/^querystring\/limit /);
    }
    // Plain decimals still pass (coercion of text to numbers stays for params and queries).
    expect((await call(s.url, admin, 'GET', '/api/cases?limit=16')).status).toBe(200);
    expect((await call(s.url, admin, 'GET', '/api/cases/999999')).status).toBe(404);
  });
});

describe('names', () => {
  it('refuse control and bidirectional characters where people name things', async () => {
    const bidi = 'Wall\u202Eevil';
    const refused = [
      ['POST', '/api/display-tokens', { name: bidi }],
      ['POST', '/api/display-tokens', { name: 'two\nlines' }],
      ['POST', '/api/ingest-keys', { name: 'key\u2066x' }],
      ['POST', '/api/open311-keys', { name: 'key\u0000', source: 'hotline' }],
      ['POST', '/api/cases', { source: 'supervisor', itemCode: '01.01.001', title: 'pothole\u200F', lon: 117.05, lat: 36.65 }],
      ['POST', '/api/devices', { protocol: 'http', deviceId: 'dev-1', bind: { newEntity: { kind: 'bin', name: 'bin\u202B', lon: 117.05, lat: 36.65 } } }],
    ] as const;
    for (const [method, path, body] of refused) {
      const r = await call(s.url, admin, method, path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
    }
    // The same bodies with clean names pass: the names alone were refused.
    const cleanCase = await call(s.url, admin, 'POST', '/api/cases', { source: 'supervisor', itemCode: '01.01.001', title: '井盖破损 pothole', lon: 117.05, lat: 36.65 });
    expect(cleanCase.status, JSON.stringify(cleanCase.json)).toBe(201);
    const cleanDevice = await call(s.url, admin, 'POST', '/api/devices', { protocol: 'http', deviceId: 'dev-1', bind: { newEntity: { kind: 'bin', name: '垃圾桶 1', lon: 117.05, lat: 36.65 } } });
    expect(cleanDevice.status, JSON.stringify(cleanDevice.json)).toBe(201);
    expect((await call(s.url, admin, 'POST', '/api/ingest-keys', { name: 'key x' })).status).toBe(201);
    const ok = await call(s.url, admin, 'POST', '/api/display-tokens', { name: '北区大屏 · Wall 1' });
    expect(ok.status).toBe(201);
    expect(ok.json.name).toBe('北区大屏 · Wall 1');
  });
});

describe('health and readiness', () => {
  it('the public health says only that the server is alive', async () => {
    const r = await call(s.url, undefined, 'GET', '/api/health');
    expect(r).toEqual({ status: 200, json: { status: 'ok' } });
  });

  it('is ready with its store, and has no broker or Redis to wait for when none is configured', async () => {
    const r = await call(s.url, undefined, 'GET', '/api/ready');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ready', checks: { store: { ok: true }, mqtt: { ok: true } } });
  });

  it('answers 503 while a check fails, and 200 once it passes again', async () => {
    let up = false;
    s.app.readiness.add('redis', () => (up ? { ok: true } : { ok: false, reason: 'redis not connected' }));
    try {
      const down = await call(s.url, undefined, 'GET', '/api/ready');
      expect(down.status).toBe(503);
      expect(down.json.status).toBe('unready');
      expect(down.json.checks.redis).toEqual({ ok: false, reason: 'redis not connected' });
      up = true;
      expect((await call(s.url, undefined, 'GET', '/api/ready')).status).toBe(200);
      // A check that throws is a failed check whose message (it may hold a URL) is not repeated.
      s.app.readiness.add('redis', () => { throw new Error('connect ECONNREFUSED redis://:secret@10.0.0.1'); });
      const thrown = await call(s.url, undefined, 'GET', '/api/ready');
      expect(thrown.status).toBe(503);
      expect(JSON.stringify(thrown.json)).not.toContain('secret');
      // A check that never answers fails after its timeout instead of hanging the probe.
      s.app.readiness.add('redis', () => new Promise(() => {}));
      const hung = await call(s.url, undefined, 'GET', '/api/ready');
      expect(hung.status).toBe(503);
      expect(hung.json.checks.redis).toEqual({ ok: false, reason: 'no answer within 2000 ms' });
    } finally {
      s.app.readiness.add('redis', () => ({ ok: true }));
    }
  });

  it('is not ready while the configured MQTT broker cannot be reached', async () => {
    // A port that refuses connections: bound, then closed.
    const port = await new Promise<number>((resolve) => {
      const srv: Server = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const m = await startServer({ MQTT_URL: `mqtt://127.0.0.1:${port}` });
    try {
      const r = await call(m.url, undefined, 'GET', '/api/ready');
      expect(r.status).toBe(503);
      expect(r.json.checks.mqtt).toEqual({ ok: false, reason: 'broker not connected' });
      expect(r.json.checks.store).toEqual({ ok: true });
    } finally {
      await m.close();
    }
  }, 60_000);
});

/** The value of an unlabelled (or exactly labelled) sample in a Prometheus text exposition. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('metrics', () => {
  it('are for admins only (no METRICS_TOKEN, no METRICS_PORT)', async () => {
    expect((await call(s.url, undefined, 'GET', '/metrics')).status).toBe(401);
    expect((await call(s.url, wall, 'GET', '/metrics')).status).toBe(403);
    const r = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await r.text();
    for (const name of ['cityops_ingest_accepted_total', 'cityops_ingest_dropped_total', 'cityops_screens', 'cityops_fanout_bytes_total', 'cityops_tick_lag_seconds', 'cityops_store_latency_seconds', 'nodejs_eventloop_lag_seconds', 'process_cpu_user_seconds_total']) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
  });

  it('count the screens, the bytes sent to them and the ingest as it runs', async () => {
    const read = async () => (await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).text());
    const before = await read();
    const c: LiveClient = liveClient(s.url, wall);
    let received = 0;
    // What the client is sent: the snapshot and the deltas (binary frames), at least.
    c.on('live:delta', (f) => { received += (f as Uint8Array).byteLength; });
    try {
      await once<void>((resolve) => c.once('live:snapshot', () => resolve()), 15_000, 'snapshot');
      await waitFor('two deltas', () => (received > 0 ? true : undefined), 15_000, 100);
      const during = await read();
      expect(sample(during, 'cityops_screens')).toBe(1);
      const sent = sample(during, 'cityops_fanout_bytes_total')! - (sample(before, 'cityops_fanout_bytes_total') ?? 0);
      // The server counts every packet it writes; the deltas alone are less than that.
      expect(sent).toBeGreaterThan(received);
      // The simulator reports: the ingest counter is what the admin status says was accepted.
      const status = await call(s.url, admin, 'GET', '/api/admin/status');
      const accepted = sample(await read(), 'cityops_ingest_accepted_total')!;
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeGreaterThanOrEqual(status.json.ingest.accepted);
      expect(sample(during, 'cityops_tick_lag_seconds_count')).toBeGreaterThan(0);
    } finally {
      c.close();
    }
  }, 60_000);

  it('with METRICS_TOKEN take that bearer token, and refuse a wrong one', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const m = await startServer({ METRICS_TOKEN: token });
    try {
      expect((await fetch(`${m.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${m.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
      expect((await fetch(`${m.url}/metrics`)).status).toBe(401);
    } finally {
      await m.close();
    }
  }, 60_000);

  it('with METRICS_PORT are served on 127.0.0.1 on that port only, not on the app port', async () => {
    const m = await startServer({ METRICS_PORT: '0' });
    try {
      const addr = m.app.metricsServer!.address() as { address: string; port: number };
      expect(addr.address).toBe('127.0.0.1');
      const r = await fetch(`http://127.0.0.1:${addr.port}/metrics`);
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('# TYPE cityops_screens gauge');
      expect((await fetch(`http://127.0.0.1:${addr.port}/api/health`)).status).toBe(404);
      const onAppPort = await call(m.url, undefined, 'GET', '/metrics');
      expect(onAppPort.status).toBe(404);
      expect(JSON.stringify(onAppPort.json)).not.toContain('cityops_');
    } finally {
      await m.close();
    }
    // Closed with the app.
    expect(m.app.metricsServer!.listening).toBe(false);
  }, 60_000);
});
