/**
 * Time partitions of the history store in PostgreSQL, and retention on both stores.
 *
 * PostgreSQL: `history_track` is partitioned by day (UTC days in bucket seconds) and
 * `history_daily` by month; a partition is made the first time a write needs it, and retention
 * drops every partition that ends at or before the cut-off, then deletes the expired rows of
 * the one partition the cut-off falls in — so exactly what SQLite deletes is gone, but most of
 * it by a DROP that costs nothing however many rows it held.
 * SQLite: one table each; retention deletes by time.
 */
import { createRangePartition, dropPartition, listRangePartitions, type RangePartition } from '../store/sql/partitions.ts';
import type { SqlStore } from '../store/sql/types.ts';

const DAY_S = 86_400;

/** The day partition of `history_track` that holds a bucket (seconds since epoch). */
export function trackPartitionOf(bucketS: number): RangePartition {
  const from = Math.floor(bucketS / DAY_S) * DAY_S;
  return { name: `history_track_p${utcDay(from).replaceAll('-', '')}`, from: String(from), to: String(from + DAY_S) };
}

/** The month partition of `history_daily` that holds a local day (YYYY-MM-DD). */
export function dailyPartitionOf(day: string): RangePartition {
  const m = /^(\d{4})-(\d{2})-\d{2}$/.exec(day);
  if (!m) throw new Error(`not a day (YYYY-MM-DD): "${day}"`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const next = month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
  return { name: `history_daily_p${m[1]}${m[2]}`, from: `${m[1]}-${m[2]}-01`, to: `${next}-01` };
}

/**
 * Makes sure the partitions for these buckets and days exist (PostgreSQL; nothing to do on
 * SQLite). Remembers what it made, so the steady state costs a set lookup per write.
 */
export class HistoryPartitions {
  private readonly known = new Set<string>();

  constructor(private readonly store: SqlStore) {}

  async ensure(bucketsS: Iterable<number>, days: Iterable<string> = []): Promise<number> {
    if (this.store.dialect !== 'postgres') return 0;
    if (this.known.size === 0) await this.learn();
    let made = 0;
    const wanted = new Map<string, { parent: string; p: RangePartition }>();
    for (const b of bucketsS) { const p = trackPartitionOf(b); wanted.set(p.name, { parent: 'history_track', p }); }
    for (const d of days) { const p = dailyPartitionOf(d); wanted.set(p.name, { parent: 'history_daily', p }); }
    for (const [name, { parent, p }] of wanted) {
      if (this.known.has(name)) continue;
      await createRangePartition(this.store, parent, p);
      this.known.add(name);
      made++;
    }
    return made;
  }

  /** After retention dropped partitions: forget them, so a late write makes its partition again. */
  forget(names: Iterable<string>): void {
    for (const n of names) this.known.delete(n);
  }

  private async learn(): Promise<void> {
    for (const parent of ['history_track', 'history_daily']) {
      for (const p of await listRangePartitions(this.store, parent)) this.known.add(p.name);
    }
  }
}

export interface RetentionCutoff {
  /** Track buckets starting before this (seconds since epoch) are expired. */
  bucketS: number;
  /** Roll-up days before this (YYYY-MM-DD) are expired. */
  day: string;
}

export interface RetentionResult {
  /** PostgreSQL partitions dropped whole. */
  droppedPartitions: string[];
  /** Track rows deleted one by one (SQLite: all of them; PostgreSQL: those of the partition the cut-off falls in). */
  deletedTrackRows: number;
  deletedDailyRows: number;
}

/** Removes history older than the cut-off. */
export async function pruneHistory(store: SqlStore, cutoff: RetentionCutoff, partitions?: HistoryPartitions): Promise<RetentionResult> {
  const dropped: string[] = [];
  if (store.dialect === 'postgres') {
    await store.transaction(async (tx) => {
      for (const p of await listRangePartitions(tx, 'history_track')) {
        if (Number(p.to) <= cutoff.bucketS) { await dropPartition(tx, p.name); dropped.push(p.name); }
      }
      for (const p of await listRangePartitions(tx, 'history_daily')) {
        // Bounds are YYYY-MM-DD strings: their order is the calendar's.
        if (p.to <= cutoff.day) { await dropPartition(tx, p.name); dropped.push(p.name); }
      }
    });
    partitions?.forget(dropped);
  }
  // One statement each, no transaction: on SQLite the handle is shared with repositories that write
  // synchronously, and a transaction held across awaits would take their writes into it. SQLite
  // walks the primary key (eid, bucket) once per entity; PostgreSQL visits only the partition the
  // cut-off falls in. A retention interrupted between the two is finished by the next run.
  const track = (await store.exec('DELETE FROM history_track WHERE eid IN (SELECT eid FROM history_entity) AND bucket < $1', [cutoff.bucketS])).changes;
  const daily = (await store.exec('DELETE FROM history_daily WHERE day < $1', [cutoff.day])).changes;
  return { droppedPartitions: dropped.sort(), deletedTrackRows: track, deletedDailyRows: daily };
}

function utcDay(s: number): string {
  return new Date(s * 1000).toISOString().slice(0, 10);
}
