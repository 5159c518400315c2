/**
 * The simulated past's cases phase on the asynchronous layer, on SQLite and PostgreSQL: the
 * cases, SLA clocks, alarms and acknowledgement audit rows of a day and two hours, written an
 * hour per layer transaction through the caller's `tx` (no better-sqlite3 handle anywhere).
 * Both stores get the same rows, row for row; the alarms and their audit rows agree, the
 * 未诉先办 cases are linked both ways, and a seed's past is the one it was before the
 * conversion (its counts are pinned: a change in the order the generator draws its numbers —
 * an await moved in front of a draw — changes them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALARM_SETTINGS } from '../../server/alarms/settings.ts';
import { connectivityPolicy } from '../../server/live/live-state.ts';
import { entitiesFromPack } from '../../server/live/entities-from-pack.ts';
import type { HistoryStore } from '../../server/history/history-store.ts';
import { PastBackfill, pastWindow } from '../../server/sim/past/backfill.ts';
import { SlaSettingsRepo } from '../../server/sla/settings-repo.ts';
import type { SqlRow, SqlStore } from '../../server/store/sql/types.ts';
import { lixiaPack } from './server-harness.ts';
import { storeDrivers } from './store-pg-harness.ts';

/** 02:00 local on 2026-11-20: the window is 2026-11-19 00:00 → 2026-11-20 02:00. */
const NOW = Date.UTC(2026, 10, 19, 18, 0, 0);
const SEED = 7;
/** What seed 7 writes over that window with the pack's entities and the default settings (SQLite, before and after the conversion). */
const EXPECTED = { cases: 559, alarms: 3041 };

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

const drivers = storeDrivers('past');

/** The rows the past wrote, in the order written, as plain values (ids of the children left out: they are the store's). */
const SNAPSHOT = {
  cases: 'SELECT id, code, title, item_code, source, stage, suspended, emergency, difficulty, lon, lat, street_code, assignment, alarm_id, escalation_level, rework_count, reported_by, created_ts, updated_ts, closed_ts, version FROM cases ORDER BY id',
  timeline: 'SELECT case_id, ts, actor, actor_role, action, from_stage, to_stage, note, data FROM case_timeline ORDER BY id',
  clocks: 'SELECT case_id, kind, state, start_ts, due_ts, warn_ts, end_ts, cancelled FROM sla_clocks ORDER BY id',
  alarms: 'SELECT * FROM alarms ORDER BY id',
  audit: 'SELECT ts, actor, action, target, detail FROM audit ORDER BY id',
} as const;
type Snapshot = Record<keyof typeof SNAPSHOT, SqlRow[]>;
let first: { driver: string; rows: Snapshot } | null = null;

for (const driver of drivers) {
  describe.skipIf(!driver.run)(`the past's cases and alarms on ${driver.name}`, () => {
    let h: { store: SqlStore; dispose(): Promise<void> };
    let backfill: PastBackfill;
    let rows: Snapshot;

    beforeAll(async () => {
      h = await driver.open();
      const pack = await lixiaPack();
      const mobile = { staleAfterMs: 60_000, offlineAfterMs: 600_000 };
      backfill = new PastBackfill({
        sql: h.store, pack, seed: SEED, days: 1, now: () => NOW, fineDays: 0, log: quiet,
        // Positions are not this test's: the run stops once the cases phase committed (before any position is written).
        history: undefined as unknown as HistoryStore,
        onCasesDone: () => { void backfill.stop(); },
        connectivity: connectivityPolicy(mobile, { staleAfterMs: 900_000, offlineAfterMs: 3_600_000 }),
        ops: {
          reportsPerDay: 300, codePrefix: 'LX', slaSettings: new SlaSettingsRepo(h.store), alarmSettings: structuredClone(DEFAULT_ALARM_SETTINGS),
          entities: entitiesFromPack(pack), log: quiet,
        },
      });
      expect(await backfill.prepare()).toBe(true);
      await backfill.runToEnd();
      rows = {} as Snapshot;
      for (const [k, q] of Object.entries(SNAPSHOT)) rows[k as keyof Snapshot] = await h.store.query(q);
    }, 180_000);
    afterAll(async () => { await h?.dispose(); });

    it('writes the window\'s cases and alarms, marks the phase done in the same commit, and leaves positions to come', async () => {
      expect(backfill.progress).toMatchObject({ phase: 'positions', casesDone: 1, ...EXPECTED, positionsUntil: pastWindow(1, NOW, 0).fromMs, points: 0 });
      expect(await h.store.one('SELECT ops_done, finished_ts FROM sim_past')).toEqual({ ops_done: 1, finished_ts: null });
      expect(rows.cases).toHaveLength(EXPECTED.cases);
      expect(rows.alarms).toHaveLength(EXPECTED.alarms);
      expect(await h.store.one('SELECT count(*) AS n FROM history_track')).toEqual({ n: 0 });
    });

    it('audits every acknowledgement with the alarm\'s id, at its time, and nothing else', async () => {
      const acked = rows.alarms.filter((a) => a['ack_ts'] !== null);
      expect(acked.length).toBeGreaterThan(400);
      expect(rows.audit).toEqual(acked.map((a) => ({
        ts: a['ack_ts'], actor: 'sim-duty-officer', action: 'alarm.ack', target: String(a['id']),
        detail: JSON.stringify({ type: a['type'], entityId: a['entity_id'] }),
      })));
      // Every alarm cleared before the start; an acknowledged one is at version 3 (raised, acked, cleared), one more when a case was linked.
      for (const a of rows.alarms) {
        expect(a['active']).toBe(0);
        expect(a['end_ts'] as number).toBeLessThan(NOW);
        expect(a['version']).toBe((a['ack_ts'] !== null ? 3 : 2) + (a['case_id'] !== null ? 1 : 0));
      }
    });

    it('links each 未诉先办 alarm and its case both ways', async () => {
      const linked = rows.alarms.filter((a) => a['case_id'] !== null);
      expect(linked.length).toBeGreaterThan(100);
      const caseById = new Map(rows.cases.map((c) => [c['id'], c]));
      for (const a of linked) expect(caseById.get(a['case_id'])).toMatchObject({ alarm_id: a['id'], source: 'iotAlarm' });
      expect(rows.cases.filter((c) => c['alarm_id'] !== null)).toHaveLength(linked.length);
    });

    it('writes the same rows on either store', () => {
      if (first === null) { first = { driver: driver.name, rows }; return; }
      for (const k of Object.keys(SNAPSHOT) as (keyof Snapshot)[]) expect(rows[k], `${k}: ${driver.name} vs ${first.driver}`).toEqual(first.rows[k]);
    });
  });
}
