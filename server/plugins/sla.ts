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
  const settings = new SlaSettingsRepo(app.store.db, { ...DEFAULT_SLA_SETTINGS, dayMode: opts.dayMode });
  const sla = new SlaService({
    db: app.store.db,
    cases: opts.cases ?? (() => {
      if (!app.hasDecorator('cases')) throw new Error('SLA clocks need the cases module (app.cases)');
      return (app as unknown as { cases: CasesPort }).cases;
    }),
    events: app.domainEvents,
    settings,
    now: opts.now,
    deadline: { timeZone, calendar: opts.calendar ?? pack?.calendar ?? EMPTY_CALENDAR },
    log: app.log,
  });
  app.decorate('sla', sla);
  app.decorate('slaSettings', settings);
  // Ready: every module is registered, so the cases port answers while the clocks catch up.
  app.addHook('onReady', async () => sla.recover(opts.now()));
  app.addHook('onClose', async () => sla.close());
  await app.register(slaRoutes, { now: opts.now });
}, { name: 'sla', dependencies: ['store', 'auth', 'domain-events'] });
