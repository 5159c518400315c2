/**
 * Leases against the real Redis (a key prefix per run): one holder at a time, a fencing token
 * that grows with every new holding, renewal that keeps it, a holder that stops renewing loses it
 * by its own clock, and a release hands it over at once.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lease } from '../../server/cluster/leases.ts';
import { redisUrlForTests, testPrefix } from './cluster-harness.ts';

const redisUrl = await redisUrlForTests();

describe.skipIf(!redisUrl)('leases in Redis', () => {
  let redis: Redis;
  const prefix = testPrefix('leases');
  beforeAll(() => { redis = new Redis(redisUrl!); });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  /** A lease with a clock the test moves, and the events it raised. */
  const make = (node: string, key: string, ttlMs = 60_000) => {
    const clock = { t: 0 };
    const events: string[] = [];
    const lease = new Lease(redis, 'job', `${prefix}:${key}`, node, ttlMs, {
      acquired: (fence) => events.push(`acquired ${fence}`),
      lost: (reason) => events.push(`lost: ${reason}`),
    }, () => clock.t);
    return { lease, clock, events };
  };

  it('one holder at a time; the other sees who holds it', async () => {
    const a = make('node-a', 'one');
    const b = make('node-b', 'one');
    await a.lease.step();
    await b.lease.step();
    expect(a.lease.held()).toBe(true);
    expect(b.lease.held()).toBe(false);
    expect(b.lease.status().holder).toBe('node-a');
    expect(await redis.get(`${prefix}:one`)).toBe(`node-a:${a.lease.token}`);
    expect(a.events).toEqual(['acquired 1']);
    expect(b.events).toEqual([]);
  });

  it('renewal keeps it; a holder that stops renewing gives it up by its own clock; the next holding gets a greater fence', async () => {
    const a = make('node-a', 'two', 1000);
    const b = make('node-b', 'two', 1000);
    await a.lease.step();
    const first = a.lease.token;
    expect(first).toBe(1);
    // Renewed at t=500: valid until 500 + 0.6 × 1000 by the holder's clock.
    a.clock.t = 500;
    await a.lease.step();
    a.clock.t = 1099;
    expect(a.lease.held()).toBe(true);
    a.clock.t = 1100;
    expect(a.lease.held()).toBe(false);
    // Redis still has the key until its own TTL runs out; then b takes it.
    await new Promise((r) => setTimeout(r, 1100));
    await b.lease.step();
    expect(b.lease.held()).toBe(true);
    expect(b.lease.token).toBe(first + 1);
    // The old holder's next step reports the loss and does not take it back.
    await a.lease.step();
    expect(a.events).toEqual(['acquired 1', 'lost: not renewed in time']);
    expect(a.lease.held()).toBe(false);
  });

  it('a holder whose key was taken over learns it at its next renewal', async () => {
    const a = make('node-a', 'three');
    await a.lease.step();
    await redis.set(`${prefix}:three`, 'node-x:99');
    await a.lease.step();
    expect(a.lease.held()).toBe(false);
    expect(a.events).toEqual(['acquired 1', 'lost: taken by another node']);
  });

  it('release hands it over at once, and never deletes another holder\'s key', async () => {
    const a = make('node-a', 'four');
    const b = make('node-b', 'four');
    await a.lease.step();
    await a.lease.release();
    expect(await redis.get(`${prefix}:four`)).toBeNull();
    await b.lease.step();
    expect(b.lease.held()).toBe(true);
    await a.lease.release(); // not held: nothing happens
    expect(await redis.get(`${prefix}:four`)).toBe(`node-b:${b.lease.token}`);
  });
});
