/**
 * Replay of one hour of the whole simulated district, end to end: the real simulator (5,043
 * entities) feeds the real ingest, live state and history writer into a temp SQLite file for
 * one busy hour on a stepped clock (as tests/bench/history.bench.ts does); then the real app
 * starts on that file and GET /api/replay for the hour is read over HTTP as a browser reads
 * it — the stream split into records, every frame held, and the player run through the
 * whole hour into an EntityBuffer (every frame decoded and applied).
 *
 * Printed: bytes, frames, rows; time to the first frame (the player can start) and to the
 * end of the stream (server encode); the player's decode + apply of every frame; the total.
 * Target: the hour loads in under a second.
 *
 *   npm run bench -- replay          (REPLAY_BENCH_ROUNDS=3 by default)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import { fillHistory } from '../fixtures/history-fill.ts';
import { ReplayStreamReader } from '../../shared/replay-stream.ts';
import { EntityBuffer } from '../../client/realtime/entity-buffer.ts';
import { ReplayPlayer } from '../../client/replay/replay-player.ts';

const ROUNDS = Number(process.env.REPLAY_BENCH_ROUNDS ?? 3);
// 2026-11-27 08:00 in Jinan (UTC+8): every crew and truck on the road.
const START = Date.UTC(2026, 10, 27, 0, 0, 0);
const HOUR = 3_600_000;

const pack = await loadDistrictPack('data/lixia');
const dataDir = mkdtempSync(join(tmpdir(), 'cityops-replay-bench-'));

// 1. One hour of history (plus five minutes before it, so the hour starts with the fleet reporting), written as the server writes it.
{
  const wall0 = performance.now();
  const filled = await fillHistory({ dataDir, pack, from: START - 5 * 60_000, to: START + HOUR });
  process.stdout.write(`  simulated 1 h + 5 min of warm-up in ${((performance.now() - wall0) / 1000).toFixed(0)} s: ${filled.pointsKept.toLocaleString('en')} points kept\n`);
}

// 2. The real app on that file; the hour read as the /replay screen reads it.
const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SIM_ENABLED: 'false', SIM_HISTORY_DAYS: '0', HISTORY_RETENTION_DAYS: '3650' });
const built = await buildApp(config, { pack, logger: false, clientRoot: join(dataDir, 'no-client') });
await built.app.listen({ host: '127.0.0.1', port: 0 });
const addr = built.app.server.address();
const url = `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`;
const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: built.firstStart!.adminPassword }) });
const token = ((await login.json()) as { token: string }).token;

interface Round { cpuStreamMs: number; cpuMs: number; firstFrameMs: number; streamMs: number; playMs: number; totalMs: number; bytes: number; frames: number; keyframes: number; rows: number; drawn: number }
const rounds: Round[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // The filling simulation's garbage (and the previous round's) is not this request's to collect.
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const res = await fetch(`${url}/api/replay?from=${START}&to=${START + HOUR}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /api/replay answered ${res.status}: ${await res.text()}`);
  const buffer = new EntityBuffer();
  let clock = 0;
  const player = new ReplayPlayer(buffer, () => {}, () => clock);
  const reader = new ReplayStreamReader();
  const body = res.body!.getReader();
  let bytes = 0;
  let firstFrameMs = 0;
  for (;;) {
    const { done, value } = await body.read();
    if (done) break;
    bytes += value.length;
    for (const rec of reader.push(value)) {
      player.accept(rec);
      if (firstFrameMs === 0 && player.frames.length > 0) firstFrameMs = performance.now() - t0;
    }
  }
  reader.finish();
  const streamMs = performance.now() - t0;
  const cpuS = process.cpuUsage(cpu0);
  const cpuStreamMs = (cpuS.user + cpuS.system) / 1000;
  // The whole hour played through at once: every delta frame decoded and applied to the buffer.
  const p0 = performance.now();
  player.setSpeed(3600);
  player.play();
  while (player.state.playing) {
    clock += 250;
    player.tick();
  }
  const playMs = performance.now() - p0;
  const totalMs = performance.now() - t0;
  // Server and player share this process: its CPU time is the work of both, whatever else the machine runs.
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (player.state.time !== START + HOUR) throw new Error(`the player stopped at ${player.state.time}, not at the end of the hour`);
  let drawn = 0;
  for (let i = 0; i < buffer.size; i++) drawn += buffer.hasPos[i]!;
  rounds.push({ cpuStreamMs, cpuMs, firstFrameMs, streamMs, playMs, totalMs, bytes, frames: player.end!.frames, keyframes: player.end!.keyframes, rows: player.end!.rows, drawn });
}
await built.app.close();
rmSync(dataDir, { recursive: true, force: true });

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const last = rounds[rounds.length - 1]!;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MiB`;
const load = os.loadavg()[0]!.toFixed(1);
const out: [string, string][] = [
  ['window', `1 h from 08:00 local, ${built.app.live.size} entities (${last.drawn} with a position at the end)`],
  ['stream', `${mb(last.bytes)} in ${last.frames.toLocaleString('en')} frames (${last.keyframes} keyframes), ${last.rows.toLocaleString('en')} entity rows, ${(last.bytes / Math.max(1, last.rows)).toFixed(1)} B a row`],
  ['first frame (player can start)', `${rounds.map((x) => x.firstFrameMs.toFixed(0)).join(' / ')} ms (median ${med(rounds.map((x) => x.firstFrameMs)).toFixed(0)})`],
  ['whole stream read (server encode + HTTP + split)', `${rounds.map((x) => x.streamMs.toFixed(0)).join(' / ')} ms (median ${med(rounds.map((x) => x.streamMs)).toFixed(0)})`],
  ['player: decode + apply every frame', `${rounds.map((x) => x.playMs.toFixed(0)).join(' / ')} ms (median ${med(rounds.map((x) => x.playMs)).toFixed(0)})`],
  ['CPU time to the end of the stream (server + reader)', `${rounds.map((x) => x.cpuStreamMs.toFixed(0)).join(' / ')} ms (median ${med(rounds.map((x) => x.cpuStreamMs)).toFixed(0)})`],
  ['CPU time, server + player (this process)', `${rounds.map((x) => x.cpuMs.toFixed(0)).join(' / ')} ms (median ${med(rounds.map((x) => x.cpuMs)).toFixed(0)}) — the work itself, whatever else the machine runs`],
  ['end to end', `${rounds.map((x) => x.totalMs.toFixed(0)).join(' / ')} ms (median ${med(rounds.map((x) => x.totalMs)).toFixed(0)}) — target < 1000 ms: ${med(rounds.map((x) => x.totalMs)) < 1000 ? 'met' : 'NOT met'}`],
];
const w = Math.max(...out.map((x) => x[0].length));
out.push(['machine', `load average ${load} on ${os.cpus().length} cores during the rounds (wall-clock figures stretch with it; CPU time does not)`]);
process.stdout.write(`\nReplay of one hour of the district (GET /api/replay, ${ROUNDS} rounds)\n${out.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}\n`);
