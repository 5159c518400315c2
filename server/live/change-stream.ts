/**
 * The change stream: every accepted change to the live state leaves it as one event
 * `{before, after}` — a report applied by the ingest, a connectivity transition from the
 * sweep, or a value the server derives (muck-truck violations from the alarm rules).
 * Rules, the fan-out and history consume it; nothing downstream re-derives or polls.
 *
 * Listeners run synchronously, in subscription order, right after the live state changed.
 * A listener that throws is counted and reported, never rethrown into the ingest.
 */
import type { Connectivity, Position } from '../../shared/entities.ts';
import type { LiveEntity } from './live-state.ts';

/**
 * The dynamic part of an entity at one moment. Nothing is copied: positions and attribute
 * objects are never changed in place once set on an entity — a change replaces them
 * (server/live/live-state.ts) — so the objects a state holds keep describing that moment.
 */
export interface EntityState {
  status: string;
  pos: Position | undefined;
  attrs: Readonly<Record<string, unknown>>;
  connectivity: Connectivity;
  lastSeen: number;
}

export type LiveChange =
  /** A device report accepted by the ingest. */
  | { type: 'report'; entity: LiveEntity; before: EntityState; after: EntityState; version: number; at: number }
  /** online → stale → offline (or back online with the next report: that one is a 'report' whose before.connectivity differs). */
  | { type: 'connectivity'; entity: LiveEntity; before: EntityState; after: EntityState; version: number; at: number }
  /** A value the server derives from rules (never fed back into the rules themselves). */
  | { type: 'derived'; entity: LiveEntity; before: EntityState; after: EntityState; version: number; at: number };

export type ChangeListener = (change: LiveChange) => void;

export class ChangeStream {
  private readonly listeners: ChangeListener[] = [];
  /** Listener failures, by listener name, so that a broken consumer is visible in health and logs. */
  readonly failures = new Map<string, number>();
  onError: (err: unknown, listener: string) => void = () => {};

  /** Subscribes; returns the function that unsubscribes. */
  subscribe(name: string, listener: ChangeListener): () => void {
    const wrapped = Object.assign((c: LiveChange) => listener(c), { listenerName: name });
    this.listeners.push(wrapped);
    return () => {
      const i = this.listeners.indexOf(wrapped);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(change: LiveChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        const name = (l as ChangeListener & { listenerName: string }).listenerName;
        this.failures.set(name, (this.failures.get(name) ?? 0) + 1);
        try { this.onError(err, name); } catch { /* a failing logger must not fail the ingest either */ }
      }
    }
  }

  get size(): number {
    return this.listeners.length;
  }
}

export function stateOf(e: LiveEntity): EntityState {
  return { status: e.status, pos: e.pos, attrs: e.attrs as unknown as EntityState['attrs'], connectivity: e.connectivity, lastSeen: e.lastSeen };
}
