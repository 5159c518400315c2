/**
 * The wall's Socket.IO connection: snapshot → catalog + full frame, then binary deltas and
 * KPI summaries. Frames go straight into the non-reactive EntityBuffer; callers only hear
 * about summaries and connection state.
 */
import { io, type Socket } from 'socket.io-client';
import { decodeLiveFrame, LiveCodecError } from '../../shared/live-codec.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/live-events.ts';
import type { KpiSummary } from '../../shared/kpis.ts';
import type { EntityBuffer } from './entity-buffer.ts';

export type LiveConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface LiveClientHandlers {
  onState(state: LiveConnectionState): void;
  onKpis(kpis: KpiSummary): void;
  /** The token was refused or revoked: the screen must go to /login. */
  onUnauthorized(reason: 'expired' | 'revoked'): void;
}

export interface LiveClient {
  close(): void;
}

const RETRY_MS = 3000;

export function connectLive(token: string, buffer: EntityBuffer, handlers: LiveClientHandlers): LiveClient {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
    path: '/socket.io',
    auth: { token },
    transports: ['websocket'],
  });
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let resyncing = false;

  const resync = (why: string): void => {
    if (resyncing || !socket.connected) return;
    resyncing = true;
    console.info(`[live] resync: ${why}`);
    socket.timeout(10_000).emit('live:resync', () => {
      resyncing = false;
    });
  };

  socket.on('connect', () => handlers.onState('live'));
  socket.on('disconnect', () => {
    if (!closed) handlers.onState(socket.active ? 'reconnecting' : 'offline');
  });
  socket.on('connect_error', (err) => {
    if (err.message === 'unauthorized' || err.message === 'forbidden') {
      handlers.onUnauthorized('expired');
      return;
    }
    handlers.onState('reconnecting');
    // A refusal by a server middleware does not retry on its own; a transport failure does.
    if (!socket.active && !closed) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => socket.connect(), RETRY_MS);
    }
  });
  socket.on('session:revoked', () => handlers.onUnauthorized('revoked'));

  socket.on('live:snapshot', (snapshot) => {
    try {
      const frame = decodeLiveFrame(toBytes(snapshot.frame));
      buffer.reset(snapshot.catalogId, snapshot.catalog);
      buffer.apply(frame, performance.now());
      resyncing = false;
    } catch (err) {
      reportCodecError(err);
    }
  });
  socket.on('live:delta', (data) => {
    if (!buffer.catalogId) return;
    try {
      const frame = decodeLiveFrame(toBytes(data));
      // A delta built on a version we never saw means we missed one: ask for a fresh snapshot.
      if (!frame.full && frame.baseVersion > buffer.version) resync(`gap ${buffer.version} → ${frame.baseVersion}`);
      buffer.apply(frame, performance.now());
    } catch (err) {
      reportCodecError(err);
      resync('decode error');
    }
  });
  socket.on('live:kpis', (kpis) => handlers.onKpis(kpis));

  function reportCodecError(err: unknown): void {
    if (err instanceof LiveCodecError) console.warn(`[live] ${err.message}`);
    else throw err;
  }

  return {
    close() {
      closed = true;
      clearTimeout(retryTimer);
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}

function toBytes(data: Uint8Array | ArrayBuffer): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}
