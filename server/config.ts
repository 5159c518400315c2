/**
 * Configuration: one schema over process.env, validated at start. Every setting is
 * documented in .env.example; `describeConfig` prints it with secrets masked.
 */
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { DEFAULT_DISPATCH_SETTINGS, type DispatchSettings } from './dispatch/settings.ts';
import { DEFAULT_TRAVEL_PROFILES, parseSpeeds, type ModeProfile, type TravelProfiles } from './district/travel-time.ts';
import { BASEMAP_KINDS, type BasemapKind } from '../shared/basemap.ts';
import { REGISTRATION_POLICIES, type RegistrationPolicy } from './devices/registration-policy.ts';
import { INGEST_SOURCES, type IngestSource } from './ingest/types.ts';
import { SOURCE_SETTINGS, type SourcePolicyOverrides } from './ingest/source-policy.ts';
import type { Crs } from '../shared/geo.ts';
import { JT808_ENV, jt808Config, type Jt808Config } from './ingest/jt808/config.ts';
import { describeDatabaseUrl } from './store/sql/postgres-store.ts';
import { WALL_LAYOUT_SETTINGS, type WallLayoutSetting } from '../shared/wall-layout.ts';
import { HARDENING_ENV, hardeningConfig, type HardeningConfig } from './auth/hardening-config.ts';

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]);

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')])),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  // The store (server/store/sql/): PostgreSQL when set, else the SQLite file under DATA_DIR.
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_SCHEMA: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$' })),
  DISTRICT_PACK: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))),
  SIM_ENABLED: Type.Optional(Bool),
  SIM_SEED: Type.Optional(Type.String({ pattern: '^[0-9]{1,10}$' })),
  SIM_SPEED: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$' })),
  SIM_REPORTS_PER_DAY: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
  SIM_DUTY_OFFICER: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('off')])),
  SIM_DUTY_DELAY_S: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
  SIM_HISTORY_DAYS: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
  SIM_START_TIME: Type.Optional(Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' })),
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
  MAPBOX_API_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  MAP_BASEMAP: Type.Optional(Type.Union(BASEMAP_KINDS.map((k) => Type.Literal(k)))),
  TIANDITU_KEY: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z]{8,64}$' })),
  TIANDITU_TILE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  GCJ02_TILE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  WALL_LAYOUT: Type.Optional(Type.Union(WALL_LAYOUT_SETTINGS.map((k) => Type.Literal(k)))),
  WALL_TOUR: Type.Optional(Type.String({ pattern: '^[0-9]{9}(,[0-9]{9})*$' })),
  WALL_TOUR_S: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  WALL_IDLE_S: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  SLA_DAY_MODE: Type.Optional(Type.Union([Type.Literal('calendar'), Type.Literal('working')])),
  // Operations (policy-ops): Prometheus metrics behind a bearer token, or on a loopback-only port.
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 24, maxLength: 200, pattern: '^[\\x21-\\x7E]+$' })),
  METRICS_PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  PHOTO_MAX_BYTES: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
  CASE_CODE_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Z]{1,6}$' })),
  DISPATCH_ARRIVAL_RADIUS_M: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  DISPATCH_STALE_POSITION_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  DISPATCH_NOT_MOVING_WARN_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  DISPATCH_ON_SCENE_WARN_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  DISPATCH_RETURNING_S: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  DISPATCH_VEHICLE_SPEEDS_KPH: Type.Optional(Type.String({ minLength: 1 })),
  DISPATCH_STAFF_SPEEDS_KPH: Type.Optional(Type.String({ minLength: 1 })),
  OPEN311_RATE_PER_MIN: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
  OPEN311_MAX_RESULTS: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
  OPEN311_CONTACT: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  HISTORY_MIN_MOVE_M: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  HISTORY_MAX_GAP_S: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  HISTORY_FLUSH_S: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  HISTORY_RETENTION_DAYS: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  BRIEFING_DISPATCH_TARGET_MIN: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  JT808_REGISTRATION: Type.Optional(Type.Union(REGISTRATION_POLICIES.map((p) => Type.Literal(p)))),
  ...sourceSettingsSchema(),
  ...JT808_ENV,
  MQTT_URL: Type.Optional(Type.String({ pattern: '^(mqtt|mqtts|ws|wss|tcp|tls)://' })),
  MQTT_USERNAME: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  MQTT_PASSWORD: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  MQTT_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
  MQTT_TLS_INSECURE: Type.Optional(Bool),
  MQTT_CLIENT_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
  MQTT_TOPIC_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$', maxLength: 100 })),
  INGEST_MAX_BATCH: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
  INGEST_MAX_BODY_KB: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
  INGEST_RATE_PER_MIN: Type.Optional(Type.String({ pattern: '^[0-9]{1,7}$' })),
  // Hardening (server/auth/hardening-config.ts): TRUST_PROXY, AUDIT_RETENTION_DAYS.
  ...HARDENING_ENV,
  // Cluster (server/cluster/): several nodes share the live state, the fan-out and the run-once work through Redis.
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' })),
  CLUSTER_NODE_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
  CLUSTER_LEASE_TTL_MS: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
});

/** INGEST_<SOURCE>_<SETTING> for every source (server/ingest/source-policy.ts). */
function sourceSettingsSchema() {
  const props: Record<string, unknown> = {};
  for (const source of INGEST_SOURCES) {
    for (const setting of SOURCE_SETTINGS) {
      props[`INGEST_${source.toUpperCase()}_${setting}`] = Type.Optional(setting === 'CRS'
        ? Type.Union(['WGS84', 'GCJ02', 'BD09'].map((c) => Type.Literal(c)))
        : Type.String({ pattern: '^[0-9]{1,7}$' }));
    }
  }
  return props as Record<string, ReturnType<typeof Type.Optional<ReturnType<typeof Type.String>>>>;
}
export type Env = Static<typeof EnvSchema>;

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  publicUrl: string | undefined;
  dataDir: string;
  /** PostgreSQL (DATABASE_URL, DATABASE_SCHEMA); absent: the embedded SQLite file under dataDir. */
  database: { url: string; schema: string | undefined } | undefined;
  districtPack: string;
  logLevel: string;
  sim: {
    enabled: boolean; seed: number; speed: number;
    /** Mean case reports the simulated district files per sim day. */
    reportsPerDay: number;
    /** The simulated duty officer: 'auto' acts on cases nobody touched, 'off' leaves every case to people. */
    dutyOfficer: 'auto' | 'off';
    dutyDelayS: number;
    /** The district's local time of day (minutes after midnight) the simulated world starts at; undefined: now. */
    startMinuteOfDay: number | undefined;
    /** Days of past life generated on the first start (an empty history); 0: none. */
    historyDays: number;
  };
  live: { tickMs: number; staleAfterS: number; offlineAfterS: number; sensorStaleAfterS: number; sensorOfflineAfterS: number; maxSocketsPerToken: number; maxSocketsPerAddress: number };
  filters: { maxFutureS: number; maxAgeS: number; maxSpeedKph: number };
  auth: { sessionTtlH: number; adminPassword: string | undefined };
  corsOrigins: string[];
  map: {
    mapboxAccessToken: string | undefined; styleUrl: string | undefined;
    /** Which basemap the wall draws (MAP_BASEMAP); tile URL templates keep {z}/{x}/{y} and, for Tianditu, {layer}, {s} and {tk}. */
    /** Mapbox's API base for an on-premises Mapbox (Atlas) or a proxy: mapbox-gl then sends its session and telemetry events there, or none. */
    mapboxApiUrl: string | undefined;
    basemap: BasemapKind; tiandituKey: string | undefined; tiandituTileUrl: string; gcj02TileUrl: string | undefined;
  };
  /** The wall: layout (auto picks by aspect ratio), the idle tour's streets (9-digit codes), seconds per stop, idle seconds before it starts. */
  wall: { layout: WallLayoutSetting; tour: string[]; tourS: number; idleS: number };
  /** Default day counting of the 7123 closure clocks until an admin saves SLA settings. */
  sla: { dayMode: 'calendar' | 'working' };
  /** Prometheus /metrics: a bearer token (METRICS_TOKEN), a port of its own on 127.0.0.1 (METRICS_PORT), or neither (an admin session reads it). */
  metrics: { token: string | undefined; port: number | undefined };
  /** Case photos: the largest upload, bytes; case numbers: PREFIX-YYYYMMDD-NNNN. */
  cases: { photoMaxBytes: number; codePrefix: string };
  dispatch: { settings: DispatchSettings; travel: TravelProfiles };
  /** Open311: accepted POST requests per API key per minute (the report page's key: per client address), the most GET requests returns, the discovery contact. */
  open311: { ratePerMin: number; maxResults: number; contact: string | undefined };
  /** History (server/history): a point when moved ≥ minMoveM or maxGapS passed; written every flushS; kept retentionDays. */
  history: { minMoveM: number; maxGapS: number; flushS: number; retentionDays: number };
  /** The briefing (server/analytics): 按时派遣 means dispatched within dispatchTargetMin of registration. */
  briefing: { dispatchTargetMin: number };
  /** The device registry: what an unknown JT/T 808 terminal that registers gets (open: an entity at once; quarantine: an admin decides; closed: refused). */
  devices: { jt808Registration: RegistrationPolicy };
  /** Normalisation per source (INGEST_<SOURCE>_*), over the global filters. */
  ingest: { perSource: Partial<Record<IngestSource, SourcePolicyOverrides>> };
  /** The JT/T 808 TCP gateway (server/ingest/jt808/config.ts). */
  jt808: Jt808Config;
  /** MQTT sensors (off unless MQTT_URL is set): broker, credentials, TLS, topic prefix `{prefix}/{kind}/{deviceId}`. */
  mqtt: { url: string; username: string | undefined; password: string | undefined; caFile: string | undefined; tlsInsecure: boolean; clientId: string | undefined; topicPrefix: string } | undefined;
  /** HTTP batch ingest: items per request, body size, requests per key per minute. */
  httpIngest: { maxBatch: number; maxBodyBytes: number; ratePerMin: number };
  /** Which proxies are believed about the client's address (TRUST_PROXY), audit retention (AUDIT_RETENTION_DAYS). */
  hardening: HardeningConfig;
  /** Several nodes through Redis (off unless REDIS_URL is set): server/cluster/. */
  cluster: { redisUrl: string; keyPrefix: string; nodeId: string | undefined; leaseTtlMs: number } | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const SECRET_KEYS = new Set(['ADMIN_PASSWORD', 'MAPBOX_ACCESS_TOKEN', 'TIANDITU_KEY', 'MQTT_PASSWORD', 'MQTT_URL', 'METRICS_TOKEN', 'DATABASE_URL', 'REDIS_URL']);

/** METRICS_PORT: 0–65535 (0: any free port, for tests) and not the HTTP port (the metrics listener is a second server). */
function metricsPort(raw: string, httpPort: number): number {
  const p = Number(raw);
  if (p > 65535) throw new ConfigError(`invalid configuration:\n  METRICS_PORT=${raw}: must be a port, 0–65535 (0: any free port)`);
  if (p === httpPort && p !== 0) throw new ConfigError(`invalid configuration:\n  METRICS_PORT=${raw}: must differ from PORT`);
  return p;
}

/** Tianditu's WMTS in Web Mercator: vec_w (roads, areas) and cva_w (Chinese labels), servers t0–t7. */
export const TIANDITU_DEFAULT_TILE_URL = 'https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}';

/** A URL with the values of key-like query parameters replaced, for logs and error messages. */
export function maskUrlSecrets(url: string): string {
  return url.replace(/([?&](?:tk|key|access_token|token|api_key)=)[^&#{]+/gi, '$1***');
}

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
      const shown = SECRET_KEYS.has(key) ? '***' : JSON.stringify(maskUrlSecrets(env[key] ?? ''));
      return `${key}=${shown}: ${e.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = env as Env;
  const bool = (v: string | undefined, d: boolean) => (v === undefined ? d : v === 'true' || v === '1');
  const int = (v: string | undefined, d: number) => (v === undefined ? d : Number.parseInt(v, 10));
  if (e.DATABASE_SCHEMA !== undefined && e.DATABASE_URL === undefined) {
    throw new ConfigError('invalid configuration:\n  DATABASE_SCHEMA: set DATABASE_URL too (the schema is a PostgreSQL one; without DATABASE_URL the store is the SQLite file)');
  }
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
  const reportsPerDay = int(e.SIM_REPORTS_PER_DAY, 300);
  if (reportsPerDay > 100_000) throw new ConfigError(`invalid configuration:\n  SIM_REPORTS_PER_DAY=${reportsPerDay}: must be 0..100000`);
  const dutyDelayS = int(e.SIM_DUTY_DELAY_S, 60);
  if (dutyDelayS > 86_400) throw new ConfigError(`invalid configuration:\n  SIM_DUTY_DELAY_S=${dutyDelayS}: must be 0..86400`);
  const tickMs = int(e.LIVE_TICK_MS, 1000);
  if (tickMs < 100 || tickMs > 60_000) throw new ConfigError(`invalid configuration:\n  LIVE_TICK_MS=${tickMs}: must be 100..60000`);
  const photoMaxBytes = int(e.PHOTO_MAX_BYTES, 8 * 1024 * 1024);
  if (photoMaxBytes < 1024 || photoMaxBytes > 64 * 1024 * 1024) throw new ConfigError(`invalid configuration:\n  PHOTO_MAX_BYTES=${photoMaxBytes}: must be 1024..67108864 (1 KiB..64 MiB)`);
  const dispatch = dispatchConfig(e, int);
  const ratePerMin = int(e.OPEN311_RATE_PER_MIN, 30);
  if (ratePerMin < 1 || ratePerMin > 100_000) throw new ConfigError(`invalid configuration:\n  OPEN311_RATE_PER_MIN=${ratePerMin}: must be 1..100000`);
  const maxResults = int(e.OPEN311_MAX_RESULTS, 1000);
  if (maxResults < 1 || maxResults > 10_000) throw new ConfigError(`invalid configuration:\n  OPEN311_MAX_RESULTS=${maxResults}: must be 1..10000`);
  const map = mapConfig(e);
  const wall = wallConfig(e, int);
  const history = {
    minMoveM: int(e.HISTORY_MIN_MOVE_M, 25), maxGapS: int(e.HISTORY_MAX_GAP_S, 60),
    flushS: int(e.HISTORY_FLUSH_S, 5), retentionDays: int(e.HISTORY_RETENTION_DAYS, 90),
  };
  if (history.minMoveM < 1 || history.minMoveM > 10_000) throw new ConfigError(`invalid configuration:\n  HISTORY_MIN_MOVE_M=${history.minMoveM}: must be 1..10000`);
  if (history.maxGapS < 1 || history.maxGapS > 86_400) throw new ConfigError(`invalid configuration:\n  HISTORY_MAX_GAP_S=${history.maxGapS}: must be 1..86400`);
  if (history.flushS < 1 || history.flushS > 3600) throw new ConfigError(`invalid configuration:\n  HISTORY_FLUSH_S=${history.flushS}: must be 1..3600`);
  if (history.retentionDays < 1 || history.retentionDays > 36_500) throw new ConfigError(`invalid configuration:\n  HISTORY_RETENTION_DAYS=${history.retentionDays}: must be 1..36500`);
  const briefing = { dispatchTargetMin: int(e.BRIEFING_DISPATCH_TARGET_MIN, 30) };
  if (briefing.dispatchTargetMin < 1 || briefing.dispatchTargetMin > 10_080) throw new ConfigError(`invalid configuration:\n  BRIEFING_DISPATCH_TARGET_MIN=${briefing.dispatchTargetMin}: must be 1..10080`);
  // A past older than the retention would be generated only to be pruned at once: the default stays inside it, a set value must.
  const historyDays = int(e.SIM_HISTORY_DAYS, Math.min(30, history.retentionDays - 1));
  if (historyDays > 366) throw new ConfigError(`invalid configuration:\n  SIM_HISTORY_DAYS=${historyDays}: must be 0..366`);
  if (historyDays > 0 && historyDays >= history.retentionDays) throw new ConfigError(`invalid configuration:\n  SIM_HISTORY_DAYS=${historyDays}: must be less than HISTORY_RETENTION_DAYS=${history.retentionDays}`);
  const hardening = hardeningConfig(e);
  if (!hardening.ok) throw new ConfigError(`invalid configuration:\n  ${hardening.problems.join('\n  ')}`);
  const cluster = clusterConfig(e, int);
  const jt808 = jt808Config(e, port);
  if (!jt808.ok) throw new ConfigError(`invalid configuration:\n  ${jt808.problems.join('\n  ')}`);
  return {
    env: e.NODE_ENV ?? 'development',
    host: e.HOST ?? '0.0.0.0',
    port,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    dataDir: e.DATA_DIR ?? './var',
    database: e.DATABASE_URL === undefined ? undefined : { url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA },
    districtPack: e.DISTRICT_PACK ?? './data/lixia',
    logLevel: e.LOG_LEVEL ?? 'info',
    sim: {
      enabled: bool(e.SIM_ENABLED, true), seed: int(e.SIM_SEED, 808), speed,
      reportsPerDay, dutyOfficer: e.SIM_DUTY_OFFICER ?? 'auto', dutyDelayS,
      startMinuteOfDay: e.SIM_START_TIME === undefined ? undefined : Number(e.SIM_START_TIME.slice(0, 2)) * 60 + Number(e.SIM_START_TIME.slice(3)),
      historyDays,
    },
    live: {
      tickMs, staleAfterS, offlineAfterS, sensorStaleAfterS, sensorOfflineAfterS,
      maxSocketsPerToken: int(e.LIVE_MAX_SOCKETS_PER_TOKEN, 8), maxSocketsPerAddress: int(e.LIVE_MAX_SOCKETS_PER_ADDRESS, 64),
    },
    filters: { maxFutureS: int(e.MAX_FUTURE_S, 300), maxAgeS: int(e.MAX_AGE_S, 7 * 24 * 3600), maxSpeedKph: int(e.MAX_SPEED_KPH, 250) },
    auth: { sessionTtlH: int(e.SESSION_TTL_H, 12), adminPassword: e.ADMIN_PASSWORD },
    corsOrigins: (e.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    map,
    wall,
    sla: { dayMode: e.SLA_DAY_MODE ?? 'calendar' },
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT === undefined ? undefined : metricsPort(e.METRICS_PORT, port) },
    cases: { photoMaxBytes, codePrefix: e.CASE_CODE_PREFIX ?? 'LX' },
    dispatch,
    open311: { ratePerMin, maxResults, contact: e.OPEN311_CONTACT },
    history,
    briefing,
    devices: { jt808Registration: (e.JT808_REGISTRATION as RegistrationPolicy | undefined) ?? 'quarantine' },
    ingest: { perSource: perSourceConfig(e as Record<string, string | undefined>) },
    jt808: jt808.config,
    ...feedsConfig(e, bool, int),
    hardening: hardening.config,
    cluster,
  };
}

function feedsConfig(e: Env, bool: (v: string | undefined, d: boolean) => boolean, int: (v: string | undefined, d: number) => number): Pick<Config, 'mqtt' | 'httpIngest'> {
  const httpIngest = { maxBatch: int(e.INGEST_MAX_BATCH, 1000), maxBodyBytes: int(e.INGEST_MAX_BODY_KB, 1024) * 1024, ratePerMin: int(e.INGEST_RATE_PER_MIN, 600) };
  if (httpIngest.maxBatch < 1 || httpIngest.maxBatch > 100_000) throw new ConfigError(`invalid configuration:\n  INGEST_MAX_BATCH=${httpIngest.maxBatch}: must be 1..100000`);
  if (httpIngest.maxBodyBytes < 1024 || httpIngest.maxBodyBytes > 64 * 1024 * 1024) throw new ConfigError(`invalid configuration:\n  INGEST_MAX_BODY_KB=${httpIngest.maxBodyBytes / 1024}: must be 1..65536`);
  if (httpIngest.ratePerMin < 1) throw new ConfigError('invalid configuration:\n  INGEST_RATE_PER_MIN: must be at least 1');
  if (e.MQTT_URL === undefined) {
    const stray = (['MQTT_USERNAME', 'MQTT_PASSWORD', 'MQTT_CA_FILE', 'MQTT_CLIENT_ID', 'MQTT_TOPIC_PREFIX'] as const).filter((k) => e[k] !== undefined);
    if (stray.length > 0) throw new ConfigError(`invalid configuration:\n  ${stray.join(', ')}: set MQTT_URL too, or the MQTT ingest stays off`);
    return { mqtt: undefined, httpIngest };
  }
  return {
    mqtt: {
      url: e.MQTT_URL, username: e.MQTT_USERNAME, password: e.MQTT_PASSWORD, caFile: e.MQTT_CA_FILE,
      tlsInsecure: bool(e.MQTT_TLS_INSECURE, false), clientId: e.MQTT_CLIENT_ID, topicPrefix: e.MQTT_TOPIC_PREFIX ?? 'cityops',
    },
    httpIngest,
  };
}

function perSourceConfig(e: Record<string, string | undefined>): Config['ingest']['perSource'] {
  const out: Config['ingest']['perSource'] = {};
  for (const source of INGEST_SOURCES) {
    const get = (s: (typeof SOURCE_SETTINGS)[number]) => e[`INGEST_${source.toUpperCase()}_${s}`];
    const num = (s: (typeof SOURCE_SETTINGS)[number]) => (get(s) === undefined ? undefined : Number(get(s)));
    const limits: Partial<Record<'maxFutureMs' | 'maxAgeMs' | 'maxSpeedKph', number>> = {};
    if (num('MAX_FUTURE_S') !== undefined) limits.maxFutureMs = num('MAX_FUTURE_S')! * 1000;
    if (num('MAX_AGE_S') !== undefined) limits.maxAgeMs = num('MAX_AGE_S')! * 1000;
    if (num('MAX_SPEED_KPH') !== undefined) {
      if (num('MAX_SPEED_KPH')! < 1) throw new ConfigError(`invalid configuration:\n  INGEST_${source.toUpperCase()}_MAX_SPEED_KPH: must be at least 1`);
      limits.maxSpeedKph = num('MAX_SPEED_KPH')!;
    }
    const o: SourcePolicyOverrides = {};
    if (Object.keys(limits).length > 0) o.limits = limits;
    if (num('MIN_DISTANCE_M') !== undefined) o.minDistanceM = num('MIN_DISTANCE_M')!;
    if (num('MAX_ACCURACY_M') !== undefined) o.maxAccuracyM = num('MAX_ACCURACY_M')!;
    if (get('CRS') !== undefined) o.crs = get('CRS') as Crs;
    if (Object.keys(o).length > 0) out[source] = o;
  }
  return out;
}

function mapConfig(e: Env): Config['map'] {
  const fail = (msg: string): never => {
    throw new ConfigError(`invalid configuration:\n  ${msg}`);
  };
  // Before MAP_BASEMAP existed a Mapbox token alone chose Mapbox: it still does.
  const basemap = (e.MAP_BASEMAP as BasemapKind | undefined) ?? (e.MAPBOX_ACCESS_TOKEN ? 'mapbox' : 'offline') as BasemapKind;
  const template = (key: string, url: string): string => {
    // {-y}: a provider that counts rows from the south (Tencent) — drawn as TMS.
    for (const p of ['{z}', '{x}', '{y}']) if (!url.includes(p) && !(p === '{y}' && url.includes('{-y}'))) fail(`${key}=${JSON.stringify(maskUrlSecrets(url))}: must contain ${p}`);
    return url;
  };
  const tiandituTileUrl = template('TIANDITU_TILE_URL', e.TIANDITU_TILE_URL ?? TIANDITU_DEFAULT_TILE_URL);
  const gcj02TileUrl = e.GCJ02_TILE_URL === undefined ? undefined : template('GCJ02_TILE_URL', e.GCJ02_TILE_URL);
  if (basemap === 'tianditu' && tiandituTileUrl.includes('{tk}') && !e.TIANDITU_KEY) fail('TIANDITU_KEY: required with MAP_BASEMAP=tianditu (the tk key of a Tianditu account)');
  if (basemap === 'gcj02' && !gcj02TileUrl) fail('GCJ02_TILE_URL: required with MAP_BASEMAP=gcj02 (the provider\'s tile URL template, {z}/{x}/{y})');
  if (basemap === 'mapbox' && !e.MAPBOX_ACCESS_TOKEN) fail('MAPBOX_ACCESS_TOKEN: required with MAP_BASEMAP=mapbox');
  return { mapboxAccessToken: e.MAPBOX_ACCESS_TOKEN, styleUrl: e.MAP_STYLE_URL, mapboxApiUrl: e.MAPBOX_API_URL, basemap, tiandituKey: e.TIANDITU_KEY, tiandituTileUrl, gcj02TileUrl };
}

function wallConfig(e: Env, int: (v: string | undefined, d: number) => number): Config['wall'] {
  const tourS = int(e.WALL_TOUR_S, 20);
  if (tourS < 5 || tourS > 3600) throw new ConfigError(`invalid configuration:\n  WALL_TOUR_S=${tourS}: must be 5..3600`);
  const idleS = int(e.WALL_IDLE_S, 120);
  if (idleS < 2 || idleS > 86_400) throw new ConfigError(`invalid configuration:\n  WALL_IDLE_S=${idleS}: must be 2..86400`);
  return { layout: (e.WALL_LAYOUT as WallLayoutSetting | undefined) ?? 'auto', tour: e.WALL_TOUR ? e.WALL_TOUR.split(',') : [], tourS, idleS };
}

function dispatchConfig(e: Env, int: (v: string | undefined, d: number) => number): Config['dispatch'] {
  const d = DEFAULT_DISPATCH_SETTINGS;
  const within = (key: string, v: number, min: number, max: number) => {
    if (!(v >= min && v <= max)) throw new ConfigError(`invalid configuration:\n  ${key}=${v}: must be ${min}..${max}`);
    return v;
  };
  const speeds = (key: string, v: string | undefined, profile: ModeProfile): ModeProfile => {
    if (v === undefined) return profile;
    try {
      return { ...profile, speedsKph: parseSpeeds(v) };
    } catch (err) {
      throw new ConfigError(`invalid configuration:\n  ${key}=${JSON.stringify(v)}: ${(err as Error).message}`);
    }
  };
  return {
    settings: {
      ...d,
      arrivalRadiusM: within('DISPATCH_ARRIVAL_RADIUS_M', int(e.DISPATCH_ARRIVAL_RADIUS_M, d.arrivalRadiusM), 5, 1000),
      stalePositionS: within('DISPATCH_STALE_POSITION_S', int(e.DISPATCH_STALE_POSITION_S, d.stalePositionS), 5, 86_400),
      notMovingS: within('DISPATCH_NOT_MOVING_WARN_S', int(e.DISPATCH_NOT_MOVING_WARN_S, d.notMovingS), 30, 86_400),
      onSceneWarnS: within('DISPATCH_ON_SCENE_WARN_S', int(e.DISPATCH_ON_SCENE_WARN_S, d.onSceneWarnS), 60, 7 * 86_400),
      returningS: within('DISPATCH_RETURNING_S', int(e.DISPATCH_RETURNING_S, d.returningS), 0, 86_400),
    },
    travel: {
      vehicle: speeds('DISPATCH_VEHICLE_SPEEDS_KPH', e.DISPATCH_VEHICLE_SPEEDS_KPH, DEFAULT_TRAVEL_PROFILES.vehicle),
      staff: speeds('DISPATCH_STAFF_SPEEDS_KPH', e.DISPATCH_STAFF_SPEEDS_KPH, DEFAULT_TRAVEL_PROFILES.staff),
    },
  };
}

/** One line per setting for the start-up log, secrets masked. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    env: c.env, host: c.host, port: c.port, publicUrl: c.publicUrl, dataDir: c.dataDir, districtPack: c.districtPack,
    store: c.database ? { kind: 'postgres', at: describeDatabaseUrl(c.database.url), schema: c.database.schema } : { kind: 'sqlite' },
    sim: c.sim, live: c.live, filters: c.filters, sessionTtlH: c.auth.sessionTtlH,
    adminPassword: c.auth.adminPassword ? '***' : undefined, corsOrigins: c.corsOrigins,
    mapbox: c.map.mapboxAccessToken ? '***' : undefined, mapStyleUrl: c.map.styleUrl && maskUrlSecrets(c.map.styleUrl),
    mapboxApiUrl: c.map.mapboxApiUrl && maskUrlSecrets(c.map.mapboxApiUrl), basemap: c.map.basemap, tiandituKey: c.map.tiandituKey ? '***' : undefined,
    tiandituTileUrl: maskUrlSecrets(c.map.tiandituTileUrl), gcj02TileUrl: c.map.gcj02TileUrl && maskUrlSecrets(c.map.gcj02TileUrl),
    wall: c.wall,
    sla: c.sla, cases: c.cases, open311: c.open311, history: c.history, briefing: c.briefing, devices: c.devices, ingest: c.ingest,
    jt808: { port: c.jt808.port, utcOffsetMin: c.jt808.utcOffsetMin, textOnDispatch: c.jt808.textOnDispatch },
    cluster: c.cluster && { ...c.cluster, redisUrl: maskRedisUrl(c.cluster.redisUrl) },
    mqtt: c.mqtt && { ...c.mqtt, url: maskUrlSecrets(c.mqtt.url).replace(/\/\/[^/@]*@/, '//***@'), password: c.mqtt.password ? '***' : undefined },
    httpIngest: c.httpIngest,
    hardening: c.hardening,
    metrics: { token: c.metrics.token ? '***' : undefined, port: c.metrics.port },
    dispatch: { ...c.dispatch.settings, vehicleKph: c.dispatch.travel.vehicle.speedsKph, staffKph: c.dispatch.travel.staff.speedsKph },
  };
}

/** A Redis URL without its password (redis://user:secret@host → redis://user:***@host), for logs and health. */
export function maskRedisUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^@/]*)@/, (_m, scheme: string, auth: string) => `${scheme}${auth.includes(':') ? `${auth.slice(0, auth.indexOf(':'))}:***` : '***'}@`);
}

function clusterConfig(e: Env, int: (v: string | undefined, d: number) => number): Config['cluster'] {
  if (e.REDIS_URL === undefined) {
    const stray = (['REDIS_KEY_PREFIX', 'CLUSTER_NODE_ID', 'CLUSTER_LEASE_TTL_MS'] as const).filter((k) => e[k] !== undefined);
    if (stray.length > 0) throw new ConfigError(`invalid configuration:\n  ${stray.join(', ')}: set REDIS_URL too, or the node runs alone`);
    return undefined;
  }
  const leaseTtlMs = int(e.CLUSTER_LEASE_TTL_MS, 5000);
  // Below a second a busy event loop loses its leases; above a minute a dead node's work waits too long.
  if (leaseTtlMs < 1000 || leaseTtlMs > 60_000) throw new ConfigError(`invalid configuration:\n  CLUSTER_LEASE_TTL_MS=${leaseTtlMs}: must be 1000..60000`);
  return { redisUrl: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX ?? 'cityops', nodeId: e.CLUSTER_NODE_ID, leaseTtlMs };
}
