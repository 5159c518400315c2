/**
 * 10,000 JT/T 808 terminals connected to one server node, each reporting every 10 s: the
 * emulator (npm run jt808:emulate) runs in a separate process; this process runs the real
 * server (SQLite, JT808_REGISTRATION=open, so every terminal gets an entity; the simulator
 * off, so that the figures are the gateway's). Measured over a steady window after all have
 * authenticated: the server's RSS and CPU, the emulator's RSS and CPU, reports acknowledged.
 *
 * BENCH_TERMINALS (10000), BENCH_WINDOW_S (30).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../../server/app.ts';
import { loadConfig } from '../../../server/config.ts';
import type { BenchRow } from './rows.ts';

const TERMINALS = Number(process.env.BENCH_TERMINALS ?? 10_000);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 30);
const RSS_TARGET_MB = 500;

interface EmulatorUsage { rssMb: number; cpu: NodeJS.CpuUsage; reporting: number; reports: number; acked: number; errors: number; errorCodes: Record<string, number> }

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export default async function jt808Connections(): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cityops-bench-jt808-'));
  const config = loadConfig({
    PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SIM_ENABLED: 'false', SIM_HISTORY_DAYS: '0',
    JT808_REGISTRATION: 'open', JT808_MAX_CONNECTIONS: String(TERMINALS + 100),
  });
  const { app } = await buildApp(config, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = app.jt808.port!;
  const emulator = fork('scripts/jt808-emulate.ts', ['--terminals', String(TERMINALS), '--port', String(port), '--interval', '10', '--quiet'], {
    execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const usage = () => new Promise<EmulatorUsage>((resolve) => {
    emulator.once('message', (m) => resolve(m as EmulatorUsage));
    emulator.send('usage');
  });
  try {
    const t0 = Date.now();
    await until(`${TERMINALS} terminals authenticated`, () => app.jt808.stats()!.authenticated >= TERMINALS, 300_000);
    const rampS = (Date.now() - t0) / 1000;
    // Let the first reports of the ramp settle into the 10 s rhythm, then measure.
    await new Promise((r) => setTimeout(r, 10_000));
    const e0 = await usage();
    const s0 = { cpu: process.cpuUsage(), frames: app.jt808.stats()!.framesReceived, at: process.hrtime.bigint() };
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
    const e1 = await usage();
    const windowS = Number(process.hrtime.bigint() - s0.at) / 1e9;
    const cpu = process.cpuUsage(s0.cpu);
    const frames = app.jt808.stats()!.framesReceived - s0.frames;
    global.gc?.();
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    const cpuPct = ((cpu.user + cpu.system) / 1e6 / windowS) * 100;
    const eCpuPct = ((e1.cpu.user + e1.cpu.system - e0.cpu.user - e0.cpu.system) / 1e6 / windowS) * 100;
    const stats = app.jt808.stats()!;
    return [
      { metric: `JT/T 808 connections held by one node (each reporting every 10 s)`, value: stats.authenticated, unit: 'connections', target: `${TERMINALS.toLocaleString('en')}`, met: stats.authenticated >= TERMINALS, note: `all authenticated ${rampS.toFixed(1)} s after the emulator started; refusals ${JSON.stringify(stats.refused)}, closed by the gateway ${JSON.stringify(stats.closed)}` },
      { metric: 'server RSS with them (whole app: pack, live state, SQLite)', value: Math.round(rssMb), unit: 'MB', target: `< ${RSS_TARGET_MB}`, met: rssMb < RSS_TARGET_MB },
      { metric: 'server CPU while they report', value: Math.round(cpuPct * 10) / 10, unit: '% of one core', note: `${Math.round(frames / windowS).toLocaleString('en')} frames/s received over ${windowS.toFixed(0)} s` },
      { metric: 'emulator (separate process) RSS', value: Math.round(e1.rssMb), unit: 'MB' },
      { metric: 'emulator CPU', value: Math.round(eCpuPct * 10) / 10, unit: '% of one core', note: `${(e1.acked - e0.acked).toLocaleString('en')} reports acknowledged in the window, ${e1.errors} socket errors since start ${JSON.stringify(e1.errorCodes)} (reconnected)` },
    ];
  } finally {
    emulator.kill('SIGTERM');
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
