/**
 * Redis killed and restarted mid-stream, on a private redis-server (the machine's Redis is
 * shared and is never shut down by a test): each node keeps serving its own screens, says so
 * in its status and log, and when Redis returns the other node receives what changed meanwhile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../server/cluster/cluster-node.ts';
import { registerDevice, WallWatcher } from './feeds-harness.ts';
import { call, login } from './ops-http.ts';
import { asServer, eventually, freePort, redisUrlForTests, startNode, startPrivateRedis, testPrefix, type NodeProcess } from './cluster-harness.ts';
import { dropTestSchema } from './server-harness.ts';

// The shared Redis decides whether Redis tests run here at all (CI=true: they must).
const shared = await redisUrlForTests();
const ADMIN_PASSWORD = 'cluster-admin-password-for-tests';

describe.skipIf(!shared)('Redis killed and restarted under two nodes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cityops-cluster-outage-'));
  let redis: { url: string; stop(): Promise<void> };
  let port: number;
  let a: NodeProcess;
  let b: NodeProcess;
  let adminA: string;
  let adminB: string;
  let ingestKey: string;
  let wallA: WallWatcher;
  let wallB: WallWatcher;

  beforeAll(async () => {
    port = await freePort();
    redis = await startPrivateRedis(port);
    const env = {
      REDIS_URL: redis.url, REDIS_KEY_PREFIX: testPrefix('outage'), CLUSTER_NODE_ID: 'node-a', CLUSTER_LEASE_TTL_MS: '2000',
      DATA_DIR: dataDir, SIM_ENABLED: 'false', ADMIN_PASSWORD, LIVE_TICK_MS: '250', JT808_PORT: 'off', LOG_LEVEL: 'info',
    };
    a = await startNode(env);
    b = await startNode({ ...env, CLUSTER_NODE_ID: 'node-b' });
    adminA = await login(a.url, 'admin', ADMIN_PASSWORD);
    adminB = await login(b.url, 'admin', ADMIN_PASSWORD);
    await registerDevice(asServer(a.url, a.wallToken!), adminA, 'http', 'phone-002', 'staff-0002');
    const key = await call(a.url, adminA, 'POST', '/api/ingest-keys', { name: 'outage test' });
    ingestKey = (key.json as { secret: string }).secret;
    wallA = await WallWatcher.open(asServer(a.url, a.wallToken!));
    wallB = await WallWatcher.open(asServer(b.url, a.wallToken!));
  }, 120_000);
  afterAll(async () => {
    wallA?.close();
    wallB?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await dropTestSchema(dataDir);
  });

  const status = async (url: string, token: string) => (await call(url, token, 'GET', '/api/cluster')).json as ClusterStatus;
  const report = async (lon: number, lat: number, ts: number) => {
    const res = await fetch(`${a.url}/api/v1/ingest/positions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestKey}` },
      body: JSON.stringify({ positions: [{ deviceId: 'phone-002', ts, lon, lat }] }),
    });
    expect(res.status).toBe(200);
  };
  const at = (lon: number, lat: number) => (r: { pos?: { lon: number; lat: number } }) => r.pos !== undefined && Math.abs(r.pos.lon - lon) < 1e-6 && Math.abs(r.pos.lat - lat) < 1e-6;

  it('keeps serving each node\'s screens while Redis is away, and catches the other node up when it returns', async () => {
    const t0 = Date.now() - 30_000;
    // Before: shared as usual (the stream is flowing when Redis dies).
    await report(117.0411, 36.6611, t0);
    await wallB.waitFor('staff-0002', 'first position on B', at(117.0411, 36.6611), 15_000);

    await redis.stop();
    await eventually('both nodes see Redis down', async () => {
      const [sa, sb] = [await status(a.url, adminA), await status(b.url, adminB)];
      return sa.redis === 'down' && sb.redis === 'down' ? true : undefined;
    });
    // A's own wall still gets A's reports.
    await report(117.0422, 36.6622, t0 + 10_000);
    await wallA.waitFor('staff-0002', 'position on A during the outage', at(117.0422, 36.6622), 15_000);
    expect((await status(a.url, adminA)).replication!.queued).toBeGreaterThanOrEqual(1);
    expect(a.output.join('\n')).toContain('Redis unreachable');
    // The load balancer's probe says so: this node serves its screens but sees no other node.
    const notReady = await fetch(`${a.url}/api/ready`);
    expect(notReady.status).toBe(503);
    expect(JSON.stringify(await notReady.json())).toContain('Redis unreachable');

    redis = await startPrivateRedis(port);
    await eventually('both nodes see Redis up again', async () => {
      const [sa, sb] = [await status(a.url, adminA), await status(b.url, adminB)];
      return sa.redis === 'up' && sb.redis === 'up' ? true : undefined;
    });
    // What A accepted during the outage reaches B once Redis is back…
    await wallB.waitFor('staff-0002', 'the outage position on B after recovery', at(117.0422, 36.6622), 20_000);
    // …and the stream flows again for new reports.
    await report(117.0433, 36.6633, t0 + 20_000);
    await wallB.waitFor('staff-0002', 'a position after recovery on B', at(117.0433, 36.6633), 15_000);
    expect(a.output.join('\n')).toContain('Redis reachable');
    expect((await fetch(`${a.url}/api/ready`)).status).toBe(200);
  }, 90_000);
});
