/**
 * One simulated day of the whole district on a virtual clock: the real app (simulator, ingest,
 * alarm rules, cases, SLA clocks, dispatch, the simulated duty officer and crews) at real
 * rates, with every timer driven by @sinonjs/fake-timers instead of the wall clock, so a day
 * passes in minutes. Prints the day's 7123 compliance and one full case timeline.
 *
 * Why a virtual clock and not SIM_SPEED=60: SIM_SPEED speeds up the simulated world (motion,
 * time of day) but the server's clocks — SLA deadlines, alarm durations — are wall time, so a
 * unit driving 60× faster would meet every 7-minute deadline trivially. Here every clock is
 * the same clock, as in a real day.
 *
 *   npm run bench:day                      # a whole day (about 10 minutes on 2 cores)
 *   SIM_DAY_HOURS=3 npm run bench:day      # a shorter window
 */
import FakeTimers from '@sinonjs/fake-timers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOURS = Number(process.env.SIM_DAY_HOURS ?? 24);
// Local midnight (Asia/Shanghai) starting Friday 2026-11-27.
const START = Date.UTC(2026, 10, 26, 16, 0, 0);
const clock = FakeTimers.install({ now: START, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });

const { buildApp } = await import('../../server/app.ts');
const { loadConfig } = await import('../../server/config.ts');
const { loadDistrictPack } = await import('../../server/district/load-pack.ts');
const { localDate } = await import('../../shared/local-time.ts');

const dataDir = mkdtempSync(join(tmpdir(), 'cityops-day-'));
const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', SIM_SEED: '808', SIM_DUTY_OFFICER: 'auto', PORT: '0', SIM_HISTORY_DAYS: '0' });
const { app } = await buildApp(config, { pack: await loadDistrictPack('data/lixia'), logger: false, clientRoot: join(dataDir, 'none') });
await app.ready();

const wall0 = performance.now();
const STEP_MS = 60_000;
for (let t = 0; t < HOURS * 3_600_000; t += STEP_MS) {
  await clock.tickAsync(STEP_MS);
  if ((t + STEP_MS) % (3 * 3_600_000) === 0) {
    process.stdout.write(`  ${String((t + STEP_MS) / 3_600_000).padStart(2)} h simulated (${((performance.now() - wall0) / 1000).toFixed(0)} s)\n`);
  }
}
const wallS = (performance.now() - wall0) / 1000;

const tz = app.district.pack.meta.timezone;
const end = Date.now();
const all = await app.cases.changedSince(START - 1);
const day = all.filter((c) => c.createdTs >= START && c.createdTs < end);
const count = <T>(xs: T[], f: (x: T) => string) => xs.reduce<Record<string, number>>((m, x) => ((m[f(x)] = (m[f(x)] ?? 0) + 1), m), {});
const clocksOf = (kind: 'arrival' | 'closure') => day.flatMap((c) => c.clocks.filter((k) => k.kind === kind));
const arrival = clocksOf('arrival');
const closure = clocksOf('closure');
const met = (xs: typeof arrival) => xs.filter((k) => k.state === 'met' && !k.cancelled).length;
const breached = (xs: typeof arrival) => xs.filter((k) => k.state === 'breached').length;
const open = (xs: typeof arrival) => xs.filter((k) => k.endTs === null && k.state !== 'breached').length;
const pct = (a: number, b: number) => (b === 0 ? '—' : `${((100 * a) / b).toFixed(1)} %`);
const arrivalMins = arrival.filter((k) => k.endTs !== null && !k.cancelled).map((k) => (k.endTs! - k.startTs) / 60_000).sort((a, b) => a - b);
const q = (p: number) => arrivalMins.length ? arrivalMins[Math.min(arrivalMins.length - 1, Math.floor(p * arrivalMins.length))]!.toFixed(1) : '—';

const rows: [string, string][] = [
  ['simulated', `${HOURS} h from ${localDate(START, tz)} 00:00 (${tz}), in ${wallS.toFixed(0)} s of wall time`],
  ['cases reported', String(day.length)],
  ['by source', Object.entries(count(day, (c) => c.source)).map(([k, v]) => `${k} ${v}`).join(', ')],
  ['by stage at the end', Object.entries(count(day, (c) => c.stage)).map(([k, v]) => `${k} ${v}`).join(', ')],
  ['emergencies (7-min clock)', `${arrival.length}: met ${met(arrival)}, breached ${breached(arrival)}, still running ${open(arrival)} → ${pct(met(arrival), met(arrival) + breached(arrival))} on time`],
  ['arrival time p50 / p90', `${q(0.5)} / ${q(0.9)} min`],
  ['closure (1/2/3 days)', `${closure.length}: met ${met(closure)}, breached ${breached(closure)}, still running ${open(closure)} → ${pct(met(closure), met(closure) + breached(closure))} of those ended on time`],
  ['closure by difficulty', ['small', 'big', 'hard'].map((d) => {
    const ks = day.filter((c) => c.difficulty === d).flatMap((c) => c.clocks.filter((k) => k.kind === 'closure'));
    return `${d} ${met(ks)}/${met(ks) + breached(ks)}`;
  }).join(', ')],
  ['alarms raised', await (async () => {
    const alarms = await app.alarms.changedSince(START - 1);
    return `${alarms.length}: ${Object.entries(count(alarms, (a) => a.type)).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`;
  })()],
  ['escalations', String(day.filter((c) => c.escalationLevel > 0).length)],
];
const w = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(`\n7123 compliance over one simulated day\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}\n`);

const sample = day.find((c) => c.emergency && c.stage === 'closed') ?? day.find((c) => c.stage === 'closed' || c.stage === 'evaluated');
if (sample) {
  const d = (await app.cases.detail(sample.id))!;
  const hm = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  process.stdout.write(`\nOne case: ${d.code} ${d.title} (${d.source}, ${d.difficulty}${d.emergency ? ', emergency' : ''})\n`);
  for (const e of d.timeline) process.stdout.write(`  ${hm.format(e.ts)}  ${e.action.padEnd(12)} ${e.actor.padEnd(22)} ${e.note ?? ''}\n`);
}

await app.close();
clock.uninstall();
rmSync(dataDir, { recursive: true, force: true });
