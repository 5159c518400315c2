/**
 * Dispatch: units, recommendations, dispatch and the crew's steps, arrival from live positions,
 * the coverage layer. Decorates `app.dispatch` (DispatchPort and more) and registers its routes.
 */
import fp from 'fastify-plugin';
import { CoverageCache } from '../dispatch/coverage.ts';
import { Dispatcher } from '../dispatch/dispatcher.ts';
import type { DispatchSettings } from '../dispatch/settings.ts';
import { UnitBook } from '../dispatch/unit-book.ts';
import { UnitsRepo } from '../dispatch/units-repo.ts';
import { HttpError } from '../http-error.ts';
import type { CasesPort } from '../ops/ports.ts';
import dispatchRoutes from '../routes/dispatch.ts';

declare module 'fastify' {
  interface FastifyInstance {
    dispatch: Dispatcher;
    coverage: CoverageCache;
  }
}

export interface DispatchPluginOptions {
  settings: DispatchSettings;
  now: () => number;
  /** How often returning units are freed and time-in-status warnings are looked at, ms. */
  sweepMs?: number;
}

export default fp<DispatchPluginOptions>(async (app, opts) => {
  const events = app.domainEvents;
  // Cases register after dispatch or not at all (tests, partial deployments): found when needed.
  const cases = (): CasesPort => {
    if (!app.hasDecorator('cases')) throw new HttpError(503, 'unavailable', 'the cases module is not running');
    return (app as unknown as { cases: CasesPort }).cases;
  };
  const book = new UnitBook(app.live, await new UnitsRepo(app.store.sql).all(), opts.now, opts.settings, app.district.pack.meta.center[1]);
  const dispatcher = new Dispatcher({
    store: app.store.sql, book, routers: app.roads, cases, events, now: opts.now, settings: opts.settings,
    log: (msg, err) => app.log.warn({ err }, msg),
  });
  app.decorate('dispatch', dispatcher);
  app.decorate('coverage', new CoverageCache(app.roads, book, opts.now, opts.settings.targetS, opts.settings.coverageEveryS * 1000));

  const unsubscribe = app.live.changes.subscribe('dispatch', (change) => dispatcher.onLiveChange(change));
  const offCase = events.on('case:transition', (t) => dispatcher.onCaseTransition(t.caseId, t.action, t.to));
  // One sweep at a time: a slow store must not stack them up.
  let sweeping: Promise<void> | null = null;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = dispatcher.sweep()
      .catch((err: unknown) => { app.log.error({ err }, 'dispatch sweep failed'); })
      .finally(() => { sweeping = null; });
  }, opts.sweepMs ?? 5000);
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    unsubscribe();
    offCase();
    await sweeping;
  });
  await app.register(dispatchRoutes, { now: opts.now, cases });
}, { name: 'dispatch', dependencies: ['store', 'auth', 'domain-events', 'live', 'roads'] });
