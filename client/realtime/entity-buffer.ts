/**
 * The latest state of every live entity, held in typed arrays indexed by catalog index —
 * deliberately NOT reactive: thousands of entities changing every second must not reach Vue.
 * The map layers read from here once per rendered frame; Vue only sees summaries.
 */
import { CONNECTIVITY, ENTITY_KINDS, type Connectivity, type EntityKind } from '../../shared/entities.ts';
import type { LiveFrame } from '../../shared/live-codec.ts';
import type { CatalogEntry } from '../../shared/live-events.ts';
import { glideMsFor, positionAt } from './interpolation.ts';


export class EntityBuffer {
  catalogId = '';
  catalog: CatalogEntry[] = [];
  /** Catalog indices per kind. */
  byKind = emptyByKind();
  /** Last applied frame version. */
  version = 0;
  serverTime = 0;

  statusCode = new Uint8Array(0);
  connectivity = new Uint8Array(0);
  hasPos = new Uint8Array(0);
  /** Reported position (the glide target). */
  lon = new Float64Array(0);
  lat = new Float64Array(0);
  /** Where the glide toward the reported position started, and when (performance.now ms). */
  fromLon = new Float64Array(0);
  fromLat = new Float64Array(0);
  glideStart = new Float64Array(0);
  glideMs = new Float32Array(0);
  lastReportAt = new Float64Array(0);
  speed = new Float32Array(0);
  /** Degrees, NaN when unknown. */
  heading = new Float32Array(0);
  fixTs = new Float64Array(0);
  lastSeen = new Float64Array(0);
  attrs: (Record<string, unknown> | undefined)[] = [];

  /** Kinds whose drawn state (status, connectivity, attributes, presence) changed since `takeDirty`. */
  private dirty = new Set<EntityKind>();
  /** Kinds with a new reported position since `takeDirty`. */
  private moved = new Set<EntityKind>();
  /** The pair handed out by the previous `takeDirty`, recycled on the next one (no per-frame allocation). */
  private taken = { dirty: new Set<EntityKind>(), moved: new Set<EntityKind>() };

  get size(): number {
    return this.catalog.length;
  }

  reset(catalogId: string, catalog: CatalogEntry[]): void {
    const n = catalog.reduce((max, e) => Math.max(max, e.i + 1), 0);
    this.catalogId = catalogId;
    this.catalog = new Array<CatalogEntry>(n);
    for (const e of catalog) this.catalog[e.i] = e;
    const lists = Object.fromEntries(ENTITY_KINDS.map((k) => [k, [] as number[]])) as Record<EntityKind, number[]>;
    for (const e of catalog) lists[e.kind].push(e.i);
    this.byKind = Object.fromEntries(ENTITY_KINDS.map((k) => [k, Int32Array.from(lists[k])])) as Record<EntityKind, Int32Array>;
    this.version = 0;
    this.statusCode = new Uint8Array(n);
    this.connectivity = new Uint8Array(n).fill(CONNECTIVITY.indexOf('offline'));
    this.hasPos = new Uint8Array(n);
    this.lon = new Float64Array(n);
    this.lat = new Float64Array(n);
    this.fromLon = new Float64Array(n);
    this.fromLat = new Float64Array(n);
    this.glideStart = new Float64Array(n);
    this.glideMs = new Float32Array(n);
    this.lastReportAt = new Float64Array(n);
    this.speed = new Float32Array(n);
    this.heading = new Float32Array(n).fill(Number.NaN);
    this.fixTs = new Float64Array(n);
    this.lastSeen = new Float64Array(n);
    this.attrs = new Array(n).fill(undefined);
    for (const k of ENTITY_KINDS) this.dirty.add(k);
  }

  /**
   * Adds entities the server added at run time (the catalog only grows: `entries` continue it
   * at index `size`). Returns false when they do not continue what this buffer holds — a missed
   * catalog change; the caller asks for a resync. Entries already held are skipped.
   */
  extend(entries: readonly CatalogEntry[]): boolean {
    const fresh = entries.filter((e) => e.i >= this.catalog.length);
    if (fresh.length === 0) return entries.every((e) => this.catalog[e.i]?.id === e.id);
    for (let k = 0; k < fresh.length; k++) if (fresh[k]!.i !== this.catalog.length + k) return false;
    const n = this.catalog.length + fresh.length;
    const grow = <T extends Float64Array | Float32Array | Uint8Array>(a: T, make: (n: number) => T, fill?: number): T => {
      const out = make(n);
      if (fill !== undefined) out.fill(fill);
      out.set(a);
      return out;
    };
    this.statusCode = grow(this.statusCode, (m) => new Uint8Array(m));
    this.connectivity = grow(this.connectivity, (m) => new Uint8Array(m), CONNECTIVITY.indexOf('offline'));
    this.hasPos = grow(this.hasPos, (m) => new Uint8Array(m));
    this.lon = grow(this.lon, (m) => new Float64Array(m));
    this.lat = grow(this.lat, (m) => new Float64Array(m));
    this.fromLon = grow(this.fromLon, (m) => new Float64Array(m));
    this.fromLat = grow(this.fromLat, (m) => new Float64Array(m));
    this.glideStart = grow(this.glideStart, (m) => new Float64Array(m));
    this.glideMs = grow(this.glideMs, (m) => new Float32Array(m));
    this.lastReportAt = grow(this.lastReportAt, (m) => new Float64Array(m));
    this.speed = grow(this.speed, (m) => new Float32Array(m));
    this.heading = grow(this.heading, (m) => new Float32Array(m), Number.NaN);
    this.fixTs = grow(this.fixTs, (m) => new Float64Array(m));
    this.lastSeen = grow(this.lastSeen, (m) => new Float64Array(m));
    for (const e of fresh) {
      this.catalog.push(e);
      this.attrs.push(undefined);
      const list = this.byKind[e.kind];
      const next = new Int32Array(list.length + 1);
      next.set(list);
      next[list.length] = e.i;
      this.byKind[e.kind] = next;
      this.dirty.add(e.kind);
    }
    return true;
  }

  /**
   * Applies a full or delta frame. `now` is performance.now() at arrival.
   * A full frame is the whole truth: it sets the version (a restarted server counts from 0
   * again), replaces attributes instead of merging them, and snaps positions without gliding.
   */
  apply(frame: LiveFrame, now: number): void {
    this.version = frame.full ? frame.version : Math.max(this.version, frame.version);
    this.serverTime = frame.serverTime;
    if (frame.full) this.markAllDirty();
    for (const row of frame.rows) {
      const i = row.i;
      const entry = this.catalog[i];
      if (!entry) continue; // a row for an entity this catalog does not know: ignore, the next snapshot fixes it
      const conn = CONNECTIVITY.indexOf(row.connectivity);
      if (this.statusCode[i] !== row.statusCode || this.connectivity[i] !== conn || row.attrs !== undefined) this.dirty.add(entry.kind);
      this.statusCode[i] = row.statusCode;
      this.connectivity[i] = conn;
      this.lastSeen[i] = row.lastSeen;
      if (row.attrs !== undefined) this.attrs[i] = frame.full ? row.attrs : { ...this.attrs[i], ...row.attrs };
      const pos = row.pos;
      if (!pos) {
        if (this.hasPos[i]) this.dirty.add(entry.kind);
        this.hasPos[i] = 0;
        continue;
      }
      if (!this.hasPos[i] || frame.full) {
        if (!this.hasPos[i]) this.dirty.add(entry.kind);
        this.hasPos[i] = 1;
        this.fromLon[i] = this.lon[i] = pos.lon;
        this.fromLat[i] = this.lat[i] = pos.lat;
        this.glideStart[i] = now;
        this.glideMs[i] = 0;
      } else if (pos.lon !== this.lon[i] || pos.lat !== this.lat[i]) {
        this.moved.add(entry.kind);
        // Glide from wherever the entity is drawn now toward the new report, over the interval between reports.
        const [curLon, curLat] = positionAt(this, i, now);
        const ms = glideMsFor(curLon, curLat, pos.lon, pos.lat, now - (this.lastReportAt[i] ?? 0));
        this.fromLon[i] = ms > 0 ? curLon : pos.lon;
        this.fromLat[i] = ms > 0 ? curLat : pos.lat;
        this.lon[i] = pos.lon;
        this.lat[i] = pos.lat;
        this.glideStart[i] = now;
        this.glideMs[i] = ms;
      }
      this.lastReportAt[i] = now;
      this.fixTs[i] = pos.ts;
      this.speed[i] = pos.speed ?? 0;
      this.heading[i] = pos.heading ?? Number.NaN;
    }
  }

  connectivityOf(i: number): Connectivity {
    return CONNECTIVITY[this.connectivity[i] ?? 2] ?? 'offline';
  }

  /** Kinds to redraw: state changed (`dirty`) or a new position arrived (`moved`). */
  takeDirty(): { readonly dirty: ReadonlySet<EntityKind>; readonly moved: ReadonlySet<EntityKind> } {
    // Double-buffered: the caller reads the returned sets before the next call, which recycles them.
    const { dirty: freeDirty, moved: freeMoved } = this.taken;
    freeDirty.clear();
    freeMoved.clear();
    this.taken.dirty = this.dirty;
    this.taken.moved = this.moved;
    this.dirty = freeDirty;
    this.moved = freeMoved;
    return this.taken;
  }

  /** Marks every kind for redraw (e.g. after a locale switch changes labels). */
  markAllDirty(): void {
    for (const k of ENTITY_KINDS) this.dirty.add(k);
  }
}

function emptyByKind(): Record<EntityKind, Int32Array> {
  return Object.fromEntries(ENTITY_KINDS.map((k) => [k, new Int32Array(0)])) as Record<EntityKind, Int32Array>;
}
