/**
 * `npm run jt808:emulate -- --terminals N --port P`: N emulated JT/T 808 terminals that
 * register, authenticate and report along the district's roads (see scripts/jt808/fleet.ts).
 *
 * Options: --host (127.0.0.1) --interval seconds between reports (10) --phone-base first
 * phone number (13900000000) --speed km/h (30) --seed (1) --pack-plates K (the first K
 * terminals register with the plates of the pack's first K vehicles, which binds them to
 * those vehicles) --pack data/lixia --quiet.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_FLEET, EmulatedFleet } from './jt808/fleet.ts';
import { loadRoadGraph } from './jt808/road-walk.ts';

const { values } = parseArgs({
  options: {
    terminals: { type: 'string', default: '1' },
    port: { type: 'string', default: '7808' },
    host: { type: 'string', default: DEFAULT_FLEET.host },
    interval: { type: 'string', default: String(DEFAULT_FLEET.intervalS) },
    'phone-base': { type: 'string', default: String(DEFAULT_FLEET.phoneBase) },
    speed: { type: 'string', default: String(DEFAULT_FLEET.speedKph) },
    seed: { type: 'string', default: String(DEFAULT_FLEET.seed) },
    'pack-plates': { type: 'string', default: '0' },
    pack: { type: 'string', default: 'data/lixia' },
    quiet: { type: 'boolean', default: false },
  },
});

function int(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number between ${min} and ${max} (got ${v})`);
    process.exit(2);
  }
  return n;
}

const terminals = int('terminals', values.terminals, 1, 100_000);
const packPlates = int('pack-plates', values['pack-plates'], 0, terminals);
const plates = packPlates > 0
  ? (JSON.parse(readFileSync(join(values.pack, 'vehicles.json'), 'utf8')) as Array<{ plate: string }>).slice(0, packPlates).map((v) => v.plate)
  : undefined;
const log = values.quiet ? undefined : (line: string) => console.log(line);
const fleet = new EmulatedFleet({
  ...DEFAULT_FLEET,
  host: values.host,
  port: int('port', values.port, 1, 65535),
  terminals,
  intervalS: int('interval', values.interval, 0.1, 3600),
  phoneBase: int('phone-base', values['phone-base'], 0, 999_999_999_999 - terminals),
  speedKph: int('speed', values.speed, 0, 200),
  seed: int('seed', values.seed, 0, 2 ** 31),
  ...(plates ? { plates } : {}),
  ...(log ? { log, onText: (phone: string, text: string) => log(`${phone} ← text: ${text}`) } : {}),
}, loadRoadGraph(join(values.pack, 'road-graph.json')));
fleet.start();
console.log(`jt808 emulator: ${terminals} terminals → ${values.host}:${values.port}`);

const status = setInterval(() => {
  const s = fleet.stats;
  console.log(`connected ${s.connected} · reporting ${fleet.countIn('reporting')} · reports ${s.reports} · acknowledged ${s.acked} · registrations refused ${s.refusedRegistrations} · errors ${s.errors}`);
}, 10_000);
// The parent (a benchmark) reads this line to measure the emulator itself.
process.on('message', (m) => {
  if (m === 'usage') process.send?.({ rssMb: process.memoryUsage().rss / 2 ** 20, cpu: process.cpuUsage(), reporting: fleet.countIn('reporting'), ...fleet.stats });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    clearInterval(status);
    fleet.stop();
    process.exit(0);
  });
}
