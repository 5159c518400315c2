/**
 * The live state shared between nodes through a Redis stream. Every change this node accepts
 * (a report, a value the rules derive, an entity added, a late report) is queued, coalesced per
 * entity (the latest state wins, so the queue is bounded by the district's size however long
 * Redis is away) and written every `flushMs` as one stream entry. Every node reads the stream
 * from where it stopped and applies the other nodes' entries to its own LiveState — the screens,
 * the alarm rules and the fan-out see them as they see local reports.
 *
 * Recovery: a node that comes back reads what it missed from the stream; when the stream was
 * trimmed past its position (or it starts without a position) it loads the snapshot key, which
 * the holder of the 'live-snapshot' lease rewrites every `snapshotMs`, and reads on from there.
 */
import type { Redis } from 'ioredis';
import type { AnyEntity, Position } from '../../shared/entities.ts';
import type { LiveState, LiveEntity } from '../live/live-state.ts';
import type { LiveChange } from '../live/change-stream.ts';
import { isReplaying, replay } from './replaying.ts';

/**
 * An entity's dynamic state as one node last saw it. `status` and `attrs` are left out when
 * this node already published them (the same `stateTs`): most changes are a moved position, and
 * the attributes are most of an entry's bytes and of the readers' parsing.
 */
export interface WireState {
  id: string;
  pos?: Position;
  status?: string;
  attrs?: Record<string, unknown>;
  stateTs: number;
  lastSeen: number;
}
interface WireLate { id: string; ts: number; at: number; pos?: Position; status?: string; attrs?: Record<string, unknown> }
type WireEntity = Omit<AnyEntity, 'version'>;
/** One stream entry: entities added first (later rows may name them), then states, derived values, late reports. */
interface WireBatch { c?: WireEntity[]; r?: WireState[]; d?: { id: string; attrs: Record<string, unknown>; at: number }[]; l?: WireLate[] }
interface WireSnapshot { streamId: string; at: number; node: string; added: WireEntity[]; states: WireState[] }

/** Stream entries read per call (each is one `flushMs` of another node's changes). */
const READ_ENTRIES = 20;

/** Late reports waiting while Redis is away: beyond this the oldest are dropped (and counted). */
const MAX_QUEUED_LATE = 10_000;

export interface ReplicationStats {
  published: number;
  applied: number;
  /** Rows naming an entity this node does not know. */
  unknown: number;
  lateDropped: number;
  resyncs: number;
  streamId: string;
  queued: number;
}

export interface ReplicationOptions {
  redis: Redis;
  /** A second connection: XREAD BLOCK holds its connection. */
  reader: Redis;
  live: LiveState;
  nodeId: string;
  streamKey: string;
  snapshotKey: string;
  maxLen: number;
  flushMs: number;
  now: () => number;
  onError: (what: string, err: unknown) => void;
}

export class LiveReplication {
  private readonly states = new Map<string, WireState>();
  private readonly derived = new Map<string, { id: string; attrs: Record<string, unknown>; at: number }>();
  /** The `stateTs` whose status and attributes this node last wrote to the stream, per entity. */
  private readonly publishedStateTs = new Map<string, number>();
  private added: WireEntity[] = [];
  private late: WireLate[] = [];
  private streamId = '';
  private running = false;
  private flushing = false;
  private readonly baseCount: number;
  private readonly unsubscribe: (() => void)[] = [];
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  private readLoop: Promise<void> | undefined;
  readonly stats: ReplicationStats = { published: 0, applied: 0, unknown: 0, lateDropped: 0, resyncs: 0, streamId: '', queued: 0 };

  constructor(private readonly o: ReplicationOptions) {
    // Entities of the pack and those the device registry restored from the shared store: every node has them.
    this.baseCount = o.live.size;
    const { live } = o;
    this.unsubscribe.push(
      live.changes.subscribe('cluster', (c) => this.onChange(c)),
      live.onCatalog('cluster', (a) => { if (!isReplaying(live)) this.added.push(wireEntity(a.entity)); }),
      live.onLate('cluster', (l) => {
        if (isReplaying(live)) return;
        const row: WireLate = { id: l.entity.id, ts: l.ts, at: l.at };
        if (l.pos) row.pos = l.pos;
        if (l.status !== undefined) row.status = l.status;
        if (l.attrs) row.attrs = l.attrs;
        this.late.push(row);
        if (this.late.length > MAX_QUEUED_LATE) { this.late.shift(); this.stats.lateDropped++; }
      }),
    );
  }

  private onChange(c: LiveChange): void {
    if (isReplaying(this.o.live)) return;
    // Connectivity is derived on every node from lastSeen, which the reports carry.
    if (c.type === 'connectivity') return;
    if (c.type === 'derived') {
      this.derived.set(c.entity.id, { id: c.entity.id, attrs: c.after.attrs as Record<string, unknown>, at: c.at });
      return;
    }
    this.states.set(c.entity.id, wireState(c.entity));
  }

  /** Catches up (snapshot and stream), then publishes and reads until stopped. */
  async start(): Promise<void> {
    this.running = true;
    this.flushTimer = setInterval(() => { void this.flush(); }, this.o.flushMs);
    this.readLoop = this.read();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.flushTimer) clearInterval(this.flushTimer);
    for (const u of this.unsubscribe.splice(0)) u();
    await this.flush();
    // The reader's blocking call ends with its connection (closed by the caller).
    this.readLoop = undefined;
  }

  get queued(): number {
    return this.states.size + this.derived.size + this.added.length + this.late.length;
  }

  /** Writes what is queued as one entry; on failure everything stays queued for the next flush. */
  async flush(): Promise<void> {
    if (this.flushing || this.queued === 0) return;
    this.flushing = true;
    const batch: WireBatch = {};
    const added = this.added; const states = this.states.size ? [...this.states.values()] : []; const derived = this.derived.size ? [...this.derived.values()] : []; const late = this.late;
    if (added.length) batch.c = added;
    if (states.length) batch.r = states.map((st) => (this.publishedStateTs.get(st.id) === st.stateTs ? slim(st) : st));
    if (derived.length) batch.d = derived;
    if (late.length) batch.l = late;
    this.added = []; this.late = []; this.states.clear(); this.derived.clear();
    try {
      await this.o.redis.xadd(this.o.streamKey, 'MAXLEN', '~', String(this.o.maxLen), '*', 'n', this.o.nodeId, 'd', JSON.stringify(batch));
      for (const st of states) this.publishedStateTs.set(st.id, st.stateTs);
      this.stats.published += added.length + states.length + derived.length + late.length;
    } catch (err) {
      // Put back under what was queued meanwhile (newer states win).
      this.added = [...added, ...this.added];
      this.late = [...late, ...this.late].slice(-MAX_QUEUED_LATE);
      for (const s of states) if (!this.states.has(s.id)) this.states.set(s.id, s);
      for (const d of derived) if (!this.derived.has(d.id)) this.derived.set(d.id, d);
      this.o.onError('publish', err);
    } finally {
      this.flushing = false;
      this.stats.queued = this.queued;
    }
  }

  private async read(): Promise<void> {
    let checked = false;
    while (this.running) {
      try {
        // After every (re)connection: is the position still in the stream? Otherwise the snapshot.
        if (!checked) {
          await this.catchUp();
          checked = true;
        }
        // A few entries (~1 s of another node's reports) per call: a node that fell behind catches
        // up in slices, its ticks and screens served between them, not after one long parse.
        const res = await this.o.reader.xread('COUNT', READ_ENTRIES, 'BLOCK', 1000, 'STREAMS', this.o.streamKey, this.streamId);
        if (!res) continue;
        for (const [, entries] of res) for (const [id, fields] of entries) this.onEntry(id, fields);
      } catch (err) {
        if (!this.running) return;
        checked = false;
        this.o.onError('read', err);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async catchUp(): Promise<void> {
    const first = await this.o.redis.xrange(this.o.streamKey, '-', '+', 'COUNT', 1);
    const firstId = first[0]?.[0];
    if (this.streamId === '' || (firstId !== undefined && compareIds(firstId, this.streamId) > 0 && this.streamId !== '0-0')) {
      const raw = await this.o.redis.get(this.o.snapshotKey);
      if (raw) {
        this.applySnapshot(JSON.parse(raw) as WireSnapshot);
        this.stats.resyncs++;
      } else if (this.streamId === '') {
        this.streamId = '0-0';
      }
    }
    this.stats.streamId = this.streamId;
  }

  private onEntry(id: string, fields: string[]): void {
    this.streamId = id;
    this.stats.streamId = id;
    let node = ''; let data = '';
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'n') node = fields[i + 1]!;
      else if (fields[i] === 'd') data = fields[i + 1]!;
    }
    if (node === this.o.nodeId || data === '') return;
    let batch: WireBatch;
    try { batch = JSON.parse(data) as WireBatch; } catch (err) { this.o.onError(`entry ${id} unreadable`, err); return; }
    replay(this.o.live, () => this.applyBatch(batch));
  }

  private applyBatch(b: WireBatch): void {
    const { live } = this.o;
    for (const e of b.c ?? []) this.addIfMissing(e);
    for (const s of b.r ?? []) this.applyState(s);
    for (const d of b.d ?? []) {
      if (!live.get(d.id)) { this.stats.unknown++; continue; }
      if (live.derive(d.id, d.attrs, d.at)) this.stats.applied++;
    }
    for (const l of b.l ?? []) {
      const entity = live.get(l.id);
      if (!entity) { this.stats.unknown++; continue; }
      const report: Parameters<LiveState['late']>[0] = { entity, ts: l.ts, at: l.at };
      if (l.pos) report.pos = l.pos;
      if (l.status !== undefined) report.status = l.status;
      if (l.attrs) report.attrs = l.attrs;
      live.late(report);
    }
  }

  private addIfMissing(e: WireEntity): void {
    if (this.o.live.get(e.id)) return;
    this.o.live.addEntity({ ...e, version: 0 } as AnyEntity, this.o.now());
  }

  /** Applies what is newer than this node's: the position by its fix time, status and readings by theirs. */
  private applyState(s: WireState): void {
    const e = this.o.live.get(s.id);
    if (!e) { this.stats.unknown++; return; }
    const newerPos = s.pos !== undefined && (e.pos === undefined || s.pos.ts > e.pos.ts);
    // Without a status the row repeats a state its writer published before, which this node
    // applied then (or took from the snapshot after a gap).
    const newerState = s.status !== undefined && s.stateTs > e.stateTs;
    if (!newerPos && !newerState && s.lastSeen <= e.lastSeen) return;
    const report: Parameters<LiveState['apply']>[1] = { ts: newerState ? s.stateTs : (s.pos?.ts ?? s.lastSeen) };
    if (newerPos) report.pos = s.pos!;
    if (newerState) { report.status = s.status!; if (s.attrs) report.attrs = s.attrs; }
    this.o.live.apply(s.id, report, s.lastSeen);
    this.stats.applied++;
  }

  private applySnapshot(snap: WireSnapshot): void {
    replay(this.o.live, () => {
      for (const e of snap.added) this.addIfMissing(e);
      for (const s of snap.states) this.applyState(s);
    });
    this.streamId = snap.streamId;
  }

  /** The snapshot this node would write: its live state and the stream position it reflects. */
  snapshot(): string {
    const { live } = this.o;
    const added: WireEntity[] = [];
    const states: WireState[] = [];
    const all = live.all();
    for (let i = this.baseCount; i < all.length; i++) added.push(wireEntity(all[i]!));
    for (const e of all) if (e.lastSeen > 0) states.push(wireState(e));
    const snap: WireSnapshot = { streamId: this.streamId || '0-0', at: this.o.now(), node: this.o.nodeId, added, states };
    return JSON.stringify(snap);
  }
}

function wireState(e: LiveEntity): WireState {
  const s: WireState = { id: e.id, status: e.status, attrs: e.attrs as unknown as Record<string, unknown>, stateTs: e.stateTs, lastSeen: e.lastSeen };
  if (e.pos) s.pos = e.pos;
  return s;
}

/** A state row without the status and attributes its writer already published. */
function slim(st: WireState): WireState {
  const out: WireState = { id: st.id, stateTs: st.stateTs, lastSeen: st.lastSeen };
  if (st.pos) out.pos = st.pos;
  return out;
}

function wireEntity(e: LiveEntity): WireEntity {
  const { index: _i, attrsVersion: _a, stateTs: _s, version: _v, ...rest } = e;
  return rest as WireEntity;
}

/** Orders stream ids ("ms-seq"). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}
