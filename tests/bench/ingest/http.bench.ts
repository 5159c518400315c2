/**
 * HTTP positions accepted per second, end to end: pre-built batches of 1,000 fixes posted over
 * keep-alive connections to the real server (SIM off, temp store), each fix checked, filtered
 * and applied to the live state; at the end each device's live position is checked to be the last
 * fix sent for it.
 * Target: ≥ 50,000 positions/s (issue 8 part 8). Prints figures; asserts nothing.
 *
 * One of `npm run bench:ingest`'s files (tests/bench/ingest/run.ts); also runs on its own:
 *   node --import tsx tests/bench/ingest/http.bench.ts
 */
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../../server/app.ts';
import { loadConfig } from '../../../server/config.ts';
import { loadDistrictPack } from '../../../server/district/load-pack.ts';

import type { BenchRow } from './rows.ts';

const BATCH = 1000;
const IN_FLIGHT = 4;
const DURATION_MS = Number(process.env.BENCH_HTTP_MS ?? 8000);
const TARGET = 50_000;

function post(agent: Agent, port: number, key: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/ingest/positions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${key}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export default async function httpPositions(): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cityops-bench-http-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SIM_ENABLED: 'false', SIM_HISTORY_DAYS: '0', INGEST_RATE_PER_MIN: '1000000' });
  const { app } = await buildApp(config, { pack: await loadDistrictPack('data/lixia'), logger: false, clientRoot: join(dataDir, 'no-client') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  try {
    // Every mobile pack entity gets an HTTP device (a phone or a platform's vehicle).
    const pack = app.district.pack;
    const mobile = [...pack.staff, ...pack.vehicles, ...pack.muckTrucks].map((e) => e.id);
    for (const id of mobile) app.deviceDirectory.create('http', `dev-${id}`, { entityId: id }, null);
    const key = (await app.inject({ method: 'POST', url: '/api/ingest-keys', headers: { authorization: `Bearer ${await adminToken(app)}` }, payload: { name: 'bench' } })).json().secret as string;

    // Round r: every device one fix, 0.5 s and ~3 m after its last, stamped around now (an hour-old
    // fix is a late report and leaves the device offline), so no filter drops it. Each
    // connection posts for its own devices, in order, as one integration would.
    const t0 = Date.now() - 100_000;
    const STEP_MS = 500;
    const rounds = 400;
    const fix = (id: string, k: number, r: number) => ({ deviceId: `dev-${id}`, ts: t0 + r * STEP_MS, lon: 117.01 + (k % 60) * 0.0025, lat: 36.6 + Math.floor(k / 60) * 0.0025 + r * 0.00003, speed: 10.8 });
    const groups = Array.from({ length: IN_FLIGHT }, (_, w) => mobile.map((id, k) => ({ id, k })).filter((_, k) => k % IN_FLIGHT === w));
    const bodies: Buffer[][] = groups.map((group) => {
      const out: Buffer[] = [];
      let batch: object[] = [];
      for (let r = 1; r <= rounds; r++) {
        for (const { id, k } of group) {
          batch.push(fix(id, k, r));
          if (batch.length === BATCH) { out.push(Buffer.from(JSON.stringify({ positions: batch }))); batch = []; }
        }
      }
      return out;
    });

    // Round 0, untimed: each device's first report takes its entity over from the simulator
    // (one durable registry write per device, once in its life), which is not the steady rate.
    const warm0 = performance.now();
    for (let i = 0; i < mobile.length; i += BATCH) {
      const res = await post(agent, port, key, Buffer.from(JSON.stringify({ positions: mobile.slice(i, i + BATCH).map((id, j) => fix(id, i + j, 0)) })));
      if (res.status !== 200 || (JSON.parse(res.text) as { accepted: number }).accepted !== Math.min(BATCH, mobile.length - i)) throw new Error(`warm-up: ${res.status} ${res.text.slice(0, 200)}`);
    }
    const takeoverS = (performance.now() - warm0) / 1000;

    let accepted = 0;
    let rejected = 0;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const sentBy = groups.map(() => 0);
    const worker = async (mine: Buffer[], w: number) => {
      for (let i = 0; i < mine.length && performance.now() - start < DURATION_MS; i++) {
        const res = await post(agent, port, key, mine[i]!);
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${res.text.slice(0, 200)}`);
        const r = JSON.parse(res.text) as { accepted: number; rejected: { reason: string; detail: string }[] };
        sentBy[w]! += BATCH;
        accepted += r.accepted;
        rejected += r.rejected.length;
      }
    };
    await Promise.all(bodies.map((mine, w) => worker(mine, w)));
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // End to end: the live state holds the last fix sent for every device (item n of a group is device n mod g, round n div g).
    const inLive = groups.reduce((sum, group, w) => sum + group.filter(({ id }, j) => {
      const n = sentBy[w]!;
      return n > j && app.live.get(id)?.pos?.ts === t0 + (1 + Math.floor((n - 1 - j) / group.length)) * STEP_MS;
    }).length, 0);
    const perSecond = Math.round(accepted / seconds);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return [
      {
        metric: 'HTTP positions accepted end to end into the live state', value: perSecond, unit: 'positions/s', target: `≥ ${TARGET.toLocaleString('en')}`, met: perSecond >= TARGET,
        note: `${mobile.length} devices, batches of ${BATCH}, ${IN_FLIGHT} connections, ${seconds.toFixed(1)} s; ${rejected} rejected; ${inLive}/${mobile.length} live positions = last fix sent`,
      },
      { metric: 'HTTP first reports: takeover of every device from the simulator', value: Number(takeoverS.toFixed(2)), unit: 's', note: `${mobile.length} devices, untimed above` },
      { metric: 'HTTP ingest CPU (server and load in one process)', value: Math.round((cpuSeconds / seconds) * 100), unit: '% of one core' },
      {
        metric: 'HTTP positions per CPU-second (server and load together)', value: Math.round(accepted / cpuSeconds), unit: 'positions/CPU-s',
        note: 'what one core would carry if the process had it to itself; on a shared machine the wall-clock figure above is lower',
      },
    ];
  } finally {
    agent.destroy();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function adminToken(app: Awaited<ReturnType<typeof buildApp>>['app']): Promise<string> {
  // A bench-only admin session, straight in the store (the first-start password is not printed here).
  const { hashPassword, newPassword } = await import('../../../server/auth/passwords.ts');
  const password = newPassword();
  app.store.access.createUser('bench-admin', await hashPassword(password), 'admin', Date.now(), null);
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'bench-admin', password } });
  return res.json().token as string;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const r of await httpPositions()) process.stdout.write(`${r.metric}: ${r.value.toLocaleString('en')} ${r.unit}${r.target ? ` (target ${r.target}${r.met ? ', met' : ', NOT MET'})` : ''}${r.note ? ` — ${r.note}` : ''}\n`);
}
