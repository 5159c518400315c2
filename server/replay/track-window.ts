/**
 * Replay's reader of the history tables (server/history/schema.ts): the same rows and codec
 * as HistoryStore, but points stay in the codec's integers (TrackPoint) instead of becoming
 * an object with an attribute object each — an hour of the district is ~220,000 points, and
 * replay turns them straight into live-codec rows. Read-only, on the asynchronous store layer.
 */
import { isEntityKind, type EntityKind } from '../../shared/entities.ts';
import { HISTORY_BUCKET_S, lastPointsAtOrBefore, lastTwoBucketsSql, windowSql } from '../history/history-store.ts';
import { HISTORY_READINGS } from '../history/readings.ts';
import { decodeTrack, type TrackPoint } from '../history/track-codec.ts';
import type { SqlExecutor } from '../store/sql/types.ts';

export interface TrackEntity { eid: number; id: string; kind: EntityKind }

const ENTITIES = 'SELECT eid, entity_id, kind FROM history_entity ORDER BY eid';

export class ReplayTrackReader {
  /** The last bucket decoded per entity: a slice boundary inside a bucket does not decode it twice. */
  private readonly lastDecoded = new Map<number, { bucket: number; bytes: number; points: TrackPoint[] }>();

  constructor(private readonly sql: SqlExecutor, private readonly bucketS = HISTORY_BUCKET_S) {}

  async entities(kinds?: readonly EntityKind[]): Promise<TrackEntity[]> {
    const rows = await this.sql.query<{ eid: number; entity_id: string; kind: string }>(ENTITIES);
    return rows.flatMap((r) => (isEntityKind(r.kind) && (!kinds || kinds.includes(r.kind)) ? [{ eid: r.eid, id: r.entity_id, kind: r.kind }] : []));
  }

  /** Each entity's last kept point at or before `ts` (ms), in the order of `entities`. One statement for all of them. */
  async at(entities: readonly TrackEntity[], ts: number): Promise<Map<string, TrackPoint>> {
    const t = Math.floor(ts / 1000);
    const out = new Map<string, TrackPoint>();
    if (entities.length === 0) return out;
    const kinds = [...new Set(entities.map((e) => e.kind))];
    const rows = await this.sql.query<{ eid: number; kind: string; bucket: number; blob: Buffer }>(lastTwoBucketsSql(kinds.length), [t, ...kinds]);
    const last = new Map(lastPointsAtOrBefore(rows, t).map(({ row, point }) => [row.eid, point]));
    for (const ent of entities) {
      const p = last.get(ent.eid);
      if (p) out.set(ent.id, p);
    }
    return out;
  }

  /** Each entity's kept points with after < t ≤ until (ms), oldest first; entities with none are left out. One statement for all of them. */
  async slice(entities: readonly TrackEntity[], after: number, until: number): Promise<Map<string, TrackPoint[]>> {
    const f = Math.floor(after / 1000) + 1;
    const t = Math.floor(until / 1000);
    const firstBucket = Math.floor(f / this.bucketS) * this.bucketS;
    const out = new Map<string, TrackPoint[]>();
    if (entities.length === 0) return out;
    const wanted = new Map(entities.map((e) => [e.eid, e]));
    const kinds = [...new Set(entities.map((e) => e.kind))];
    const rows = await this.sql.query<{ eid: number; bucket: number; blob: Buffer }>(windowSql(kinds.length), [firstBucket, t, ...kinds]);
    for (const row of rows) {
      const ent = wanted.get(row.eid);
      if (!ent) continue;
      const cached = this.lastDecoded.get(ent.eid);
      // The same bucket with the same bytes (a flush may have appended to it meanwhile: then it is decoded again).
      const decoded = cached && cached.bucket === row.bucket && cached.bytes === row.blob.length ? cached.points : decodeTrack(row.bucket, HISTORY_READINGS[ent.kind].length, row.blob);
      this.lastDecoded.set(ent.eid, { bucket: row.bucket, bytes: row.blob.length, points: decoded });
      let pts = out.get(ent.id);
      for (const p of decoded) if (p.t >= f && p.t <= t) { if (!pts) out.set(ent.id, (pts = [])); pts.push(p); }
    }
    return out;
  }
}
