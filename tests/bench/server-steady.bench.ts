/**
 * The server in steady state with the full simulated fleet (~5,000 entities) and walls
 * connected: CPU share and RSS, measured from /proc over a window, plus what a wall receives.
 * Prints figures; asserts nothing. BENCH_WALLS (default 5) and BENCH_SECONDS (default 30).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { io } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/live-events.ts';
import type { Socket } from 'socket.io-client';

const WALLS = Number(process.env.BENCH_WALLS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_S = 10;
const CLK_TCK = 100;

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port;
    s.close(() => resolve(port));
  });
});

function procStat(pid: number): { cpuTicks: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuTicks, rssMiB: rssKiB / 1024 };
}

const dataDir = mkdtempSync(join(tmpdir(), 'cityops-bench-'));
const port = await freePort();
// The server as `npm start` runs it.
const { spawnSync } = await import('node:child_process');
spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const t0 = Date.now();
const child = spawn(process.execPath, ['--enable-source-maps', 'dist/server/main.mjs'], {
  env: { ...process.env, PORT: String(port), JT808_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', SIM_SEED: '42', SIM_HISTORY_DAYS: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
const token = await new Promise<string>((resolve, reject) => {
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    const m = /Wall URL: \S+\?token=([\w-]+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  child.on('exit', (c) => reject(new Error(`server exited with ${c}`)));
});
process.stdout.write(`server ready in ${Date.now() - t0} ms (listening, simulator running)\n`);

let bytes = 0;
let frames = 0;
const sockets: Socket<ServerToClientEvents, ClientToServerEvents>[] = [];
for (let k = 0; k < WALLS; k++) {
  // Live format 2, as the wall negotiates it (a socket that names no format is told to reload).
  const s: Socket<ServerToClientEvents, ClientToServerEvents> = io(`http://127.0.0.1:${port}`, { auth: { token, live: { format: 2 } }, transports: ['websocket'] });
  s.on('live:delta', (f) => { bytes += (f as Uint8Array).byteLength; frames++; });
  sockets.push(s);
}
await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
const a = procStat(child.pid!);
bytes = 0;
frames = 0;
let peakRss = a.rssMiB;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, procStat(child.pid!).rssMiB); }, 1000);
await new Promise((r) => setTimeout(r, SECONDS * 1000));
clearInterval(sampler);
const b = procStat(child.pid!);
const health = (await (await fetch(`http://127.0.0.1:${port}/api/health`)).json()) as { entities: Record<string, number>; ingest: { accepted: number; dropped: number } };
const entities = Object.values(health.entities).reduce((x, y) => x + y, 0);

process.stdout.write(`entities                                  ${entities} (${JSON.stringify(health.entities)})\n`);
process.stdout.write(`walls connected                           ${WALLS}\n`);
process.stdout.write(`server CPU, steady state                  ${(((b.cpuTicks - a.cpuTicks) / CLK_TCK / SECONDS) * 100).toFixed(1)} % of one core\n`);
process.stdout.write(`server RSS, steady state                  ${b.rssMiB.toFixed(0)} MiB (peak ${peakRss.toFixed(0)} MiB)\n`);
process.stdout.write(`reports ingested                          ${health.ingest.accepted} accepted, ${health.ingest.dropped} dropped in ${WARMUP_S + SECONDS} s\n`);
process.stdout.write(`live stream per wall                      ${(bytes / WALLS / SECONDS / 1024).toFixed(1)} KiB/s in ${(frames / WALLS / SECONDS).toFixed(2)} frames/s\n`);

for (const s of sockets) s.close();
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
rmSync(dataDir, { recursive: true, force: true });
