/**
 * History on first start (SIM_HISTORY_DAYS, server/sim/past): on an empty store the
 * simulated district gets its past — the cases and alarms of the whole window before the
 * server listens, the fleet's positions after it, in the background. Decorates
 * `app.simPast` (progress for GET /api/past and /api/admin/status); stops the background work on close (the
 * next start resumes it).
 */
import fp from 'fastify-plugin';
import { PastBackfill } from '../sim/past/backfill.ts';
import type { ConnectivityPolicy } from '../live/live-state.ts';

declare module 'fastify' {
  interface FastifyInstance { simPast: PastBackfill | null }
}

export interface SimPastPluginOptions {
  enabled: boolean;
  days: number;
  seed: number;
  reportsPerDay: number;
  codePrefix: string;
  connectivity: ConnectivityPolicy;
  now: () => number;
}

export default fp<SimPastPluginOptions>(async (app, opts) => {
  if (!opts.enabled) {
    app.decorate('simPast', null);
    return;
  }
  const log = app.log.child({ module: 'sim-past' });
  const backfill = new PastBackfill({
    // The live clocks take over the past's open cases (and record what fell due since).
    onCasesDone: () => {
      void (async () => {
        await app.sla.recover(opts.now());
        // The ops stream and the console learn of the past's open cases like of any changed case.
        for (const c of await app.cases.openCases()) app.domainEvents.emit('case:changed', c.id);
      })().catch((err: unknown) => log.error({ err }, 'the live clocks could not take over the past\'s open cases'));
    },
    sql: app.store.sql, pack: app.district.pack, history: app.historyStore, connectivity: opts.connectivity, seed: opts.seed, days: opts.days, now: opts.now, log,
    ops: {
      reportsPerDay: opts.reportsPerDay, codePrefix: opts.codePrefix, slaSettings: app.slaSettings, alarmSettings: app.alarms.settings(),
      entities: app.live.all(), log,
    },
  });
  const background = await backfill.prepare();
  app.decorate('simPast', backfill.progress.phase === 'none' ? null : backfill);
  if (background) app.addHook('onReady', async () => backfill.start());
  app.addHook('onClose', async () => backfill.stop());
}, { name: 'sim-past', dependencies: ['store', 'live', 'history', 'cases', 'sla', 'alarms'] });
