/**
 * The district's past alarms (issue 7 part 3): alarm rows raised, acknowledged and cleared at
 * the rates and hours of the live rules, on real entities at their places — bins by the litter
 * curve, muck trucks at night, sanitation vehicles in the rush hours, staff on shift. Drawn
 * from rates, not derived from the generated tracks. An acknowledgement is audited as the
 * console's is. Every alarm is cleared before the past ends, so the live rules start from no
 * active alarm of the past.
 *
 * Written through the caller's store (the past generator's, whose statements run in the
 * transaction of the hour being written): an alarm and its acknowledgement's audit row commit
 * with the cases of that hour, on SQLite or PostgreSQL alike.
 */
import type { Alarm, AlarmSettings, AlarmType } from '../../../shared/alarms.ts';
import type { AnyEntity, EntityKind } from '../../../shared/entities.ts';
import { AlarmRepo } from '../../alarms/alarm-repo.ts';
import type { DistrictLocator } from '../../district/locator.ts';
import type { RoadRouter } from '../../district/routing.ts';
import { SIM_DUTY_OFFICER } from '../../ops/ports.ts';
import { AuditRepo } from '../../store/audit-repo.ts';
import type { SqlStore } from '../../store/sql/types.ts';
import { HOUR_MS, MINUTE_MS } from '../clock.ts';
import { BIN_USE_BY_HOUR, TOILET_USE_BY_HOUR } from '../profiles.ts';
import type { Rng } from '../rng.ts';

/** Alarms a day by type, their hour curve and how long they last (minutes) — of the order the live rules raise (`npm run bench:day`). */
const DAY = [0, 0, 0, 0, 0, 0.2, 0.8, 1.4, 1.5, 1.5, 1.5, 1.4, 1.3, 1.4, 1.5, 1.5, 1.5, 1.5, 1.3, 1.0, 0.6, 0.3, 0.1, 0] as const;
const NIGHT = [1.8, 1.8, 1.6, 1.4, 1.2, 0.8, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.6, 1.0, 1.5, 1.9, 2.0] as const;
const RUSH = [0, 0, 0, 0, 0, 0, 0.5, 3, 3, 3, 0.5, 0, 0, 0, 0, 0, 0.5, 3, 3, 3, 0.5, 0, 0, 0] as const;
const FLAT = new Array<number>(24).fill(1);

interface AlarmPlan { perDay: number; curve: readonly number[]; minutes: [number, number]; kind: EntityKind | null; detail: (v: number) => string; value: () => number | null }

export const ALARM_PLAN = (rng: Rng): Record<AlarmType, AlarmPlan> => ({
  binFull: { perDay: 1200, curve: BIN_USE_BY_HOUR, minutes: [30, 300], kind: 'bin', detail: (v) => `fill ${v} % ≥ 80 %`, value: () => 80 + rng.int(15) },
  binOverflow: { perDay: 150, curve: BIN_USE_BY_HOUR, minutes: [20, 180], kind: 'bin', detail: (v) => `fill ${v} % ≥ 95 %`, value: () => 95 + rng.int(6) },
  toiletNh3: { perDay: 35, curve: TOILET_USE_BY_HOUR, minutes: [10, 90], kind: 'toilet', detail: (v) => `NH₃ ${v} mg/m³ over the class limit`, value: () => Math.round(rng.range(1.1, 4) * 100) / 100 },
  toiletH2s: { perDay: 12, curve: TOILET_USE_BY_HOUR, minutes: [10, 60], kind: 'toilet', detail: (v) => `H₂S ${v} mg/m³ > 0.01`, value: () => Math.round(rng.range(0.011, 0.03) * 1000) / 1000 },
  toiletCleaningOverdue: { perDay: 25, curve: TOILET_USE_BY_HOUR, minutes: [30, 120], kind: 'toilet', detail: () => 'not cleaned within the interval', value: () => null },
  muckOffRoute: { perDay: 35, curve: NIGHT, minutes: [10, 40], kind: 'muckTruck', detail: (v) => `${v} m off the permitted corridor`, value: () => 60 + rng.int(400) },
  muckLidOpen: { perDay: 50, curve: NIGHT, minutes: [3, 20], kind: 'muckTruck', detail: (v) => `lid unsealed at ${v} km/h`, value: () => 21 + rng.int(30) },
  muckOutsideHours: { perDay: 20, curve: FLAT, minutes: [10, 60], kind: 'muckTruck', detail: () => 'moving outside the permitted hours', value: () => null },
  muckSpeeding: { perDay: 45, curve: NIGHT, minutes: [2, 10], kind: 'muckTruck', detail: (v) => `${v} km/h over the limit`, value: () => 61 + rng.int(25) },
  muckRestrictedZone: { perDay: 8, curve: NIGHT, minutes: [5, 20], kind: 'muckTruck', detail: () => 'inside a restricted zone', value: () => null },
  vehicleOverspeed: { perDay: 180, curve: DAY, minutes: [2, 15], kind: 'vehicle', detail: (v) => `working at ${v} km/h`, value: () => 9 + rng.int(12) },
  vehicleBannedHours: { perDay: 100, curve: RUSH, minutes: [10, 60], kind: 'vehicle', detail: () => 'working in banned hours', value: () => null },
  staffSos: { perDay: 5, curve: DAY, minutes: [3, 8], kind: 'staff', detail: () => 'SOS pressed', value: () => null },
  staffOutOfGrid: { perDay: 220, curve: DAY, minutes: [10, 40], kind: 'staff', detail: (v) => `${v} m outside the assigned grid`, value: () => 120 + rng.int(500) },
  staffOffPost: { perDay: 260, curve: DAY, minutes: [20, 90], kind: 'staff', detail: (v) => `off post for ${v} min`, value: () => 30 + rng.int(60) },
  deviceOffline: { perDay: 500, curve: FLAT, minutes: [10, 60], kind: null, detail: () => 'no report past the offline threshold', value: () => null },
  // Only real terminals press it; the simulated past has none.
  driverSos: { perDay: 0, curve: FLAT, minutes: [3, 8], kind: 'vehicle', detail: () => 'SOS pressed', value: () => null },
});


export interface PastAlarmsDeps {
  /** Where the rows go: the past generator's store, whose statements run in its caller's transaction. */
  store: SqlStore;
  rng: Rng;
  settings: AlarmSettings;
  entities: readonly AnyEntity[];
  locator: DistrictLocator;
  router: RoadRouter;
  /** The end of the past: every alarm is cleared before it. */
  toMs: number;
}

export class PastAlarms {
  private readonly plan: Record<AlarmType, AlarmPlan>;
  private readonly byKind = new Map<EntityKind, AnyEntity[]>();
  private readonly nodesByStreet = new Map<string, number[]>();
  private readonly repo: AlarmRepo;
  private readonly audit: AuditRepo;

  constructor(private readonly o: PastAlarmsDeps) {
    this.plan = ALARM_PLAN(o.rng);
    for (const e of o.entities) { const l = this.byKind.get(e.kind) ?? []; l.push(e); this.byKind.set(e.kind, l); }
    this.repo = new AlarmRepo(o.store);
    this.audit = new AuditRepo(o.store);
  }

  /** Calls `at` with the start and type of every alarm of [fromMs, toMs), by the rates and hour curves (local days). */
  schedule(fromMs: number, toMs: number, at: (start: number, type: AlarmType) => void): void {
    const { rng } = this.o;
    for (let day = fromMs; day < toMs; day += 24 * HOUR_MS) {
      for (const [type, p] of Object.entries(this.plan) as [AlarmType, AlarmPlan][]) {
        const sum = p.curve.reduce((a, b) => a + b, 0);
        for (let h = 0; h < 24; h++) {
          const n = rng.poisson((p.perDay * p.curve[h]!) / sum);
          for (let k = 0; k < n; k++) {
            const start = day + h * HOUR_MS + rng.int(3600) * 1000;
            if (start < toMs) at(start, type);
          }
        }
      }
    }
  }

  /**
   * Writes one alarm of `type` raised at `start` — acknowledged or not, cleared — and returns it
   * with its id; null when no entity can raise it. Every draw from the generator comes before
   * the first await, so the sequence (and so the past of a seed) is as it was.
   */
  async raise(type: AlarmType, start: number): Promise<Alarm | null> {
    const { rng, settings } = this.o;
    const p = this.plan[type];
    const kinds = p.kind === null ? settings.offlineAlarmKinds : [p.kind];
    if (kinds.length === 0) return null; // no kind raises offline alarms under these settings
    const pool = this.byKind.get(rng.pick(kinds));
    if (!pool || pool.length === 0) return null;
    const e = rng.pick(pool);
    const [lon, lat] = this.placeOf(e);
    const severity = settings.severity[type];
    const end = Math.round(Math.min(start + p.minutes[0] * MINUTE_MS * Math.exp(rng.next() * Math.log(p.minutes[1] / p.minutes[0])), this.o.toMs - 1000));
    const acked = (severity === 'critical' || severity === 'major' || type === 'binOverflow') && rng.chance(0.8);
    const ackTs = acked ? Math.round(Math.min(start + rng.range(1, 10) * MINUTE_MS, end)) : null;
    const value = p.value();
    const alarm: Alarm = {
      id: 0, type, severity, entityId: e.id, entityKind: e.kind, entityName: e.name, orgCode: e.orgCode, gridId: e.gridId,
      lon, lat, startTs: start, updateTs: end, endTs: end, active: false,
      ackBy: acked ? SIM_DUTY_OFFICER.name : null, ackTs, clearedBy: 'system',
      detail: p.detail(value ?? 0), value, caseId: null, version: acked ? 3 : 2,
    };
    alarm.id = await this.repo.insert(alarm);
    // Acknowledged at the console: audited as the route audits it.
    if (ackTs !== null) await this.audit.record({ actor: SIM_DUTY_OFFICER.name, action: 'alarm.ack', target: String(alarm.id), detail: { type, entityId: e.id }, ts: ackTs });
    return alarm;
  }

  /** The case opened for the alarm (未诉先办), on the alarm's row. */
  async linkCase(alarm: Alarm, caseId: number): Promise<void> {
    await this.repo.update({ ...alarm, caseId, version: alarm.version + 1 }, alarm.version);
    alarm.caseId = caseId;
    alarm.version += 1;
  }

  /** A fixed entity's own place; a mobile one's a road point of its street. */
  private placeOf(e: AnyEntity): [number | null, number | null] {
    if (e.pos) return [e.pos.lon, e.pos.lat];
    const { router, locator, rng } = this.o;
    let nodes = this.nodesByStreet.get(e.orgCode);
    if (!nodes) {
      nodes = [];
      for (let i = 0; i < router.nodeCount; i++) {
        const [lon, lat] = router.nodeLonLat(i);
        if (locator.locate(lon, lat)?.streetCode === e.orgCode) nodes.push(i);
      }
      this.nodesByStreet.set(e.orgCode, nodes);
    }
    if (nodes.length === 0) return [null, null];
    const [lon, lat] = router.nodeLonLat(rng.pick(nodes));
    return [lon, lat];
  }
}
