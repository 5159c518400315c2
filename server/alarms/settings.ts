/**
 * Alarm settings: DOMAIN.md's thresholds as defaults, persisted as one JSON row (versioned),
 * checked field by field (TypeBox ranges) and across fields before they are taken.
 */
import { Value } from 'typebox/value';
import type { AlarmSettings } from '../../shared/alarms.ts';
import { ENTITY_KINDS } from '../../shared/entities.ts';
import { AlarmSettingsSchema } from '../../shared/schemas/alarms.ts';
import { HttpError } from '../http-error.ts';
import type { SqlExecutor } from '../store/sql/types.ts';
import { parseWindow } from '../sim/clock.ts';

export const DEFAULT_ALARM_SETTINGS: AlarmSettings = {
  binFullPct: 80,
  binOverflowPct: 95,
  nh3LimitMgM3: { I: 0.3, II: 1, III: 3 },
  h2sLimitMgM3: 0.01,
  toiletCleaningOverdueH: 4,
  muckCorridorM: 50,
  muckOffRouteMin: 10,
  muckOffRouteCriticalMin: 15,
  muckLidOpenMaxKph: 20,
  muckSpeedLimitKph: 60,
  movingKph: 5,
  vehicleBannedHours: ['07:00-10:00', '17:00-20:00'],
  staffOutOfGridM: 200,
  staffOutOfGridMin: 5,
  staffOffPostMin: 20,
  offlineAlarmKinds: [...ENTITY_KINDS],
  clearHoldS: 60,
  severity: {
    binFull: 'warning',
    binOverflow: 'major',
    toiletNh3: 'major',
    toiletH2s: 'major',
    toiletCleaningOverdue: 'minor',
    muckOffRoute: 'major',
    muckLidOpen: 'major',
    muckOutsideHours: 'major',
    muckSpeeding: 'major',
    muckRestrictedZone: 'critical',
    vehicleOverspeed: 'minor',
    vehicleBannedHours: 'minor',
    staffSos: 'critical',
    staffOutOfGrid: 'minor',
    staffOffPost: 'major',
    deviceOffline: 'warning',
    driverSos: 'critical',
  },
  autoCase: ['binOverflow', 'staffSos', 'driverSos', 'muckOffRoute', 'muckRestrictedZone', 'toiletNh3'],
};

/** Problems with a settings object, empty when it can be taken. */
export function settingsProblems(s: unknown): string[] {
  if (!Value.Check(AlarmSettingsSchema, s)) {
    return [...Value.Errors(AlarmSettingsSchema, s)].slice(0, 10).map((e) => `${e.instancePath || '/'} ${e.message}`);
  }
  const v = s as AlarmSettings;
  const out: string[] = [];
  if (v.binFullPct >= v.binOverflowPct) out.push(`binFullPct (${v.binFullPct}) must be below binOverflowPct (${v.binOverflowPct})`);
  if (v.muckOffRouteMin > v.muckOffRouteCriticalMin) out.push(`muckOffRouteMin (${v.muckOffRouteMin}) must not exceed muckOffRouteCriticalMin (${v.muckOffRouteCriticalMin})`);
  for (const w of v.vehicleBannedHours) {
    try { parseWindow(w); } catch (err) { out.push((err as Error).message); }
  }
  return out;
}

export interface SettingsRow { settings: AlarmSettings; version: number; updatedTs: number | null; updatedBy: string | null }

/** The single settings row. Version 0 means "never saved": the defaults are in force. */
export class AlarmSettingsRepo {
  constructor(private readonly sql: SqlExecutor) {}

  async load(): Promise<SettingsRow> {
    const row = await this.sql.one<{ json: string; version: number; updated_ts: number; updated_by: string }>(
      'SELECT json, version, updated_ts, updated_by FROM alarm_settings WHERE id = 1');
    if (!row) return { settings: structuredClone(DEFAULT_ALARM_SETTINGS), version: 0, updatedTs: null, updatedBy: null };
    // Fields added by a later build take their defaults; a stored row that no longer validates falls back whole.
    const merged = { ...structuredClone(DEFAULT_ALARM_SETTINGS), ...(JSON.parse(row.json) as Partial<AlarmSettings>) };
    merged.severity = { ...DEFAULT_ALARM_SETTINGS.severity, ...merged.severity };
    const settings = settingsProblems(merged).length === 0 ? merged : structuredClone(DEFAULT_ALARM_SETTINGS);
    return { settings, version: row.version, updatedTs: row.updated_ts, updatedBy: row.updated_by };
  }

  /** Saves when `version` is the current one; 400 with the problems, 409 when someone saved in between. */
  async save(settings: AlarmSettings, version: number, by: string, now: number): Promise<SettingsRow> {
    const problems = settingsProblems(settings);
    if (problems.length > 0) throw new HttpError(400, 'bad_request', `invalid alarm settings: ${problems.join('; ')}`, problems);
    const json = JSON.stringify(settings);
    const res = version === 0
      ? await this.sql.exec('INSERT INTO alarm_settings (id, json, version, updated_ts, updated_by) VALUES (1, $1, 1, $2, $3) ON CONFLICT (id) DO NOTHING', [json, now, by])
      : await this.sql.exec('UPDATE alarm_settings SET json = $1, version = version + 1, updated_ts = $2, updated_by = $3 WHERE id = 1 AND version = $4', [json, now, by, version]);
    if (res.changes === 0) throw new HttpError(409, 'conflict', `the alarm settings changed since version ${version}; reload and try again`);
    return { settings: structuredClone(settings), version: version + 1, updatedTs: now, updatedBy: by };
  }
}
