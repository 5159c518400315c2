/**
 * LIVE_MAX_SOCKETS_PER_ADDRESS behind a load balancer: with TRUST_PROXY the limit counts the
 * client the proxy forwarded (every screen's TCP peer is the balancer), and without it an
 * X-Forwarded-For header changes nothing (a client cannot escape the limit by naming itself).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { once, startServer, type LiveClient, type RunningServer } from './server-harness.ts';

let s: RunningServer | undefined;
const clients: LiveClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await s?.close();
  s = undefined;
});

/** A wall socket whose requests say they were forwarded for `forwardedFor`; resolves 'ok' or the refusal. */
function screen(server: RunningServer, forwardedFor: string): Promise<string> {
  const c: LiveClient = connect(server.url, {
    auth: { token: server.firstStart!.wallToken, live: { format: 2 } },
    extraHeaders: { 'X-Forwarded-For': forwardedFor },
    transports: ['websocket'], reconnection: false, forceNew: true,
  });
  clients.push(c);
  return once<string>((ok) => {
    c.once('connect', () => ok('ok'));
    c.once('connect_error', (e) => ok(e.message));
  }, 10_000, `screen for ${forwardedFor}`);
}

const limits = { SIM_ENABLED: 'false', LIVE_MAX_SOCKETS_PER_TOKEN: '20', LIVE_MAX_SOCKETS_PER_ADDRESS: '2' };

describe('sockets per address', () => {
  it('counts the forwarded client when TRUST_PROXY names the proxy in front', async () => {
    s = await startServer({ ...limits, TRUST_PROXY: '1' });
    expect(await screen(s, '203.0.113.1')).toBe('ok');
    expect(await screen(s, '203.0.113.1')).toBe('ok');
    expect(await screen(s, '203.0.113.1')).toBe('too_many_connections');
    // Other walls behind the same balancer are other clients.
    expect(await screen(s, '203.0.113.2')).toBe('ok');
    expect(await screen(s, '203.0.113.3')).toBe('ok');
  });

  it('ignores X-Forwarded-For without TRUST_PROXY: the TCP peer is the address', async () => {
    s = await startServer(limits);
    expect(await screen(s, '203.0.113.1')).toBe('ok');
    expect(await screen(s, '203.0.113.2')).toBe('ok');
    expect(await screen(s, '203.0.113.3')).toBe('too_many_connections');
  });
});
