/**
 * The embedded driver: better-sqlite3 behind the asynchronous interface. The handle is the one
 * server/store/database.ts opens (WAL, synchronous=FULL, migrated), so behaviour is unchanged
 * and repositories not yet converted keep using it directly.
 *
 * better-sqlite3 is synchronous and the file has one connection, so an asynchronous transaction
 * holds the connection from BEGIN to COMMIT: other transactions and statements on the store wait
 * their turn (a queue), or they would land inside it and be rolled back with it. Keep the work
 * between `await`s short — a transaction that waits on the network holds every writer.
 * While unconverted repositories write through the same handle synchronously, nothing queues
 * them: one that runs between two awaits of a layer transaction writes inside it. So until they
 * are converted, the server opens no layer transaction on SQLite (retention deletes without one).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import { toPositional } from './placeholders.ts';
import { SqlStoreError, type ExecResult, type SqlParam, type SqlRow, type SqlStore, type SqlTx } from './types.ts';

type Statement = Database.Statement<unknown[], unknown>;

/** Statements kept prepared at most; the repositories use a few hundred distinct ones. */
const STATEMENT_CACHE_MAX = 1000;

export class SqliteStore implements SqlStore {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, { stmt: Statement; reader: boolean }>();
  /** Settles when the running transaction ends; undefined when none runs. */
  private busy: Promise<void> | undefined;
  private readonly inside = new AsyncLocalStorage<SqliteStore>();
  private closed = false;

  /** `ownsHandle`: close() closes the handle too (false when database.ts's owner closes it). */
  constructor(readonly db: Database.Database, private readonly ownsHandle = false) {}

  async query<T extends SqlRow = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    await this.turn();
    return this.run('query', sql, params) as T[];
  }

  async one<T extends SqlRow = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    await this.turn();
    return (this.run('query', sql, params) as T[])[0];
  }

  async exec(sql: string, params: readonly SqlParam[] = []): Promise<ExecResult> {
    await this.turn();
    return this.run('exec', sql, params) as ExecResult;
  }

  async transaction<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
    if (this.inside.getStore() === this) {
      throw new SqlStoreError('a transaction was opened inside another on the same store: pass the outer transaction handle down instead');
    }
    while (this.busy) await this.busy;
    this.assertOpen();
    let release!: () => void;
    this.busy = new Promise<void>((r) => { release = r; });
    let open = true;
    const run = (kind: 'query' | 'exec', sql: string, params: readonly SqlParam[]): SqlRow[] | ExecResult => {
      if (!open) throw new SqlStoreError('this transaction has ended; its handle cannot run statements');
      return this.run(kind, sql, params);
    };
    const tx: SqlTx = {
      dialect: 'sqlite',
      query: async <R extends SqlRow>(sql: string, params: readonly SqlParam[] = []) => run('query', sql, params) as R[],
      one: async <R extends SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<R | undefined> => { const rows = run('query', sql, params) as R[]; return rows[0]; },
      exec: async (sql: string, params: readonly SqlParam[] = []) => run('exec', sql, params) as ExecResult,
    };
    try {
      // IMMEDIATE: the write lock is taken now, so another process on the file cannot make this transaction fail at its first write.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.inside.run(this, () => work(tx));
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      open = false;
      this.busy = undefined;
      release();
    }
  }

  async close(): Promise<void> {
    while (this.busy) await this.busy;
    this.closed = true;
    this.statements.clear();
    if (this.ownsHandle) this.db.close();
  }

  /** Waits for a running transaction, unless the caller is that transaction's own code using the store by mistake. */
  private async turn(): Promise<void> {
    if (this.inside.getStore() === this) {
      throw new SqlStoreError('a statement on the store was run inside one of its transactions: use the transaction handle');
    }
    while (this.busy) await this.busy;
    this.assertOpen();
  }

  private assertOpen(): void {
    if (this.closed) throw new SqlStoreError('the store is closed');
  }

  private run(kind: 'query' | 'exec', sql: string, params: readonly SqlParam[]): SqlRow[] | ExecResult {
    const positional = toPositional(sql, params);
    let entry: { stmt: Statement; reader: boolean };
    try {
      entry = this.prepared(positional.sql);
    } catch (err) {
      // A script (migrations, DDL) is several statements: better-sqlite3 runs those only through exec().
      if (kind === 'exec' && params.length === 0 && err instanceof RangeError && /more than one statement/.test(err.message)) {
        this.db.exec(sql);
        return { changes: 0 };
      }
      throw err;
    }
    const { stmt, reader } = entry;
    const values = positional.params.map(toSqliteValue);
    if (reader) {
      const rows = stmt.all(...values) as SqlRow[];
      return kind === 'query' ? rows : { changes: rows.length };
    }
    const info = stmt.run(...values);
    return kind === 'query' ? [] : { changes: info.changes };
  }

  private prepared(sql: string): { stmt: Statement; reader: boolean } {
    let entry = this.statements.get(sql);
    if (!entry) {
      if (this.statements.size >= STATEMENT_CACHE_MAX) this.statements.clear();
      const stmt = this.db.prepare(sql) as Statement;
      this.statements.set(sql, (entry = { stmt, reader: stmt.reader }));
    }
    return entry;
  }
}

/** SQLite binds no booleans: 1/0 as the schema's flag columns store them. */
function toSqliteValue(v: SqlParam): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

