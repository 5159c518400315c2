import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from './server/app.ts';
import { loadConfig } from './server/config.ts';
import { generatePastOps } from './server/sim/past/past-ops.ts';
const dataDir = mkdtempSync(join(tmpdir(), 'past-'));
const { app } = await buildApp(loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SIM_ENABLED: 'false' }), { logger: false });
const now = Date.now();
const t0 = performance.now();
let r: any;
app.store.db.transaction(() => {
  r = generatePastOps({ db: app.store.db, pack: app.district.pack, seed: 1, reportsPerDay: 300, codePrefix: 'LX', slaSettings: app.slaSettings, alarmSettings: app.alarms.settings(), entities: app.live.all(), audit: app.store.audit, log: app.log }, now - 3 * 86400e3, now);
})();
console.log('3 days ops', Math.round(performance.now() - t0), 'ms', r.cases, r.alarms, r.steps, r.refused);
await app.close();
