/**
 * Login lockout with exponential backoff, kept in the store so that every node sharing it
 * counts the same failures. Two counters per attempt: the username (a password guessed from
 * many addresses) and the client address (many usernames tried from one place). Behind a load
 * balancer the address is only right with TRUST_PROXY set, hence the per-user counter.
 */
import type { Db } from '../store/database.ts';

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
  constructor(private readonly db: Db) {}

  /** The latest instant until which any of the keys is locked, or undefined when none is. */
  lockedUntil(keys: string[], now: number): number | undefined {
    let until: number | undefined;
    const get = this.db.prepare('SELECT locked_until FROM login_throttle WHERE key = ?');
    for (const key of keys) {
      const row = get.get(key) as { locked_until: number } | undefined;
      if (row && row.locked_until > now && (until === undefined || row.locked_until > until)) until = row.locked_until;
    }
    return until;
  }

  /** Counts one failure; returns the key's failures so far. */
  recordFailure(key: string, rule: ThrottleRule, now: number): number {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT failures, last_failure_at FROM login_throttle WHERE key = ?').get(key) as { failures: number; last_failure_at: number } | undefined;
      const failures = row && now - row.last_failure_at < rule.forgetAfterMs ? row.failures + 1 : 1;
      this.db.prepare(
        `INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`,
      ).run(key, failures, now, now + lockDelayMs(failures, rule));
      return failures;
    })();
  }

  /** A correct password clears the user's counter (not the address's: one known account must not unlock guessing at others). */
  clear(key: string): void {
    this.db.prepare('DELETE FROM login_throttle WHERE key = ?').run(key);
  }

  /** Drops counters that are neither locked nor recent enough to count. */
  prune(now: number, forgetAfterMs = Math.max(USER_RULE.forgetAfterMs, ADDRESS_RULE.forgetAfterMs)): number {
    return this.db.prepare('DELETE FROM login_throttle WHERE locked_until <= ? AND last_failure_at < ?').run(now, now - forgetAfterMs).changes;
  }
}
