/**
 * The JT/T 808 TCP gateway: one session per connection, with the limits that keep one bad
 * peer from costing the others — connections in total, frames per second per connection
 * (a flood is dropped and counted, a sustained one closed), bytes waiting to be written, a
 * deadline to authenticate, and an idle timeout measured between complete frames (a
 * slow-loris peer trickling bytes never completes one). One sweep timer serves every
 * connection, so 10,000 terminals cost no 10,000 timers.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Jt808FrameSplitter, MAX_FRAME_BYTES } from './framing.ts';
import { Jt808Session, type SessionEnv } from './session.ts';

export interface GatewayLimits {
  maxConnections: number;
  /** Complete frames without which a connection is closed. */
  idleTimeoutMs: number;
  /** A connection must authenticate within this. */
  authTimeoutMs: number;
  /** Sustained frames per second per connection, and the burst above it. */
  framesPerSecond: number;
  frameBurst: number;
  /** Frames dropped for flooding after which the connection is closed. */
  floodCloseAfter: number;
  /** Bytes queued for a peer that does not read; above it the connection is closed. */
  maxWriteBuffer: number;
  sweepMs: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  maxConnections: 20_000,
  idleTimeoutMs: 180_000,
  authTimeoutMs: 60_000,
  framesPerSecond: 20,
  frameBurst: 200,
  floodCloseAfter: 2_000,
  maxWriteBuffer: 256 * 1024,
  sweepMs: 1_000,
};

export interface GatewayStats {
  connections: number;
  authenticated: number;
  framesReceived: number;
  /** Refusals by reason: frames, messages, connections. */
  refused: Record<string, number>;
  /** Connections closed by the gateway, by reason. */
  closed: Record<string, number>;
  /** Terminals' answers to downlink, by the message answered (0x8300, 0x8201). */
  answers: Record<string, number>;
}

interface Connection {
  socket: Socket;
  session: Jt808Session;
  splitter: Jt808FrameSplitter;
  tokens: number;
  lastRefill: number;
  floodDropped: number;
}

export interface GatewayLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class Jt808Gateway {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  /** The authenticated session per terminal (downlink goes there). */
  private readonly byDevice = new Map<string, Jt808Session>();
  /** The id each session is filed under in byDevice, and its connection: 10,000 terminals authenticating must not scan each other. */
  private readonly filedAs = new WeakMap<Jt808Session, string>();
  private readonly connectionOf = new WeakMap<Jt808Session, Connection>();
  private readonly stats: GatewayStats = { connections: 0, authenticated: 0, framesReceived: 0, refused: {}, closed: {}, answers: {} };
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly env: Omit<SessionEnv, 'count' | 'onAuthenticated'>,
    private readonly limits: GatewayLimits,
    private readonly log: GatewayLog,
  ) {
    this.server = createServer((socket) => this.guard('connection', () => this.accept(socket)));
    this.server.on('error', (err) => this.log.error({ err }, 'jt808 server error'));
  }

  async listen(port: number, host?: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      // A fleet reconnecting at once (after a restart) must not overflow the accept queue.
      this.server.listen({ port, host, backlog: 2048 }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.sweepTimer = setInterval(() => this.guard('sweep', () => this.sweep()), this.limits.sweepMs);
    this.sweepTimer.unref();
    const addr = this.server.address();
    return addr && typeof addr === 'object' ? addr.port : port;
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.socket.destroy();
    await closed;
  }

  session(deviceId: string): Jt808Session | undefined {
    return this.byDevice.get(deviceId);
  }

  snapshotStats(): GatewayStats {
    return { ...structuredClone(this.stats), connections: this.connections.size, authenticated: this.byDevice.size };
  }

  private count(reason: string): void {
    this.stats.refused[reason] = (this.stats.refused[reason] ?? 0) + 1;
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.limits.maxConnections) {
      this.count('tooManyConnections');
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    let conn: Connection | undefined;
    const io = {
      address,
      send: (frame: Buffer) => {
        if (socket.destroyed) return;
        if (socket.writableLength > this.limits.maxWriteBuffer) return this.drop(conn!, 'slowReader');
        socket.write(frame);
      },
      close: (reason: string) => this.drop(conn!, reason),
    };
    const session = new Jt808Session({
      ...this.env,
      count: (r) => this.count(r),
      onAuthenticated: (s) => this.onAuthenticated(s),
      onAnswer: (a) => {
        const key = `0x${a.messageId.toString(16).padStart(4, '0')}`;
        this.stats.answers[key] = (this.stats.answers[key] ?? 0) + 1;
        this.env.onAnswer(a);
      },
    }, io);
    const splitter = new Jt808FrameSplitter({
      frame: (content) => this.onFrame(conn!, content),
      error: (reason, detail) => session.framingError(reason, detail),
    }, MAX_FRAME_BYTES);
    conn = { socket, session, splitter, tokens: this.limits.frameBurst, lastRefill: this.env.now(), floodDropped: 0 };
    this.connectionOf.set(session, conn);
    this.connections.add(conn);
    socket.on('data', (chunk: Buffer) => this.guard('data', () => conn.splitter.push(chunk)));
    socket.on('error', () => { /* a reset by the peer; 'close' follows */ });
    socket.on('close', () => this.guard('close', () => this.forget(conn)));
  }

  private onFrame(conn: Connection, content: Buffer): void {
    if (conn.socket.destroyed) return;
    this.stats.framesReceived++;
    const now = this.env.now();
    const l = this.limits;
    conn.tokens = Math.min(l.frameBurst, conn.tokens + ((now - conn.lastRefill) / 1000) * l.framesPerSecond);
    conn.lastRefill = now;
    if (conn.tokens < 1) {
      this.count('flood');
      if (++conn.floodDropped >= l.floodCloseAfter) this.drop(conn, 'flood');
      return;
    }
    conn.tokens -= 1;
    conn.session.handleContent(content);
  }

  private onAuthenticated(s: Jt808Session): void {
    const previous = this.byDevice.get(s.deviceId!);
    if (previous && previous !== s) {
      // The terminal reconnected (its old TCP connection may linger half-open): the newest wins.
      const c = this.connectionOf.get(previous);
      if (c && this.connections.has(c)) this.drop(c, 'replaced');
    }
    // A session that authenticated before under another id is filed under this one only.
    const old = this.filedAs.get(s);
    if (old !== undefined && old !== s.deviceId && this.byDevice.get(old) === s) this.byDevice.delete(old);
    this.filedAs.set(s, s.deviceId!);
    this.byDevice.set(s.deviceId!, s);
  }

  private sweep(): void {
    const now = this.env.now();
    for (const c of this.connections) {
      const s = c.session;
      if (now - s.lastFrameAt > this.limits.idleTimeoutMs) this.drop(c, 'idle');
      else if (!s.authenticated && now - s.openedAt > this.limits.authTimeoutMs) this.drop(c, 'authTimeout');
      else s.sweep(now);
    }
  }

  private drop(conn: Connection, reason: string): void {
    if (conn.socket.destroyed) return;
    this.stats.closed[reason] = (this.stats.closed[reason] ?? 0) + 1;
    conn.socket.destroy();
    this.forget(conn);
  }

  private forget(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    const s = conn.session;
    const current = s.deviceId !== undefined && this.byDevice.get(s.deviceId) === s;
    if (current) this.byDevice.delete(s.deviceId!);
    s.ended(current);
  }

  /** No exception in a socket handler or the sweep takes the server down: logged and counted. */
  private guard(where: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.count('internalError');
      this.log.error({ err, where }, 'jt808 gateway handler failed');
    }
  }
}
