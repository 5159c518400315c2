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

  constructor(private readonly d: UpkeepDeps, startedAt: number) {
    // Nothing before the start has a socket on this process.
    this.sweptUntil = startedAt;
  }

  /** Emits the keys of everything that ended since the last sweep; returns how many. */
  sweep(now: number): number {
    if (now <= this.sweptUntil) return 0;
    const keys = new Set(this.d.access.endedSince(this.sweptUntil - SWEEP_OVERLAP_MS, now));
    this.sweptUntil = now;
    for (const key of keys) this.d.revoke(key);
    return keys.size;
  }

  prune(now: number): { sessions: number; audit: number; throttle: number } {
    return {
      sessions: this.d.access.pruneSessions(now - ENDED_SESSION_KEEP_MS),
      audit: this.d.audit.prune(now - this.d.auditRetentionMs),
      throttle: this.d.throttle.prune(now),
    };
  }
}
