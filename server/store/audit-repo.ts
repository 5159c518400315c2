/** Every write is audited: who, what, on what, when. */
import type { Db } from './database.ts';

export interface AuditEntry { ts: number; actor: string; action: string; target: string | null; detail: string | null }

export class AuditRepo {
  constructor(private readonly db: Db) {}

  record(actor: string, action: string, target?: string, detail?: unknown, now = Date.now()): void {
    this.db.prepare('INSERT INTO audit (ts, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)').run(
      now, actor, action, target ?? null, detail === undefined ? null : JSON.stringify(detail),
    );
  }

  recent(limit = 100): AuditEntry[] {
    return this.db.prepare('SELECT ts, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?').all(limit) as AuditEntry[];
  }
}
