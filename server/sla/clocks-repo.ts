/**
 * The sla_clocks table. Rows are versioned: an update names the version it read, and a
 * stale one is refused (409) — the store, not a timer, is the truth about every clock.
 */
import type { SlaClock, SlaKind, SlaState } from '../../shared/sla.ts';
import type { Db } from '../store/database.ts';
import { HttpError } from '../http-error.ts';
import type { ClockPlan, ClockPolicy } from './policy.ts';

/** A clock as stored: the public shape plus the policy it started under and its row version. */
export interface StoredClock extends SlaClock {
  policy: ClockPolicy;
  version: number;
}

interface ClockRow {
  id: number; case_id: number; kind: SlaKind; state: SlaState; start_ts: number; due_ts: number; warn_ts: number;
  end_ts: number | null; paused_ms: number; paused_since: number | null; escalation_level: number; cancelled: number;
  policy: string; version: number;
}

function fromRow(r: ClockRow): StoredClock {
  return {
    id: r.id, caseId: r.case_id, kind: r.kind, state: r.state, startTs: r.start_ts, dueTs: r.due_ts, warnTs: r.warn_ts,
    endTs: r.end_ts, pausedMs: r.paused_ms, pausedSince: r.paused_since, escalationLevel: r.escalation_level,
    ...(r.cancelled ? { cancelled: true } : {}),
    policy: JSON.parse(r.policy) as ClockPolicy, version: r.version,
  };
}

/** What screens and other modules see (no policy, no row version). */
export function publicClock(c: StoredClock): SlaClock {
  const { policy: _policy, version: _version, ...clock } = c;
  return clock;
}

export class ClocksRepo {
  constructor(private readonly db: Db) {}

  insert(caseId: number, plan: ClockPlan, now: number): StoredClock {
    const r = this.db.prepare(`INSERT INTO sla_clocks (case_id, kind, state, start_ts, due_ts, warn_ts, policy, updated_ts)
      VALUES (?, ?, 'running', ?, ?, ?, ?, ?) RETURNING *`).get(
      caseId, plan.kind, plan.startTs, plan.dueTs, plan.warnTs, JSON.stringify(plan.policy), now,
    ) as ClockRow;
    return fromRow(r);
  }

  find(caseId: number, kind: SlaKind): StoredClock | undefined {
    const r = this.db.prepare('SELECT * FROM sla_clocks WHERE case_id = ? AND kind = ?').get(caseId, kind) as ClockRow | undefined;
    return r && fromRow(r);
  }

  byCase(caseId: number): StoredClock[] {
    return (this.db.prepare('SELECT * FROM sla_clocks WHERE case_id = ? ORDER BY id').all(caseId) as ClockRow[]).map(fromRow);
  }

  byCases(caseIds: readonly number[]): StoredClock[] {
    if (caseIds.length === 0) return [];
    const out: StoredClock[] = [];
    // SQLite caps bound parameters; chunks of 500 stay well under it.
    for (let i = 0; i < caseIds.length; i += 500) {
      const chunk = caseIds.slice(i, i + 500);
      const rows = this.db.prepare(`SELECT * FROM sla_clocks WHERE case_id IN (${chunk.map(() => '?').join(',')}) ORDER BY id`).all(...chunk) as ClockRow[];
      out.push(...rows.map(fromRow));
    }
    return out;
  }

  /** Every clock that has not ended (running, warned, paused, or breached and still overdue). */
  open(): StoredClock[] {
    return (this.db.prepare('SELECT * FROM sla_clocks WHERE end_ts IS NULL ORDER BY id').all() as ClockRow[]).map(fromRow);
  }

  /** Writes the clock's mutable fields if nobody changed the row since it was read; returns it with its new version. */
  update(c: StoredClock, now: number): StoredClock {
    const res = this.db.prepare(`UPDATE sla_clocks SET state = ?, due_ts = ?, warn_ts = ?, end_ts = ?, paused_ms = ?, paused_since = ?,
      escalation_level = ?, cancelled = ?, version = version + 1, updated_ts = ? WHERE id = ? AND version = ?`).run(
      c.state, c.dueTs, c.warnTs, c.endTs, c.pausedMs, c.pausedSince, c.escalationLevel, c.cancelled ? 1 : 0, now, c.id, c.version,
    );
    if (res.changes === 0) throw new HttpError(409, 'conflict', `SLA clock ${c.id} was changed by someone else (version ${c.version})`);
    return { ...c, version: c.version + 1 };
  }
}
