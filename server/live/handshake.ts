/**
 * The live part of a socket's handshake: which frame format the screen decodes, what it holds
 * (to resume), and what it subscribes to. Checked before the socket is accepted.
 */
import { encodeLiveFrame } from '../../shared/live-codec.ts';
import type { LiveSnapshot } from '../../shared/live-events.ts';
import { LiveSubscriptionError, parseLiveSubscription, type LiveSubscription } from '../../shared/live-subscription.ts';
import type { ResumeRequest } from './view-frames.ts';

export interface LiveHandshake {
  /** 0: a build that predates format negotiation — it is told to reload. */
  format: 0 | 1 | 2;
  resume?: ResumeRequest;
  subscription: LiveSubscription;
}

export class LiveHandshakeError extends Error {
  override name = 'LiveHandshakeError';
}

export function parseLiveHandshake(auth: unknown): LiveHandshake {
  const live = (auth as { live?: unknown } | undefined)?.live;
  if (live === undefined) return { format: 0, subscription: {} };
  if (typeof live !== 'object' || live === null || Array.isArray(live)) throw new LiveHandshakeError('live must be an object');
  const { format, resume, subscription } = live as Record<string, unknown>;
  if (format !== 1 && format !== 2) throw new LiveHandshakeError('live.format must be 1 or 2');
  let sub: LiveSubscription;
  try {
    sub = parseLiveSubscription(subscription);
  } catch (err) {
    if (err instanceof LiveSubscriptionError) throw new LiveHandshakeError(`live.subscription: ${err.message}`);
    throw err;
  }
  if (format === 1) {
    if (resume !== undefined || Object.keys(sub).length > 0) throw new LiveHandshakeError('format 1 has no resume or subscription; ask for format 2');
    return { format, subscription: {} };
  }
  if (resume === undefined || resume === null) return { format, subscription: sub };
  const r = resume as Record<string, unknown>;
  if (typeof r.streamId !== 'string' || r.streamId.length > 64 || typeof r.catalogId !== 'string' || r.catalogId.length > 64
    || !Number.isSafeInteger(r.catalogSize) || (r.catalogSize as number) < 0 || !Number.isSafeInteger(r.version) || (r.version as number) < 0) {
    throw new LiveHandshakeError('live.resume must be {streamId, catalogId, catalogSize, version}');
  }
  return { format, subscription: sub, resume: { streamId: r.streamId, catalogId: r.catalogId, catalogSize: r.catalogSize as number, version: r.version as number } };
}

/**
 * For builds older than 'live:reload': a format-1 snapshot with no entities that names the
 * client build served now — such a build reloads itself when the build differs (it always does
 * after the upgrade that brought format 2), and otherwise shows an empty map, never garbage.
 */
export function legacyReloadSnapshot(clientBuild: string, now: number): LiveSnapshot {
  return { catalogId: '', catalog: [], frame: encodeLiveFrame({ full: true, version: 0, baseVersion: 0, serverTime: now }, []), clientBuild };
}
