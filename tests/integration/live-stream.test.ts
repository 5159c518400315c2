import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLiveFrame, statusFromCode, type LiveFrame } from '../../shared/live-codec.ts';
import { ENTITY_KINDS, type EntityKind } from '../../shared/entities.ts';
import type { LiveSnapshot } from '../../shared/live-events.ts';
import type { KpiSummary } from '../../shared/kpis.ts';
import { liveClient, once, startServer, type LiveClient, type RunningServer } from './server-harness.ts';

let s: RunningServer;
const clients: LiveClient[] = [];
const open = (token: string | undefined) => {
  const c = liveClient(s.url, token);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  s = await startServer({ LIVE_TICK_MS: '250' });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await s?.close();
});

async function login(): Promise<string> {
  const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: s.firstStart!.adminPassword }) });
  return ((await res.json()) as { token: string }).token;
}

describe('live stream (Socket.IO)', () => {
  it('sends a wall a snapshot with all five kinds, then deltas of moving entities and KPIs', async () => {
    const c = open(s.firstStart!.wallToken);
    const snapshot = await once<LiveSnapshot>((ok) => c.once('live:snapshot', ok), 15_000, 'snapshot');
    expect(snapshot.catalog.length).toBeGreaterThan(4500);
    const frame = decodeLiveFrame(snapshot.frame as Uint8Array);
    expect(frame.full).toBe(true);
    expect(frame.rows).toHaveLength(snapshot.catalog.length);
    const kindOf = (i: number) => snapshot.catalog[i]!.kind;
    const seen = new Map<EntityKind, number>();
    for (const r of frame.rows) if (r.pos && r.connectivity === 'online') seen.set(kindOf(r.i), (seen.get(kindOf(r.i)) ?? 0) + 1);
    // every kind is on the map with a position from the first frame
    for (const k of ENTITY_KINDS) expect(seen.get(k) ?? 0, `online ${k} with a position`).toBeGreaterThan(0);
    for (const r of frame.rows) expect(() => statusFromCode(kindOf(r.i), r.statusCode)).not.toThrow();
    expect(frame.rows.every((r) => r.attrs !== undefined)).toBe(true);

    const deltas: LiveFrame[] = [];
    const kpis = await once<KpiSummary>((ok) => {
      c.on('live:delta', (f) => deltas.push(decodeLiveFrame(f as Uint8Array)));
      c.once('live:kpis', ok);
    }, 10_000, 'kpis');
    expect(kpis.byKind.staff.total).toBeGreaterThan(1000);
    expect(kpis.byKind.bin.total).toBeGreaterThan(2500);
    // the simulator reports each mobile unit every 5–10 s, so within seconds hundreds have moved
    const movedRows = () => deltas.flatMap((d) => d.rows).filter((r) => r.pos && kindOf(r.i) !== 'bin' && kindOf(r.i) !== 'toilet');
    await once<void>((ok) => { const t = setInterval(() => { if (movedRows().length > 200) { clearInterval(t); ok(); } }, 100); }, 20_000, '200 moves');
    const moved = movedRows();
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    // deltas chain: each one starts where the previous ended
    for (let k = 1; k < deltas.length; k++) expect(deltas[k]!.baseVersion).toBe(deltas[k - 1]!.version);
    expect(deltas[0]!.baseVersion).toBe(frame.version);
    // positions stay inside Lixia
    for (const r of moved) {
      expect(r.pos!.lon).toBeGreaterThan(116.95);
      expect(r.pos!.lon).toBeLessThan(117.25);
    }
  });

  it('serves a resync with a fresh snapshot, and refuses one asked again at once', async () => {
    const c = open(s.firstStart!.wallToken);
    await once((ok) => c.once('live:snapshot', ok), 15_000, 'snapshot');
    const snapshot = once<LiveSnapshot>((ok) => c.once('live:snapshot', ok), 15_000, 'resync snapshot');
    const first = await c.timeout(10_000).emitWithAck('live:resync');
    expect(first).toMatchObject({ ok: true, data: { version: expect.any(Number) } });
    expect((await snapshot).catalog.length).toBeGreaterThan(4500);
    const second = await c.timeout(10_000).emitWithAck('live:resync');
    expect(second).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
  });

  it('refuses a socket with no token or a wrong one', async () => {
    for (const token of [undefined, 'forged-token']) {
      const c = open(token);
      const err = await once<Error>((ok) => c.once('connect_error', ok), 10_000, 'connect_error');
      expect(err.message).toBe('unauthorized');
    }
  });

  it('lets a signed-in dispatcher or admin subscribe too', async () => {
    const c = open(await login());
    const snap = await once<LiveSnapshot>((ok) => c.once('live:snapshot', ok), 15_000, 'snapshot');
    expect(snap.catalog.length).toBeGreaterThan(4500);
  });

  it('cuts off a wall whose display token is revoked, and refuses it afterwards', async () => {
    const admin = await login();
    const created = await fetch(`${s.url}/api/display-tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Lobby screen' }) });
    expect(created.status).toBe(201);
    const { id, token, wallUrl } = (await created.json()) as { id: number; token: string; wallUrl: string };
    expect(wallUrl).toContain(`/wall?token=${token}`);
    const c = open(token);
    await once((ok) => c.once('live:snapshot', ok), 15_000, 'snapshot');
    const revoked = once<void>((ok) => c.once('session:revoked', ok), 10_000, 'session:revoked');
    const disconnected = once<string>((ok) => c.once('disconnect', ok), 10_000, 'disconnect');
    const del = await fetch(`${s.url}/api/display-tokens/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(del.status).toBe(204);
    await revoked;
    expect(await disconnected).toBe('io server disconnect');
    expect((await fetch(`${s.url}/api/district`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    const again = open(token);
    expect((await once<Error>((ok) => again.once('connect_error', ok), 10_000, 'connect_error')).message).toBe('unauthorized');
    // the first wall's token is untouched
    expect((await fetch(`${s.url}/api/district`, { headers: { authorization: `Bearer ${s.firstStart!.wallToken}` } })).status).toBe(200);
  });
});
