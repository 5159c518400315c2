/**
 * Operations glue: the ops stream's state (cases, alarms, engaged units for screens) and
 * the 未诉先办 policy — an alarm whose type the settings name opens a case by itself.
 * The modules are found by their decorators once every plugin is registered, so the app
 * also runs with only some of them (tests, a deployment without dispatch).
 */
import fp from 'fastify-plugin';
import { OpsState } from '../ops/ops-state.ts';
import type { AlarmsPort, CasesPort, DispatchPort } from '../ops/ports.ts';

declare module 'fastify' {
  interface FastifyInstance { ops: OpsState }
}

export default fp<{ now: () => number }>(async (app, opts) => {
  const port = <T>(name: string) => () => (app.hasDecorator(name) ? (app as unknown as Record<string, T>)[name] : undefined);
  const ports = { cases: port<CasesPort>('cases'), alarms: port<AlarmsPort>('alarms'), dispatch: port<DispatchPort>('dispatch') };
  const ops = new OpsState(ports, app.domainEvents, opts.now, app.district.pack.meta.timezone);
  app.decorate('ops', ops);

  // Asynchronous (the case is written to the store): a failure reaches the bus's onError, never the alarm rules.
  const offRaised = app.domainEvents.on('alarm:raised', async (alarmId, type) => {
    const alarms = ports.alarms();
    const cases = ports.cases();
    if (!alarms || !cases || !alarms.settings().autoCase.includes(type)) return;
    const alarm = alarms.get(alarmId);
    if (!alarm || alarm.caseId !== null) return;
    const opened = await cases.openForAlarm(alarm);
    if (opened) alarms.linkCase(alarmId, opened.id);
  });

  app.addHook('onReady', async () => ops.load());
  app.addHook('onClose', async () => {
    offRaised();
    ops.close();
  });
}, { name: 'ops', dependencies: ['domain-events', 'live'] });
