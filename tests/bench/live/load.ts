/**
 * The live benchmark's load generator, in its own process: `devices` HTTP devices each post one
 * fix per period through `POST /api/v1/ingest/positions` (the product's ingest, or the naive
 * baseline's copy of it), spread evenly over the period in `slots` batches, on a timetable the
 * screens know (fleet.ts). Commands on stdin: "pause", "resume", "count" (prints {"accepted": n}
 * so far), "stop" (prints one JSON line, LoadSummary, and exits).
 */
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { benchDeviceId, fixMicro, plannedAt, type Timetable } from './fleet.ts';

export interface LoadPlan { port: number; key: string; devices: number; timetable: Timetable }
export interface LoadSummary {
  batches: number; fixes: number; accepted: number; rejected: number; failedRequests: number;
  /** From the first batch to "stop". */
  seconds: number;
  firstRejection: string | null;
  /** How late batches left against the timetable (the generator's own lag, included in the latencies). */
  lagP50Ms: number; lagP99Ms: number;
}

const plan = JSON.parse(process.argv[2]!) as LoadPlan;
const { timetable: t } = plan;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const lags: number[] = [];
const summary: LoadSummary = { batches: 0, fixes: 0, accepted: 0, rejected: 0, failedRequests: 0, firstRejection: null, lagP50Ms: 0, lagP99Ms: 0, seconds: 0 };
let firstAt = 0;
let paused = false;
let stopped = false;

function post(body: Buffer): void {
  const req = request({
    host: '127.0.0.1', port: plan.port, path: '/api/v1/ingest/positions', method: 'POST', agent,
    headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${plan.key}` },
  }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (res.statusCode !== 200) {
        summary.failedRequests++;
        summary.firstRejection ??= `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
        return;
      }
      const r = JSON.parse(text) as { accepted: number; rejected: { reason: string; detail: string }[] };
      summary.accepted += r.accepted;
      summary.rejected += r.rejected.length;
      if (r.rejected[0]) summary.firstRejection ??= `${r.rejected[0].reason}: ${r.rejected[0].detail}`;
    });
  });
  req.on('error', (err) => { summary.failedRequests++; summary.firstRejection ??= err.message; });
  req.end(body);
}

function batch(r: number, slot: number): Buffer {
  const positions: object[] = [];
  const ts = Date.now();
  for (let k = slot; k < plan.devices; k += t.slots) {
    const m = fixMicro(k, r);
    positions.push({ deviceId: benchDeviceId(k), ts, lon: m.lon / 1e6, lat: m.lat / 1e6, speed: 1, heading: 0 });
  }
  return Buffer.from(JSON.stringify({ positions }));
}

async function run(): Promise<void> {
  for (let n = 0; !stopped; n++) {
    const r = Math.floor(n / t.slots);
    const slot = n % t.slots;
    const due = plannedAt(t, r, slot);
    const wait = due - Date.now();
    if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
    if (stopped) break;
    // Paused: the round is skipped, not sent late, so the timetable stays what the screens expect.
    if (paused) continue;
    if (!firstAt) firstAt = Date.now();
    lags.push(Date.now() - due);
    const body = batch(r, slot);
    summary.batches++;
    summary.fixes += Math.ceil((plan.devices - slot) / t.slots);
    post(body);
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'pause') paused = true;
  else if (line === 'resume') paused = false;
  else if (line === 'count') process.stdout.write(`${JSON.stringify({ accepted: summary.accepted })}\n`);
  else if (line === 'stop') stopped = true;
});
process.stdout.write('ready\n');
await run();
summary.seconds = (Date.now() - firstAt) / 1000;
// Answers still on their way are waited for briefly, so the counts cover what was sent.
await new Promise((ok) => setTimeout(ok, 1500));
summary.lagP50Ms = pct(lags, 50);
summary.lagP99Ms = pct(lags, 99);
process.stdout.write(`${JSON.stringify(summary)}\n`);
agent.destroy();
process.exit(0);
