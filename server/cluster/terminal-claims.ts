/**
 * Which node holds each JT/T 808 terminal's session, cluster-wide. A terminal talks to one node
 * at a time, but when it reconnects through the load balancer to another node its old TCP
 * connection may linger half-open on the first. The newest connection wins, as inside one
 * gateway: a node that authenticates a terminal claims it (overwriting any other node's claim,
 * with a fencing token that grows per terminal); every node renews its claims in one pipeline
 * and closes the sessions whose claim another node has taken since. Claims expire by their TTL
 * when a node dies. While Redis is away nothing is closed: each node keeps the terminals it has.
 */
import type { Redis } from 'ioredis';
import { RELEASE, RENEW } from './leases.ts';

const CLAIM = `
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', ARGV[2])
return fence`;

interface Claim { value: string | undefined; onTaken: () => void; stillOurs: () => boolean }

export class TerminalClaims {
  private readonly claims = new Map<string, Claim>();
  /** Sessions closed because another node took their terminal. */
  taken = 0;

  constructor(private readonly redis: Redis, private readonly keyPrefix: string, private readonly nodeId: string, private readonly ttlMs: number) {}

  private key(terminal: string): string {
    return `${this.keyPrefix}:jt808:${terminal}`;
  }

  /**
   * This node now holds `terminal`'s session. `onTaken` closes it when another node claims the
   * terminal later; `stillOurs` says whether the session is still open here (checked at each
   * renewal: a session that ended releases its claim).
   */
  async claim(terminal: string, onTaken: () => void, stillOurs: () => boolean): Promise<void> {
    const c: Claim = { value: undefined, onTaken, stillOurs };
    this.claims.set(terminal, c);
    try {
      const fence = Number(await this.redis.eval(CLAIM, 2, this.key(terminal), `${this.key(terminal)}:fence`, this.nodeId, String(this.ttlMs)));
      if (this.claims.get(terminal) === c) c.value = `${this.nodeId}:${fence}`;
    } catch {
      // Redis away: the session stays; the claim is made at the next renewal round.
    }
  }

  get size(): number {
    return this.claims.size;
  }

  /** One round over every claim of this node (one pipeline). Never throws. */
  async renew(): Promise<void> {
    const entries = [...this.claims.entries()];
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    const ops: { terminal: string; claim: Claim; op: 'release' | 'renew' | 'claim' }[] = [];
    for (const [terminal, claim] of entries) {
      if (!claim.stillOurs()) {
        this.claims.delete(terminal);
        if (claim.value !== undefined) { pipeline.eval(RELEASE, 1, this.key(terminal), claim.value); ops.push({ terminal, claim, op: 'release' }); }
      } else if (claim.value === undefined) {
        pipeline.eval(CLAIM, 2, this.key(terminal), `${this.key(terminal)}:fence`, this.nodeId, String(this.ttlMs));
        ops.push({ terminal, claim, op: 'claim' });
      } else {
        pipeline.eval(RENEW, 1, this.key(terminal), claim.value, String(this.ttlMs));
        ops.push({ terminal, claim, op: 'renew' });
      }
    }
    let results: [Error | null, unknown][] | null;
    try { results = await pipeline.exec(); } catch { return; }
    if (!results) return;
    results.forEach(([err, value], i) => {
      const { terminal, claim, op } = ops[i]!;
      if (err || this.claims.get(terminal) !== claim) return;
      if (op === 'claim') claim.value = `${this.nodeId}:${Number(value)}`;
      else if (op === 'renew' && value === 0) {
        this.claims.delete(terminal);
        this.taken++;
        claim.onTaken();
      }
    });
  }

  /** Graceful shutdown: the claims go (the terminals reconnect elsewhere and claim again). */
  async releaseAll(): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [terminal, c] of this.claims) if (c.value !== undefined) pipeline.eval(RELEASE, 1, this.key(terminal), c.value);
    this.claims.clear();
    try { await pipeline.exec(); } catch { /* they expire */ }
  }
}
