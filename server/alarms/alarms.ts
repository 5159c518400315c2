/**
 * The alarms module assembled from its parts: the store, the settings, the book of active
 * alarms and the rule engine over the district pack. The Fastify plugin, the tests and the
 * bench all build it here.
 */
import type { AlarmSettings } from '../../shared/alarms.ts';
import type { DistrictPack } from '../../shared/district.ts';
import { DistrictLocator } from '../district/locator.ts';
import type { DerivationThresholds } from '../ingest/ingest.ts';
import type { LiveState } from '../live/live-state.ts';
import type { DomainEvents } from '../ops/domain-events.ts';
import type { Actor } from '../ops/ports.ts';
import type { SqlStore } from '../store/sql/types.ts';
import { AlarmBook } from './alarm-book.ts';
import { AlarmRepo } from './alarm-repo.ts';
import { LocalClock } from './local-time.ts';
import { binRules } from './rules/bins.ts';
import { RuleEngine } from './rules/engine.ts';
import { MuckTruckRules } from './rules/muck-trucks.ts';
import { StaffRules } from './rules/staff.ts';
import { toiletRules } from './rules/toilets.ts';
import { VehicleRules } from './rules/vehicles.ts';
import { AlarmSettingsRepo, type SettingsRow } from './settings.ts';

export interface AlarmsModule {
  book: AlarmBook;
  engine: RuleEngine;
  settingsRow(): SettingsRow;
  /** Saves (400 invalid, 409 stale version) and takes effect on the next evaluation. */
  updateSettings(settings: AlarmSettings, version: number, actor: Actor, now: number): Promise<SettingsRow>;
}

export interface AlarmsModuleOptions {
  sql: SqlStore;
  live: LiveState;
  pack: DistrictPack;
  events: DomainEvents;
  now: () => number;
  /** Told the thresholds the ingest derives bin status and odour alarms with, at start and on every change. */
  onThresholds?: (t: DerivationThresholds) => void;
  sweepMs?: number;
  /** Whether a person or vehicle is on a dispatched task (the dispatch module knows): sent away from their post. */
  onTask?: (entityId: string) => boolean;
  onError?: (err: unknown, where: string) => void;
}

export async function createAlarms(opts: AlarmsModuleOptions): Promise<AlarmsModule> {
  const settingsRepo = new AlarmSettingsRepo(opts.sql);
  let row = await settingsRepo.load();
  const apply = () => opts.onThresholds?.({
    binFullPct: row.settings.binFullPct, binOverflowPct: row.settings.binOverflowPct,
    nh3LimitMgM3: row.settings.nh3LimitMgM3, h2sLimitMgM3: row.settings.h2sLimitMgM3,
  });
  apply();
  const settings = () => row.settings;
  const book = await AlarmBook.open(new AlarmRepo(opts.sql), opts.events, settings);
  book.onFlushError = (err) => opts.onError?.(err, 'alarm flush');
  const n = opts.live.size;
  const engine = new RuleEngine({
    live: opts.live, book, settings, now: opts.now, clock: new LocalClock(opts.pack.meta.timezone),
    rules: [binRules, toiletRules, new MuckTruckRules(opts.pack, n), new VehicleRules(opts.pack), new StaffRules(opts.pack, new DistrictLocator(opts.pack), n, opts.onTask)],
    ...(opts.sweepMs !== undefined ? { sweepMs: opts.sweepMs } : {}),
    ...(opts.onError ? { onError: opts.onError } : {}),
  });
  return {
    book,
    engine,
    settingsRow: () => structuredClone(row),
    async updateSettings(next, version, actor, now) {
      row = await settingsRepo.save(next, version, actor.name, now);
      apply();
      return structuredClone(row);
    },
  };
}
