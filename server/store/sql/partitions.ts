/**
 * PostgreSQL declarative range partitions, made on demand and dropped by retention. The bounds
 * are read back from the catalog (pg_get_expr of the partition bound), not parsed from names,
 * so a partition made by hand or by an older build is judged by what it really holds.
 */
import type { SqlExecutor, SqlStore } from './types.ts';

export interface RangePartition {
  name: string;
  /** Inclusive lower bound, as the bound's text (a number's digits, a string's characters). */
  from: string;
  /** Exclusive upper bound. */
  to: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The partitions of `parent`, in the current schema, in no particular order. */
export async function listRangePartitions(ex: SqlExecutor, parent: string): Promise<RangePartition[]> {
  assertIdentifier(parent);
  const rows = await ex.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass($1)`, [parent]);
  return rows.flatMap((r) => {
    const m = /^FOR VALUES FROM \('?(.*?)'?\) TO \('?(.*?)'?\)$/.exec(r.bound);
    return m ? [{ name: r.name, from: m[1]!, to: m[2]! }] : [];
  });
}

/**
 * Creates `name` as the partition [from, to) of `parent` unless it exists. Its own short
 * transaction (creating a partition locks the parent), under an advisory lock per partition so
 * two nodes making the same day's partition at once both succeed.
 */
export async function createRangePartition(store: SqlStore, parent: string, p: RangePartition): Promise<void> {
  assertIdentifier(parent);
  assertIdentifier(p.name);
  await store.transaction(async (tx) => {
    await tx.exec('SELECT pg_advisory_xact_lock(hashtext($1))', [`cityops:partition:${p.name}`]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF ${parent} FOR VALUES FROM (${literal(p.from)}) TO (${literal(p.to)})`);
  });
}

export async function dropPartition(ex: SqlExecutor, name: string): Promise<void> {
  assertIdentifier(name);
  await ex.exec(`DROP TABLE IF EXISTS ${name}`);
}

function assertIdentifier(name: string): void {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: "${name}"`);
}

/** A bound as SQL: digits stay a number, anything else a quoted string (our bounds are digits and dates). */
function literal(v: string): string {
  if (/^-?[0-9]+$/.test(v)) return v;
  if (!/^[0-9A-Za-z_-]+$/.test(v)) throw new Error(`unexpected partition bound "${v}"`);
  return `'${v}'`;
}
