/**
 * The PostgreSQL DDL of migrations 1–9 (users and sessions, cases, SLA clocks, alarms, units,
 * the server secret, Open311). Rules: server/store/sql/postgres-migration.ts.
 */
import { ID, type PostgresMigration } from './postgres-migration.ts';

export const POSTGRES_MIGRATIONS_1_TO_9: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'users, sessions, display tokens, devices, audit',
    sql: `
      CREATE TABLE users (
        id ${ID},
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CONSTRAINT users_role_check CHECK (role IN ('wall','dispatcher','leader','admin')),
        created_at BIGINT NOT NULL,
        disabled_at BIGINT
      );
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES users(id),
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE INDEX sessions_user ON sessions(user_id);
      CREATE TABLE display_tokens (
        id ${ID},
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at BIGINT,
        last_used_at BIGINT
      );
      CREATE TABLE devices (
        id ${ID},
        source TEXT NOT NULL,
        device_id TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        label TEXT,
        created_at BIGINT NOT NULL,
        UNIQUE (source, device_id)
      );
      CREATE TABLE audit (
        id ${ID},
        ts BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
      );
      CREATE INDEX audit_ts ON audit(ts);
    `,
  },
  {
    version: 2,
    name: 'cases, timeline, photos, requests, evaluations, case number sequence',
    sql: `
      CREATE TABLE cases (
        id ${ID},
        code TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        item_code TEXT NOT NULL,
        category TEXT NOT NULL CHECK (category IN ('component','event')),
        source TEXT NOT NULL,
        stage TEXT NOT NULL,
        suspended BIGINT NOT NULL DEFAULT 0,
        emergency BIGINT NOT NULL,
        difficulty TEXT NOT NULL CHECK (difficulty IN ('small','big','hard')),
        lon DOUBLE PRECISION NOT NULL,
        lat DOUBLE PRECISION NOT NULL,
        street_code TEXT NOT NULL,
        community_code TEXT,
        grid_id TEXT,
        address TEXT,
        assigned_org TEXT,
        assignment TEXT,
        alarm_id BIGINT,
        escalation_level BIGINT NOT NULL DEFAULT 0,
        rework_count BIGINT NOT NULL DEFAULT 0,
        reported_by TEXT NOT NULL,
        created_ts BIGINT NOT NULL,
        updated_ts BIGINT NOT NULL,
        closed_ts BIGINT,
        version BIGINT NOT NULL
      );
      CREATE INDEX cases_stage ON cases(stage);
      CREATE INDEX cases_updated ON cases(updated_ts);
      CREATE INDEX cases_created ON cases(created_ts);
      CREATE INDEX cases_alarm ON cases(alarm_id);
      CREATE TABLE case_timeline (
        id ${ID},
        case_id BIGINT NOT NULL REFERENCES cases(id),
        ts BIGINT NOT NULL,
        actor TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        action TEXT NOT NULL,
        from_stage TEXT,
        to_stage TEXT,
        note TEXT,
        data TEXT
      );
      CREATE INDEX case_timeline_case ON case_timeline(case_id, id);
      CREATE TABLE case_photos (
        id TEXT PRIMARY KEY,
        case_id BIGINT NOT NULL REFERENCES cases(id),
        phase TEXT NOT NULL CHECK (phase IN ('before','after')),
        file TEXT NOT NULL,
        content_type TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        ts BIGINT NOT NULL,
        by TEXT NOT NULL
      );
      CREATE INDEX case_photos_case ON case_photos(case_id);
      CREATE TABLE case_requests (
        id ${ID},
        case_id BIGINT NOT NULL REFERENCES cases(id),
        kind TEXT NOT NULL CHECK (kind IN ('sendBack','extension','suspension','void')),
        reason TEXT NOT NULL,
        days BIGINT,
        requested_by TEXT NOT NULL,
        requested_ts BIGINT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending','approved','rejected')),
        decided_by TEXT,
        decided_ts BIGINT,
        decision_note TEXT,
        version BIGINT NOT NULL
      );
      CREATE INDEX case_requests_case ON case_requests(case_id);
      CREATE TABLE case_evaluations (
        case_id BIGINT PRIMARY KEY REFERENCES cases(id),
        score BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
        comment TEXT,
        by TEXT NOT NULL,
        ts BIGINT NOT NULL
      );
      CREATE TABLE case_code_seq (
        day TEXT PRIMARY KEY,
        last BIGINT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'SLA clocks (7123) and SLA settings',
    sql: `
      CREATE TABLE sla_clocks (
        id ${ID},
        case_id BIGINT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('arrival','closure')),
        state TEXT NOT NULL CHECK (state IN ('running','paused','warned','met','breached')),
        start_ts BIGINT NOT NULL,
        due_ts BIGINT NOT NULL,
        warn_ts BIGINT NOT NULL,
        end_ts BIGINT,
        paused_ms BIGINT NOT NULL DEFAULT 0,
        paused_since BIGINT,
        escalation_level BIGINT NOT NULL DEFAULT 0,
        cancelled BIGINT NOT NULL DEFAULT 0,
        policy TEXT NOT NULL,
        version BIGINT NOT NULL DEFAULT 1,
        updated_ts BIGINT NOT NULL,
        UNIQUE (case_id, kind)
      );
      CREATE INDEX sla_clocks_open ON sla_clocks(id) WHERE end_ts IS NULL;
      CREATE TABLE sla_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        settings TEXT NOT NULL,
        version BIGINT NOT NULL,
        updated_ts BIGINT NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'alarms, alarm settings',
    sql: `
      CREATE TABLE alarms (
        id ${ID},
        type TEXT NOT NULL,
        severity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        entity_kind TEXT NOT NULL,
        entity_name TEXT NOT NULL,
        org_code TEXT NOT NULL,
        grid_id TEXT NOT NULL,
        lon DOUBLE PRECISION,
        lat DOUBLE PRECISION,
        start_ts BIGINT NOT NULL,
        update_ts BIGINT NOT NULL,
        end_ts BIGINT,
        active BIGINT NOT NULL CHECK (active IN (0, 1)),
        ack_by TEXT,
        ack_ts BIGINT,
        cleared_by TEXT,
        detail TEXT NOT NULL,
        value DOUBLE PRECISION,
        case_id BIGINT,
        version BIGINT NOT NULL
      );
      CREATE UNIQUE INDEX alarms_one_active ON alarms(entity_id, type) WHERE active = 1;
      CREATE INDEX alarms_update_ts ON alarms(update_ts);
      CREATE INDEX alarms_entity ON alarms(entity_id);
      CREATE TABLE alarm_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        json TEXT NOT NULL,
        version BIGINT NOT NULL,
        updated_ts BIGINT NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'unit engagements; crew users bound to a unit',
    sql: `
      CREATE TABLE units (
        entity_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('available','dispatched','enRoute','onScene','returning')),
        since BIGINT NOT NULL,
        case_id BIGINT,
        case_lon DOUBLE PRECISION,
        case_lat DOUBLE PRECISION,
        origin_lon DOUBLE PRECISION,
        origin_lat DOUBLE PRECISION,
        version BIGINT NOT NULL,
        CHECK ((status = 'available') = (case_id IS NULL))
      );
      CREATE INDEX units_case ON units(case_id) WHERE case_id IS NOT NULL;
      ALTER TABLE users DROP CONSTRAINT users_role_check;
      ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('wall','dispatcher','leader','admin','crew'));
      ALTER TABLE users ADD COLUMN unit_id TEXT;
      ALTER TABLE users ADD CONSTRAINT users_unit_of_crew CHECK ((role = 'crew') = (unit_id IS NOT NULL));
    `,
  },
  {
    version: 6,
    name: "users: the unit crew's role is 'field'",
    sql: `
      ALTER TABLE users DROP CONSTRAINT users_role_check;
      ALTER TABLE users DROP CONSTRAINT users_unit_of_crew;
      UPDATE users SET role = 'field' WHERE role = 'crew';
      ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('wall','dispatcher','leader','admin','field'));
      ALTER TABLE users ADD CONSTRAINT users_unit_of_field CHECK ((role = 'field') = (unit_id IS NOT NULL));
    `,
  },
  {
    version: 7,
    name: 'the server secret (signed links, derived keys)',
    sql: `
      CREATE TABLE server_secret (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        secret BYTEA NOT NULL CHECK (octet_length(secret) = 32),
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: 'open311 api keys and requests (key, token, rating key, private reporter contact)',
    sql: `
      CREATE TABLE open311_keys (
        id ${ID},
        name TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('citizenPhoto','hotline')),
        key_hash TEXT NOT NULL UNIQUE,
        report_page_generation BIGINT,
        created_by TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT,
        last_used_at BIGINT,
        request_count BIGINT NOT NULL DEFAULT 0
      );
      CREATE TABLE open311_requests (
        case_id BIGINT PRIMARY KEY REFERENCES cases(id),
        key_id BIGINT NOT NULL REFERENCES open311_keys(id),
        token TEXT NOT NULL UNIQUE,
        rating_key_hash TEXT NOT NULL,
        service_code TEXT NOT NULL,
        lon DOUBLE PRECISION NOT NULL,
        lat DOUBLE PRECISION NOT NULL,
        address_string TEXT,
        description TEXT NOT NULL,
        media_url TEXT,
        attributes TEXT,
        contact TEXT,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX open311_requests_key_time ON open311_requests(key_id, service_code, created_at);
    `,
  },
  {
    version: 9,
    name: 'case photos: idempotency key; timeline by action and time',
    sql: `
      ALTER TABLE case_photos ADD COLUMN idempotency_key TEXT;
      CREATE UNIQUE INDEX case_photos_idempotency ON case_photos(case_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX case_timeline_action_ts ON case_timeline(action, ts);
    `,
  },
];
