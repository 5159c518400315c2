/**
 * `npm run bench:live`: 20,000 entities reporting once per second to 100 screens, with this
 * project's live protocol and with the naive baseline (naive-server.ts), side by side; then 10
 * screens that stop reading for a minute. Server, load generator and screens are three
 * processes; the server's CPU and RSS are read from /proc. Prints a table; asserts nothing.
 *
 * Env: BENCH_ENTITIES (20000), BENCH_SCREENS (100), BENCH_WINDOW_S (30), BENCH_SLOW_S (60),
 * BENCH_SLOW_SCREENS (10), BENCH_MODES (product,cluster,naive), BENCH_FORMATS (the live protocol's formats to
 * negotiate, each its own column; default the newest, 2), BENCH_REDIS_URL (redis://127.0.0.1:6379, for
 * the cluster column: two nodes on one store, the fleet reporting to node A, every screen on node B, so
 * each update crosses Redis before it is drawn), BENCH_CPU_PROF (a folder: each product server runs
 * with `node --cpu-prof` into it, and its costliest functions are printed when it ends).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Timetable } from './fleet.ts';
import type { LoadPlan, LoadSummary } from './load.ts';
import type { BenchHeap, BenchServerReady } from './product-server.ts';
import type { ScreensPlan, ScreensReport } from './screens.ts';
import { procStat, sleep, start, stop, type Child } from './procs.ts';
import { costliest, type CpuProfile } from '../lib/cpu-profile.ts';

const ENTITIES = Number(process.env.BENCH_ENTITIES ?? 20_000);
const SCREENS = Number(process.env.BENCH_SCREENS ?? 100);
const MEASURING = Math.min(10, SCREENS);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 30);
const SLOW_S = Number(process.env.BENCH_SLOW_S ?? 60);
const SLOW_SCREENS = Number(process.env.BENCH_SLOW_SCREENS ?? 10);
const WARMUP_S = 8;
const TICK_MS = 1000;
const SLOTS = 20;
const MODES = (process.env.BENCH_MODES ?? 'product,cluster,naive').split(',');
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CPU_PROF = process.env.BENCH_CPU_PROF;

/** Node flags of a product server: GC on demand (the held-memory rows), and a CPU profile with BENCH_CPU_PROF. */
function serverArgs(name: string): string[] {
  if (!CPU_PROF) return ['--expose-gc'];
  const dir = join(CPU_PROF, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return ['--expose-gc', '--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** The costliest functions of each server's profile (written when it exited). */
function printProfiles(names: string[]): void {
  if (!CPU_PROF) return;
  for (const name of names) {
    const dir = join(CPU_PROF, name);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) { log(`  ${name}: no CPU profile written`); continue; }
    log(`  ${name}: costliest functions (self ms, whole run; ${join(dir, file)}):`);
    for (const line of costliest(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, 20)) log(`    ${line}`);
  }
}
// The newest format the codec has (format 2 since issue 9 part 4); BENCH_FORMATS=1,2 measures both (a few minutes more).
const codec = (await import('../../../shared/live-codec.ts')) as Record<string, unknown>;
const FORMATS = (process.env.BENCH_FORMATS ?? (codec.FORMAT_V2 ? '2' : '1')).split(',').filter(Boolean).map(Number);

/** The machine's 1-minute load average: on a shared machine every figure here depends on it. */
const loadAverage = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

interface Column {
  name: string; loadAvg: [number, number]; nodes: number;
  /** Fixes accepted during the window, and the server's CPU seconds for them. */
  windowAccepted: number; windowCpuS: number; report: ScreensReport; load: LoadSummary; cpuPct: number; rssMiB: number; peakRssMiB: number;
  slow?: { beforeMiB: number; duringMaxMiB: number; afterMiB: number; heap: [number, number, number] | null; connectedAfter: number; seconds: number };
}

const log = (s: string) => process.stderr.write(`${s}\n`);

interface Servers {
  /** The load reports here; the screens connect there (the same node unless it is a cluster). */
  ingestPort: number; screenPort: number; key: string; token: string; children: Child[];
}

const productEnv = (dataDir: string): Record<string, string> => ({
  DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', JT808_PORT: '0', LOG_LEVEL: 'warn', SIM_ENABLED: 'false', SIM_HISTORY_DAYS: '0',
  LIVE_TICK_MS: String(TICK_MS), INGEST_RATE_PER_MIN: '1000000', LIVE_MAX_SOCKETS_PER_TOKEN: String(SCREENS + 10), LIVE_MAX_SOCKETS_PER_ADDRESS: String(SCREENS + 10),
  BENCH_ENTITIES: String(ENTITIES),
});

async function startServers(mode: 'product' | 'cluster' | 'naive', dataDir: string): Promise<Servers> {
  if (mode === 'naive') {
    const key = randomBytes(16).toString('hex');
    const child = start('./naive-server.ts', [], { BENCH_KEY: key });
    const { port } = JSON.parse(await child.next()) as { port: number };
    return { ingestPort: port, screenPort: port, key, token: '', children: [child] };
  }
  const cluster = mode === 'cluster' ? { REDIS_URL, REDIS_KEY_PREFIX: `cityops-bench-${randomBytes(4).toString('hex')}` } : undefined;
  const a = start('./product-server.ts', [], { ...productEnv(dataDir), ...(cluster ? { ...cluster, CLUSTER_NODE_ID: 'bench-a' } : {}) }, serverArgs(`${mode}-a`));
  const ready = JSON.parse(await a.next()) as BenchServerReady;
  log(`  product server${cluster ? ' A' : ''}: ${ready.devices} devices, catalog ${ready.catalog} entities, port ${ready.port}`);
  if (!cluster) return { ingestPort: ready.port, screenPort: ready.port, key: ready.ingestKey, token: ready.wallToken, children: [a] };
  // Node B starts on A's store once the fleet is in it, so both catalogs list it.
  const b = start('./product-server.ts', [], { ...productEnv(dataDir), ...cluster, CLUSTER_NODE_ID: 'bench-b', BENCH_SETUP: '0' }, serverArgs(`${mode}-b`));
  const readyB = JSON.parse(await b.next()) as BenchServerReady;
  log(`  product server B: catalog ${readyB.catalog} entities, port ${readyB.port}`);
  return { ingestPort: ready.port, screenPort: readyB.port, key: ready.ingestKey, token: ready.wallToken, children: [a, b] };
}

/** CPU seconds and RSS of every node, summed (one node's figures when there is one). */
function serversStat(pids: number[]): { cpuS: number; rssMiB: number } {
  return pids.map(procStat).reduce((t, s) => ({ cpuS: t.cpuS + s.cpuS, rssMiB: t.rssMiB + s.rssMiB }), { cpuS: 0, rssMiB: 0 });
}

async function measure(name: string, mode: 'product' | 'cluster' | 'naive', handshake: Record<string, unknown> | undefined): Promise<Column> {
  log(`${name}: starting`);
  const dataDir = mkdtempSync(join(tmpdir(), 'cityops-bench-live-'));
  const servers = await startServers(mode, dataDir);
  const pids = servers.children.map((c) => c.proc.pid!);
  let load: Child | undefined;
  let screens: Child | undefined;
  try {
    // The screens connect first, as walls already on when the fleet reports; then the load begins.
    const screensPlan: ScreensPlan = { port: servers.screenPort, token: servers.token, mode: mode === 'naive' ? 'naive' : 'product', screens: SCREENS, measuring: MEASURING, ...(handshake ? { handshake } : {}) };
    screens = start('./screens.ts', [JSON.stringify(screensPlan)]);
    if ((await screens.next()) !== 'ready') throw new Error('screens did not get ready');
    const timetable: Timetable = { t0: Date.now() + 3000, periodMs: TICK_MS, slots: SLOTS };
    await screens.ask(`timetable ${JSON.stringify(timetable)}`);
    const loadPlan: LoadPlan = { port: servers.ingestPort, key: servers.key, devices: ENTITIES, timetable };
    load = start('./load.ts', [JSON.stringify(loadPlan)]);
    if ((await load.next()) !== 'ready') throw new Error('load generator did not get ready');
    log(`  ${SCREENS} screens connected; warming up ${WARMUP_S} s`);
    await sleep(WARMUP_S * 1000);

    await screens.ask('mark');
    const loadAvg0 = loadAverage();
    const accepted0 = (await load.ask<{ accepted: number }>('count')).accepted;
    const a = serversStat(pids);
    let peak = a.rssMiB;
    const sampler = setInterval(() => { peak = Math.max(peak, serversStat(pids).rssMiB); }, 1000);
    await sleep(WINDOW_S * 1000);
    clearInterval(sampler);
    const b = serversStat(pids);
    const accepted1 = (await load.ask<{ accepted: number }>('count')).accepted;
    const report = await screens.ask<ScreensReport>('report');
    const column: Column = { name, nodes: pids.length, loadAvg: [loadAvg0, loadAverage()], windowAccepted: accepted1 - accepted0, windowCpuS: b.cpuS - a.cpuS, report, load: undefined as unknown as LoadSummary, cpuPct: ((b.cpuS - a.cpuS) / WINDOW_S) * 100, rssMiB: b.rssMiB, peakRssMiB: peak };
    // JSON carries NaN (no sample arrived) as null.
    log(`  window done: ${report.samples} samples, p99 ${Number(report.latencyP99Ms ?? NaN).toFixed(0)} ms, ${Number(report.rowsPerScreenPerS ?? 0).toFixed(0)} entities/s per screen, server CPU ${column.cpuPct.toFixed(0)} %`);

    if (SLOW_S > 0 && SLOW_SCREENS > 0) {
      log(`  ${SLOW_SCREENS} screens stop reading for ${SLOW_S} s`);
      // RSS mixes what the slow screens hold with garbage not yet collected; the heap after a
      // full collection (the naive server has no such hook) says whether memory grew.
      const heldMiB = async (): Promise<number | null> => {
        if (mode === 'naive') return null;
        let sum = 0;
        for (const c of servers.children) { const h = await c.ask<BenchHeap>('heap'); sum += h.heapMiB + h.externalMiB; }
        return sum;
      };
      const heapBefore = await heldMiB();
      const beforeMiB = serversStat(pids).rssMiB;
      await screens.ask(`pause ${SLOW_SCREENS}`);
      let duringMaxMiB = beforeMiB;
      let heapDuring = heapBefore;
      for (let s = 0; s < SLOW_S; s += 2) {
        await sleep(2000);
        duringMaxMiB = Math.max(duringMaxMiB, serversStat(pids).rssMiB);
        // Every 10 s, and at the end of the minute, when the most is held.
        if (heapDuring !== null && (s % 10 === 8 || s + 2 >= SLOW_S)) heapDuring = Math.max(heapDuring, (await heldMiB())!);
      }
      await screens.ask('resume');
      await sleep(15_000);
      const afterMiB = serversStat(pids).rssMiB;
      const heapAfter = await heldMiB();
      const after = await screens.ask<ScreensReport>('report');
      const heap: [number, number, number] | null = heapBefore !== null && heapDuring !== null && heapAfter !== null ? [heapBefore, heapDuring, heapAfter] : null;
      column.slow = { beforeMiB, duringMaxMiB, afterMiB, heap, connectedAfter: after.connected, seconds: SLOW_S };
    }
    load.send('stop');
    column.load = JSON.parse(await load.next()) as LoadSummary;
    return column;
  } finally {
    if (screens) await stop(screens);
    if (load) await stop(load);
    for (const c of servers.children.reverse()) await stop(c);
    rmSync(dataDir, { recursive: true, force: true });
    if (mode !== 'naive') printProfiles(mode === 'cluster' ? ['cluster-a', 'cluster-b'] : ['product-a']);
  }
}

const columns: Column[] = [];
for (const mode of MODES) {
  if (mode !== 'product' && mode !== 'cluster' && mode !== 'naive') throw new Error(`BENCH_MODES: unknown mode "${mode}" (product, cluster, naive)`);
  if (mode === 'product') {
    for (const f of FORMATS) columns.push(await measure(`this protocol (format ${f})`, 'product', { live: { format: f } }));
  } else if (mode === 'cluster') {
    const f = FORMATS.at(-1)!;
    columns.push(await measure(`two nodes via Redis (format ${f})`, 'cluster', { live: { format: f } }));
  } else columns.push(await measure('naive JSON broadcast', 'naive', undefined));
}

// ---- the table ----
const fmt = (v: number | null, digits = 0) => (v !== null && Number.isFinite(v) ? v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '–');
const ours = columns.filter((c) => c.name.startsWith('this protocol')).at(-1);
const naive = columns.find((c) => c.name.startsWith('naive'));
const ratio = (pick: (c: Column) => number) => (ours && naive ? `${fmt(pick(naive) / pick(ours), 1)}×` : '–');
const P99_TARGET = TICK_MS + 100;

type Row = [string, ...string[]];
const rows: Row[] = [];
const row = (label: string, pick: (c: Column) => string, target: string, r: string) => rows.push([label, ...columns.map(pick), r, target]);
row('server CPU (all nodes)', (c) => `${fmt(c.cpuPct)} % of a core${c.nodes > 1 ? ` (${c.nodes} nodes)` : ''}`, '< 100 % (1 core)', ratio((c) => c.cpuPct));
// On a shared machine the server gets what the others leave it: its cost per fix says what it would need alone.
row(`server CPU per ${fmt(ENTITIES)} fixes accepted`, (c) => `${fmt((c.windowCpuS / c.windowAccepted) * ENTITIES * 100)} % of a core-second`, '< 100 % (1 core at 20,000/s)', ratio((c) => c.windowCpuS / c.windowAccepted));
row('server RSS, all nodes (end / peak)', (c) => `${fmt(c.rssMiB)} / ${fmt(c.peakRssMiB)} MiB`, '', ratio((c) => c.peakRssMiB));
row('latency ingest → screen p50', (c) => `${fmt(c.report.latencyP50Ms)} ms`, '', ratio((c) => c.report.latencyP50Ms));
row('latency ingest → screen p99', (c) => `${fmt(c.report.latencyP99Ms)} ms`, `≤ ${P99_TARGET} ms (tick + 100)`, ratio((c) => c.report.latencyP99Ms));
row('latency max', (c) => `${fmt(c.report.latencyMaxMs)} ms`, '', '');
row('  of which tick → screen p50 / p99', (c) => `${fmt(c.report.afterTickP50Ms)} / ${fmt(c.report.afterTickP99Ms)} ms`, '', '');
row('bytes per moved entity (payload)', (c) => `${fmt(c.report.payloadBytesPerEntity, 1)} B`, '≤ 16 B', ratio((c) => c.report.payloadBytesPerEntity));
row('bytes per moved entity (TCP, all events)', (c) => `${fmt(c.report.wireBytesPerEntity, 1)} B`, '≤ 16 B', ratio((c) => c.report.wireBytesPerEntity));
row('moved entities per screen', (c) => `${fmt(c.report.rowsPerScreenPerS)} /s`, `${fmt(ENTITIES)} /s sent`, '');
row('screens connected / decode errors or gaps', (c) => `${c.report.connected} / ${c.report.decodeErrors}`, `${SCREENS} / 0`, '');
row('fixes accepted by the server', (c) => `${fmt(c.load.accepted / c.load.seconds)} /s`, `${fmt(ENTITIES)} /s sent`, '');
row('fixes accepted / rejected', (c) => `${fmt(c.load.accepted)} / ${fmt(c.load.rejected)}${c.load.firstRejection ? ` (${c.load.firstRejection.slice(0, 60)})` : ''}`, '', '');
row('load generator lag p50 / p99', (c) => `${fmt(c.load.lagP50Ms)} / ${fmt(c.load.lagP99Ms)} ms`, 'included in latency', '');
row('screens process CPU', (c) => `${fmt(c.report.screensCpuPct)} %`, '', '');
row('machine load average, window start / end', (c) => `${fmt(c.loadAvg[0], 1)} / ${fmt(c.loadAvg[1], 1)}`, `${availableParallelism()} cores, shared`, '');
row(`${SLOW_SCREENS} screens stop reading ${SLOW_S} s: RSS before / during (max) / 15 s after`,
  (c) => (c.slow ? `${fmt(c.slow.beforeMiB)} / ${fmt(c.slow.duringMaxMiB)} / ${fmt(c.slow.afterMiB)} MiB` : 'not measured'), 'within the window\'s peak', '');
row(`  the same, held after full GC (heap + buffers)`,
  (c) => (c.slow?.heap ? `${c.slow.heap.map((v) => fmt(v)).join(' / ')} MiB` : 'not measured'), 'during ≈ before', '');
row('screens connected after the slow minute', (c) => (c.slow ? `${c.slow.connectedAfter}` : '–'), `${SCREENS}`, '');

const head: Row = ['measure', ...columns.map((c) => c.name), `naive ÷ ${ours?.name.replace('this protocol ', '') ?? 'ours'}`, 'target'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`\n${fmt(ENTITIES)} entities reporting once per second · ${SCREENS} screens (${MEASURING} decode and time every ${10}th entity) · tick ${TICK_MS} ms · window ${WINDOW_S} s`);
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
process.exit(0);
