/**
 * The live state shared through the real Redis stream, in one process (two LiveStates, each with
 * its own connections, as two nodes would have): a change reaches the other node, an older one
 * never overwrites a newer one there, the other node applies it marked as replayed (history skips
 * it), a move repeats no status or attributes already sent, derived values and added entities follow, and a node that starts after the stream was
 * trimmed catches up from the snapshot.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyEntity } from '../../shared/entities.ts';
import { LiveState, connectivityPolicy } from '../../server/live/live-state.ts';
import { LiveReplication } from '../../server/cluster/replication.ts';
import { isReplaying } from '../../server/cluster/replaying.ts';
import { eventually, redisUrlForTests, testPrefix } from './cluster-harness.ts';

const redisUrl = await redisUrlForTests();
const T0 = Date.UTC(2026, 11, 7, 2, 0, 0);
const entities = (): AnyEntity[] => [
  { id: 'veh-001', kind: 'vehicle', name: 'v1', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, attrs: { vehicleType: 'sweeper', plate: 'p1', working: false } },
  { id: 'veh-002', kind: 'vehicle', name: 'v2', orgCode: '370102001', gridId: 'g1', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, attrs: { vehicleType: 'washer', plate: 'p2', working: false } },
];
const policy = connectivityPolicy({ staleAfterMs: 60_000, offlineAfterMs: 600_000 }, { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 });

describe.skipIf(!redisUrl)('live state replication through a Redis stream', () => {
  const prefix = testPrefix('replication');
  const conns: Redis[] = [];
  const nodes: LiveReplication[] = [];
  const errors: string[] = [];
  const node = async (id: string) => {
    const redis = new Redis(redisUrl!);
    const reader = new Redis(redisUrl!);
    conns.push(redis, reader);
    const live = new LiveState(entities(), policy);
    const rep = new LiveReplication({
      redis, reader, live, nodeId: id, streamKey: `${prefix}:live:stream`, snapshotKey: `${prefix}:live:snapshot`,
      maxLen: 1000, flushMs: 20, now: () => T0, onError: (what, err) => errors.push(`${id} ${what}: ${String(err)}`),
    });
    nodes.push(rep);
    await rep.start();
    return { live, rep };
  };
  let a: Awaited<ReturnType<typeof node>>;
  let b: Awaited<ReturnType<typeof node>>;
  beforeAll(async () => {
    a = await node('a');
    b = await node('b');
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    const keys = await conns[0]!.keys(`${prefix}:*`);
    if (keys.length) await conns[0]!.del(...keys);
    for (const c of conns) c.disconnect();
  });

  it('a report applied on A is applied on B, marked as replayed there', async () => {
    const replayed: boolean[] = [];
    const off = b.live.changes.subscribe('probe', (c) => { if (c.entity.id === 'veh-001') replayed.push(isReplaying(b.live)); });
    a.live.apply('veh-001', { pos: { lon: 117.01, lat: 36.61, ts: T0 + 1000 }, status: 'working', ts: T0 + 1000 }, T0 + 1100);
    const e = await eventually('veh-001 on B', async () => { const v = b.live.get('veh-001')!; return v.pos?.ts === T0 + 1000 ? v : undefined; });
    off();
    expect(e.pos).toEqual({ lon: 117.01, lat: 36.61, ts: T0 + 1000 });
    expect(e.status).toBe('working');
    expect(e.lastSeen).toBe(T0 + 1100);
    expect(e.connectivity).toBe('online');
    expect(replayed).toEqual([true]);
    // A does not apply its own entries a second time.
    expect(a.rep.stats.applied).toBe(0);
    expect(errors).toEqual([]);
  });

  it('a move after a published state crosses without the status and attributes, and B keeps them', async () => {
    a.live.apply('veh-001', { pos: { lon: 117.015, lat: 36.615, ts: T0 + 1500 }, ts: T0 + 1500 }, T0 + 1600);
    const e = await eventually('the move on B', async () => { const v = b.live.get('veh-001')!; return v.pos?.ts === T0 + 1500 ? v : undefined; });
    expect(e.pos).toEqual({ lon: 117.015, lat: 36.615, ts: T0 + 1500 });
    expect(e.status).toBe('working');
    expect(e.attrs).toEqual({ vehicleType: 'sweeper', plate: 'p1', working: false });
    // What A wrote, read back from Redis: the first row of veh-001 in full, the move without them.
    const rows = (await conns[0]!.xrange(`${prefix}:live:stream`, '-', '+'))
      .flatMap(([, fields]) => (JSON.parse(fields[fields.indexOf('d') + 1]!) as { r?: Record<string, unknown>[] }).r ?? [])
      .filter((r) => r['id'] === 'veh-001');
    expect(rows.map((r) => Object.keys(r).sort())).toEqual([
      ['attrs', 'id', 'lastSeen', 'pos', 'stateTs', 'status'],
      ['id', 'lastSeen', 'pos', 'stateTs'],
    ]);
    expect(rows[1]).toEqual({ id: 'veh-001', pos: { lon: 117.015, lat: 36.615, ts: T0 + 1500 }, stateTs: rows[0]!['stateTs'], lastSeen: T0 + 1600 });
    expect(errors).toEqual([]);
  });

  it('an older report from another node never overwrites a newer one', async () => {
    b.live.apply('veh-002', { pos: { lon: 117.03, lat: 36.63, ts: T0 + 3000 }, ts: T0 + 3000 }, T0 + 3000);
    a.live.apply('veh-002', { pos: { lon: 117.02, lat: 36.62, ts: T0 + 2000 }, ts: T0 + 2000 }, T0 + 2000);
    // A takes B's newer fix; B keeps it (A's older one arrives there and changes nothing).
    await eventually('B\'s fix on A', async () => (a.live.get('veh-002')!.pos?.ts === T0 + 3000 ? true : undefined));
    await eventually('A\'s entry read on B', async () => (b.rep.stats.streamId === a.rep.stats.streamId && a.rep.stats.streamId !== '' ? true : undefined));
    expect(b.live.get('veh-002')!.pos).toEqual({ lon: 117.03, lat: 36.63, ts: T0 + 3000 });
  });

  it('derived values and entities added at run time follow', async () => {
    const added: AnyEntity = { id: 'veh-900', kind: 'vehicle', name: 'new truck', orgCode: '370102002', gridId: 'g2', status: 'parked', connectivity: 'offline', lastSeen: 0, version: 0, attrs: { vehicleType: 'sweeper', plate: 'p900', working: false } };
    a.live.addEntity(added, T0);
    a.live.apply('veh-900', { pos: { lon: 117.05, lat: 36.65, ts: T0 + 4000 }, ts: T0 + 4000 }, T0 + 4000);
    a.live.derive('veh-001', { working: true }, T0 + 4000);
    const e = await eventually('veh-900 on B', async () => b.live.get('veh-900')?.pos ? b.live.get('veh-900') : undefined);
    expect(e!.name).toBe('new truck');
    expect(e!.pos!.lon).toBe(117.05);
    await eventually('derived value on B', async () => ((b.live.get('veh-001')!.attrs as { working: boolean }).working === true ? true : undefined));
  });

  it('a node that starts after the stream was trimmed catches up from the snapshot', async () => {
    const snapshot = a.rep.snapshot();
    await conns[0]!.set(`${prefix}:live:snapshot`, snapshot);
    // Everything before now is gone from the stream; the snapshot is all a new node can learn it from.
    await conns[0]!.xtrim(`${prefix}:live:stream`, 'MAXLEN', 0);
    const c = await node('c');
    const e = await eventually('veh-900 on C', async () => c.live.get('veh-900')?.pos ? c.live.get('veh-900') : undefined);
    expect(e!.pos).toEqual({ lon: 117.05, lat: 36.65, ts: T0 + 4000 });
    expect(c.live.get('veh-001')!.pos).toEqual({ lon: 117.015, lat: 36.615, ts: T0 + 1500 });
    expect(c.live.get('veh-001')!.status, 'the state the stream no longer repeats comes with the snapshot').toBe('working');
    expect(c.rep.stats.resyncs).toBe(1);
    // And it reads on from there.
    a.live.apply('veh-002', { pos: { lon: 117.04, lat: 36.64, ts: T0 + 5000 }, ts: T0 + 5000 }, T0 + 5000);
    await eventually('new fix on C', async () => (c.live.get('veh-002')!.pos?.ts === T0 + 5000 ? true : undefined));
  });
});
