/**
 * The product's server for the live benchmarks, in its own process so that its CPU and RSS are
 * read from /proc alone: the real app (server/app.ts) built from the environment like
 * `npm start`, simulator off, plus a bench fleet set up before it listens —
 * BENCH_ENTITIES HTTP devices (the pack's mobile entities first, then new vehicles made
 * through the device directory, as `POST /api/devices` with a new entity would), one ingest key
 * and one wall display token. The setup runs with synchronous=OFF: 20,000 single commits with
 * synchronous=FULL would cost minutes of fsync and measure nothing the benchmark is about.
 *
 * Prints one JSON line (BenchServerReady) on stdout when it listens. With REDIS_URL it is one node of
 * a cluster (the two-node row of run.ts). Then answers `heap` on stdin with one BenchHeap line:
 * what the process holds after full garbage collections (started with --expose-gc), which says
 * whether memory grew where RSS alone mixes growth with garbage not yet collected.
 */
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildApp } from '../../../server/app.ts';
import { loadConfig } from '../../../server/config.ts';
import { loadDistrictPack } from '../../../server/district/load-pack.ts';
import { newToken } from '../../../server/auth/passwords.ts';
import { IngestKeysRepo } from '../../../server/ingest/http/keys-repo.ts';
import { benchDeviceId } from './fleet.ts';

export interface BenchServerReady { port: number; ingestKey: string; wallToken: string; devices: number; catalog: number }
/** MiB held after collection: the JS heap, and buffers outside it (socket frames, typed arrays). */
export interface BenchHeap { heapMiB: number; externalMiB: number }

const count = Number(process.env.BENCH_ENTITIES ?? 20_000);
const config = loadConfig(process.env);
const clientRoot = process.env.BENCH_CLIENT_ROOT ?? join(config.dataDir, 'no-client');
const { app } = await buildApp(config, { pack: await loadDistrictPack('data/lixia'), logger: false, clientRoot });

// BENCH_SETUP=0: a second node of a cluster on the first one's store, which already holds the fleet,
// the key and the token (it reads them when it starts); it prints its port only.
let secret = '';
let wallToken = '';
if (process.env.BENCH_SETUP !== '0') {
  const pack = app.district.pack;
  const mobile = [...pack.staff, ...pack.vehicles, ...pack.muckTrucks].map((e) => e.id);
  // Each device is its own commit now (the registry writes in order, one at a time): the WAL is
  // not synced during the setup, which is not what the benchmark measures, and is again after it
  // (SQLite's WAL; PostgreSQL's commits are left as they are).
  const sqlite = app.store.sql.dialect === 'sqlite';
  if (sqlite) await app.store.sql.exec('PRAGMA synchronous = OFF');
  for (let k = 0; k < count; k++) {
    const bind = k < mobile.length
      ? { entityId: mobile[k]! }
      : { newEntity: { kind: 'vehicle' as const, name: `bench vehicle ${k}`, plate: `B${String(k).padStart(6, '0')}` } };
    await app.deviceDirectory.create('http', benchDeviceId(k), bind, null);
  }
  if (sqlite) await app.store.sql.exec('PRAGMA synchronous = FULL');
  secret = (await new IngestKeysRepo(app.store.sql).create('bench load', 'bench', Date.now())).secret;
  wallToken = newToken();
  await app.store.access.createDisplayToken(wallToken, 'bench wall', 'bench');
}

await app.listen({ host: '127.0.0.1', port: 0 });
const ready: BenchServerReady = {
  port: (app.server.address() as { port: number }).port, ingestKey: secret, wallToken, devices: count, catalog: app.live.catalog.length,
};
process.stdout.write(`${JSON.stringify(ready)}\n`);

const collect = (globalThis as { gc?: () => void }).gc;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'heap') return;
  // Twice: the first pass frees what finalizers and weak references were holding for the second.
  collect?.();
  collect?.();
  const m = process.memoryUsage();
  const heap: BenchHeap = { heapMiB: collect ? m.heapUsed / 2 ** 20 : Number.NaN, externalMiB: collect ? m.external / 2 ** 20 : Number.NaN };
  process.stdout.write(`${JSON.stringify(heap)}\n`);
});

const stop = () => { void app.close().then(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
