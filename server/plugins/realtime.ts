/**
 * The Socket.IO server, typed with the shared event maps. Every socket authenticates in
 * its handshake and names the live format it decodes: format 2 (screens) gets a start — the
 * difference from what it held, or its whole view — then a delta and the KPIs every tick;
 * format 1 (tools, tests) gets the format-1 snapshot and deltas; a build that names none is
 * told to reload.
 */
import fp from 'fastify-plugin';
import { Server, type Socket } from 'socket.io';
import { computeKpis } from '../../shared/kpis.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/live-events.ts';
import type { TrustProxy } from '../auth/hardening-config.ts';
import { screenAddressOf } from '../live/screen-address.ts';
import { LiveFanOut } from '../live/fan-out.ts';
import { LiveHandshakeError, legacyReloadSnapshot, parseLiveHandshake, type LiveHandshake } from '../live/handshake.ts';
import { DEFAULT_RING_TICKS, LiveTickStates, type TickState } from '../live/tick-states.ts';
import { LiveViewFrames } from '../live/view-frames.ts';
import { LiveSubscriptionError, parseLiveSubscription, type LiveSubscription } from '../../shared/live-subscription.ts';
import type { AuthContext } from './auth.ts';

interface SocketData {
  principal: AuthContext; version: number; opsVersion: number; address: string;
  /** Catalog entries this screen holds (the catalog grows at run time; it learns new ones with 'live:catalog'). */
  catalogSize: number;
  /** What the handshake asked for; `version` is a captured tick version for format 2. */
  live: LiveHandshake;
  subscription: LiveSubscription;
}
export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

declare module 'fastify' {
  interface FastifyInstance {
    io: LiveServer;
    /** Format-2 frames and their cache (its `builds` count is what a reconnect storm costs). */
    liveViews: LiveViewFrames;
  }
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
  /** Ticks of state kept for format-2 screens to resume from (default DEFAULT_RING_TICKS). */
  ringTicks?: number;
  /** TRUST_PROXY: which proxies are believed about a screen's address (default: none). */
  trustProxy?: TrustProxy;
}

const RESYNC_MIN_INTERVAL_MS = 2000;
/** A screen that pans sends a new box now and then, not on every mouse move. */
const SUBSCRIBE_MIN_INTERVAL_MS = 500;

/** Time for the 'session:revoked' packet to reach a wall before its socket is closed. */
const REVOKE_GRACE_MS = 250;

export default fp<RealtimeOptions>(async (app, opts) => {
  const io: LiveServer = new Server(app.server, {
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    ...(opts.corsOrigins.length ? { cors: { origin: opts.corsOrigins } } : {}),
  });
  const fanOut = new LiveFanOut(app.live, opts.now);
  const states = new LiveTickStates(app.live, opts.ringTicks ?? DEFAULT_RING_TICKS, opts.now);
  const views = new LiveViewFrames(states, app.live);

  // Sockets per token and per address: a token or a machine that opens sockets in a loop is
  // refused at the handshake, before it costs a snapshot.
  const perToken = new Map<string, number>();
  const perAddress = new Map<string, number>();
  const screenAddress = screenAddressOf(opts.trustProxy ?? false);
  const bump = (m: Map<string, number>, key: string, d: number) => {
    const n = (m.get(key) ?? 0) + d;
    if (n <= 0) m.delete(key); else m.set(key, n);
  };

  // The token is looked up first; every check after it is synchronous, up to next(), so the
  // counts per token and address cannot change between the check and the connection.
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    app.auth.resolve(typeof token === 'string' ? token : undefined).then((principal) => admit(socket, principal, next)).catch((err: unknown) => {
      // The store failed (or a bug): the screen is refused and retries; the server carries on.
      app.log.error({ err }, 'socket handshake failed');
      next(new Error('unavailable'));
    });
  });
  const admit = (socket: LiveSocket, principal: AuthContext | undefined, next: (err?: Error) => void) => {
    if (!principal) return next(new Error('unauthorized'));
    // The ops stream carries every case of the district; a crew reads only its own unit's (its phone polls /api/units/:id).
    if (principal.role === 'field') return next(new Error('forbidden'));
    const address = screenAddress(socket.request);
    if ((perToken.get(principal.revocationKey) ?? 0) >= opts.maxSocketsPerToken || (perAddress.get(address) ?? 0) >= opts.maxSocketsPerAddress) {
      return next(new Error('too_many_connections'));
    }
    let live: LiveHandshake;
    try {
      live = parseLiveHandshake(socket.handshake.auth);
    } catch (err) {
      if (err instanceof LiveHandshakeError) return next(new Error(`invalid live handshake: ${err.message}`));
      throw err;
    }
    socket.data.principal = principal;
    socket.data.address = address;
    socket.data.live = live;
    socket.data.subscription = live.subscription;
    next();
  };

  const sendStart = (socket: LiveSocket, resume: LiveHandshake['resume']) => {
    // The last tick's state, not a new capture: screens connecting together share one frame.
    const state = states.latest ?? states.capture();
    const start = views.start(state, socket.data.subscription, resume);
    socket.data.version = state.version;
    socket.data.catalogSize = app.live.catalog.length;
    const clientBuild = opts.clientBuild();
    socket.emit('live:start', clientBuild ? { ...start, clientBuild } : start);
  };
  const sendSnapshot = (socket: LiveSocket) => {
    if (socket.data.live.format === 2) return sendStart(socket, undefined);
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
    if (socket.data.live.format === 0) return refuseOldBuild(socket);
    if (socket.data.live.format === 2) sendStart(socket, socket.data.live.resume);
    else sendSnapshot(socket);
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
    let lastSubscribe = 0;
    socket.on('live:subscribe', failures.guard('live subscribe', (input: unknown, ack: Parameters<ClientToServerEvents['live:subscribe']>[1]) => {
      if (typeof ack !== 'function') return;
      if (socket.data.live.format !== 2) return ack({ ok: false, error: { code: 'format', message: 'subscriptions need live format 2' } });
      let sub: LiveSubscription;
      try {
        sub = parseLiveSubscription(input);
      } catch (err) {
        if (err instanceof LiveSubscriptionError) return ack({ ok: false, error: { code: 'invalid_subscription', message: err.message } });
        throw err;
      }
      const now = opts.now();
      if (now - lastSubscribe < SUBSCRIBE_MIN_INTERVAL_MS) return ack({ ok: false, error: { code: 'rate_limited', message: `one subscription change per ${SUBSCRIBE_MIN_INTERVAL_MS} ms` } });
      lastSubscribe = now;
      socket.data.subscription = sub;
      // The screen's held state was for the old view: the new view comes whole.
      const state = states.latest ?? states.capture();
      socket.data.version = state.version;
      socket.emit('live:delta', views.full(state, sub));
      ack({ ok: true, data: { version: state.version } });
    }));
    socket.on('ops:resync', failures.guard('ops resync', (ack: Parameters<ClientToServerEvents['ops:resync']>[0]) => {
      if (typeof ack !== 'function') return;
      const refused = resyncRefusal();
      if (refused) return ack({ ok: false, error: refused });
      sendOpsSnapshot(socket);
      ack({ ok: true, data: { version: socket.data.opsVersion } });
    }));
  }));

  /** A build that names no live format cannot decode format 2: it is told to reload, then let go. */
  const refuseOldBuild = (socket: LiveSocket) => {
    socket.emit('live:reload', { reason: 'format', formats: [1, 2] });
    const clientBuild = opts.clientBuild();
    if (clientBuild) socket.emit('live:snapshot', legacyReloadSnapshot(clientBuild, opts.now()));
    const t = setTimeout(() => {
      revocations.delete(t);
      socket.disconnect(true);
    }, REVOKE_GRACE_MS);
    revocations.add(t);
  };

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
    let state: TickState | undefined;
    failures.run('live capture', () => { state = states.capture(); });
    let minBase = app.live.version;
    const served: LiveSocket[] = [];
    for (const socket of io.sockets.sockets.values()) {
      const format = socket.data.live?.format;
      if (format === 1) minBase = Math.min(minBase, socket.data.version ?? 0);
      if (format === 0 || format === undefined || backlog(socket) >= SLOW_CLIENT_BACKLOG) continue;
      served.push(socket);
      failures.run('live send', () => sendFrame(socket, state));
    }
    fanOut.prune(minBase);
    // The summaries after every screen has its frame: a scan of the whole district (tens of ms at
    // 20,000 entities) would otherwise hold each report back that long on its way to the map.
    // Nothing runs in between, so they describe the same state as the frames.
    let kpis: ReturnType<typeof computeKpis> | undefined;
    failures.run('live kpis', () => { kpis = computeKpis(app.live.all(), opts.now()); });
    failures.run('ops flush', () => app.ops.flush());
    for (const socket of served) failures.run('live send', () => sendSummaries(socket, kpis));
  };
  /** Format 2: the difference between the tick the screen holds and this one, or its whole view when the ring lost that tick. */
  const sendFrameV2 = (socket: LiveSocket, state: TickState) => {
    // null: nothing in the screen's view changed, so nothing is sent; undefined: the ring lost its base.
    const delta = views.delta(state, socket.data.version, socket.data.subscription);
    const frame = delta === undefined ? views.full(state, socket.data.subscription) : delta;
    socket.data.version = state.version;
    if (frame) socket.emit('live:delta', frame);
  };
  /** A tick's catalog additions and map frame for one screen. */
  const sendFrame = (socket: LiveSocket, state: TickState | undefined) => {
    // New entities before the delta that carries their first rows.
    const added = fanOut.catalogSince(socket.data.catalogSize ?? 0);
    if (added) {
      socket.data.catalogSize = app.live.catalog.length;
      socket.emit('live:catalog', added);
    }
    if (socket.data.live.format === 2) {
      if (state) sendFrameV2(socket, state);
    } else {
      const frame = fanOut.deltaSince(socket.data.version);
      socket.data.version = app.live.version;
      if (frame) socket.emit('live:delta', frame);
    }
  };
  /** A tick's KPIs and case/alarm changes for one screen, sent after every screen's frame. */
  const sendSummaries = (socket: LiveSocket, kpis: ReturnType<typeof computeKpis> | undefined) => {
    if (socket.disconnected) return;
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
  app.decorate('liveViews', views);
  app.addHook('preClose', async () => {
    clearInterval(tick);
    fanOut.unsubscribe();
    states.unsubscribe();
    for (const t of revocations) clearTimeout(t);
    app.auth.events.off('revoked', onRevoked);
    io.disconnectSockets(true);
    await io.close();
  });
}, { name: 'realtime', dependencies: ['auth', 'live', 'ops'] });
