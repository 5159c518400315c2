/**
 * Heat charts (server/heat): decorates `app.heat` and serves /api/heat, /api/heat/street-hour
 * and /api/heat/calendar. A warmer computes the last day's unit-dwell hours in the background,
 * a few per minute, so the wall's "units, last 24 h" layer is answered from memory.
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
  /** Period of the warmer; 0 turns it off. */
  warmEveryMs?: number;
}

const WARM_WINDOW_MS = 24 * 3_600_000;
/** Hours computed per warmer tick: each decodes an hour of the fleet's history (~0.1–0.3 s on 2 cores). */
const WARM_SLICES_PER_TICK = 2;

export default fp<HeatPluginOptions>(async (app, opts) => {
  const service = new HeatService({
    db: app.store.db, pack: app.district.pack, history: app.history, now: opts.now, historySettleMs: opts.historyFlushS * 1000 + 10_000,
  });
  app.decorate('heat', service);

  const every = opts.warmEveryMs ?? 60_000;
  let timer: ReturnType<typeof setInterval> | undefined;
  if (every > 0) {
    // A timer that throws would end the server: log and try again next tick.
    const warm = () => {
      try {
        const t = opts.now();
        service.unitDwell.warm(t - WARM_WINDOW_MS, t, WARM_SLICES_PER_TICK);
      } catch (err) { app.log.error({ err }, 'heat warmer failed'); }
    };
    timer = setInterval(warm, every);
    timer.unref();
  }
  app.addHook('onClose', async () => clearInterval(timer));
  await app.register(heatRoutes, { service, now: opts.now });
}, { name: 'heat', dependencies: ['store', 'history', 'auth'] });
