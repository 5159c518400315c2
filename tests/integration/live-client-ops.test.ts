/**
 * The live client's ops stream (cases, alarms, engaged units) against a scripted Socket.IO
 * server: a snapshot on connect fills the store, contiguous deltas apply, a delta built on a
 * version the client never saw asks for one 'ops:resync' (not one per later delta), and the
 * snapshot it brings replaces what is held.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPinia, setActivePinia } from 'pinia';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeLiveFrame } from '../../shared/live-codec.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/live-events.ts';
import type { OpsDelta, OpsSnapshot } from '../../shared/ops.ts';
import { EntityBuffer } from '../../client/realtime/entity-buffer.ts';
import { connectLive, type LiveClient } from '../../client/realtime/live-client.ts';
import { useOpsStore } from '../../client/stores/ops.ts';
import { caseSummary, stats } from '../fixtures/ops-factories.ts';

type TestServer = Server<ClientToServerEvents, ServerToClientEvents>;

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const delta = (version: number, baseVersion: number, ids: number[]): OpsDelta => ({
  version, baseVersion, cases: ids.map((id) => caseSummary({ id })), alarms: [], units: [], removed: { cases: [], alarms: [], units: [] }, stats: stats(),
});

describe('live client: ops stream', () => {
  let http: HttpServer | null = null;
  let io: TestServer | null = null;
  let client: LiveClient | null = null;

  afterEach(async () => {
    client?.close();
    client = null;
    io?.disconnectSockets(true);
    await io?.close();
    io = null;
    http = null;
  });

  it('fills the store from the snapshot, applies deltas, and asks for one resync per gap', async () => {
    http = createServer();
    io = new Server(http);
    let snapshot: OpsSnapshot = { version: 5, cases: [caseSummary({ id: 1 })], alarms: [], units: [], stats: stats({ casesToday: 1 }) };
    let resyncs = 0;
    io.on('connection', (socket) => {
      socket.emit('live:snapshot', { catalogId: 'c', catalog: [], frame: encodeLiveFrame({ full: true, version: 1, baseVersion: 0, serverTime: Date.now() }, []) });
      socket.emit('ops:snapshot', snapshot);
      socket.on('ops:resync', (ack) => {
        resyncs++;
        ack({ ok: true, data: { version: snapshot.version } });
        socket.emit('ops:snapshot', snapshot);
      });
    });
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    const port = (http.address() as AddressInfo).port;
    (globalThis as { location?: unknown }).location = { protocol: 'http:', host: `127.0.0.1:${port}`, hostname: '127.0.0.1', port: String(port) };

    setActivePinia(createPinia());
    const ops = useOpsStore();
    client = connectLive('t', new EntityBuffer(), {
      onState: () => undefined, onKpis: () => undefined, onUnauthorized: () => undefined,
      onOpsSnapshot: (s) => ops.applySnapshot(s), onOpsDelta: (d) => ops.applyDelta(d),
    });
    await until('the ops snapshot', () => ops.version === 5);
    expect([...ops.cases.keys()]).toEqual([1]);

    io.emit('ops:delta', delta(6, 5, [2]));
    await until('the contiguous delta', () => ops.version === 6);
    expect(resyncs).toBe(0);
    expect([...ops.cases.keys()].sort()).toEqual([1, 2]);

    // Version 7 was lost: 8 is built on it, so the client asks for a snapshot, once.
    snapshot = { version: 9, cases: [caseSummary({ id: 1 }), caseSummary({ id: 2 }), caseSummary({ id: 3 }), caseSummary({ id: 4 })], alarms: [], units: [], stats: stats({ casesToday: 4 }) };
    io.emit('ops:delta', delta(8, 7, [4]));
    await until('a resync', () => resyncs === 1);
    await until('the resync snapshot', () => ops.version === 9);
    expect([...ops.cases.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect(ops.stats?.casesToday).toBe(4);
    await new Promise((r) => setTimeout(r, 200));
    expect(resyncs).toBe(1);

    io.emit('ops:delta', delta(10, 9, [5]));
    await until('the next delta', () => ops.version === 10);
    expect(resyncs).toBe(1);
  });

  it('asks again when the server refuses a resync (rate limited), until a snapshot comes', async () => {
    http = createServer();
    io = new Server(http);
    let resyncs = 0;
    io.on('connection', (socket) => {
      socket.emit('ops:snapshot', { version: 1, cases: [], alarms: [], units: [], stats: stats() });
      socket.on('ops:resync', (ack) => {
        resyncs++;
        if (resyncs === 1) return ack({ ok: false, error: { code: 'rate_limited', message: 'again in 2 s' } });
        ack({ ok: true, data: { version: 20 } });
        socket.emit('ops:snapshot', { version: 20, cases: [caseSummary({ id: 7 })], alarms: [], units: [], stats: stats() });
      });
    });
    await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
    const port = (http.address() as AddressInfo).port;
    (globalThis as { location?: unknown }).location = { protocol: 'http:', host: `127.0.0.1:${port}`, hostname: '127.0.0.1', port: String(port) };
    setActivePinia(createPinia());
    const ops = useOpsStore();
    client = connectLive('t', new EntityBuffer(), {
      onState: () => undefined, onKpis: () => undefined, onUnauthorized: () => undefined,
      onOpsSnapshot: (s) => ops.applySnapshot(s), onOpsDelta: (d) => ops.applyDelta(d),
    });
    await until('the first snapshot', () => ops.version === 1);
    io.emit('ops:delta', delta(5, 4, [3]));
    await until('the refused then granted resync', () => ops.version === 20, 10_000);
    expect(resyncs).toBe(2);
    expect([...ops.cases.keys()]).toEqual([7]);
  });
});
