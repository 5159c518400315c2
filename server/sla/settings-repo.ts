/** The SLA settings: one row (JSON), defaults until an admin saves them. */
import { Value } from 'typebox/value';
import { DEFAULT_SLA_SETTINGS, type SlaSettings } from '../../shared/sla.ts';
import { SlaSettingsSchema } from '../../shared/schemas/sla.ts';
import type { Db } from '../store/database.ts';
import { HttpError } from '../http-error.ts';

export class SlaSettingsRepo {
  /** @param defaults what applies until an admin saves settings (SLA_DAY_MODE sets the day mode). */
  constructor(private readonly db: Db, private readonly defaults: SlaSettings = DEFAULT_SLA_SETTINGS) {}

  get(): SlaSettings {
    const row = this.db.prepare('SELECT settings FROM sla_settings WHERE id = 1').get() as { settings: string } | undefined;
    return row ? (JSON.parse(row.settings) as SlaSettings) : structuredClone(this.defaults);
  }

  /** Replaces the settings; refuses (400) anything the schema does not allow, whoever calls. */
  put(settings: SlaSettings, by: string, now: number): SlaSettings {
    if (!Value.Check(SlaSettingsSchema, settings)) {
      const details = [...Value.Errors(SlaSettingsSchema, settings)].map((e) => `${e.instancePath || '(root)'}: ${e.message}`);
      throw new HttpError(400, 'bad_request', 'invalid SLA settings', details);
    }
    this.db.prepare(`INSERT INTO sla_settings (id, settings, version, updated_ts, updated_by) VALUES (1, ?, 1, ?, ?)
      ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, version = version + 1, updated_ts = excluded.updated_ts, updated_by = excluded.updated_by`)
      .run(JSON.stringify(settings), now, by);
    return this.get();
  }
}
