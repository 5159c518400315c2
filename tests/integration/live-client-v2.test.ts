/**
 * The wall's own live client (client/realtime/live-client.ts) against the real server over
 * format 2: it starts, follows the ticks, and after its transport drops it resumes from the
 * version it held and ends equal to the server; held (bench:render's paused phase), it applies
 * nothing, and let go it resumes the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntityBuffer } from '../../client/realtime/entity-buffer.ts';
import { connectLive, type LiveClient, type LiveConnectionState } from '../../client/realtime/live-client.ts';
import { once, startServer, type RunningServer } from './server-harness.ts';

let s: RunningServer;
let client: LiveClient | null = null;

beforeAll(async () => {
  s = await startServer({ LIVE_TICK_MS: '150', SIM_ENABLED: 'false' });
  // socket.io-client connects to the page's own origin; in Node, "the page" is this server.
  const port = new URL(s.url).port;
  (globalThis as { location?: unknown }).location = { protocol: 'http:', host: `127.0.0.1:${port}`, hostname: '127.0.0.1', port };
});
afterAll(async () => {
  client?.close();
  (globalThis as { location?: unknown }).location = undefined;
  await s?.close();
});

const until = (what: string, test: () => boolean, ms = 20_000) => once<void>((ok) => {
  const t = setInterval(() => { if (test()) { clearInterval(t); ok(); } }, 25);
}, ms, what);

/** Entities the server holds with a position and their quantised positions, straight from the live state. */
function serverPositions(): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const e of s.app.live.all()) if (e.pos) out.set(e.index, [Math.round(e.pos.lon * 1e6), Math.round(e.pos.lat * 1e6)]);
  return out;
}
function bufferPositions(b: EntityBuffer): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (let i = 0; i < b.size; i++) if (b.hasPos[i] === 1) out.set(i, [Math.round(b.lon[i]! * 1e6), Math.round(b.lat[i]! * 1e6)]);
  return out;
}

let clock = Date.now();
function moveSome(n: number): void {
  clock += 1000;
  let k = 0;
  for (const e of s.app.live.all()) {
    if (!e.pos || k++ >= n) continue;
    s.app.live.apply(e.id, { pos: { lon: e.pos.lon + 0.0002, lat: e.pos.lat + 0.0001, ts: clock } }, clock);
  }
}

describe('the wall client over live format 2', () => {
  it('resumes after a dropped transport and ends equal to the server', async () => {
    const buffer = new EntityBuffer();
    const states: LiveConnectionState[] = [];
    client = connectLive(s.firstStart!.wallToken, buffer, { onState: (st) => states.push(st), onKpis: () => undefined, onUnauthorized: () => undefined });
    await until('the start', () => buffer.size > 0 && client!.stats().starts === 1);
    moveSome(100);
    await until('the next ticks', () => client!.stats().version === s.app.live.version);
    expect(bufferPositions(buffer)).toEqual(serverPositions());

    client.dropTransport();
    moveSome(200); // while it is away
    await until('a resumed start', () => client!.stats().starts === 2);
    expect(client.stats().resumed).toBe(1);
    await until('caught up', () => client!.stats().version === s.app.live.version);
    expect(bufferPositions(buffer)).toEqual(serverPositions());
    expect(states.at(-1)).toBe('live');
    expect(states).toContain('reconnecting');
  });

  it('holds its frames unapplied while asked to, then resumes and ends equal to the server', async () => {
    const buffer = new EntityBuffer();
    client?.close();
    client = connectLive(s.firstStart!.wallToken, buffer, { onState: () => undefined, onKpis: () => undefined, onUnauthorized: () => undefined });
    await until('the start', () => buffer.size > 0 && client!.stats().starts === 1);
    await until('the current tick', () => client!.stats().version === s.app.live.version);
    const held = bufferPositions(buffer);
    const heldVersion = client.stats().version;

    client.holdFrames(true);
    moveSome(150);
    // Several ticks (150 ms each) go by with moves in them: the screen applies none of them.
    await new Promise((ok) => setTimeout(ok, 1000));
    expect(s.app.live.version).toBeGreaterThan(heldVersion);
    expect(client.stats().version).toBe(heldVersion);
    expect(bufferPositions(buffer)).toEqual(held);
    expect(bufferPositions(buffer)).not.toEqual(serverPositions());

    client.holdFrames(false);
    await until('a resumed start', () => client!.stats().starts === 2);
    await until('caught up', () => client!.stats().version === s.app.live.version);
    expect(client.stats().resumed).toBe(1);
    expect(bufferPositions(buffer)).toEqual(serverPositions());
  });
});
