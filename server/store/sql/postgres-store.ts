/**
 * The PostgreSQL driver (node-postgres), selected by DATABASE_URL=postgres://…. A pool of
 * connections; a transaction takes one connection from BEGIN to COMMIT, so transactions run
 * concurrently and PostgreSQL's locks order them.
 *
 * Values come back as the SQLite driver returns them: BIGINT, NUMERIC (SUM of a BIGINT) and
 * COUNT as numbers (node-postgres would give strings), BYTEA as Buffers — one set of
 * repository code for both drivers.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { SqlStoreError, type ExecResult, type SqlParam, type SqlRow, type SqlStore, type SqlTx } from './types.ts';

/** A schema name this layer accepts: created and put first on the search path of every connection. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/db — never logged; errors name it with describeDatabaseUrl(). */
  url: string;
  /** A schema of its own (tests make one per run); created when missing. Default: the server's search path. */
  schema?: string;
  /** Connections at most (default 10). */
  maxConnections?: number;
  /** An idle connection's failure (the server restarted, the network dropped): reported, never thrown. */
  onIdleError?: (err: Error) => void;
}

export class PostgresStore implements SqlStore {
  readonly dialect = 'postgres' as const;
  readonly schema: string | undefined;
  private readonly pool: pg.Pool;
  private readonly inside = new AsyncLocalStorage<PostgresStore>();
  private readonly where: string;

  private constructor(opts: PostgresStoreOptions) {
    if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
      throw new SqlStoreError(`invalid PostgreSQL schema name "${opts.schema}": lower-case letters, digits and _ only, at most 63`);
    }
    this.schema = opts.schema;
    this.where = describeDatabaseUrl(opts.url);
    const types = new pg.TypeOverrides();
    types.setTypeParser(INT8_OID, parseSafeInteger);
    types.setTypeParser(NUMERIC_OID, Number);
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.maxConnections ?? 10,
      types,
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    // Without a handler an idle connection's error is thrown from the pool and ends the process.
    this.pool.on('error', (err) => opts.onIdleError?.(err));
  }

  /** Connects once (so a wrong URL fails at start, not at the first request) and creates the schema when one is named. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(opts);
    try {
      if (store.schema) await store.pool.query(`CREATE SCHEMA IF NOT EXISTS ${store.schema}`);
      else await store.pool.query('SELECT 1');
    } catch (err) {
      await store.pool.end().catch(() => undefined);
      throw new SqlStoreError(`cannot use PostgreSQL at ${store.where}: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  query<T extends SqlRow = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    this.assertOutsideTransaction();
    return runQuery<T>(this.pool, sql, params).then((r) => r.rows);
  }

  one<T extends SqlRow = SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return this.query<T>(sql, params).then((rows) => rows[0]);
  }

  exec(sql: string, params: readonly SqlParam[] = []): Promise<ExecResult> {
    this.assertOutsideTransaction();
    return runQuery(this.pool, sql, params).then(changesOf);
  }

  async transaction<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> {
    if (this.inside.getStore() === this) {
      throw new SqlStoreError('a transaction was opened inside another on the same store: pass the outer transaction handle down instead');
    }
    const client = await this.pool.connect();
    let open = true;
    const guard = (): void => { if (!open) throw new SqlStoreError('this transaction has ended; its handle cannot run statements'); };
    // One connection runs one statement at a time: statements a transaction's work starts side by
    // side (several reports filed at once inside it) are queued here, in the order they were asked,
    // rather than handed to the client together (node-postgres deprecates that, and pg 9 refuses it).
    let tail: Promise<unknown> = Promise.resolve();
    const inTurn = <R>(sql: string, params: readonly SqlParam[]): Promise<pg.QueryResult<R & SqlRow>> => {
      guard();
      const run = tail.then(() => runQuery<R & SqlRow>(client, sql, params));
      tail = run.catch(() => undefined);
      return run;
    };
    const tx: SqlTx = {
      dialect: 'postgres',
      query: async <R extends SqlRow>(sql: string, params: readonly SqlParam[] = []) => (await inTurn<R>(sql, params)).rows,
      one: async <R extends SqlRow>(sql: string, params: readonly SqlParam[] = []): Promise<R | undefined> => (await inTurn<R>(sql, params)).rows[0],
      exec: async (sql: string, params: readonly SqlParam[] = []) => changesOf(await inTurn(sql, params)),
    };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await this.inside.run(this, () => work(tx));
      await tail; // a statement the work started but did not await still belongs to it
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        // A connection that cannot roll back is not given to the next caller.
        broken = rollbackErr as Error;
      }
      throw err;
    } finally {
      open = false;
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private assertOutsideTransaction(): void {
    if (this.inside.getStore() === this) {
      throw new SqlStoreError('a statement on the store was run inside one of its transactions: use the transaction handle');
    }
  }
}

/** host:port/database with the user, never the password: safe in logs and error messages. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return '(an unparsable DATABASE_URL)';
  }
}

function runQuery<T extends SqlRow>(on: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlParam[]): Promise<pg.QueryResult<T>> {
  return params.length === 0 ? on.query<T>(sql) : on.query<T>(sql, params as unknown[]);
}

function changesOf(r: pg.QueryResult | pg.QueryResult[]): ExecResult {
  // A script of several statements answers with one result each.
  const all = Array.isArray(r) ? r : [r];
  return { changes: all.reduce((n, x) => n + (x.command === 'SELECT' ? 0 : (x.rowCount ?? 0)), 0) };
}

function parseSafeInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new SqlStoreError(`a BIGINT of ${text} is beyond what a JavaScript number holds exactly`);
  return n;
}
