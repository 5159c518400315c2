/**
 * Replay (server/replay): GET /api/replay streams a window of history in the live codec's
 * frames for the wall's own renderer to play; GET /api/replay/case/:id finds one incident's window.
 */
import fp from 'fastify-plugin';
import { ReplayIncidentSource } from '../replay/replay-incidents.ts';
import replayRoutes from '../routes/replay.ts';

export interface ReplayPluginOptions {
  now: () => number;
}

export default fp<ReplayPluginOptions>(async (app, opts) => {
  await app.register(replayRoutes, { incidents: new ReplayIncidentSource(app.store.sql), now: opts.now });
}, { name: 'replay', dependencies: ['store', 'auth', 'live', 'history', 'cases', 'alarms'] });
