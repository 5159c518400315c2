/**
 * HTTP positions accepted per second, end to end: pre-built batches of 1,000 fixes posted over
 * keep-alive connections from another process (http-load.ts) to the real server (SIM off, temp
 * store), each fix checked, filtered
 * and applied to the live state; at the end each device's live position is checked to be the last
 * fix sent for it.
 * Target: ≥ 50,000 positions/s (issue 8 part 8). Prints figures; asserts nothing.
 *
 * One of `npm run bench:ingest`'s files (tests/bench/ingest/run.ts); also runs on its own:
 *   node --import tsx tests/bench/ingest/http.bench.ts
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../../server/app.ts';
import { loadConfig } from '../../../server/config.ts';
import { loadDistrictPack } from '../../../server/district/load-pack.ts';

import type { BenchRow } from './rows.ts';
import { fixOf, groupsOf, type LoadPlan, type LoadResult } from './http-load.ts';

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
    for (const id of mobile) await app.deviceDirectory.create('http', `dev-${id}`, { entityId: id }, null);
    const key = (await app.inject({ method: 'POST', url: '/api/ingest-keys', headers: { authorization: `Bearer ${await adminToken(app)}` }, payload: { name: 'bench' } })).json().secret as string;

    // Round r: every device one fix, 0.5 s and ~3 m after its last, stamped around now (an hour-old
    // fix is a late report and leaves the device offline), so no filter drops it.
    const plan: LoadPlan = { port, key, devices: mobile, t0: Date.now() - 100_000, stepMs: 500, rounds: 400, batch: BATCH, inFlight: IN_FLIGHT, durationMs: DURATION_MS };

    // Round 0, untimed: each device's first report takes its entity over from the simulator
    // (one durable registry write per device, once in its life), which is not the steady rate.
    const warm0 = performance.now();
    for (let i = 0; i < mobile.length; i += BATCH) {
      const res = await post(agent, port, key, Buffer.from(JSON.stringify({ positions: mobile.slice(i, i + BATCH).map((id, j) => fixOf(plan, id, i + j, 0)) })));
      if (res.status !== 200 || (JSON.parse(res.text) as { accepted: number }).accepted !== Math.min(BATCH, mobile.length - i)) throw new Error(`warm-up: ${res.status} ${res.text.slice(0, 200)}`);
    }
    const takeoverS = (performance.now() - warm0) / 1000;

    // The load from its own process: this process's CPU is the server's alone.
    const load = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./http-load.ts', import.meta.url)), JSON.stringify(plan)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: load.stdout! });
    const next = () => new Promise<string>((ok, fail) => { lines.once('line', ok); load.once('exit', (code) => fail(new Error(`load generator exited with ${code}`))); });
    if ((await next()) !== 'ready') throw new Error('load generator did not get ready');
    const cpu0 = process.cpuUsage();
    load.stdin!.write('go\n');
    const result = JSON.parse(await next()) as LoadResult;
    const cpu = process.cpuUsage(cpu0);
    const { accepted, rejected, seconds, sentBy } = result;
    const groups = groupsOf(plan);
    // End to end: the live state holds the last fix sent for every device (item n of a group is device n mod g, round 1 + n div g).
    const inLive = groups.reduce((sum, group, w) => sum + group.filter(({ id }, j) => {
      const n = sentBy[w]!;
      return n > j && app.live.get(id)?.pos?.ts === plan.t0 + (1 + Math.floor((n - 1 - j) / group.length)) * plan.stepMs;
    }).length, 0);
    const perSecond = Math.round(accepted / seconds);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return [
      {
        metric: 'HTTP positions accepted end to end into the live state', value: perSecond, unit: 'positions/s', target: `≥ ${TARGET.toLocaleString('en')}`, met: perSecond >= TARGET,
        note: `${mobile.length} devices, batches of ${BATCH}, ${IN_FLIGHT} connections from another process, ${seconds.toFixed(1)} s; ${rejected} rejected${result.firstRejection ? ` (${result.firstRejection})` : ''}; ${inLive}/${mobile.length} live positions = last fix sent`,
      },
      { metric: 'HTTP first reports: takeover of every device from the simulator', value: Number(takeoverS.toFixed(2)), unit: 's', note: `${mobile.length} devices, untimed above` },
      { metric: 'HTTP ingest: server CPU', value: Math.round((cpuSeconds / seconds) * 100), unit: '% of one core' },
      {
        metric: 'HTTP positions per server CPU-second', value: Math.round(accepted / cpuSeconds), unit: 'positions/CPU-s',
        note: 'what one core carries when the server has it to itself; on a shared machine the wall-clock figure above is lower',
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
  await app.store.access.createUser('bench-admin', await hashPassword(password), 'admin', Date.now(), null);
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'bench-admin', password } });
  return res.json().token as string;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const r of await httpPositions()) process.stdout.write(`${r.metric}: ${r.value.toLocaleString('en')} ${r.unit}${r.target ? ` (target ${r.target}${r.met ? ', met' : ', NOT MET'})` : ''}${r.note ? ` — ${r.note}` : ''}\n`);
}
