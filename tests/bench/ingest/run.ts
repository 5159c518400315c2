/**
 * `npm run bench:ingest`: every tests/bench/ingest/*.bench.ts, one after another, into one
 * table. `npm run bench:ingest -- jt808` runs only the files whose names contain a word given.
 * Figures only: nothing here fails on a slow machine.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRow, IngestBench } from './rows.ts';

const dir = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((w) => f.includes(w)))).sort();

const rows: Array<BenchRow & { file: string }> = [];
let failed = 0;
for (const file of files) {
  process.stderr.write(`running ${file} …\n`);
  try {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: IngestBench };
    for (const r of await mod.default()) rows.push({ ...r, file });
  } catch (err) {
    failed++;
    process.stderr.write(`${file} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
}

const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en') : v.toLocaleString('en', { maximumFractionDigits: 1 }));
const table = rows.map((r) => [r.metric, `${fmt(r.value)} ${r.unit}`, r.target ?? '', r.met === undefined ? '' : r.met ? 'met' : 'NOT MET', r.note ?? '']);
const head = ['measure', 'value', 'target', '', 'note'];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const t of table) console.log(line(t));
process.exit(failed ? 1 : 0);
