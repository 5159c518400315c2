/**
 * The device registry's pub/sub in the real Redis, with registries that record what they are
 * asked: a node's change reaches the other node as ids only (never its own), a refresh that
 * fails is logged, counted and tried again, a malformed message is logged (not repeated) and
 * ignored, and the node goes on taking messages after both.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceSync, parseMessage, type SharedDeviceRegistry } from '../../server/cluster/device-sync.ts';
import { eventually, redisUrlForTests, testPrefix } from './cluster-harness.ts';

const redisUrl = await redisUrlForTests();

/** A registry that records the refreshes it is asked for; `failNext` makes the next refresh reject. */
function fakeRegistry() {
  const listeners: ((ids: readonly number[]) => void)[] = [];
  const r = {
    refreshed: [] as number[][],
    reloads: 0,
    failNext: 0,
    change(ids: number[]) { for (const l of listeners) l(ids); },
    onChanged(l: (ids: readonly number[]) => void) { listeners.push(l); return () => {}; },
    async refresh(ids: readonly number[]) {
      if (r.failNext > 0) { r.failNext--; throw new Error('database is locked'); }
      r.refreshed.push([...ids].sort((x, y) => x - y));
    },
    async refreshAll() { r.reloads++; },
  };
  return r satisfies SharedDeviceRegistry;
}

function recordingLog() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => { lines.push({ level, obj, msg }); };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

describe('device sync messages', () => {
  it('are a node id and positive integer ids; anything else is no message', () => {
    expect(parseMessage('{"n":"node-a","ids":[1,22]}')).toEqual({ node: 'node-a', ids: [1, 22] });
    for (const bad of ['', 'not json', 'null', '[1,2]', '{"ids":[1]}', '{"n":"a","ids":"1"}', '{"n":"a","ids":["1"]}', '{"n":"a","ids":[0]}', '{"n":"a","ids":[1.5]}', `{"n":"a","ids":[${Array(1001).fill(1).join(',')}]}`]) {
      expect(parseMessage(bad), bad).toBeUndefined();
    }
  });
});

describe.skipIf(!redisUrl)('device sync through the real Redis', () => {
  const prefix = testPrefix('device-sync');
  const channel = `${prefix}:devices`;
  const opened: { sync: DeviceSync; redis: Redis }[] = [];
  const open = (nodeId: string, registry: SharedDeviceRegistry, log = recordingLog()) => {
    const redis = new Redis(redisUrl!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    const sync = new DeviceSync({ redis, redisUrl: redisUrl!, channel, nodeId, registry, log });
    opened.push({ sync, redis });
    return { sync, redis, log };
  };
  afterEach(async () => {
    for (const { sync, redis } of opened.splice(0)) { await sync.close(); redis.disconnect(); }
  });

  const started = async (...regs: ReturnType<typeof fakeRegistry>[]) => {
    // Each reloads once its subscription is made: from then on it hears every message.
    await eventually('subscribed', async () => (regs.every((r) => r.reloads >= 1) ? true : undefined), 10_000);
  };

  it('carries the ids another node changed, and only the ids; a node ignores its own', async () => {
    const ra = fakeRegistry();
    const rb = fakeRegistry();
    const a = open('node-a', ra);
    const b = open('node-b', rb);
    const spy = new Redis(redisUrl!);
    const heard: string[] = [];
    spy.on('message', (_ch: string, m: string) => heard.push(m));
    await spy.subscribe(channel);
    try {
      await a.sync.start();
      await b.sync.start();
      await started(ra, rb);
      ra.change([7]);
      ra.change([3]);
      await eventually('B refreshes 3 and 7', async () => (rb.refreshed.flat().sort().join() === '3,7' ? true : undefined), 5_000);
      // One message for the two changes of one turn, with nothing but the node and the ids.
      expect(heard).toEqual([JSON.stringify({ n: 'node-a', ids: [7, 3] })]);
      expect(ra.refreshed).toEqual([]);
      expect(a.sync.stats).toMatchObject({ published: 2, pending: 0, failures: 0 });
      expect(b.sync.stats).toMatchObject({ received: 1, malformed: 0 });
    } finally {
      spy.disconnect();
    }
  });

  it('logs, counts and retries a refresh that failed; logs and ignores a malformed message; goes on', async () => {
    const rb = fakeRegistry();
    const b = open('node-b', rb);
    await b.sync.start();
    await started(rb);
    const pub = new Redis(redisUrl!);
    try {
      rb.failNext = 1;
      await pub.publish(channel, JSON.stringify({ n: 'node-a', ids: [5] }));
      await eventually('the failed refresh tried again', async () => (rb.refreshed.some((ids) => ids.includes(5)) ? true : undefined), 5_000);
      expect(b.sync.stats.failures).toBe(1);
      expect(b.log.lines.find((l) => l.level === 'warn')).toMatchObject({ msg: expect.stringContaining('not reloaded'), obj: { err: 'database is locked' } });

      const junk = 'authCode=0123456789abcdef not json';
      await pub.publish(channel, junk);
      await pub.publish(channel, JSON.stringify({ n: 'node-a', ids: [9] }));
      await eventually('the next message taken in', async () => (rb.refreshed.some((ids) => ids.includes(9)) ? true : undefined), 5_000);
      expect(b.sync.stats.malformed).toBe(1);
      // Whatever a malformed message carried is not repeated in the log.
      expect(JSON.stringify(b.log.lines)).not.toContain('0123456789abcdef');
      expect(b.log.lines.some((l) => l.msg.includes('malformed'))).toBe(true);
    } finally {
      pub.disconnect();
    }
  });
});
