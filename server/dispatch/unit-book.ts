/**
 * The units of the district as dispatch sees them: the live entities (staff, vehicles), their
 * engagements (cached from the units table), a spatial index of their positions, and when
 * each live status last changed. Fed by the change stream; the listener only updates maps.
 */
import type { UnitSkill, UnitState, UnitStatus } from '../../shared/dispatch.ts';
import type { LiveChange } from '../live/change-stream.ts';
import type { LiveState } from '../live/live-state.ts';
import type { Candidate } from './recommend.ts';
import type { DispatchSettings } from './settings.ts';
import { UnitIndex } from './unit-index.ts';
import { ENGAGED, isUnitEntity, liveStatus, modeOf, skillsOf, statusWarning, unitStateOf, type UnitEntity, type WarningLimits } from './units.ts';
import type { EngagementRow } from './units-repo.ts';

export interface UnitFilter { status?: string; kind?: string; street?: string }

export class UnitBook {
  readonly index: UnitIndex;
  private readonly rows = new Map<string, EngagementRow>();
  private readonly lastLive = new Map<string, { status: UnitStatus; since: number }>();
  private readonly skills = new Map<string, UnitSkill[]>();
  private readonly limits: WarningLimits;
  /** Set when a unit moves or changes status; the coverage layer recomputes only then. */
  dirty = true;

  /** `engagements`: the units table as stored (UnitsRepo.all()), read once at start; the book keeps it current after. */
  constructor(private readonly live: LiveState, engagements: readonly EngagementRow[], private readonly now: () => number, settings: DispatchSettings, originLat: number) {
    this.index = new UnitIndex(originLat);
    this.limits = { notMovingS: settings.notMovingS, notMovingM: settings.notMovingM, onSceneS: settings.onSceneWarnS };
    for (const r of engagements) this.rows.set(r.entityId, r);
    const t = now();
    for (const e of live.all()) {
      if (!isUnitEntity(e)) continue;
      this.skills.set(e.id, skillsOf(e));
      this.lastLive.set(e.id, { status: liveStatus(e), since: t });
      if (e.pos) this.index.set(e.id, e.pos.lon, e.pos.lat);
    }
  }

  /** From the change stream: keeps the index and live statuses current. Returns true when the unit's live status changed. */
  observe(change: LiveChange): boolean {
    const e = change.entity;
    if (!isUnitEntity(e)) return false;
    const pos = change.after.pos;
    if (pos && pos !== change.before.pos) {
      this.index.set(e.id, pos.lon, pos.lat);
      this.dirty = true;
    }
    const status = liveStatus(e);
    const last = this.lastLive.get(e.id);
    if (last && last.status === status) return false;
    this.lastLive.set(e.id, { status, since: change.at });
    this.dirty = true;
    return true;
  }

  entity(id: string): UnitEntity | undefined {
    const e = this.live.get(id);
    return isUnitEntity(e) ? e : undefined;
  }

  row(id: string): EngagementRow | undefined {
    return this.rows.get(id);
  }

  /** After a committed write. */
  remember(row: EngagementRow): void {
    this.rows.set(row.entityId, row);
    this.dirty = true;
  }

  /** Rows that hold a case: dispatched, en route, on scene, returning. */
  engagedRows(): EngagementRow[] {
    return [...this.rows.values()].filter((r) => r.status !== 'available');
  }

  rowsForCase(caseId: number): EngagementRow[] {
    return this.engagedRows().filter((r) => r.caseId === caseId);
  }

  get(id: string): UnitState | undefined {
    const e = this.entity(id);
    return e && unitStateOf(e, this.rows.get(id), this.now(), this.limits, this.lastLive.get(id)?.since ?? 0);
  }

  list(filter: UnitFilter = {}): UnitState[] {
    const out: UnitState[] = [];
    const now = this.now();
    for (const e of this.live.all()) {
      if (!isUnitEntity(e)) continue;
      if (filter.kind && e.kind !== filter.kind) continue;
      if (filter.street && e.orgCode !== filter.street) continue;
      const u = unitStateOf(e, this.rows.get(e.id), now, this.limits, this.lastLive.get(e.id)?.since ?? 0);
      if (filter.status && u.status !== filter.status) continue;
      out.push(u);
    }
    return out;
  }

  /** Engaged on a case right now (dispatched, en route, on scene). */
  engaged(): UnitState[] {
    return this.engagedRows().filter((r) => ENGAGED.has(r.status)).map((r) => this.get(r.entityId)).filter((u): u is UnitState => u !== undefined);
  }

  warning(id: string): string | null {
    const e = this.entity(id);
    return e ? statusWarning(e, this.rows.get(id), this.now(), this.limits) : null;
  }

  /** What the recommender needs; called for every unit the index looks at, so it allocates little. */
  candidate(id: string): Candidate | undefined {
    const e = this.entity(id);
    if (!e?.pos) return undefined;
    const row = this.rows.get(id);
    const live = liveStatus(e);
    const status: UnitStatus = row && row.status !== 'available' && live !== 'offline' ? row.status : live;
    return {
      id, name: e.name, kind: e.kind, mode: modeOf(e), status, skills: this.skills.get(id) ?? [],
      gridId: e.gridId, orgCode: e.orgCode, pos: e.pos,
    };
  }
}
