/**
 * One node of a cluster: its Redis connections, the leases of the run-once jobs, the shared
 * live state (replication.ts) and what it knows of Redis's health. Redis going away never
 * stops the node: its screens keep their own node's updates, the status says 'down', the
 * leases it held run out (another node, or this one, takes them again when Redis is back)
 * and the replication queue publishes what changed meanwhile once Redis returns.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { LiveState } from '../live/live-state.ts';
import { Lease, type LeaseStatus } from './leases.ts';
import { LiveReplication, type ReplicationStats } from './replication.ts';
import type { RunOnceJob } from './run-once.ts';
import { TerminalClaims } from './terminal-claims.ts';
import { DeviceSync, type DeviceSyncStats, type SharedDeviceRegistry } from './device-sync.ts';

export interface ClusterLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ClusterStatus {
  mode: 'single' | 'redis';
  nodeId?: string;
  /** 'up' while the node's Redis connection is ready. */
  redis?: 'up' | 'down';
  /** When the Redis connection last changed state (ms since epoch). */
  since?: number;
  leases?: LeaseStatus[];
  replication?: ReplicationStats;
  /** JT/T 808 sessions this node holds, and those it closed because the terminal reconnected to another node. */
  jt808?: { claimed: number; takenByOtherNodes: number };
  /** The device registry's changes this node announced and took in from the others. */
  devices?: DeviceSyncStats;
}

export interface ClusterNodeOptions {
  redisUrl: string;
  keyPrefix: string;
  nodeId?: string | undefined;
  leaseTtlMs: number;
  live: LiveState;
  now: () => number;
  log: ClusterLog;
  /** Runs a callback so that its exception is counted and logged, never thrown (app.timerFailures.run). */
  guard: (name: string, fn: () => void) => void;
  flushMs?: number;
  snapshotMs?: number;
  streamMaxLen?: number;
  /** The device registry, kept in step with the other nodes' (device-sync.ts); absent in tests of the rest. */
  devices?: SharedDeviceRegistry;
}

/** The snapshot key is written only by the snapshot lease's current holding (fenced by its value). */
const FENCED_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2]) return 1 end
return 0`;

export function defaultNodeId(): string {
  return `${hostname().replace(/[^A-Za-z0-9._-]/g, '').slice(0, 40) || 'node'}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

export class ClusterNode {
  readonly nodeId: string;
  readonly redis: Redis;
  private readonly reader: Redis;
  private readonly leases = new Map<string, { lease: Lease; job: RunOnceJob }>();
  readonly replication: LiveReplication;
  /** JT/T 808 terminals whose session this node holds (the newest connection wins cluster-wide). */
  readonly terminals: TerminalClaims;
  readonly devices: DeviceSync | undefined;
  private redisUp = false;
  private since: number;
  private leaseTimer: ReturnType<typeof setInterval> | undefined;
  private snapshotTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(private readonly o: ClusterNodeOptions) {
    this.nodeId = o.nodeId ?? defaultNodeId();
    this.since = o.now();
    // Commands fail at once while Redis is away (no offline queue): the loops here retry on their own terms.
    // A Redis that hangs rather than closes fails commands after commandTimeout, never holds a loop forever.
    const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(200 * n, 2000) };
    this.redis = new Redis(o.redisUrl, { ...options, commandTimeout: Math.max(1000, Math.floor(o.leaseTtlMs / 2)) });
    // The reader blocks 1 s per XREAD: its timeout is above that.
    this.reader = new Redis(o.redisUrl, { ...options, commandTimeout: 5000 });
    this.redis.on('ready', () => this.setUp(true));
    this.redis.on('close', () => this.setUp(false));
    // ioredis reports every failed attempt as 'error'; the state change is what gets logged.
    this.redis.on('error', () => {});
    this.reader.on('error', () => {});
    this.replication = new LiveReplication({
      redis: this.redis, reader: this.reader, live: o.live, nodeId: this.nodeId,
      streamKey: `${o.keyPrefix}:live:stream`, snapshotKey: `${o.keyPrefix}:live:snapshot`,
      // An entry every 20 ms at most: the wait a report adds on its way to another node's screens
      // (every 50 ms, the two-node bench's p50/p99 were 685/1,208 ms; every 20 ms, 665/1,170). 1,500 entries are half a
      // minute to catch up from under load; a node further behind loads the snapshot (at 20,000
      // reports/s an entry is some 50 KB, so the window is what bounds Redis's memory: under 100 MB).
      maxLen: o.streamMaxLen ?? 1500, flushMs: o.flushMs ?? 20, now: o.now,
      onError: (what, err) => { if (this.redisUp) o.log.warn({ err: String((err as Error)?.message ?? err) }, `cluster: live replication ${what} failed`); },
    });
    this.terminals = new TerminalClaims(this.redis, o.keyPrefix, this.nodeId, o.leaseTtlMs);
    this.devices = o.devices && new DeviceSync({ redis: this.redis, redisUrl: o.redisUrl, channel: `${o.keyPrefix}:devices`, nodeId: this.nodeId, registry: o.devices, log: o.log });
    this.addJob({ name: 'live-snapshot', start: () => this.startSnapshots(), stop: () => this.stopSnapshots() });
  }

  private setUp(up: boolean): void {
    if (up === this.redisUp || this.closed) return;
    this.redisUp = up;
    this.since = this.o.now();
    if (up) this.o.log.info({ nodeId: this.nodeId }, 'cluster: Redis reachable; sharing live state and fan-out');
    else this.o.log.warn({ nodeId: this.nodeId }, 'cluster: Redis unreachable; serving this node\'s screens alone until it returns');
  }

  /** Puts a run-once job under a lease: started on acquisition, stopped when lost. */
  addJob(job: RunOnceJob): void {
    if (this.leases.has(job.name)) throw new Error(`run-once job ${job.name} registered twice`);
    const lease = new Lease(this.redis, job.name, `${this.o.keyPrefix}:lease:${job.name}`, this.nodeId, this.o.leaseTtlMs, {
      acquired: (fence) => {
        this.o.log.info({ job: job.name, fence, nodeId: this.nodeId }, `cluster: this node runs ${job.name}`);
        this.o.guard(`cluster job ${job.name} start`, () => job.start());
      },
      lost: (reason) => {
        this.o.log.warn({ job: job.name, reason, nodeId: this.nodeId }, `cluster: this node stops ${job.name}`);
        this.o.guard(`cluster job ${job.name} stop`, () => job.stop());
      },
    });
    this.leases.set(job.name, { lease, job });
  }

  holds(name: string): boolean {
    return this.leases.get(name)?.lease.held() ?? false;
  }

  async start(): Promise<void> {
    // A node starts even when Redis is away: ioredis connects (and reconnects) in the background.
    await this.replication.start();
    await this.devices?.start();
    const step = () => {
      for (const { lease } of this.leases.values()) void lease.step();
      void this.terminals.renew();
    };
    step();
    this.leaseTimer = setInterval(() => this.o.guard('cluster leases', step), Math.max(200, Math.floor(this.o.leaseTtlMs / 5)));
  }

  private startSnapshots(): void {
    const write = async () => {
      const lease = this.leases.get('live-snapshot')!.lease;
      if (!lease.held()) return;
      const key = `${this.o.keyPrefix}:lease:live-snapshot`;
      try {
        await this.redis.eval(FENCED_SET, 2, key, `${this.o.keyPrefix}:live:snapshot`, `${this.nodeId}:${lease.token}`, this.replication.snapshot());
      } catch (err) {
        if (this.redisUp) this.o.log.warn({ err: String((err as Error).message) }, 'cluster: live snapshot not written');
      }
    };
    this.stopSnapshots();
    void write();
    this.snapshotTimer = setInterval(() => { void write(); }, this.o.snapshotMs ?? 5000);
  }

  private stopSnapshots(): void {
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    this.snapshotTimer = undefined;
  }

  status(): ClusterStatus {
    return {
      mode: 'redis', nodeId: this.nodeId, redis: this.redisUp ? 'up' : 'down', since: this.since,
      leases: [...this.leases.values()].map(({ lease }) => lease.status()),
      replication: { ...this.replication.stats, queued: this.replication.queued },
      jt808: { claimed: this.terminals.size, takenByOtherNodes: this.terminals.taken },
      ...(this.devices ? { devices: { ...this.devices.stats } } : {}),
    };
  }

  /** Publishes what is queued, hands the leases back (so another node takes over at once) and disconnects. */
  async close(): Promise<void> {
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    this.stopSnapshots();
    await this.replication.stop();
    for (const { lease } of this.leases.values()) await lease.release();
    await this.terminals.releaseAll();
    await this.devices?.close();
    this.closed = true;
    this.reader.disconnect();
    this.redis.disconnect();
  }
}
