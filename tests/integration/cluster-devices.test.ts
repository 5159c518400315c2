/**
 * The device registry across two nodes (real processes sharing one store, a private
 * redis-server so that it can be killed): a device an admin adds, disables, binds to an entity
 * made for it or removes on node A is let in or refused by node B within seconds, as on A; a
 * JT/T 808 terminal registered on A authenticates on B with the code A gave it; and a change B
 * missed while Redis was away (A died before it could tell anyone) is picked up when B's Redis
 * connection comes back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../server/cluster/cluster-node.ts';
import type { BatchResult } from '../../shared/schemas/ingest.ts';
import type { DeviceList, DeviceView } from '../../shared/schemas/devices.ts';
import { decodeFrame, encodeFrame, type Jt808Frame } from '../../server/ingest/jt808/frame.ts';
import { Jt808FrameSplitter } from '../../server/ingest/jt808/framing.ts';
import { decodeGeneralResponse, encodeRegistration, MSG, REGISTER_RESULT, RESULT } from '../../server/ingest/jt808/messages.ts';
import { call, login } from './ops-http.ts';
import { eventually, freePort, redisUrlForTests, startNode, startPrivateRedis, testPrefix, type NodeProcess } from './cluster-harness.ts';
import { dropTestSchema } from './server-harness.ts';

// The shared Redis decides whether Redis tests run here at all (CI=true: they must).
const shared = await redisUrlForTests();
const ADMIN_PASSWORD = 'cluster-admin-password-for-tests';

/** A bare JT/T 808 terminal on one TCP connection: each call sends one message and waits for the platform's answer to it. */
async function terminalOn(port: number, phone: string) {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise<void>((ok, fail) => { socket.once('connect', ok); socket.once('error', fail); });
  const frames: Jt808Frame[] = [];
  const splitter = new Jt808FrameSplitter({ frame: (c) => { const d = decodeFrame(c); if (d.ok) frames.push(d.frame); }, error: () => {} });
  socket.on('data', (chunk: Buffer) => splitter.push(chunk));
  let serial = 0;
  /** Both answers (0x8100, 0x8001) start with the serial they answer. */
  const ask = async (messageId: number, body: Buffer, answerId: number): Promise<Jt808Frame> => {
    const s = serial++;
    socket.write(encodeFrame({ messageId, phone, serial: s }, body));
    return eventually(`the answer to 0x${messageId.toString(16)}`, async () => frames.find((f) => f.header.messageId === answerId && f.body.readUInt16BE(0) === s), 5_000);
  };
  return {
    async register(): Promise<{ result: number; authCode: string }> {
      const f = await ask(MSG.register, encodeRegistration({ manufacturer: 'COPS', model: 'CLUSTER', terminalId: '0000077', plateColor: 0, plate: '' }), MSG.registerAnswer);
      return { result: f.body[2]!, authCode: f.body.toString('latin1', 3) };
    },
    async authenticate(code: string): Promise<number | undefined> {
      const r = decodeGeneralResponse((await ask(MSG.authenticate, Buffer.from(code, 'latin1'), MSG.platformResponse)).body);
      return r.ok ? r.value.result : undefined;
    },
    close() { socket.destroy(); },
  };
}

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
      DATA_DIR: dataDir, SIM_ENABLED: 'false', ADMIN_PASSWORD, LIVE_TICK_MS: '250', JT808_PORT: '0', JT808_REGISTRATION: 'open', LOG_LEVEL: 'info',
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
  const untilB = async (deviceId: string, want: 'accepted' | string) => {
    let last: BatchResult | undefined;
    try {
      return await eventually(`node B: ${deviceId} ${want}`, async () => {
        const r = (last = await fix(b.url, deviceId));
        const got = r.accepted === 1 ? 'accepted' : r.rejected[0]?.reason;
        return got === want ? r : undefined;
      }, 10_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}; B's last answer: ${JSON.stringify(last)}`);
    }
  };

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

  it('a JT/T 808 terminal registered on A authenticates on B with A\'s code; disabled on A, B refuses it and keeps the session it holds', async () => {
    const phone = '013900000077';
    const onA = await terminalOn(a.jt808Port!, phone);
    const reg = await onA.register();
    onA.close();
    expect(reg.result).toBe(REGISTER_RESULT.ok);
    // It reconnects through the load balancer to B, which never saw it register (a new connection
    // a try: the gateway closes one after repeated failures).
    const onB = await eventually('B authenticates the terminal', async () => {
      const t = await terminalOn(b.jt808Port!, phone);
      if ((await t.authenticate(reg.authCode)) === RESULT.ok) return t;
      t.close();
      return undefined;
    }, 10_000);
    try {
      const list = (await call(a.url, adminA, 'GET', '/api/devices?protocol=jt808')).json as DeviceList;
      const id = list.items.find((d) => d.deviceId === phone)!.id;
      expect((await call(a.url, adminA, 'POST', `/api/devices/${id}/disable`)).status).toBe(200);
      // B takes in A's decision and keeps what only B knows: the session it holds.
      const onBView = await eventually('B sees the terminal disabled', async () => {
        const v = (await call(b.url, adminB, 'GET', `/api/devices/${id}`)).json as DeviceView;
        return v.state === 'disabled' ? v : undefined;
      }, 10_000);
      expect(onBView).toMatchObject({ connected: true, entityId: `rt-jt808-${phone}` });
      // (Probed only now: a connection that authenticated would replace the one B holds.)
      const again = await terminalOn(b.jt808Port!, phone);
      try { expect(await again.authenticate(reg.authCode)).toBe(RESULT.failed); } finally { again.close(); }
    } finally {
      onB.close();
    }
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
