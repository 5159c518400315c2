/**
 * A screen that never reads must not grow the server: resyncs are refused while output is
 * still queued for it, and one token or one address cannot open sockets without limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsSnapshot } from '../../shared/ops.ts';
import { liveClient, once, startServer, type LiveClient, type RunningServer } from './server-harness.ts';

let s: RunningServer;
const clients: LiveClient[] = [];
const open = (token: string) => {
  const c = liveClient(s.url, token);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false', LIVE_MAX_SOCKETS_PER_TOKEN: '3', LIVE_TICK_MS: '200' });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await s?.close();
});

const connected = (c: LiveClient) => once<void>((ok, fail) => {
  c.once('connect', () => ok());
  c.once('connect_error', (e) => fail(e));
}, 10_000, 'connect');

describe('live stream backpressure', () => {
  it('sends the ops snapshot on connect and caps sockets per token at the configured number', async () => {
    const token = s.firstStart!.wallToken;
    const first = open(token);
    const ops = await once<OpsSnapshot>((ok) => first.once('ops:snapshot', ok), 10_000, 'ops snapshot');
    expect(ops.cases).toEqual([]);
    expect(ops.stats.casesToday).toBe(0);
    await connected(open(token));
    await connected(open(token));
    const fourth = open(token);
    const err = await once<Error>((ok) => fourth.once('connect_error', ok), 10_000, 'refusal');
    expect(err.message).toBe('too_many_connections');
    // A socket that leaves frees its place.
    first.close();
    await new Promise((r) => setTimeout(r, 200));
    await connected(open(token));
  });

  it('refuses a resync while frames are still queued for the socket, and serves it once they are sent', async () => {
    for (const c of clients.splice(0)) c.close();
    await new Promise((r) => setTimeout(r, 200));
    const c = open(s.firstStart!.wallToken);
    await once<unknown>((ok) => c.once('live:snapshot', ok), 10_000, 'snapshot');
    const serverSide = [...s.app.io.sockets.sockets.values()].find((x) => x.id === c.id)!;
    const conn = serverSide.conn as unknown as { writeBuffer: unknown[]; transport: { writable: boolean }; flush(): void };
    // Stand in for a client that stopped reading: the transport cannot take more, so the
    // engine queues the ticks' packets for it.
    conn.transport.writable = false;
    await once<void>((ok) => { const t = setInterval(() => { if (conn.writeBuffer.length > 0) { clearInterval(t); ok(); } }, 20); }, 5000, 'a queued packet');
    const refused = await new Promise((resolve) => {
      serverSide.listeners('live:resync')[0]!((reply: unknown) => resolve(reply));
    });
    expect(refused).toEqual({ ok: false, error: { code: 'busy', message: expect.stringContaining('still being sent') } });
    conn.transport.writable = true;
    conn.flush();
    const served = await c.timeout(5000).emitWithAck('ops:resync');
    expect(served).toMatchObject({ ok: true });
    // …and at most one snapshot per 2 s, whatever the kind.
    const limited = await c.timeout(5000).emitWithAck('live:resync');
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
  });
});
