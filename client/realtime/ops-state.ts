/**
 * The cases, alarms and engaged units a screen holds from the live stream (shared/ops.ts):
 * a snapshot replaces everything; a delta overwrites what it carries (latest value wins) and
 * drops what left the window. Plain maps, no Vue: the Pinia store wraps this and bumps its
 * reactivity once per frame received, not once per item.
 */
import type { Alarm } from '../../shared/alarms.ts';
import { OPEN_STAGES, type CaseSummary } from '../../shared/cases.ts';
import type { UnitState } from '../../shared/dispatch.ts';
import type { OpsDelta, OpsSnapshot, OpsStats } from '../../shared/ops.ts';

/** Something that deserves the wall's eye: a new critical alarm or a new open emergency case. */
export interface OpsArrival {
  kind: 'alarm' | 'case';
  id: number;
  lon: number;
  lat: number;
}

export type DeltaOutcome =
  /** applied on top of the version held */
  | 'applied'
  /** applied, but it was built on a version this screen never saw: ask for a snapshot */
  | 'gap'
  /** no snapshot held yet: ignored, ask for a snapshot */
  | 'noSnapshot'
  /** not newer than what is held (a late frame after a resync): ignored */
  | 'stale';

export interface DeltaResult {
  outcome: DeltaOutcome;
  arrivals: OpsArrival[];
}

export class OpsState {
  /** Version of the last frame applied; null before the first snapshot. */
  version: number | null = null;
  readonly cases = new Map<number, CaseSummary>();
  readonly alarms = new Map<number, Alarm>();
  readonly units = new Map<string, UnitState>();
  stats: OpsStats | null = null;

  applySnapshot(s: OpsSnapshot): void {
    this.cases.clear();
    this.alarms.clear();
    this.units.clear();
    for (const c of s.cases) this.cases.set(c.id, c);
    for (const a of s.alarms) this.alarms.set(a.id, a);
    for (const u of s.units) this.units.set(u.entityId, u);
    this.stats = s.stats;
    this.version = s.version;
  }

  applyDelta(d: OpsDelta): DeltaResult {
    if (this.version === null) return { outcome: 'noSnapshot', arrivals: [] };
    if (d.version <= this.version) return { outcome: 'stale', arrivals: [] };
    const gap = d.baseVersion > this.version;
    const arrivals: OpsArrival[] = [];
    for (const a of d.alarms) {
      const before = this.alarms.get(a.id);
      if (a.active && a.severity === 'critical' && !before?.active && a.lon !== null && a.lat !== null) {
        arrivals.push({ kind: 'alarm', id: a.id, lon: a.lon, lat: a.lat });
      }
      this.alarms.set(a.id, a);
    }
    for (const c of d.cases) {
      if (c.emergency && !this.cases.has(c.id) && OPEN_STAGES.includes(c.stage)) {
        arrivals.push({ kind: 'case', id: c.id, lon: c.location.lon, lat: c.location.lat });
      }
      this.cases.set(c.id, c);
    }
    // An alarm that opened its own case (未诉先办) is one event on the map, not two.
    const alarmIds = new Set(arrivals.filter((a) => a.kind === 'alarm').map((a) => a.id));
    const caseAlarm = (id: number) => this.cases.get(id)?.alarmId ?? null;
    const deduped = arrivals.filter((a) => a.kind === 'alarm' || !alarmIds.has(caseAlarm(a.id) ?? -1));
    for (const u of d.units) this.units.set(u.entityId, u);
    for (const id of d.removed.cases) this.cases.delete(id);
    for (const id of d.removed.alarms) this.alarms.delete(id);
    for (const id of d.removed.units) this.units.delete(id);
    this.stats = d.stats;
    this.version = d.version;
    return { outcome: gap ? 'gap' : 'applied', arrivals: deduped };
  }
}
