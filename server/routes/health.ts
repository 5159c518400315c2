import { ENTITY_KINDS, type EntityKind } from '../../shared/entities.ts';
import { ErrorResponse, HealthResponse } from '../../shared/schemas/http.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';

/** GET /api/health — public: for load balancers and operators. */
const health: FastifyPluginAsyncTypebox<{ version: string; startedAt: number; now: () => number }> = async (app, opts) => {
  app.get('/api/health', { config: { rateLimit: { max: 600, timeWindow: '1 minute' } }, schema: { tags: ['system'], security: [], response: { 200: HealthResponse, 429: ErrorResponse, 500: ErrorResponse } } }, async () => {
    const entities = app.live.countsByKind();
    const online = Object.fromEntries(ENTITY_KINDS.map((k) => [k, 0])) as Record<EntityKind, number>;
    for (const e of app.live.all()) if (e.connectivity === 'online') online[e.kind]++;
    const stats = app.ingest.snapshotStats();
    const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
    return {
      status: 'ok' as const,
      version: opts.version,
      uptimeS: Math.round((opts.now() - opts.startedAt) / 1000),
      district: app.district.pack.meta.id,
      entities,
      online,
      liveVersion: app.live.version,
      clients: app.io.engine.clientsCount,
      ingest: { accepted: stats.accepted, dropped },
      simulator: app.simulator ? { running: true, speed: app.simulator.speed, seed: app.simulator.seed } : null,
      past: pastOf(app),
    };
  });
};

/** The generated past's progress (null: none); 'none' never shows, the plugin decorates null then. */
function pastOf(app: FastifyInstance): HealthResponse['past'] {
  const p = app.hasDecorator('simPast') ? app.simPast?.progress : undefined;
  if (!p || p.phase === 'none' || p.fromTs === null || p.toTs === null) return null;
  return { phase: p.phase, days: p.days, fromTs: p.fromTs, toTs: p.toTs, cases: p.cases, alarms: p.alarms, casesDone: p.casesDone, positionsDone: p.positionsDone, positionsUntil: p.positionsUntil };
}

export default health;
