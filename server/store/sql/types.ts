/**
 * The asynchronous SQL layer every repository is moving to (issue 9, part 1): one interface,
 * two drivers — the embedded SQLite file (server/store/sql/sqlite-store.ts) and PostgreSQL
 * (server/store/sql/postgres-store.ts), chosen by DATABASE_URL (server/store/sql/open.ts).
 *
 * SQL is written once with PostgreSQL's numbered placeholders (`$1`, `$2`, a number may repeat);
 * the SQLite driver rewrites them. New rows name their id with `RETURNING id`, never with a
 * driver's last-insert id, so the same statement works on both.
 */

export type SqlDialect = 'sqlite' | 'postgres';

/** What a placeholder binds: BIGINT/INTEGER come back as numbers, BLOB/BYTEA as Buffers on both drivers. */
export type SqlParam = string | number | bigint | boolean | null | Buffer | Uint8Array;

export type SqlRow = Record<string, unknown>;

export interface ExecResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** Statements, inside a transaction or not. */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  /** Every row the statement returns. */
  query<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** The first row, or undefined when there is none. */
  one<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  /** A statement whose rows are not read; one statement, or several without placeholders (DDL). */
  exec(sql: string, params?: readonly SqlParam[]): Promise<ExecResult>;
}

/** A transaction's handle: valid only until the callback's promise settles. */
export type SqlTx = SqlExecutor;

export interface SqlStore extends SqlExecutor {
  /**
   * Runs `work` in one transaction: committed when its promise resolves, rolled back when it
   * rejects (the rejection is passed on). Statements on the store itself wait until the
   * transaction ends on SQLite (one connection); on PostgreSQL they run on other connections.
   */
  transaction<T>(work: (tx: SqlTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A store failure with a message safe to log: never a password, never a connection string. */
export class SqlStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqlStoreError';
  }
}
