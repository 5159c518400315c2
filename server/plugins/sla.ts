/**
 * SLA clocks (7123): decorates `app.sla` (SlaPort) and `app.slaSettings`, listens to the
 * cases' workflow steps, re-reads and catches up the open clocks when the app is ready
 * (after a restart), and clears its scheduler timer on close.
 */
import fp from 'fastify-plugin';
import { DEFAULT_SLA_SETTINGS, type WorkCalendar } from '../../shared/sla.ts';
import type { CasesPort } from '../ops/ports.ts';
import { SlaService } from '../sla/sla-service.ts';
import { SlaSettingsRepo } from '../sla/settings-repo.ts';
import { checkTimeZone, EMPTY_CALENDAR } from '../sla/work-time.ts';
import slaRoutes from '../routes/sla.ts';
import { runOnce } from '../cluster/run-once.ts';

declare module 'fastify' {
  interface FastifyInstance {
    sla: SlaService;
    slaSettings: SlaSettingsRepo;
  }
}

export interface SlaPluginOptions {
  now: () => number;
  /** SLA_DAY_MODE: the day counting that applies until an admin saves settings. */
  dayMode: 'calendar' | 'working';
  /** Default: the district pack's meta.timezone and calendar (app.district). */
  timeZone?: string;
  calendar?: WorkCalendar;
  /** Default: the `cases` decorator, looked up when first needed (it may be registered after this plugin). */
  cases?: () => CasesPort;
}

export default fp<SlaPluginOptions>(async (app, opts) => {
  const pack = app.hasDecorator('district') ? app.district.pack : undefined;
  const timeZone = opts.timeZone ?? pack?.meta.timezone;
  if (!timeZone) throw new Error('SLA clocks need the district time zone (pack meta.timezone)');
  checkTimeZone(timeZone);
  // The scheduler's timers fire only while this node runs the SLA job (alone: always; with Redis:
  // on the lease holder). A step a user takes still updates its clocks on the node that served it.
  const job = { active: false, ready: false };
  const timers = {
    // The step never rejects: the service logs its failures.
    set: (fn: () => Promise<void>, ms: number) => setTimeout(() => { if (job.active) void fn(); }, ms).unref(),
    clear: (t: unknown) => clearTimeout(t as ReturnType<typeof setTimeout>),
  };
  const settings = new SlaSettingsRepo(app.store.sql, { ...DEFAULT_SLA_SETTINGS, dayMode: opts.dayMode });
  const sla = new SlaService({
    store: app.store.sql,
    cases: opts.cases ?? (() => {
      if (!app.hasDecorator('cases')) throw new Error('SLA clocks need the cases module (app.cases)');
      return (app as unknown as { cases: CasesPort }).cases;
    }),
    events: app.domainEvents,
    settings,
    now: opts.now,
    deadline: { timeZone, calendar: opts.calendar ?? pack?.calendar ?? EMPTY_CALENDAR },
    log: app.log,
    // Counted with the other timers' failures when the live module (which keeps the count) runs.
    ...(app.hasDecorator('timerFailures') ? { failures: app.timerFailures } : {}),
    timers,
  });
  await sla.load();
  app.decorate('sla', sla);
  app.decorate('slaSettings', settings);
  // Ready: every module is registered, so the cases port answers while the clocks catch up.
  // A node that takes the job over re-reads the clocks other nodes moved and catches up what fell due.
  runOnce(app, {
    name: 'sla-timers',
    start: () => { job.active = true; if (job.ready) void sla.recover(opts.now()); },
    stop: () => { job.active = false; },
  });
  app.addHook('onReady', async () => {
    job.ready = true;
    if (job.active) await sla.recover(opts.now());
  });
  app.addHook('onClose', async () => sla.close());
  await app.register(slaRoutes, { now: opts.now });
}, { name: 'sla', dependencies: ['store', 'auth', 'domain-events'] });
