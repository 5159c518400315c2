/**
 * The history writer and reader. The change-stream listener only turns a change into a
 * point, applies the downsampling rule and appends the kept point to the entity's buffer —
 * no I/O on the ingest's path. `flush()` (a timer, every HISTORY_FLUSH_S) writes every
 * touched bucket in one transaction and adds to the daily roll-up; a crash loses at most
 * the points of one flush window. A failed flush keeps its points for the next one.
 *
 * On the asynchronous store layer (both drivers): points keep arriving while a flush awaits
 * the store, so a flush writes a snapshot — each entity's first n pending points — and on
 * commit drops exactly those n; a point that came in meanwhile waits for the next flush. On
 * PostgreSQL the day and month partitions a flush writes into are made before its transaction.
 */
import { CONNECTIVITY, ENTITY_STATUSES, isEntityKind, type Connectivity, type EntityKind } from '../../shared/entities.ts';
import { distanceM } from '../../shared/geo.ts';
import { localDate } from '../../shared/local-time.ts';
import type { SqlExecutor, SqlStore, SqlTx } from '../store/sql/types.ts';
import { HistoryPartitions, pruneHistory, type RetentionCutoff, type RetentionResult } from './partitions.ts';
import type { LiveChange } from '../live/change-stream.ts';
import type { LateReport } from '../live/live-state.ts';
import { decodeTrack, encodeTrack, type TrackPoint } from './track-codec.ts';
import { keepReason, type DownsamplePolicy } from './downsample.ts';
import { HISTORY_READINGS, readingsOf, readingsToAttrs } from './readings.ts';

/** A kept point as readers see it. */
export interface HistoryPoint {
  /** ms since epoch, whole seconds */
  ts: number;
  lon: number | null;
  lat: number | null;
  status: string;
  connectivity: Connectivity;
  /** The kind's readings (server/history/readings.ts). */
  attrs: Record<string, unknown>;
}

export interface HistoryEntityState extends HistoryPoint {
  entityId: string;
  kind: EntityKind;
}

/** The reader the heat charts, replay, briefing and the restart read. */
export interface HistoryPort {
  /** Kept points of one entity with from ≤ ts ≤ to (ms), oldest first; up to the last flush. */
  track(entityId: string, from: number, to: number): Promise<HistoryPoint[]>;
  /** The last kept state of every entity at or before `ts` (ms), with its time. */
  positionsAt(ts: number): Promise<HistoryEntityState[]>;
  /** The last kept state of every entity: what a restart restores. */
  lastKnown(): Promise<HistoryEntityState[]>;
  /** Every kept point in [from, to] (ms), per entity, optionally of some kinds only: for replay. */
  window(from: number, to: number, kinds?: readonly EntityKind[]): Promise<Map<string, HistoryPoint[]>>;
  /** Daily roll-up rows of local days from..to (YYYY-MM-DD, inclusive). */
  daily(fromDay: string, toDay: string): Promise<DailyRow[]>;
}

export interface DailyRow { day: string; orgCode: string; kind: EntityKind; reports: number; points: number; distanceM: number; onlineS: number }

/** Default bucket length, seconds: one row per entity per this much time. */
export const HISTORY_BUCKET_S = 600;

export interface HistoryOptions {
  policy: DownsamplePolicy;
  /** Bucket length, seconds (default 600). */
  bucketS?: number;
  timeZone: string;
  retentionDays: number;
  now: () => number;
}

export interface FlushResult { points: number; buckets: number }

/** One entity's share of a past batch (HistoryStore.appendPast): its raw points, oldest first, and the device reports they came from. */
export interface PastEntry {
  id: string;
  kind: EntityKind;
  orgCode: string;
  points: readonly TrackPoint[];
  reports: number;
  /** Time of the last of those reports, s: the roll-up's day for them. */
  lastReportT: number;
}

interface Tracked {
  id: string;
  kind: EntityKind;
  orgCode: string;
  eid: number | undefined;
  readingCount: number;
  /** Last point the rule kept (flushed or not): what the next change is compared with. */
  lastKept: TrackPoint | undefined;
  /** Kept, not yet written. */
  pending: TrackPoint[];
  /** The newest written bucket and its points, so a flush appends without reading back. */
  openBucket: number;
  openPoints: TrackPoint[];
  /** Last written point: the roll-up measures from it. */
  lastWritten: TrackPoint | undefined;
  reportsPending: number;
  lastReportT: number;
  /** Late reports (older than the live state) waiting for the next flush, in arrival order. */
  late: TrackPoint[];
}

/** Late points held between flushes at most (a flood of backfill waits for the next flush, the rest is counted and dropped). */
const MAX_LATE_PENDING = 200_000;

const SQL = {
  addEntity: 'INSERT INTO history_entity (entity_id, kind, org_code) VALUES ($1, $2, $3) ON CONFLICT (entity_id) DO NOTHING RETURNING eid',
  entityEid: 'SELECT eid FROM history_entity WHERE entity_id = $1',
  entityRow: 'SELECT eid, kind FROM history_entity WHERE entity_id = $1',
  entities: 'SELECT eid, entity_id, kind FROM history_entity ORDER BY eid',
  row: 'SELECT blob FROM history_track WHERE eid = $1 AND bucket = $2',
  range: 'SELECT bucket, blob FROM history_track WHERE eid = $1 AND bucket BETWEEN $2 AND $3 ORDER BY bucket',
  // The target's columns qualified: PostgreSQL finds a bare `reports` ambiguous (the row or excluded's).
  daily: `INSERT INTO history_daily (day, org_code, kind, reports, points, distance_m, online_s) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (day, org_code, kind) DO UPDATE SET reports = history_daily.reports + excluded.reports, points = history_daily.points + excluded.points,
    distance_m = history_daily.distance_m + excluded.distance_m, online_s = history_daily.online_s + excluded.online_s`,
  dailyRange: 'SELECT day, org_code, kind, reports, points, distance_m, online_s FROM history_daily WHERE day BETWEEN $1 AND $2 ORDER BY day, org_code, kind',
  newest: `SELECT e.entity_id, e.kind, t.bucket, t.blob
    FROM history_entity e JOIN history_track t ON t.eid = e.eid AND t.bucket = (SELECT MAX(bucket) FROM history_track WHERE eid = e.eid)
    ORDER BY e.eid`,
} as const;

/**
 * Every entity's buckets overlapping [from, to] in one statement. The entities drive the join:
 * SQLite seeks the primary key (eid, bucket) once per entity, PostgreSQL prunes to the day
 * partitions of the range — neither scans the track table.
 */
export function windowSql(kindCount: number, first = 3): string {
  const kinds = kindCount > 0 ? ` WHERE e.kind IN (${Array.from({ length: kindCount }, (_, i) => `$${first + i}`).join(', ')})` : '';
  return `SELECT e.eid, e.entity_id, e.kind, t.bucket, t.blob FROM history_entity e
    JOIN history_track t ON t.eid = e.eid AND t.bucket BETWEEN $1 AND $2${kinds} ORDER BY e.eid, t.bucket`;
}

/**
 * Every entity's newest two buckets starting at or before $1 (s), newest first, in one
 * statement: the entity's last point at or before $1 is in the newer one, or — when all of
 * its points are after $1 — the older one's last. Per entity a few primary-key seeks on SQLite.
 */
export function lastTwoBucketsSql(kindCount: number): string {
  const kinds = kindCount > 0 ? ` WHERE e.kind IN (${Array.from({ length: kindCount }, (_, i) => `$${2 + i}`).join(', ')})` : '';
  return `SELECT e.eid, e.entity_id, e.kind, t.bucket, t.blob FROM history_entity e
    JOIN history_track t ON t.eid = e.eid AND t.bucket <= $1 AND t.bucket >= COALESCE((
      SELECT MAX(p.bucket) FROM history_track p WHERE p.eid = e.eid AND p.bucket < (
        SELECT MAX(q.bucket) FROM history_track q WHERE q.eid = e.eid AND q.bucket <= $1)), 0)${kinds}
    ORDER BY e.eid, t.bucket DESC`;
}

/** From the rows of lastTwoBucketsSql: each entity's last point at or before `t` (s), by eid order. */
export function lastPointsAtOrBefore<R extends { eid: number; kind: string; bucket: number; blob: Buffer }>(rows: readonly R[], t: number): { row: R; kind: EntityKind; point: TrackPoint }[] {
  const out: { row: R; kind: EntityKind; point: TrackPoint }[] = [];
  let found = -1;
  for (const row of rows) {
    if (row.eid === found || !isEntityKind(row.kind)) continue;
    const pts = decodeTrack(row.bucket, HISTORY_READINGS[row.kind].length, row.blob);
    let k = pts.length - 1;
    while (k >= 0 && pts[k]!.t > t) k--;
    if (k >= 0) { out.push({ row, kind: row.kind, point: pts[k]! }); found = row.eid; }
  }
  return out;
}

const NOTHING: FlushResult = { points: 0, buckets: 0 };

/**
 * Writes what `pending` holds, taken out first: a change during the write marks its entity
 * pending again, for the next flush. A write that fails puts its batch back and throws.
 */
async function writeTaken<T>(pending: Set<T>, write: (batch: T[]) => Promise<FlushResult>): Promise<FlushResult> {
  if (pending.size === 0) return NOTHING;
  const batch = [...pending];
  pending.clear();
  try {
    return await write(batch);
  } catch (err) {
    for (const item of batch) pending.add(item);
    throw err;
  }
}

/** Buckets written by one statement at most; fewer go by halves (64, 32, …, 1), so a handful of statement texts serve every flush. */
const PUT_CHUNK = 64;

const putStatements = new Map<number, string>();

/** The upsert of `rows` buckets at once: a flush is a few statements, not one round trip per bucket (PostgreSQL). */
function putSql(rows: number): string {
  let sql = putStatements.get(rows);
  if (sql === undefined) {
    const values = Array.from({ length: rows }, (_, i) => `($${4 * i + 1}, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4})`).join(', ');
    putStatements.set(rows, (sql = `INSERT INTO history_track (eid, bucket, n, blob) VALUES ${values} ON CONFLICT (eid, bucket) DO UPDATE SET n = excluded.n, blob = excluded.blob`));
  }
  return sql;
}

/** A bucket's row as it is to be written: [eid, bucket, n, blob]. */
type BucketRow = [number, number, number, Uint8Array];

/** Runs `write` over `rows` in chunks of 64, 32, … 1 rows, in order. */
async function inChunks<T>(rows: readonly T[], write: (chunk: readonly T[]) => Promise<unknown>): Promise<void> {
  let i = 0;
  for (let size = PUT_CHUNK; size >= 1; size = Math.floor(size / 2)) {
    for (; rows.length - i >= size; i += size) await write(rows.slice(i, i + size));
  }
}

/**
 * Writes the buckets in as few statements as the chunk sizes allow. Each (eid, bucket) is in
 * `rows` once (one statement may not update a row twice on PostgreSQL): a flush writes a bucket once.
 */
function putBuckets(tx: SqlTx, rows: readonly BucketRow[]): Promise<void> {
  return inChunks(rows, (chunk) => tx.exec(putSql(chunk.length), chunk.flat()));
}

/** Names entities, `rows` at once (one already named — by another node — is left as it is). */
function addEntitiesSql(rows: number): string {
  const values = Array.from({ length: rows }, (_, i) => `($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`).join(', ');
  return `INSERT INTO history_entity (entity_id, kind, org_code) VALUES ${values} ON CONFLICT (entity_id) DO NOTHING`;
}

export class HistoryStore implements HistoryPort {
  private readonly tracked = new Map<string, Tracked>();
  private readonly dirty = new Set<Tracked>();
  /** The past generator's per-entity state (appendPast), apart from the live one. */
  private readonly past = new Map<string, Tracked>();
  private readonly days = new Map<number, string>();
  private readonly bucketS: number;
  /** Counters for health and the bench. */
  readonly stats = { changes: 0, kept: 0, refusedOutOfOrder: 0, flushes: 0, flushFailures: 0, pointsWritten: 0, late: 0, lateWritten: 0, lateDropped: 0 };
  private readonly lateDirty = new Set<Tracked>();
  private latePending = 0;
  private readonly onlineCode = CONNECTIVITY.indexOf('online');
  /** entity id → eid, loaded at start so that a flush never looks one up. */
  private readonly eids = new Map<string, number>();
  private readonly partitions: HistoryPartitions;
  /** Flushes run one after the other: a second waits for the first (the close hook's after a timer's). */
  private flushQueue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly sql: SqlStore, private readonly opts: HistoryOptions) {
    this.bucketS = opts.bucketS ?? HISTORY_BUCKET_S;
    this.partitions = new HistoryPartitions(sql);
  }

  /** The store with the entities history already names loaded. */
  static async open(sql: SqlStore, opts: HistoryOptions): Promise<HistoryStore> {
    const h = new HistoryStore(sql, opts);
    for (const r of await sql.query<{ eid: number; entity_id: string }>(SQL.entities)) h.eids.set(r.entity_id, r.eid);
    return h;
  }

  /** Names every entity of the district once, at start, so that the first flush does not do it for 5,000 of them at once. */
  async registerEntities(entities: readonly { id: string; kind: EntityKind; orgCode: string }[]): Promise<void> {
    const missing = [...new Map(entities.filter((e) => !this.eids.has(e.id)).map((e) => [e.id, e])).values()];
    if (missing.length === 0) return;
    // A few statements, not one per entity: the first start names the whole district (5,000-odd).
    await this.sql.transaction((tx) => inChunks(missing, (chunk) => tx.exec(addEntitiesSql(chunk.length), chunk.flatMap((e) => [e.id, e.kind, e.orgCode]))));
    for (const r of await this.sql.query<{ eid: number; entity_id: string }>(SQL.entities)) this.eids.set(r.entity_id, r.eid);
  }

  /** The change-stream listener: no I/O, a few comparisons and an array push. */
  readonly onChange = (change: LiveChange): void => {
    this.stats.changes++;
    const e = change.entity;
    let tr = this.tracked.get(e.id);
    if (!tr) this.tracked.set(e.id, (tr = newTracked(e)));
    const t = Math.floor(change.at / 1000);
    if (change.type === 'report') { tr.reportsPending++; tr.lastReportT = t; this.dirty.add(tr); }
    const a = change.after;
    const last = tr.lastKept;
    if (last && t < last.t) { this.stats.refusedOutOfOrder++; return; }
    const point: TrackPoint = {
      t,
      lon: a.pos ? Math.round(a.pos.lon * 1e6) : (last?.lon ?? null),
      lat: a.pos ? Math.round(a.pos.lat * 1e6) : (last?.lat ?? null),
      status: statusCode(e.kind, a.status),
      conn: CONNECTIVITY.indexOf(a.connectivity),
      // Attribute objects are replaced on change, never edited (live-state.ts): same object, same readings.
      readings: last && a.attrs === change.before.attrs ? last.readings : readingsOf(e.kind, a.attrs, last?.readings),
    };
    if (keepReason(last, point, this.opts.policy) === null) return;
    tr.lastKept = point;
    tr.pending.push(point);
    this.stats.kept++;
    this.dirty.add(tr);
  };

  /**
   * The late-report listener (LiveState.onLate): a blind-area batch, a reading uploaded late.
   * Every late report is kept as a point at its own time (no downsampling: there are few, and
   * each says where the device was while nobody heard it); it is merged into its bucket at the
   * next flush.
   */
  readonly onLate = (late: LateReport): void => {
    this.stats.late++;
    if (this.latePending >= MAX_LATE_PENDING) { this.stats.lateDropped++; return; }
    const e = late.entity;
    let tr = this.tracked.get(e.id);
    if (!tr) this.tracked.set(e.id, (tr = newTracked(e)));
    const attrs = late.attrs ? { ...e.attrs, ...late.attrs } : e.attrs;
    tr.late.push({
      t: Math.floor(late.ts / 1000),
      lon: late.pos ? Math.round(late.pos.lon * 1e6) : null,
      lat: late.pos ? Math.round(late.pos.lat * 1e6) : null,
      status: statusCode(e.kind, late.status ?? e.status),
      conn: this.onlineCode,
      readings: readingsOf(e.kind, attrs as unknown as Record<string, unknown>),
    });
    this.latePending++;
    this.lateDirty.add(tr);
  };

  /**
   * Writes every buffered point in one transaction, then the late ones. Rejects when the store
   * fails; the points stay buffered. Points that arrive while it runs wait for the next flush.
   */
  flush(): Promise<FlushResult> {
    const run = this.flushQueue.then(() => this.flushNow());
    this.flushQueue = run.catch(() => undefined);
    return run;
  }

  private async flushNow(): Promise<FlushResult> {
    if (this.dirty.size === 0 && this.lateDirty.size === 0) return NOTHING;
    const result = await writeTaken(this.dirty, (batch) => this.write(batch));
    // After the live points: a late point's bucket is then one this process has written, or an older one.
    const late = await writeTaken(this.lateDirty, (batch) => this.writeLate(batch));
    this.stats.flushes++;
    return { points: result.points + late.points, buckets: result.buckets + late.buckets };
  }

  /** Merges late points into their buckets (in time order; a point at a second already held is not added twice). */
  private async writeLate(batch: readonly Tracked[]): Promise<FlushResult> {
    // The late points as they are now; those that arrive during the write stay for the next flush.
    const snapshot = batch.map((tr) => ({ tr, late: tr.late.slice() }));
    if (this.sql.dialect === 'postgres') {
      const buckets = new Set<number>();
      const days = new Set<string>();
      for (const { late } of snapshot) for (const p of late) { buckets.add(this.bucketOf(p.t)); days.add(this.dayOf(p.t)); }
      await this.partitions.ensure(buckets, days);
    }
    const after = new Map<Tracked, { eid: number; openBucket: number; openPoints: TrackPoint[]; taken: number }>();
    const daily = new Map<string, { day: string; org: string; kind: string; reports: number; points: number }>();
    let points = 0;
    let buckets = 0;
    await this.sql.transaction(async (tx) => {
      const puts: BucketRow[] = [];
      for (const { tr, late } of snapshot) {
        const eid = tr.eid ?? await this.eidOf(tx, tr);
        let { openBucket, openPoints } = tr;
        const byBucket = new Map<number, TrackPoint[]>();
        for (const p of late) {
          const b = this.bucketOf(p.t);
          let list = byBucket.get(b);
          if (!list) byBucket.set(b, (list = []));
          list.push(p);
        }
        for (const [bucket, fresh] of byBucket) {
          const row = bucket === openBucket ? undefined : await tx.one<{ blob: Buffer }>(SQL.row, [eid, bucket]);
          const existing = bucket === openBucket ? openPoints : row ? decodeTrack(bucket, tr.readingCount, row.blob) : [];
          const held = new Set(existing.map((p) => p.t));
          const added = fresh.filter((p) => !held.has(p.t) && (held.add(p.t), true));
          if (added.length === 0) continue;
          const all = existing.concat(added).sort((a, b) => a.t - b.t);
          puts.push([eid, bucket, all.length, encodeTrack(bucket, tr.readingCount, all)]);
          if (bucket >= openBucket) { openBucket = bucket; openPoints = all; }
          points += added.length;
          buckets++;
          for (const p of added) {
            const day = this.dayOf(p.t);
            const key = `${day}|${tr.orgCode}|${tr.kind}`;
            let r = daily.get(key);
            if (!r) daily.set(key, (r = { day, org: tr.orgCode, kind: tr.kind, reports: 0, points: 0 }));
            r.points++;
            r.reports++;
          }
        }
        after.set(tr, { eid, openBucket, openPoints, taken: late.length });
      }
      await putBuckets(tx, puts);
      for (const r of daily.values()) await tx.exec(SQL.daily, [r.day, r.org, r.kind, r.reports, r.points, 0, 0]);
    });
    for (const [tr, s] of after) {
      tr.eid = s.eid;
      this.eids.set(tr.id, s.eid);
      tr.openBucket = s.openBucket;
      tr.openPoints = s.openPoints;
      this.latePending -= s.taken;
      tr.late = tr.late.slice(s.taken);
      if (tr.late.length > 0) this.lateDirty.add(tr);
    }
    this.stats.lateWritten += points;
    return { points, buckets };
  }

  /**
   * The batch entry point of the past generator (server/sim/past): points of entities' past
   * life, oldest first per entity, go through the same downsampling rule (with `policy`, default
   * the live one) and the same bucket encoding and roll-up as a flush, in one transaction — in
   * the caller's `tx` when given (so a generator commits its progress with them; it must have
   * made the partitions first: `ensurePastPartitions`, as none can be made inside a transaction).
   * Its own per-entity state: the live buffers are never touched, and the past must end
   * before the live buckets begin. Rejects when the store fails; nothing of the batch is kept then.
   */
  async appendPast(entries: readonly PastEntry[], policy: DownsamplePolicy = this.opts.policy, tx?: SqlTx): Promise<FlushResult> {
    const batch: Tracked[] = [];
    const saved = new Map<Tracked, { lastKept: TrackPoint | undefined; pending: TrackPoint[]; reports: number; lastReportT: number }>();
    for (const e of entries) {
      let tr = this.past.get(e.id);
      if (!tr) this.past.set(e.id, (tr = newTracked(e)));
      saved.set(tr, { lastKept: tr.lastKept, pending: tr.pending, reports: tr.reportsPending, lastReportT: tr.lastReportT });
      tr.pending = tr.pending.slice();
      for (const p of e.points) {
        if (tr.lastKept && p.t < tr.lastKept.t) { this.stats.refusedOutOfOrder++; continue; }
        if (keepReason(tr.lastKept, p, policy) === null) continue;
        tr.lastKept = p;
        tr.pending.push(p);
      }
      tr.reportsPending += e.reports;
      if (e.reports > 0) tr.lastReportT = e.lastReportT;
      if (tr.pending.length > 0 || tr.reportsPending > 0) batch.push(tr);
    }
    try {
      return await this.write(batch, tx);
    } catch (err) {
      // Nothing was written: the next call starts from the same state.
      for (const [tr, s] of saved) Object.assign(tr, { lastKept: s.lastKept, pending: s.pending, reportsPending: s.reports, lastReportT: s.lastReportT });
      throw err;
    }
  }

  /** Makes the PostgreSQL partitions a past batch may write into (every raw point's bucket and day): before the caller's transaction. */
  async ensurePastPartitions(entries: readonly PastEntry[]): Promise<void> {
    if (this.sql.dialect !== 'postgres') return;
    const buckets = new Set<number>();
    const days = new Set<string>();
    for (const e of entries) {
      if (e.reports > 0) days.add(this.dayOf(e.lastReportT));
      for (const p of e.points) { buckets.add(this.bucketOf(p.t)); days.add(this.dayOf(p.t)); }
    }
    await this.partitions.ensure(buckets, days);
  }

  /**
   * Writes the pending points and reports of some entities in one transaction (`outer`, or one
   * of its own), then moves their state on. What it writes is a snapshot: points and reports
   * that arrive meanwhile stay pending.
   */
  private async write(batch: readonly Tracked[], outer?: SqlTx): Promise<FlushResult> {
    const snapshot = batch.map((tr) => ({ tr, pending: tr.pending.slice(), reports: tr.reportsPending, lastReportT: tr.lastReportT }));
    if (!outer && this.sql.dialect === 'postgres') {
      const buckets = new Set<number>();
      const days = new Set<string>();
      for (const s of snapshot) {
        if (s.reports > 0) days.add(this.dayOf(s.lastReportT));
        for (const p of s.pending) { buckets.add(this.bucketOf(p.t)); days.add(this.dayOf(p.t)); }
      }
      await this.partitions.ensure(buckets, days);
    }
    // Everything is computed first and applied to memory only once the transaction committed.
    const after = new Map<Tracked, { eid: number; openBucket: number; openPoints: TrackPoint[]; lastWritten: TrackPoint | undefined; taken: number; reports: number }>();
    const daily = new Map<string, { day: string; org: string; kind: string; reports: number; points: number; distance: number; online: number }>();
    const roll = (tr: Tracked, t: number) => {
      const day = this.dayOf(t);
      const key = `${day}|${tr.orgCode}|${tr.kind}`;
      let r = daily.get(key);
      if (!r) daily.set(key, (r = { day, org: tr.orgCode, kind: tr.kind, reports: 0, points: 0, distance: 0, online: 0 }));
      return r;
    };
    let points = 0;
    let buckets = 0;
    let refused = 0;
    const work = async (tx: SqlTx): Promise<void> => {
      const puts: BucketRow[] = [];
      for (const { tr, pending, reports, lastReportT } of snapshot) {
        const eid = tr.eid ?? await this.eidOf(tx, tr);
        let openBucket = tr.openBucket;
        let openPoints = tr.openPoints;
        let lastWritten = tr.lastWritten;
        if (reports > 0) roll(tr, lastReportT).reports += reports;
        let i = 0;
        while (i < pending.length) {
          const bucket = this.bucketOf(pending[i]!.t);
          let j = i;
          while (j < pending.length && pending[j]!.t < bucket + this.bucketS) j++;
          const fresh = pending.slice(i, j);
          let existing: TrackPoint[];
          if (bucket === openBucket) existing = openPoints;
          else if (openBucket >= 0 && bucket > openBucket) existing = []; // a bucket after one this process wrote: nobody else wrote it
          else {
            // First write of this entity by this process: a previous run may have left points in this bucket.
            const row = await tx.one<{ blob: Buffer }>(SQL.row, [eid, bucket]);
            existing = row ? decodeTrack(bucket, tr.readingCount, row.blob) : [];
            if (!lastWritten && existing.length > 0) lastWritten = existing[existing.length - 1];
          }
          const lastT = existing.length > 0 ? existing[existing.length - 1]!.t : -Infinity;
          const kept = fresh.filter((p) => p.t >= lastT);
          refused += fresh.length - kept.length;
          const all = existing.concat(kept);
          puts.push([eid, bucket, all.length, encodeTrack(bucket, tr.readingCount, all)]);
          for (const p of kept) {
            const r = roll(tr, p.t);
            r.points++;
            if (lastWritten) {
              if (lastWritten.lon !== null && p.lon !== null && lastWritten.lat !== null && p.lat !== null && (p.lon !== lastWritten.lon || p.lat !== lastWritten.lat)) {
                r.distance += distanceM(lastWritten.lon / 1e6, lastWritten.lat / 1e6, p.lon / 1e6, p.lat / 1e6);
              }
              if (lastWritten.conn === this.onlineCode) r.online += p.t - lastWritten.t;
            }
            lastWritten = p;
          }
          if (bucket >= openBucket) { openBucket = bucket; openPoints = all; }
          points += kept.length;
          buckets++;
          i = j;
        }
        after.set(tr, { eid, openBucket, openPoints, lastWritten, taken: pending.length, reports });
      }
      // Every bucket read above was read before any of these writes: each is read and written once per flush.
      await putBuckets(tx, puts);
      for (const r of daily.values()) await tx.exec(SQL.daily, [r.day, r.org, r.kind, r.reports, r.points, r.distance, r.online]);
    };
    if (outer) await work(outer);
    else await this.sql.transaction(work);
    for (const [tr, s] of after) {
      tr.eid = s.eid;
      this.eids.set(tr.id, s.eid);
      tr.openBucket = s.openBucket;
      tr.openPoints = s.openPoints;
      tr.lastWritten = s.lastWritten;
      tr.pending = tr.pending.slice(s.taken);
      tr.reportsPending -= s.reports;
    }
    this.stats.refusedOutOfOrder += refused;
    this.stats.pointsWritten += points;
    return { points, buckets };
  }

  /** The entity's eid: known, or named now in `tx` (another node may have named it: then its row is read). */
  private async eidOf(tx: SqlExecutor, e: { id: string; kind: EntityKind; orgCode: string }): Promise<number> {
    const known = this.eids.get(e.id);
    if (known !== undefined) return known;
    const row = (await tx.one<{ eid: number }>(SQL.addEntity, [e.id, e.kind, e.orgCode])) ?? (await tx.one<{ eid: number }>(SQL.entityEid, [e.id]));
    return row!.eid;
  }

  private bucketOf(t: number): number {
    return Math.floor(t / this.bucketS) * this.bucketS;
  }

  /** The district-local day of a time (s), looked up once per 10 minutes of time: a flush rolls up every kept point. */
  private dayOf(t: number): string {
    const key = Math.floor(t / 600);
    let day = this.days.get(key);
    if (day === undefined) {
      if (this.days.size > 4096) this.days.clear();
      // Whole 10-minute steps never straddle a local midnight for a zone offset in whole 10 minutes (all of China's).
      this.days.set(key, (day = localDate(key * 600_000, this.opts.timeZone)));
      if (localDate(key * 600_000 + 599_999, this.opts.timeZone) !== day) { this.days.delete(key); return localDate(t * 1000, this.opts.timeZone); }
    }
    return day;
  }

  /** Where retention cuts now: buckets starting before the retention period, roll-up days before its local date. */
  retentionCutoff(): RetentionCutoff {
    const cutoffMs = this.opts.now() - this.opts.retentionDays * 86_400_000;
    return { bucketS: Math.floor(cutoffMs / 1000 / this.bucketS) * this.bucketS, day: localDate(cutoffMs, this.opts.timeZone) };
  }

  /**
   * Deletes history older than the retention period — the same job on both stores; on
   * PostgreSQL whole expired partitions are dropped (server/history/partitions.ts), and
   * forgotten, so a late write into one makes it again.
   */
  prune(): Promise<RetentionResult> {
    return pruneHistory(this.sql, this.retentionCutoff(), this.partitions);
  }

  /** Points buffered and not yet written, a flush under way included (for health and the bench). */
  get pendingPoints(): number {
    let n = 0;
    for (const tr of this.tracked.values()) n += tr.pending.length;
    return n;
  }

  async track(entityId: string, from: number, to: number): Promise<HistoryPoint[]> {
    const row = await this.sql.one<{ eid: number; kind: string }>(SQL.entityRow, [entityId]);
    if (!row || !isEntityKind(row.kind)) return [];
    const { f, t, firstBucket } = this.span(from, to);
    const kind = row.kind;
    const n = HISTORY_READINGS[kind].length;
    const out: HistoryPoint[] = [];
    for (const r of await this.sql.query<{ bucket: number; blob: Buffer }>(SQL.range, [row.eid, firstBucket, t])) {
      for (const p of decodeTrack(r.bucket, n, r.blob)) if (p.t >= f && p.t <= t) out.push(toPoint(kind, p));
    }
    return out;
  }

  async window(from: number, to: number, kinds?: readonly EntityKind[]): Promise<Map<string, HistoryPoint[]>> {
    const { f, t, firstBucket } = this.span(from, to);
    const out = new Map<string, HistoryPoint[]>();
    if (kinds && kinds.length === 0) return out;
    const rows = await this.sql.query<{ entity_id: string; kind: string; bucket: number; blob: Buffer }>(windowSql(kinds?.length ?? 0), [firstBucket, t, ...(kinds ?? [])]);
    for (const r of rows) {
      if (!isEntityKind(r.kind)) continue;
      const kind = r.kind;
      let pts = out.get(r.entity_id);
      for (const p of decodeTrack(r.bucket, HISTORY_READINGS[kind].length, r.blob)) {
        if (p.t < f || p.t > t) continue;
        if (!pts) out.set(r.entity_id, (pts = []));
        pts.push(toPoint(kind, p));
      }
    }
    return out;
  }

  async positionsAt(ts: number): Promise<HistoryEntityState[]> {
    const t = Math.floor(ts / 1000);
    const rows = await this.sql.query<{ eid: number; entity_id: string; kind: string; bucket: number; blob: Buffer }>(lastTwoBucketsSql(0), [t]);
    return lastPointsAtOrBefore(rows, t).map(({ row, kind, point }) => ({ entityId: row.entity_id, kind, ...toPoint(kind, point) }));
  }

  /**
   * One statement: for each entity, its newest bucket (a primary-key seek each, by SQLite's
   * MAX optimisation — no scan of the track table), whose last point is the last kept state.
   * Up to the last flush.
   */
  async lastKnown(): Promise<HistoryEntityState[]> {
    const out: HistoryEntityState[] = [];
    for (const r of await this.sql.query<{ entity_id: string; kind: string; bucket: number; blob: Buffer }>(SQL.newest)) {
      if (!isEntityKind(r.kind)) continue;
      const pts = decodeTrack(r.bucket, HISTORY_READINGS[r.kind].length, r.blob);
      const last = pts[pts.length - 1];
      if (last) out.push({ entityId: r.entity_id, kind: r.kind, ...toPoint(r.kind, last) });
    }
    return out;
  }

  async daily(fromDay: string, toDay: string): Promise<DailyRow[]> {
    const rows = await this.sql.query<{ day: string; org_code: string; kind: string; reports: number; points: number; distance_m: number; online_s: number }>(SQL.dailyRange, [fromDay, toDay]);
    return rows.map((r) => ({
      day: r.day, orgCode: r.org_code, kind: r.kind as EntityKind, reports: r.reports, points: r.points, distanceM: r.distance_m, onlineS: r.online_s,
    }));
  }

  /** [from, to] ms as whole seconds inside it, and the first bucket that can hold one. */
  private span(from: number, to: number): { f: number; t: number; firstBucket: number } {
    const f = Math.ceil(from / 1000);
    return { f, t: Math.floor(to / 1000), firstBucket: this.bucketOf(f) };
  }

  private async entities(): Promise<{ eid: number; id: string; kind: EntityKind }[]> {
    const rows = await this.sql.query<{ eid: number; entity_id: string; kind: string }>(SQL.entities);
    return rows.flatMap((r) => (isEntityKind(r.kind) ? [{ eid: r.eid, id: r.entity_id, kind: r.kind }] : []));
  }
}

function newTracked(e: { id: string; kind: EntityKind; orgCode: string }): Tracked {
  return {
    id: e.id, kind: e.kind, orgCode: e.orgCode, eid: undefined, readingCount: HISTORY_READINGS[e.kind].length,
    lastKept: undefined, pending: [], openBucket: -1, openPoints: [], lastWritten: undefined, reportsPending: 0, lastReportT: 0, late: [],
  };
}

function statusCode(kind: EntityKind, status: string): number {
  const i = (ENTITY_STATUSES[kind] as readonly string[]).indexOf(status);
  // The ingest only accepts statuses of the vocabulary; 0 keeps a track decodable if that ever changes.
  return i >= 0 ? i : 0;
}

function toPoint(kind: EntityKind, p: TrackPoint): HistoryPoint {
  return {
    ts: p.t * 1000,
    lon: p.lon === null ? null : p.lon / 1e6,
    lat: p.lat === null ? null : p.lat / 1e6,
    status: ENTITY_STATUSES[kind][p.status] ?? ENTITY_STATUSES[kind][0],
    connectivity: CONNECTIVITY[p.conn] ?? 'offline',
    attrs: readingsToAttrs(kind, p.readings),
  };
}
