/**
 * The device registry across two nodes (real processes sharing one store, a private
 * redis-server so that it can be killed): a device an admin adds, disables, binds to an entity
 * made for it or removes on node A is let in or refused by node B within seconds, as on A; and
 * a change B missed while Redis was away (A died before it could tell anyone) is picked up when
 * B's Redis connection comes back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../server/cluster/cluster-node.ts';
import type { BatchResult } from '../../shared/schemas/ingest.ts';
import type { DeviceView } from '../../shared/schemas/devices.ts';
import { call, login } from './ops-http.ts';
import { eventually, freePort, redisUrlForTests, startNode, startPrivateRedis, testPrefix, type NodeProcess } from './cluster-harness.ts';
import { dropTestSchema } from './server-harness.ts';

// The shared Redis decides whether Redis tests run here at all (CI=true: they must).
const shared = await redisUrlForTests();
const ADMIN_PASSWORD = 'cluster-admin-password-for-tests';

describe.skipIf(!shared)('the device registry across two nodes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cityops-cluster-devices-'));
  const prefix = testPrefix('devices');
  let redis: { url: string; stop(): Promise<void> };
  let port: number;
  let a: NodeProcess;
  let b: NodeProcess;
  let adminA: string;
  let adminB: string;
  let ingestKey: string;

  beforeAll(async () => {
    port = await freePort();
    redis = await startPrivateRedis(port);
    const env = {
      REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, CLUSTER_NODE_ID: 'node-a', CLUSTER_LEASE_TTL_MS: '2000',
      DATA_DIR: dataDir, SIM_ENABLED: 'false', ADMIN_PASSWORD, LIVE_TICK_MS: '250', JT808_PORT: 'off', LOG_LEVEL: 'info',
    };
    // A first: it creates the schema and the first admin in the shared store.
    a = await startNode(env);
    b = await startNode({ ...env, CLUSTER_NODE_ID: 'node-b' });
    adminA = await login(a.url, 'admin', ADMIN_PASSWORD);
    adminB = await login(b.url, 'admin', ADMIN_PASSWORD);
    const key = await call(a.url, adminA, 'POST', '/api/ingest-keys', { name: 'cluster devices test' });
    expect(key.status).toBe(201);
    ingestKey = (key.json as { secret: string }).secret;
    // Both listen on the devices channel (each reloaded the registry once subscribed).
    await eventually('both nodes subscribed to device changes', async () => {
      const both = [await status(a.url, adminA), await status(b.url, adminB)];
      return both.every((s) => s.redis === 'up' && (s.devices?.reloads ?? 0) >= 1) ? true : undefined;
    });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await dropTestSchema(dataDir);
  });

  const status = async (url: string, token: string) => (await call(url, token, 'GET', '/api/cluster')).json as ClusterStatus;
  /** One fix of `deviceId` posted to node `url`'s HTTP ingest: its result. */
  const fix = async (url: string, deviceId: string): Promise<BatchResult> => {
    const res = await fetch(`${url}/api/v1/ingest/positions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestKey}` },
      body: JSON.stringify({ positions: [{ deviceId, ts: Date.now() - 500, lon: 117.0321, lat: 36.6543 }] }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as BatchResult;
  };
  /** Waits until node B answers a fix of `deviceId` as `want` says (accepted, or refused for `reason`). */
  const untilB = (deviceId: string, want: 'accepted' | string) => eventually(`node B: ${deviceId} ${want}`, async () => {
    const r = await fix(b.url, deviceId);
    const got = r.accepted === 1 ? 'accepted' : r.rejected[0]?.reason;
    return got === want ? r : undefined;
  }, 10_000);

  it('a device added on A is let in by B; disabled on A, B refuses it; removed on A, B forgets it', async () => {
    // Before: B has never heard of it.
    expect((await fix(b.url, 'phone-101')).rejected).toEqual([expect.objectContaining({ reason: 'unknownDevice' })]);
    const created = await call(a.url, adminA, 'POST', '/api/devices', { protocol: 'http', deviceId: 'phone-101', bind: { entityId: 'staff-0003' } });
    expect(created.status).toBe(201);
    const id = (created.json as DeviceView).id;
    await untilB('phone-101', 'accepted');
    // B shows what A decided, with the report B took itself.
    const onB = await call(b.url, adminB, 'GET', `/api/devices/${id}`);
    expect(onB.json).toMatchObject({ deviceId: 'phone-101', entityId: 'staff-0003', state: 'active', accepted: 1 });

    expect((await call(a.url, adminA, 'POST', `/api/devices/${id}/disable`)).status).toBe(200);
    await untilB('phone-101', 'deviceInactive');
    expect((await call(b.url, adminB, 'GET', `/api/devices/${id}`)).json).toMatchObject({ state: 'disabled' });

    expect((await call(a.url, adminA, 'DELETE', `/api/devices/${id}`)).status).toBe(204);
    await eventually('B forgets the removed device', async () => ((await call(b.url, adminB, 'GET', `/api/devices/${id}`)).status === 404 ? true : undefined), 10_000);
    expect((await fix(b.url, 'phone-101')).rejected).toEqual([expect.objectContaining({ reason: 'unknownDevice' })]);
    const sb = await status(b.url, adminB);
    expect(sb.devices!.received).toBeGreaterThanOrEqual(3);
    expect(sb.devices!.malformed).toBe(0);
  }, 60_000);

  it('a device bound on A to an entity made for it reports through B for that entity', async () => {
    const created = await call(a.url, adminA, 'POST', '/api/devices', { protocol: 'http', deviceId: 'phone-102', bind: { newEntity: { kind: 'staff', name: 'Night crew 102' } } });
    expect(created.status).toBe(201);
    expect((created.json as DeviceView).entityId).toBe('rt-http-phone-102');
    await untilB('phone-102', 'accepted');
    expect((await call(b.url, adminB, 'GET', `/api/devices/${(created.json as DeviceView).id}`)).json).toMatchObject({ entityId: 'rt-http-phone-102', state: 'active' });
  }, 60_000);

  it('a change B missed while Redis was away (its author died meanwhile) is taken in when B\'s connection returns', async () => {
    const created = await call(a.url, adminA, 'POST', '/api/devices', { protocol: 'http', deviceId: 'phone-103', bind: { entityId: 'staff-0004' } });
    expect(created.status).toBe(201);
    const id = (created.json as DeviceView).id;
    await untilB('phone-103', 'accepted');

    await redis.stop();
    await eventually('both nodes see Redis down', async () => {
      const [sa, sb] = [await status(a.url, adminA), await status(b.url, adminB)];
      return sa.redis === 'down' && sb.redis === 'down' ? true : undefined;
    });
    expect((await call(a.url, adminA, 'POST', `/api/devices/${id}/disable`)).status).toBe(200);
    // A could not publish it; killed now, it never will.
    await eventually('A holds the change unpublished', async () => ((await status(a.url, adminA)).devices!.pending >= 1 ? true : undefined), 5_000);
    await a.stop('SIGKILL');
    expect((await fix(b.url, 'phone-103')).accepted).toBe(1);

    const reloadsBefore = (await status(b.url, adminB)).devices!.reloads;
    redis = await startPrivateRedis(port);
    await eventually('B reloads the registry once Redis is back', async () => ((await status(b.url, adminB)).devices!.reloads > reloadsBefore ? true : undefined), 20_000);
    await untilB('phone-103', 'deviceInactive');
  }, 90_000);
});
