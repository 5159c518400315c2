/**
 * The wall's Socket.IO connection: snapshot → catalog + full frame, then binary deltas and
 * KPI summaries. Frames go straight into the non-reactive EntityBuffer; callers only hear
 * about summaries and connection state.
 *
 * A wall runs for weeks: when the server goes away the connection retries by itself with a
 * capped backoff and never gives up. The handshake asks for live format 2 and says what the
 * screen holds: a reconnect brings the difference ('live:start', resumed), or the whole view
 * when the server no longer has that version (restarted, or the screen was away too long).
 */
import { io, type Socket } from 'socket.io-client';
import { decodeLiveFrame, FORMAT_V2, LiveCodecError, liveFrameFormat, type LiveFrame } from '../../shared/live-codec.ts';
import type { CatalogEntry, ClientToServerEvents, LiveHandshakeAuth, LiveStart, ServerToClientEvents } from '../../shared/live-events.ts';
import type { LiveSubscription } from '../../shared/live-subscription.ts';
import { LiveViewState, parseCatalogBytes } from './view-state.ts';
import type { KpiSummary } from '../../shared/kpis.ts';
import type { OpsDelta, OpsSnapshot } from '../../shared/ops.ts';
import type { DeltaOutcome } from './ops-state.ts';
import type { EntityBuffer } from './entity-buffer.ts';

export type LiveConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface LiveClientHandlers {
  onState(state: LiveConnectionState): void;
  onKpis(kpis: KpiSummary): void;
  /** The token was refused or revoked: the screen must go to /login. */
  onUnauthorized(reason: 'expired' | 'revoked'): void;
  /** A snapshot brought another catalog: catalog indices held elsewhere (selection) no longer mean the same entity. */
  onCatalogChanged?(): void;
  /** Entities were added to the catalog at run time (indices held elsewhere keep their meaning). */
  onCatalogGrown?(entries: readonly CatalogEntry[]): void;
  /** Cases, alarms and engaged units: a full replacement. */
  onOpsSnapshot?(snapshot: OpsSnapshot): void;
  /** Applies an ops delta and says whether it fitted the version held ('gap'/'noSnapshot' → a resync is asked). */
  onOpsDelta?(delta: OpsDelta): DeltaOutcome;
}

export interface LiveClient {
  /** Changes what this screen receives (format 2): resolves once the server took it; its whole new view follows. */
  subscribe(subscription: LiveSubscription): Promise<void>;
  /** Starts received and how many resumed from what the screen held (diagnostics, browser tests). */
  stats(): { starts: number; resumed: number; version: number };
  /** Closes the transport as a network drop would (browser tests): the client reconnects and resumes. */
  dropTransport(): void;
  /**
   * While on, live frames are received and not applied (bench:render: the page's own cost with
   * updates paused while the server and the fleet keep the machine as busy); off resumes from
   * the version the screen holds, through a reconnect, as after a drop.
   */
  holdFrames(on: boolean): void;
  close(): void;
}

export interface LiveClientOptions {
  /** What the screen takes; the wall takes everything (the default). */
  subscription?: LiveSubscription;
}

/** Reconnection backoff: 1 s doubling to 10 s (±50 % jitter so a room of walls does not retry in step), forever. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 10_000;
const RESYNC_ACK_MS = 10_000;
/** The server refuses a resync asked again within 2 s: a refused or unanswered ops resync is asked again after this. */
const OPS_RESYNC_RETRY_MS = 3000;

/** At most one self-reload per this interval, so a mismatch that a reload cannot fix never loops. */
const RELOAD_MIN_INTERVAL_MS = 5 * 60_000;
const RELOAD_KEY = 'cityops.reloadedForBuild';

/**
 * The server now serves another client build (it was upgraded while this wall ran): reload to
 * pick it up rather than decode a protocol this build may not know. Dev servers have no build.
 */
function reloadForNewBuild(serverBuild: string | undefined): boolean {
  if (!serverBuild || typeof document === 'undefined') return false;
  const ours = document.querySelector<HTMLScriptElement>('script[type="module"][src*="/assets/"]')?.getAttribute('src');
  if (!ours || serverBuild === ours) return false;
  return reloadPage(`the server serves client build ${serverBuild} (this is ${ours})`);
}

function reloadPage(why: string): boolean {
  if (typeof location === 'undefined' || typeof sessionStorage === 'undefined') return false;
  const last = Number(sessionStorage.getItem(RELOAD_KEY) ?? 0);
  if (Date.now() - last < RELOAD_MIN_INTERVAL_MS) return false;
  sessionStorage.setItem(RELOAD_KEY, String(Date.now()));
  console.info(`[live] ${why}: reloading`);
  location.reload();
  return true;
}

export function connectLive(token: string, buffer: EntityBuffer, handlers: LiveClientHandlers, options: LiveClientOptions = {}): LiveClient {
  const view = new LiveViewState();
  view.subscription = options.subscription ?? {};
  const handshake = (): LiveHandshakeAuth => {
    const resume = buffer.catalogId === view.catalogId ? view.resume(buffer.size) : undefined;
    return { token, live: { format: 2, subscription: view.subscription, ...(resume ? { resume } : {}) } };
  };
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
    path: '/socket.io',
    // A function: every reconnect sends what the screen holds then.
    auth: (cb) => cb(handshake() as unknown as Record<string, unknown>),
    transports: ['websocket'],
    // This screen owns its connection: no Manager shared with (or cached for) another mount.
    forceNew: true,
    reconnection: true,
    reconnectionAttempts: Number.POSITIVE_INFINITY,
    reconnectionDelay: RETRY_MIN_MS,
    reconnectionDelayMax: RETRY_MAX_MS,
    randomizationFactor: 0.5,
  });
  let closed = false;
  /** holdFrames: deltas are dropped unapplied, and the screen resumes from its version when let go. */
  let holding = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let manualAttempts = 0;
  let resyncing = false;
  let opsResyncing = false;
  let opsRetryTimer: ReturnType<typeof setTimeout> | undefined;
  const counts = { starts: 0, resumed: 0 };

  /**
   * The Manager retries transport failures by itself (socket.active stays true). A refusal by a
   * server middleware or a server-side disconnect leaves the socket inactive: retry it here,
   * with the same capped backoff.
   */
  const retryLater = (): void => {
    if (closed || socket.active) return;
    clearTimeout(retryTimer);
    const base = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(manualAttempts, 10));
    manualAttempts++;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (!closed && !socket.connected) socket.connect();
    }, base * (0.5 + Math.random()));
  };

  const resync = (why: string): void => {
    if (resyncing || !socket.connected) return;
    resyncing = true;
    console.info(`[live] resync: ${why}`);
    socket.timeout(RESYNC_ACK_MS).emit('live:resync', () => {
      resyncing = false;
    });
  };

  /** Once per gap: later deltas while the snapshot is on its way do not ask again. */
  const opsResync = (why: string): void => {
    if (opsResyncing || !socket.connected) return;
    opsResyncing = true;
    console.info(`[live] ops resync: ${why}`);
    socket.timeout(RESYNC_ACK_MS).emit('ops:resync', (err, reply) => {
      if (closed) return;
      if (!err && reply.ok) return; // the snapshot follows; it clears the flag
      // Refused (rate limited, busy) or unanswered: the gap is still there, ask again shortly.
      clearTimeout(opsRetryTimer);
      opsRetryTimer = setTimeout(() => {
        opsRetryTimer = undefined;
        opsResyncing = false;
        opsResync('retry');
      }, OPS_RESYNC_RETRY_MS);
    });
  };

  socket.on('connect', () => {
    manualAttempts = 0;
    clearTimeout(retryTimer);
    retryTimer = undefined;
    // A resync asked on the previous connection died with it; this connection brings its own snapshot.
    resyncing = false;
    opsResyncing = false;
    clearTimeout(opsRetryTimer);
    opsRetryTimer = undefined;
    handlers.onState('live');
  });
  socket.on('disconnect', (reason) => {
    if (closed) return;
    console.info(`[live] disconnected: ${reason}`);
    handlers.onState('reconnecting');
    // 'io server disconnect' (the server closed this socket) is not retried by socket.io itself.
    retryLater();
  });
  socket.on('connect_error', (err) => {
    if (closed) return;
    if (err.message === 'unauthorized' || err.message === 'forbidden') {
      handlers.onUnauthorized('expired');
      return;
    }
    console.info(`[live] connection refused: ${err.message}`);
    handlers.onState('reconnecting');
    retryLater();
  });
  socket.on('session:revoked', () => {
    if (!closed) handlers.onUnauthorized('revoked');
  });

  /** Takes a full catalog: extends what is held when it continues it, else starts over. */
  const adoptCatalog = (catalogId: string, catalog: CatalogEntry[]): void => {
    // The same district with entities added since (the catalog only grows): extend what is held.
    const extended = buffer.catalogId === catalogId && holdsPrefix(buffer, catalog) && buffer.extend(catalog.slice(buffer.size));
    if (!extended) {
      const hadCatalog = buffer.catalogId !== '';
      // Another set of entities: drop everything held and rebuild from the new catalog.
      buffer.reset(catalogId, catalog);
      if (hadCatalog) handlers.onCatalogChanged?.();
    }
  };

  /** Applies a format-2 frame to the view and the buffer; false when it did not fit (a resync is asked). */
  const applyV2 = (bytes: Uint8Array, what: string): boolean => {
    let frame: LiveFrame | 'gap' | 'awaiting';
    try {
      frame = view.apply(bytes);
    } catch (err) {
      if (!(err instanceof LiveCodecError)) throw err;
      console.warn(`[live] ${what}: ${err.message}`);
      resync('decode error');
      return false;
    }
    if (frame === 'awaiting') return false;
    if (frame === 'gap') {
      resync(`gap from version ${view.version}`);
      return false;
    }
    buffer.apply(frame, performance.now());
    return true;
  };

  socket.on('live:start', (start: LiveStart) => {
    if (reloadForNewBuild(start.clientBuild)) return;
    counts.starts++;
    if (start.resumed) counts.resumed++;
    let catalog: CatalogEntry[];
    try {
      catalog = parseCatalogBytes(toBytes(start.catalog), start.catalogFrom);
    } catch (err) {
      if (!(err instanceof LiveCodecError)) throw err;
      console.warn(`[live] start: ${err.message}`);
      return; // keep drawing what we have; a resync or the next reconnect brings another start
    }
    if (start.resumed) {
      if (start.catalogId !== buffer.catalogId || !buffer.extend(catalog)) {
        view.held = false;
        resync('resumed with another catalog');
        return;
      }
      if (catalog.length) handlers.onCatalogGrown?.(catalog);
    } else {
      adoptCatalog(start.catalogId, catalog);
      view.reset(start.streamId, start.catalogId, buffer.size);
    }
    view.grow(buffer.size);
    view.subscription = start.subscription;
    if (applyV2(toBytes(start.frame), 'start')) resyncing = false;
  });
  socket.on('live:reload', (reload) => {
    if (!closed) reloadPage(`the server sends live formats ${reload.formats.join(', ')} only`);
  });

  socket.on('live:snapshot', (snapshot) => {
    if (reloadForNewBuild(snapshot.clientBuild)) return;
    let frame;
    try {
      frame = decodeLiveFrame(toBytes(snapshot.frame));
    } catch (err) {
      if (!(err instanceof LiveCodecError)) throw err;
      console.warn(`[live] snapshot: ${err.message}`);
      return; // keep drawing what we have; the next (re)connect or resync brings another snapshot
    }
    const now = performance.now();
    adoptCatalog(snapshot.catalogId, snapshot.catalog);
    // A format-1 server: what the view held is no base for it.
    view.held = false;
    // Same catalog (a reconnect, a resync, a server restart with the same district): the full
    // frame overwrites every entity and snaps positions, without gliding from pre-outage positions.
    buffer.apply(frame, now);
    resyncing = false;
  });
  socket.on('live:catalog', (change) => {
    if (!buffer.catalogId) return;
    if (change.catalogId !== buffer.catalogId || !buffer.extend(change.entries)) {
      resync(`catalog ${buffer.size} → ${change.entries[0]?.i ?? '?'}`);
      return;
    }
    view.grow(buffer.size);
    handlers.onCatalogGrown?.(change.entries);
  });
  socket.on('live:delta', (data) => {
    if (!buffer.catalogId || holding) return;
    const bytes = toBytes(data);
    let format: number;
    try {
      format = liveFrameFormat(bytes);
    } catch (err) {
      if (!(err instanceof LiveCodecError)) throw err;
      console.warn(`[live] delta: ${err.message}`);
      resync('decode error');
      return;
    }
    if (format === FORMAT_V2) {
      applyV2(bytes, 'delta');
      return;
    }
    let frame;
    try {
      frame = decodeLiveFrame(bytes);
    } catch (err) {
      if (!(err instanceof LiveCodecError)) throw err;
      console.warn(`[live] delta: ${err.message}`);
      resync('decode error');
      return;
    }
    // A delta built on a version we never saw means we missed one: ask for a fresh snapshot.
    if (!frame.full && frame.baseVersion > buffer.version) resync(`gap ${buffer.version} → ${frame.baseVersion}`);
    buffer.apply(frame, performance.now());
  });
  socket.on('live:kpis', (kpis) => handlers.onKpis(kpis));

  socket.on('ops:snapshot', (snapshot) => {
    handlers.onOpsSnapshot?.(snapshot);
    opsResyncing = false;
    clearTimeout(opsRetryTimer);
    opsRetryTimer = undefined;
  });
  socket.on('ops:delta', (delta) => {
    const outcome = handlers.onOpsDelta?.(delta);
    if (outcome === 'gap' || outcome === 'noSnapshot') opsResync(`ops ${outcome} → ${delta.baseVersion}`);
  });

  return {
    subscribe(subscription) {
      view.subscription = subscription;
      // The held state is for the old view until the new view's full frame arrives: no resume from it.
      view.held = false;
      return new Promise<void>((resolve, reject) => {
        socket.timeout(RESYNC_ACK_MS).emit('live:subscribe', subscription, (err, reply) => {
          if (err) return reject(err);
          if (!reply.ok) return reject(new Error(`${reply.error.code}: ${reply.error.message}`));
          resolve();
        });
      });
    },
    stats: () => ({ ...counts, version: view.version }),
    dropTransport() {
      socket.io.engine?.close();
    },
    holdFrames(on) {
      if (holding === on) return;
      holding = on;
      if (!on) socket.io.engine?.close();
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      clearTimeout(opsRetryTimer);
      opsRetryTimer = undefined;
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}

/** The buffer's catalog is the start of `catalog`, entry for entry (ids compared; the catalog only ever grows at the end). */
function holdsPrefix(buffer: EntityBuffer, catalog: readonly CatalogEntry[]): boolean {
  if (catalog.length < buffer.size) return false;
  for (let i = 0; i < buffer.size; i++) if (buffer.catalog[i]?.id !== catalog[i]?.id) return false;
  return true;
}

function toBytes(data: Uint8Array | ArrayBuffer): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}
