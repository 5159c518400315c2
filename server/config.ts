/**
 * Configuration: one schema over process.env, validated at start. Every setting is
 * documented in .env.example; `describeConfig` prints it with secrets masked.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]);

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')])),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  DISTRICT_PACK: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))),
  SIM_ENABLED: Type.Optional(Bool),
  SIM_SEED: Type.Optional(Type.String({ pattern: '^[0-9]{1,10}$' })),
  SIM_SPEED: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$' })),
  LIVE_TICK_MS: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  LIVE_MAX_SOCKETS_PER_TOKEN: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
  LIVE_MAX_SOCKETS_PER_ADDRESS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  STALE_AFTER_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  OFFLINE_AFTER_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  SENSOR_STALE_AFTER_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  SENSOR_OFFLINE_AFTER_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  MAX_FUTURE_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  MAX_AGE_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  MAX_SPEED_KPH: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  SESSION_TTL_H: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 12 })),
  CORS_ORIGINS: Type.Optional(Type.String()),
  MAPBOX_ACCESS_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  MAP_STYLE_URL: Type.Optional(Type.String({ minLength: 1 })),
});
export type Env = Static<typeof EnvSchema>;

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  publicUrl: string | undefined;
  dataDir: string;
  districtPack: string;
  logLevel: string;
  sim: { enabled: boolean; seed: number; speed: number };
  live: { tickMs: number; staleAfterS: number; offlineAfterS: number; sensorStaleAfterS: number; sensorOfflineAfterS: number; maxSocketsPerToken: number; maxSocketsPerAddress: number };
  filters: { maxFutureS: number; maxAgeS: number; maxSpeedKph: number };
  auth: { sessionTtlH: number; adminPassword: string | undefined };
  corsOrigins: string[];
  map: { mapboxAccessToken: string | undefined; styleUrl: string | undefined };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const SECRET_KEYS = new Set(['ADMIN_PASSWORD', 'MAPBOX_ACCESS_TOKEN']);

/** Reads the known keys only; unknown variables of the environment are not our business. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const env: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const v = source[key];
    if (v !== undefined && v !== '') env[key] = v;
  }
  if (!Value.Check(EnvSchema, env)) {
    const problems = [...Value.Errors(EnvSchema, env)].map((e) => {
      const key = e.instancePath.replace(/^\//, '') || '(root)';
      const shown = SECRET_KEYS.has(key) ? '***' : JSON.stringify(env[key]);
      return `${key}=${shown}: ${e.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = env as Env;
  const bool = (v: string | undefined, d: boolean) => (v === undefined ? d : v === 'true' || v === '1');
  const int = (v: string | undefined, d: number) => (v === undefined ? d : Number.parseInt(v, 10));
  const port = int(e.PORT, 8080);
  if (port > 65535) throw new ConfigError(`invalid configuration:\n  PORT=${port}: must be 0..65535`);
  const staleAfterS = int(e.STALE_AFTER_S, 60);
  const offlineAfterS = int(e.OFFLINE_AFTER_S, 600);
  if (offlineAfterS <= staleAfterS) {
    throw new ConfigError(`invalid configuration:\n  OFFLINE_AFTER_S=${offlineAfterS}: must be greater than STALE_AFTER_S=${staleAfterS}`);
  }
  const sensorStaleAfterS = int(e.SENSOR_STALE_AFTER_S, 900);
  const sensorOfflineAfterS = int(e.SENSOR_OFFLINE_AFTER_S, 3600);
  if (sensorOfflineAfterS <= sensorStaleAfterS) {
    throw new ConfigError(`invalid configuration:\n  SENSOR_OFFLINE_AFTER_S=${sensorOfflineAfterS}: must be greater than SENSOR_STALE_AFTER_S=${sensorStaleAfterS}`);
  }
  const speed = e.SIM_SPEED === undefined ? 1 : Number(e.SIM_SPEED);
  if (!(speed > 0 && speed <= 3600)) throw new ConfigError(`invalid configuration:\n  SIM_SPEED=${e.SIM_SPEED}: must be > 0 and ≤ 3600`);
  const tickMs = int(e.LIVE_TICK_MS, 1000);
  if (tickMs < 100 || tickMs > 60_000) throw new ConfigError(`invalid configuration:\n  LIVE_TICK_MS=${tickMs}: must be 100..60000`);
  return {
    env: e.NODE_ENV ?? 'development',
    host: e.HOST ?? '0.0.0.0',
    port,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    dataDir: e.DATA_DIR ?? './var',
    districtPack: e.DISTRICT_PACK ?? './data/lixia',
    logLevel: e.LOG_LEVEL ?? 'info',
    sim: { enabled: bool(e.SIM_ENABLED, true), seed: int(e.SIM_SEED, 808), speed },
    live: {
      tickMs, staleAfterS, offlineAfterS, sensorStaleAfterS, sensorOfflineAfterS,
      maxSocketsPerToken: int(e.LIVE_MAX_SOCKETS_PER_TOKEN, 8), maxSocketsPerAddress: int(e.LIVE_MAX_SOCKETS_PER_ADDRESS, 64),
    },
    filters: { maxFutureS: int(e.MAX_FUTURE_S, 300), maxAgeS: int(e.MAX_AGE_S, 7 * 24 * 3600), maxSpeedKph: int(e.MAX_SPEED_KPH, 250) },
    auth: { sessionTtlH: int(e.SESSION_TTL_H, 12), adminPassword: e.ADMIN_PASSWORD },
    corsOrigins: (e.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    map: { mapboxAccessToken: e.MAPBOX_ACCESS_TOKEN, styleUrl: e.MAP_STYLE_URL },
  };
}

/** One line per setting for the start-up log, secrets masked. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    env: c.env, host: c.host, port: c.port, publicUrl: c.publicUrl, dataDir: c.dataDir, districtPack: c.districtPack,
    sim: c.sim, live: c.live, filters: c.filters, sessionTtlH: c.auth.sessionTtlH,
    adminPassword: c.auth.adminPassword ? '***' : undefined, corsOrigins: c.corsOrigins,
    mapbox: c.map.mapboxAccessToken ? '***' : undefined, mapStyleUrl: c.map.styleUrl,
  };
}
