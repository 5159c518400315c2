/**
 * The road routers for ETAs: travel-time routers per unit mode (seconds by road class, one-way
 * roads), built from the pack at start whether or not the simulator runs.
 */
import fp from 'fastify-plugin';
import { buildTravelRouters, type TravelProfiles, type TravelRouters } from '../district/travel-time.ts';

declare module 'fastify' {
  interface FastifyInstance {
    roads: TravelRouters;
  }
}

export default fp<{ travel: TravelProfiles }>(async (app, opts) => {
  app.decorate('roads', buildTravelRouters(app.district.pack, opts.travel));
}, { name: 'roads', dependencies: ['live'] });
