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

interface SocketData { principal: AuthContext; version: number }
export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

declare module 'fastify' {
  interface FastifyInstance { io: LiveServer }
}

/** A socket with this many packets still unsent is skipped for a tick; it gets the merged change next time. */
const SLOW_CLIENT_BACKLOG = 4;

export interface RealtimeOptions {
  tickMs: number;
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

  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const principal = app.auth.resolve(typeof token === 'string' ? token : undefined);
    if (!principal) return next(new Error('unauthorized'));
    socket.data.principal = principal;
    next();
  });

  const sendSnapshot = (socket: LiveSocket) => {
    const { snapshot, version } = fanOut.snapshot();
    socket.data.version = version;
    const clientBuild = opts.clientBuild();
    socket.emit('live:snapshot', clientBuild ? { ...snapshot, clientBuild } : snapshot);
  };

  io.on('connection', (socket) => {
    void socket.join(socket.data.principal.revocationKey);
    sendSnapshot(socket);
    socket.emit('live:kpis', computeKpis(app.live.all(), opts.now()));
    let lastResync = 0;
    socket.on('live:resync', (ack) => {
      if (typeof ack !== 'function') return;
      // A snapshot is ~300 KiB: a client that asks in a loop is refused, not served.
      const now = opts.now();
      if (now - lastResync < RESYNC_MIN_INTERVAL_MS) {
        ack({ ok: false, error: { code: 'rate_limited', message: `one resync per ${RESYNC_MIN_INTERVAL_MS / 1000} s` } });
        return;
      }
      lastResync = now;
      sendSnapshot(socket);
      ack({ ok: true, data: { version: socket.data.version } });
    });
  });

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

  const tick = setInterval(() => {
    const kpis = computeKpis(app.live.all(), opts.now());
    let minBase = app.live.version;
    for (const socket of io.sockets.sockets.values()) {
      minBase = Math.min(minBase, socket.data.version ?? 0);
      const backlog = (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
      if (backlog >= SLOW_CLIENT_BACKLOG) continue;
      const frame = fanOut.deltaSince(socket.data.version);
      socket.data.version = app.live.version;
      if (frame) socket.emit('live:delta', frame);
      socket.emit('live:kpis', kpis);
    }
    fanOut.prune(minBase);
  }, opts.tickMs);

  app.decorate('io', io);
  app.addHook('preClose', async () => {
    clearInterval(tick);
    fanOut.unsubscribe();
    for (const t of revocations) clearTimeout(t);
    app.auth.events.off('revoked', onRevoked);
    io.disconnectSockets(true);
    await io.close();
  });
}, { name: 'realtime', dependencies: ['auth', 'live'] });
