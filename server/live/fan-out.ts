/**
 * Fan-out: turns the live state into frames for screens. Each client holds the version
 * it last received; a tick sends it only what changed since (latest value wins), so a
 * slow client is sent less, not queued more. Frames are built once per distinct base
 * version per tick, however many clients share it.
 */
import { encodeLiveFrame, type LiveRow } from '../../shared/live-codec.ts';
import type { LiveSnapshot } from '../../shared/live-events.ts';
import type { LiveEntity, LiveState } from './live-state.ts';

function toRow(e: LiveEntity, withAttrs: boolean): LiveRow {
  return { i: e.index, kind: e.kind, status: e.status, connectivity: e.connectivity, pos: e.pos, lastSeen: e.lastSeen, attrs: withAttrs ? e.attrs : undefined };
}

export class LiveFanOut {
  private cacheVersion = -1;
  private readonly cache = new Map<number, Uint8Array | null>();

  constructor(private readonly live: LiveState, private readonly now: () => number = Date.now) {}

  snapshot(): { snapshot: LiveSnapshot; version: number } {
    const version = this.live.version;
    const frame = encodeLiveFrame(
      { full: true, version, baseVersion: 0, serverTime: this.now() },
      this.live.all().map((e) => toRow(e, true)),
    );
    return { snapshot: { catalogId: this.live.catalogId, catalog: this.live.catalog, frame }, version };
  }

  /** The delta frame from `baseVersion` to now, or null when nothing changed. */
  deltaSince(baseVersion: number): Uint8Array | null {
    const version = this.live.version;
    if (version !== this.cacheVersion) {
      this.cache.clear();
      this.cacheVersion = version;
    }
    const cached = this.cache.get(baseVersion);
    if (cached !== undefined) return cached;
    const changed = this.live.changedSince(baseVersion);
    const frame = changed.length === 0
      ? null
      : encodeLiveFrame({ full: false, version, baseVersion, serverTime: this.now() }, changed.map((e) => toRow(e, e.attrsVersion > baseVersion)));
    this.cache.set(baseVersion, frame);
    return frame;
  }
}
