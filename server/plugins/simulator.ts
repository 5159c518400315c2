/**
 * The embedded simulator: a living district with no device connected. It feeds the ingest like
 * any gateway, files case reports and answers dispatches through the cases and dispatch ports
 * when those modules are present, and runs the simulated duty officer (SIM_DUTY_OFFICER=auto).
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { CasesPort, DispatchPort } from '../ops/ports.ts';
import { SimDutyOfficer } from '../sim/duty-officer.ts';
import type { SimPorts } from '../sim/ports.ts';
import { Rng } from '../sim/rng.ts';
import { Simulator } from '../sim/simulator.ts';
import { runOnce } from '../cluster/run-once.ts';

declare module 'fastify' {
  interface FastifyInstance { simulator: { instance: Simulator; seed: number; speed: number; dutyOfficer: SimDutyOfficer | null } | null }
}

export interface SimulatorPluginOptions {
  enabled: boolean;
  seed: number;
  speed: number;
  tickMs: number;
  now: () => number;
  reportsPerDay: number;
  dutyOfficer: 'auto' | 'off';
  dutyDelayS: number;
  startMinuteOfDay: number | undefined;
}

/** Another module's port, read when used: cases and dispatch may register after the simulator, or not at all. */
function lazyPort<T>(app: FastifyInstance, name: 'cases' | 'dispatch'): () => T | undefined {
  return () => (app.hasDecorator(name) ? ((app as unknown as Record<string, T | null | undefined>)[name] ?? undefined) : undefined);
}

export default fp<SimulatorPluginOptions>(async (app, opts) => {
  if (!opts.enabled) {
    app.decorate('simulator', null);
    return;
  }
  const ports: SimPorts = { cases: lazyPort<CasesPort>(app, 'cases'), dispatch: lazyPort<DispatchPort>(app, 'dispatch') };
  const log = app.log.child({ module: 'simulator' });
  const sim = new Simulator({
    pack: app.district.pack, ingest: app.ingest, seed: opts.seed, speed: opts.speed, now: opts.now,
    ports, reportsPerDay: opts.reportsPerDay, log, startMinuteOfDay: opts.startMinuteOfDay,
    drivenElsewhere: (entityId) => app.deviceDirectory.isReal(entityId),
  });
  sim.init();
  const officer = opts.dutyOfficer === 'auto'
    ? new SimDutyOfficer({ ports, now: opts.now, delayMs: opts.dutyDelayS * 1000, rng: new Rng(opts.seed, 9), log })
    : null;
  // One simulated district per cluster: alone it starts now, with Redis on the lease holder.
  runOnce(app, {
    name: 'simulator',
    start: () => { sim.start(opts.tickMs); officer?.start(); },
    stop: () => { void officer?.stop(); sim.stop(); },
  });
  // A unit's change may be its dispatch: its crew (if it is one of ours) sets off on the next step instead of the next poll.
  const unsubscribe = app.hasDecorator('domainEvents') ? app.domainEvents.on('unit:changed', (id) => { sim.onUnitDispatched(id); }) : undefined;
  app.decorate('simulator', { instance: sim, seed: opts.seed, speed: opts.speed, dutyOfficer: officer });
  app.addHook('onClose', async () => {
    unsubscribe?.();
    // The round in progress ends before the store closes.
    await officer?.stop();
    sim.stop();
  });
}, { name: 'simulator', dependencies: ['live', 'devices'] });
