/**
 * Fan-out: turns the live state into frames for screens. Each client holds the version
 * it last received; a tick sends it only what changed since (latest value wins), so a
 * slow client is sent less, not queued more. Frames are built once per distinct base
 * version per tick, however many clients share it.
 *
 * It consumes the change stream: a log of (version, entity) in version order answers "what
 * changed since v" without scanning the district. The log keeps what the slowest screen
 * still needs and at most MAX_LOG entries; a screen further behind is answered by a scan.
 */
import { encodeLiveFrame, type LiveRow } from '../../shared/live-codec.ts';
import type { CatalogChange, LiveSnapshot } from '../../shared/live-events.ts';
import type { LiveEntity, LiveState } from './live-state.ts';

function toRow(e: LiveEntity, withAttrs: boolean): LiveRow {
  return { i: e.index, kind: e.kind, status: e.status, connectivity: e.connectivity, pos: e.pos, lastSeen: e.lastSeen, attrs: withAttrs ? e.attrs : undefined };
}

const MAX_LOG = 200_000;

export class LiveFanOut {
  private cacheVersion = -1;
  private readonly cache = new Map<number, Uint8Array | null>();
  private logVersions: number[] = [];
  private logEntities: LiveEntity[] = [];
  /** Changes with a version ≤ this are no longer in the log. */
  private logFloor: number;
  private readonly unsubscribers: (() => void)[];

  constructor(private readonly live: LiveState, private readonly now: () => number = Date.now) {
    this.logFloor = live.version;
    const log = (version: number, entity: LiveEntity) => {
      this.logVersions.push(version);
      this.logEntities.push(entity);
      if (this.logVersions.length > MAX_LOG) this.prune(this.logVersions[this.logVersions.length - MAX_LOG / 2]!);
    };
    this.unsubscribers = [
      live.changes.subscribe('fan-out', (c) => log(c.version, c.entity)),
      // A new entity's first row (its fixed place, its initial status) goes out with the next delta.
      live.onCatalog('fan-out', (a) => log(a.version, a.entity)),
    ];
  }

  unsubscribe(): void {
    for (const u of this.unsubscribers.splice(0)) u();
  }

  /** Catalog entries from index `from` on, for a screen that holds `from` entries (null: none new). */
  catalogSince(from: number): CatalogChange | null {
    const catalog = this.live.catalog;
    if (from >= catalog.length) return null;
    return { catalogId: this.live.catalogId, version: this.live.catalogVersion, entries: catalog.slice(from) };
  }

  /** Forgets changes at or below `version` (every screen holds at least that). */
  prune(version: number): void {
    if (version <= this.logFloor) return;
    let lo = 0, hi = this.logVersions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.logVersions[mid]! <= version) lo = mid + 1; else hi = mid;
    }
    this.logVersions = this.logVersions.slice(lo);
    this.logEntities = this.logEntities.slice(lo);
    this.logFloor = version;
  }

  /** Entities changed after `baseVersion`, in catalog order. */
  private changedSince(baseVersion: number): LiveEntity[] {
    if (baseVersion < this.logFloor) return this.live.changedSince(baseVersion);
    let lo = 0, hi = this.logVersions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.logVersions[mid]! <= baseVersion) lo = mid + 1; else hi = mid;
    }
    const seen = new Set<LiveEntity>();
    for (let k = lo; k < this.logEntities.length; k++) seen.add(this.logEntities[k]!);
    return [...seen].sort((a, b) => a.index - b.index);
  }

  snapshot(): { snapshot: LiveSnapshot; version: number } {
    const version = this.live.version;
    const frame = encodeLiveFrame(
      { full: true, version, baseVersion: 0, serverTime: this.now() },
      this.live.all().map((e) => toRow(e, true)),
    );
    // A copy: the catalog grows while the snapshot may still be on its way.
    return { snapshot: { catalogId: this.live.catalogId, catalog: this.live.catalog.slice(), frame }, version };
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
    const changed = this.changedSince(baseVersion);
    const frame = changed.length === 0
      ? null
      : encodeLiveFrame({ full: false, version, baseVersion, serverTime: this.now() }, changed.map((e) => toRow(e, e.attrsVersion > baseVersion)));
    this.cache.set(baseVersion, frame);
    return frame;
  }
}
