/**
 * The wall's live client (client/realtime/live-client.ts) against a scripted Socket.IO server:
 * a bad delta asks for a resync instead of throwing, a server that goes away is retried until it
 * is back, a new catalog rebuilds the buffer, a refused token goes to /login.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeLiveFrame, type LiveRow } from '../../shared/live-codec.ts';
import type { CatalogEntry, ClientToServerEvents, LiveSnapshot, ServerToClientEvents } from '../../shared/live-events.ts';
import { EntityBuffer } from '../../client/realtime/entity-buffer.ts';
import { connectLive, type LiveClient, type LiveConnectionState } from '../../client/realtime/live-client.ts';

type TestServer = Server<ClientToServerEvents, ServerToClientEvents>;

interface Scripted { io: TestServer; http: HttpServer; port: number; resyncs: number; close(): Promise<void> }

function catalogOf(ids: string[]): CatalogEntry[] {
  return ids.map((id, i) => ({ i, id, kind: 'vehicle', name: id, orgCode: '370102001', gridId: 'g1' }));
}

function snapshotOf(catalogId: string, catalog: CatalogEntry[], version: number, lonBase = 117): LiveSnapshot {
  const rows: LiveRow[] = catalog.map((e) => ({
    i: e.i, kind: 'vehicle', status: 'working', connectivity: 'online', lastSeen: Date.now(), attrs: { plate: `鲁A${e.i}` },
    pos: { lon: lonBase + e.i * 0.001, lat: 36.66, ts: Date.now(), speed: 20, heading: 90 },
  }));
  return { catalogId, catalog, frame: encodeLiveFrame({ full: true, version, baseVersion: 0, serverTime: Date.now() }, rows) };
}

/** A Socket.IO server that accepts token "good", sends `snapshot()` on connect and on every resync. */
async function scriptedServer(port: number, snapshot: () => LiveSnapshot): Promise<Scripted> {
  const http = createServer();
  const io: TestServer = new Server(http);
  const s: Scripted = {
    io, http, port, resyncs: 0,
    close: async () => {
      io.disconnectSockets(true);
      await io.close();
    },
  };
  io.use((socket, next) => ((socket.handshake.auth as { token?: string }).token === 'good' ? next() : next(new Error('unauthorized'))));
  io.on('connection', (socket) => {
    socket.emit('live:snapshot', snapshot());
    socket.on('live:resync', (ack) => {
      s.resyncs++;
      socket.emit('live:snapshot', snapshot());
      ack({ ok: true, data: { version: 1 } });
    });
  });
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r));
  s.port = (http.address() as AddressInfo).port;
  return s;
}

async function until(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('wall live client', () => {
  let server: Scripted | null = null;
  let client: LiveClient | null = null;

  beforeAll(() => {
    // socket.io-client connects to the page's own origin; in Node, "the page" is set per test.
    (globalThis as { location?: unknown }).location = undefined;
  });
  afterEach(async () => {
    client?.close();
    client = null;
    await server?.close();
    server = null;
  });

  function connect(token: string, buffer: EntityBuffer) {
    (globalThis as { location?: unknown }).location = { protocol: 'http:', host: `127.0.0.1:${server!.port}`, hostname: '127.0.0.1', port: String(server!.port) };
    const log = { states: [] as LiveConnectionState[], unauthorized: [] as string[], catalogChanges: 0 };
    client = connectLive(token, buffer, {
      onState: (st) => log.states.push(st),
      onKpis: () => undefined,
      onUnauthorized: (reason) => log.unauthorized.push(reason),
      onCatalogChanged: () => log.catalogChanges++,
    });
    return log;
  }

  it('asks for a resync when a delta does not decode, instead of throwing', async () => {
    const catalog = catalogOf(['a', 'b', 'c']);
    server = await scriptedServer(0, () => snapshotOf('cat-1', catalog, 10));
    const buffer = new EntityBuffer();
    const log = connect('good', buffer);
    await until('the snapshot', () => buffer.size === 3 && buffer.version === 10);
    expect(log.states.at(-1)).toBe('live');

    server.io.emit('live:delta', new Uint8Array([1, 2, 3, 4, 5]));
    await until('a resync', () => server!.resyncs === 1);
    expect(buffer.size).toBe(3);
    expect(log.states.at(-1)).toBe('live');
  });

  it('retries a server that went away until it is back, and rebuilds the buffer from a new catalog', async () => {
    server = await scriptedServer(0, () => snapshotOf('cat-1', catalogOf(['a', 'b', 'c']), 5000));
    const port = server.port;
    const buffer = new EntityBuffer();
    const log = connect('good', buffer);
    await until('the first snapshot', () => buffer.catalogId === 'cat-1' && buffer.version === 5000);

    await server.close();
    await new Promise<void>((r) => server!.http.close(() => r()));
    await until('the reconnecting state', () => log.states.at(-1) === 'reconnecting');
    await new Promise((r) => setTimeout(r, 2500)); // a few failed attempts
    expect(log.states.at(-1)).toBe('reconnecting');

    // The restarted server counts versions from scratch and knows other entities.
    server = await scriptedServer(port, () => snapshotOf('cat-2', catalogOf(['x', 'y']), 3, 118));
    await until('live again', () => log.states.at(-1) === 'live', 20_000);
    await until('the new catalog', () => buffer.catalogId === 'cat-2');
    expect(buffer.size).toBe(2);
    expect(buffer.version).toBe(3);
    expect(buffer.catalog.map((e) => e.id)).toEqual(['x', 'y']);
    expect(buffer.lon[0]).toBeCloseTo(118, 6);
    expect(log.catalogChanges).toBe(1);
    expect(log.unauthorized).toEqual([]);
  }, 40_000);

  it('keeps the buffer on a snapshot of the same catalog, snapping positions and taking its version', async () => {
    let lonBase = 117;
    let version = 900;
    server = await scriptedServer(0, () => snapshotOf('cat-1', catalogOf(['a', 'b']), version, lonBase));
    const buffer = new EntityBuffer();
    const log = connect('good', buffer);
    await until('the snapshot', () => buffer.version === 900);
    const lonArray = buffer.lon;

    lonBase = 117.01;
    version = 2;
    server.io.disconnectSockets(); // 'io server disconnect': socket.io does not retry this by itself
    await until('the new snapshot', () => buffer.version === 2, 20_000);
    expect(buffer.lon).toBe(lonArray); // not rebuilt
    expect(buffer.lon[1]).toBeCloseTo(117.011, 6);
    expect(buffer.glideMs[1]).toBe(0); // snapped, no glide from the pre-outage position
    expect(log.catalogChanges).toBe(0);
    expect(log.states.at(-1)).toBe('live');
  }, 30_000);

  it('extends the buffer with catalog changes (no reload, no rebuild that would drop a selection) and asks for a resync when one was missed', async () => {
    let catalog = catalogOf(['a', 'b']);
    server = await scriptedServer(0, () => snapshotOf('cat-1', catalog, 50));
    const buffer = new EntityBuffer();
    const log = connect('good', buffer);
    const grown: string[][] = [];
    client!.close();
    client = connectLive('good', buffer, {
      onState: (st) => log.states.push(st), onKpis: () => undefined, onUnauthorized: () => undefined,
      onCatalogChanged: () => log.catalogChanges++, onCatalogGrown: (entries) => grown.push(entries.map((e) => e.id)),
    });
    await until('the snapshot', () => buffer.size === 2 && buffer.version === 50);
    const lon0 = buffer.lon[0];
    buffer.takeDirty();

    // A bin added at run time: its entry, then a delta that carries its first row.
    const bin: CatalogEntry = { i: 2, id: 'rt-mqtt-b1', kind: 'bin', name: 'new bin', orgCode: '370102001', gridId: 'g1' };
    server.io.emit('live:catalog', { catalogId: 'cat-1', version: 51, entries: [bin] });
    server.io.emit('live:delta', encodeLiveFrame({ full: false, version: 51, baseVersion: 50, serverTime: Date.now() }, [
      { i: 2, kind: 'bin', status: 'full', connectivity: 'online', lastSeen: Date.now(), pos: { lon: 117.5, lat: 36.6, ts: Date.now() }, attrs: { binType: 'litter', fill: 85 } },
    ]));
    await until('the new bin', () => buffer.version === 51);
    expect(buffer.size).toBe(3);
    expect(buffer.catalog[2]).toEqual(bin);
    expect([...buffer.byKind.bin]).toEqual([2]);
    expect([...buffer.byKind.vehicle]).toEqual([0, 1]);
    expect(buffer.lon[2]).toBeCloseTo(117.5, 6);
    expect(buffer.lon[0]).toBe(lon0);
    expect(buffer.statusCode[2]).toBe(1); // 'full'
    expect(buffer.attrs[2]).toEqual({ binType: 'litter', fill: 85 });
    expect(buffer.takeDirty().dirty.has('bin')).toBe(true);
    expect(grown).toEqual([['rt-mqtt-b1']]);
    expect(log.catalogChanges).toBe(0);
    expect(server.resyncs).toBe(0);

    // Entry 3 never arrived: entry 4 does not continue the catalog, so the client asks for the whole truth.
    catalog = [...catalogOf(['a', 'b']), bin, { ...bin, i: 3, id: 'rt-mqtt-b2' }, { ...bin, i: 4, id: 'rt-mqtt-b3' }];
    server.io.emit('live:catalog', { catalogId: 'cat-1', version: 60, entries: [catalog[4]!] });
    await until('a resync', () => server!.resyncs === 1);
    await until('the extended snapshot', () => buffer.size === 5);
    expect(buffer.catalog.map((e) => e.id)).toEqual(['a', 'b', 'rt-mqtt-b1', 'rt-mqtt-b2', 'rt-mqtt-b3']);
    expect(log.catalogChanges).toBe(0); // extended, not rebuilt
  }, 30_000);

  it('reports a refused token as unauthorized', async () => {
    server = await scriptedServer(0, () => snapshotOf('cat-1', catalogOf(['a']), 1));
    const log = connect('revoked-token', new EntityBuffer());
    await until('the refusal', () => log.unauthorized.length > 0);
    expect(log.unauthorized[0]).toBe('expired');
  });
});
