/**
 * The Socket.IO server, typed with the shared event maps. Every socket authenticates in
 * its handshake, gets a snapshot on connect, then a delta and the KPIs every tick.
 */
import fp from 'fastify-plugin';
import { Server, type Socket } from 'socket.io';
import { computeKpis } from '../../shared/kpis.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/live-events.ts';
import { LiveFanOut } from '../live/fan-out.ts';
import type { AuthContext } from './auth.ts';

interface SocketData {
  principal: AuthContext; version: number; opsVersion: number; address: string;
  /** Catalog entries this screen holds (the catalog grows at run time; it learns new ones with 'live:catalog'). */
  catalogSize: number;
}
export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

declare module 'fastify' {
  interface FastifyInstance { io: LiveServer }
}

/** A socket with this many packets still unsent is skipped for a tick; it gets the merged change next time. */
const SLOW_CLIENT_BACKLOG = 4;

export interface RealtimeOptions {
  tickMs: number;
  /** Concurrent sockets one token, and one address, may hold (a wall is one or two). */
  maxSocketsPerToken: number;
  maxSocketsPerAddress: number;
  corsOrigins: string[];
  now: () => number;
  /** The client build served now, sent with every snapshot (see LiveSnapshot.clientBuild). */
  clientBuild: () => string | undefined;
}

const RESYNC_MIN_INTERVAL_MS = 2000;

/** Time for the 'session:revoked' packet to reach a wall before its socket is closed. */
const REVOKE_GRACE_MS = 250;

export default fp<RealtimeOptions>(async (app, opts) => {
  const io: LiveServer = new Server(app.server, {
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    ...(opts.corsOrigins.length ? { cors: { origin: opts.corsOrigins } } : {}),
  });
  const fanOut = new LiveFanOut(app.live, opts.now);

  // Sockets per token and per address: a token or a machine that opens sockets in a loop is
  // refused at the handshake, before it costs a snapshot.
  const perToken = new Map<string, number>();
  const perAddress = new Map<string, number>();
  const bump = (m: Map<string, number>, key: string, d: number) => {
    const n = (m.get(key) ?? 0) + d;
    if (n <= 0) m.delete(key); else m.set(key, n);
  };

  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const principal = app.auth.resolve(typeof token === 'string' ? token : undefined);
    if (!principal) return next(new Error('unauthorized'));
    // The ops stream carries every case of the district; a crew reads only its own unit's (its phone polls /api/units/:id).
    if (principal.role === 'field') return next(new Error('forbidden'));
    const address = socket.handshake.address;
    if ((perToken.get(principal.revocationKey) ?? 0) >= opts.maxSocketsPerToken || (perAddress.get(address) ?? 0) >= opts.maxSocketsPerAddress) {
      return next(new Error('too_many_connections'));
    }
    socket.data.principal = principal;
    socket.data.address = address;
    next();
  });

  const sendSnapshot = (socket: LiveSocket) => {
    const { snapshot, version } = fanOut.snapshot();
    socket.data.version = version;
    socket.data.catalogSize = snapshot.catalog.length;
    const clientBuild = opts.clientBuild();
    socket.emit('live:snapshot', clientBuild ? { ...snapshot, clientBuild } : snapshot);
  };
  const sendOpsSnapshot = (socket: LiveSocket) => {
    const snapshot = app.ops.snapshot();
    socket.data.opsVersion = snapshot.version;
    socket.emit('ops:snapshot', snapshot);
  };
  /** Packets still queued for this socket: a client that does not read is sent nothing more. */
  const backlog = (socket: LiveSocket) => (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;

  // A handler that throws inside socket.io's emitter would end the process: each is guarded.
  const failures = app.timerFailures;
  io.on('connection', failures.guard('live connection', (socket: LiveSocket) => {
    const { revocationKey } = socket.data.principal;
    bump(perToken, revocationKey, 1);
    bump(perAddress, socket.data.address, 1);
    socket.on('disconnect', () => {
      bump(perToken, revocationKey, -1);
      bump(perAddress, socket.data.address, -1);
    });
    void socket.join(revocationKey);
    sendSnapshot(socket);
    sendOpsSnapshot(socket);
    socket.emit('live:kpis', computeKpis(app.live.all(), opts.now()));
    let lastResync = 0;
    /** A snapshot is ~300 KiB: one per interval, and none while the previous output is still unsent. */
    const resyncRefusal = (): { code: string; message: string } | null => {
      const now = opts.now();
      if (now - lastResync < RESYNC_MIN_INTERVAL_MS) return { code: 'rate_limited', message: `one resync per ${RESYNC_MIN_INTERVAL_MS / 1000} s` };
      if (backlog(socket) > 0) return { code: 'busy', message: 'previous frames are still being sent; ask again later' };
      lastResync = now;
      return null;
    };
    socket.on('live:resync', failures.guard('live resync', (ack: Parameters<ClientToServerEvents['live:resync']>[0]) => {
      if (typeof ack !== 'function') return;
      const refused = resyncRefusal();
      if (refused) return ack({ ok: false, error: refused });
      sendSnapshot(socket);
      ack({ ok: true, data: { version: socket.data.version } });
    }));
    socket.on('ops:resync', failures.guard('ops resync', (ack: Parameters<ClientToServerEvents['ops:resync']>[0]) => {
      if (typeof ack !== 'function') return;
      const refused = resyncRefusal();
      if (refused) return ack({ ok: false, error: refused });
      sendOpsSnapshot(socket);
      ack({ ok: true, data: { version: socket.data.opsVersion } });
    }));
  }));

  const revocations = new Set<ReturnType<typeof setTimeout>>();
  const onRevoked = (key: string) => {
    io.to(key).emit('session:revoked');
    // Closing at once can drop the packet just queued: the wall would only learn "unauthorized".
    const t = setTimeout(() => {
      revocations.delete(t);
      io.in(key).disconnectSockets(true);
    }, REVOKE_GRACE_MS);
    revocations.add(t);
  };
  app.auth.events.on('revoked', onRevoked);

  const onTick = () => {
    // Each part on its own: summaries that fail to compute must not stop the map's deltas, nor one socket the others.
    let kpis: ReturnType<typeof computeKpis> | undefined;
    failures.run('live kpis', () => { kpis = computeKpis(app.live.all(), opts.now()); });
    failures.run('ops flush', () => app.ops.flush());
    let minBase = app.live.version;
    for (const socket of io.sockets.sockets.values()) {
      minBase = Math.min(minBase, socket.data.version ?? 0);
      if (backlog(socket) >= SLOW_CLIENT_BACKLOG) continue;
      failures.run('live send', () => sendTick(socket, kpis));
    }
    fanOut.prune(minBase);
  };
  const sendTick = (socket: LiveSocket, kpis: ReturnType<typeof computeKpis> | undefined) => {
    // New entities before the delta that carries their first rows.
    const added = fanOut.catalogSince(socket.data.catalogSize ?? 0);
    if (added) {
      socket.data.catalogSize = app.live.catalog.length;
      socket.emit('live:catalog', added);
    }
    const frame = fanOut.deltaSince(socket.data.version);
    socket.data.version = app.live.version;
    if (frame) socket.emit('live:delta', frame);
    if (kpis) socket.emit('live:kpis', kpis);
    const ops = app.ops.deltaSince(socket.data.opsVersion);
    if (ops === 'snapshot') sendOpsSnapshot(socket);
    else if (ops) {
      socket.data.opsVersion = ops.version;
      socket.emit('ops:delta', ops);
    }
  };

  // A tick that throws must not stop the next one, nor the server.
  const tick = setInterval(failures.guard('live tick', onTick), opts.tickMs);

  app.decorate('io', io);
  app.addHook('preClose', async () => {
    clearInterval(tick);
    fanOut.unsubscribe();
    for (const t of revocations) clearTimeout(t);
    app.auth.events.off('revoked', onRevoked);
    io.disconnectSockets(true);
    await io.close();
  });
}, { name: 'realtime', dependencies: ['auth', 'live', 'ops'] });
