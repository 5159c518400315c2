/**
 * Live format 2 against the real server (simulator off, changes made through the live state so
 * the expected state is known): the handshake (an old build is told to reload), a wall that ends
 * equal to the server, a screen that misses ticks and resumes with the difference, street and
 * box subscriptions changed live, and a reconnect storm that costs one build.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import { decodeLiveFrameV2 } from '../../shared/live-codec.ts';
import type { ClientToServerEvents, LiveHandshakeAuth, LiveReload, LiveStart, ServerToClientEvents } from '../../shared/live-events.ts';
import type { LiveSubscription } from '../../shared/live-subscription.ts';
import { LiveViewState, parseCatalogBytes } from '../../client/realtime/view-state.ts';
import { columnRowOf } from '../../server/live/tick-states.ts';
import { LiveColumns } from '../../shared/live-columns.ts';
import type { CatalogEntry } from '../../shared/live-events.ts';
import { once, startServer, type RunningServer } from './server-harness.ts';

type Sock = Socket<ServerToClientEvents, ClientToServerEvents>;
let s: RunningServer;
let sockets: Sock[] = [];

beforeAll(async () => {
  s = await startServer({ LIVE_TICK_MS: '150', SIM_ENABLED: 'false', LIVE_MAX_SOCKETS_PER_TOKEN: '100', LIVE_MAX_SOCKETS_PER_ADDRESS: '200' });
});
afterEach(() => {
  for (const c of sockets) c.close();
  sockets = [];
});
afterAll(async () => {
  await s?.close();
});

/** A format-2 screen as the client holds it: the view state and the catalog, fed by the real decoder. */
class Screen {
  view = new LiveViewState();
  catalog: CatalogEntry[] = [];
  starts: LiveStart[] = [];
  frames = 0;
  /** Full frames among the ticks' frames (the start's own frame is not one of them). */
  fullFrames = 0;
  /** Rows of each tick's frame, in order. */
  rows: number[] = [];
  errors: string[] = [];
  socket!: Sock;

  open(sub: LiveSubscription = {}, resume = false): Promise<LiveStart> {
    const auth: LiveHandshakeAuth = { token: s.firstStart!.wallToken, live: { format: 2, subscription: sub, ...(resume ? { resume: this.view.resume(this.catalog.length)! } : {}) } };
    this.socket = connect(s.url, { auth: auth as unknown as Record<string, unknown>, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 120_000 });
    sockets.push(this.socket);
    this.socket.on('live:catalog', (c) => {
      this.catalog.push(...c.entries.filter((e) => e.i >= this.catalog.length));
      this.view.grow(this.catalog.length);
    });
    this.socket.on('live:delta', (f) => {
      const decoded = decodeLiveFrameV2(f as Uint8Array);
      if (decoded.full) this.fullFrames++;
      this.rows.push(decoded.rows.length);
      const r = this.view.apply(f as Uint8Array);
      if (typeof r === 'string') this.errors.push(r);
      this.frames++;
    });
    return once<LiveStart>((ok, fail) => this.socket.once('connect_error', fail) && this.socket.once('live:start', (start) => {
      this.starts.push(start);
      const entries = parseCatalogBytes(start.catalog as Uint8Array, start.catalogFrom);
      if (start.resumed) this.catalog.push(...entries);
      else {
        this.catalog = entries;
        this.view.reset(start.streamId, start.catalogId, entries.length);
      }
      this.view.grow(this.catalog.length);
      const r = this.view.apply(start.frame as Uint8Array);
      if (typeof r === 'string') this.errors.push(r);
      ok(start);
    }), 60_000, 'live:start');
  }

  /** Resolves once the screen holds the server's current version. */
  caughtUp(): Promise<void> {
    return once<void>((ok) => {
      const t = setInterval(() => { if (this.view.version === s.app.live.version) { clearInterval(t); ok(); } }, 20);
    }, 10_000, `version ${s.app.live.version}`);
  }
}

/** The server's live state in wire units, seen through a filter — computed from the entities, not from the fan-out. */
function serverView(inView: (e: CatalogEntry, c: LiveColumns, i: number) => boolean = () => true): LiveColumns {
  const all = s.app.live.all();
  const out = new LiveColumns(all.length);
  for (const e of all) {
    out.set(e.index, columnRowOf(e));
    if (!inView(s.app.live.catalog[e.index]!, out, e.index)) out.clear(e.index);
  }
  return out;
}
function expectEqualHeld(actual: LiveColumns, expected: LiveColumns) {
  expect(actual.size).toBe(expected.size);
  for (const f of ['present', 'hasPos', 'lon', 'lat', 'fixSec', 'seenSec', 'speed10', 'heading', 'status', 'conn'] as const) {
    const a = actual[f], b = expected[f];
    let diff = -1;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) { diff = i; break; }
    expect(diff, `${f} differs first at index ${diff}: ${a[diff]} ≠ ${b[diff]}`).toBe(-1);
  }
}

/** Moves `n` mobile entities a little (a real report through the live state) and returns their indices. */
let clock = Date.now();
function move(n: number, filter: (e: CatalogEntry) => boolean = () => true): number[] {
  clock += 1000;
  const moved: number[] = [];
  for (const e of s.app.live.all()) {
    if (moved.length >= n) break;
    if (!e.pos || !filter(s.app.live.catalog[e.index]!)) continue;
    s.app.live.apply(e.id, { pos: { lon: e.pos.lon + 0.0001, lat: e.pos.lat - 0.00005, ts: clock, speed: 21.5, heading: 135 } }, clock);
    moved.push(e.index);
  }
  expect(moved.length, 'entities moved').toBe(n);
  return moved;
}

describe('live format 2 (real server)', () => {
  it('a build that names no live format is told to reload, and gets no frames', async () => {
    const c: Sock = connect(s.url, { auth: { token: s.firstStart!.wallToken }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(c);
    let frames = 0;
    c.on('live:delta', () => frames++);
    c.on('live:start', () => frames++);
    const reload = await once<LiveReload>((ok) => c.once('live:reload', ok), 10_000, 'live:reload');
    expect(reload).toEqual({ reason: 'format', formats: [1, 2] });
    await once<void>((ok) => c.once('disconnect', () => ok()), 5000, 'disconnect');
    expect(frames).toBe(0);
  });

  it('a malformed handshake or subscription is refused with a message that says what is wrong', async () => {
    const c: Sock = connect(s.url, { auth: { token: s.firstStart!.wallToken, live: { format: 2, subscription: { kinds: ['tank'] } } }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(c);
    const err = await once<Error>((ok) => c.once('connect_error', ok), 10_000, 'connect_error');
    expect(err.message).toBe('invalid live handshake: live.subscription: unknown kind "tank"');
  });

  it('a wall takes the whole district and, tick after tick, holds exactly what the server holds', async () => {
    const wall = new Screen();
    const start = await wall.open();
    expect(start.resumed).toBe(false);
    expect(decodeLiveFrameV2(start.frame as Uint8Array).full).toBe(true);
    expect(wall.catalog.length).toBe(s.app.live.catalog.length);
    move(300);
    await wall.caughtUp();
    move(50);
    await wall.caughtUp();
    expect(wall.errors).toEqual([]);
    expectEqualHeld(wall.view.cols, serverView());
  });

  it('a screen that misses ticks resumes with the difference, not a snapshot, and ends equal to the server', async () => {
    const wall = new Screen();
    await wall.open();
    await wall.caughtUp();
    wall.socket.close();
    // Away for several ticks while things move.
    for (let k = 0; k < 4; k++) {
      move(40 + k);
      await new Promise((r) => setTimeout(r, 400)); // a couple of ticks go by
    }
    const full = (await new Screen().open()).frame.byteLength;
    const start = await wall.open({}, true);
    expect(start.resumed).toBe(true);
    expect(start.catalogFrom).toBe(wall.catalog.length);
    expect(decodeLiveFrameV2(start.frame as Uint8Array).full).toBe(false);
    expect(start.frame.byteLength * 20).toBeLessThan(full);
    await wall.caughtUp();
    expect(wall.errors).toEqual([]);
    expectEqualHeld(wall.view.cols, serverView());
  });

  it('a street screen gets only its street; a live change of subscription brings the new view', async () => {
    const street = s.app.live.catalog.find((e) => e.kind === 'bin')!.orgCode;
    const screen = new Screen();
    await screen.open({ streets: [street] });
    const inStreet = (e: CatalogEntry) => e.orgCode === street;
    expect(screen.view.cols.present.reduce((n, p) => n + p, 0)).toBe(s.app.live.catalog.filter(inStreet).length);
    const framesBefore = screen.frames;
    move(20, (e) => !inStreet(e));
    move(20, (e) => inStreet(e));
    await screen.caughtUp();
    expect(screen.frames).toBeGreaterThan(framesBefore);
    expectEqualHeld(screen.view.cols, serverView(inStreet));

    const ack = await screen.socket.timeout(5000).emitWithAck('live:subscribe', { kinds: ['toilet'] });
    expect(ack).toEqual({ ok: true, data: { version: expect.any(Number) as number } });
    await screen.caughtUp();
    expectEqualHeld(screen.view.cols, serverView((e) => e.kind === 'toilet'));

    const bad = await screen.socket.timeout(5000).emitWithAck('live:subscribe', { bbox: [118, 36, 117, 37] } as LiveSubscription);
    expect(bad).toMatchObject({ ok: false, error: { code: expect.stringMatching(/invalid_subscription|rate_limited/) as string } });
  });

  it('a screen whose view did not change gets no frame on a quiet tick, and an empty one for another street\'s change', async () => {
    // Found in the load-balancer test: a tick with nothing new for a screen sent it its whole view
    // (5,000 rows, ~260 KiB) instead of nothing, every tick, to every screen.
    const street = s.app.live.catalog.find((e) => e.kind === 'bin')!.orgCode;
    const inStreet = (e: CatalogEntry) => e.orgCode === street;
    const wall = new Screen();
    const streetScreen = new Screen();
    await wall.open();
    await streetScreen.open({ streets: [street] });
    await wall.caughtUp();
    const [wallFrames, streetFrames] = [wall.frames, streetScreen.frames];
    await new Promise((r) => setTimeout(r, 8 * 150)); // eight ticks with no change
    expect(wall.frames, 'frames to a wall on quiet ticks').toBe(wallFrames);
    expect(streetScreen.frames, 'frames to a street screen on quiet ticks').toBe(streetFrames);
    move(10, (e) => !inStreet(e));
    await wall.caughtUp();
    await new Promise((r) => setTimeout(r, 4 * 150));
    expect(wall.frames).toBe(wallFrames + 1);
    expect(wall.rows.at(-1)).toBe(10);
    // The street screen's view is the same, at a newer version: a frame of no rows moves its base on.
    expect(streetScreen.frames, 'frames to a street screen when only other streets changed').toBe(streetFrames + 1);
    expect(streetScreen.rows.at(-1)).toBe(0);
    expect([wall.fullFrames, streetScreen.fullFrames]).toEqual([0, 0]);
    expect([...wall.errors, ...streetScreen.errors]).toEqual([]);
    expectEqualHeld(wall.view.cols, serverView());
  });

  it('an entity that drives out of a screen\'s box leaves its view', async () => {
    const e = s.app.live.all().find((x) => x.pos)!;
    const box: [number, number, number, number] = [e.pos!.lon - 0.002, e.pos!.lat - 0.002, e.pos!.lon + 0.002, e.pos!.lat + 0.002];
    const inBox = (_: CatalogEntry, c: LiveColumns, i: number) => c.hasPos[i] === 1 && c.lon[i]! >= Math.round(box[0] * 1e6) && c.lon[i]! <= Math.round(box[2] * 1e6) && c.lat[i]! >= Math.round(box[1] * 1e6) && c.lat[i]! <= Math.round(box[3] * 1e6);
    const screen = new Screen();
    await screen.open({ bbox: box });
    expect(screen.view.cols.present[e.index]).toBe(1);
    clock += 1000;
    s.app.live.apply(e.id, { pos: { lon: e.pos!.lon + 0.01, lat: e.pos!.lat, ts: clock } }, clock);
    await screen.caughtUp();
    expect(screen.view.cols.present[e.index]).toBe(0);
    expectEqualHeld(screen.view.cols, serverView(inBox));
  });

  it('twenty walls connecting at once cost one full frame per version, and all get the same bytes', async () => {
    move(10);
    await new Promise((r) => setTimeout(r, 400)); // a tick captured the move
    const before = s.app.liveViews.builds;
    const walls = Array.from({ length: 20 }, () => new Screen());
    const starts = await Promise.all(walls.map((w) => w.open()));
    // On a loaded machine the storm may span ticks that captured new versions: one build each, never one per wall.
    const versions = new Map<number, Buffer>();
    for (const st of starts) {
      const frame = Buffer.from(st.frame as Uint8Array);
      const v = decodeLiveFrameV2(frame).version;
      const seen = versions.get(v);
      if (seen) expect(frame.equals(seen), `same bytes for version ${v}`).toBe(true);
      else versions.set(v, frame);
    }
    expect(s.app.liveViews.builds - before).toBe(versions.size);
    expect(versions.size).toBeLessThan(walls.length);
  }, 180_000);
});
