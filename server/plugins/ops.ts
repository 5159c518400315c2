/**
 * Operations glue: the ops stream's state (cases, alarms, engaged units for screens) and
 * the 未诉先办 policy — an alarm whose type the settings name opens a case by itself.
 * The modules are found by their decorators once every plugin is registered, so the app
 * also runs with only some of them (tests, a deployment without dispatch).
 */
import fp from 'fastify-plugin';
import { OpsState } from '../ops/ops-state.ts';
import type { Alarm } from '../../shared/alarms.ts';
import type { AlarmsPort, CasesPort, DispatchPort } from '../ops/ports.ts';

declare module 'fastify' {
  interface FastifyInstance { ops: OpsState }
}

export default fp<{ now: () => number }>(async (app, opts) => {
  const port = <T>(name: string) => () => (app.hasDecorator(name) ? (app as unknown as Record<string, T>)[name] : undefined);
  const ports = { cases: port<CasesPort>('cases'), alarms: port<AlarmsPort>('alarms'), dispatch: port<DispatchPort>('dispatch') };
  const ops = new OpsState(ports, app.domainEvents, opts.now, app.district.pack.meta.timezone, (err) => app.timerFailures.record('ops read', err));
  app.decorate('ops', ops);

  const openForAlarm = async (alarms: AlarmsPort, cases: CasesPort, alarm: Alarm) => {
    const opened = await cases.openForAlarm(alarm);
    if (opened) await alarms.linkCase(alarm.id, opened.id);
  };
  const offRaised = app.domainEvents.on('alarm:raised', (alarmId, type) => {
    const alarms = ports.alarms();
    const cases = ports.cases();
    if (!alarms || !cases || !alarms.settings().autoCase.includes(type)) return;
    const alarm = alarms.told(alarmId);
    if (!alarm || alarm.caseId !== null) return;
    // Followed: whoever reads the alarms next sees it with its case, as when this ran inside the commit.
    alarms.follow(openForAlarm(alarms, cases, alarm).catch((err: unknown) => app.timerFailures.record('auto case for alarm', err)));
  });

  app.addHook('onReady', async () => { await ops.load(); });
  app.addHook('onClose', async () => {
    offRaised();
    ops.close();
  });
}, { name: 'ops', dependencies: ['domain-events', 'live'] });
