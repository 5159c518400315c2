/**
 * What keeps sessions honest after they were handed out:
 *  - the sweep finds sessions that expired, were revoked (also by the operator CLI, another
 *    process that cannot reach this one's sockets) or whose user was disabled, and display
 *    tokens revoked, and emits their revocation keys so live sockets opened with them close;
 *  - the retention job deletes ended sessions, audit entries older than AUDIT_RETENTION_DAYS
 *    and stale login-failure counters.
 */
import type { AccessRepo } from '../store/access-repo.ts';
import type { AuditRepo } from '../store/audit-repo.ts';
import type { LoginThrottle } from './login-throttle.ts';

/**
 * Each sweep looks this far behind the previous one: a revocation written by another process
 * with a timestamp taken just before our last sweep read the table must not fall between two
 * windows. Emitting a key twice only repeats a disconnect of sockets that are gone.
 */
export const SWEEP_OVERLAP_MS = 10_000;
/** Ended sessions stay this long (the sweep must have seen them) before they are deleted. */
export const ENDED_SESSION_KEEP_MS = 24 * 3_600_000;

export interface UpkeepDeps {
  access: AccessRepo;
  audit: AuditRepo;
  throttle: LoginThrottle;
  /** Emits a revocation key (server/plugins/auth.ts `events`, which realtime listens to). */
  revoke: (key: string) => void;
  auditRetentionMs: number;
}

export class AccessUpkeep {
  private sweptUntil: number;
  /** The sweep under way: a timer that fires while the store is slow waits for none, it skips. */
  private sweeping = false;

  constructor(private readonly d: UpkeepDeps, startedAt: number) {
    // Nothing before the start has a socket on this process.
    this.sweptUntil = startedAt;
  }

  /** Emits the keys of everything that ended since the last sweep; returns how many (0 when a sweep is under way). */
  async sweep(now: number): Promise<number> {
    if (now <= this.sweptUntil || this.sweeping) return 0;
    this.sweeping = true;
    try {
      const keys = new Set(await this.d.access.endedSince(this.sweptUntil - SWEEP_OVERLAP_MS, now));
      this.sweptUntil = now;
      for (const key of keys) this.d.revoke(key);
      return keys.size;
    } finally {
      this.sweeping = false;
    }
  }

  async prune(now: number): Promise<{ sessions: number; audit: number; throttle: number }> {
    return {
      sessions: await this.d.access.pruneSessions(now - ENDED_SESSION_KEEP_MS),
      audit: await this.d.audit.prune(now - this.d.auditRetentionMs),
      throttle: await this.d.throttle.prune(now),
    };
  }
}
