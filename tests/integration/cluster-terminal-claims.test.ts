/**
 * JT/T 808 terminal sessions claimed cluster-wide in the real Redis: the newest connection
 * wins, the node that held the terminal before closes its session at its next renewal, a
 * session that ended releases its claim, and a claim lost to nobody stays.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalClaims } from '../../server/cluster/terminal-claims.ts';
import { redisUrlForTests, testPrefix } from './cluster-harness.ts';

const redisUrl = await redisUrlForTests();

describe.skipIf(!redisUrl)('JT/T 808 terminal claims', () => {
  let redis: Redis;
  const prefix = testPrefix('terminals');
  beforeAll(() => { redis = new Redis(redisUrl!); });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('the node a terminal reconnected to keeps it; the other closes its lingering session', async () => {
    const a = new TerminalClaims(redis, prefix, 'node-a', 60_000);
    const b = new TerminalClaims(redis, prefix, 'node-b', 60_000);
    const closed: string[] = [];
    await a.claim('013800000001', () => closed.push('a:013800000001'), () => true);
    await a.claim('013800000002', () => closed.push('a:013800000002'), () => true);
    expect(await redis.get(`${prefix}:jt808:013800000001`)).toBe('node-a:1');
    // Terminal 1 reconnects through the load balancer to node B.
    await b.claim('013800000001', () => closed.push('b:013800000001'), () => true);
    expect(await redis.get(`${prefix}:jt808:013800000001`)).toBe('node-b:2');
    await a.renew();
    await b.renew();
    expect(closed).toEqual(['a:013800000001']);
    expect(a.taken).toBe(1);
    expect(a.size).toBe(1); // terminal 2 stays on A
    expect(b.size).toBe(1);
    expect(await redis.get(`${prefix}:jt808:013800000002`)).toBe('node-a:1');
  });

  it('a session that ended releases its claim at the next renewal, and only its own', async () => {
    const a = new TerminalClaims(redis, prefix, 'node-a', 60_000);
    let open = true;
    await a.claim('013800000009', () => {}, () => open);
    expect(await redis.get(`${prefix}:jt808:013800000009`)).not.toBeNull();
    open = false;
    await a.renew();
    expect(await redis.get(`${prefix}:jt808:013800000009`)).toBeNull();
    expect(a.size).toBe(0);
  });
});
