/**
 * Replay's reader of the history tables (server/history/schema.ts): the same rows and codec
 * as HistoryStore, but points stay in the codec's integers (TrackPoint) instead of becoming
 * an object with an attribute object each — an hour of the district is ~220,000 points, and
 * replay turns them straight into live-codec rows. Read-only.
 */
import { isEntityKind, type EntityKind } from '../../shared/entities.ts';
import { HISTORY_BUCKET_S } from '../history/history-store.ts';
import { HISTORY_READINGS } from '../history/readings.ts';
import { decodeTrack, type TrackPoint } from '../history/track-codec.ts';
import type { Db } from '../store/database.ts';

export interface TrackEntity { eid: number; id: string; kind: EntityKind }

export class ReplayTrackReader {
  private readonly q;
  /** The last bucket decoded per entity: a slice boundary inside a bucket does not decode it twice. */
  private readonly lastDecoded = new Map<number, { bucket: number; bytes: number; points: TrackPoint[] }>();

  constructor(db: Db, private readonly bucketS = HISTORY_BUCKET_S) {
    this.q = {
      entities: db.prepare<[], { eid: number; entity_id: string; kind: string }>('SELECT eid, entity_id, kind FROM history_entity ORDER BY eid'),
      range: db.prepare<[number, number, number], { bucket: number; blob: Buffer }>('SELECT bucket, blob FROM history_track WHERE eid = ? AND bucket BETWEEN ? AND ? ORDER BY bucket'),
      before: db.prepare<[number, number], { bucket: number; blob: Buffer }>('SELECT bucket, blob FROM history_track WHERE eid = ? AND bucket <= ? ORDER BY bucket DESC LIMIT 2'),
    };
  }

  entities(kinds?: readonly EntityKind[]): TrackEntity[] {
    return this.q.entities.all().flatMap((r) => (isEntityKind(r.kind) && (!kinds || kinds.includes(r.kind)) ? [{ eid: r.eid, id: r.entity_id, kind: r.kind }] : []));
  }

  /** Each entity's last kept point at or before `ts` (ms). */
  at(entities: readonly TrackEntity[], ts: number): Map<string, TrackPoint> {
    const t = Math.floor(ts / 1000);
    const out = new Map<string, TrackPoint>();
    for (const ent of entities) {
      const n = HISTORY_READINGS[ent.kind].length;
      for (const row of this.q.before.all(ent.eid, t)) {
        const pts = decodeTrack(row.bucket, n, row.blob);
        let k = pts.length - 1;
        while (k >= 0 && pts[k]!.t > t) k--;
        if (k >= 0) { out.set(ent.id, pts[k]!); break; }
      }
    }
    return out;
  }

  /** Each entity's kept points with after < t ≤ until (ms), oldest first; entities with none are left out. */
  slice(entities: readonly TrackEntity[], after: number, until: number): Map<string, TrackPoint[]> {
    const f = Math.floor(after / 1000) + 1;
    const t = Math.floor(until / 1000);
    const firstBucket = Math.floor(f / this.bucketS) * this.bucketS;
    const out = new Map<string, TrackPoint[]>();
    for (const ent of entities) {
      const n = HISTORY_READINGS[ent.kind].length;
      let pts: TrackPoint[] | undefined;
      const cached = this.lastDecoded.get(ent.eid);
      for (const row of this.q.range.all(ent.eid, firstBucket, t)) {
        // The same bucket with the same bytes (a flush may have appended to it meanwhile: then it is decoded again).
        const decoded = cached && cached.bucket === row.bucket && cached.bytes === row.blob.length ? cached.points : decodeTrack(row.bucket, n, row.blob);
        this.lastDecoded.set(ent.eid, { bucket: row.bucket, bytes: row.blob.length, points: decoded });
        for (const p of decoded) if (p.t >= f && p.t <= t) (pts ??= []).push(p);
      }
      if (pts) out.set(ent.id, pts);
    }
    return out;
  }
}
