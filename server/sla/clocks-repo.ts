/**
 * The sla_clocks table. Rows are versioned: an update names the version it read, and a
 * stale one is refused (409) — the store, not a timer, is the truth about every clock.
 */
import type { SlaClock, SlaKind, SlaState } from '../../shared/sla.ts';
import type { SqlExecutor } from '../store/sql/types.ts';
import { HttpError } from '../http-error.ts';
import type { ClockPlan, ClockPolicy } from './policy.ts';

/** A clock as stored: the public shape plus the policy it started under and its row version. */
export interface StoredClock extends SlaClock {
  policy: ClockPolicy;
  version: number;
}

type ClockRow = {
  id: number; case_id: number; kind: SlaKind; state: SlaState; start_ts: number; due_ts: number; warn_ts: number;
  end_ts: number | null; paused_ms: number; paused_since: number | null; escalation_level: number; cancelled: number;
  policy: string; version: number;
};

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
  /** `sql`: the store, or the transaction a clock step writes in. */
  constructor(private readonly sql: SqlExecutor) {}

  async insert(caseId: number, plan: ClockPlan, now: number): Promise<StoredClock> {
    const r = await this.sql.one<ClockRow>(`INSERT INTO sla_clocks (case_id, kind, state, start_ts, due_ts, warn_ts, policy, updated_ts)
      VALUES ($1, $2, 'running', $3, $4, $5, $6, $7) RETURNING *`, [
      caseId, plan.kind, plan.startTs, plan.dueTs, plan.warnTs, JSON.stringify(plan.policy), now,
    ]);
    return fromRow(r!);
  }

  async find(caseId: number, kind: SlaKind): Promise<StoredClock | undefined> {
    const r = await this.sql.one<ClockRow>('SELECT * FROM sla_clocks WHERE case_id = $1 AND kind = $2', [caseId, kind]);
    return r && fromRow(r);
  }

  async byCase(caseId: number): Promise<StoredClock[]> {
    return (await this.sql.query<ClockRow>('SELECT * FROM sla_clocks WHERE case_id = $1 ORDER BY id', [caseId])).map(fromRow);
  }

  async byCases(caseIds: readonly number[]): Promise<StoredClock[]> {
    if (caseIds.length === 0) return [];
    const out: StoredClock[] = [];
    // SQLite caps bound parameters; chunks of 500 stay well under it.
    for (let i = 0; i < caseIds.length; i += 500) {
      const chunk = caseIds.slice(i, i + 500);
      const rows = await this.sql.query<ClockRow>(`SELECT * FROM sla_clocks WHERE case_id IN (${chunk.map((_, k) => `$${k + 1}`).join(',')}) ORDER BY id`, chunk);
      out.push(...rows.map(fromRow));
    }
    // Chunks come back each in id order; the whole list is too.
    return out.sort((a, b) => a.id - b.id);
  }

  /** Every clock that has not ended (running, warned, paused, or breached and still overdue). */
  async open(): Promise<StoredClock[]> {
    return (await this.sql.query<ClockRow>('SELECT * FROM sla_clocks WHERE end_ts IS NULL ORDER BY id')).map(fromRow);
  }

  /** Writes the clock's mutable fields if nobody changed the row since it was read; returns it with its new version. */
  async update(c: StoredClock, now: number): Promise<StoredClock> {
    const res = await this.sql.exec(`UPDATE sla_clocks SET state = $1, due_ts = $2, warn_ts = $3, end_ts = $4, paused_ms = $5, paused_since = $6,
      escalation_level = $7, cancelled = $8, version = version + 1, updated_ts = $9 WHERE id = $10 AND version = $11`, [
      c.state, c.dueTs, c.warnTs, c.endTs, c.pausedMs, c.pausedSince, c.escalationLevel, c.cancelled ? 1 : 0, now, c.id, c.version,
    ]);
    if (res.changes === 0) throw new HttpError(409, 'conflict', `SLA clock ${c.id} was changed by someone else (version ${c.version})`);
    return { ...c, version: c.version + 1 };
  }
}
