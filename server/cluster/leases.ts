/**
 * Leases in Redis: one holder per name cluster-wide, so that exactly one node runs each
 * run-once job. Acquired with SET NX PX and given a fencing token (a counter per name that only
 * grows); renewed every third of the TTL by a script that extends the key only while it still
 * holds this node's value. A holder that cannot renew (Redis away, the event loop stalled)
 * gives the lease up by its own clock before the key can expire in Redis, so two holders never
 * overlap by more than the clock drift between them; another node takes over after the TTL.
 */
import type { Redis } from 'ioredis';

/** Sets the key and numbers the holding; 0 when someone holds it. */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local fence = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', ARGV[2])
  return fence
end
return 0`;
/** Extends the key's life only while it still holds our value (a lease or a terminal claim). */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
/** Deletes the key only while it still holds our value: never another holder's. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface LeaseEvents {
  acquired(fence: number): void;
  lost(reason: string): void;
}

export interface LeaseStatus {
  name: string;
  held: boolean;
  /** The fencing token of this node's holding (0 when not held). */
  fence: number;
  /** Who holds it, as last read from Redis (node id), when known. */
  holder: string | null;
}

export class Lease {
  private fence = 0;
  /** Monotonic ms until which this node may act; 0: not held. */
  private validUntil = 0;
  private holder: string | null = null;
  private busy = false;

  constructor(
    private readonly redis: Redis,
    readonly name: string,
    private readonly key: string,
    private readonly nodeId: string,
    private readonly ttlMs: number,
    private readonly events: LeaseEvents,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** True while this node holds the lease by its own clock (checked before each act of a job). */
  held(): boolean {
    return this.validUntil > 0 && this.clock() < this.validUntil;
  }

  /** The token to pass with a fenced write: a later holder's is always greater. */
  get token(): number {
    return this.held() ? this.fence : 0;
  }

  private get value(): string {
    return `${this.nodeId}:${this.fence}`;
  }

  /** One step: acquire when free, renew when held, give up when the local clock says it has run out. Never throws. */
  async step(): Promise<void> {
    // Before anything else: a renewal still hanging on a stalled Redis must not keep the job running.
    if (this.validUntil > 0 && !this.held()) this.drop('not renewed in time');
    if (this.busy) return;
    this.busy = true;
    try {
      const sentAt = this.clock();
      if (this.validUntil > 0) {
        const ok = await this.redis.eval(RENEW, 1, this.key, this.value, String(this.ttlMs));
        // Counted from before the request: the key in Redis lives at least that long.
        if (ok === 1) this.validUntil = sentAt + this.ttlMs * 0.6;
        else this.drop('taken by another node');
      } else {
        const fence = Number(await this.redis.eval(ACQUIRE, 2, this.key, `${this.key}:fence`, this.nodeId, String(this.ttlMs)));
        if (fence > 0) {
          this.fence = fence;
          this.validUntil = sentAt + this.ttlMs * 0.6;
          this.holder = this.nodeId;
          this.events.acquired(fence);
        } else {
          const v = await this.redis.get(this.key);
          this.holder = v === null ? null : v.slice(0, v.lastIndexOf(':'));
        }
      }
    } catch {
      // Redis away: the holding lasts until validUntil, then the next step drops it.
      if (this.validUntil > 0 && !this.held()) this.drop('Redis unreachable');
    } finally {
      this.busy = false;
    }
  }

  /** Gives the lease back (graceful shutdown): another node takes over at its next step. */
  async release(): Promise<void> {
    if (this.validUntil === 0) return;
    const value = this.value;
    this.drop('released');
    try { await this.redis.eval(RELEASE, 1, this.key, value); } catch { /* it expires by itself */ }
  }

  status(): LeaseStatus {
    return { name: this.name, held: this.held(), fence: this.held() ? this.fence : 0, holder: this.holder };
  }

  private drop(reason: string): void {
    if (this.validUntil === 0) return;
    this.validUntil = 0;
    this.holder = null;
    this.events.lost(reason);
  }
}
