/**
 * Every write is audited: who, what, on what, when. Admins read it back through GET /api/audit.
 * On the asynchronous layer (server/store/sql/): a write that runs in a transaction passes its
 * handle to record(), so the entry commits — or rolls back — with the write it describes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SqlExecutor, SqlParam } from './sql/types.ts';

/**
 * The HTTP request being handled, if any: a route that records its own, richer entry marks
 * it, so the generic entry for a write (server/plugins/auth.ts) is only added where a route
 * recorded nothing.
 */
export interface AuditScope { recorded: boolean }
export const auditScope = new AsyncLocalStorage<AuditScope>();

/** One entry to record; `ts` defaults to now. */
export interface AuditRecord { actor: string; action: string; target?: string; detail?: unknown; ts?: number }

export interface AuditEntry { id: number; ts: number; actor: string; action: string; target: string | null; detail: unknown }

export interface AuditFilter {
  actor?: string;
  /** An exact action, or a prefix ending in '.' or '*' ('case.' / 'case*': every case action). */
  action?: string;
  /** Entries whose target starts with this (e.g. '/api/cases/12' or 'case:12'). */
  target?: string;
  from?: number;
  to?: number;
  /** Paging: entries older than this id (the previous page's nextBefore). */
  before?: number;
  limit: number;
}

/** LIKE's wildcards in a user's text match themselves. */
function likePrefix(s: string): string {
  return `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class AuditRepo {
  constructor(private readonly sql: SqlExecutor) {}

  /**
   * Adds the entry, through `tx` when the write it describes runs in a transaction. The HTTP
   * request's scope is marked at the call, before any await, so the generic entry of
   * server/plugins/auth.ts is left out even when this insert is still under way.
   */
  async record(entry: AuditRecord, tx?: SqlExecutor): Promise<void> {
    markScope();
    await (tx ?? this.sql).exec('INSERT INTO audit (ts, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)', auditRow(entry));
  }

  /** Newest first, at most `limit`; `nextBefore` is set when older entries match too. */
  async query(f: AuditFilter): Promise<{ entries: AuditEntry[]; nextBefore: number | null }> {
    const where: string[] = [];
    const args: SqlParam[] = [];
    const param = (v: SqlParam) => { args.push(v); return `$${args.length}`; };
    // SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's ILIKE keeps that answer.
    const like = this.sql.dialect === 'postgres' ? 'ILIKE' : 'LIKE';
    if (f.actor !== undefined) where.push(`actor = ${param(f.actor)}`);
    if (f.action !== undefined) {
      const prefix = f.action.endsWith('*') ? f.action.slice(0, -1) : f.action.endsWith('.') ? f.action : undefined;
      if (prefix !== undefined) where.push(`action ${like} ${param(likePrefix(prefix))} ESCAPE '\\'`);
      else where.push(`action = ${param(f.action)}`);
    }
    if (f.target !== undefined) where.push(`target ${like} ${param(likePrefix(f.target))} ESCAPE '\\'`);
    if (f.from !== undefined) where.push(`ts >= ${param(f.from)}`);
    if (f.to !== undefined) where.push(`ts < ${param(f.to)}`);
    // A cursor beyond every id (2^53) pages from the newest, as on SQLite; PostgreSQL would refuse it as a BIGINT.
    if (f.before !== undefined) where.push(`id < ${param(Math.min(f.before, Number.MAX_SAFE_INTEGER))}`);
    const rows = await this.sql.query<{ id: number; ts: number; actor: string; action: string; target: string | null; detail: string | null }>(
      `SELECT id, ts, actor, action, target, detail FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${param(f.limit + 1)}`,
      args,
    );
    const page = rows.slice(0, f.limit);
    return {
      entries: page.map((r) => ({ ...r, detail: r.detail === null ? null : parseDetail(r.detail) })),
      nextBefore: rows.length > f.limit ? page[page.length - 1]!.id : null,
    };
  }

  /** The newest entries as stored (detail as its JSON text). */
  async recent(limit = 100): Promise<{ ts: number; actor: string; action: string; target: string | null; detail: string | null }[]> {
    return this.sql.query<{ ts: number; actor: string; action: string; target: string | null; detail: string | null }>(
      'SELECT ts, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT $1', [limit],
    );
  }

  /** Retention (AUDIT_RETENTION_DAYS): deletes entries older than `before`. */
  async prune(before: number): Promise<number> {
    return (await this.sql.exec('DELETE FROM audit WHERE ts < $1', [before])).changes;
  }
}

function markScope(): void {
  const scope = auditScope.getStore();
  if (scope) scope.recorded = true;
}

function auditRow(entry: AuditRecord): SqlParam[] {
  return [entry.ts ?? Date.now(), entry.actor, entry.action, entry.target ?? null, entry.detail === undefined ? null : JSON.stringify(entry.detail)];
}

function parseDetail(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}
