/**
 * The HTTP bench's load generator, in its own process so that the server's CPU is measured
 * alone (tests/bench/ingest/http.bench.ts starts it). Builds every batch first, says "ready",
 * waits for "go" on stdin, posts over keep-alive connections — one per group of devices, each
 * group's fixes in order, as one integration would — and prints one JSON line of results.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export interface LoadPlan {
  port: number; key: string; devices: string[]; t0: number; stepMs: number; rounds: number; batch: number; inFlight: number; durationMs: number;
}
export interface LoadResult { accepted: number; rejected: number; seconds: number; sentBy: number[]; firstRejection: string | null }

/** Fix r of device k (in the order of `devices`): ~3 m north of the last, `stepMs` later; a grid of places across the district. */
export const fixOf = (plan: Pick<LoadPlan, 't0' | 'stepMs'>, deviceId: string, k: number, r: number) => ({
  deviceId: `dev-${deviceId}`, ts: plan.t0 + r * plan.stepMs, lon: 117.01 + (k % 60) * 0.0025, lat: 36.6 + Math.floor(k / 60) * 0.0025 + r * 0.00003, speed: 10.8,
});

/** Device j of group w is devices[w + j * inFlight]. */
export const groupsOf = (plan: Pick<LoadPlan, 'devices' | 'inFlight'>) =>
  Array.from({ length: plan.inFlight }, (_, w) => plan.devices.map((id, k) => ({ id, k })).filter((_, k) => k % plan.inFlight === w));

function post(agent: Agent, plan: LoadPlan, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: plan.port, path: '/api/v1/ingest/positions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${plan.key}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2]!) as LoadPlan;
  const bodies = groupsOf(plan).map((group) => {
    const out: Buffer[] = [];
    let batch: object[] = [];
    for (let r = 1; r <= plan.rounds; r++) {
      for (const { id, k } of group) {
        batch.push(fixOf(plan, id, k, r));
        if (batch.length === plan.batch) { out.push(Buffer.from(JSON.stringify({ positions: batch }))); batch = []; }
      }
    }
    return out;
  });
  process.stdout.write('ready\n');
  await new Promise<void>((go) => process.stdin.once('data', () => go()));
  const agent = new Agent({ keepAlive: true, maxSockets: plan.inFlight });
  const result: LoadResult = { accepted: 0, rejected: 0, seconds: 0, sentBy: bodies.map(() => 0), firstRejection: null };
  const start = performance.now();
  await Promise.all(bodies.map(async (mine, w) => {
    for (let i = 0; i < mine.length && performance.now() - start < plan.durationMs; i++) {
      const res = await post(agent, plan, mine[i]!);
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${res.text.slice(0, 200)}`);
      const r = JSON.parse(res.text) as { accepted: number; rejected: { reason: string; detail: string }[] };
      result.sentBy[w]! += plan.batch;
      result.accepted += r.accepted;
      result.rejected += r.rejected.length;
      if (r.rejected[0] && !result.firstRejection) result.firstRejection = `${r.rejected[0].reason}: ${r.rejected[0].detail}`;
    }
  }));
  result.seconds = (performance.now() - start) / 1000;
  agent.destroy();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

// Imported by http.bench.ts for fixOf and groupsOf; run only when started as the load process.
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
