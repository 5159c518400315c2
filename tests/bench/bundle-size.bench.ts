/**
 * What a wall downloads: the gzip size of the JavaScript and CSS of the built client,
 * split into the entry (what /wall loads first) and the lazily loaded chunks. Builds the
 * client first when dist/ is missing. Prints figures; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = 'dist/client';
// The production client (no test hooks): build.mjs rebuilds when dist/ holds the e2e build.
{
  const env = { ...process.env };
  delete env.CITYOPS_TEST_HOOKS;
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit', env });
  if (r.status !== 0 || !existsSync(join(dist, 'index.html'))) process.exit(r.status ?? 1);
}
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entryRefs = new Set([...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!));
const files = readdirSync(join(dist, 'assets')).filter((f) => /\.(m?js|css)$/.test(f)).map((f) => `assets/${f}`);
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
/** Which part of the app a chunk belongs to: what /wall loads, and what it never loads without a Mapbox token. */
const groupOf = (f: string) => (entryRefs.has(f) ? 'entry' : /mapbox-gl/.test(f) ? 'mapbox' : /LoginScreen/.test(f) ? 'login' : 'wall');
const totals: Record<string, { raw: number; gz: number }> = { entry: { raw: 0, gz: 0 }, wall: { raw: 0, gz: 0 }, mapbox: { raw: 0, gz: 0 }, login: { raw: 0, gz: 0 } };
const rows: [string, string, number, number][] = [];
for (const f of files) {
  const buf = readFileSync(join(dist, f));
  const gz = gzipSync(buf, { level: 9 }).byteLength;
  const g = groupOf(f);
  rows.push([g, f, buf.byteLength, gz]);
  totals[g]!.raw += buf.byteLength;
  totals[g]!.gz += gz;
}
rows.sort((a, b) => b[3] - a[3]);
for (const [g, f, raw, gz] of rows.slice(0, 10)) process.stdout.write(`${g.padEnd(7)} ${f.padEnd(48)} ${kib(raw).padStart(11)}  gzip ${kib(gz).padStart(10)}\n`);
const t = totals as Record<'entry' | 'wall' | 'mapbox' | 'login', { raw: number; gz: number }>;
process.stdout.write(`\napp entry (index.html's JS + CSS)            ${kib(t.entry.raw)}, gzip ${kib(t.entry.gz)}\n`);
process.stdout.write(`wall screen chunks (wall, charts, maplibre)  ${kib(t.wall.raw)}, gzip ${kib(t.wall.gz)}\n`);
process.stdout.write(`what /wall loads (JS + CSS, gzip)            ${kib(t.entry.gz + t.wall.gz)}\n`);
process.stdout.write(`mapbox-gl, only with MAPBOX_ACCESS_TOKEN     gzip ${kib(t.mapbox.gz)}\n`);
// The browser tests' hooks belong to the e2e build only.
const hooked = files.filter((f) => readFileSync(join(dist, f), 'utf8').includes('__cityops'));
process.stdout.write(`test hooks (window.__cityops) in the bundle     ${hooked.length === 0 ? 'none' : `FOUND in ${hooked.join(', ')}`}\n`);
if (hooked.length > 0) process.exitCode = 1;
const fonts = readdirSync(join(dist, 'assets')).filter((f) => /\.woff2?$/.test(f));
const fontBytes = fonts.reduce((n, f) => n + statSync(join(dist, 'assets', f)).size, 0);
process.stdout.write(`fonts shipped, fetched per glyph range        ${fonts.length} files, ${kib(fontBytes)} in all\n`);
