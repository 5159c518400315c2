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
if (!existsSync(join(dist, 'index.html'))) {
  const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entryRefs = new Set([...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!));
const files = readdirSync(join(dist, 'assets')).filter((f) => /\.(js|css)$/.test(f)).map((f) => `assets/${f}`);
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
let entryRaw = 0;
let entryGz = 0;
let lazyRaw = 0;
let lazyGz = 0;
const rows: [string, number, number, boolean][] = [];
for (const f of files) {
  const buf = readFileSync(join(dist, f));
  const gz = gzipSync(buf, { level: 9 }).byteLength;
  const entry = entryRefs.has(f);
  rows.push([f, buf.byteLength, gz, entry]);
  if (entry) { entryRaw += buf.byteLength; entryGz += gz; } else { lazyRaw += buf.byteLength; lazyGz += gz; }
}
rows.sort((a, b) => b[2] - a[2]);
for (const [f, raw, gz, entry] of rows.slice(0, 12)) process.stdout.write(`${entry ? 'entry' : 'lazy '}  ${f.padEnd(48)} ${kib(raw).padStart(11)}  gzip ${kib(gz).padStart(10)}\n`);
process.stdout.write(`\nwall entry (index.html's JS+CSS)   ${kib(entryRaw)}, gzip ${kib(entryGz)}\n`);
process.stdout.write(`lazy chunks (map engine, …)        ${kib(lazyRaw)}, gzip ${kib(lazyGz)}\n`);
process.stdout.write(`everything a wall loads             gzip ${kib(entryGz + lazyGz)}\n`);
const fonts = readdirSync(join(dist, 'assets')).filter((f) => /\.woff2?$/.test(f));
const fontBytes = fonts.reduce((n, f) => n + statSync(join(dist, 'assets', f)).size, 0);
process.stdout.write(`fonts shipped (loaded per glyph range on demand)  ${fonts.length} files, ${kib(fontBytes)}\n`);
