/**
 * Login lockout with exponential backoff, kept in the store so that every node sharing it
 * counts the same failures. Two counters per attempt: the username (a password guessed from
 * many addresses) and the client address (many usernames tried from one place). Behind a load
 * balancer the address is only right with TRUST_PROXY set, hence the per-user counter.
 */
import type { SqlExecutor } from '../store/sql/types.ts';

export interface ThrottleRule {
  /** Failures allowed before the first lock (typos happen). */
  freeFailures: number;
  /** The first lock; each further failure doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A counter with no failure for this long starts again from zero. */
  forgetAfterMs: number;
}

export const USER_RULE: ThrottleRule = { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetAfterMs: 60 * 60_000 };
/** An office behind one NAT shares an address: more room before its lock. */
export const ADDRESS_RULE: ThrottleRule = { freeFailures: 20, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetAfterMs: 60 * 60_000 };

/** How long the key is locked after its n-th consecutive failure. */
export function lockDelayMs(failures: number, rule: ThrottleRule): number {
  if (failures <= rule.freeFailures) return 0;
  const doublings = failures - rule.freeFailures - 1;
  // 2^doublings overflows nothing below 2^1023, but the cap is reached long before: stop there.
  if (doublings >= 40) return rule.maxDelayMs;
  return Math.min(rule.baseDelayMs * 2 ** doublings, rule.maxDelayMs);
}

export const userKey = (username: string) => `user:${username}`;
export const addressKey = (address: string) => `addr:${address}`;

export class LoginThrottle {
  constructor(private readonly sql: SqlExecutor) {}

  /** The latest instant until which any of the keys is locked, or undefined when none is. */
  async lockedUntil(keys: string[], now: number): Promise<number | undefined> {
    let until: number | undefined;
    for (const key of keys) {
      const row = await this.sql.one<{ locked_until: number }>('SELECT locked_until FROM login_throttle WHERE key = $1', [key]);
      if (row && row.locked_until > now && (until === undefined || row.locked_until > until)) until = row.locked_until;
    }
    return until;
  }

  /**
   * Counts one failure; returns the key's failures so far. The count is one upsert, so two nodes
   * counting failures of the same key at once both count (a read, then a write, would lose one).
   * The lock follows from the count; it is set only while the count is still this one, so a
   * failure counted meanwhile, whose own lock is longer, is never shortened.
   */
  async recordFailure(key: string, rule: ThrottleRule, now: number): Promise<number> {
    const row = await this.sql.one<{ failures: number }>(
      `INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES ($1, 1, $2, $2)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN $2 - login_throttle.last_failure_at < $3 THEN login_throttle.failures + 1 ELSE 1 END,
         last_failure_at = excluded.last_failure_at
       RETURNING failures`,
      [key, now, rule.forgetAfterMs],
    );
    const failures = row!.failures;
    await this.sql.exec('UPDATE login_throttle SET locked_until = $1 WHERE key = $2 AND failures = $3', [now + lockDelayMs(failures, rule), key, failures]);
    return failures;
  }

  /** A correct password clears the user's counter (not the address's: one known account must not unlock guessing at others). */
  async clear(key: string): Promise<void> {
    await this.sql.exec('DELETE FROM login_throttle WHERE key = $1', [key]);
  }

  /** Drops counters that are neither locked nor recent enough to count. */
  async prune(now: number, forgetAfterMs = Math.max(USER_RULE.forgetAfterMs, ADDRESS_RULE.forgetAfterMs)): Promise<number> {
    return (await this.sql.exec('DELETE FROM login_throttle WHERE locked_until <= $1 AND last_failure_at < $2', [now, now - forgetAfterMs])).changes;
  }
}
