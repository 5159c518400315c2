/**
 * The Socket.IO contract between the server and every screen.
 * Used as `Server<ClientToServerEvents, ServerToClientEvents>` and `Socket<ServerToClientEvents, ClientToServerEvents>`.
 */
import type { EntityKind } from './entities.ts';
import type { KpiSummary } from './kpis.ts';
import type { OpsDelta, OpsSnapshot } from './ops.ts';
import type { LiveSubscription } from './live-subscription.ts';

/** The static part of an entity, sent once per connection; `i` is its index in every live frame. */
export interface CatalogEntry {
  i: number;
  id: string;
  kind: EntityKind;
  name: string;
  orgCode: string;
  gridId: string;
}

export interface LiveSnapshot {
  /**
   * Names the district's catalog; it stays the same while entities are added at run time (the
   * catalog only grows), so a client holding a prefix of `catalog` extends what it holds. A
   * client holding another catalog must drop its state.
   */
  catalogId: string;
  catalog: CatalogEntry[];
  /** A full frame (shared/live-codec.ts) with every entity's dynamic state. */
  frame: Uint8Array;
  /**
   * The client build the server serves now (its entry script's path). A wall that has run
   * through a server upgrade holds another one and reloads itself to pick up the new client.
   */
  clientBuild?: string;
}

/**
 * Entities added to the running district (a device registered for a new entity): the catalog
 * only grows, each entry at the next index. Sent before the delta that first carries their
 * rows; a client whose catalog does not end right before `entries[0].i` missed one and asks
 * for a resync (the snapshot carries the whole catalog).
 */
export interface CatalogChange {
  catalogId: string;
  /** The live version at which the last of these entries was added. */
  version: number;
  entries: CatalogEntry[];
}

/**
 * Format 2's start of a connection: the catalog the screen lacks and a frame that brings it to
 * the server's state — a delta from the version it held when it resumed, a full frame otherwise.
 */
export interface LiveStart {
  format: 2;
  /** Names this server's run of versions: a screen resumes only within the same stream. */
  streamId: string;
  catalogId: string;
  /** Index of the first catalog entry in `catalog` (0 unless resumed). */
  catalogFrom: number;
  /** UTF-8 JSON of CatalogEntry[] from `catalogFrom` on: built once and sent as bytes to every screen. */
  catalog: Uint8Array;
  resumed: boolean;
  /** A format-2 frame (shared/live-codec.ts), full unless resumed. */
  frame: Uint8Array;
  /** The subscription the frame was built for. */
  subscription: LiveSubscription;
  clientBuild?: string;
}

/** Sent to a screen whose build speaks no live format this server has: it must reload, not decode. */
export interface LiveReload {
  reason: 'format';
  /** Frame formats this server sends. */
  formats: number[];
}

export interface ServerToClientEvents {
  'live:snapshot': (snapshot: LiveSnapshot) => void;
  /** Format 2: the first message of a connection, and the answer to a resync. */
  'live:start': (start: LiveStart) => void;
  'live:reload': (reload: LiveReload) => void;
  /** New catalog entries, no full snapshot (CatalogChange). */
  'live:catalog': (change: CatalogChange) => void;
  /** A delta frame (shared/live-codec.ts, format 1 or 2 as negotiated): only what changed since the previous frame sent to this client. */
  'live:delta': (frame: Uint8Array) => void;
  'live:kpis': (kpis: KpiSummary) => void;
  /** Cases, alarms and engaged units (shared/ops.ts): sent on connect and on resync. */
  'ops:snapshot': (snapshot: OpsSnapshot) => void;
  /** What changed in them since the previous ops frame sent to this client. */
  'ops:delta': (delta: OpsDelta) => void;
  /** The display token or session used by this socket was revoked; the socket is closed next. */
  'session:revoked': () => void;
}

export type Ack<T> = (reply: { ok: true; data: T } | { ok: false; error: { code: string; message: string } }) => void;

export interface ClientToServerEvents {
  /** Ask for a fresh snapshot (after a decode error or a long sleep). */
  'live:resync': (ack: Ack<{ version: number }>) => void;
  /** Ask for a fresh ops snapshot (a gap in ops versions). Same rate limit and backpressure as live:resync. */
  'ops:resync': (ack: Ack<{ version: number }>) => void;
  /** Format 2: change what this screen receives; a full frame for the new view follows on 'live:delta'. */
  'live:subscribe': (subscription: LiveSubscription, ack: Ack<{ version: number }>) => void;
}

/** Handshake `auth` payload: a display token (wall) or a session token (people). */
export interface LiveHandshakeAuth {
  token: string;
  /**
   * The live format this build decodes. Absent (a build older than format 2): the server sends
   * 'live:reload'. 1 is kept for tools and tests that read format-1 frames.
   */
  live?: {
    format: 1 | 2;
    /** Format 2: what the screen holds, so a reconnect costs the difference, not a snapshot. */
    resume?: { streamId: string; catalogId: string; catalogSize: number; version: number };
    subscription?: LiveSubscription;
  };
}
