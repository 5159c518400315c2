/** Every write is audited: who, what, on what, when. Admins read it back through GET /api/audit. */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from './database.ts';

/**
 * The HTTP request being handled, if any: a route that records its own, richer entry marks
 * it, so the generic entry for a write (server/plugins/auth.ts) is only added where a route
 * recorded nothing.
 */
export interface AuditScope { recorded: boolean }
export const auditScope = new AsyncLocalStorage<AuditScope>();

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
  constructor(private readonly db: Db) {}

  record(actor: string, action: string, target?: string, detail?: unknown, now = Date.now()): void {
    const scope = auditScope.getStore();
    if (scope) scope.recorded = true;
    this.db.prepare('INSERT INTO audit (ts, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)').run(
      now, actor, action, target ?? null, detail === undefined ? null : JSON.stringify(detail),
    );
  }

  /** Newest first, at most `limit`; `nextBefore` is set when older entries match too. */
  query(f: AuditFilter): { entries: AuditEntry[]; nextBefore: number | null } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (f.actor !== undefined) { where.push('actor = ?'); args.push(f.actor); }
    if (f.action !== undefined) {
      const prefix = f.action.endsWith('*') ? f.action.slice(0, -1) : f.action.endsWith('.') ? f.action : undefined;
      if (prefix !== undefined) { where.push("action LIKE ? ESCAPE '\\'"); args.push(likePrefix(prefix)); } else { where.push('action = ?'); args.push(f.action); }
    }
    if (f.target !== undefined) { where.push("target LIKE ? ESCAPE '\\'"); args.push(likePrefix(f.target)); }
    if (f.from !== undefined) { where.push('ts >= ?'); args.push(f.from); }
    if (f.to !== undefined) { where.push('ts < ?'); args.push(f.to); }
    if (f.before !== undefined) { where.push('id < ?'); args.push(f.before); }
    const rows = this.db.prepare(
      `SELECT id, ts, actor, action, target, detail FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    ).all(...args, f.limit + 1) as { id: number; ts: number; actor: string; action: string; target: string | null; detail: string | null }[];
    const page = rows.slice(0, f.limit);
    return {
      entries: page.map((r) => ({ ...r, detail: r.detail === null ? null : parseDetail(r.detail) })),
      nextBefore: rows.length > f.limit ? page[page.length - 1]!.id : null,
    };
  }

  /** The newest entries as stored (detail as its JSON text). */
  recent(limit = 100): { ts: number; actor: string; action: string; target: string | null; detail: string | null }[] {
    return this.db.prepare('SELECT ts, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?').all(limit) as { ts: number; actor: string; action: string; target: string | null; detail: string | null }[];
  }

  /** Retention (AUDIT_RETENTION_DAYS): deletes entries older than `before`. */
  prune(before: number): number {
    return this.db.prepare('DELETE FROM audit WHERE ts < ?').run(before).changes;
  }
}

function parseDetail(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}
