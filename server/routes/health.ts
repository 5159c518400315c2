import { ENTITY_KINDS, type EntityKind } from '../../shared/entities.ts';
import { ErrorResponse, HealthResponse, PastProgressResponse, ReadyResponse, ServerStatusResponse, type PastProgress } from '../../shared/schemas/http.ts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';

const denied = { 401: ErrorResponse, 403: ErrorResponse };
/** The load balancer's probes: many a minute from each balancer, but not unbounded. */
const probes = { rateLimit: { max: 600, timeWindow: '1 minute' } };

/**
 * GET /api/health — public liveness: the process answers. Nothing more, since anyone can ask.
 * GET /api/ready — public readiness for the load balancer: 503 while a dependency is down.
 * GET /api/admin/status — admins: version, uptime, counts, simulator, the generated past.
 * GET /api/past — the generated past's progress, for the screens that read history.
 */
const health: FastifyPluginAsyncTypebox<{ version: string; startedAt: number; now: () => number }> = async (app, opts) => {
  app.get('/api/health', { config: probes, schema: { tags: ['system'], security: [], response: { 200: HealthResponse, 429: ErrorResponse, 500: ErrorResponse } } }, async () => ({ status: 'ok' as const }));

  app.get('/api/ready', { config: probes, schema: { tags: ['system'], security: [], response: { 200: ReadyResponse, 503: ReadyResponse, 429: ErrorResponse } } }, async (_req, reply) => {
    const r = await app.readiness.report();
    return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'unready', checks: r.checks });
  });

  app.get('/api/admin/status', {
    onRequest: app.auth.requireRole('admin'),
    schema: { tags: ['system'], response: { 200: ServerStatusResponse, ...denied } },
  }, async () => {
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

  app.get('/api/past', {
    onRequest: app.auth.requireRole('dispatcher', 'leader', 'admin'),
    schema: { tags: ['system'], description: 'The simulated past written on a first start (SIM_HISTORY_DAYS): its progress, or null.', response: { 200: PastProgressResponse, ...denied } },
  }, async () => ({ past: pastOf(app) }));
};

/** The generated past's progress (null: none); 'none' never shows, the plugin decorates null then. */
function pastOf(app: FastifyInstance): PastProgress {
  const p = app.hasDecorator('simPast') ? app.simPast?.progress : undefined;
  if (!p || p.phase === 'none' || p.fromTs === null || p.toTs === null) return null;
  return { phase: p.phase, days: p.days, fromTs: p.fromTs, toTs: p.toTs, cases: p.cases, alarms: p.alarms, casesDone: p.casesDone, positionsDone: p.positionsDone, positionsUntil: p.positionsUntil };
}

export default health;
