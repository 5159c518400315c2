/**
 * The PostgreSQL DDL of migrations 10–17 (history, the simulated past, briefing and heat
 * indexes, devices, JT/T 808 messages, ingest keys, login throttle). Rules: server/store/sql/postgres-migration.ts.
 */
import { ID, type PostgresMigration } from './postgres-migration.ts';

export const POSTGRES_MIGRATIONS_10_TO_17: readonly PostgresMigration[] = [
  {
    version: 10,
    name: 'history: tracks per entity and bucket (partitioned by day), daily roll-up (partitioned by month)',
    // Partitions are made on demand (server/history/partitions.ts): a day's track partition is
    // [00:00, 24:00) UTC in bucket seconds; a month's roll-up partition ['YYYY-MM-01', next month).
    // Retention drops whole partitions instead of deleting rows. "C" collation: the day keys'
    // range bounds compare byte by byte, whatever the database's locale.
    sql: `
      CREATE TABLE history_entity (
        eid ${ID.replace('BIGINT', 'INTEGER')},
        entity_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        org_code TEXT NOT NULL
      );
      CREATE TABLE history_track (
        eid INTEGER NOT NULL REFERENCES history_entity(eid),
        bucket BIGINT NOT NULL,
        n INTEGER NOT NULL,
        blob BYTEA NOT NULL,
        PRIMARY KEY (eid, bucket)
      ) PARTITION BY RANGE (bucket);
      CREATE TABLE history_daily (
        day TEXT COLLATE "C" NOT NULL,
        org_code TEXT NOT NULL,
        kind TEXT NOT NULL,
        reports BIGINT NOT NULL,
        points BIGINT NOT NULL,
        distance_m DOUBLE PRECISION NOT NULL,
        online_s BIGINT NOT NULL,
        PRIMARY KEY (day, org_code, kind)
      ) PARTITION BY RANGE (day);
    `,
  },
  {
    version: 11,
    name: 'simulated past: generation progress',
    sql: `
      CREATE TABLE sim_past (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        days BIGINT NOT NULL,
        seed BIGINT NOT NULL,
        from_ts BIGINT NOT NULL,
        to_ts BIGINT NOT NULL,
        ops_done BIGINT NOT NULL,
        tracks_until BIGINT NOT NULL,
        started_ts BIGINT NOT NULL,
        finished_ts BIGINT
      );
    `,
  },
  {
    version: 12,
    name: 'briefing: alarms by start, cases by closure, clocks by start and due time, timeline by case and action',
    sql: `
      CREATE INDEX alarms_start_ts ON alarms(start_ts);
      CREATE INDEX sla_clocks_kind_due ON sla_clocks(kind, due_ts);
      CREATE INDEX case_timeline_case_action ON case_timeline(case_id, action, ts);
      CREATE INDEX cases_closed ON cases(closed_ts) WHERE closed_ts IS NOT NULL;
      CREATE INDEX sla_clocks_kind_start ON sla_clocks(kind, start_ts);
    `,
  },
  {
    version: 13,
    name: 'heat: covering indexes of cases by creation time and alarms by start time',
    // INCLUDE: the same covering read as SQLite's wide index, with only the time as the key.
    sql: `
      CREATE INDEX heat_cases_created ON cases(created_ts) INCLUDE (stage, street_code, lon, lat);
      CREATE INDEX heat_alarms_start ON alarms(start_ts) INCLUDE (org_code, lon, lat);
    `,
  },
  {
    version: 14,
    name: 'devices: state, protocol details, counters, takeover; runtime entities',
    sql: `
      ALTER TABLE devices ALTER COLUMN entity_id DROP NOT NULL;
      ALTER TABLE devices ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
      ALTER TABLE devices ADD COLUMN plate TEXT;
      ALTER TABLE devices ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE devices ADD COLUMN auth_hash TEXT;
      ALTER TABLE devices ADD COLUMN address TEXT;
      ALTER TABLE devices ADD COLUMN last_seen BIGINT;
      ALTER TABLE devices ADD COLUMN accepted BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE devices ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE devices ADD COLUMN last_refusal TEXT;
      ALTER TABLE devices ADD COLUMN took_over_at BIGINT;
      CREATE INDEX devices_entity ON devices(entity_id);
      CREATE TABLE runtime_entities (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        org_code TEXT NOT NULL,
        grid_id TEXT NOT NULL,
        attrs TEXT NOT NULL,
        lon DOUBLE PRECISION,
        lat DOUBLE PRECISION,
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 15,
    name: 'device_messages: text messages to JT/T 808 terminals and their answers',
    sql: `
      CREATE TABLE device_messages (
        id ${ID},
        device_id BIGINT NOT NULL,
        terminal TEXT NOT NULL,
        text TEXT NOT NULL,
        sent_by TEXT NOT NULL,
        case_id BIGINT,
        created_at BIGINT NOT NULL,
        sent_at BIGINT,
        serial BIGINT,
        result BIGINT,
        answered_at BIGINT,
        status TEXT NOT NULL
      );
      CREATE INDEX device_messages_device ON device_messages(device_id, id);
      CREATE INDEX device_messages_open ON device_messages(status, created_at);
    `,
  },
  {
    version: 16,
    name: 'http ingest keys and idempotent batch answers',
    sql: `
      CREATE TABLE ingest_keys (
        id ${ID},
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT,
        last_used_at BIGINT,
        accepted BIGINT NOT NULL DEFAULT 0,
        rejected BIGINT NOT NULL DEFAULT 0
      );
      CREATE TABLE ingest_requests (
        key_id BIGINT NOT NULL REFERENCES ingest_keys(id),
        idempotency_key TEXT NOT NULL,
        route TEXT NOT NULL,
        body_sha256 TEXT NOT NULL,
        response TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (key_id, idempotency_key)
      );
      CREATE INDEX ingest_requests_time ON ingest_requests(created_at);
    `,
  },
  {
    version: 17,
    name: 'login throttle; indexes for session expiry and audit queries',
    sql: `
      CREATE TABLE login_throttle (
        key TEXT PRIMARY KEY,
        failures BIGINT NOT NULL CHECK (failures > 0),
        last_failure_at BIGINT NOT NULL,
        locked_until BIGINT NOT NULL
      );
      CREATE INDEX sessions_expires ON sessions(expires_at);
      CREATE INDEX sessions_revoked ON sessions(revoked_at);
      CREATE INDEX audit_actor ON audit(actor, id);
      CREATE INDEX audit_action ON audit(action, id);
    `,
  },
];
