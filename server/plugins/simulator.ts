/** The embedded simulator: a living district with no device connected. It feeds the ingest like any gateway. */
import fp from 'fastify-plugin';
import { Simulator } from '../sim/simulator.ts';

declare module 'fastify' {
  interface FastifyInstance { simulator: { instance: Simulator; seed: number; speed: number } | null }
}

export default fp<{ enabled: boolean; seed: number; speed: number; tickMs: number; now: () => number }>(async (app, opts) => {
  if (!opts.enabled) {
    app.decorate('simulator', null);
    return;
  }
  const sim = new Simulator({ pack: app.district.pack, ingest: app.ingest, seed: opts.seed, speed: opts.speed, now: opts.now });
  sim.init();
  sim.start(opts.tickMs);
  app.decorate('simulator', { instance: sim, seed: opts.seed, speed: opts.speed });
  app.addHook('onClose', async () => sim.stop());
}, { name: 'simulator', dependencies: ['live'] });
