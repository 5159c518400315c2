#!/usr/bin/env node
/**
 * The dependency audit CI runs: `npm audit --omit=dev --audit-level=high`. A high or critical
 * advisory in a production dependency fails. When npm's advisory service cannot be reached
 * (some registry mirrors answer its endpoint with 405), the audit did not happen: that is
 * printed loudly and does not fail, unless AUDIT_REQUIRED=true, for a pipeline that must not
 * ship without the check.
 */
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  report = undefined;
}

const counts = report?.metadata?.vulnerabilities;
if (!counts) {
  const why = report?.message ?? (run.stderr.trim().split('\n').at(-1) || `npm exited ${run.status}`);
  console.log(`dependency audit NOT RUN: the advisory service could not be asked (${why})`);
  process.exit(process.env.AUDIT_REQUIRED === 'true' ? 1 : 0);
}

const severe = Object.values(report.vulnerabilities ?? {}).filter((v) => v.severity === 'high' || v.severity === 'critical');
for (const v of severe) {
  const via = (v.via ?? []).map((x) => (typeof x === 'string' ? x : `${x.title} (${x.url})`)).join('; ');
  console.log(`  ${v.severity}: ${v.name} ${v.range ?? ''} — ${via}${v.fixAvailable ? ' — fix available' : ''}`);
}
const total = report.metadata.dependencies?.prod ?? report.metadata.dependencies?.total ?? '?';
console.log(`dependency audit: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low in ${total} production dependencies`);
process.exit(severe.length > 0 ? 1 : 0);
