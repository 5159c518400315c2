/**
 * Open311 intake: how many POST requests per second the server accepts on SQLite — each one
 * a new case (report, timeline, Open311 link, key count, audit) at a distinct point of the
 * district, form-encoded, over real HTTP with a few clients in flight, and through
 * app.inject (no sockets). Prints figures; asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { DistrictLocator } from '../../server/district/locator.ts';
import { lixiaPack, startServer } from '../integration/server-harness.ts';

const N = Number(process.env.OPEN311_BENCH_N ?? 2000);
const IN_FLIGHT = 8;

const s = await startServer({ SIM_ENABLED: 'false', OPEN311_RATE_PER_MIN: '100000' });
try {
  const pack = await lixiaPack();
  const locator = new DistrictLocator(pack);
  const points: [number, number][] = [];
  const [w, so, e, n] = pack.meta.bbox;
  // a fixed pseudo-random sequence: the same points every run
  let seed = 808;
  const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  while (points.length < 2 * N) {
    const lon = w + rnd() * (e - w), lat = so + rnd() * (n - so);
    if (locator.inDistrict(lon, lat) && locator.locate(lon, lat)) points.push([lon, lat]);
  }
  const { key } = await s.app.open311.keys.create('bench', 'citizenPhoto', 'bench', Date.now());
  const codes = ['11.01.001', '11.01.003', '14.02.001', '12.01.001', '02.01.001'];
  const form = (i: number) => new URLSearchParams({ api_key: key, service_code: codes[i % codes.length]!, lat: String(points[i]![1]), long: String(points[i]![0]), description: `bench request ${i}`, email: 'bench@example.cn' }).toString();

  let ok = 0;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < N) {
      const i = next++;
      const r = await fetch(`${s.url}/open311/v2/requests.json`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(i) });
      await r.arrayBuffer();
      if (r.status === 200) ok++;
    }
  }));
  const httpS = (performance.now() - t0) / 1000;

  let okInject = 0;
  const t1 = performance.now();
  for (let i = N; i < 2 * N; i++) {
    const r = await s.app.inject({ method: 'POST', url: '/open311/v2/requests.json', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form(i) });
    if (r.statusCode === 200) okInject++;
  }
  const injectS = (performance.now() - t1) / 1000;

  const t2 = performance.now();
  const list = await s.app.inject({ url: '/open311/v2/requests.json' });
  const listMs = performance.now() - t2;
  const listed = (list.json() as unknown[]).length;

  process.stdout.write(`Open311 POST requests, real HTTP, ${IN_FLIGHT} in flight   ${ok}/${N} accepted in ${httpS.toFixed(2)} s = ${(ok / httpS).toFixed(0)} requests/s\n`);
  process.stdout.write(`Open311 POST requests, app.inject, one at a time  ${okInject}/${N} accepted in ${injectS.toFixed(2)} s = ${(okInject / injectS).toFixed(0)} requests/s\n`);
  process.stdout.write(`GET requests.json (${listed} requests, the OPEN311_MAX_RESULTS cap)   ${listMs.toFixed(0)} ms\n`);
} finally {
  await s.close();
}
