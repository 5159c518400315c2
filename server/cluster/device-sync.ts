/**
 * The device registry shared between nodes. Each node holds every device in memory
 * (server/devices/device-directory.ts) and decides from it alone whether a terminal, an MQTT
 * sensor or an HTTP device is let in. When this node writes a device's administrative state
 * (an admin's change, a registration, an auth code, a takeover), it publishes the ids of the
 * devices it changed on `${keyPrefix}:devices`; every other node reads those rows back from the
 * shared store and merges them. Ids only: an auth code, a secret or a token never reaches Redis.
 *
 * Pub/sub keeps nothing for a node that is not listening: whenever the subscription is (re)made,
 * after a Redis outage as at start (the registry was loaded before it existed), the node reloads
 * every device from the store once Redis confirmed it. Ids this node could not publish wait for
 * the next attempt.
 */
import { Redis } from 'ioredis';
import type { ClusterLog } from './cluster-node.ts';

/** What the sync needs of the registry (DeviceDirectory). */
export interface SharedDeviceRegistry {
  onChanged(listener: (ids: readonly number[]) => void): () => void;
  refresh(ids: readonly number[]): Promise<unknown>;
  refreshAll(): Promise<unknown>;
}

export interface DeviceSyncStats {
  /** Device ids this node announced. */
  published: number;
  /** Messages from other nodes taken in. */
  received: number;
  /** Messages that were no such message (logged, ignored). */
  malformed: number;
  /** Full reloads (each time the subscription was made). */
  reloads: number;
  /** Refreshes and publications that failed (logged; retried). */
  failures: number;
  /** Ids waiting to be published while Redis is away. */
  pending: number;
}

export interface DeviceSyncOptions {
  /** The node's command connection (no offline queue: a publication fails at once while Redis is away). */
  redis: Redis;
  redisUrl: string;
  channel: string;
  nodeId: string;
  registry: SharedDeviceRegistry;
  log: ClusterLog;
}

/** Ids per message: a burst of takeovers (thousands of terminals coming online) goes in a few. */
const IDS_PER_MESSAGE = 1000;
const RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

export class DeviceSync {
  readonly stats: DeviceSyncStats = { published: 0, received: 0, malformed: 0, reloads: 0, failures: 0, pending: 0 };
  /** Pub/sub holds its connection: a third one, with an offline queue so that SUBSCRIBE waits for Redis. */
  private readonly subscriber: Redis;
  private readonly toPublish = new Set<number>();
  private readonly toRefresh = new Set<number>();
  private reloadWanted = false;
  private publishing = false;
  private refreshing = false;
  private publishTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshRetryMs = RETRY_MS;
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: DeviceSyncOptions) {
    // Subscribed by this code on every 'ready', not by ioredis: a SUBSCRIBE sent while the
    // connection still ran its ready check (INFO) left it unsubscribed, and the reload must follow
    // the subscription, not precede it.
    this.subscriber = new Redis(o.redisUrl, { lazyConnect: true, autoResubscribe: false, retryStrategy: (n: number) => Math.min(200 * n, 2000) });
    this.subscriber.on('error', () => {});
    this.subscriber.on('message', (channel: string, message: string) => { if (channel === o.channel) this.onMessage(message); });
    this.subscriber.on('ready', () => { void this.subscribe(); });
    // The command connection back: what could not be published goes now.
    o.redis.on('ready', () => this.publishSoon(0));
    this.unsubscribe = o.registry.onChanged((ids) => {
      for (const id of ids) this.toPublish.add(id);
      // Coalesced to the end of the turn: a batch of takeovers is one message, not one each.
      this.publishSoon(0);
    });
  }

  async start(): Promise<void> {
    // Never waits for Redis: ioredis connects (and reconnects) in the background.
    this.subscriber.connect().catch(() => { /* retried by its retryStrategy */ });
  }

  /** Subscribes, then reloads every device: messages sent while the subscription was down are lost. */
  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.o.channel);
    } catch (err) {
      if (this.closed) return;
      this.stats.failures++;
      this.o.log.warn({ err: errorText(err) }, 'cluster: device changes channel not subscribed; retrying');
      setTimeout(() => { if (!this.closed && this.subscriber.status === 'ready') void this.subscribe(); }, RETRY_MS);
      return;
    }
    this.reloadWanted = true;
    this.refreshSoon(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    if (this.publishTimer) clearTimeout(this.publishTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    // A last attempt: the other nodes should not wait for their next reconnection to learn it.
    await this.publish();
    this.subscriber.disconnect();
  }

  private publishSoon(ms: number): void {
    if (this.closed || this.publishTimer || this.toPublish.size === 0) return;
    this.publishTimer = setTimeout(() => { this.publishTimer = undefined; void this.publish(); }, ms);
  }

  private async publish(): Promise<void> {
    if (this.publishing || this.toPublish.size === 0) return;
    this.publishing = true;
    const ids = [...this.toPublish];
    this.toPublish.clear();
    let sent = 0;
    try {
      for (; sent < ids.length; sent += IDS_PER_MESSAGE) {
        await this.o.redis.publish(this.o.channel, JSON.stringify({ n: this.o.nodeId, ids: ids.slice(sent, sent + IDS_PER_MESSAGE) }));
      }
      this.stats.published += ids.length;
    } catch (err) {
      this.stats.published += sent;
      for (const id of ids.slice(sent)) this.toPublish.add(id);
      this.stats.failures++;
      if (this.o.redis.status === 'ready') this.o.log.warn({ err: errorText(err), ids: ids.length - sent }, 'cluster: device changes not published; retrying');
      // Redis away: its 'ready' publishes them; a Redis that answers late: this retry.
      this.publishing = false;
      this.publishSoon(RETRY_MS);
      return;
    } finally {
      this.stats.pending = this.toPublish.size;
    }
    this.publishing = false;
    // Changes made during the publication.
    this.publishSoon(0);
  }

  private onMessage(message: string): void {
    const parsed = parseMessage(message);
    if (!parsed) {
      this.stats.malformed++;
      // Its length, not its text: whatever was sent there is not this code's to repeat.
      this.o.log.warn({ channel: this.o.channel, length: message.length }, 'cluster: malformed device message ignored');
      return;
    }
    if (parsed.node === this.o.nodeId) return;
    this.stats.received++;
    for (const id of parsed.ids) this.toRefresh.add(id);
    this.refreshSoon(0);
  }

  private refreshSoon(ms: number): void {
    if (this.closed || this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => { this.refreshTimer = undefined; void this.runRefresh(); }, ms);
  }

  /** One refresh at a time, with what arrived meanwhile; a failure is logged, counted and retried later. */
  private async runRefresh(): Promise<void> {
    if (this.refreshing || this.closed) return;
    if (!this.reloadWanted && this.toRefresh.size === 0) return;
    this.refreshing = true;
    const all = this.reloadWanted;
    const ids = [...this.toRefresh];
    this.reloadWanted = false;
    this.toRefresh.clear();
    try {
      if (all) {
        await this.o.registry.refreshAll();
        this.stats.reloads++;
      } else {
        await this.o.registry.refresh(ids);
      }
      this.refreshRetryMs = RETRY_MS;
    } catch (err) {
      this.stats.failures++;
      this.o.log.warn({ err: errorText(err), devices: all ? 'all' : ids.length }, 'cluster: devices changed on another node not reloaded; retrying');
      if (all) this.reloadWanted = true; else for (const id of ids) this.toRefresh.add(id);
      this.refreshing = false;
      const wait = this.refreshRetryMs;
      this.refreshRetryMs = Math.min(this.refreshRetryMs * 2, MAX_RETRY_MS);
      return this.refreshSoon(wait);
    }
    this.refreshing = false;
    this.refreshSoon(0);
  }
}

/** A message of another node's: `{ n: nodeId, ids: [device ids] }`; undefined when it is not one. */
export function parseMessage(message: string): { node: string; ids: number[] } | undefined {
  let v: unknown;
  try { v = JSON.parse(message); } catch { return undefined; }
  if (typeof v !== 'object' || v === null) return undefined;
  const { n, ids } = v as { n?: unknown; ids?: unknown };
  if (typeof n !== 'string' || !Array.isArray(ids) || ids.length > IDS_PER_MESSAGE) return undefined;
  if (!ids.every((id): id is number => Number.isSafeInteger(id) && (id as number) > 0)) return undefined;
  return { node: n, ids };
}

const errorText = (err: unknown): string => String((err as Error)?.message ?? err).slice(0, 300);
