/**
 * The app as a function of its configuration and dependencies, so that tests start it
 * on port 0 with a temp data dir, a fake clock or a small district pack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ConfigError, type Config } from './config.ts';
import type { DistrictPack } from '../shared/district.ts';
import { loadDistrictPack } from './district/load-pack.ts';
import { connectivityPolicy } from './live/live-state.ts';
import { bootstrapAccess, type FirstStartCredentials } from './auth/bootstrap.ts';
import errors from './plugins/errors.ts';
import strictBody from './http-validation.ts';
import security from './plugins/security.ts';
import docs from './plugins/docs.ts';
import store from './plugins/store.ts';
import domainEvents from './plugins/domain-events.ts';
import auth from './plugins/auth.ts';
import live from './plugins/live.ts';
import devices from './plugins/devices.ts';
import jt808 from './plugins/jt808.ts';
import history from './plugins/history.ts';
import heat from './plugins/heat.ts';
import replay from './plugins/replay.ts';
import realtime from './plugins/realtime.ts';
import cluster from './plugins/cluster.ts';
import ops from './plugins/ops.ts';
import sla from './plugins/sla.ts';
import cases from './plugins/cases.ts';
import simulator from './plugins/simulator.ts';
import simPast from './plugins/sim-past.ts';
import roads from './plugins/roads.ts';
import dispatch from './plugins/dispatch.ts';
import alarms from './plugins/alarms.ts';
import open311 from './plugins/open311.ts';
import client, { clientBuildReader } from './plugins/client.ts';
import mqtt from './plugins/mqtt.ts';
import httpIngest from './plugins/http-ingest.ts';
import healthRoutes from './routes/health.ts';
import opsMetrics from './ops-metrics/plugin.ts';
import { routeTable, type RegisteredRoute } from './policy/route-table.ts';
import districtRoutes from './routes/district.ts';
import { basemapOrigins } from './district/basemap.ts';
import authRoutes from './routes/auth.ts';
import adminRoutes from './routes/admin.ts';
import accessUpkeep from './plugins/access-upkeep.ts';
import { fastifyTrustProxy } from './auth/hardening-config.ts';
import deviceRoutes from './routes/devices.ts';
import jt808Routes from './routes/jt808.ts';
import briefingRoutes from './routes/briefing.ts';
import partyRoutes from './routes/party.ts';
import { requestLogSerializer } from './log-redaction.ts';

/** The package version, from the nearest package.json above this module (server/ in development, dist/server/ when bundled). */
export const VERSION: string = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) return '0.0.0';
  }
})();

export interface AppDeps {
  /** An already loaded pack (tests); otherwise loaded from config.districtPack. */
  pack?: DistrictPack;
  now?: () => number;
  /** Built client directory; default dist/client. */
  clientRoot?: string;
  logger?: boolean | object;
}

export interface BuiltApp {
  app: FastifyInstance;
  /** Set on the first start of an empty database only. */
  firstStart: FirstStartCredentials | undefined;
  /** The URL a wall opens, once the server listens. */
  wallUrl(token: string): string;
  /** Every HTTP route (method and URL) as registered. */
  routes: readonly RegisteredRoute[];
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<BuiltApp> {
  const now = deps.now ?? Date.now;
  const pack = deps.pack ?? (await loadDistrictPack(config.districtPack));
  const unknownTour = config.wall.tour.filter((code) => !pack.streets.features.some((f) => f.properties.code === code));
  if (unknownTour.length > 0) throw new ConfigError(`invalid configuration:\n  WALL_TOUR: ${unknownTour.join(', ')} is not a street of ${pack.meta.name}`);
  const app = Fastify({
    logger: deps.logger ?? { level: config.logLevel, serializers: { req: requestLogSerializer } },
    bodyLimit: 256 * 1024,
    // TRUST_PROXY (server/auth/hardening-config.ts): off unless the proxies in front are named.
    trustProxy: fastifyTrustProxy(config.hardening.trustProxy),
    // Coercion serves query strings and params (text); bodies are checked as sent by strict-body
    // first, and numbers in params and queries must be plain decimals (server/http-validation.ts).
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Every route as registered, for the role matrix test: a route without a policy entry fails it.
  const routes = routeTable(app);

  const baseUrl = () => {
    if (config.publicUrl) return config.publicUrl;
    const addr = app.server.address();
    const port = addr && typeof addr === 'object' ? addr.port : config.port;
    return `http://localhost:${port}`;
  };
  const wallUrl = (token: string) => `${baseUrl()}/wall?token=${encodeURIComponent(token)}`;

  await app.register(errors);
  await app.register(strictBody);
  await app.register(security, { corsOrigins: config.corsOrigins, mapbox: config.map.basemap === 'mapbox', basemapOrigins: basemapOrigins(config.map), publicUrl: config.publicUrl });
  await app.register(docs, { version: VERSION });
  await app.register(store, { dataDir: config.dataDir, ...(config.database ? { database: config.database } : {}) });
  await app.register(auth);
  // Early: the readiness registry must exist before plugins that add checks to it (cluster).
  await app.register(opsMetrics, { tickMs: config.live.tickMs, token: config.metrics.token, port: config.metrics.port });
  await app.register(domainEvents);
  const liveConnectivity = connectivityPolicy(
    { staleAfterMs: config.live.staleAfterS * 1000, offlineAfterMs: config.live.offlineAfterS * 1000 },
    { staleAfterMs: config.live.sensorStaleAfterS * 1000, offlineAfterMs: config.live.sensorOfflineAfterS * 1000 },
  );
  await app.register(live, {
    pack,
    connectivity: liveConnectivity,
    filters: { maxFutureMs: config.filters.maxFutureS * 1000, maxAgeMs: config.filters.maxAgeS * 1000, maxSpeedKph: config.filters.maxSpeedKph },
    sweepMs: 1000,
    now,
    simSpeed: config.sim.speed,
    perSource: config.ingest.perSource,
  });
  // Right after live: it puts back the entities made for devices before anything reads the catalog.
  await app.register(devices, { jt808Registration: config.devices.jt808Registration, now });
  // Right after live, before the rules and the simulator, so history sees the first reports.
  await app.register(history, { now, ...config.history });
  const clientRoot = deps.clientRoot ?? 'dist/client';
  await app.register(cases, { now, dataDir: config.dataDir, ...config.cases });
  await app.register(sla, { now, dayMode: config.sla.dayMode });
  // Before the simulator, so that the rules see its first reports.
  await app.register(alarms, { now });
  await app.register(roads, { travel: config.dispatch.travel });
  await app.register(dispatch, { settings: config.dispatch.settings, now });
  // After the registry and cases: terminals register through the one, a dispatch texts the driver from the other.
  await app.register(jt808, { config: config.jt808, host: config.host, now });
  await app.register(ops, { now });
  await app.register(replay, { now });
  await app.register(open311, {
    now, dataDir: config.dataDir, photoMaxBytes: config.cases.photoMaxBytes, publicUrl: config.publicUrl,
    ratePerMin: config.open311.ratePerMin, maxResults: config.open311.maxResults,
    contact: config.open311.contact ?? `${pack.meta.city}${pack.meta.name}城市管理指挥中心 · 12345`,
  });
  await app.register(realtime, { tickMs: config.live.tickMs, maxSocketsPerToken: config.live.maxSocketsPerToken, maxSocketsPerAddress: config.live.maxSocketsPerAddress, corsOrigins: config.corsOrigins, now, clientBuild: clientBuildReader(clientRoot), trustProxy: config.hardening.trustProxy });
  await app.register(cluster, { cluster: config.cluster, now });
  // The simulated district's past (SIM_HISTORY_DAYS) on an empty store, in the background. Before the
  // simulator: the past ends at this instant, before the live district's first report.
  await app.register(simPast, {
    enabled: config.sim.enabled, days: config.sim.historyDays, seed: config.sim.seed, reportsPerDay: config.sim.reportsPerDay,
    codePrefix: config.cases.codePrefix, connectivity: liveConnectivity, now,
  });
  await app.register(simulator, { ...config.sim, tickMs: 1000, now });
  await app.register(heat, { now, historyFlushS: config.history.flushS });
  await app.register(mqtt, { mqtt: config.mqtt, now });
  await app.register(httpIngest, { limits: config.httpIngest, now });
  await app.register(healthRoutes, { version: VERSION, startedAt: now(), now });
  await app.register(districtRoutes, { map: config.map, wall: config.wall });
  await app.register(authRoutes, { sessionTtlMs: config.auth.sessionTtlH * 3_600_000 });
  await app.register(adminRoutes, { wallUrl });
  await app.register(accessUpkeep, { now, auditRetentionDays: config.hardening.auditRetentionDays });
  await app.register(deviceRoutes);
  await app.register(jt808Routes);
  await app.register(briefingRoutes, { now, dispatchTargetMin: config.briefing.dispatchTargetMin });
  await app.register(partyRoutes, { now });
  await app.register(client, { root: clientRoot });

  let firstStart: FirstStartCredentials | undefined;
  try {
    firstStart = await bootstrapAccess(app.store.access, app.store.audit, config.auth.adminPassword, config.env === 'production');
  } catch (err) {
    await app.close();
    throw err;
  }
  return { app, firstStart, wallUrl, routes };
}
