/**
 * What a phone downloads to open the 随手拍 page (/report): every script, style and worker
 * the page actually requests in Chromium until its map is drawn, at gzip level 9 (what the
 * server sends precompressed), split into the app entry, the report page's own chunks and the
 * map engine; then the fonts and the API data (basemap, services) as sent on the wire.
 * Needs the Open311 server in the build (GET /api/report-page). Prints figures; asserts nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildApp, freePort, haveChromium, launchChromium, ROOT, startServer, stopServer } from '../e2e/harness.ts';

if (!haveChromium) {
  process.stdout.write('Chromium not found: report page size not measured\n');
  process.exit(0);
}
buildApp();
const dist = path.join(ROOT, 'dist/client');
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const entryRefs = new Set([...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!));

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cityops-bench-report-'));
const server = await startServer(await freePort(), dataDir, { SIM_REPORTS_PER_DAY: '0' });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const assets = new Set<string>();
  const apiBytes = new Map<string, number>();
  page.on('requestfinished', async (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/assets/')) assets.add(u.pathname.slice(1));
    else if (u.pathname.startsWith('/api/') || u.pathname.startsWith('/open311/')) {
      const sizes = await r.sizes().catch(() => null);
      if (sizes) apiBytes.set(u.pathname, sizes.responseBodySize);
    }
  });
  const config = await fetch(`${server.base}/api/report-page`);
  if (!config.ok) {
    process.stdout.write(`GET /api/report-page answers ${config.status}: the Open311 server is not in this build; nothing measured\n`);
  } else {
    await page.goto(`${server.base}/report`);
    await page.waitForSelector('[data-testid=report-map] canvas', { timeout: 60_000 });
    // The canvas comes before the map engine starts its worker; on a busy machine the network can
    // look idle in between. The map is drawn only once the worker has come, so wait for it too.
    for (const until = Date.now() + 60_000; ![...assets].some((a) => /maplibre-gl-worker/.test(a)) && Date.now() < until;) await page.waitForTimeout(200);
    await page.waitForLoadState('networkidle');
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const groups = { entry: 0, report: 0, map: 0 };
    const rows: [string, string, number][] = [];
    for (const f of [...assets].filter((a) => /\.(m?js|css)$/.test(a))) {
      const body = readFileSync(path.join(dist, f));
      const gz = gzipSync(body, { level: 9 }).byteLength;
      // maplibre's stylesheet lands in whichever chunk imports it first: known by its class names.
      const isMapCss = f.endsWith('.css') && body.includes('.maplibregl-');
      const g = entryRefs.has(f) ? 'entry' : /maplibre/i.test(f) || isMapCss ? 'map' : 'report';
      groups[g] += gz;
      rows.push([g, f, gz]);
    }
    rows.sort((a, b) => b[2] - a[2]);
    for (const [g, f, gz] of rows) process.stdout.write(`${g.padEnd(7)} ${f.padEnd(52)} gzip ${kib(gz).padStart(10)}\n`);
    const total = groups.entry + groups.report + groups.map;
    process.stdout.write(`\napp entry (index.html's JS + CSS)                 gzip ${kib(groups.entry)}\n`);
    process.stdout.write(`report page's own chunks                          gzip ${kib(groups.report)}\n`);
    process.stdout.write(`map engine (maplibre-gl + its worker + CSS)       gzip ${kib(groups.map)}\n`);
    process.stdout.write(`what /report loads (JS + CSS, gzip)               ${kib(total)}\n`);
    const fonts = [...assets].filter((a) => /\.woff2?$/.test(a));
    const fontBytes = fonts.reduce((n, f) => n + readFileSync(path.join(dist, f)).byteLength, 0);
    process.stdout.write(`fonts fetched for the glyphs on screen            ${fonts.length} files, ${kib(fontBytes)}\n`);
    for (const [p, n] of apiBytes) process.stdout.write(`data ${p.padEnd(44)} ${kib(n)} on the wire\n`);
  }
} finally {
  await browser.close();
  await stopServer(server.child);
  rmSync(dataDir, { recursive: true, force: true });
}
