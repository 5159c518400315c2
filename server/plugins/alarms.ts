/**
 * Alarms (告警): rules over the change stream raise and clear them (server/alarms), the
 * store keeps them, `app.alarms` is the AlarmsPort the other modules use, and the routes
 * let the duty desk acknowledge and clear them and an admin change the thresholds.
 */
import fp from 'fastify-plugin';
import type { AlarmsPort } from '../ops/ports.ts';
import { createAlarms, type AlarmsModule } from '../alarms/alarms.ts';
import alarmRoutes from '../routes/alarms.ts';
import { runOnce } from '../cluster/run-once.ts';

declare module 'fastify' {
  interface FastifyInstance {
    alarms: AlarmsPort;
    /** The module behind the port: book (ack/clear/query), engine, settings. */
    alarmsModule: AlarmsModule;
  }
}

export interface AlarmsPluginOptions {
  now: () => number;
  /** Sweep period for time-based conditions, ms of the injected clock. */
  sweepMs?: number;
  tickMs?: number;
}

export default fp<AlarmsPluginOptions>(async (app, opts) => {
  const mod = await createAlarms({
    sql: app.store.sql, live: app.live, pack: app.district.pack, events: app.domainEvents, now: opts.now,
    onThresholds: (t) => { app.ingest.thresholds = t; },
    // Registered after this plugin: looked up when a rule asks.
    onTask: (id) => app.hasDecorator('dispatch') && (app.dispatch.unit(id)?.caseId ?? null) !== null,
    ...(opts.sweepMs !== undefined ? { sweepMs: opts.sweepMs } : {}),
    onError: (err, where) => app.log.error({ err, where }, 'alarm rules failed'),
  });
  // A store that keeps failing would otherwise log every tick: counted, and logged 1st, 10th, 100th…
  mod.book.onFlushError = (err) => app.timerFailures.record('alarm flush', err);
  app.decorate('alarms', mod.book);
  app.decorate('alarmsModule', mod);
  // The rules raise each alarm once per cluster: alone they start now, with Redis on the lease holder.
  runOnce(app, { name: 'alarm-rules', start: () => { mod.engine.start(); mod.engine.startTimer(opts.tickMs ?? 1000); }, stop: () => mod.engine.stop() });
  app.addHook('onClose', async () => {
    mod.engine.stop();
    // Batched value updates are not lost on a graceful shutdown.
    try { await mod.book.flush(); } catch (err) { app.log.error({ err }, 'alarm flush on close failed'); }
  });
  await app.register(alarmRoutes, { now: opts.now });
}, { name: 'alarms', dependencies: ['store', 'live', 'auth', 'domain-events'] });
