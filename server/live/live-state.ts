/**
 * The live state of the district: every entity with its latest position, status and
 * attributes, and a version that increases with every change. The fan-out reads it by
 * version; only the ingest writes reports to it, and only rules write the values they derive.
 * Every change leaves it on `changes` as `{before, after}` (server/live/change-stream.ts).
 */
import { createHash } from 'node:crypto';
import { ENTITY_KINDS, type AnyEntity, type Connectivity, type EntityKind, type Position } from '../../shared/entities.ts';
import type { CatalogEntry } from '../../shared/live-events.ts';
import { ChangeStream, stateOf } from './change-stream.ts';

/**
 * A live entity with its catalog index, the version of its last attribute change, and the
 * report time (the device's own clock) of its newest status or attributes: status and readings
 * are ordered by their own timestamps, as positions are by their fix time.
 */
export type LiveEntity = AnyEntity & { index: number; attrsVersion: number; stateTs: number };

/** Silence after which an entity is stale, then offline; per kind, as sensors report less often than trackers. */
export type ConnectivityPolicy = Record<EntityKind, { staleAfterMs: number; offlineAfterMs: number }>;

/** Trackers (staff, vehicles, muck trucks) share one pair of thresholds, fixed sensors (toilets, bins) another. */
export function connectivityPolicy(mobile: { staleAfterMs: number; offlineAfterMs: number }, sensor: { staleAfterMs: number; offlineAfterMs: number }): ConnectivityPolicy {
  return { staff: mobile, vehicle: mobile, muckTruck: mobile, toilet: sensor, bin: sensor };
}

export interface LiveReport {
  pos?: Position;
  status?: string;
  attrs?: Record<string, unknown>;
  /** The report's own time (ms); default: the time it was received. */
  ts?: number;
}

/**
 * A report older than what the live state holds (a blind-area batch, a late reading): it changes
 * nothing live — no marker moves back, no newer reading is overwritten, no silent device turns
 * online — but history keeps it and the alarm rules see what it says (an SOS inside it).
 */
export interface LateReport {
  entity: LiveEntity;
  /** The report's own time (ms). */
  ts: number;
  pos?: Position;
  status?: string;
  attrs?: Record<string, unknown>;
  /** When it was received. */
  at: number;
}
export type LateListener = (late: LateReport) => void;

/** An entity added to the catalog at run time (a device registered for a new entity). */
export interface CatalogAddition { entry: CatalogEntry; entity: LiveEntity; version: number; at: number }
export type CatalogListener = (added: CatalogAddition) => void;

export class LiveState {
  private readonly byId = new Map<string, LiveEntity>();
  private readonly list: LiveEntity[] = [];
  private _version = 0;
  readonly catalog: CatalogEntry[];
  readonly catalogId: string;
  readonly changes = new ChangeStream();
  /**
   * The catalog only grows (entities are never removed while the server runs, so a catalog
   * index keeps meaning the same entity): listeners learn each new entry in order.
   */
  private readonly catalogListeners: { name: string; listener: CatalogListener }[] = [];
  private readonly lateListeners: { name: string; listener: LateListener }[] = [];
  /** The live version of the last catalog addition (0: the catalog is the one the state started with). */
  catalogVersion = 0;
  /** Catalog listeners that threw, by name (like the change stream's failures). */
  readonly catalogFailures = new Map<string, number>();
  /** Attribute writes that carried a plate: the device registry's plate index is rebuilt when this moves. */
  plateWrites = 0;

  constructor(initial: readonly AnyEntity[], private readonly policy: ConnectivityPolicy) {
    for (const e of initial) {
      if (this.byId.has(e.id)) throw new Error(`duplicate entity id ${e.id}`);
      const live = { ...e, index: this.list.length, version: 0, attrsVersion: 0, stateTs: 0 } as LiveEntity;
      this.byId.set(e.id, live);
      this.list.push(live);
    }
    this.catalog = this.list.map((e) => ({ i: e.index, id: e.id, kind: e.kind, name: e.name, orgCode: e.orgCode, gridId: e.gridId }));
    this.catalogId = createHash('sha1').update(this.list.map((e) => e.id).join('\n')).digest('hex').slice(0, 16);
  }

  /**
   * Adds an entity to the running district: a new catalog entry at the end, versioned like a
   * change so that the fan-out sends it to every screen with the next delta. Throws on a
   * duplicate id (the caller checks first; the registry never reuses an id).
   */
  addEntity(e: AnyEntity, at: number): LiveEntity {
    if (this.byId.has(e.id)) throw new Error(`duplicate entity id ${e.id}`);
    const v = ++this._version;
    const live = { ...e, index: this.list.length, version: v, attrsVersion: v, stateTs: 0 } as LiveEntity;
    this.byId.set(e.id, live);
    this.list.push(live);
    const entry: CatalogEntry = { i: live.index, id: live.id, kind: live.kind, name: live.name, orgCode: live.orgCode, gridId: live.gridId };
    this.catalog.push(entry);
    this.catalogVersion = v;
    for (const { name, listener } of this.catalogListeners) {
      try {
        listener({ entry, entity: live, version: v, at });
      } catch (err) {
        this.catalogFailures.set(name, (this.catalogFailures.get(name) ?? 0) + 1);
        try { this.changes.onError(err, name); } catch { /* a failing logger must not fail the registration */ }
      }
    }
    return live;
  }

  /** Subscribes to catalog additions; returns the function that unsubscribes. */
  onCatalog(name: string, listener: CatalogListener): () => void {
    return subscribe(this.catalogListeners, name, listener);
  }

  /** Subscribes to late reports (history, alarm rules); returns the function that unsubscribes. */
  onLate(name: string, listener: LateListener): () => void {
    return subscribe(this.lateListeners, name, listener);
  }

  /** Hands a late report (validated by the ingest) to its listeners; the live state does not change. */
  late(report: LateReport): void {
    for (const { name, listener } of this.lateListeners) {
      try {
        listener(report);
      } catch (err) {
        this.changes.failures.set(name, (this.changes.failures.get(name) ?? 0) + 1);
        try { this.changes.onError(err, name); } catch { /* a failing logger must not fail the ingest */ }
      }
    }
  }

  get version(): number {
    return this._version;
  }

  get size(): number {
    return this.list.length;
  }

  get(id: string): LiveEntity | undefined {
    return this.byId.get(id);
  }

  all(): readonly LiveEntity[] {
    return this.list;
  }

  countsByKind(): Record<EntityKind, number> {
    const counts = Object.fromEntries(ENTITY_KINDS.map((k) => [k, 0])) as Record<EntityKind, number>;
    for (const e of this.list) counts[e.kind]++;
    return counts;
  }

  /** Applies one accepted report (the ingest has validated it), bumps the version and emits the change. */
  apply(id: string, report: LiveReport, receivedAt: number): LiveEntity {
    const e = this.byId.get(id);
    if (!e) throw new Error(`unknown entity ${id}`);
    const before = stateOf(e);
    const v = ++this._version;
    e.version = v;
    // Only reports newer than what the entity holds get here (the ingest hands older ones to
    // `late`, which changes nothing): the device has just been heard from.
    const ts = report.ts ?? receivedAt;
    e.lastSeen = receivedAt;
    e.connectivity = 'online';
    if (report.pos) e.pos = report.pos;
    if ((report.status !== undefined || report.attrs !== undefined) && ts > e.stateTs) e.stateTs = ts;
    if (report.status !== undefined) (e as { status: string }).status = report.status;
    if (report.attrs && hasKeys(report.attrs)) {
      this.replaceAttrs(e, report.attrs);
      e.attrsVersion = v;
    }
    this.changes.emit({ type: 'report', entity: e, before, after: stateOf(e), version: v, at: receivedAt });
    return e;
  }

  /**
   * Puts back an entity's last known state at start (from history, server/history/restore.ts):
   * position, status, readings and the time it was last seen. Not a report: nothing is emitted
   * on the change stream (no rule, no history point, no "online"), the entity keeps the age it
   * has, and its connectivity is what the policy says of that age at `now` — a bin last heard
   * 20 minutes ago is stale, a truck last heard an hour ago offline. Returns false for an
   * unknown entity or one that already reported in this run (the live report wins).
   */
  restore(id: string, state: { pos?: Position | undefined; status: string; attrs: Record<string, unknown>; lastSeen: number }, now: number): boolean {
    const e = this.byId.get(id);
    if (!e || e.lastSeen > 0 || !(state.lastSeen > 0)) return false;
    const v = ++this._version;
    e.version = v;
    e.lastSeen = state.lastSeen;
    if (state.pos) e.pos = state.pos;
    (e as { status: string }).status = state.status;
    e.stateTs = state.lastSeen;
    if (hasKeys(state.attrs)) {
      this.replaceAttrs(e, state.attrs);
      e.attrsVersion = v;
    }
    e.connectivity = this.connectivityAt(e.kind, now - state.lastSeen);
    return true;
  }

  /** What a silence of `silenceMs` means for a kind: online, stale or offline. */
  connectivityAt(kind: EntityKind, silenceMs: number): Connectivity {
    const { staleAfterMs, offlineAfterMs } = this.policy[kind];
    return silenceMs >= offlineAfterMs ? 'offline' : silenceMs >= staleAfterMs ? 'stale' : 'online';
  }

  /**
   * Sets attributes the server derives from its rules (a muck truck's violations), so that
   * screens see them like any other change. Emitted as 'derived', which rules ignore.
   * Returns false when nothing changed.
   */
  derive(id: string, attrs: Record<string, unknown>, at: number): boolean {
    const e = this.byId.get(id);
    if (!e) throw new Error(`unknown entity ${id}`);
    const current = e.attrs as unknown as Record<string, unknown>;
    if (Object.keys(attrs).every((k) => sameValue(current[k], attrs[k]))) return false;
    const before = stateOf(e);
    const v = ++this._version;
    e.version = v;
    this.replaceAttrs(e, attrs);
    e.attrsVersion = v;
    this.changes.emit({ type: 'derived', entity: e, before, after: stateOf(e), version: v, at });
    return true;
  }

  /** Derives online → stale → offline from the silence since the last report; emits each transition and returns how many changed. */
  sweepConnectivity(now: number): number {
    let changed = 0;
    for (const e of this.list) {
      if (e.lastSeen === 0) continue; // never reported: offline since the start
      const next = this.connectivityAt(e.kind, now - e.lastSeen);
      if (next !== e.connectivity) {
        const before = stateOf(e);
        e.connectivity = next;
        const v = ++this._version;
        e.version = v;
        changed++;
        this.changes.emit({ type: 'connectivity', entity: e, before, after: stateOf(e), version: v, at: now });
      }
    }
    return changed;
  }

  /**
   * Copy on write: an entity's attribute object is replaced, never changed in place, so the
   * `before` state of a change can hold the old object instead of a copy of it (one copy per
   * report that carries attributes, none for the many that carry only a position).
   */
  private replaceAttrs(e: LiveEntity, attrs: Record<string, unknown>): void {
    if (attrs.plate !== undefined) this.plateWrites++;
    (e as { attrs: object }).attrs = { ...e.attrs, ...attrs };
  }

  /** Entities changed after `version`, in catalog order. */
  changedSince(version: number): LiveEntity[] {
    if (version >= this._version) return [];
    const out: LiveEntity[] = [];
    for (const e of this.list) if (e.version > version) out.push(e);
    return out;
  }
}

function subscribe<L>(list: { name: string; listener: L }[], name: string, listener: L): () => void {
  const item = { name, listener };
  list.push(item);
  return () => {
    const i = list.indexOf(item);
    if (i >= 0) list.splice(i, 1);
  };
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** Structural equality of derived values (a muck truck's violations), without serialising them. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
