/**
 * Heat charts (server/heat): decorates `app.heat` and serves /api/heat, /api/heat/street-hour
 * and /api/heat/calendar. A warmer computes unit-dwell hours in the background: every 2 s the
 * hours a request had no time for (an hour of the whole fleet's history decodes in about 0.5 s
 * on 2 cores), else once a minute the newest hours not held, so each hour is computed soon
 * after it ends and the wall's and the briefing's layers are answered from memory.
 */
import fp from 'fastify-plugin';
import { HeatService } from '../heat/heat-service.ts';
import heatRoutes from '../routes/heat.ts';

declare module 'fastify' {
  interface FastifyInstance { heat: HeatService }
}

export interface HeatPluginOptions {
  now: () => number;
  /** History's flush period: an hour of history is final this long (plus margin) after it ends. */
  historyFlushS: number;
  /** Period of the warmer (default 2 s); 0 turns it off. */
  warmEveryMs?: number;
}

/** As far back as the unit-dwell cache holds. */
const WARM_WINDOW_MS = 31 * 24 * 3_600_000;
/** CPU the warmer starts new hours within per tick (an hour under way finishes: the event loop waits ≤ ~0.8 s a minute). */
const WARM_BUDGET_MS = 300;

export default fp<HeatPluginOptions>(async (app, opts) => {
  const service = new HeatService({
    sql: app.store.sql, pack: app.district.pack, history: app.history, now: opts.now, historySettleMs: opts.historyFlushS * 1000 + 10_000,
  });
  app.decorate('heat', service);

  const every = opts.warmEveryMs ?? 2000;
  let timer: ReturnType<typeof setInterval> | undefined;
  let warming: Promise<void> | undefined;
  if (every > 0) {
    // The first round soon after start, then once a minute.
    let ticks = Math.floor(55_000 / every);
    const round = async () => {
      // Hours a request left over first (a wall waiting for its layer); else, once a minute, the newest hours not held.
      if (service.unitDwell.backlog > 0) await service.unitDwell.warmWanted(WARM_BUDGET_MS);
      else if (++ticks * every >= 60_000) {
        ticks = 0;
        const t = opts.now();
        // Cases and alarms of the last 31 days: one read of the hours not held (at start ~0.5 s for a month of alarms), then nothing.
        await service.eventSlices.cases.warm(t - WARM_WINDOW_MS, t);
        await service.eventSlices.alarms.warm(t - WARM_WINDOW_MS, t);
        await service.unitDwell.warm(t - WARM_WINDOW_MS, t, WARM_BUDGET_MS);
      }
    };
    // One round at a time (a tick while one still runs is skipped); a rejected round is logged, never unhandled, and the next tick tries again.
    const warm = () => {
      warming ??= round().catch((err: unknown) => { app.log.error({ err }, 'heat warmer failed'); }).finally(() => { warming = undefined; });
    };
    timer = setInterval(warm, every);
    timer.unref();
  }
  app.addHook('onClose', async () => { clearInterval(timer); await warming; });
  await app.register(heatRoutes, { service, now: opts.now });
}, { name: 'heat', dependencies: ['store', 'history', 'auth'] });
