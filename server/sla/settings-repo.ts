/** The SLA settings: one row (JSON), defaults until an admin saves them. */
import { Value } from 'typebox/value';
import { DEFAULT_SLA_SETTINGS, type SlaSettings } from '../../shared/sla.ts';
import { SlaSettingsSchema } from '../../shared/schemas/sla.ts';
import type { SqlExecutor } from '../store/sql/types.ts';
import { HttpError } from '../http-error.ts';

export class SlaSettingsRepo {
  /** @param defaults what applies until an admin saves settings (SLA_DAY_MODE sets the day mode). */
  constructor(private readonly sql: SqlExecutor, private readonly defaults: SlaSettings = DEFAULT_SLA_SETTINGS) {}

  /** `tx`: read inside that transaction (the settings route reads before and after its write). */
  async get(tx: SqlExecutor = this.sql): Promise<SlaSettings> {
    const row = await tx.one<{ settings: string }>('SELECT settings FROM sla_settings WHERE id = 1');
    return row ? (JSON.parse(row.settings) as SlaSettings) : structuredClone(this.defaults);
  }

  /** Replaces the settings (in `tx` when given); refuses (400) anything the schema does not allow, whoever calls. */
  async put(settings: SlaSettings, by: string, now: number, tx: SqlExecutor = this.sql): Promise<SlaSettings> {
    if (!Value.Check(SlaSettingsSchema, settings)) {
      const details = [...Value.Errors(SlaSettingsSchema, settings)].map((e) => `${e.instancePath || '(root)'}: ${e.message}`);
      throw new HttpError(400, 'bad_request', 'invalid SLA settings', details);
    }
    // sla_settings.version: a bare `version` here is ambiguous on PostgreSQL (the row or `excluded`).
    await tx.exec(`INSERT INTO sla_settings (id, settings, version, updated_ts, updated_by) VALUES (1, $1, 1, $2, $3)
      ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, version = sla_settings.version + 1, updated_ts = excluded.updated_ts, updated_by = excluded.updated_by`,
    [JSON.stringify(settings), now, by]);
    return this.get(tx);
  }
}
